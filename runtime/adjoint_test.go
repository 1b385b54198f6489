package runtime_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/ir/adjoint"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/runtime"
)

// compileFree compiles the free dynamics of a model and its reverse sweep.
func compileFree(t testing.TB, path string) (*schedule.Program, *adjoint.Program) {
	t.Helper()
	c, src, err := vlec.Compile(path, vlec.Options{Free: true})
	if err != nil {
		t.Fatal(src.Format(err))
	}
	return c.Program, c.Reverse
}

// sweep runs one sweep of K steps from the start of a fresh simulator.
func sweep(t testing.TB, fwd *schedule.Program, rev *adjoint.Program, K int, checkpoint bool) *runtime.Sweep {
	t.Helper()
	sim, err := runtime.New(fwd, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	sw, err := runtime.NewSweep(sim, rev, runtime.SweepOptions{Window: K, Checkpoint: checkpoint})
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.Run(K); err != nil {
		t.Fatal(err)
	}
	return sw
}

type bpttFile struct {
	Steps int                        `json:"steps"`
	Loss  float64                    `json:"loss"`
	Grad  map[string]json.RawMessage `json:"grad"`
}

var goldenParam = regexp.MustCompile(`^(W|b|tau_m)(\d+)$`)

// TestSweepGolden compares the sweep with shared/golden/NAME.bptt.json
// (automatic differentiation through the GLE reference implementation),
// with every starting point stored and with checkpoints: the two must
// agree bit for bit.
func TestSweepGolden(t *testing.T) {
	if _, err := os.Stat(goldenDir); err != nil {
		t.Skipf("golden data not found at %s: %v", goldenDir, err)
	}
	for _, name := range []string{"chain2", "mlp"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(goldenDir, name+".bptt.json"))
			if err != nil {
				t.Fatal(err)
			}
			var want bpttFile
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			fwd, rev := compileFree(t, "../examples/"+name+".vle")
			full := sweep(t, fwd, rev, want.Steps, false)
			ckpt := sweep(t, fwd, rev, want.Steps, true)
			if full.Stored() != want.Steps || ckpt.Stored() >= want.Steps/4 {
				t.Errorf("stored %d and %d starting points for %d steps", full.Stored(), ckpt.Stored(), want.Steps)
			}
			if d := math.Abs(full.Loss()-want.Loss) / want.Loss; d > 1e-12 {
				t.Errorf("loss %.17g, golden %.17g", full.Loss(), want.Loss)
			}
			if full.Loss() != ckpt.Loss() {
				t.Errorf("loss %.17g with checkpoints, %.17g without", ckpt.Loss(), full.Loss())
			}
			worst := 0.0
			for key, msg := range want.Grad {
				g := goldenParam.FindStringSubmatch(key)
				l, _ := strconv.Atoi(g[2])
				ours := fwd.Model.Populations[l].Name + "." + g[1]
				if g[1] == "W" {
					ours = fwd.Model.Connections[l].Name
				}
				var ref []float64
				var m [][]float64
				if json.Unmarshal(msg, &m) == nil {
					for _, row := range m {
						ref = append(ref, row...)
					}
				} else if err := json.Unmarshal(msg, &ref); err != nil {
					t.Fatal(err)
				}
				got, got2 := full.Grad(ours), ckpt.Grad(ours)
				if len(got) != len(ref) {
					t.Fatalf("%s: %d entries, golden %d", ours, len(got), len(ref))
				}
				for i := range ref {
					d := math.Abs(got[i]-ref[i]) / math.Abs(ref[i])
					worst = math.Max(worst, d)
					if d > 1e-10 {
						t.Errorf("dL/d%s[%d] = %.15g, golden %.15g", ours, i, got[i], ref[i])
					}
					if got[i] != got2[i] {
						t.Errorf("dL/d%s[%d] = %.17g with checkpoints, %.17g without", ours, i, got2[i], got[i])
					}
				}
			}
			t.Logf("loss %.15g (golden %.15g), worst relative gradient difference %.2g", full.Loss(), want.Loss, worst)
		})
	}
}

// TestSweepFiniteDifferences checks sweeps that start mid-run (the state
// at the start of the window taken as given) against central finite
// differences, for every entry of chain2 and mlp.
func TestSweepFiniteDifferences(t *testing.T) {
	for _, c := range []struct {
		name     string
		from, K  int
		worstMax float64
	}{{"chain2", 700, 200, 1e-6}, {"mlp", 250, 150, 1e-6}} {
		t.Run(c.name, func(t *testing.T) {
			fwd, rev := compileFree(t, "../examples/"+c.name+".vle")
			sw, err := runtime.ExactGradient(fwd, rev, c.from, c.K, true, runtime.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer sw.Sim().Close()
			if sw.Sim().K() != c.from+c.K {
				t.Errorf("the simulator is at step %d after the sweep, want %d", sw.Sim().K(), c.from+c.K)
			}
			loss, err := runtime.FreeLoss(fwd, c.from, c.K, runtime.Options{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if loss != sw.Loss() {
				t.Errorf("loss %.17g, forward only %.17g", sw.Loss(), loss)
			}
			fd, err := runtime.FiniteDifferences(fwd, sw, runtime.Plastic(fwd), c.from, c.K, runtime.Options{}, runtime.FDOptions{Entries: 1000, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for _, e := range fd {
				worst = math.Max(worst, e.RelErr)
				if e.RelErr > c.worstMax && math.Abs(e.FD-e.Exact) > 1e-8 {
					t.Errorf("%s%s: exact %.10g, finite differences %.10g", e.Param, e.Entry, e.Exact, e.FD)
				}
			}
			t.Logf("%d entries, worst relative error %.2g", len(fd), worst)
		})
	}
}

// TestSweepContinues checks that a sweep leaves the simulator where the
// forward steps left it: sweeping window after window gives the same
// states as stepping.
func TestSweepContinues(t *testing.T) {
	fwd, rev := compileFree(t, "../examples/mlp.vle")
	a, err := runtime.New(fwd, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := runtime.New(fwd, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sw, err := runtime.NewSweep(a, rev, runtime.SweepOptions{Window: 70, Checkpoint: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, K := range []int{70, 13, 70} {
		if err := sw.Run(K); err != nil {
			t.Fatal(err)
		}
	}
	for range 153 {
		if err := b.Step(); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"h.u", "y.u", "y.r", "h.r"} {
		buf := fwd.Named[name]
		for i, v := range b.Values(buf) {
			if a.Values(buf)[i] != v {
				t.Fatalf("%s[%d] = %v after sweeps, %v after steps", name, i, a.Values(buf)[i], v)
			}
		}
	}
	b.Step()
	if err := sw.Run(1); err != nil {
		t.Fatal(err)
	}
	if a.Cost() != b.Cost() {
		t.Errorf("cost %v after sweeps, %v after steps", a.Cost(), b.Cost())
	}
}

// TestSweepAllocates checks that a sweep allocates nothing.
func TestSweepAllocates(t *testing.T) {
	fwd, rev := compileFree(t, "../examples/mlp.vle")
	for _, ckpt := range []bool{false, true} {
		sim, err := runtime.New(fwd, runtime.Options{Steps: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		defer sim.Close()
		sw, err := runtime.NewSweep(sim, rev, runtime.SweepOptions{Window: 50, Checkpoint: ckpt})
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(5, func() {
			if err := sw.Run(50); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("checkpoint %v: %v allocations per sweep", ckpt, n)
		}
	}
}
