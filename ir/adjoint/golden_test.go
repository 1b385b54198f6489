package adjoint_test

import (
	"math"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/internal/goldentest"
	"github.com/vlec-dev/vlec/ir/adjoint"
	"github.com/vlec-dev/vlec/ir/internal/naive"
	"github.com/vlec-dev/vlec/ir/schedule"
)

const goldenDir = "../../../shared/golden"

func TestGoldenGradients(t *testing.T) {
	for _, name := range []string{"chain2", "mlp"} {
		t.Run(name, func(t *testing.T) {
			want := goldentest.Load(t, goldenDir, name)
			fwd, rev := compile(t, "../../examples/"+name+".vle")
			loss, grads := sweep(fwd, rev, want.Steps)
			if d := math.Abs(loss-want.Loss) / math.Abs(want.Loss); d > 1e-10 {
				t.Errorf("loss %.17g, want %.17g", loss, want.Loss)
			}
			worst := 0.0
			defer func() {
				t.Logf("loss %.15g (golden %.15g); worst relative gradient difference %.2g", loss, want.Loss, worst)
			}()
			for key, msg := range want.Grad {
				ours := goldentest.Param(fwd.Model, key)
				g, ok := grads[ours]
				if !ok {
					t.Errorf("no gradient for %s (%s)", key, ours)
					continue
				}
				ref := goldentest.Flatten(t, msg)
				for i := range ref {
					d := math.Abs(g[i]-ref[i]) / (1e-12 + math.Abs(ref[i]))
					worst = math.Max(worst, d)
					if d > 1e-8 {
						t.Errorf("d/d%s[%d] = %.12g, golden %.12g", ours, i, g[i], ref[i])
					}
				}
			}
		})
	}
}

func compile(t *testing.T, path string) (*schedule.Program, *adjoint.Program) {
	t.Helper()
	c, src, err := vlec.Compile(path, vlec.Options{Free: true})
	if err != nil {
		t.Fatal(src.Format(err))
	}
	return c.Program, c.Reverse
}

// sweep runs K forward steps, saving each step's starting point, then the
// reverse sweep, recomputing each step before reversing it.
func sweep(fwd *schedule.Program, rev *adjoint.Program, K int) (float64, map[string][]float64) {
	m := naive.New(fwd)
	m.Alloc(rev.Buffers)
	saved := make([][][]float64, K)
	loss := 0.0
	for k := 0; k < K; k++ {
		m.Begin(k)
		for _, b := range rev.Saved {
			saved[k] = append(saved[k], append([]float64(nil), m.Values(b)...))
		}
		m.Kernels(fwd.Kernels, k)
		for _, c := range m.Values(fwd.Cost) {
			loss += fwd.Dt * c
		}
		m.End(k)
	}
	for k := K - 1; k >= 0; k-- {
		for i, b := range rev.Saved {
			copy(m.Values(b), saved[k][i])
		}
		m.Kernels(fwd.Kernels, k)
		m.Kernels(rev.Reverse, k)
	}
	grads := map[string][]float64{}
	for name, b := range rev.Grads {
		grads[name] = m.Values(b)
	}
	return loss, grads
}
