package main

// What a reviewer checks in the rendered objects, beyond their schemas: probes,
// resources and a locked-down security context on every container; a PDB, an HPA, a
// NetworkPolicy and a Service for every Deployment; selectors that select what they
// should; Secrets and ConfigMaps that exist (rendered, made by cert-manager or Strimzi
// from a rendered resource, or listed in NOTES.txt as ones to create); NetworkPolicies
// that let exactly the configured calls through; certificates that name the host their
// callers dial; Kafka topics durable enough for acks=all.

import (
	"fmt"
	"net"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

type CheckOptions struct {
	Namespace      string
	RequiredTopics []TopicSpec // every one must be a KafkaTopic when any KafkaTopic is rendered
	// Flags each binary defines (BinaryFlags); nil = flags not checked.
	Flags map[string]map[string]bool
}

// Check decodes the manifest strictly and runs the semantic checks on what decoded.
func Check(manifest, notes string, o CheckOptions) ([]*Object, []string) {
	objs, problems := Decode(manifest)
	c := newChecker(objs, notes, o)
	problems = append(problems, c.run()...)
	return objs, problems
}

type checker struct {
	opts     CheckOptions
	notes    string
	objs     []*Object
	nsLabels map[string]string
	problems []string

	deployments []*appsv1.Deployment
	services    []*corev1.Service
	pdbs        []*policyv1.PodDisruptionBudget
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	netpols     []*networkingv1.NetworkPolicy
	monitors    []*monitoringv1.ServiceMonitor
	configMaps  map[string]*corev1.ConfigMap
	secrets     map[string]*corev1.Secret
	accounts    map[string]bool
	certs       []*Certificate
	kafkaUsers  map[string]*KafkaUser
	topics      map[string]*KafkaTopic
}

func newChecker(objs []*Object, notes string, o CheckOptions) *checker {
	c := &checker{opts: o, notes: notes, objs: objs,
		nsLabels:   map[string]string{"kubernetes.io/metadata.name": o.Namespace},
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{},
		accounts: map[string]bool{}, kafkaUsers: map[string]*KafkaUser{}, topics: map[string]*KafkaTopic{}}
	for _, obj := range objs {
		switch t := obj.Typed.(type) {
		case *appsv1.Deployment:
			c.deployments = append(c.deployments, t)
		case *corev1.Service:
			c.services = append(c.services, t)
		case *policyv1.PodDisruptionBudget:
			c.pdbs = append(c.pdbs, t)
		case *autoscalingv2.HorizontalPodAutoscaler:
			c.hpas = append(c.hpas, t)
		case *networkingv1.NetworkPolicy:
			c.netpols = append(c.netpols, t)
		case *monitoringv1.ServiceMonitor:
			c.monitors = append(c.monitors, t)
		case *corev1.ConfigMap:
			c.configMaps[t.Name] = t
		case *corev1.Secret:
			c.secrets[t.Name] = t
		case *corev1.ServiceAccount:
			c.accounts[t.Name] = true
		case *Certificate:
			c.certs = append(c.certs, t)
		case *KafkaUser:
			c.kafkaUsers[t.Name] = t
		case *KafkaTopic:
			c.topics[t.Name] = t
		}
	}
	return c
}

func (c *checker) bad(what string, format string, args ...any) {
	c.problems = append(c.problems, what+": "+fmt.Sprintf(format, args...))
}

func (c *checker) run() []string {
	c.checkMetadata()
	if len(c.deployments) == 0 {
		c.bad("manifest", "no Deployment rendered")
	}
	for _, d := range c.deployments {
		c.checkDeployment(d)
	}
	for _, s := range c.services {
		c.checkService(s)
	}
	for _, p := range c.pdbs {
		c.checkPDB(p)
	}
	for _, h := range c.hpas {
		c.checkHPA(h)
	}
	for _, np := range c.netpols {
		c.checkNetworkPolicy(np)
	}
	for _, m := range c.monitors {
		c.checkServiceMonitor(m)
	}
	c.checkCalls()
	c.checkKafka()
	c.checkFlags()
	for _, o := range c.objs {
		c.problems = append(c.problems, checkCustom(o)...)
	}
	return c.problems
}

// --- metadata -------------------------------------------------------------------------

func (c *checker) checkMetadata() {
	seen := map[string]bool{}
	for _, o := range c.objs {
		key := o.GVK.GroupKind().String() + "/" + o.Name
		if seen[key] {
			c.bad(o.String(), "rendered twice")
		}
		seen[key] = true
		if o.Name == "" {
			c.bad(o.String(), "no metadata.name")
			continue
		}
		var errs []string
		switch o.Kind {
		case "Service":
			errs = validation.IsDNS1035Label(o.Name)
		case "Deployment", "ConfigMap", "Secret", "ServiceAccount", "PodDisruptionBudget",
			"HorizontalPodAutoscaler", "NetworkPolicy", "ServiceMonitor", "KafkaTopic", "KafkaUser", "Certificate":
			errs = validation.IsDNS1123Subdomain(o.Name)
		}
		for _, e := range errs {
			c.bad(o.String(), "name: %s", e)
		}
		if o.Meta.Namespace != "" && o.Meta.Namespace != c.opts.Namespace {
			c.bad(o.String(), "namespace %q outside the release's %q", o.Meta.Namespace, c.opts.Namespace)
		}
		c.checkLabels(o.String(), o.Meta.Labels)
		for _, want := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by", "helm.sh/chart"} {
			if o.Meta.Labels[want] == "" {
				c.bad(o.String(), "no %s label", want)
			}
		}
		for k := range o.Meta.Annotations {
			for _, e := range validation.IsQualifiedName(k) {
				c.bad(o.String(), "annotation %q: %s", k, e)
			}
		}
	}
}

func (c *checker) checkLabels(what string, l map[string]string) {
	for k, v := range l {
		for _, e := range validation.IsQualifiedName(k) {
			c.bad(what, "label key %q: %s", k, e)
		}
		for _, e := range validation.IsValidLabelValue(v) {
			c.bad(what, "label %s=%q: %s", k, v, e)
		}
	}
}

// --- Deployments ------------------------------------------------------------------------

func selects(sel *metav1.LabelSelector, l map[string]string) bool {
	if sel == nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || s.Empty() {
		return false
	}
	return s.Matches(labels.Set(l))
}

func selectsMap(sel map[string]string, l map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	return labels.SelectorFromSet(sel).Matches(labels.Set(l))
}

func (c *checker) deploymentsSelectedBy(match func(map[string]string) bool) []*appsv1.Deployment {
	var out []*appsv1.Deployment
	for _, d := range c.deployments {
		if match(d.Spec.Template.Labels) {
			out = append(out, d)
		}
	}
	return out
}

func (c *checker) checkDeployment(d *appsv1.Deployment) {
	what := "Deployment " + d.Name
	pod := &d.Spec.Template.Spec
	podLabels := d.Spec.Template.Labels
	c.checkLabels(what+" pod template", podLabels)
	if d.Spec.Selector == nil || len(d.Spec.Selector.MatchLabels)+len(d.Spec.Selector.MatchExpressions) == 0 {
		c.bad(what, "no selector")
	} else if _, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err != nil {
		c.bad(what, "selector: %v", err)
	} else if !selects(d.Spec.Selector, podLabels) {
		c.bad(what, "selector %v does not match its pod labels %v", d.Spec.Selector.MatchLabels, podLabels)
	}
	if others := c.deploymentsSelectedBy(func(l map[string]string) bool { return selects(d.Spec.Selector, l) }); len(others) > 1 {
		c.bad(what, "selector also matches the pods of %s", deploymentNames(others, d))
	}

	// Pod security.
	psc := pod.SecurityContext
	if pod.HostNetwork || pod.HostPID || pod.HostIPC {
		c.bad(what, "uses the host's network, PID or IPC namespace")
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		c.bad(what, "automountServiceAccountToken is not false (the services never call the API)")
	}
	if sa := pod.ServiceAccountName; sa != "" && sa != "default" && !c.accounts[sa] {
		c.bad(what, "ServiceAccount %q is not rendered", sa)
	}
	if len(pod.Containers) == 0 {
		c.bad(what, "no containers")
	}
	volumes := map[string]*corev1.Volume{}
	for i := range pod.Volumes {
		v := &pod.Volumes[i]
		if volumes[v.Name] != nil {
			c.bad(what, "volume %q twice", v.Name)
		}
		volumes[v.Name] = v
		c.checkVolumeRefs(what, v)
	}
	mounted := map[string]bool{}
	for _, s := range pod.ImagePullSecrets {
		c.checkRef(what+" imagePullSecrets", "Secret", s.Name, "")
	}
	all := append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...)
	for i := range all {
		ctr := &all[i]
		isInit := i < len(pod.InitContainers)
		cw := fmt.Sprintf("%s container %s", what, ctr.Name)
		for _, e := range validation.IsDNS1123Label(ctr.Name) {
			c.bad(cw, "name: %s", e)
		}
		c.checkImage(cw, ctr.Image)
		c.checkContainerSecurity(cw, ctr, psc)
		c.checkResources(cw, ctr)
		if !isInit {
			c.checkProbes(cw, ctr)
		}
		portNames := map[string]bool{}
		for _, p := range ctr.Ports {
			if p.Name != "" {
				for _, e := range validation.IsValidPortName(p.Name) {
					c.bad(cw, "port name %q: %s", p.Name, e)
				}
				if portNames[p.Name] {
					c.bad(cw, "port name %q twice", p.Name)
				}
				portNames[p.Name] = true
			}
		}
		paths := map[string]bool{}
		tmpWritable := false
		for _, m := range ctr.VolumeMounts {
			mounted[m.Name] = true
			v := volumes[m.Name]
			if v == nil {
				c.bad(cw, "mounts volume %q, which the pod does not define", m.Name)
				continue
			}
			if paths[m.MountPath] {
				c.bad(cw, "two mounts at %s", m.MountPath)
			}
			paths[m.MountPath] = true
			if m.MountPath == "/tmp" && v.EmptyDir != nil && !m.ReadOnly {
				tmpWritable = true
			}
			if (v.Secret != nil || v.Projected != nil) && !m.ReadOnly {
				c.bad(cw, "Secret volume %q mounted read-write", m.Name)
			}
		}
		if ctr.SecurityContext != nil && ptrTrue(ctr.SecurityContext.ReadOnlyRootFilesystem) && !tmpWritable {
			c.bad(cw, "read-only root filesystem but no writable emptyDir at /tmp")
		}
		for _, e := range ctr.Env {
			if e.ValueFrom != nil {
				if r := e.ValueFrom.SecretKeyRef; r != nil && !ptrTrue(r.Optional) {
					c.checkRef(cw+" env "+e.Name, "Secret", r.Name, r.Key)
				}
				if r := e.ValueFrom.ConfigMapKeyRef; r != nil && !ptrTrue(r.Optional) {
					c.checkRef(cw+" env "+e.Name, "ConfigMap", r.Name, r.Key)
				}
			}
		}
		for _, e := range ctr.EnvFrom {
			if r := e.SecretRef; r != nil && !ptrTrue(r.Optional) {
				c.checkRef(cw+" envFrom", "Secret", r.Name, "")
			}
			if r := e.ConfigMapRef; r != nil && !ptrTrue(r.Optional) {
				c.checkRef(cw+" envFrom", "ConfigMap", r.Name, "")
			}
		}
	}
	for name := range volumes {
		if !mounted[name] {
			c.bad(what, "volume %q is never mounted", name)
		}
	}
	if psc == nil || !ptrTrue(psc.RunAsNonRoot) {
		for _, ctr := range all {
			if ctr.SecurityContext == nil || !ptrTrue(ctr.SecurityContext.RunAsNonRoot) {
				c.bad(what, "runAsNonRoot is not set (pod or container %s)", ctr.Name)
			}
		}
	}
	if psc != nil && psc.RunAsUser != nil && *psc.RunAsUser == 0 {
		c.bad(what, "runAsUser 0")
	}

	// What every Deployment must come with.
	hpa := c.hpaFor(d)
	if hpa == nil {
		c.bad(what, "no HorizontalPodAutoscaler targets it")
	} else if d.Spec.Replicas != nil {
		c.bad(what, "sets spec.replicas although HPA %s scales it (every upgrade would reset the scale)", hpa.Name)
	}
	if pdbs := c.pdbsFor(podLabels); len(pdbs) == 0 {
		c.bad(what, "no PodDisruptionBudget selects its pods")
	} else if len(pdbs) > 1 {
		c.bad(what, "%d PodDisruptionBudgets select its pods (the eviction API refuses that)", len(pdbs))
	}
	if nps := c.netpolsFor(podLabels); len(nps) == 0 {
		c.bad(what, "no NetworkPolicy selects its pods")
	} else {
		in, out := false, false
		for _, np := range nps {
			for _, t := range np.Spec.PolicyTypes {
				in = in || t == networkingv1.PolicyTypeIngress
				out = out || t == networkingv1.PolicyTypeEgress
			}
		}
		if !in || !out {
			c.bad(what, "its NetworkPolicies do not restrict both ingress and egress")
		}
	}
	found := false
	for _, s := range c.services {
		found = found || selectsMap(s.Spec.Selector, podLabels)
	}
	if !found {
		c.bad(what, "no Service selects its pods")
	}
}

func deploymentNames(ds []*appsv1.Deployment, except *appsv1.Deployment) string {
	var n []string
	for _, d := range ds {
		if d != except {
			n = append(n, d.Name)
		}
	}
	return strings.Join(n, ", ")
}

func ptrTrue(b *bool) bool { return b != nil && *b }

func (c *checker) checkImage(what, image string) {
	if image == "" {
		c.bad(what, "no image")
		return
	}
	if strings.Contains(image, "@sha256:") {
		return
	}
	slash := strings.LastIndex(image, "/")
	colon := strings.LastIndex(image, ":")
	if colon < slash || colon == len(image)-1 {
		c.bad(what, "image %q has no tag", image)
	} else if strings.HasSuffix(image, ":latest") {
		c.bad(what, "image %q uses the latest tag", image)
	}
}

func (c *checker) checkContainerSecurity(what string, ctr *corev1.Container, psc *corev1.PodSecurityContext) {
	sc := ctr.SecurityContext
	if sc == nil {
		c.bad(what, "no securityContext")
		return
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		c.bad(what, "allowPrivilegeEscalation is not false")
	}
	if !ptrTrue(sc.ReadOnlyRootFilesystem) {
		c.bad(what, "readOnlyRootFilesystem is not true")
	}
	if ptrTrue(sc.Privileged) {
		c.bad(what, "privileged")
	}
	dropsAll := false
	if sc.Capabilities != nil {
		for _, d := range sc.Capabilities.Drop {
			dropsAll = dropsAll || d == "ALL"
		}
		if len(sc.Capabilities.Add) > 0 {
			c.bad(what, "adds capabilities %v", sc.Capabilities.Add)
		}
	}
	if !dropsAll {
		c.bad(what, "does not drop ALL capabilities")
	}
	seccomp := sc.SeccompProfile
	if seccomp == nil && psc != nil {
		seccomp = psc.SeccompProfile
	}
	if seccomp == nil || (seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault && seccomp.Type != corev1.SeccompProfileTypeLocalhost) {
		c.bad(what, "seccompProfile is not RuntimeDefault (pod or container)")
	}
	if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		c.bad(what, "runAsUser 0")
	}
}

func (c *checker) checkResources(what string, ctr *corev1.Container) {
	r := ctr.Resources
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := r.Requests[name]; !ok || q.IsZero() {
			c.bad(what, "no %s request", name)
		}
	}
	if q, ok := r.Limits[corev1.ResourceMemory]; !ok || q.IsZero() {
		c.bad(what, "no memory limit")
	}
	for name, lim := range r.Limits {
		if req, ok := r.Requests[name]; ok && req.Cmp(lim) > 0 {
			c.bad(what, "%s request %s above its limit %s", name, req.String(), lim.String())
		}
	}
}

func (c *checker) checkProbes(what string, ctr *corev1.Container) {
	probes := map[string]*corev1.Probe{"readinessProbe": ctr.ReadinessProbe, "livenessProbe": ctr.LivenessProbe}
	if ctr.StartupProbe != nil {
		probes["startupProbe"] = ctr.StartupProbe
	}
	for _, kind := range []string{"readinessProbe", "livenessProbe", "startupProbe"} {
		p, listed := probes[kind]
		if !listed {
			continue
		}
		if p == nil {
			c.bad(what, "no %s", kind)
			continue
		}
		h := p.ProbeHandler
		n := 0
		var port *intstr.IntOrString
		if h.Exec != nil {
			n++
			if len(h.Exec.Command) == 0 || !strings.HasPrefix(h.Exec.Command[0], "/") {
				c.bad(what, "%s exec command must start with an absolute path", kind)
			}
			for _, a := range h.Exec.Command {
				if v, ok := strings.CutPrefix(a, "--addr="); ok {
					_, ps, err := net.SplitHostPort(v)
					pn, _ := strconv.Atoi(ps)
					if err != nil || !hasPort(ctr, intstr.FromInt32(int32(pn))) {
						c.bad(what, "%s checks %s, not a port of the container", kind, v)
					}
				}
			}
		}
		if h.HTTPGet != nil {
			n++
			port = &h.HTTPGet.Port
		}
		if h.TCPSocket != nil {
			n++
			port = &h.TCPSocket.Port
		}
		if h.GRPC != nil {
			n++
			p := intstr.FromInt32(h.GRPC.Port)
			port = &p
		}
		if n != 1 {
			c.bad(what, "%s has %d handlers, want exactly one", kind, n)
		}
		if port != nil && !hasPort(ctr, *port) {
			c.bad(what, "%s probes port %s, not a port of the container", kind, port.String())
		}
		if p.TimeoutSeconds > 0 && p.PeriodSeconds > 0 && p.TimeoutSeconds > p.PeriodSeconds {
			c.bad(what, "%s timeout %ds longer than its period %ds", kind, p.TimeoutSeconds, p.PeriodSeconds)
		}
	}
}

func hasPort(ctr *corev1.Container, p intstr.IntOrString) bool {
	for _, cp := range ctr.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return true
		}
	}
	return false
}

// containerPort resolves a port (number or name) against a pod's containers: its number.
func containerPort(pod *corev1.PodSpec, p intstr.IntOrString) (int32, string, bool) {
	for _, ctr := range pod.Containers {
		for _, cp := range ctr.Ports {
			if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
				return cp.ContainerPort, cp.Name, true
			}
		}
	}
	return 0, "", false
}

func (c *checker) checkVolumeRefs(what string, v *corev1.Volume) {
	refKeys := func(items []corev1.KeyToPath) []string {
		var keys []string
		for _, it := range items {
			keys = append(keys, it.Key)
		}
		if len(keys) == 0 {
			keys = []string{""}
		}
		return keys
	}
	if s := v.Secret; s != nil && !ptrTrue(s.Optional) {
		for _, k := range refKeys(s.Items) {
			c.checkRef(what+" volume "+v.Name, "Secret", s.SecretName, k)
		}
	}
	if cm := v.ConfigMap; cm != nil && !ptrTrue(cm.Optional) {
		for _, k := range refKeys(cm.Items) {
			c.checkRef(what+" volume "+v.Name, "ConfigMap", cm.Name, k)
		}
	}
	if p := v.Projected; p != nil {
		for _, src := range p.Sources {
			if s := src.Secret; s != nil && !ptrTrue(s.Optional) {
				for _, k := range refKeys(s.Items) {
					c.checkRef(what+" volume "+v.Name, "Secret", s.Name, k)
				}
			}
			if cm := src.ConfigMap; cm != nil && !ptrTrue(cm.Optional) {
				for _, k := range refKeys(cm.Items) {
					c.checkRef(what+" volume "+v.Name, "ConfigMap", cm.Name, k)
				}
			}
		}
	}
}

// checkRef: a Secret or ConfigMap the pods need exists once the release is installed:
// rendered by the chart (with the key), written by cert-manager for a rendered
// Certificate or by Strimzi's User Operator for a rendered KafkaUser (with one of the keys
// those write), or named in the rendered NOTES.txt as one the operator creates.
func (c *checker) checkRef(what, kind, name, key string) {
	if name == "" {
		c.bad(what, "%s with no name", kind)
		return
	}
	if kind == "ConfigMap" {
		if cm, ok := c.configMaps[name]; ok {
			if _, has := cm.Data[key]; key != "" && !has {
				if _, hasBin := cm.BinaryData[key]; !hasBin {
					c.bad(what, "ConfigMap %s has no key %q", name, key)
				}
			}
			return
		}
	} else {
		if s, ok := c.secrets[name]; ok {
			_, d := s.Data[key]
			_, sd := s.StringData[key]
			if key != "" && !d && !sd {
				c.bad(what, "Secret %s has no key %q", name, key)
			}
			return
		}
		for _, cert := range c.certs {
			if cert.Spec.SecretName == name {
				if key != "" && key != "tls.crt" && key != "tls.key" && key != "ca.crt" {
					c.bad(what, "Secret %s (cert-manager) has no key %q", name, key)
				}
				return
			}
		}
		if u, ok := c.kafkaUsers[name]; ok {
			// What the User Operator writes: a SCRAM user's password, a tls user's
			// certificate, key and the clients CA's certificate.
			keys := map[string]bool{"password": true, "sasl.jaas.config": true}
			if u.Spec.Authentication.Type == "tls" {
				keys = map[string]bool{"user.crt": true, "user.key": true, "user.p12": true, "user.password": true, "ca.crt": true}
			}
			if key != "" && !keys[key] {
				c.bad(what, "Secret %s (Strimzi KafkaUser) has no key %q", name, key)
			}
			return
		}
	}
	if regexp.MustCompile(`(^|[^A-Za-z0-9.-])` + regexp.QuoteMeta(name) + `($|[^A-Za-z0-9-])`).MatchString(c.notes) {
		return
	}
	c.bad(what, "%s %q is not rendered, not made by an operator from a rendered resource, and not listed in NOTES.txt as one to create", kind, name)
}

// --- PDB, HPA, Service, ServiceMonitor --------------------------------------------------

func (c *checker) pdbsFor(podLabels map[string]string) []*policyv1.PodDisruptionBudget {
	var out []*policyv1.PodDisruptionBudget
	for _, p := range c.pdbs {
		if selects(p.Spec.Selector, podLabels) {
			out = append(out, p)
		}
	}
	return out
}

func (c *checker) netpolsFor(podLabels map[string]string) []*networkingv1.NetworkPolicy {
	var out []*networkingv1.NetworkPolicy
	for _, np := range c.netpols {
		if s, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector); err == nil && s.Matches(labels.Set(podLabels)) {
			out = append(out, np)
		}
	}
	return out
}

func (c *checker) hpaFor(d *appsv1.Deployment) *autoscalingv2.HorizontalPodAutoscaler {
	for _, h := range c.hpas {
		r := h.Spec.ScaleTargetRef
		if r.Kind == "Deployment" && r.Name == d.Name && r.APIVersion == "apps/v1" {
			return h
		}
	}
	return nil
}

func (c *checker) checkPDB(p *policyv1.PodDisruptionBudget) {
	what := "PodDisruptionBudget " + p.Name
	ds := c.deploymentsSelectedBy(func(l map[string]string) bool { return selects(p.Spec.Selector, l) })
	if len(ds) != 1 {
		c.bad(what, "selects the pods of %d Deployments, want 1", len(ds))
		return
	}
	if (p.Spec.MinAvailable == nil) == (p.Spec.MaxUnavailable == nil) {
		c.bad(what, "set exactly one of minAvailable and maxUnavailable")
	}
	if m := p.Spec.MinAvailable; m != nil && m.Type == intstr.Int {
		floor := int32(1)
		if ds[0].Spec.Replicas != nil {
			floor = *ds[0].Spec.Replicas
		}
		if h := c.hpaFor(ds[0]); h != nil && h.Spec.MinReplicas != nil {
			floor = *h.Spec.MinReplicas
		}
		if m.IntVal >= floor {
			c.bad(what, "minAvailable %d with as few as %d replicas: no pod of %s can ever be evicted (node drains hang)", m.IntVal, floor, ds[0].Name)
		}
	}
}

func (c *checker) checkHPA(h *autoscalingv2.HorizontalPodAutoscaler) {
	what := "HorizontalPodAutoscaler " + h.Name
	var target *appsv1.Deployment
	for _, d := range c.deployments {
		if h.Spec.ScaleTargetRef.Kind == "Deployment" && d.Name == h.Spec.ScaleTargetRef.Name {
			target = d
		}
	}
	if target == nil {
		c.bad(what, "scales %s %s, which is not rendered", h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name)
	}
	if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 1 {
		c.bad(what, "minReplicas must be set and >= 1")
	} else if *h.Spec.MinReplicas > h.Spec.MaxReplicas {
		c.bad(what, "minReplicas %d > maxReplicas %d", *h.Spec.MinReplicas, h.Spec.MaxReplicas)
	}
	if len(h.Spec.Metrics) == 0 {
		c.bad(what, "no metrics")
	}
}

func (c *checker) checkService(s *corev1.Service) {
	what := "Service " + s.Name
	ds := c.deploymentsSelectedBy(func(l map[string]string) bool { return selectsMap(s.Spec.Selector, l) })
	if len(ds) != 1 {
		c.bad(what, "selects the pods of %d Deployments, want 1", len(ds))
		return
	}
	for _, p := range s.Spec.Ports {
		target := p.TargetPort
		if target.Type == intstr.Int && target.IntVal == 0 {
			target = intstr.FromInt32(p.Port)
		}
		if _, _, ok := containerPort(&ds[0].Spec.Template.Spec, target); !ok {
			c.bad(what, "port %s targets %s, which %s's pods do not expose", p.Name, target.String(), ds[0].Name)
		}
	}
}

func (c *checker) checkServiceMonitor(m *monitoringv1.ServiceMonitor) {
	what := "ServiceMonitor " + m.Name
	ns := m.Spec.NamespaceSelector
	if !ns.Any && len(ns.MatchNames) > 0 && !contains(ns.MatchNames, c.opts.Namespace) {
		c.bad(what, "namespaceSelector does not include %s", c.opts.Namespace)
	}
	var matched []*corev1.Service
	for _, s := range c.services {
		if selects(&m.Spec.Selector, s.Labels) {
			matched = append(matched, s)
		}
	}
	if len(matched) == 0 {
		c.bad(what, "selects no rendered Service")
	}
	if len(m.Spec.Endpoints) == 0 {
		c.bad(what, "no endpoints")
	}
	for _, e := range m.Spec.Endpoints {
		if e.Port == "" {
			c.bad(what, "endpoint without a port name")
			continue
		}
		for _, s := range matched {
			found := false
			for _, p := range s.Spec.Ports {
				found = found || p.Name == e.Port
			}
			if !found {
				c.bad(what, "Service %s has no port %q", s.Name, e.Port)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// --- NetworkPolicies and who calls whom --------------------------------------------------

func (c *checker) checkNetworkPolicy(np *networkingv1.NetworkPolicy) {
	what := "NetworkPolicy " + np.Name
	ds := c.deploymentsSelectedBy(func(l map[string]string) bool {
		s, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		return err == nil && !s.Empty() && s.Matches(labels.Set(l))
	})
	if len(ds) == 0 {
		c.bad(what, "selects no rendered Deployment's pods")
		return
	}
	for _, d := range ds {
		pod := &d.Spec.Template.Spec
		for i, r := range np.Spec.Ingress {
			if len(r.From) > 0 {
				continue
			}
			// Open to every source: only for ports that are not gRPC or metrics.
			if len(r.Ports) == 0 {
				c.bad(what, "ingress rule %d admits anyone on every port of %s", i, d.Name)
			}
			for _, p := range r.Ports {
				if p.Port == nil {
					c.bad(what, "ingress rule %d admits anyone on every port of %s", i, d.Name)
					continue
				}
				if _, name, ok := containerPort(pod, *p.Port); ok && (name == "grpc" || name == "metrics") {
					c.bad(what, "ingress rule %d admits anyone to %s's %s port", i, d.Name, name)
				}
			}
		}
	}
	for i, r := range np.Spec.Egress {
		if len(r.To) == 0 {
			c.bad(what, "egress rule %d allows every destination", i)
		}
	}
}

// flagValues collects --name=value from a container's args and its environment twins
// (env and the rendered ConfigMaps of envFrom), args winning.
func (c *checker) flagValues(ctr *corev1.Container) map[string]string {
	out := map[string]string{}
	for _, e := range ctr.EnvFrom {
		if e.ConfigMapRef != nil {
			if cm := c.configMaps[e.ConfigMapRef.Name]; cm != nil {
				for k, v := range cm.Data {
					if f, ok := strings.CutPrefix(k, "SALESOPS_"); ok {
						out[strings.ToLower(f)] = v
					}
				}
			}
		}
	}
	for _, e := range ctr.Env {
		if f, ok := strings.CutPrefix(e.Name, "SALESOPS_"); ok && e.ValueFrom == nil {
			out[strings.ToLower(f)] = e.Value
		}
	}
	for _, a := range ctr.Args {
		if f, ok := strings.CutPrefix(a, "--"); ok {
			name, v, _ := strings.Cut(f, "=")
			out[name] = v
		}
	}
	return out
}

// checkCalls: every --<service>_addr=<Service>:<port> a Deployment dials (other than its
// own listen address) reaches a rendered Service and its pods; the caller's NetworkPolicy
// lets the call out and the callee's lets it in; with TLS, the callee's certificate names
// the host dialled, and each probe's --tls_server_name is in its own certificate. DNS,
// Redis and Kafka ports must be allowed out.
func (c *checker) checkCalls() {
	for _, d := range c.deployments {
		for i := range d.Spec.Template.Spec.Containers {
			ctr := &d.Spec.Template.Spec.Containers[i]
			what := fmt.Sprintf("Deployment %s container %s", d.Name, ctr.Name)
			flags := c.flagValues(ctr)
			names := make([]string, 0, len(flags))
			for k := range flags {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, f := range names {
				v := flags[f]
				if !strings.HasSuffix(f, "_addr") || v == "" || f == "redis_addr" {
					continue
				}
				host, ps, err := net.SplitHostPort(v)
				if err != nil || host == "0.0.0.0" || host == "127.0.0.1" || host == "::" {
					continue
				}
				port, _ := strconv.Atoi(ps)
				c.checkCall(what, d, f, host, int32(port))
			}
			if len(c.netpols) == 0 {
				continue
			}
			nps := c.netpolsFor(d.Spec.Template.Labels)
			need := []struct {
				why   string
				port  int32
				proto corev1.Protocol
			}{{"DNS", 53, corev1.ProtocolUDP}}
			for _, hp := range splitList(flags["redis_addr"]) {
				if flags["redis_sentinels"] == "" {
					need = append(need, struct {
						why   string
						port  int32
						proto corev1.Protocol
					}{"Redis " + hp, portOf(hp), corev1.ProtocolTCP})
				}
			}
			for _, key := range []string{"redis_sentinels", "kafka_bootstrap"} {
				for _, hp := range splitList(flags[key]) {
					need = append(need, struct {
						why   string
						port  int32
						proto corev1.Protocol
					}{key + " " + hp, portOf(hp), corev1.ProtocolTCP})
				}
			}
			for _, n := range need {
				if n.port == 0 {
					c.bad(what, "%s: no port", n.why)
					continue
				}
				if !egressAllowsPortSomewhere(nps, n.port, n.proto) {
					c.bad(what, "its NetworkPolicy allows no egress to %s (port %d/%s)", n.why, n.port, n.proto)
				}
			}
		}
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func portOf(hostPort string) int32 {
	_, ps, err := net.SplitHostPort(hostPort)
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(ps)
	return int32(p)
}

func (c *checker) checkCall(what string, caller *appsv1.Deployment, flag, host string, port int32) {
	var svc *corev1.Service
	for _, s := range c.services {
		if s.Name == host || strings.HasPrefix(host, s.Name+".") {
			svc = s
		}
	}
	if svc == nil {
		c.bad(what, "--%s dials %s, which is no rendered Service", flag, host)
		return
	}
	var sp *corev1.ServicePort
	for i := range svc.Spec.Ports {
		if svc.Spec.Ports[i].Port == port {
			sp = &svc.Spec.Ports[i]
		}
	}
	if sp == nil {
		c.bad(what, "--%s dials port %d, which Service %s does not have", flag, port, svc.Name)
		return
	}
	callees := c.deploymentsSelectedBy(func(l map[string]string) bool { return selectsMap(svc.Spec.Selector, l) })
	if len(callees) != 1 {
		return // reported by checkService
	}
	callee := callees[0]
	target := sp.TargetPort
	if target.Type == intstr.Int && target.IntVal == 0 {
		target = intstr.FromInt32(sp.Port)
	}
	cport, _, ok := containerPort(&callee.Spec.Template.Spec, target)
	if !ok {
		return // reported by checkService
	}
	if len(c.netpols) > 0 {
		if !policiesAllow(c.netpolsFor(caller.Spec.Template.Labels), networkingv1.PolicyTypeEgress, callee.Spec.Template.Labels, c.nsLabels, &callee.Spec.Template.Spec, cport) {
			c.bad(what, "--%s: its NetworkPolicy does not let it reach %s on port %d", flag, callee.Name, cport)
		}
		if !policiesAllow(c.netpolsFor(callee.Spec.Template.Labels), networkingv1.PolicyTypeIngress, caller.Spec.Template.Labels, c.nsLabels, &callee.Spec.Template.Spec, cport) {
			c.bad(what, "--%s: %s's NetworkPolicy does not let it in on port %d", flag, callee.Name, cport)
		}
	}
	// mTLS: the callee's certificate must name the host the caller dials.
	if cert := c.certForDeployment(callee); cert != nil && !contains(cert.Spec.DNSNames, host) {
		c.bad(what, "--%s dials %s, but %s's certificate names only %v", flag, host, callee.Name, cert.Spec.DNSNames)
	}
}

// certForDeployment: the rendered Certificate whose Secret the Deployment serves TLS from.
func (c *checker) certForDeployment(d *appsv1.Deployment) *Certificate {
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Secret == nil {
			continue
		}
		for _, cert := range c.certs {
			if cert.Spec.SecretName == v.Secret.SecretName {
				for _, ctr := range d.Spec.Template.Spec.Containers {
					for _, a := range ctr.Args {
						if strings.HasPrefix(a, "--tls_cert_file=") {
							return cert
						}
					}
				}
			}
		}
	}
	return nil
}

func peerMatches(peer networkingv1.NetworkPolicyPeer, podLabels, nsLabels map[string]string) bool {
	if peer.IPBlock != nil {
		return false // ipBlocks are for addresses outside the cluster
	}
	if peer.NamespaceSelector != nil {
		s, err := metav1.LabelSelectorAsSelector(peer.NamespaceSelector)
		if err != nil || !s.Matches(labels.Set(nsLabels)) {
			return false
		}
	}
	if peer.PodSelector != nil {
		s, err := metav1.LabelSelectorAsSelector(peer.PodSelector)
		if err != nil || !s.Matches(labels.Set(podLabels)) {
			return false
		}
	}
	return peer.NamespaceSelector != nil || peer.PodSelector != nil
}

func portMatches(ports []networkingv1.NetworkPolicyPort, dstPod *corev1.PodSpec, port int32, proto corev1.Protocol) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		pp := corev1.ProtocolTCP
		if p.Protocol != nil {
			pp = *p.Protocol
		}
		if pp != proto {
			continue
		}
		if p.Port == nil {
			return true
		}
		if p.Port.Type == intstr.String {
			if dstPod == nil {
				continue
			}
			if n, _, ok := containerPort(dstPod, *p.Port); ok && n == port {
				return true
			}
			continue
		}
		end := p.Port.IntVal
		if p.EndPort != nil {
			end = *p.EndPort
		}
		if port >= p.Port.IntVal && port <= end {
			return true
		}
	}
	return false
}

// policiesAllow: do these policies (all selecting one pod) allow traffic to (egress) or
// from (ingress) a pod with peerLabels in a namespace with nsLabels on a TCP port of
// dstPod? No policy of that type selecting the pod means allowed.
func policiesAllow(nps []*networkingv1.NetworkPolicy, typ networkingv1.PolicyType, peerLabels, nsLabels map[string]string, dstPod *corev1.PodSpec, port int32) bool {
	applies := false
	for _, np := range nps {
		has := false
		for _, t := range np.Spec.PolicyTypes {
			has = has || t == typ
		}
		if !has {
			continue
		}
		applies = true
		// A rule lets the connection through when it covers the port and names no peers
		// (everyone) or a matching one.
		allows := func(ports []networkingv1.NetworkPolicyPort, peers []networkingv1.NetworkPolicyPeer) bool {
			if !portMatches(ports, dstPod, port, corev1.ProtocolTCP) {
				return false
			}
			if len(peers) == 0 {
				return true
			}
			for _, peer := range peers {
				if peerMatches(peer, peerLabels, nsLabels) {
					return true
				}
			}
			return false
		}
		if typ == networkingv1.PolicyTypeIngress {
			for _, r := range np.Spec.Ingress {
				if allows(r.Ports, r.From) {
					return true
				}
			}
		} else {
			for _, r := range np.Spec.Egress {
				if allows(r.Ports, r.To) {
					return true
				}
			}
		}
	}
	return !applies
}

func egressAllowsPortSomewhere(nps []*networkingv1.NetworkPolicy, port int32, proto corev1.Protocol) bool {
	applies := false
	for _, np := range nps {
		for _, t := range np.Spec.PolicyTypes {
			if t != networkingv1.PolicyTypeEgress {
				continue
			}
			applies = true
			for _, r := range np.Spec.Egress {
				if len(r.To) > 0 && portMatches(r.Ports, nil, port, proto) {
					return true
				}
			}
		}
	}
	return !applies
}

// --- Kafka ------------------------------------------------------------------------------

func (c *checker) checkKafka() {
	if len(c.topics) == 0 && len(c.kafkaUsers) == 0 {
		return
	}
	for name, t := range c.topics {
		what := "KafkaTopic " + name
		if t.Spec.TopicName != "" && t.Spec.TopicName != name {
			c.bad(what, "topicName %q differs from its name", t.Spec.TopicName)
		}
		minISR, err := strconv.Atoi(t.Spec.Config["min.insync.replicas"].Raw)
		if err != nil {
			c.bad(what, "no numeric min.insync.replicas (acks=all needs it >= 2)")
		} else if minISR < 2 || int32(minISR) >= t.Spec.Replicas {
			c.bad(what, "min.insync.replicas %d with %d replicas: want 2 <= min.insync.replicas < replicas", minISR, t.Spec.Replicas)
		}
	}
	for _, req := range c.opts.RequiredTopics {
		t, ok := c.topics[req.Name]
		if !ok {
			c.bad("KafkaTopics", "%s (deploy/local/topics.txt) is not rendered", req.Name)
			continue
		}
		if req.Compact && t.Spec.Config["cleanup.policy"].Raw != "compact" {
			c.bad("KafkaTopic "+req.Name, "is compacted in topics.txt but has no cleanup.policy compact")
		}
	}
	clusters := map[string]bool{}
	for _, t := range c.topics {
		clusters[t.Labels["strimzi.io/cluster"]] = true
	}
	for _, u := range c.kafkaUsers {
		clusters[u.Labels["strimzi.io/cluster"]] = true
	}
	if len(clusters) > 1 {
		c.bad("Strimzi resources", "name %d different clusters", len(clusters))
	}
	if len(c.kafkaUsers) == 0 {
		return
	}
	// Each container authenticates as a rendered KafkaUser, the way that user was made:
	// a SCRAM user by --kafka_user (its password file beside it), a tls user by the
	// client certificate in the Secret the User Operator writes for it.
	for _, d := range c.deployments {
		for i := range d.Spec.Template.Spec.Containers {
			ctr := &d.Spec.Template.Spec.Containers[i]
			what := "Deployment " + d.Name
			flags := c.flagValues(ctr)
			if cert := flags["kafka_client_cert_file"]; cert != "" {
				secret := secretMountedAt(&d.Spec.Template.Spec, ctr, cert)
				u := c.kafkaUsers[secret]
				switch {
				case secret == "":
					c.bad(what, "--kafka_client_cert_file=%s is not in a mounted Secret", cert)
				case u == nil:
					c.bad(what, "client certificate from Secret %q, which no KafkaUser writes", secret)
				case u.Spec.Authentication.Type != "tls":
					c.bad(what, "client certificate of KafkaUser %q, whose authentication is %q, not tls", secret, u.Spec.Authentication.Type)
				case u.Labels[componentLabel] != d.Labels[componentLabel]:
					// Another service's user: its ACLs, not this one's.
					c.bad(what, "client certificate of KafkaUser %q, which is %s's user", secret, u.Labels[componentLabel])
				}
				if key := flags["kafka_client_key_file"]; key == "" || secretMountedAt(&d.Spec.Template.Spec, ctr, key) != secret {
					c.bad(what, "--kafka_client_key_file is not from the certificate's Secret %q", secret)
				}
				continue
			}
			user := flags["kafka_user"]
			switch {
			case user == "":
				c.bad(what, "no Kafka user or client certificate although KafkaUsers are rendered")
			case c.kafkaUsers[user] == nil:
				c.bad(what, "Kafka user %q has no KafkaUser", user)
			case !strings.HasPrefix(c.kafkaUsers[user].Spec.Authentication.Type, "scram-sha-"):
				c.bad(what, "SASL as Kafka user %q, whose authentication is %q", user, c.kafkaUsers[user].Spec.Authentication.Type)
			case c.kafkaUsers[user].Labels[componentLabel] != d.Labels[componentLabel]:
				c.bad(what, "SASL as Kafka user %q, which is %s's user", user, c.kafkaUsers[user].Labels[componentLabel])
			case !strings.EqualFold(c.kafkaUsers[user].Spec.Authentication.Type, flags["kafka_sasl_mechanism"]):
				c.bad(what, "--kafka_sasl_mechanism=%s but KafkaUser %q is %s", flags["kafka_sasl_mechanism"], user, c.kafkaUsers[user].Spec.Authentication.Type)
			}
		}
	}
}

const componentLabel = "app.kubernetes.io/component"

// secretMountedAt names the Secret whose volume the container mounts over file's
// directory, or "" when none does.
func secretMountedAt(pod *corev1.PodSpec, ctr *corev1.Container, file string) string {
	dir := path.Dir(file)
	for _, m := range ctr.VolumeMounts {
		if path.Clean(m.MountPath) != dir {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name == m.Name && v.Secret != nil {
				for _, it := range v.Secret.Items {
					if it.Path == path.Base(file) {
						return v.Secret.SecretName
					}
				}
				if len(v.Secret.Items) == 0 {
					return v.Secret.SecretName
				}
			}
		}
	}
	return ""
}

// TopicSpec is one line of deploy/local/topics.txt.
type TopicSpec struct {
	Name    string
	Compact bool
}
