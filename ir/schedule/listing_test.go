package schedule_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/ir/derive"
	"github.com/vlec-dev/vlec/ir/schedule"
)

var update = flag.Bool("update", false, "rewrite the listings in testdata")

// TestListings pins the step programs of the examples as text. Run with
// -update after an intended change and read the diff.
func TestListings(t *testing.T) {
	for _, name := range []string{"chain2", "mlp"} {
		got := compile(t, filepath.Join("../../examples", name+".vle")).String()
		path := filepath.Join("testdata", name+".program")
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("%s changed; got:\n%s", path, got)
		}
	}
}

// TestProgramStructure checks properties every step program must have,
// whatever its listing: errors before membranes within a population,
// messages after all populations, parameter changes applied last.
func TestProgramStructure(t *testing.T) {
	p := compile(t, "../../examples/mlp.vle")
	last := schedule.PhasePopulations
	applied := false
	for _, k := range p.Kernels {
		if k.Phase < last {
			t.Fatalf("kernel %s in phase %s after phase %s", k, k.Phase, last)
		}
		last = k.Phase
		if k.Op == schedule.OpApply {
			applied = true
		} else if applied {
			t.Fatalf("kernel %s after a parameter was changed", k)
		}
		if k.Dst.Kind == schedule.State || k.Dst.Kind == schedule.Param && k.Op != schedule.OpApply {
			t.Errorf("kernel %s writes the previous-step half of a state or a parameter", k)
		}
	}
	if !strings.Contains(p.String(), "msg:W1^T @ y.e' = W1^T @ y.e'") {
		t.Errorf("the error sent down is not computed from this step's error with this step's weights:\n%s", p)
	}
}

// TestAdjointNotScheduled checks the honest refusal of the method that
// needs a reverse sweep.
func TestAdjointNotScheduled(t *testing.T) {
	sys, err := derive.Derive(loadModel(t, "model a\nimport \"std/gle\"\nsim { method = adjoint }\ninput x[1] = 0\npopulation y[1] : gle()\nconnect x -> y W = 1 plastic\nenergy { mismatch(y) }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := schedule.Schedule(sys); err == nil || !strings.Contains(err.Error(), "method adjoint") {
		t.Fatalf("got %v", err)
	}
}
