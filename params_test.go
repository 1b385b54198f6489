package vlec_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/runtime"
)

// run compiles src and returns its simulator and a reader of its buffers.
func run(t *testing.T, src string, opts vlec.Options) (*runtime.Sim, func(string) []float64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.vle")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	c, sources, err := vlec.Compile(path, opts)
	if err != nil {
		t.Fatalf("%s", sources.Format(err))
	}
	sim, err := runtime.New(c.Program, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return sim, func(name string) []float64 {
		b := c.Program.Named[name]
		if b == nil {
			t.Fatalf("no buffer %s", name)
		}
		return sim.Values(b)
	}
}

// TestTauREqualsDt runs a one-neuron linear model whose tau_r equals dt
// (allowed: the Euler leaks are monotone for dt <= tau) and compares it
// with the discrete scheme computed by hand: with tau_r = dt the
// prospective potential uhat_r = u + tau_r du/dt is the next membrane
// value, and the error neuron reaches ebar in one step.
func TestTauREqualsDt(t *testing.T) {
	const (
		dt, tauM, tauR = 0.01, 0.05, 0.01
		w, bias, beta  = 0.8, 0.1, 0.5
		target         = 0.3
		freq           = 2.0
	)
	sim, val := run(t, `model tau_r_dt
import "std/gle"
sim { dt = 10ms; duration = 300ms; method = gle }
input x[1] = sine(freq = 2Hz)
input c[1] = 0.3
population y[1] : gle(tau_m = 50ms, tau_r = 10ms, b = 0.1)
connect x -> y W = [[0.8]]
energy {
  mismatch(y)
  0.5 * mse(y.r, c)
}
`, vlec.Options{})
	var u, v, uhatR float64 // the state left by the previous step
	for k := range 30 {
		x := math.Sin(2 * math.Pi * freq * float64(k) * dt)
		ebar := beta * (target - uhatR) // linear phi: r = uhat_r, phi' = 1
		vdot := (ebar - v) / tauR
		e := v + tauM*vdot
		v += dt * vdot
		udot := (w*x + bias - u + e) / tauM
		uhatR = u + tauR*udot
		u += dt * udot
		if err := sim.Step(); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"y.u", val("y.u")[0], u}, {"y.uhat_r", val("y.uhat_r")[0], uhatR}, {"y.v", val("y.v")[0], v}, {"y.e", val("y.e")[0], e}} {
			if math.Abs(c.got-c.want) > 1e-12 {
				t.Fatalf("step %d: %s = %.15g, by hand %.15g", k, c.name, c.got, c.want)
			}
		}
		if math.Abs(uhatR-u) > 1e-12 || math.Abs(v-ebar) > 1e-12 {
			t.Fatalf("step %d: with tau_r = dt, uhat_r = %g should be the new u = %g and v = %g the ebar %g", k, uhatR, u, v, ebar)
		}
	}
}

// TestPerNeuronGamma checks that a population with gamma = [1, 0] follows,
// neuron by neuron, the trajectories of the same population with gamma = 1
// and with gamma = 0 (its neurons are independent: no lateral
// connections, a cost that sums over neurons, weight rows that learn from
// their own neuron's error).
func TestPerNeuronGamma(t *testing.T) {
	model := func(gamma, method string) string {
		return fmt.Sprintf(`model gammas
import "std/gle"
sim { dt = 1ms; duration = 200ms; method = %s }
input x[2] = sine(freq = 3Hz + 2Hz * i, phase = i)
input c[2] = 0.4 * sine(freq = 1Hz, phase = 1 + i)
population y[2] : gle(tau_m = [10ms, 30ms], tau_r = [2ms, 1ms], phi = tanh, b = [0.1, -0.2] learnable, gamma = %s)
connect x -> y W = [[0.5, -0.3], [0.2, 0.9]] plastic
energy {
  mismatch(y)
  mse(y.r, c)
  0.01 * sum(y.gamma * y.r)
}
learn { lr = 0.5 }
`, method, gamma)
	}
	for _, method := range []string{"gle", "le"} {
		sim, val := run(t, model("[1, 0]", method), vlec.Options{})
		one, valOne := run(t, model("1", method), vlec.Options{})
		zero, valZero := run(t, model("0", method), vlec.Options{})
		for k := range 200 {
			for _, s := range []*runtime.Sim{sim, one, zero} {
				if err := s.Step(); err != nil {
					t.Fatal(err)
				}
			}
			for _, q := range []string{"y.u", "y.uhat_r", "y.e", "y.b", "W"} {
				got, a, b := val(q), valOne(q), valZero(q)
				n := len(got) / 2 // the first neuron's entries, then the second's
				for i := range got {
					want := a[i]
					if i >= n {
						want = b[i]
					}
					if math.Abs(got[i]-want) > 1e-12 {
						t.Fatalf("%s step %d: %s[%d] = %.15g, want %.15g (the run with gamma = %d)", method, k, q, i, got[i], want, map[bool]int{true: 1, false: 0}[i < n])
					}
				}
			}
		}
	}
	// The free dynamics (exact gradients) use gamma = 0 but may still read
	// p.gamma in the energy.
	sim, _ := run(t, model("[1, 0]", "adjoint"), vlec.Options{})
	if err := sim.Step(); err != nil {
		t.Fatal(err)
	}
}
