package mnist1d_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/internal/npy"
	"github.com/vlec-dev/vlec/runtime"
)

// reduced writes mnist1d.vle with the first train training and test test
// samples, the given epochs and checkpoint interval, beside a link to the
// data, and returns its path.
func reduced(t *testing.T, train, test, epochs, every int) string {
	t.Helper()
	src, err := os.ReadFile("mnist1d.vle")
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	for _, r := range [][2]string{
		{`test.y = "y_test"`, `test.y = "y_test"; samples = ` + itoa(train) + `; test.samples = ` + itoa(test)},
		{"epochs = 150", "epochs = " + itoa(epochs)},
		{"checkpoint_every = 10", "checkpoint_every = " + itoa(every)},
	} {
		if !strings.Contains(text, r[0]) {
			t.Fatalf("mnist1d.vle no longer contains %q", r[0])
		}
		text = strings.Replace(text, r[0], r[1], 1)
	}
	dir := t.TempDir()
	abs, _ := filepath.Abs("mnist1d_360.npz")
	if err := os.Symlink(abs, filepath.Join(dir, "mnist1d_360.npz")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "mnist1d.vle")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func itoa(n int) string { return strconv.Itoa(n) }

func run(t *testing.T, path string, opts runtime.RunOptions) *runtime.Summary {
	t.Helper()
	c, src, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		t.Fatal(src.Format(err))
	}
	sum, err := runtime.Run(context.Background(), c.Program, opts)
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	return sum
}

// TestReducedProtocol runs the paper's protocol on the first 2000
// training and 500 test samples for 3 epochs (27,000 steps, about 20 s)
// and requires learning well above chance (10%): measured on this
// machine, a training accuracy of 32.9% in the last epoch (measured while
// learning) and a best test accuracy of 21.8%; the thresholds leave room
// for other CPUs' rounding.
func TestReducedProtocol(t *testing.T) {
	if testing.Short() {
		t.Skip("a reduced MNIST-1D protocol of about 20 s; run without -short")
	}
	path := reduced(t, 2000, 500, 3, 0)
	sum := run(t, path, runtime.RunOptions{OutDir: t.TempDir()})
	task := sum.Task
	if task == nil || task.Epochs != 3 || task.Final == nil || task.Best == nil {
		t.Fatalf("task summary %+v", task)
	}
	t.Logf("last epoch: train accuracy %.3f, test accuracy %.3f; best test accuracy %.3f (epoch %d)",
		float64(task.Final.TrainAccuracy), float64(task.Final.TestAccuracy), float64(task.Best.TestAccuracy), task.Best.Epoch)
	if a := float64(task.Final.TrainAccuracy); a < 0.2 {
		t.Errorf("training accuracy %.3f in the last epoch; chance is 0.1, measured 0.329", a)
	}
	if a := float64(task.Best.TestAccuracy); a < 0.15 {
		t.Errorf("best test accuracy %.3f; chance is 0.1, measured 0.218", a)
	}
	if l := float64(task.Final.TrainLoss); !(l < math.Log(10)) {
		t.Errorf("training loss %.4f in the last epoch, not below chance's ln 10 = 2.3026", l)
	}
}

// TestReducedResume: the protocol on 200 + 100 samples for 2 epochs,
// whole and split after epoch 1 and resumed from its checkpoint, ends in
// the same checkpoint to the bit.
func TestReducedResume(t *testing.T) {
	path := reduced(t, 200, 100, 2, 1)
	whole := t.TempDir()
	run(t, path, runtime.RunOptions{OutDir: whole})
	first := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	c, src, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		t.Fatal(src.Format(err))
	}
	if _, err := runtime.Run(ctx, c.Program, runtime.RunOptions{OutDir: first, Epoch: func(m runtime.EpochMetrics, _ int) {
		if m.Epoch == 1 {
			cancel()
		}
	}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("first half: %v", err)
	}
	second := t.TempDir()
	run(t, path, runtime.RunOptions{OutDir: second, Resume: filepath.Join(first, "mnist1d.checkpoint.npz")})
	a, b := arrays(t, filepath.Join(whole, "mnist1d.checkpoint.npz")), arrays(t, filepath.Join(second, "mnist1d.checkpoint.npz"))
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%d and %d arrays", len(a), len(b))
	}
	for name, va := range a {
		vb := b[name]
		if len(vb) != len(va) {
			t.Fatalf("%s: %d and %d values", name, len(va), len(vb))
		}
		for i := range va {
			if math.Float64bits(va[i]) != math.Float64bits(vb[i]) {
				t.Fatalf("%s[%d]: whole %v, split %v", name, i, va[i], vb[i])
			}
		}
	}
}

func arrays(t *testing.T, path string) map[string][]float64 {
	t.Helper()
	out, err := npy.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// BenchmarkStep times one step of the protocol's network (batch 100,
// learning on): go test -bench Step ./examples/mnist1d.
func BenchmarkStep(b *testing.B) {
	c, src, err := vlec.Compile("mnist1d.vle", vlec.Options{})
	if err != nil {
		b.Fatal(src.Format(err))
	}
	sim, err := runtime.New(c.Program, runtime.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	for range 10 {
		sim.Step()
	}
	b.ResetTimer()
	for range b.N {
		if err := sim.Step(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTrainedParams evaluates the committed trained network (seed 2 of
// the full protocol, README.md) on the 1000 test samples from rest:
// measured 91.6%.
func TestTrainedParams(t *testing.T) {
	c, src, err := vlec.Compile("mnist1d.vle", vlec.Options{})
	if err != nil {
		t.Fatal(src.Format(err))
	}
	res, err := runtime.Evaluate(context.Background(), c.Program, runtime.EvalOptions{From: "trained.params.npz"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Params) != 28 {
		t.Errorf("%d parameters loaded, want 28 (7 weight matrices, 7 biases, 7 tau_m, 7 tau_r)", len(res.Params))
	}
	if a := float64(res.Metrics.TestAccuracy); a < 0.905 {
		t.Errorf("test accuracy %.4f of the trained network; measured 0.916", a)
	}
}
