package main

import (
	"fmt"
	"io"
	"log/slog"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/cli/values"
	"helm.sh/helm/v4/pkg/getter"
	release "helm.sh/helm/v4/pkg/release/v1"
)

const (
	// The API types every object is decoded into (go.mod pins k8s.io/api at this version).
	apiModuleVersion = "v0.37.2"
	// What `helm template` assumes when built with client-go v0.37 (set explicitly: in
	// `go test` the SDK's default would be 1.20).
	defaultKubeVersion = "1.37.0"
)

type RenderOptions struct {
	Chart       string
	Namespace   string
	Release     string
	KubeVersion string
}

type Rendered struct {
	Manifest string
	Notes    string
}

func readValues(file string) (map[string]any, error) {
	if file == "" {
		return map[string]any{}, nil
	}
	opts := values.Options{ValueFiles: []string{file}}
	return opts.MergeValues(getter.Providers{})
}

func quietConfig() *action.Configuration {
	cfg := action.NewConfiguration()
	cfg.SetLogger(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

// Render is `helm template <release> <chart> -n <namespace> -f <file> --kube-version ...`:
// an install with the client-only dry run (no cluster), the same code path.
func Render(o RenderOptions, file string) (*Rendered, error) {
	vals, err := readValues(file)
	if err != nil {
		return nil, err
	}
	chrt, err := loader.Load(o.Chart)
	if err != nil {
		return nil, err
	}
	kv, err := common.ParseKubeVersion(o.KubeVersion)
	if err != nil {
		return nil, err
	}
	inst := action.NewInstall(quietConfig())
	inst.DryRunStrategy = action.DryRunClient
	inst.ReleaseName = o.Release
	inst.Namespace = o.Namespace
	inst.Replace = true
	inst.KubeVersion = kv
	rel, err := inst.Run(chrt, vals)
	if err != nil {
		return nil, err
	}
	r, ok := rel.(*release.Release)
	if !ok {
		return nil, fmt.Errorf("unexpected release type %T", rel)
	}
	out := &Rendered{Manifest: r.Manifest}
	if r.Info != nil {
		out.Notes = r.Info.Notes
	}
	// Hooks are rendered separately by Helm; this chart has none, but check them too.
	for _, h := range r.Hooks {
		out.Manifest += "\n---\n# Source: " + h.Path + "\n" + h.Manifest
	}
	return out, nil
}

// Lint is `helm lint --strict <chart> -n <namespace> -f <file>`: errors and warnings
// (strict) are the failures, the rest (INFO) is returned as messages.
func Lint(o RenderOptions, file string) (messages, failures []string) {
	vals, err := readValues(file)
	if err != nil {
		return nil, []string{"lint: " + err.Error()}
	}
	kv, err := common.ParseKubeVersion(o.KubeVersion)
	if err != nil {
		return nil, []string{"lint: " + err.Error()}
	}
	l := action.NewLint()
	l.Strict = true
	l.Namespace = o.Namespace
	l.KubeVersion = kv
	res := l.Run([]string{o.Chart}, vals)
	for _, m := range res.Messages {
		if m.Severity >= support.WarningSev {
			failures = append(failures, "lint: "+m.Error())
		} else {
			messages = append(messages, m.Error())
		}
	}
	for _, e := range res.Errors {
		dup := false
		for _, m := range res.Messages {
			if m.Err == e {
				dup = true
			}
		}
		if !dup {
			failures = append(failures, "lint: "+e.Error())
		}
	}
	if res.TotalChartsLinted != 1 && len(failures) == 0 {
		failures = append(failures, fmt.Sprintf("lint: %d charts linted, want 1", res.TotalChartsLinted))
	}
	return messages, failures
}
