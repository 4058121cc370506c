// k8scheck: `make k8s-check`. Lints the SalesOps Helm chart as `helm lint --strict` does
// and renders it as `helm template` does (the Helm v4 SDK), for the chart's default
// values and for every value set in the chart's ci/ folder; then decodes every rendered
// object strictly into its Go API type (k8s.io/api for the built-in kinds, the
// prometheus-operator types for ServiceMonitor, the small documented structs in crds.go
// for Strimzi and cert-manager), failing on unknown fields, unknown kinds and
// duplicate keys, and checks what a reviewer would (semantic.go).
//
//	go run . --chart ../../deploy/helm/salesops [--topics ../../deploy/local/topics.txt] [--bin-dir ../../build]
//	go run . --chart ../../deploy/helm/salesops --print default   # the rendered manifest
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	chartPath := flag.String("chart", "../../deploy/helm/salesops", "the chart's folder")
	valuesDir := flag.String("values-dir", "", "folder of extra value sets (*.yaml); default <chart>/ci")
	namespace := flag.String("namespace", "salesops", "namespace to render into")
	release := flag.String("release", "salesops", "release name to render with")
	kubeVersion := flag.String("kube-version", defaultKubeVersion,
		"Kubernetes version for .Capabilities (the API types checked are k8s.io/api "+apiModuleVersion+")")
	topics := flag.String("topics", "", "deploy/local/topics.txt: every topic listed must be a KafkaTopic when Strimzi is on")
	binDir := flag.String("bin-dir", "", "a build folder: every flag the pods are given must be one their binary defines (its --helpfull)")
	printSet := flag.String("print", "", "print the rendered manifest of this value set (default or a ci file's name) and exit")
	flag.Parse()

	sets, err := valueSets(*chartPath, *valuesDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8scheck:", err)
		os.Exit(2)
	}
	var requiredTopics []TopicSpec
	if *topics != "" {
		if requiredTopics, err = ReadTopicsFile(*topics); err != nil {
			fmt.Fprintln(os.Stderr, "k8scheck:", err)
			os.Exit(2)
		}
	}
	opts := RenderOptions{Chart: *chartPath, Namespace: *namespace, Release: *release, KubeVersion: *kubeVersion}

	if *printSet != "" {
		for _, s := range sets {
			if s.Name == *printSet {
				r, err := Render(opts, s.File)
				if err != nil {
					fmt.Fprintln(os.Stderr, "k8scheck:", err)
					os.Exit(1)
				}
				fmt.Print(r.Manifest)
				fmt.Fprintln(os.Stderr, "--- NOTES ---\n"+r.Notes)
				return
			}
		}
		fmt.Fprintf(os.Stderr, "k8scheck: no value set %q\n", *printSet)
		os.Exit(2)
	}

	failed := 0
	total := 0
	start := time.Now()
	fmt.Printf("k8scheck: chart %s, Kubernetes %s, k8s.io/api %s, namespace %s\n",
		*chartPath, *kubeVersion, apiModuleVersion, *namespace)
	for _, s := range sets {
		t0 := time.Now()
		var problems []string
		lintMsgs, lintErrs := Lint(opts, s.File)
		for _, m := range lintMsgs {
			fmt.Printf("  [%s] lint: %s\n", s.Name, m)
		}
		problems = append(problems, lintErrs...)
		r, err := Render(opts, s.File)
		var objs []*Object
		if err != nil {
			problems = append(problems, "render: "+err.Error())
		} else {
			var p []string
			co := CheckOptions{Namespace: *namespace, RequiredTopics: requiredTopics}
			if *binDir != "" {
				decoded, _ := Decode(r.Manifest)
				if co.Flags, err = BinaryFlags(*binDir, deploymentBinaries(decoded)); err != nil {
					fmt.Fprintln(os.Stderr, "k8scheck:", err)
					os.Exit(2)
				}
			}
			objs, p = Check(r.Manifest, r.Notes, co)
			problems = append(problems, p...)
		}
		total += len(objs)
		status := "ok"
		if len(problems) > 0 {
			status = fmt.Sprintf("FAILED (%d problems)", len(problems))
			failed++
		}
		fmt.Printf("%-28s %3d objects strictly decoded (%s) in %.1fs: %s\n",
			s.Name, len(objs), kindSummary(objs), time.Since(t0).Seconds(), status)
		for _, p := range problems {
			fmt.Printf("  [%s] %s\n", s.Name, p)
		}
	}
	fmt.Printf("k8scheck: %d value sets, %d objects, %d failed, %.1fs\n",
		len(sets), total, failed, time.Since(start).Seconds())
	if failed > 0 {
		os.Exit(1)
	}
}

// ValueSet is the chart's defaults alone (File == "") or with one values file on top.
type ValueSet struct {
	Name string
	File string
}

func valueSets(chartPath, dir string) ([]ValueSet, error) {
	if _, err := os.Stat(filepath.Join(chartPath, "Chart.yaml")); err != nil {
		return nil, fmt.Errorf("%s is not a chart: %w", chartPath, err)
	}
	if dir == "" {
		dir = filepath.Join(chartPath, "ci")
	}
	sets := []ValueSet{{Name: "default"}}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	for _, f := range files {
		sets = append(sets, ValueSet{Name: strings.TrimSuffix(filepath.Base(f), ".yaml"), File: f})
	}
	return sets, nil
}

func kindSummary(objs []*Object) string {
	counts := map[string]int{}
	for _, o := range objs {
		counts[o.Kind]++
	}
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	return strings.Join(parts, ", ")
}
