package derive_test

import (
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/ir/derive"
)

// TestPerNeuronGamma checks how gamma enters the equations: a constant
// when every neuron has the same value (a list of equal values too), a
// per-neuron parameter otherwise, printed as such; p.gamma in the energy
// is the same symbol.
func TestPerNeuronGamma(t *testing.T) {
	sys, err := derive.Derive(loadSource(t, "gammas", `
input x[1] = 0
population h[3] : gle(gamma = [1, 0.5, 0], phi = tanh)
population y[2] : gle(gamma = [0.5, 0.5])
population z[1] : gle(gamma = 0.25)
connect x -> h W0 = glorot(seed = 1)
connect h -> y W1 = glorot(seed = 2)
connect y -> z W2 = glorot(seed = 3)
energy {
  mismatch(h) + mismatch(y) + mismatch(z)
  0.1 * sum(h.gamma * h.r) + y.gamma * sum(y.r)
}`))
	if err != nil {
		t.Fatal(err)
	}
	h, y, z := sys.Pops[0], sys.Pops[1], sys.Pops[2]
	if h.GammaVar == nil || h.Gamma != ir.Expr(h.GammaVar) || h.GammaVar.Name() != "h.gamma" ||
		h.GammaVar.Role() != ir.RoleParam || h.GammaVar.Batched() || h.GammaVar.Shape() != ir.Vec(3) {
		t.Errorf("h.gamma: %v (var %v), want a per-neuron parameter h.gamma of 3", h.Gamma, h.GammaVar)
	}
	for _, ps := range []*derive.PopEquations{y, z} {
		if ps.GammaVar != nil || ps.Gamma.Shape() != ir.Scalar() {
			t.Errorf("%s.gamma: %v (var %v), want a constant", ps.Pop.Name, ps.Gamma, ps.GammaVar)
		}
	}
	if !strings.Contains(h.Ebar.String(), "h.gamma") || !strings.Contains(y.Ebar.String(), "0.5") {
		t.Errorf("ebar of h = %s, of y = %s: p.gamma missing", h.Ebar, y.Ebar)
	}
	out := sys.String()
	for _, want := range []string{
		"population h[3]: phi = tanh, gamma = [1, 0.5, 0]\n",
		"h.tau_m * dh.u/dt = -h.u + h.I + h.gamma * h.e",
		"population y[2]: phi = linear, gamma = 0.5\n",
		"y.tau_m * dy.u/dt = -y.u + y.I + 0.5 * y.e",
		"population z[1]: phi = linear, gamma = 0.25\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("derived equations lack %q:\n%s", want, out)
		}
	}
}
