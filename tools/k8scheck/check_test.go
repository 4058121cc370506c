package main

import (
	"os"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"
)

const chartDir = "../../deploy/helm/salesops"

var renderOpts = RenderOptions{Chart: chartDir, Namespace: "salesops", Release: "salesops", KubeVersion: defaultKubeVersion}

func render(t *testing.T, file string) *Rendered {
	t.Helper()
	r, err := Render(renderOpts, file)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return r
}

func check(r *Rendered, manifest string) []string {
	_, problems := Check(manifest, r.Notes, CheckOptions{Namespace: "salesops"})
	return problems
}

func expectProblem(t *testing.T, problems []string, want ...string) {
	t.Helper()
	for _, p := range problems {
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(p, w)
		}
		if ok {
			return
		}
	}
	t.Fatalf("no problem mentioning %q among:\n%s", want, strings.Join(problems, "\n"))
}

// The chart as committed passes; the negative tests below break one thing in it.
func TestChartPasses(t *testing.T) {
	if _, fails := Lint(renderOpts, ""); len(fails) > 0 {
		t.Fatalf("lint: %v", fails)
	}
	r := render(t, "")
	objs, problems := Check(r.Manifest, r.Notes, CheckOptions{Namespace: "salesops"})
	if len(problems) > 0 {
		t.Fatalf("problems:\n%s", strings.Join(problems, "\n"))
	}
	if len(objs) < 40 {
		t.Fatalf("only %d objects", len(objs))
	}
}

// A misspelt field anywhere in a rendered object is rejected, not silently dropped.
func TestRejectsUnknownField(t *testing.T) {
	r := render(t, "")
	bad := strings.Replace(r.Manifest, "      enableServiceLinks: false\n",
		"      enableServiceLinks: false\n      restartPolicyy: Always\n", 1)
	if bad == r.Manifest {
		t.Fatal("test fixture: enableServiceLinks not found")
	}
	expectProblem(t, check(r, bad), "deployment.yaml", `unknown field "spec.template.spec.restartPolicyy"`)
}

// Field names are case-sensitive, as the API server's strict validation is (Go's
// encoding/json would quietly accept readonlyRootFilesystem).
func TestRejectsWrongCase(t *testing.T) {
	r := render(t, "")
	bad := strings.Replace(r.Manifest, "readOnlyRootFilesystem: true", "readonlyRootFilesystem: true", 1)
	expectProblem(t, check(r, bad), `unknown field`, `readonlyRootFilesystem`)
}

// Custom resources are strict too (typed structs, not maps).
func TestRejectsUnknownFieldInCustomResources(t *testing.T) {
	r := render(t, "")
	bad := strings.Replace(r.Manifest, "  partitions: 6\n", "  partitions: 6\n  partition: 6\n", 1)
	expectProblem(t, check(r, bad), "KafkaTopic", `unknown field "spec.partition"`)

	r = render(t, chartDir+"/ci/sentinel-values.yaml")
	bad = strings.Replace(r.Manifest, "      path: /metrics\n", "      path: /metrics\n      honourLabels: true\n", 1)
	expectProblem(t, check(r, bad), "ServiceMonitor", `unknown field`, "honourLabels")
}

func TestRejectsUnknownKind(t *testing.T) {
	r := render(t, "")
	bad := r.Manifest + "\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
	expectProblem(t, check(r, bad), "unknown kind example.com/v1, Kind=Widget")
}

// mutateDeployment re-renders the manifest with one Deployment changed.
func mutateDeployment(t *testing.T, manifest, name string, f func(*appsv1.Deployment)) string {
	t.Helper()
	objs, problems := Decode(manifest)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	var docs []string
	found := false
	for _, o := range objs {
		if d, ok := o.Typed.(*appsv1.Deployment); ok && d.Name == name {
			f(d)
			found = true
		}
		b, err := yaml.Marshal(o.Typed)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, "# Source: "+o.Source+"\n"+string(b))
	}
	if !found {
		t.Fatalf("no Deployment %s", name)
	}
	return strings.Join(docs, "---\n")
}

func TestRejectsDeploymentWithoutProbe(t *testing.T) {
	r := render(t, "")
	// The re-encoded manifest alone passes (so the failure below is the probe's).
	same := mutateDeployment(t, r.Manifest, "salesops-org", func(*appsv1.Deployment) {})
	if p := check(r, same); len(p) > 0 {
		t.Fatalf("re-encoded manifest: %v", p)
	}
	bad := mutateDeployment(t, r.Manifest, "salesops-org", func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].ReadinessProbe = nil
	})
	expectProblem(t, check(r, bad), "Deployment salesops-org container org", "no readinessProbe")
	bad = mutateDeployment(t, r.Manifest, "salesops-customers", func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].LivenessProbe = nil
	})
	expectProblem(t, check(r, bad), "Deployment salesops-customers container customers", "no livenessProbe")
}

func TestRejectsInsecureOrUnboundedContainer(t *testing.T) {
	r := render(t, "")
	bad := mutateDeployment(t, r.Manifest, "salesops-sync", func(d *appsv1.Deployment) {
		c := &d.Spec.Template.Spec.Containers[0]
		f := false
		c.SecurityContext.ReadOnlyRootFilesystem = &f
		c.Resources.Limits = nil
	})
	p := check(r, bad)
	expectProblem(t, p, "salesops-sync", "readOnlyRootFilesystem is not true")
	expectProblem(t, p, "salesops-sync", "no memory limit")
}

// replaceInDoc replaces old with new in the one document of that kind and name.
func replaceInDoc(t *testing.T, manifest, kind, name, old, new string) string {
	t.Helper()
	docs := strings.Split(manifest, "\n---\n")
	n := 0
	for i, doc := range docs {
		if strings.Contains(doc, "kind: "+kind+"\n") && strings.Contains(doc, "  name: "+name+"\n") {
			docs[i] = strings.Replace(doc, old, new, 1)
			if docs[i] != doc {
				n++
			}
		}
	}
	if n != 1 {
		t.Fatalf("test fixture: %q in %s %s found %d times", old, kind, name, n)
	}
	return strings.Join(docs, "\n---\n")
}

// A NetworkPolicy that blocks a call the gateway makes (--customers_addr) is caught on
// either side: the caller's egress and the callee's ingress.
func TestRejectsNetworkPolicyThatBlocksACall(t *testing.T) {
	r := render(t, "")
	port := "        - port: 7103\n          protocol: TCP\n"
	other := "        - port: 7999\n          protocol: TCP\n"
	bad := replaceInDoc(t, r.Manifest, "NetworkPolicy", "salesops-gateway", port, other)
	expectProblem(t, check(r, bad), "--customers_addr", "its NetworkPolicy does not let it reach salesops-customers on port 7103")
	bad = replaceInDoc(t, r.Manifest, "NetworkPolicy", "salesops-customers", port, other)
	expectProblem(t, check(r, bad), "--customers_addr", "salesops-customers's NetworkPolicy does not let it in on port 7103")
}

func TestRejectsMissingPDBAndUnlistedSecret(t *testing.T) {
	r := render(t, "")
	var kept []string
	for _, doc := range strings.Split(r.Manifest, "\n---\n") {
		if strings.Contains(doc, "kind: PodDisruptionBudget") && strings.Contains(doc, "name: salesops-forecast\n") {
			continue
		}
		kept = append(kept, doc)
	}
	expectProblem(t, check(r, strings.Join(kept, "\n---\n")), "Deployment salesops-forecast", "no PodDisruptionBudget")

	notes := strings.ReplaceAll(r.Notes, "salesops-jwt", "")
	_, p := Check(r.Manifest, notes, CheckOptions{Namespace: "salesops"})
	expectProblem(t, p, `Secret "salesops-jwt" is not rendered`)
}

func TestTopicsFileCoveredByStrimziTopics(t *testing.T) {
	topics, err := ReadTopicsFile("../../deploy/local/topics.txt")
	if err != nil {
		t.Fatal(err)
	}
	r := render(t, "")
	if _, p := Check(r.Manifest, r.Notes, CheckOptions{Namespace: "salesops", RequiredTopics: topics}); len(p) > 0 {
		t.Fatal(p)
	}
	_, p := Check(r.Manifest, r.Notes, CheckOptions{Namespace: "salesops",
		RequiredTopics: append(topics, TopicSpec{Name: "salesops.new.events.v1"})})
	expectProblem(t, p, "salesops.new.events.v1 (deploy/local/topics.txt) is not rendered")
}

func writeValues(t *testing.T, yamlText string) string {
	t.Helper()
	f := t.TempDir() + "/values.yaml"
	if err := os.WriteFile(f, []byte(yamlText), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// By default each service reaches Kafka with the client certificate of its own tls
// KafkaUser (Debian's librdkafka 2.0.2 cannot do SCRAM against Kafka 4); a certificate
// of another kind of user, or from a Secret no KafkaUser writes, is caught.
func TestKafkaClientCertificateMatchesItsUser(t *testing.T) {
	r := render(t, "")
	if !strings.Contains(r.Manifest, "--kafka_client_cert_file=/etc/salesops/kafka/user.crt") ||
		strings.Contains(r.Manifest, "--kafka_password_file") {
		t.Fatal("default render does not authenticate to Kafka with client certificates")
	}
	bad := replaceInDoc(t, r.Manifest, "KafkaUser", "org", "type: tls\n", "type: scram-sha-512\n")
	expectProblem(t, check(r, bad), "Deployment salesops-org", `KafkaUser "org", whose authentication is "scram-sha-512", not tls`)
	bad = mutateDeployment(t, r.Manifest, "salesops-org", func(d *appsv1.Deployment) {
		for i := range d.Spec.Template.Spec.Volumes {
			if v := &d.Spec.Template.Spec.Volumes[i]; v.Name == "kafka" {
				v.Secret.SecretName = "customers"
			}
		}
	})
	expectProblem(t, check(r, bad), "Deployment salesops-org", `KafkaUser "customers"`)
}

// SASL with Strimzi: SCRAM-SHA-512 users, each pod naming its user and mechanism.
func TestKafkaScramUsers(t *testing.T) {
	r := render(t, writeValues(t, "kafka:\n  authentication: sasl\n"))
	if _, p := Check(r.Manifest, r.Notes, CheckOptions{Namespace: "salesops"}); len(p) > 0 {
		t.Fatal(p)
	}
	if !strings.Contains(r.Manifest, "type: scram-sha-512") || strings.Contains(r.Manifest, "--kafka_client_cert_file") {
		t.Fatal("authentication sasl did not render SCRAM users and password files")
	}
	bad := replaceInDoc(t, r.Manifest, "KafkaUser", "org", "type: scram-sha-512\n", "type: tls\n")
	expectProblem(t, check(r, bad), "Deployment salesops-org", `SASL as Kafka user "org", whose authentication is "tls"`)
}

// Combinations the services could not start with are refused at render time.
func TestRefusesKafkaSettingsThatCannotWork(t *testing.T) {
	for values, want := range map[string]string{
		"kafka:\n  authentication: tls\n  tls:\n    enabled: false\n":                                    "needs kafka.tls.enabled",
		"kafka:\n  authentication: sasl\n  sasl:\n    mechanism: PLAIN\n":                                "SCRAM-SHA-512",
		"kafka:\n  authentication: none\n":                                                               "set kafka.authentication to tls or sasl",
		"kafka:\n  authentication: sasl\n  sasl:\n    mechanism: \"\"\n  strimzi:\n    enabled: false\n": "needs kafka.sasl.mechanism",
	} {
		_, err := Render(renderOpts, writeValues(t, values))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("values %q: error %v, want one mentioning %q", values, err, want)
		}
	}
}

// With the binaries' flags known, a flag a pod is given that its binary lacks is caught
// in args, in SALESOPS_* environment twins and in probe commands.
func TestFlagsMustBeDefinedByTheBinary(t *testing.T) {
	r := render(t, "")
	objs, _ := Decode(r.Manifest)
	everything := map[string]bool{}
	for _, a := range strings.Fields(r.Manifest) {
		if f, ok := strings.CutPrefix(strings.Trim(a, `"`), "--"); ok {
			name, _, _ := strings.Cut(f, "=")
			everything[name] = true
		}
	}
	for _, line := range strings.Split(r.Manifest, "\n") {
		if k, _, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && strings.HasPrefix(k, "SALESOPS_") {
			everything[strings.ToLower(strings.TrimPrefix(k, "SALESOPS_"))] = true
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "- name: SALESOPS_"); ok {
			everything[strings.ToLower(v)] = true
		}
	}
	flags := map[string]map[string]bool{}
	for _, b := range deploymentBinaries(objs) {
		flags[b] = map[string]bool{}
		for f := range everything {
			flags[b][f] = true
		}
	}
	if _, p := Check(r.Manifest, r.Notes, CheckOptions{Namespace: "salesops", Flags: flags}); len(p) > 0 {
		t.Fatal(p)
	}
	delete(flags["org_server"], "kafka_client_cert_file")
	delete(flags["customers_server"], "redis_wait_replicas")
	delete(flags["salesops-health"], "tls_server_name")
	_, p := Check(r.Manifest, r.Notes, CheckOptions{Namespace: "salesops", Flags: flags})
	expectProblem(t, p, "Deployment salesops-org", "org_server has no flag --kafka_client_cert_file")
	expectProblem(t, p, "Deployment salesops-customers", "SALESOPS_REDIS_WAIT_REPLICAS names no flag of customers_server")
	expectProblem(t, p, "probe: salesops-health has no flag --tls_server_name")
}

// BinaryFlags reads an executable's --helpfull (Abseil's format).
func TestBinaryFlagsParsesHelpfull(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho '  Flags from common/x.cc:'\necho '    --kafka_bootstrap (Kafka bootstrap servers); default: \"\";'\n" +
		"echo '    --redis_addr (host:port); default: \"\";'\nexit 1\n"
	if err := os.WriteFile(dir+"/org_server", []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := BinaryFlags(dir, []string{"org_server"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got["org_server"]) != 2 || !got["org_server"]["kafka_bootstrap"] || !got["org_server"]["redis_addr"] {
		t.Fatalf("flags %v", got)
	}
	if _, err := BinaryFlags(dir, []string{"org_server", "warning_server"}); err == nil ||
		!strings.Contains(err.Error(), "no executable warning_server") {
		t.Fatalf("missing binary: %v", err)
	}
}
