package check_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/internal/npytest"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
)

// dataDir writes the data files of the dataset tests: d.npz with a
// stream split (x: 6 samples of 4 steps, y: labels; x_test, y_test), held
// inputs xh (6, 3), a ragged-shaped test array x_bad (2, 5), float
// targets yv (6, 4), and a CSV of 6 samples of 4 steps.
func dataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	z := npytest.NPZ(
		npytest.Array{Name: "x", Descr: "<f4", Shape: []int{6, 4}, Values: make([]float64, 24)},
		npytest.Array{Name: "y", Descr: "<i8", Shape: []int{6}, Values: []float64{0, 1, 2, 0, 1, 2}},
		npytest.Array{Name: "x_test", Descr: "<f8", Shape: []int{2, 4}, Values: make([]float64, 8)},
		npytest.Array{Name: "y_test", Descr: "<i8", Shape: []int{2}, Values: []float64{1, 0}},
		npytest.Array{Name: "xh", Descr: "<f8", Shape: []int{6, 3}, Values: make([]float64, 18)},
		npytest.Array{Name: "x_bad", Descr: "<f8", Shape: []int{2, 5}, Values: make([]float64, 10)},
		npytest.Array{Name: "yv", Descr: "<f8", Shape: []int{6, 4}, Values: make([]float64, 24)},
	)
	if err := os.WriteFile(filepath.Join(dir, "d.npz"), z, 0o644); err != nil {
		t.Fatal(err)
	}
	csv := "a,b,c,d\n" + strings.Repeat("0.1,0.2,0.3,0.4\n", 6)
	if err := os.WriteFile(filepath.Join(dir, "x.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// dataModel is a model around a dataset block and a task block.
func dataModel(dataset, input, teacher, task string) string {
	return `model m
import "std/gle"
sim { dt = 0.1; batch = 4 }
dataset d {
` + dataset + `
}
input x[` + input + `] = d.x
teacher T = d.` + teacher + `
population y[3] : gle(tau_m = 0.2, tau_r = 0.2)
connect x -> y W = constant(0.1) plastic
energy {
  mismatch(y)
  loss(cross_entropy(y.r, T))
}
task {
` + task + `
}
`
}

const okData = `file = "d.npz"; x = "x"; y = "y"; test.x = "x_test"; test.y = "y_test"; classes = 3`

func TestDatasets(t *testing.T) {
	for _, c := range []struct {
		name, src string
		err       string // a regexp; "" accepts the model
	}{
		{"ok", dataModel(okData, "1", "y", "epochs = 3; predict = y.r"), ""},
		{"csv stream", dataModel(`x = "x.csv"; y = "d.npz"; classes = 3`, "1", "y", "epochs = 1"), `dataset d needs file|names array`},
		{"unknown array", dataModel(`file = "d.npz"; x = "xx"; y = "y"; classes = 3`, "1", "y", "epochs = 1"), `d.npz holds no array "xx"; did you mean x\?`},
		{"unknown setting", dataModel(okData+`; shufle = true`, "1", "y", "epochs = 1"), `unknown dataset setting shufle; did you mean shuffle\?`},
		{"labels shape", dataModel(`file = "d.npz"; x = "x"; y = "xh"; classes = 3`, "1", "y", "epochs = 1"), `d.npz array xh holds shape \(6, 3\), but with classes = 3 it holds one integer label per sample`},
		{"test shape", dataModel(`file = "d.npz"; x = "x"; y = "y"; test.x = "x_bad"; test.y = "y_test"; classes = 3`, "1", "y", "epochs = 1"), `a test sample must have the shape of a training sample`},
		{"input size", dataModel(okData, "2", "y", "epochs = 1"), `input x has 2 neurons, but dataset d presents 1 value per step`},
		{"hold needs steps", dataModel(`file = "d.npz"; x = "xh"; y = "y"; classes = 3; present = hold`, "3", "y", "epochs = 1"), `holds each sample for a number of steps: write steps = N`},
		{"hold ok", dataModel(`file = "d.npz"; x = "xh"; y = "y"; classes = 3; present = hold; steps = 10; settle = 2`, "3", "y", "epochs = 1"), ""},
		{"stream steps", dataModel(okData+`; steps = 4`, "1", "y", "epochs = 1"), `a streamed sample lasts its length, 4 steps`},
		{"values stream", dataModel(`file = "d.npz"; x = "x"; y = "yv"`, "1", "y", "epochs = 1"), `teacher T has 3 values|the energy|cross_entropy|size`},
		{"teacher x", dataModel(okData, "1", "x", "epochs = 1"), `a teacher takes a data set's targets, d.y`},
		{"samples", dataModel(okData+`; samples = 9`, "1", "y", "epochs = 1"), `samples is 9, more than 6`},
		{"metric", dataModel(okData, "1", "y", "epochs = 1; lr_schedule = plateau(metric = test.los)"), `unknown metric test.los; did you mean test.loss\?`},
		{"accuracy without predict", dataModel(okData, "1", "y", "epochs = 1; stop = target(metric = test.accuracy, value = 0.9)"), `watches test.accuracy, which needs predict`},
		{"test metric without test", dataModel(`file = "d.npz"; x = "x"; y = "y"; classes = 3`, "1", "y", "epochs = 1; lr_schedule = plateau(metric = test.loss)"), `dataset d has no test split`},
		{"unknown task setting", dataModel(okData, "1", "y", "epoch = 3"), `unknown task setting epoch; did you mean epochs\?`},
		{"predict without classes", dataModel(`file = "d.npz"; x = "x"; y = "yv"`, "1", "y", "epochs = 1; predict = y.r"), `predict gives an accuracy against class labels, and dataset d has none`},
		{"factor", dataModel(okData, "1", "y", "lr_schedule = step(epochs = 2, factor = 2)"), `factor must be in \(0, 1\], got 2`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := dataDir(t)
			path := filepath.Join(dir, "m.vle")
			os.WriteFile(path, []byte(c.src), 0o644)
			m, _, err := check.Load(path)
			if c.err == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if m.Task == nil || m.Task.Data == nil || m.Sim.Steps == 0 {
					t.Fatalf("task %+v, steps %d", m.Task, m.Sim.Steps)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; want %q", c.err)
			}
			re := regexp.MustCompile(c.err)
			for _, e := range lang.Diagnostics(err) {
				if re.MatchString(e.Msg) {
					return
				}
			}
			t.Errorf("errors %v; want one matching %q", err, c.err)
		})
	}
}

// TestTaskSteps: the run's length is epochs x (training batches + test
// batches on evaluation epochs) x steps per sample.
func TestTaskSteps(t *testing.T) {
	dir := dataDir(t)
	path := filepath.Join(dir, "m.vle")
	// 6 training samples in batches of 4: 2 batches; 2 test samples: 1
	// batch; 4 steps per sample; evaluation after epochs 2, 4 and 5 (the
	// last).
	os.WriteFile(path, []byte(dataModel(okData, "1", "y", "epochs = 5; eval_every = 2")), 0o644)
	m, _, err := check.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := (5*2 + 3*1) * 4
	if m.Sim.Steps != want {
		t.Errorf("steps %d, want %d", m.Sim.Steps, want)
	}
	for e, ev := range map[int]bool{1: false, 2: true, 3: false, 4: true, 5: true} {
		if m.Task.Evaluates(e) != ev {
			t.Errorf("epoch %d evaluates: %v", e, !ev)
		}
	}
}

// TestParamsFromArchive: weights and population parameters named in an
// .npz archive are checked when the model is.
func TestParamsFromArchive(t *testing.T) {
	for _, c := range []struct{ name, conn, pop, err string }{
		{"ok", `file("d.npz", "w")`, `file("d.npz")`, ""},
		{"default name", `file("d.npz")`, `0.2`, `d.npz holds no array W for connection W`},
		{"shape", `file("d.npz", "xh")`, `0.2`, `d.npz array xh has shape \(6, 3\), but connection W needs \(3, 1\)`},
		{"population", `constant(1)`, `file("d.npz", "x")`, `array x has shape \(6, 4\), but tau_m of population y needs \(3,\)`},
		{"missing", `constant(1)`, `file("e.npz")`, `file .*e.npz does not exist`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "d.npz"), npytest.NPZ(
				npytest.Array{Name: "w", Descr: "<f8", Shape: []int{3, 1}, Values: []float64{1, 2, 3}},
				npytest.Array{Name: "y.tau_m", Descr: "<f8", Shape: []int{3}, Values: []float64{0.2, 0.3, 0.4}},
				npytest.Array{Name: "xh", Descr: "<f8", Shape: []int{6, 3}, Values: make([]float64, 18)},
				npytest.Array{Name: "x", Descr: "<f8", Shape: []int{6, 4}, Values: make([]float64, 24)},
			), 0o644)
			path := filepath.Join(dir, "m.vle")
			os.WriteFile(path, []byte(`model m
import "std/gle"
sim { dt = 0.1 }
input x[1] = 1
population y[3] : gle(tau_m = `+c.pop+`, tau_r = 0.1)
connect x -> y W = `+c.conn+`
energy { mismatch(y) }
`), 0o644)
			m, _, err := check.Load(path)
			if c.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := m.Populations[0].TauM.Values; got[2] != 0.4 || m.Connections[0].Init.Array != "w" {
					t.Errorf("tau_m %v, init %+v", got, m.Connections[0].Init)
				}
				return
			}
			if err == nil || !regexp.MustCompile(c.err).MatchString(err.Error()) {
				t.Errorf("error %v; want %q", err, c.err)
			}
		})
	}
}

// TestListBuilders: repeat and concat build per-neuron lists.
func TestListBuilders(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.vle")
	os.WriteFile(path, []byte(`model m
import "std/gle"
sim { dt = 0.1 }
const slow = repeat(concat(0.2, 0.3), 2)
input x[1] = 0
population h[6] : gle(tau_m = concat(repeat(0.5s, 2), slow), tau_r = 0.1)
connect x -> h W = constant(1)
energy { mismatch(h) }
`), 0o644)
	m, _, err := check.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Populations[0].TauM.Values
	want := []float64{0.5, 0.5, 0.2, 0.3, 0.2, 0.3}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("tau_m %v, want %v", got, want)
		}
	}
}
