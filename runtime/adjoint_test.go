package runtime_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/vlec-dev/vlec/ir/adjoint"
	"github.com/vlec-dev/vlec/ir/derive"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/runtime"
)

// compileFree schedules the free dynamics of a model and its reverse sweep.
func compileFree(t testing.TB, path string) (*schedule.Program, *adjoint.Program) {
	t.Helper()
	m, src, err := check.Load(path)
	if err != nil {
		t.Fatal(src.Format(err))
	}
	sys, err := derive.Derive(m)
	if err != nil {
		t.Fatal(src.Format(err))
	}
	fwd, err := schedule.Free(sys)
	if err != nil {
		t.Fatal(src.Format(err))
	}
	rev, err := adjoint.Reverse(fwd)
	if err != nil {
		t.Fatal(err)
	}
	return fwd, rev
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
