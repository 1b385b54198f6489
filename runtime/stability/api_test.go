package stability_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/runtime/stability"
)

// TestBadInput: errors, not panics.
func TestBadInput(t *testing.T) {
	if _, err := stability.Analyze(nil, nil); err == nil {
		t.Error("nil program: no error")
	}
	if _, err := stability.Analyze(&schedule.Program{}, nil); err == nil {
		t.Error("program without a model: no error")
	}
	c := compile(t, fmt.Sprintf(singleModel, 5.0, 0.5))
	p := *c.Program
	p.Batch = 0
	if _, err := stability.Analyze(&p, nil); err == nil {
		t.Error("batch 0: no error")
	}
	// a model that is not finite within the settle steps
	c = compile(t, strings.Replace(fmt.Sprintf(singleModel, 5.0, 0.5), "input x[1] = sine(freq = 1Hz)", "input x[1] = 1e308 * (1 + t)", 1))
	if _, err := stability.Analyze(c.Program, nil); err == nil || !strings.Contains(err.Error(), "not finite") && !strings.Contains(err.Error(), "no finite point") {
		t.Errorf("non-finite model: error %v", err)
	}
}

// TestProgramUnchanged: the caller's program keeps its learning, batch,
// kernels and stimuli, and the analysis is deterministic.
func TestProgramUnchanged(t *testing.T) {
	c := compile(t, fmt.Sprintf(lateralModel, "gle", "tanh", 0.65))
	p := c.Program
	before := *p
	kernels := append([]*schedule.Kernel(nil), p.Kernels...)
	ops := make([]schedule.Op, len(kernels))
	for i, k := range kernels {
		ops[i] = k.Op
	}
	r1, err := stability.Analyze(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.LearnAfter != before.LearnAfter || p.Batch != before.Batch || len(p.Inputs) != len(before.Inputs) || len(p.Kernels) != len(kernels) {
		t.Fatalf("program changed: %+v", p)
	}
	for i, k := range p.Kernels {
		if k != kernels[i] || k.Op != ops[i] {
			t.Fatalf("kernel %d changed: %s", i, k)
		}
	}
	r2, err := stability.Analyze(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Table() != r2.Table() {
		t.Errorf("two analyses differ:\n%s\n%s", r1.Table(), r2.Table())
	}
}

// TestSettings: the settle steps and the threshold follow the settings;
// at the initial state (no settling) the caches are zero and the error
// loops look open.
func TestSettings(t *testing.T) {
	c := compile(t, lateralSine("gle", 0.65))
	rep, err := stability.Analyze(c.Program, &stability.Settings{Settle: -1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Settle != 0 {
		t.Errorf("settle %d, want 0", rep.Settle)
	}
	for _, r := range rep.Rows {
		if r.Loop == stability.LoopError && r.Radius > 0.9 {
			t.Errorf("at the initial state the error loop has radius %g; its cache tanh' reads 0, so want only the error neurons' decay 0.8\n%s", r.Radius, rep.Table())
		}
	}
	rep, err = stability.Analyze(c.Program, &stability.Settings{Tolerance: 0.5, MaxDense: -1})
	if err != nil {
		t.Fatal(err)
	}
	// -1.446 is within the tolerance, but a sign flip every step that
	// does not decay is flagged whatever the tolerance
	if row := rep.Rows[0]; rep.Tolerance != 0.5 || row.Unstable || !row.Undamped || !rep.Flagged() {
		t.Errorf("tolerance 0.5: want the mode -1.446 undamped, not unstable:\n%s", rep.Table())
	}
	if !strings.Contains(rep.Table(), "Arnoldi") {
		t.Errorf("MaxDense -1 should use Arnoldi:\n%s", rep.Table())
	}
	if math.Abs(rep.Rows[0].Radius-1.446) > 0.001 {
		t.Errorf("Arnoldi radius %g, dense gives 1.446", rep.Rows[0].Radius)
	}
}

// TestNoErrorStates: method adjoint's free program has no error states;
// only the whole step is analysed.
func TestNoErrorStates(t *testing.T) {
	c := compile(t, strings.Replace(fmt.Sprintf(lateralModel, "adjoint", "tanh", 0.65), "learn { lr = 0.001 }", "learn { lr = 0.001; window = 100ms }", 1))
	rep, err := stability.Analyze(c.Program, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		if r.Loop != stability.LoopStep {
			t.Errorf("row %s in a program without errors", r.Loop)
		}
	}
	if rep.Flagged() {
		t.Errorf("the free lateral loop (rho(R) = 0.65 < 1) is stable:\n%s", rep.Table())
	}
}
