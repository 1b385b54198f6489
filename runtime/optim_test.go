package runtime_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/vlec-dev/vlec/runtime"
)

func compileSource(t *testing.T, src string) (*runtime.Sim, func(string) []float64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.vle")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	prog := compile(t, path)
	sim, err := runtime.New(prog, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return sim, func(name string) []float64 {
		b := prog.Named[name]
		if b == nil {
			t.Fatalf("no buffer %s", name)
		}
		return sim.Values(b)
	}
}

// TestAdamFirstStep checks Adam's defining property: after one step the
// bias-corrected moments are d and d^2, so every weight moves by
// lr * d / (|d| + eps), which is lr in size whatever the gradient's scale.
func TestAdamFirstStep(t *testing.T) {
	sim, val := compileSource(t, `model adam
import "std/gle"
sim { dt = 1ms; duration = 10ms; learn_after = 3ms }
input x[2] = 1 + i
input c[1] = 5
population y[1] : gle(tau_m = 10ms, tau_r = 2ms)
connect x -> y W = [[0.1, 0.2]] plastic
energy {
  mismatch(y)
  beta * mse(y.r, c)
}
const beta = 0.5
learn { lr = 0.01; optimizer = adam; adam_eps = 1e-12 }
`)
	var before []float64
	for k := 0; k < 4; k++ {
		before = append([]float64(nil), val("W")...)
		if err := sim.Step(); err != nil {
			t.Fatal(err)
		}
	}
	for i, w := range val("W") {
		if d := math.Abs(w - before[i]); math.Abs(d-0.01) > 1e-9 {
			t.Errorf("W[%d] moved by %g on Adam's first step, want 0.01", i, d)
		}
	}
}

// TestUhatM checks the recorded prospective membrane potential against the
// identity the membrane equation implies: u + tau_m du/dt = I + gamma e.
func TestUhatM(t *testing.T) {
	sim, val := compileSource(t, `model um
import "std/gle"
sim { dt = 1ms; duration = 50ms }
input x[2] = sine(freq = 5Hz, phase = i)
input c[3] = 0.3
population y[3] : gle(tau_m = 10ms, tau_r = 2ms, phi = tanh, gamma = 0.5)
connect x -> y W = glorot(seed = 1) plastic
energy {
  mismatch(y)
  mse(y.r, c)
}
learn { lr = 0.1 }
record y.uhat_m, y.I, y.e
`)
	for k := 0; k < 50; k++ {
		if err := sim.Step(); err != nil {
			t.Fatal(err)
		}
		um, in, e := val("y.uhat_m"), val("y.I"), val("y.e")
		for i := range um {
			if want := in[i] + 0.5*e[i]; math.Abs(um[i]-want) > 1e-12 {
				t.Fatalf("step %d: y.uhat_m[%d] = %.15g, I + gamma e = %.15g", k, i, um[i], want)
			}
		}
	}
}
