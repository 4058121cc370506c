package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Object is one rendered document, decoded into its typed Go API struct.
type Object struct {
	Source string // the template it came from (Helm's "# Source:" line)
	GVK    schema.GroupVersionKind
	Kind   string
	Name   string
	Typed  any // *appsv1.Deployment, *monitoringv1.ServiceMonitor, *KafkaTopic, ...
	Meta   *metav1.ObjectMeta
}

func (o *Object) String() string {
	return fmt.Sprintf("%s %s (%s)", o.Kind, o.Name, o.Source)
}

// Kinds that are not in k8s.io/api: their typed structs.
var customKinds = map[schema.GroupVersionKind]func() (any, *metav1.ObjectMeta){
	monitoringv1.SchemeGroupVersion.WithKind("ServiceMonitor"): func() (any, *metav1.ObjectMeta) {
		o := &monitoringv1.ServiceMonitor{}
		return o, &o.ObjectMeta
	},
	strimziGV.WithKind("KafkaTopic"): func() (any, *metav1.ObjectMeta) {
		o := &KafkaTopic{}
		return o, &o.ObjectMeta
	},
	strimziGV.WithKind("KafkaUser"): func() (any, *metav1.ObjectMeta) {
		o := &KafkaUser{}
		return o, &o.ObjectMeta
	},
	certManagerGV.WithKind("Certificate"): func() (any, *metav1.ObjectMeta) {
		o := &Certificate{}
		return o, &o.ObjectMeta
	},
}

var sourceLine = regexp.MustCompile(`(?m)^# Source: (.+)$`)

// Decode splits a multi-document manifest and decodes every non-empty document strictly:
// YAML duplicate keys, unknown fields (case-sensitively, as the API server's strict field
// validation does), type mismatches and kinds without a Go type are errors.
func Decode(manifest string) ([]*Object, []string) {
	var objs []*Object
	var problems []string
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	for i := 1; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("document %d: %v", i, err))
			break
		}
		source := fmt.Sprintf("document %d", i)
		if m := sourceLine.FindSubmatch(doc); m != nil {
			source = string(m[1])
		}
		obj, err := decodeOne(doc, source)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", source, err))
			continue
		}
		if obj != nil {
			objs = append(objs, obj)
		}
	}
	return objs, problems
}

func decodeOne(doc []byte, source string) (*Object, error) {
	if len(bytes.TrimSpace(stripComments(doc))) == 0 {
		return nil, nil
	}
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, fmt.Errorf("YAML: %w", err)
	}
	if string(js) == "null" {
		return nil, nil
	}
	var tm metav1.TypeMeta
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(js, &tm); err != nil {
		return nil, fmt.Errorf("apiVersion/kind: %w", err)
	}
	if tm.APIVersion == "" || tm.Kind == "" {
		return nil, errors.New("no apiVersion or kind")
	}
	gv, err := schema.ParseGroupVersion(tm.APIVersion)
	if err != nil {
		return nil, err
	}
	gvk := gv.WithKind(tm.Kind)

	var typed any
	var meta *metav1.ObjectMeta
	if mk, ok := customKinds[gvk]; ok {
		typed, meta = mk()
	} else if clientgoscheme.Scheme.Recognizes(gvk) {
		ro, err := clientgoscheme.Scheme.New(gvk)
		if err != nil {
			return nil, err
		}
		acc, ok := ro.(metav1.ObjectMetaAccessor)
		if !ok {
			return nil, fmt.Errorf("%s is not an object with metadata", gvk)
		}
		typed, meta = ro, acc.GetObjectMeta().(*metav1.ObjectMeta)
	} else {
		return nil, fmt.Errorf("unknown kind %s: not in k8s.io/api %s nor among the custom kinds this checker knows (crds.go)", gvk, apiModuleVersion)
	}
	strict, err := sigsjson.UnmarshalStrict(js, typed, sigsjson.DisallowUnknownFields, sigsjson.DisallowDuplicateFields)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", gvk.Kind, err)
	}
	if len(strict) > 0 {
		msgs := make([]string, len(strict))
		for i, e := range strict {
			msgs[i] = e.Error()
		}
		return nil, fmt.Errorf("%s: %s", gvk.Kind, strings.Join(msgs, "; "))
	}
	if _, isRuntime := typed.(runtime.Object); !isRuntime {
		if _, custom := customKinds[gvk]; !custom {
			return nil, fmt.Errorf("%s: no typed object", gvk)
		}
	}
	return &Object{Source: source, GVK: gvk, Kind: gvk.Kind, Name: meta.Name, Typed: typed, Meta: meta}, nil
}

func stripComments(doc []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) == 0 || t[0] == '#' {
			continue
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	return out.Bytes()
}
