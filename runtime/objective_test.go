package runtime_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/runtime"
)

// objectiveModel has a task loss marked with loss(...), weighted by beta,
// and a learnable homeostasis term that is not part of the task loss.
// With gamma = 0 the errors do not move the membranes, so the trajectory
// does not depend on beta or kappa, and the exact gradient of the
// objective J = cost / beta = L + R / beta by kappa is the time integral
// of 1/2 |h.r - rho|^2 / beta, which the local rule's change divided by
// beta reproduces whatever beta is.
const objectiveModel = `model objective
import "std/gle"
sim { dt = 10ms; duration = 2s; batch = 2; method = %s; learn_after = 0.5s }
input x[2] = sine(freq = 0.5Hz, phase = i + b)
population h[3] : gle(tau_m = 0.3s, tau_r = 0.1s, phi = tanh, gamma = 0)
population y[2] : gle(tau_m = 0.4s, tau_r = 0.1s, gamma = 0)
connect x -> h W0 = normal(0, 0.8, seed = 1) plastic
connect h -> y W1 = normal(0, 0.8, seed = 2) plastic
param kappa = 0.3 learnable
const nudge = %g
energy {
  mismatch(h) + mismatch(y)
  nudge * loss(mse(y.r, 0.2))
  0.5 * kappa * sumsq(h.r - 0.1)
}
learn { lr = 0.01 }
`

// TestObjectiveIndependentOfBeta checks that gradcheck's two sides are
// one objective: the local estimate of dJ/dkappa equals the exact one for
// every nudging strength (before, the exact side set only a constant
// named beta to 1 and left the regulariser unscaled, an error of 1/beta).
func TestObjectiveIndependentOfBeta(t *testing.T) {
	for _, method := range []string{"le", "gle"} {
		for _, beta := range []float64{0.2, 0.5, 1} {
			t.Run(fmt.Sprintf("%s/beta=%g", method, beta), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "m.vle")
				if err := os.WriteFile(path, []byte(fmt.Sprintf(objectiveModel, method, beta)), 0o644); err != nil {
					t.Fatal(err)
				}
				local, src, err := vlec.Compile(path, vlec.Options{})
				if err != nil {
					t.Fatal(src.Format(err))
				}
				if local.Program.Beta != beta {
					t.Fatalf("nudging strength %g, want %g", local.Program.Beta, beta)
				}
				free, _, err := vlec.Compile(path, vlec.Options{Free: true})
				if err != nil {
					t.Fatal(err)
				}
				const from, K = 50, 100
				est, err := runtime.LocalGradient(local.Program, from, K, runtime.Options{})
				if err != nil {
					t.Fatal(err)
				}
				sw, err := runtime.ExactGradient(free.Program, free.Reverse, from, K, false, runtime.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer sw.Sim().Close()
				exact := sw.Grad("kappa")[0]
				got := est["kappa"][0]
				// The local rule reads h.r of step k-1 in the learn phase of
				// step k; the objective sums the cost at the start of step k,
				// which reads the same h.r: the two agree to rounding.
				if d := math.Abs(got-exact) / math.Abs(exact); d > 1e-12 {
					t.Errorf("dJ/dkappa: local %.15g, exact %.15g (ratio %.6g)", got, exact, got/exact)
				}
			})
		}
	}
}

// TestSharedParameterInBatchedProduct checks the exact gradient of a
// shared parameter that meets a batched vector in a reduction,
// dot(W1 @ h.r, y.b): its reverse sweep gathers a product per sample (it
// once failed to compile: "batched argument into a shared destination").
func TestSharedParameterInBatchedProduct(t *testing.T) {
	src := `model shared
import "std/gle"
sim { dt = 10ms; duration = 1s; batch = 3; method = adjoint }
input x[2] = sine(freq = 0.5Hz, phase = i + b)
population h[3] : gle(tau_m = 0.3s, tau_r = 0.1s, phi = tanh)
population y[2] : gle(tau_m = 0.4s, tau_r = 0.1s, b = [0.1, -0.2] learnable)
connect x -> h W0 = normal(0, 0.8, seed = 1) plastic
connect h -> y W1 = normal(0, 0.8, seed = 2) plastic
energy {
  mismatch(h) + mismatch(y)
  loss(mse(y.r, 0.2))
  0.3 * dot(W1 @ h.r, y.b)
}
`
	path := filepath.Join(t.TempDir(), "m.vle")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	c, sources, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		t.Fatal(sources.Format(err))
	}
	const from, K = 10, 60
	sw, err := runtime.ExactGradient(c.Program, c.Reverse, from, K, false, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sw.Sim().Close()
	fd, err := runtime.FiniteDifferences(c.Program, sw, []string{"y.b"}, from, K, runtime.Options{}, runtime.FDOptions{Entries: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range fd {
		if e.RelErr > 1e-6 {
			t.Errorf("%s%s: exact %.10g, finite differences %.10g", e.Param, e.Entry, e.Exact, e.FD)
		}
	}
}
