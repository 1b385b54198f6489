package check_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/lang/check"
)

const overrideModel = `model m
import "std/gle"

sim {
  dt = 10ms
  duration = 1s
  method = gle
}

input x[1] = sine(freq = 1)
population h[2] : gle(tau_m = 0.5s learnable, tau_r = 0.1s)
connect x -> h W0 = [[0.3], [0.2]] plastic
const beta = 0.1
param kappa = 0.2 learnable

energy {
  mismatch(h)
  beta * loss(sumsq(h.r))
  kappa * sumsq(h.r)
}

learn {
  lr = 0.03
}
`

func overrideFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.vle")
	if err := os.WriteFile(path, []byte(overrideModel), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func load(t *testing.T, path string, set ...string) (*check.Model, string) {
	t.Helper()
	var opts check.LoadOptions
	for _, s := range set {
		o, err := check.ParseOverride(s)
		if err != nil {
			return nil, err.Error()
		}
		opts.Set = append(opts.Set, o)
	}
	m, sources, err := check.LoadWith(path, opts)
	if err != nil {
		return nil, sources.Format(err)
	}
	return m, ""
}

// Every kind of setting --set reaches takes the value it gives, checked
// as the source's would be.
func TestOverrides(t *testing.T) {
	path := overrideFile(t)
	for _, c := range []struct {
		set  []string
		test func(*check.Model) bool
	}{
		{[]string{"dt=1ms"}, func(m *check.Model) bool { return m.Sim.Dt == 0.001 && m.Sim.Steps == 1000 }},
		{[]string{"sim.duration=2s"}, func(m *check.Model) bool { return m.Sim.Steps == 200 }},
		{[]string{"method=le"}, func(m *check.Model) bool { return m.Sim.Method == check.LE }},
		{[]string{"seed=7", "batch=3"}, func(m *check.Model) bool { return m.Sim.Seed == 7 && m.Sim.Batch == 3 }},
		{[]string{"precision=float32"}, func(m *check.Model) bool { return m.Sim.Precision == "float32" }},
		{[]string{"lr=0.3"}, func(m *check.Model) bool { return m.Learn.LR == 0.3 }},
		{[]string{"learn.lr=0.3", "lr.W0=0.01"}, func(m *check.Model) bool { return m.Learn.LR == 0.3 && m.Learn.GroupLR["W0"] == 0.01 }},
		{[]string{"optimizer=adam"}, func(m *check.Model) bool { return m.Learn.Optimizer == "adam" }},
		{[]string{"beta=0.5"}, func(m *check.Model) bool { return m.Energy[1].Expr.(*check.Binary).X.(*check.Num).Value == 0.5 }},
		{[]string{"kappa=0.7"}, func(m *check.Model) bool { return m.Params[0].Value == 0.7 && m.Params[0].Learnable }},
		{[]string{"h.tau_m=[0.8, 900ms]"}, func(m *check.Model) bool {
			p := m.Populations[0].TauM
			return p.Values[0] == 0.8 && p.Values[1] == 0.9 && p.Learnable
		}},
		{[]string{"h.gamma=0.5"}, func(m *check.Model) bool { return m.Populations[0].Gamma.Values[1] == 0.5 }},
		{[]string{"W0=constant(0.7)"}, func(m *check.Model) bool { return m.Connections[0].Init.A == 0.7 }},
		{[]string{"lr=0.1", "lr=0.2"}, func(m *check.Model) bool { return m.Learn.LR == 0.2 }},
	} {
		m, errs := load(t, path, c.set...)
		if errs != "" {
			t.Errorf("%v: %s", c.set, errs)
			continue
		}
		if !c.test(m) {
			t.Errorf("%v: not applied", c.set)
		}
		if len(m.Set) != len(c.set) {
			t.Errorf("%v: the model records %v", c.set, m.Set)
		}
	}
	// Without overrides the model is the file's.
	if m, errs := load(t, path); errs != "" || m.Learn.LR != 0.03 || len(m.Set) != 0 {
		t.Errorf("no override: %s %+v", errs, m)
	}
}

// A bad name or value is an error positioned in the command line, drawn
// with the flag and a caret under the culprit.
func TestOverrideErrors(t *testing.T) {
	path := overrideFile(t)
	for _, c := range []struct {
		set  string
		want []string
	}{
		{"lrr=0.1", []string{"command line:1:7: --set lrr: the model has no setting lrr; did you mean lr?", "    --set lrr=0.1\n          ^"}},
		{"h.tau_n=0.1", []string{"command line:1:9: unknown neuron parameter tau_n; did you mean tau_m?"}},
		{"hh.tau_m=0.1", []string{"command line:1:7: --set hh.tau_m: the model has no setting hh.tau_m; did you mean h.tau_m?"}},
		{"h.tau_m=0.8kg", []string{"command line:1:15: unknown unit \"kg\"", "    --set h.tau_m=0.8kg\n                  ^"}},
		{"h.tau_m=1ms", []string{"command line:1:15: tau_m = 0.001s of population h is below dt = 0.01s"}},
		{"dt=10Hz", []string{"command line:1:10:", "Hz"}},
		{"beta=x", []string{"command line:1:12: x is an input, not a constant"}},
		{"method=lee", []string{"command line:1:14:", "lee"}},
		{"sim.dtt=1ms", []string{"command line:1:11: unknown sim setting dtt; did you mean dt?"}},
		{"task.epochs=3", []string{"model m has no task block"}},
		{"h..tau_m=1", []string{"\"\" is not a name"}},
		{"lr=0.1 +", []string{"command line:1:", "    --set lr=0.1 +\n"}},
		{"lr", []string{"give NAME=VALUE"}},
	} {
		_, errs := load(t, path, c.set)
		for _, w := range c.want {
			if !strings.Contains(errs, w) {
				t.Errorf("--set %s: %q, want %q", c.set, errs, w)
			}
		}
	}
}
