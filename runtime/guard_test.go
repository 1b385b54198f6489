package runtime_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/runtime"
)

// guardModel is a batch-1 network whose weights are streamed by synapse
// passes (schedule.Fuse), so the guard checks them through the sums the
// passes return; LR makes the weights blow up, SIZE sets the hidden layer
// (1: the tail lanes of a vector; 19: full vectors and tails).
const guardModel = `model g
import "std/gle"
sim { dt = 10ms; duration = 20s; batch = 1 }
input x[3] = sine(freq = 0.7Hz, phase = i)
population h[SIZE] : gle(tau_m = 50ms, tau_r = 20ms, phi = tanh)
population y[2] : gle(tau_m = 50ms, tau_r = 20ms)
connect x -> h W0 = normal(0, 1, seed = 1) plastic
connect h -> y W1 = normal(0, 1, seed = 2) plastic
energy { mismatch(h) + mismatch(y); 50 * mse(y.r, 3) }
learn { lr = LR }
`

// TestGuardOnPassSums: the guard stops at the first step, and names the
// first quantity, that a plain scan of every state and parameter finds
// non-finite after each step of an unguarded run of the same model.
func TestGuardOnPassSums(t *testing.T) {
	for _, tc := range []struct{ size, lr string }{{"1", "1e3"}, {"19", "1e3"}, {"19", "1e5"}, {"8", "1e4"}, {"1", "1e308"}, {"19", "1e308"}} {
		t.Run("size"+tc.size+"/lr"+tc.lr, func(t *testing.T) {
			src := []byte(strings.NewReplacer("SIZE", tc.size, "LR", tc.lr).Replace(guardModel))
			path := filepath.Join(t.TempDir(), "g.vle")
			if err := os.WriteFile(path, src, 0o644); err != nil {
				t.Fatal(err)
			}
			prog := compile(t, path)
			synapses := 0
			for _, k := range schedule.Fuse(prog).Kernels {
				if k.Op == schedule.OpSynapse {
					synapses++
				}
			}
			if synapses == 0 {
				t.Fatalf("no synapse pass in the fused program")
			}
			wantStep, wantName := firstNonFinite(t, prog)
			if wantStep < 0 {
				t.Fatalf("the model stays finite; the test needs it to blow up")
			}
			sim, err := runtime.New(prog, runtime.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer sim.Close()
			var nf *runtime.NonFiniteError
			for k := 0; k < prog.Steps; k++ {
				err := sim.Step()
				if err == nil {
					continue
				}
				if !errors.As(err, &nf) {
					t.Fatal(err)
				}
				t.Logf("%v", err)
				if nf.Step != wantStep || nf.Buffer != wantName {
					t.Fatalf("guard: %v; a plain scan finds %s first, at step %d", err, wantName, wantStep)
				}
				return
			}
			t.Fatalf("the guard never fired; a plain scan finds %s at step %d", wantName, wantStep)
		})
	}
}

// firstNonFinite steps prog without the guard and scans every state and
// parameter (in buffer order), then the cost, after each step.
func firstNonFinite(t *testing.T, prog *schedule.Program) (int, string) {
	t.Helper()
	sim, err := runtime.New(prog, runtime.Options{NoGuard: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	var order []*schedule.Buffer
	for _, b := range prog.Buffers {
		if b.Kind == schedule.State || b.Kind == schedule.Param {
			order = append(order, b)
		}
	}
	if prog.Cost != nil {
		order = append(order, prog.Cost)
	}
	for k := 0; k < prog.Steps; k++ {
		if err := sim.Step(); err != nil {
			t.Fatal(err)
		}
		for _, b := range order {
			for _, v := range sim.Values(b) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					name, _ := runtime.UserName(prog, b)
					return k, name
				}
			}
		}
	}
	return -1, ""
}
