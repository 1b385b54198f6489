package runtime

import (
	"math"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/lang/check"
)

// TestPlateauSchedule follows PyTorch's ReduceLROnPlateau (mode min,
// relative threshold, cooldown 0): the factor applies once the metric has
// not improved for more than patience epochs, and the count starts again.
func TestPlateauSchedule(t *testing.T) {
	tr := &trainer{task: &check.Task{Schedule: check.Schedule{Kind: "plateau", Metric: "test.loss", Factor: 0.5, Patience: 2, Threshold: 1e-4}}, state: newTaskState()}
	//          improves  bad   bad   bad->x0.5  bad   improves bad  bad   bad->x0.25
	losses := []float64{1.0, 1.0, 0.99995, 1.2, 1.1, 0.9, 0.9, 0.95, 0.91}
	want := []float64{1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25}
	for i, l := range losses {
		tr.schedule(EpochMetrics{Epoch: i + 1, TestLoss: Float(l), TrainLoss: nan, TestAccuracy: nan, TrainAccuracy: nan})
		if tr.state.LRFactor != want[i] {
			t.Fatalf("after epoch %d (loss %g): factor %g, want %g", i+1, l, tr.state.LRFactor, want[i])
		}
	}
	// an epoch without the metric (no evaluation) changes nothing
	before := tr.state
	tr.schedule(EpochMetrics{Epoch: 10, TestLoss: nan})
	if tr.state.SchedBad != before.SchedBad || tr.state.LRFactor != before.LRFactor {
		t.Error("an epoch without the metric counted")
	}
}

func TestStepSchedule(t *testing.T) {
	tr := &trainer{task: &check.Task{Schedule: check.Schedule{Kind: "step", Every: 3, Factor: 0.1, MinFactor: 0.005}}, state: newTaskState()}
	want := []float64{1, 1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.005}
	for i := range want {
		tr.schedule(EpochMetrics{Epoch: i + 1})
		if math.Abs(tr.state.LRFactor-want[i]) > 1e-15 {
			t.Fatalf("after epoch %d: factor %g, want %g", i+1, tr.state.LRFactor, want[i])
		}
	}
}

func TestStopRules(t *testing.T) {
	target := &trainer{task: &check.Task{Stop: &check.Stop{Kind: "target", Metric: "test.accuracy", Value: 0.9}}, state: newTaskState()}
	for i, a := range []float64{0.5, 0.89, 0.9} {
		target.stopRule(EpochMetrics{Epoch: i + 1, TestAccuracy: Float(a)})
		if stopped := target.state.Stop != ""; stopped != (i == 2) {
			t.Fatalf("target: epoch %d (accuracy %g): stop %q", i+1, a, target.state.Stop)
		}
	}
	plateau := &trainer{task: &check.Task{Stop: &check.Stop{Kind: "plateau", Metric: "train.loss", Patience: 2, Threshold: 0}}, state: newTaskState()}
	for i, l := range []float64{1, 0.8, 0.9, 0.7, 0.7, 0.75} {
		plateau.stopRule(EpochMetrics{Epoch: i + 1, TrainLoss: Float(l)})
		if stopped := plateau.state.Stop != ""; stopped != (i == 5) {
			t.Fatalf("plateau: epoch %d (loss %g): stop %q", i+1, l, plateau.state.Stop)
		}
	}
	if !strings.Contains(plateau.state.Stop, "train.loss did not improve for 2 epochs (best 0.7), after epoch 6") {
		t.Errorf("reason %q", plateau.state.Stop)
	}
}
