package schedule_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/runtime"
)

// TestRecordedEnergy checks the energy terms the step program computes
// when a model records the energy against a hand computation from the
// states and parameters the step reads: a mismatch is 1/2 |e|^2 with the
// previous step's error, the cost terms are evaluated on the previous
// rates, and the energy is their sum.
func TestRecordedEnergy(t *testing.T) {
	src := `model en
import "std/gle"
sim { dt = 10ms; duration = 1s; method = gle; batch = 2 }
input x[1] = sine(freq = 1Hz, phase = b)
population h[2] : gle(tau_m = 50ms, tau_r = 20ms, phi = tanh)
population y[1] : gle(tau_m = 50ms, tau_r = 20ms)
connect x -> h W0 = [[1], [0.5]] plastic
connect h -> y W1 = [[1, -1]] plastic
energy {
  mismatch(h) + mismatch(y)
  0.5 * loss(mse(y.r, 0.3))
  0.01 * sumsq(W1)
}
learn { lr = 0.1 }
record energy, y.r
`
	path := filepath.Join(t.TempDir(), "en.vle")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	c, sources, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		t.Fatal(sources.Format(err))
	}
	p := c.Program
	if p.Energy == nil || len(p.EnergyTerms) != 4 {
		t.Fatalf("energy buffers: %v, %d terms, want 4", p.Energy, len(p.EnergyTerms))
	}
	sim, err := runtime.New(p, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	vals := func(name string) []float64 { return append([]float64(nil), sim.Values(p.Named[name])...) }
	he, ye, yr, w1 := make([]float64, 4), make([]float64, 2), make([]float64, 2), vals("W1")
	for k := 0; k < p.Steps; k++ {
		if err := sim.Step(); err != nil {
			t.Fatal(err)
		}
		for b := 0; b < 2; b++ {
			want := []float64{
				0.5 * (he[2*b]*he[2*b] + he[2*b+1]*he[2*b+1]),
				0.5 * ye[b] * ye[b],
				0.25 * (yr[b] - 0.3) * (yr[b] - 0.3),
				0.01 * (w1[0]*w1[0] + w1[1]*w1[1]),
			}
			sum := 0.0
			for i, term := range p.EnergyTerms {
				got := sim.Values(term)[b]
				if math.Abs(got-want[i]) > 1e-14*(1+math.Abs(want[i])) {
					t.Fatalf("step %d, sample %d: %s = %.17g, want %.17g", k, b, term.Name, got, want[i])
				}
				sum += got
			}
			if got := sim.Values(p.Energy)[b]; got != sum {
				t.Fatalf("step %d: energy %.17g, the sum of its terms %.17g", k, got, sum)
			}
		}
		he, ye, yr, w1 = vals("h.e"), vals("y.e"), vals("y.r"), vals("W1")
	}
}
