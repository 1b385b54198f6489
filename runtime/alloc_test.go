package runtime_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/runtime"
)

// TestStepAllocationFree checks that a step allocates nothing, learning
// on and the guard on: on a benchmark network, and on a model using the
// kernels issue 8 added (messages with an initial value, copies of
// plastic parameters the errors read, a weight decay, the recorded
// energy).
func TestStepAllocationFree(t *testing.T) {
	src := `model alloc
import "std/gle"
sim { dt = 10ms; duration = 10s; batch = 2; method = gle }
input x[2] = sine(freq = 0.5Hz, phase = i + b)
population h[3] : gle(tau_m = 0.3s, tau_r = 0.1s, phi = tanh, b = 0.1 learnable)
population y[2] : gle(tau_m = 0.4s, tau_r = 0.1s)
connect x -> h W0 = normal(0, 0.5, seed = 1) plastic
connect h -> y W1 = normal(0, 0.5, seed = 2) plastic
energy {
  mismatch(h) + mismatch(y)
  0.1 * loss(mse(y.r, 0.2))
  0.01 * dot(y.r, W1 @ (h.r + 1))
  0.01 * dot(h.r, W0 @ x)
  0.5 * 0.01 * sumsq(W1)
}
learn { lr = 0.01 }
record energy
`
	path := filepath.Join(t.TempDir(), "alloc.vle")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	c, sources, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		t.Fatal(sources.Format(err))
	}
	for _, tc := range []struct {
		name string
		sim  func() (*runtime.Sim, error)
	}{
		{"n2", func() (*runtime.Sim, error) {
			return runtime.New(compile(t, "../examples/bench/n2.vle"), runtime.Options{Steps: 1 << 20})
		}},
		{"issue 8 kernels", func() (*runtime.Sim, error) { return runtime.New(c.Program, runtime.Options{Steps: 1 << 20}) }},
	} {
		sim, err := tc.sim()
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := sim.Step(); err != nil {
				t.Fatal(err)
			}
		}
		allocs := testing.AllocsPerRun(50, func() {
			if err := sim.Step(); err != nil {
				t.Fatal(err)
			}
		})
		sim.Close()
		if allocs != 0 {
			t.Errorf("%s: %g allocations per step, want 0", tc.name, allocs)
		}
	}
}
