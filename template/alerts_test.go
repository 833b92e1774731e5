package template_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"
)

// ruleFile is the part of a Prometheus rules file the tests read.
type ruleFile struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Record      string            `json:"record"`
			Alert       string            `json:"alert"`
			Expr        string            `json:"expr"`
			For         string            `json:"for"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"rules"`
	} `json:"groups"`
}

// ruleTests is the part of a promtool test file the tests read.
type ruleTests struct {
	Tests []struct {
		Name          string `json:"name"`
		AlertRuleTest []struct {
			Alertname string           `json:"alertname"`
			ExpAlerts []map[string]any `json:"exp_alerts"`
		} `json:"alert_rule_test"`
	} `json:"tests"`
}

// TestRulesOneSource checks that the rules file and the PrometheusRule hold
// the same groups, and that every alert carries what on-call needs.
func TestRulesOneSource(t *testing.T) {
	for _, svc := range services(t) {
		t.Run(svc.name, func(t *testing.T) {
			var file ruleFile
			if err := yaml.UnmarshalStrict(svc.file(t, "deploy/prometheus/rules.yaml"), &file); err != nil {
				t.Fatal(err)
			}
			var pr struct {
				Spec ruleFile `json:"spec"`
			}
			if err := yaml.Unmarshal(svc.file(t, "deploy/kubernetes/base/prometheusrule.yaml"), &pr); err != nil {
				t.Fatal(err)
			}
			a, _ := yaml.Marshal(file)
			b, _ := yaml.Marshal(pr.Spec)
			if !bytes.Equal(a, b) {
				t.Error("deploy/prometheus/rules.yaml and the PrometheusRule hold different rules")
			}
			runbook := string(svc.file(t, "docs/runbook.md"))
			alerts := 0
			for _, g := range file.Groups {
				for _, r := range g.Rules {
					if r.Alert == "" {
						continue
					}
					alerts++
					for _, l := range []string{"severity", "service"} {
						if r.Labels[l] == "" {
							t.Errorf("%s: no %s label", r.Alert, l)
						}
					}
					if s := r.Labels["severity"]; s != "page" && s != "ticket" {
						t.Errorf("%s: severity %q, want page or ticket", r.Alert, s)
					}
					for _, a := range []string{"summary", "description", "runbook_url"} {
						if r.Annotations[a] == "" {
							t.Errorf("%s: no %s annotation", r.Alert, a)
						}
					}
					anchor := "#" + strings.ToLower(r.Alert)
					if !strings.HasSuffix(r.Annotations["runbook_url"], anchor) {
						t.Errorf("%s: runbook_url %q does not end in %s", r.Alert, r.Annotations["runbook_url"], anchor)
					}
					if !strings.Contains(runbook, "\n## "+r.Alert+"\n") {
						t.Errorf("%s: docs/runbook.md has no section for it", r.Alert)
					}
				}
			}
			if alerts < 7 {
				t.Errorf("%d alerts, want at least 7", alerts)
			}
		})
	}
}

// TestRulesTestsCoverEveryAlert checks that rules_test.yaml has, for every
// alert, a case where it fires and one where it stays silent.
func TestRulesTestsCoverEveryAlert(t *testing.T) {
	for _, svc := range services(t) {
		t.Run(svc.name, func(t *testing.T) {
			var file ruleFile
			if err := yaml.Unmarshal(svc.file(t, "deploy/prometheus/rules.yaml"), &file); err != nil {
				t.Fatal(err)
			}
			var tests ruleTests
			if err := yaml.Unmarshal(svc.file(t, "deploy/prometheus/rules_test.yaml"), &tests); err != nil {
				t.Fatal(err)
			}
			fires, silent := map[string]bool{}, map[string]bool{}
			for _, tc := range tests.Tests {
				for _, a := range tc.AlertRuleTest {
					if len(a.ExpAlerts) > 0 {
						fires[a.Alertname] = true
					} else {
						silent[a.Alertname] = true
					}
				}
			}
			for _, g := range file.Groups {
				for _, r := range g.Rules {
					if r.Alert == "" {
						continue
					}
					if !fires[r.Alert] {
						t.Errorf("%s: no test where it fires", r.Alert)
					}
					if !silent[r.Alert] {
						t.Errorf("%s: no test where it must stay silent", r.Alert)
					}
				}
			}
		})
	}
}

// TestPromtool runs the real promtool over every rendered service's rules:
// `check rules` and the unit tests in rules_test.yaml.
func TestPromtool(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs promtool")
	}
	promtool := promtoolPath(t)
	for _, svc := range services(t) {
		t.Run(svc.name, func(t *testing.T) {
			dir := t.TempDir()
			svc.writeTo(t, dir)
			rules := filepath.Join(dir, "deploy", "prometheus")
			for _, args := range [][]string{
				{"check", "rules", filepath.Join(rules, "rules.yaml")},
				{"test", "rules", filepath.Join(rules, "rules_test.yaml")},
			} {
				out, err := exec.Command(promtool, args...).CombinedOutput()
				if err != nil {
					t.Errorf("promtool %s %s: %v\n%s", args[0], args[1], err, out)
				}
			}
		})
	}
}

var (
	promtoolOnce sync.Once
	promtoolBin  string
	promtoolErr  error
)

// promtoolPath returns the promtool to run: $PROMTOOL (the Taskfile builds
// it into bin/ before the tests), else one built now from the pinned
// version in tools/promtool.go.mod (about 7 minutes the first time).
func promtoolPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PROMTOOL"); p != "" {
		return p
	}
	promtoolOnce.Do(func() {
		dir, err := os.MkdirTemp("", "promtool")
		if err != nil {
			promtoolErr = err
			return
		}
		promtoolBin = filepath.Join(dir, "promtool")
		cmd := exec.Command("go", "build", "-modfile=../tools/promtool.go.mod", "-o", promtoolBin, "github.com/prometheus/prometheus/cmd/promtool")
		if out, err := cmd.CombinedOutput(); err != nil {
			promtoolErr = fmt.Errorf("build promtool: %v\n%s", err, out)
		}
	})
	if promtoolErr != nil {
		t.Fatal(promtoolErr)
	}
	return promtoolBin
}
