package runtime_test

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec"

	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/runtime"
)

// precisionRuns are the models TestFloat32Deviation runs, with the steps
// of each run (the examples for their whole duration, the benchmark
// networks for as long as the test stays within seconds) and the bounds
// of its drift and of its mean cost's relative difference. The bounds
// are about four times what the interpreter measured on AVX-512
// (2026-12-03, the synapse passes in float32; the figures of lang/SPEC.md):
// the float32 run is the same on every CPU (kern.Synapse32 has one order
// of summation on every path), but its float64 reference is not (Synapse
// and the GEMMs sum in another order on AVX2 and in Go), and a model's
// drift is its own: chain2's errors (h.e, a difference of nearly equal
// values) drift ten times more than the weights of the wide networks,
// where each weight's rounding at every update dominates the float32
// sums of up to 1000 products of the synapse passes (n2's and n4's
// drift did not change when those passes went from float64 to float32
// arithmetic; their mean costs moved by 1e-8).
var precisionRuns = []struct {
	file        string
	steps       int     // 0: the model's duration
	drift, cost float64 // bounds
}{
	{"chain2.vle", 0, 1e-4, 1e-6}, {"mlp.vle", 0, 1e-5, 2e-7},
	{"chain2_gamma0.vle", 0, 1e-4, 2e-6}, {"mlp_gamma0.vle", 0, 1e-5, 2e-7},
	{"chain2_teacher.vle", 0, 2e-6, 1e-8}, {"mlp_teacher.vle", 0, 2e-6, 1e-8},
	{"bench/n1.vle", 20000, 3e-5, 2e-5}, {"bench/n2.vle", 5000, 3e-5, 1e-6},
	{"bench/n3.vle", 300, 1e-5, 2e-7}, {"bench/n4.vle", 100, 4e-6, 2e-7}, {"bench/n5.vle", 20, 2e-6, 1e-8},
}

// TestFloat32Deviation runs every example and benchmark model under
// precision float64 and float32 (--precision: the model, not its
// teachers), side by side, and measures how far the
// float32 run drifts: for every state and parameter, the largest
// difference over the run relative to the largest magnitude the float64
// run reached (its scale), and the relative difference of the mean cost
// over the run. The float32 states must be float32 numbers and differ
// from the float64 ones (the setting takes effect), and stay within the
// run's bounds (precisionRuns: the models are stable, so rounding
// errors do not grow); the figures, printed with -v, are the table of
// lang/SPEC.md.
func TestFloat32Deviation(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every model twice; -short skips it")
	}
	t.Logf("%-20s %8s %12s %-16s %10s", "model", "steps", "worst drift", "(in)", "mean cost")
	for _, r := range precisionRuns {
		path := filepath.Join("../examples", r.file)
		p64 := compile(t, path)
		c, src, err := vlec.Compile(path, vlec.Options{Precision: "float32"}) // the model's, not its teachers'
		if err != nil {
			t.Fatal(src.Format(err))
		}
		p32 := c.Program
		if p64.Float32 || !p32.Float32 {
			t.Fatalf("%s: Float32 %v and %v", r.file, p64.Float32, p32.Float32)
		}
		steps := r.steps
		if steps == 0 {
			steps = p64.Steps
		}
		dev, cost := deviation(t, p64, p32, steps)
		t.Logf("%-20s %8d %12.2e %-16s %10.2e", strings.TrimSuffix(r.file, ".vle"), steps, dev.worst, dev.name, cost)
		if dev.worst == 0 {
			t.Errorf("%s: the float32 run is the float64 run", r.file)
		}
		if dev.worst > r.drift {
			t.Errorf("%s: float32 drifts %.2g of the scale from float64 (%s), more than its bound %.2g", r.file, dev.worst, dev.name, r.drift)
		}
		if cost > r.cost {
			t.Errorf("%s: the float32 mean cost differs by %.2g from float64's, more than its bound %.2g", r.file, cost, r.cost)
		}
	}
}

type drift struct {
	worst float64
	name  string
}

// deviation steps the two programs side by side and returns the worst
// drift of a state or parameter (relative to its float64 scale) and the
// relative difference of the mean costs.
func deviation(t *testing.T, p64, p32 *schedule.Program, steps int) (drift, float64) {
	t.Helper()
	s64, err := runtime.New(p64, runtime.Options{Steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	defer s64.Close()
	s32, err := runtime.New(p32, runtime.Options{Steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	defer s32.Close()
	var bufs [][2]*schedule.Buffer
	for _, b := range p64.Buffers {
		if b.Kind == schedule.State || b.Kind == schedule.Param {
			bufs = append(bufs, [2]*schedule.Buffer{b, p32.Buffers[b.ID]})
		}
	}
	scale, diff := make([]float64, len(bufs)), make([]float64, len(bufs))
	c64, c32 := 0.0, 0.0
	for k := 0; k < steps; k++ {
		if err := s64.Step(); err != nil {
			t.Fatal(err)
		}
		if err := s32.Step(); err != nil {
			t.Fatal(err)
		}
		if s64.HasCost() {
			c64 += s64.Cost()
			c32 += s32.Cost()
		}
		for i, b := range bufs {
			a, f := s64.Values(b[0]), s32.Values(b[1])
			for j, x := range a {
				y := f[j]
				if float64(float32(y)) != y {
					t.Fatalf("%s step %d: %s[%d] = %v is not a float32 number", p32.Model.Name, k, b[1].Name, j, y)
				}
				scale[i] = math.Max(scale[i], math.Abs(x))
				diff[i] = math.Max(diff[i], math.Abs(x-y))
			}
		}
	}
	var d drift
	for i, b := range bufs {
		if scale[i] == 0 {
			continue
		}
		if r := diff[i] / scale[i]; r > d.worst {
			d = drift{r, runtimeName(p64, b[0])}
		}
	}
	cost := 0.0
	if c64 != 0 {
		cost = math.Abs(c32-c64) / math.Abs(c64)
	}
	return d, cost
}

func runtimeName(p *schedule.Program, b *schedule.Buffer) string {
	name, _ := runtime.UserName(p, b)
	return name
}
