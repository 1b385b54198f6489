package runtime

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/internal/npy"
	"github.com/vlec-dev/vlec/internal/npytest"
	"github.com/vlec-dev/vlec/ir/schedule"
)

// compile compiles a model into its step program.
func compile(t testing.TB, path string) *schedule.Program {
	t.Helper()
	c, src, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		t.Fatal(src.Format(err))
	}
	return c.Program
}

// taskData writes a small two-class stream data set: class c's samples
// are a noisy ramp of sign 2c-1 over L steps; n training and m test
// samples.
func taskData(t testing.TB, dir string, n, m, L int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func(k int) ([]float64, []float64) {
		x, y := make([]float64, k*L), make([]float64, k)
		for i := range k {
			c := rng.IntN(2)
			y[i] = float64(c)
			for j := range L {
				x[i*L+j] = float64(2*c-1)*float64(j+1)/float64(L) + 0.3*rng.NormFloat64()
			}
		}
		return x, y
	}
	x, y := gen(n)
	xt, yt := gen(m)
	data := npytest.NPZ(
		npytest.Array{Name: "x", Descr: "<f4", Shape: []int{n, L}, Values: x},
		npytest.Array{Name: "y", Descr: "<i8", Shape: []int{n}, Values: y},
		npytest.Array{Name: "x_test", Descr: "<f4", Shape: []int{m, L}, Values: xt},
		npytest.Array{Name: "y_test", Descr: "<i8", Shape: []int{m}, Values: yt},
	)
	if err := os.WriteFile(filepath.Join(dir, "data.npz"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// taskModel is a small task: 30 training samples in batches of 4 (the
// last batch is partial), 10 test samples, a plateau schedule with no
// patience (the rate changes) and a checkpoint every 2 epochs. extra is
// added to the dataset block.
func taskModel(t testing.TB, dir, extra, task string) string {
	t.Helper()
	taskData(t, dir, 30, 10, 6)
	src := fmt.Sprintf(`model tiny
import "std/gle"
sim { dt = 0.1; batch = 4; seed = 3; method = gle }
dataset d {
  file = "data.npz"
  x = "x"; y = "y"; test.x = "x_test"; test.y = "y_test"
  classes = 2
  %s
}
input x[1] = d.x
teacher T = d.y
population h[5] : gle(tau_m = concat(repeat(0.2, 2), repeat(0.1, 3)), tau_r = 0.1, phi = tanh, gamma = 0)
population y[2] : gle(tau_m = 0.2, tau_r = 0.2, gamma = 0)
connect x -> h W1 = glorot(seed = 1) plastic
connect h -> y W2 = glorot(seed = 2) plastic
energy {
  mismatch(h) + mismatch(y)
  loss(cross_entropy(y.r, T))
}
learn { lr = 0.01; optimizer = adam }
task {
  %s
}
`, extra, task)
	path := filepath.Join(dir, "tiny.vle")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const tinyTask = "epochs = 4; predict = y.r; lr_schedule = plateau(metric = test.loss, factor = 0.5, patience = 0, threshold = 0); checkpoint_every = 2"

// checkpointArrays reads every array of a checkpoint.
func checkpointArrays(t *testing.T, path string) map[string][]float64 {
	t.Helper()
	out, err := npy.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// metricsWithoutWall is a metrics CSV without its wall-time column.
func metricsWithoutWall(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		out = append(out, line[:strings.LastIndexByte(line, ',')])
	}
	return strings.Join(out, "\n")
}

// TestTaskResume runs a task whole, and split in two (stopped after epoch
// 2, resumed from its checkpoint): the final checkpoints (every
// parameter, state, moment and the task's state) and the metrics are the
// same to the bit.
func TestTaskResume(t *testing.T) {
	dir := t.TempDir()
	prog := compile(t, taskModel(t, dir, "", tinyTask))
	whole := filepath.Join(dir, "whole")
	sum, err := Run(context.Background(), prog, RunOptions{OutDir: whole})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Task == nil || sum.Task.Epochs != 4 || sum.Task.Final == nil {
		t.Fatalf("task summary %+v", sum.Task)
	}
	if f := sum.Task.LRFactor; f >= 1 {
		t.Errorf("lr factor %g: the plateau schedule with patience 0 never lowered the rate", f)
	}

	first := filepath.Join(dir, "first")
	ctx, cancel := context.WithCancel(context.Background())
	_, err = Run(ctx, prog, RunOptions{OutDir: first, Epoch: func(m EpochMetrics, _ int) {
		if m.Epoch == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("first half: %v, want the interruption", err)
	}
	second := filepath.Join(dir, "second")
	sum2, err := Run(context.Background(), prog, RunOptions{OutDir: second, Resume: filepath.Join(first, "tiny.checkpoint.npz")})
	if err != nil {
		t.Fatal(err)
	}
	if sum2.ResumedFrom == nil || sum2.ResumedFrom.Epoch != 2 || sum2.Steps != sum.Steps {
		t.Errorf("resumed summary: from %+v, steps %d (whole run %d)", sum2.ResumedFrom, sum2.Steps, sum.Steps)
	}
	a, b := checkpointArrays(t, filepath.Join(whole, "tiny.checkpoint.npz")), checkpointArrays(t, filepath.Join(second, "tiny.checkpoint.npz"))
	if len(a) != len(b) || len(a) < 20 {
		t.Fatalf("checkpoints hold %d and %d arrays", len(a), len(b))
	}
	for name, va := range a {
		vb := b[name]
		if len(va) != len(vb) {
			t.Fatalf("%s: %d and %d values", name, len(va), len(vb))
		}
		for i := range va {
			if math.Float64bits(va[i]) != math.Float64bits(vb[i]) {
				t.Fatalf("%s[%d]: whole run %v, split run %v", name, i, va[i], vb[i])
			}
		}
	}
	mw, ms := metricsWithoutWall(t, filepath.Join(whole, "tiny.metrics.csv")), metricsWithoutWall(t, filepath.Join(second, "tiny.metrics.csv"))
	if mw != ms {
		t.Errorf("metrics differ:\nwhole:\n%s\nsplit:\n%s", mw, ms)
	}
	if strings.Count(ms, "\n") != 4 {
		t.Errorf("split run's metrics have %d epochs:\n%s", strings.Count(ms, "\n"), ms)
	}
}

// TestTaskMetricsFromRecords recomputes an epoch's metrics from recorded
// traces: the loss is the recorded cost averaged over each sample's steps
// and the samples, the accuracy the share of samples whose recorded y.r
// summed over the sample has its largest entry at the label. Neither
// shuffle nor reset; 30 training samples in batches of 4 (the last batch
// repeats samples 0 and 1, which do not count).
func TestTaskMetricsFromRecords(t *testing.T) {
	dir := t.TempDir()
	_, sum, trace := traceTask(t, dir, "shuffle = false", "epochs = 1; predict = y.r", "y.r, cost")
	yr, cost := trace["y.r"], trace["cost"]
	dz, _ := npy.OpenArchive(filepath.Join(dir, "data.npz"))
	defer dz.Close()
	ytrain, _, _ := dz.Read("y")
	ytest, _, _ := dz.Read("y_test")
	const B, L = 4, 6
	step := 0
	metrics := func(labels []float64) (float64, float64) {
		n := len(labels)
		loss, correct := 0.0, 0
		for first := 0; first < n; first += B {
			sums := make([][2]float64, B)
			lsum := make([]float64, B)
			for j := range L {
				for b := range B {
					lsum[b] += cost[(step+j)*B+b]
					sums[b][0] += yr[((step+j)*B+b)*2]
					sums[b][1] += yr[((step+j)*B+b)*2+1]
				}
			}
			step += L
			for b := 0; b < B && first+b < n; b++ {
				loss += lsum[b] / L
				pred := 0
				if sums[b][1] > sums[b][0] {
					pred = 1
				}
				if pred == int(labels[first+b]) {
					correct++
				}
			}
		}
		return loss / float64(n), float64(correct) / float64(n)
	}
	trainLoss, trainAcc := metrics(ytrain)
	testLoss, testAcc := metrics(ytest)
	m := sum.Task.Final
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"train loss", float64(m.TrainLoss), trainLoss}, {"train accuracy", float64(m.TrainAccuracy), trainAcc},
		{"test loss", float64(m.TestLoss), testLoss}, {"test accuracy", float64(m.TestAccuracy), testAcc}} {
		if math.Abs(c.got-c.want) > 1e-12*max(1, math.Abs(c.want)) {
			t.Errorf("%s: %v, from the records %v", c.name, c.got, c.want)
		}
	}
	if step != sum.Steps {
		t.Errorf("the records cover %d steps, the run %d", step, sum.Steps)
	}
}

// TestEvaluateFromCheckpoint: with reset = true every sample starts from
// rest, so evaluating the final checkpoint's parameters gives the test
// metrics of the run's last epoch.
func TestEvaluateFromCheckpoint(t *testing.T) {
	dir := t.TempDir()
	prog := compile(t, taskModel(t, dir, "reset = true", "epochs = 2; predict = y.r"))
	out := filepath.Join(dir, "out")
	sum, err := Run(context.Background(), prog, RunOptions{OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Evaluate(context.Background(), prog, EvalOptions{From: filepath.Join(out, "tiny.checkpoint.npz")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Params) == 0 {
		t.Fatal("no parameters loaded")
	}
	want := sum.Task.Final
	if res.Metrics.TestLoss != want.TestLoss || res.Metrics.TestAccuracy != want.TestAccuracy {
		t.Errorf("evaluation: loss %v accuracy %v; the run's last epoch: %v %v", res.Metrics.TestLoss, res.Metrics.TestAccuracy, want.TestLoss, want.TestAccuracy)
	}
	// the same parameters named in the model: file("....npz") per weight
	// matrix and population parameter
	src, _ := os.ReadFile(filepath.Join(dir, "tiny.vle"))
	ckpt := filepath.Join(out, "tiny.checkpoint.npz")
	text := strings.NewReplacer(
		"W1 = glorot(seed = 1)", `W1 = file("`+ckpt+`")`,
		"W2 = glorot(seed = 2)", `W2 = file("`+ckpt+`", "W2")`,
		"phi = tanh, gamma = 0)", `phi = tanh, gamma = 0, b = file("`+ckpt+`"))`,
	).Replace(string(src))
	named := filepath.Join(dir, "named.vle")
	os.WriteFile(named, []byte(text), 0o644)
	res2, err := Evaluate(context.Background(), compile(t, named), EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Metrics.TestLoss != want.TestLoss || res2.Metrics.TestAccuracy != want.TestAccuracy {
		t.Errorf("parameters named in the model: loss %v accuracy %v; the run's last epoch: %v %v", res2.Metrics.TestLoss, res2.Metrics.TestAccuracy, want.TestLoss, want.TestAccuracy)
	}
	// the model's own initial parameters give other numbers
	res0, err := Evaluate(context.Background(), prog, EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res0.Metrics.TestLoss == want.TestLoss {
		t.Error("evaluating the initial parameters gave the trained loss")
	}
}

// TestResetIsFreshStart: a simulator reset after some steps steps like a
// new one (a model with a teacher model).
func TestResetIsFreshStart(t *testing.T) {
	prog := compile(t, "../examples/chain2.vle")
	a, err := New(prog, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for range 50 {
		a.Step()
	}
	b, err := New(prog, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.learnOff, b.learnOff = true, true // parameters stay where they are
	a.reset()
	a.k, b.k = 0, 0
	for range 30 {
		a.Step()
		b.Step()
	}
	for _, buf := range prog.Buffers {
		va, vb := a.vals[buf.ID], b.vals[buf.ID]
		if buf.Kind == schedule.Param {
			continue
		}
		for i := range va {
			if math.Float64bits(va[i]) != math.Float64bits(vb[i]) {
				t.Fatalf("%s[%d]: reset %v, fresh %v", buf, i, va[i], vb[i])
			}
		}
	}
}

// TestCheckpointMismatch: a checkpoint of another model is refused with
// its path and what differs.
func TestCheckpointMismatch(t *testing.T) {
	dir := t.TempDir()
	prog := compile(t, taskModel(t, dir, "", "epochs = 1; predict = y.r"))
	out := filepath.Join(dir, "out")
	if _, err := Run(context.Background(), prog, RunOptions{OutDir: out}); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(out, "tiny.checkpoint.npz")
	other := compile(t, "../examples/chain2.vle")
	_, err := Run(context.Background(), other, RunOptions{OutDir: filepath.Join(dir, "x"), Resume: ckpt})
	if err == nil || !strings.Contains(err.Error(), "is a checkpoint of model tiny, not of chain2") {
		t.Errorf("resume into another model: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x", "chain2.summary.json")); err == nil {
		t.Error("a refused resume wrote a summary")
	}
	_, err = Run(context.Background(), other, RunOptions{OutDir: filepath.Join(dir, "y"), From: ckpt})
	if err == nil || !strings.Contains(err.Error(), "array W1 has shape (5, 1), but the model's W1 has (1, 1)") {
		t.Errorf("--from another model's checkpoint: %v", err)
	}
	none := filepath.Join(dir, "none.npz")
	os.WriteFile(none, npytest.NPZ(npytest.Array{Name: "V", Descr: "<f8", Shape: []int{1}, Values: []float64{1}}), 0o644)
	_, err = Run(context.Background(), other, RunOptions{OutDir: filepath.Join(dir, "y"), From: none})
	if err == nil || !strings.Contains(err.Error(), "holds none of the parameters of model chain2 (it holds V)") {
		t.Errorf("--from a file without the model's parameters: %v", err)
	}
	// a parameter of the right name and the wrong shape
	bad := filepath.Join(dir, "bad.npz")
	os.WriteFile(bad, npytest.NPZ(npytest.Array{Name: "W1", Descr: "<f8", Shape: []int{2, 2}, Values: []float64{1, 2, 3, 4}}), 0o644)
	_, err = Run(context.Background(), prog, RunOptions{OutDir: filepath.Join(dir, "z"), From: bad})
	if err == nil || !strings.Contains(err.Error(), "array W1 has shape (2, 2), but the model's W1 has (5, 1)") {
		t.Errorf("--from with a wrong shape: %v", err)
	}
}

// TestDatasetLabelsOutOfRange: a label outside the classes is refused at
// load with the file, the array and the entry.
func TestDatasetLabelsOutOfRange(t *testing.T) {
	dir := t.TempDir()
	path := taskModel(t, dir, "", "epochs = 1")
	data := npytest.NPZ(
		npytest.Array{Name: "x", Descr: "<f8", Shape: []int{3, 6}, Values: make([]float64, 18)},
		npytest.Array{Name: "y", Descr: "<i8", Shape: []int{3}, Values: []float64{0, 1, 2}},
		npytest.Array{Name: "x_test", Descr: "<f8", Shape: []int{1, 6}, Values: make([]float64, 6)},
		npytest.Array{Name: "y_test", Descr: "<i8", Shape: []int{1}, Values: []float64{0}},
	)
	os.WriteFile(filepath.Join(dir, "data.npz"), data, 0o644)
	prog := compile(t, path)
	_, err := Run(context.Background(), prog, RunOptions{OutDir: filepath.Join(dir, "out")})
	if err == nil || !strings.Contains(err.Error(), "data.npz array y, entry [2]: label 2 is not a class of 0 to 1 (classes = 2)") {
		t.Errorf("label out of range: %v", err)
	}
}

// TestValueTargets: a data set without classes streams its targets like
// its inputs; the recorded target of step k is y[sample][k mod L] of the
// sample of its batch row, and the task has a loss but no accuracy.
func TestValueTargets(t *testing.T) {
	dir := t.TempDir()
	const n, L = 6, 5
	x, y := make([]float64, n*L), make([]float64, n*L)
	for i := range x {
		x[i], y[i] = float64(i%7)/7, float64(i)
	}
	os.WriteFile(filepath.Join(dir, "v.npz"), npytest.NPZ(
		npytest.Array{Name: "x", Descr: "<f8", Shape: []int{n, L}, Values: x},
		npytest.Array{Name: "y", Descr: "<f8", Shape: []int{n, L}, Values: y},
	), 0o644)
	path := filepath.Join(dir, "v.vle")
	os.WriteFile(path, []byte(`model v
import "std/gle"
sim { dt = 0.1; batch = 4 }
dataset d { file = "v.npz"; x = "x"; y = "y"; shuffle = false }
input x[1] = d.x
teacher T = d.y
population y[1] : gle(tau_m = 0.2, tau_r = 0.2)
connect x -> y W = constant(0.5) plastic
energy {
  mismatch(y)
  loss(mse(y.r, T))
}
learn { lr = 0.01 }
task { epochs = 2 }
record T to "t.npz"
`), 0o644)
	sum, err := Run(context.Background(), compile(t, path), RunOptions{OutDir: filepath.Join(dir, "out")})
	if err != nil {
		t.Fatal(err)
	}
	if m := sum.Task.Final; math.IsNaN(float64(m.TrainLoss)) || !math.IsNaN(float64(m.TrainAccuracy)) || !math.IsNaN(float64(m.TestLoss)) {
		t.Errorf("metrics %+v: want a training loss only", m)
	}
	rec, err := npy.ReadAll(filepath.Join(dir, "out", "t.npz"))
	if err != nil {
		t.Fatal(err)
	}
	T := rec["T"]
	// 6 samples in batches of 4: 2 batches per epoch, the second
	// wrapping around to samples 0 and 1
	for k := range sum.Steps {
		batch, pos := (k/L)%2, k%L
		for b := range 4 {
			sample := (batch*4 + b) % n
			if got, want := T[k*4+b], y[sample*L+pos]; got != want {
				t.Fatalf("step %d, row %d: target %v, want y[%d][%d] = %v", k, b, got, sample, pos, want)
			}
		}
	}
}

// traceTask runs the tiny task with the data set settings extra and the
// task settings task in dir, recording items at every step, and returns
// its program, its summary and the recorded arrays by name.
func traceTask(t *testing.T, dir, extra, task, items string) (*schedule.Program, *Summary, map[string][]float64) {
	t.Helper()
	path := taskModel(t, dir, extra, task)
	src, _ := os.ReadFile(path)
	src = append(src, []byte("record "+items+" to \"trace.npz\"\n")...)
	os.WriteFile(path, src, 0o644)
	prog := compile(t, path)
	out := filepath.Join(dir, "out")
	sum, err := Run(context.Background(), prog, RunOptions{OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	return prog, sum, checkpointArrays(t, filepath.Join(out, "trace.npz"))
}

// The summary's cost_start and cost_end of a task are over its learning
// steps alone: the training steps after each sample's settling steps, not
// the settling steps and not the evaluations (recomputed here from the
// recorded cost of every step).
func TestTaskCostWindows(t *testing.T) {
	prog, sum, trace := traceTask(t, t.TempDir(), "shuffle = false; settle = 2", "epochs = 2; predict = y.r", "cost")
	cost := trace["cost"]
	task := prog.Model.Task
	B, L, settle := prog.Batch, task.Data.Steps, task.Data.Settle
	var learning []float64 // the batch-mean cost of each learning step
	k := 0
	for e := 1; e <= task.Epochs; e++ {
		for range task.TrainBatches {
			for pos := range L {
				if pos >= settle {
					m := 0.0
					for b := range B {
						m += cost[k*B+b]
					}
					learning = append(learning, m/float64(B))
				}
				k++
			}
		}
		if task.Evaluates(e) {
			k += task.TestBatches * L
		}
	}
	if k != sum.Steps || len(learning) != task.Epochs*task.TrainBatches*(L-settle) {
		t.Fatalf("%d steps, %d learning; the run made %d", k, len(learning), sum.Steps)
	}
	w := max(1, len(learning)/10)
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	wantStart, wantEnd := mean(learning[:w]), mean(learning[len(learning)-w:])
	if sum.CostStart == nil || sum.CostEnd == nil {
		t.Fatal("no cost windows")
	}
	if got := float64(*sum.CostStart); math.Abs(got-wantStart) > 1e-12*wantStart {
		t.Errorf("cost_start %v, want %v", got, wantStart)
	}
	if got := float64(*sum.CostEnd); math.Abs(got-wantEnd) > 1e-12*wantEnd {
		t.Errorf("cost_end %v, want %v", got, wantEnd)
	}
}
