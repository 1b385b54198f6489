package derive_test

import (
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/ir/derive"
	"github.com/vlec-dev/vlec/lang"
)

// TestDefaultEnergyTermByTerm checks that the default energy yields
// exactly the equations of DESIGN.md, built here by hand with the same
// builder (hash-consing makes equal expressions the same pointer).
func TestDefaultEnergyTermByTerm(t *testing.T) {
	sys, err := derive.Derive(loadSource(t, "chain", `
input x[2] = 0
input c[2] = 0
population h[3] : gle(tau_m = 20ms learnable, phi = tanh, b = 0 learnable)
population y[2] : gle(tau_m = 30ms learnable, phi = softplus, b = 0 learnable)
connect x -> h W0 = glorot(seed = 1) plastic
connect h -> y W1 = glorot(seed = 2) plastic
const beta = 0.7
energy {
  mismatch(h) + mismatch(y)
  beta * mse(y.r, c)
}`))
	if err != nil {
		t.Fatal(err)
	}
	b := sys.B
	h, y := sys.Pops[0], sys.Pops[1]
	x, c := b.Lookup("x"), b.Lookup("c")
	w0, w1 := b.Lookup("W0"), b.Lookup("W1")
	beta := b.Lookup("beta")
	rh, ry := b.Apply(ir.Tanh, h.R), b.Apply(ir.Softplus, y.R)
	for _, tc := range []struct {
		what      string
		got, want ir.Expr
	}{
		{"I_h = W0 r_x + b_h", h.Drive, b.Add(b.MatVec(w0, x), h.Bias)},
		{"I_y = W1 r_h + b_y", y.Drive, b.Add(b.MatVec(w1, rh), y.Bias)},
		{"r_h = phi(uhat_r)", h.Rate, rh},
		{"ebar_h = phi'(uhat_r) W1^T e_y", h.Ebar, b.Mul(b.Deriv(ir.Tanh, h.R), b.MatTVec(w1, y.E))},
		{"ebar_y = -beta dC/duhat_r = -beta (r_y - c) phi'(uhat_r)", y.Ebar, b.Neg(b.Mul(beta, b.Sub(ry, c), b.Deriv(ir.Softplus, y.R)))},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.what, tc.got, tc.want)
		}
	}
	want := map[string]ir.Expr{
		"W0":      b.Outer(h.E, x),
		"W1":      b.Outer(y.E, rh),
		"h.b":     h.E,
		"y.b":     y.E,
		"h.tau_m": b.Neg(b.Mul(h.E, h.Udot)),
		"y.tau_m": b.Neg(b.Mul(y.E, y.Udot)),
	}
	if len(sys.Updates) != len(want) {
		t.Fatalf("%d plasticity rules, want %d", len(sys.Updates), len(want))
	}
	for _, u := range sys.Updates {
		if u.Direction != want[u.Param.Name()] {
			t.Errorf("d%s/dt / eta = %s, want %s", u.Param.Name(), u.Direction, want[u.Param.Name()])
		}
	}
}

// TestDeriveErrors checks energies the derivation cannot handle.
func TestDeriveErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"no_mismatch", `
input x[1] = 0
population h[1] : gle()
population y[1] : gle()
connect x -> h W0 = 1
connect h -> y W1 = 1
energy { mismatch(y) }`, "population h has no mismatch term, so its membrane dynamics cannot be derived; add mismatch(h)"},
		{"scaled_mismatch", `
input x[1] = 0
population h[1] : gle()
connect x -> h W0 = 1
energy { 2 * mismatch(h) }`, "the energy must depend on h.uhat_m only through 1/2 |h.uhat_m - I|^2"},
		{"recurrent_plastic_ok", `
input x[1] = 0
population h[1] : gle()
population z[1] : gle()
connect x -> h W0 = 1
connect x -> z Wz = 1
connect h -> h L = 0.5 plastic
energy { mismatch(z) + mismatch(h) + 0 * sum(L @ h.r) }`, ""},
		{"instantaneous_loop", `
input x[1] = 0
population h[1] : gle()
connect x -> h W0 = 1
energy {
  mismatch(h)
  sumsq(h.uhat_m)
}`, "sumsq(h.uhat_m) uses h.uhat_m, which mismatch(h) already uses: the error of h would depend on itself (an instantaneous loop)"},
		{"plastic_not_in_energy", `
input x[1] = 0
param kappa = 1 learnable
population h[1] : gle()
connect x -> h W0 = 1
energy { mismatch(h) }`, "kappa is plastic, but the energy does not depend on it"},
		{"uses_u", `
input x[1] = 0
population h[1] : gle()
connect x -> h W0 = 1
energy {
  mismatch(h)
  sumsq(h.u)
}`, "energy term uses h.u, which has no error dynamics of its own"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := derive.Derive(loadSource(t, tc.name, tc.src))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			for _, e := range lang.Diagnostics(err) {
				if !e.Pos.IsValid() {
					t.Errorf("error without a position: %v", e)
				}
			}
		})
	}
}
