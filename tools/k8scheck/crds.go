package main

// Typed structs for the custom resources the chart renders that have no Go module we can
// use at k8s.io v0.37.2: Strimzi's KafkaTopic and KafkaUser (kafka.strimzi.io/v1beta2;
// Strimzi is a Java project and publishes no Go types) and cert-manager's Certificate
// (cert-manager.io/v1; its Go module would pull its own, different k8s.io release).
//
// They list exactly the fields the chart uses (each is a real field of the upstream CRD
// schema, same JSON name and type), so strict decoding rejects anything else: a field
// added to a template must be added here, after checking it in the upstream CRD. The
// ServiceMonitor uses the prometheus-operator module's own monitoring/v1 types.

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	strimziGV     = schema.GroupVersion{Group: "kafka.strimzi.io", Version: "v1beta2"}
	certManagerGV = schema.GroupVersion{Group: "cert-manager.io", Version: "v1"}
)

// KafkaTopic (Strimzi kafka.strimzi.io/v1beta2): spec.topicName, partitions, replicas, config.
type KafkaTopic struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              KafkaTopicSpec `json:"spec"`
}

type KafkaTopicSpec struct {
	TopicName  string `json:"topicName,omitempty"`
	Partitions int32  `json:"partitions"`
	Replicas   int32  `json:"replicas"`
	// Topic configs (the CRD's x-kubernetes-preserve-unknown-fields map): Kafka topic
	// config names to string or number values.
	Config map[string]ConfigValue `json:"config,omitempty"`
}

// ConfigValue is a topic config value: a string, a number or a boolean (not an object,
// a list or null, which Kafka would not take).
type ConfigValue struct {
	Raw  string // the value as Kafka takes it, without JSON quotes
	json string // as it was written
}

func (v *ConfigValue) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "" || s == "null" || s[0] == '{' || s[0] == '[' {
		return fmt.Errorf("topic config value %s: want a string, number or boolean", s)
	}
	v.Raw, v.json = strings.Trim(s, `"`), s
	return nil
}

func (v ConfigValue) MarshalJSON() ([]byte, error) { return []byte(v.json), nil }

// KafkaUser (Strimzi kafka.strimzi.io/v1beta2): SCRAM authentication and simple ACLs.
type KafkaUser struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              KafkaUserSpec `json:"spec"`
}

type KafkaUserSpec struct {
	Authentication KafkaUserAuthentication `json:"authentication"`
	Authorization  KafkaUserAuthorization  `json:"authorization"`
}

type KafkaUserAuthentication struct {
	Type string `json:"type"` // tls, tls-external, scram-sha-512
}

type KafkaUserAuthorization struct {
	Type string         `json:"type"` // simple
	ACLs []KafkaUserACL `json:"acls"`
}

type KafkaUserACL struct {
	Resource   KafkaACLResource `json:"resource"`
	Operations []string         `json:"operations"`
	Type       string           `json:"type,omitempty"` // allow (default), deny
	Host       string           `json:"host,omitempty"`
}

type KafkaACLResource struct {
	Type        string `json:"type"` // topic, group, cluster, transactionalId
	Name        string `json:"name,omitempty"`
	PatternType string `json:"patternType,omitempty"` // literal (default), prefix
}

// Certificate (cert-manager.io/v1): the fields of a server+client certificate.
type Certificate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              CertificateSpec `json:"spec"`
}

type CertificateSpec struct {
	SecretName  string                 `json:"secretName"`
	IssuerRef   CertificateIssuerRef   `json:"issuerRef"`
	CommonName  string                 `json:"commonName,omitempty"`
	DNSNames    []string               `json:"dnsNames,omitempty"`
	Usages      []string               `json:"usages,omitempty"`
	PrivateKey  *CertificatePrivateKey `json:"privateKey,omitempty"`
	Duration    *metav1.Duration       `json:"duration,omitempty"`
	RenewBefore *metav1.Duration       `json:"renewBefore,omitempty"`
}

type CertificateIssuerRef struct {
	Name  string `json:"name"`
	Kind  string `json:"kind,omitempty"`
	Group string `json:"group,omitempty"`
}

type CertificatePrivateKey struct {
	Algorithm      string `json:"algorithm,omitempty"` // RSA, ECDSA, Ed25519
	Size           int    `json:"size,omitempty"`
	RotationPolicy string `json:"rotationPolicy,omitempty"` // Never, Always
	Encoding       string `json:"encoding,omitempty"`       // PKCS1, PKCS8
}

// The enumerations of the upstream CRD schemas for the fields above.
var (
	strimziAuthTypes    = set("tls", "tls-external", "scram-sha-512")
	strimziACLResources = set("topic", "group", "cluster", "transactionalId")
	strimziPatternTypes = set("literal", "prefix")
	strimziACLTypes     = set("allow", "deny")
	strimziOperations   = set("Read", "Write", "Create", "Delete", "Alter", "Describe",
		"ClusterAction", "AlterConfigs", "DescribeConfigs", "IdempotentWrite", "All")
	certUsages = set("signing", "digital signature", "content commitment", "key encipherment",
		"key agreement", "data encipherment", "cert sign", "crl sign", "encipher only",
		"decipher only", "any", "server auth", "client auth", "code signing",
		"email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user",
		"timestamping", "ocsp signing", "microsoft sgc", "netscape sgc")
	certAlgorithms = set("RSA", "ECDSA", "Ed25519")
)

func set(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, i := range items {
		m[i] = true
	}
	return m
}

// checkCustom validates what the CRDs' OpenAPI schemas would (enums, minimums).
func checkCustom(o *Object) []string {
	var p []string
	bad := func(format string, args ...any) { p = append(p, o.String()+": "+fmt.Sprintf(format, args...)) }
	switch t := o.Typed.(type) {
	case *KafkaTopic:
		if t.Labels["strimzi.io/cluster"] == "" {
			bad("no strimzi.io/cluster label (the Topic Operator ignores it)")
		}
		if t.Spec.Partitions < 1 {
			bad("partitions %d < 1", t.Spec.Partitions)
		}
		if t.Spec.Replicas < 1 || t.Spec.Replicas > 32767 {
			bad("replicas %d out of range", t.Spec.Replicas)
		}
	case *KafkaUser:
		if t.Labels["strimzi.io/cluster"] == "" {
			bad("no strimzi.io/cluster label (the User Operator ignores it)")
		}
		if !strimziAuthTypes[t.Spec.Authentication.Type] {
			bad("authentication.type %q", t.Spec.Authentication.Type)
		}
		if t.Spec.Authorization.Type != "simple" {
			bad("authorization.type %q, want simple", t.Spec.Authorization.Type)
		}
		for i, a := range t.Spec.Authorization.ACLs {
			if !strimziACLResources[a.Resource.Type] {
				bad("acls[%d].resource.type %q", i, a.Resource.Type)
			}
			if a.Resource.PatternType != "" && !strimziPatternTypes[a.Resource.PatternType] {
				bad("acls[%d].resource.patternType %q", i, a.Resource.PatternType)
			}
			if a.Type != "" && !strimziACLTypes[a.Type] {
				bad("acls[%d].type %q", i, a.Type)
			}
			if len(a.Operations) == 0 {
				bad("acls[%d] has no operations", i)
			}
			for _, op := range a.Operations {
				if !strimziOperations[op] {
					bad("acls[%d].operations: %q", i, op)
				}
			}
		}
	case *Certificate:
		if t.Spec.SecretName == "" || t.Spec.IssuerRef.Name == "" {
			bad("secretName and issuerRef.name are required")
		}
		for _, u := range t.Spec.Usages {
			if !certUsages[u] {
				bad("usage %q", u)
			}
		}
		if k := t.Spec.PrivateKey; k != nil && k.Algorithm != "" && !certAlgorithms[k.Algorithm] {
			bad("privateKey.algorithm %q", k.Algorithm)
		}
		if t.Spec.Duration != nil && t.Spec.RenewBefore != nil && t.Spec.RenewBefore.Duration >= t.Spec.Duration.Duration {
			bad("renewBefore %s is not shorter than duration %s", t.Spec.RenewBefore.Duration, t.Spec.Duration.Duration)
		}
		if t.Spec.Duration != nil && t.Spec.Duration.Duration < time.Hour {
			bad("duration %s below cert-manager's minimum of 1h", t.Spec.Duration.Duration)
		}
		if len(t.Spec.CommonName) > 64 {
			bad("commonName longer than 64 characters")
		}
	}
	return p
}
