package derive_test

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/ir/derive"
	"github.com/vlec-dev/vlec/lang/check"
)

// variants are energies a user would write. Each must derive, and every
// derived error and plasticity rule must agree with central finite
// differences of the energy.
var variants = []struct{ name, src string }{
	{"default", `
input x[2] = 0
population h[3] : gle(tau_m = 20ms learnable, phi = softplus, b = 0.1 learnable)
population y[2] : gle(tau_m = 30ms learnable, phi = tanh)
connect x -> h W0 = glorot(seed = 1) plastic
connect h -> y W1 = glorot(seed = 2) plastic
input c[2] = 0
energy {
  mismatch(h) + mismatch(y)
  0.5 * mse(y.r, c)
}`},
	{"weight_decay", `
input x[2] = 0
population h[3] : gle(phi = sigmoid)
population y[2] : gle()
connect x -> h W0 = glorot(seed = 1) plastic
connect h -> y W1 = glorot(seed = 2) plastic
input c[2] = 0
energy {
  mismatch(h) + mismatch(y)
  mse(y.r, c)
  weight_decay(W0, 0.01) + weight_decay(W1, 0.02)
}`},
	{"cross_entropy", `
input x[2] = 0
population h[4] : gle(phi = tanh)
population y[3] : gle()
connect x -> h W0 = glorot(seed = 1) plastic
connect h -> y W1 = glorot(seed = 2) plastic
input c[3] = 0
energy {
  mismatch(h) + mismatch(y)
  cross_entropy(y.r, c)
}`},
	{"homeostasis", `
input x[2] = 0
population h[3] : gle(phi = sigmoid, b = 0 learnable)
population y[1] : gle()
connect x -> h W0 = glorot(seed = 1) plastic
connect h -> y W1 = glorot(seed = 2) plastic
input c[1] = 0
param kappa = 0.3 learnable
energy {
  mismatch(h) + mismatch(y)
  mse(y.r, c)
  homeostasis(h.r, 0.2, kappa)
}`},
	{"recurrent", `
input x[2] = 0
population h[4] : gle(phi = tanh, tau_m = 50ms learnable)
population y[2] : gle()
connect x -> h W0 = glorot(seed = 1) plastic
connect h -> h L = normal(0, 0.1, seed = 3) plastic
connect h -> y W1 = glorot(seed = 2) plastic
input c[2] = 0
energy {
  mismatch(h) + mismatch(y)
  mse(y.r, c)
}`},
	{"two_into_one", `
input x[2] = 0
population a[3] : gle(phi = softplus)
population g[2] : gle(phi = sigmoid)
population y[2] : gle(phi = swish)
connect x -> a Wa = glorot(seed = 1) plastic
connect x -> g Wg = glorot(seed = 2) plastic
connect a -> y Wya = glorot(seed = 3) plastic
connect g -> y Wyg = glorot(seed = 4) plastic
input c[2] = 0
energy {
  mismatch(a) + mismatch(g) + mismatch(y)
  mse(y.r, c)
}`},
	{"per_neuron_taus", `
input x[2] = 0
population h[3] : gle(tau_m = [20ms, 40ms, 60ms] learnable, tau_r = [5ms, 10ms, 15ms], phi = relu)
population y[2] : gle(tau_m = [30ms, 50ms] learnable, b = [0.1, -0.1] learnable)
connect x -> h W0 = glorot(seed = 1) plastic
connect h -> y W1 = glorot(seed = 2) plastic
input c[2] = 0
energy {
  mismatch(h) + mismatch(y)
  mse(y.r, c)
  0.1 * sum(y.uhat_r * y.uhat_r) + 0.01 * sumsq(h.tau_m)
}`},
}

func loadSource(t *testing.T, name, body string) *check.Model {
	t.Helper()
	src := "model " + name + "\nimport \"std/gle\"\nsim { dt = 1ms }\n" + body + "\n"
	path := filepath.Join(t.TempDir(), name+".vle")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	m, sources, err := check.Load(path)
	if err != nil {
		t.Fatal(sources.Format(err))
	}
	return m
}

func TestDerivedEquationsMatchFiniteDifferences(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			sys, err := derive.Derive(loadSource(t, v.name, v.src))
			if err != nil {
				t.Fatal(err)
			}
			checkFD(t, sys, rand.New(rand.NewPCG(7, uint64(len(v.name)))))
		})
	}
}

// checkFD compares the derived errors and rules with central differences
// of the energy in which uhat_m = u + tau_m du/dt, at a random point where
// each error e_p equals its mismatch uhat_m,p - I_p.
func checkFD(t *testing.T, sys *derive.System, rng *rand.Rand) {
	b := sys.B
	prospective := map[*ir.Var]ir.Expr{}
	for _, pe := range sys.Pops {
		prospective[pe.M] = b.Add(pe.U, b.Mul(pe.TauM, pe.Udot))
	}
	energy := b.Subst(sys.Energy, prospective)
	roots := []ir.Expr{energy}
	for _, pe := range sys.Pops {
		roots = append(roots, pe.Ebar, pe.Drive)
	}
	for _, u := range sys.Updates {
		roots = append(roots, u.Direction)
	}
	env := map[*ir.Var][]float64{}
	for _, v := range ir.Vars(roots...) {
		vals := make([]float64, v.Shape().Size())
		for i := range vals {
			vals[i] = rng.Float64()*2 - 1
			if strings.Contains(v.Name(), "tau") || v.Name() == "kappa" {
				vals[i] = 0.5 + rng.Float64()
			}
		}
		env[v] = vals
	}
	for _, pe := range sys.Pops {
		m := eval(t, prospective[pe.M], env)
		in := eval(t, pe.Drive, env)
		for i := range m {
			env[pe.E][i] = m[i] - in[i]
		}
	}
	for _, pe := range sys.Pops {
		compare(t, "ebar of "+pe.Pop.Name, eval(t, pe.Ebar, env), negGradFD(t, energy, pe.R, env))
	}
	for _, u := range sys.Updates {
		compare(t, "rule of "+u.Param.Name(), eval(t, u.Direction, env), negGradFD(t, energy, u.Param, env))
	}
}

func eval(t *testing.T, e ir.Expr, env map[*ir.Var][]float64) []float64 {
	t.Helper()
	v, err := ir.Eval(e, env)
	if err != nil {
		t.Fatalf("eval %s: %v", e, err)
	}
	return v
}

// negGradFD is -dE/dv by central differences, step 1e-6.
func negGradFD(t *testing.T, e ir.Expr, v *ir.Var, env map[*ir.Var][]float64) []float64 {
	const h = 1e-6
	x := env[v]
	out := make([]float64, len(x))
	for i := range x {
		old := x[i]
		x[i] = old + h
		up := eval(t, e, env)[0]
		x[i] = old - h
		down := eval(t, e, env)[0]
		x[i] = old
		out[i] = -(up - down) / (2 * h)
	}
	return out
}

func compare(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-6*(1+math.Abs(want[i])) {
			t.Errorf("%s[%d] = %.10g, finite differences give %.10g", what, i, got[i], want[i])
		}
	}
}
