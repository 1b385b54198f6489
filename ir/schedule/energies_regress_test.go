package schedule_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/runtime"
)

// Regression tests for energies that once scheduled wrongly (issue 8):
// a weight decay on a plastic weight could not be scheduled, products of
// plastic weights found in an error replaced the same product in the
// membrane input and the cost, and messages holding an input or a target
// read the previous step's value.

// regressBase is a 2 -> 5 -> 3 network (tanh hidden, linear output, batch
// 2) that learns the rates of a teacher network; TERM is replaced by the
// term under test and METHOD, PLASTIC, LEARN by the variant's settings.
const regressBase = `model base
import "std/gle"
sim { dt = 10ms; duration = 1s; batch = 2; method = METHOD; learn_after = LEARN }
input x[2] = sin(2 * pi * (0.3 + 0.17 * i + 0.05 * b) * t + 0.7 * i + 0.3 * b)
population h[5] : gle(tau_m = 0.5s, tau_r = 0.2s, phi = tanh, b = 0.1 learnable)
population y[3] : gle(tau_m = 0.6s, tau_r = 0.3s, b = -0.1 learnable)
connect x -> h W0 = normal(0, 0.5, seed = 1) PLASTIC
connect h -> y W1 = normal(0, 0.5, seed = 2) PLASTIC
teacher T = model("teacher.vle", x = x)
const beta = 0.2
const lam = 0.3
const zero = 0
energy {
  mismatch(h) + mismatch(y)
  beta * mse(y.r, T.y.r)
  TERM
}
learn { lr = 0.05 }
`

const regressTeacher = `model teach
import "std/gle"
sim { dt = 10ms; duration = 1s; batch = 2 }
input x[2] = sine(freq = 0.4Hz, phase = i)
population h[5] : gle(tau_m = 0.4s, tau_r = 0.2s, phi = tanh)
population y[3] : gle(tau_m = 0.5s, tau_r = 0.3s)
connect x -> h W0 = normal(0, 0.8, seed = 11)
connect h -> y W1 = normal(0, 0.8, seed = 12)
energy { mismatch(h) + mismatch(y) }
`

type variant struct {
	term, method string
	plastic      bool
	learnAfter   string // "0.3s" or "2s" (never within the 1 s run)
}

func (v variant) source() string {
	plastic := ""
	if v.plastic {
		plastic = "plastic"
	}
	term := v.term
	if term == "" {
		term = "0.5 * zero * sumsq(y.r)" // a placeholder that keeps the line
	}
	r := strings.NewReplacer("TERM", term, "METHOD", v.method, "PLASTIC", plastic, "LEARN", v.learnAfter)
	return r.Replace(regressBase)
}

// trajectory runs a variant and returns every state and parameter the
// user can name, per step.
func trajectory(t *testing.T, v variant) (*schedule.Program, []map[string][]float64) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "teacher.vle"), []byte(regressTeacher), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "m.vle")
	if err := os.WriteFile(path, []byte(v.source()), 0o644); err != nil {
		t.Fatal(err)
	}
	c, src, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		t.Fatalf("%s\n%s", v.source(), src.Format(err))
	}
	sim, err := runtime.New(c.Program, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	names := []string{"h.u", "h.e", "h.uhat_r", "y.u", "y.e", "y.uhat_r", "W0", "W1", "h.b", "y.b", "h.r"}
	var out []map[string][]float64
	for k := 0; k < c.Program.Steps; k++ {
		if err := sim.Step(); err != nil {
			t.Fatal(err)
		}
		row := map[string][]float64{}
		for _, n := range names {
			row[n] = append([]float64(nil), sim.Values(c.Program.Named[n])...)
		}
		out = append(out, row)
	}
	return c.Program, out
}

// sameTrajectories fails at the first quantity that differs by more than
// tol (relative to 1 + |value|).
func sameTrajectories(t *testing.T, a, b []map[string][]float64, tol float64) {
	t.Helper()
	for k := range a {
		for name, xs := range a[k] {
			for i, x := range xs {
				y := b[k][name][i]
				if d := math.Abs(x - y); d > tol*(1+math.Abs(y)) || math.IsNaN(d) {
					t.Fatalf("step %d: %s[%d] = %.17g, want %.17g (difference %.3g)", k, name, i, x, y, d)
				}
			}
		}
	}
}

// TestWeightDecayRule checks that 1/2 lam |W1|^2 schedules with le and gle
// and that W1 follows dW1/dt = eta (mean_b(e_y r_h^T) - lam W1), computed
// by hand from the states the run leaves.
func TestWeightDecayRule(t *testing.T) {
	for _, method := range []string{"le", "gle"} {
		t.Run(method, func(t *testing.T) {
			v := variant{term: "0.5 * lam * sumsq(W1)", method: method, plastic: true, learnAfter: "0.3s"}
			prog, traj := trajectory(t, v)
			const lr, lam, batch, nh, ny = 0.05, 0.3, 2, 5, 3
			worst := 0.0
			for k := prog.LearnAfter; k < len(traj); k++ {
				prev, now := traj[k-1], traj[k]
				for i := 0; i < ny; i++ {
					for j := 0; j < nh; j++ {
						grad := 0.0
						for b := 0; b < batch; b++ {
							grad += now["y.e"][b*ny+i] * prev["h.r"][b*nh+j]
						}
						w := prev["W1"][i*nh+j]
						want := w + lr*(grad/batch-lam*w)
						got := now["W1"][i*nh+j]
						worst = math.Max(worst, math.Abs(got-want))
						if math.Abs(got-want) > 1e-14 {
							t.Fatalf("step %d: W1[%d][%d] = %.17g, want %.17g", k, i, j, got, want)
						}
					}
				}
			}
			t.Logf("%d learning steps, worst difference %.2g", len(traj)-prog.LearnAfter, worst)
		})
	}
}

// TestZeroTermChangesNothing adds terms multiplied by a constant zero (kept
// as a symbol, so the derivation does not drop them) and checks that the
// run is the same, learning on and off.
func TestZeroTermChangesNothing(t *testing.T) {
	terms := []string{
		"zero * dot(h.r, W0 @ x)",        // a product with an input inside an error
		"0.5 * zero * sumsq(y.I)",        // products of plastic weights inside an error
		"zero * mse(W1 @ h.r, T.y.r)",    // a product with a target inside an error
		"0.5 * zero * sumsq(W1)",         // a weight decay
		"zero * dot(y.r, W1 @ h.uhat_r)", // the same weight on both sides
	}
	for _, method := range []string{"le", "gle"} {
		for _, learn := range []string{"0.3s", "2s"} {
			_, ref := trajectory(t, variant{method: method, plastic: true, learnAfter: learn})
			for _, term := range terms {
				t.Run(fmt.Sprintf("%s/learn_after=%s/%s", method, learn, term), func(t *testing.T) {
					_, got := trajectory(t, variant{term: term, method: method, plastic: true, learnAfter: learn})
					sameTrajectories(t, got, ref, 1e-12)
				})
			}
		}
	}
}

// TestPlasticOrFixedSameWithoutLearning checks that marking the weights
// plastic changes nothing while learning is off, whatever the energy.
func TestPlasticOrFixedSameWithoutLearning(t *testing.T) {
	terms := []string{"", "0.1 * mse(W1 @ h.r, T.y.r)", "0.05 * sumsq(y.I)", "0.1 * dot(h.r, W0 @ x)",
		"0.1 * dot(y.r, W1 @ (h.r + 1))", // a message that is not zero at the start
	}
	for _, method := range []string{"le", "gle"} {
		for _, term := range terms {
			t.Run(method+"/"+term, func(t *testing.T) {
				_, fixed := trajectory(t, variant{term: term, method: method, learnAfter: "2s"})
				_, plastic := trajectory(t, variant{term: term, method: method, plastic: true, learnAfter: "2s"})
				sameTrajectories(t, plastic, fixed, 1e-12)
			})
		}
	}
}
