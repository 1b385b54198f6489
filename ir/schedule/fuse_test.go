package schedule_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/ir/internal/naive"
	"github.com/vlec-dev/vlec/ir/schedule"
)

// The fused program must compute what the program computes: both run on
// the naive interpreter (which runs a synapse kernel's three parts as
// three plain loops from a copy of the old weights), compared at every
// step on every state and parameter. Only rounding may differ (a direct
// application adds each term to the parameter instead of their sum).
func sameUnderFusion(t *testing.T, prog *schedule.Program, steps int) {
	t.Helper()
	fused := schedule.Fuse(prog)
	a, b := naive.New(prog), naive.New(fused)
	for k := range steps {
		a.Step(k)
		b.Step(k)
		for _, buf := range prog.Buffers {
			if buf.Kind != schedule.State && buf.Kind != schedule.Param {
				continue
			}
			x, y := a.Values(buf), b.Values(buf)
			for i := range x {
				if d := math.Abs(x[i] - y[i]); d > 1e-12*(1+math.Abs(x[i])) || math.IsNaN(d) != math.IsNaN(x[i]) {
					t.Fatalf("step %d: %s[%d] = %.17g fused, %.17g unfused\nfused program:\n%s", k, buf, i, y[i], x[i], fused)
				}
			}
		}
	}
}

func kernelsOf(p *schedule.Program, op schedule.Op) int {
	n := 0
	for _, k := range p.Kernels {
		if k.Op == op {
			n++
		}
	}
	return n
}

// TestFuseExamples: every example and benchmark model, and the regression
// models of every energy variant at a batch of one and of two.
func TestFuseExamples(t *testing.T) {
	paths, _ := filepath.Glob("../../examples/*.vle")
	bench, _ := filepath.Glob("../../examples/bench/n[123].vle")
	for _, path := range append(paths, bench...) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			prog := compile(t, path)
			sameUnderFusion(t, prog, min(prog.Steps, 40))
		})
	}
	terms := []string{"", "0.5 * lam * sumsq(W1)", "lam * mse(h.r, 0.2)", "0.1 * sum(h.r * h.r)"}
	for _, batch := range []string{"batch = 1", "batch = 2"} {
		for _, method := range []string{"le", "gle"} {
			for ti, term := range terms {
				v := variant{term: term, method: method, plastic: true, learnAfter: "0.3s"}
				src := strings.Replace(v.source(), "batch = 2", batch, 1)
				t.Run(fmt.Sprintf("%s/%s/term%d", batch, method, ti), func(t *testing.T) {
					prog := compileSource(t, src)
					sameUnderFusion(t, prog, 60)
				})
			}
		}
	}
}

func compileSource(t *testing.T, src string) *schedule.Program {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "teacher.vle"), []byte(regressTeacher), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "m.vle")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	c, s, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		t.Fatalf("%s\n%s", src, s.Format(err))
	}
	return c.Program
}

// TestFuseGenerated: the random energies of TestEnergies at a batch of
// one (where synapse passes are made) and as generated.
func TestFuseGenerated(t *testing.T) {
	for seed := 1; seed <= 25; seed++ {
		g := generate(uint64(seed))
		g.fileInput = false
		for _, batch := range []int{1, g.batch} {
			g.batch = batch
			t.Run(fmt.Sprintf("seed%d/batch%d", seed, batch), func(t *testing.T) {
				dir := t.TempDir()
				path, src, err := g.write(dir, genVariant{})
				if err != nil {
					t.Fatal(err)
				}
				c, s, err := vlec.Compile(path, vlec.Options{})
				if err != nil {
					t.Skipf("model does not compile (TestEnergies reports it): %s\n%s", s.Format(err), src)
				}
				for _, tb := range c.Program.Targets {
					if tb.Teacher == nil || c.Program.Teachers[tb.Teacher] == nil {
						t.Skip("targets from a file: the naive interpreter reads no files")
					}
				}
				sameUnderFusion(t, c.Program, min(c.Program.Steps, 40))
			})
		}
	}
}

// TestFuseStructure: what is fused, and what must not be.
func TestFuseStructure(t *testing.T) {
	tests := []struct {
		name          string
		batch, term   string
		synapse, zero int
	}{
		// three connections, each forward + message (not W0: its
		// presynaptic side is an input) + update
		{"plain batch 1", "batch = 1", "", 2, 0},
		// a batch of two keeps the products apart
		{"plain batch 2", "batch = 2", "", 0, 0},
		// weight decay: a learning kernel reads W1, so its change is
		// accumulated first and W1 is not fused; W0 still is
		{"weight decay", "batch = 1", "0.5 * lam * sumsq(W1)", 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := variant{term: tc.term, method: "gle", plastic: true, learnAfter: "0.3s"}
			prog := compileSource(t, strings.Replace(v.source(), "batch = 2", tc.batch, 1))
			f := schedule.Fuse(prog)
			if got := kernelsOf(f, schedule.OpSynapse); got != tc.synapse {
				t.Errorf("%d synapse kernels, want %d:\n%s", got, tc.synapse, f)
			}
			if got := kernelsOf(f, schedule.OpZero); got != tc.zero {
				t.Errorf("%d zero kernels left, want %d:\n%s", got, tc.zero, f)
			}
			if kernelsOf(prog, schedule.OpSynapse) != 0 || len(prog.Kernels) == len(f.Kernels) {
				t.Errorf("Fuse changed its argument or fused nothing")
			}
		})
	}
}
