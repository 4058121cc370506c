package main

// With --bin-dir (a build's folder), every flag a container is given — in its args, as
// a SALESOPS_* environment twin, or in a probe's exec command — must be one the binary
// it runs defines (its --helpfull). A misspelt flag would stop the pod at start; a
// misspelt environment twin would be silently ignored (common/config reads the twins of
// the flags it knows), which is worse.

import (
	"fmt"
	"io/fs"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

var helpFlag = regexp.MustCompile(`(?m)^\s+--([a-z0-9_]+) \(`)

// BinaryFlags asks every executable under dir (skipping CMake's own folders) for its
// flags, keyed by the executable's base name.
func BinaryFlags(dir string, names []string) (map[string]map[string]bool, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && e.Name() == "CMakeFiles" {
			return filepath.SkipDir
		}
		if e.IsDir() || !want[e.Name()] || out[e.Name()] != nil {
			return nil
		}
		help, _ := exec.Command(p, "--helpfull").CombinedOutput() // exits 1 after printing
		flags := map[string]bool{}
		for _, m := range helpFlag.FindAllStringSubmatch(string(help), -1) {
			flags[m[1]] = true
		}
		if len(flags) == 0 {
			return fmt.Errorf("%s --helpfull listed no flags", p)
		}
		out[e.Name()] = flags
		return nil
	})
	if err != nil {
		return nil, err
	}
	for n := range want {
		if out[n] == nil {
			return nil, fmt.Errorf("no executable %s under %s (build it first)", n, dir)
		}
	}
	return out, nil
}

// Binaries the rendered Deployments run (their command and exec probes), by base name.
func deploymentBinaries(objs []*Object) []string {
	seen := map[string]bool{}
	var out []string
	add := func(cmd []string) {
		if len(cmd) > 0 && !seen[path.Base(cmd[0])] {
			seen[path.Base(cmd[0])] = true
			out = append(out, path.Base(cmd[0]))
		}
	}
	for _, o := range objs {
		d, ok := o.Typed.(*appsv1.Deployment)
		if !ok {
			continue
		}
		for _, ctr := range d.Spec.Template.Spec.Containers {
			add(ctr.Command)
			for _, p := range []*corev1.Probe{ctr.ReadinessProbe, ctr.LivenessProbe, ctr.StartupProbe} {
				if p != nil && p.Exec != nil {
					add(p.Exec.Command)
				}
			}
		}
	}
	return out
}

func (c *checker) checkFlags() {
	if c.opts.Flags == nil {
		return
	}
	for _, d := range c.deployments {
		for i := range d.Spec.Template.Spec.Containers {
			ctr := &d.Spec.Template.Spec.Containers[i]
			what := fmt.Sprintf("Deployment %s container %s", d.Name, ctr.Name)
			if len(ctr.Command) == 0 {
				c.bad(what, "no command: cannot tell which binary's flags apply")
				continue
			}
			bin := path.Base(ctr.Command[0])
			known := c.opts.Flags[bin]
			if known == nil {
				c.bad(what, "runs %s, which --bin-dir does not have", bin)
				continue
			}
			for _, a := range ctr.Args {
				if f, ok := strings.CutPrefix(a, "--"); ok {
					name, _, _ := strings.Cut(f, "=")
					if !known[name] {
						c.bad(what, "%s has no flag --%s", bin, name)
					}
				}
			}
			for _, name := range c.envTwins(ctr) {
				if !known[name] {
					c.bad(what, "SALESOPS_%s names no flag of %s (it would be ignored)", strings.ToUpper(name), bin)
				}
			}
			for _, p := range []*corev1.Probe{ctr.ReadinessProbe, ctr.LivenessProbe, ctr.StartupProbe} {
				if p == nil || p.Exec == nil || len(p.Exec.Command) == 0 {
					continue
				}
				pbin := path.Base(p.Exec.Command[0])
				pknown := c.opts.Flags[pbin]
				if pknown == nil {
					c.bad(what, "probe runs %s, which --bin-dir does not have", pbin)
					continue
				}
				for _, a := range p.Exec.Command[1:] {
					if f, ok := strings.CutPrefix(a, "--"); ok {
						if name, _, _ := strings.Cut(f, "="); !pknown[name] {
							c.bad(what, "probe: %s has no flag --%s", pbin, name)
						}
					}
				}
			}
		}
	}
}

// envTwins: the flag names of a container's SALESOPS_* variables (env and envFrom
// ConfigMaps).
func (c *checker) envTwins(ctr *corev1.Container) []string {
	var out []string
	for _, e := range ctr.EnvFrom {
		if e.ConfigMapRef != nil {
			if cm := c.configMaps[e.ConfigMapRef.Name]; cm != nil {
				for k := range cm.Data {
					if f, ok := strings.CutPrefix(k, "SALESOPS_"); ok {
						out = append(out, strings.ToLower(f))
					}
				}
			}
		}
	}
	for _, e := range ctr.Env {
		if f, ok := strings.CutPrefix(e.Name, "SALESOPS_"); ok {
			out = append(out, strings.ToLower(f))
		}
	}
	return out
}
