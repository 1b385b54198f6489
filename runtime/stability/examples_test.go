package stability_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/runtime/stability"
)

// analyze compiles a model file and analyses its step program.
func analyze(t *testing.T, path string, set *stability.Settings) *stability.Report {
	t.Helper()
	c, sources, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		t.Fatalf("%s", sources.Format(err))
	}
	rep, err := stability.Analyze(c.Program, set)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestExamplesStable: the examples and the benchmark networks run stably
// (their runs are tested elsewhere), so the analysis must not warn.
func TestExamplesStable(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.vle")
	if err != nil {
		t.Fatal(err)
	}
	bench, _ := filepath.Glob("../../examples/bench/n*.vle")
	files = append(files, bench...)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".vle")
		if strings.HasSuffix(name, "_teacher") {
			continue // teachers run open loop inside their students
		}
		t.Run(name, func(t *testing.T) {
			if testing.Short() && (name == "n4" || name == "n5") {
				t.Skip("14,040 state entries: Arnoldi on a large network, skipped in -short")
			}
			rep := analyze(t, f, nil)
			if ws := rep.Warnings(); len(ws) > 0 || rep.Flagged() {
				t.Errorf("warnings on a stable model:\n%s\n%s", strings.Join(ws, "\n"), rep.Table())
			}
			step := rep.Rows[0]
			if step.Loop != stability.LoopStep || step.Radius >= 1 || step.Radius < 0.5 {
				t.Errorf("whole-step radius %g, want in [0.5, 1):\n%s", step.Radius, rep.Table())
			}
			t.Logf("\n%s", rep.Table())
		})
	}
}
