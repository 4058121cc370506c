{{/*
Names and labels. Every object is named <fullname>-<service> (e.g. salesops-org); the
fullname is the release name when it already contains the chart name.
*/}}
{{- define "salesops.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "salesops.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "salesops.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <fullname>-<service>: the Deployment, Service, PDB, HPA, NetworkPolicy... of a service.
     Called with (dict "root" $ "name" "org"). */}}
{{- define "salesops.componentName" -}}
{{- printf "%s-%s" (include "salesops.fullname" .root) .name }}
{{- end }}

{{/* Labels every object carries. (dict "root" $ "name" "org"), or (dict "root" $) for
     objects of the whole release. */}}
{{- define "salesops.labels" -}}
helm.sh/chart: {{ include "salesops.chart" .root }}
{{ include "salesops.selectorLabels" . }}
app.kubernetes.io/part-of: salesops
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end }}

{{/* The labels a service's pods are selected by (immutable in a Deployment's selector). */}}
{{- define "salesops.selectorLabels" -}}
app.kubernetes.io/name: {{ include "salesops.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .name }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{- define "salesops.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "salesops.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The services, in start order. Facts from the code, not settings: the binary, the
grpc.health.v1 service name its readiness probe checks (kXxxServiceName), its Redis ACL
user's key prefix (deploy/local/redis.sh), whose event topics it consumes and whether it
writes topics at all (the principals table of deploy/local/kafka.sh), extra topic
prefixes it writes (the sync service's compacted share topic), whether it has a
--<service>_time_zone flag, and which services it calls over gRPC (--<service>_addr
flags; only the gateway calls the others).
*/}}
{{- define "salesops.catalog" -}}
org:
  binary: org_server
  healthService: salesops.org.v1.OrgService
  redisKeys: "org:{org}:*"
  reads: [org, customers]
  writes: true
  timeZoneFlag: false
  calls: []
targets:
  binary: targets_server
  healthService: salesops.targets.v1.TargetsService
  redisKeys: "tgt:{tgt}:*"
  reads: [org, customers]
  writes: true
  timeZoneFlag: true
  calls: []
customers:
  binary: customers_server
  healthService: salesops.customers.v1.CustomersService
  redisKeys: "cust:{cust}:*"
  reads: [org]
  writes: true
  timeZoneFlag: true
  calls: []
performance:
  binary: performance_server
  healthService: salesops.performance.v1.PerformanceService
  redisKeys: "perf:{perf}:*"
  reads: [org, customers, targets, warning, sync]
  writes: true
  timeZoneFlag: true
  calls: []
forecast:
  binary: forecast_server
  healthService: salesops.forecast.v1.ForecastService
  redisKeys: "fcst:{fcst}:*"
  reads: [org, customers, targets]
  writes: true
  timeZoneFlag: true
  calls: []
warning:
  binary: warning_server
  healthService: salesops.warning.v1.WarningService
  redisKeys: "warn:{warn}:*"
  reads: [org, customers, targets, forecast]
  writes: true
  timeZoneFlag: true
  calls: []
sync:
  binary: sync_server
  healthService: salesops.sync.v1.SyncService
  redisKeys: "sync:{sync}:*"
  reads: [org, customers, targets, performance, forecast, warning, sync]
  writes: true
  extraWrites: [share]
  timeZoneFlag: true
  calls: []
gateway:
  binary: gateway_server
  healthService: ""
  redisKeys: "gw:{gw}:*"
  reads: [org, customers, targets, performance, forecast, warning, sync]
  writes: false
  timeZoneFlag: false
  calls: [org, targets, customers, performance, forecast, warning, sync]
{{- end }}

{{- define "salesops.serviceNames" -}}
[org, targets, customers, performance, forecast, warning, sync, gateway]
{{- end }}

{{/*
Every topic the services use: the event topics salesops.<service>.events.v1, the sync
service's compacted share topic, and each consumer group's dead-letter topic
(deploy/local/topics.txt and the kXxxDlq constants in the services' events folders).
*/}}
{{- define "salesops.topics" -}}
events:
  - salesops.org.events.v1
  - salesops.targets.events.v1
  - salesops.customers.events.v1
  - salesops.performance.events.v1
  - salesops.forecast.events.v1
  - salesops.warning.events.v1
  - salesops.sync.events.v1
share:
  - salesops.share.customers.v1
deadLetters:
  - salesops.org-headcount.dlq.v1
  - salesops.org-revenue.dlq.v1
  - salesops.customers-org-directory.dlq.v1
  - salesops.customers-org-changes.dlq.v1
  - salesops.targets-attainment.dlq.v1
  - salesops.targets-org-directory.dlq.v1
  - salesops.targets-org-changes.dlq.v1
  - salesops.warning-engine.dlq.v1
  - salesops.warning-org-directory.dlq.v1
  - salesops.performance-credit.dlq.v1
  - salesops.performance-org-directory.dlq.v1
  - salesops.forecast-engine.dlq.v1
  - salesops.forecast-org-directory.dlq.v1
  - salesops.sync-events.dlq.v1
  - salesops.sync-org-directory.dlq.v1
{{- end }}

{{/* A service's settings: .Values.defaults overlaid with .Values.services.<name>, as YAML.
     (dict "root" $ "name" "org") */}}
{{- define "salesops.settings" -}}
{{- $own := index .root.Values.services .name | default dict }}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.defaults) (deepCopy $own)) }}
{{- end }}

{{/* Secret names (dict "root" $ "name" "org"). */}}
{{- define "salesops.tlsSecret" -}}
{{- printf "%s-tls" (include "salesops.componentName" .) }}
{{- end }}

{{- define "salesops.redisSecret" -}}
{{- $s := fromYaml (include "salesops.settings" .) }}
{{- default (printf "%s-redis" (include "salesops.componentName" .)) $s.redis.existingSecret }}
{{- end }}

{{- define "salesops.kafkaUser" -}}
{{- printf "%s%s" .root.Values.kafka.userPrefix .name }}
{{- end }}

{{/* Strimzi's User Operator writes the password to a Secret named after the KafkaUser. */}}
{{- define "salesops.kafkaSecret" -}}
{{- $s := fromYaml (include "salesops.settings" .) }}
{{- default (include "salesops.kafkaUser" .) $s.kafka.existingSecret }}
{{- end }}

{{/* The in-cluster DNS name clients and probes check the certificate against. */}}
{{- define "salesops.tlsServerName" -}}
{{- include "salesops.componentName" . }}
{{- end }}

{{- define "salesops.image" -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag }}
{{- printf "%s/salesops-%s:%s" (trimSuffix "/" .root.Values.image.repository) .name $tag }}
{{- end }}

{{/* Ports of host:port strings, unique, as a YAML list of ints. */}}
{{- define "salesops.portsOf" -}}
{{- $ports := list }}
{{- range . }}
{{- $p := regexFind "[0-9]+$" (toString .) }}
{{- if $p }}{{ $ports = append $ports (atoi $p) }}{{ end }}
{{- end }}
{{- toYaml (uniq $ports) }}
{{- end }}

{{/* Ports the services dial Redis on: the primary's, and the Sentinels' with Sentinel. */}}
{{- define "salesops.redisPorts" -}}
{{- $ports := list (int .Values.redis.port) }}
{{- if .Values.redis.sentinel.enabled }}
{{- $ports = concat $ports (fromYamlArray (include "salesops.portsOf" .Values.redis.sentinel.hosts)) }}
{{- end }}
{{- toYaml (uniq $ports) }}
{{- end }}
