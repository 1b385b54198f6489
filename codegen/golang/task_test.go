package golang_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/internal/npy"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/runtime"
)

// The equivalence tests (golang_test.go) run the models with a task too:
// the generated command runs the whole task as vlec run does, and its
// metrics, records, checkpoint, parameters and summary are compared with
// the interpreter's (1e-12 relative, bit for bit under float32). A model
// under examples/ is shortened by the overrides below; testdata's
// task_hold.vle and task_stream.vle are small, and between them take
// every branch of the generated task code (hold and stream presentation,
// settle, reset, shuffle, classes and target values, a partial last
// batch, evaluation epochs, predict by sum and by last, a step and a
// plateau schedule, a plateau and a target stopping rule, SGD and Adam,
// batched products and synapse passes, ou noise and a teacher model in
// the checkpoints, .npz, .npy and CSV data). Checkpoints then cross
// between the back ends: a generated run resumes from the interpreter's
// checkpoint after epoch 2, the interpreter from one the generated
// library wrote after epoch 2 (a small program using the library's task
// API), and both end where an unbroken run ends.

// taskOverrides shorten the equivalence runs of tasks under examples/:
// mnist1d runs 3 epochs of 30 training samples (the last of 4 batches of
// 8 partial) and 12 test samples, with a plateau schedule that halves
// the rates after epoch 2.
var taskOverrides = map[string][]check.Override{
	"mnist1d/mnist1d.vle": {{Name: "epochs", Value: "3"}, {Name: "digits.samples", Value: "30"},
		{Name: "digits.test.samples", Value: "12"}, {Name: "batch", Value: "8"}, {Name: "checkpoint_every", Value: "1"},
		{Name: "lr_schedule", Value: "plateau(metric = test.loss, factor = 0.5, patience = 0, threshold = 0)"}},
}

// extraEvery is the interval of the extra record of the equivalence
// runs: every 3 steps, or for a task of long samples twice a sample.
func extraEvery(prog *schedule.Program) int {
	if t := prog.Model.Task; t != nil && t.Data.Steps > 50 {
		return t.Data.Steps / 2
	}
	return 3
}

// linkTaskFiles links the files a task model at src reads (its data set's
// arrays, its teacher models) beside its copy dst, at the same relative
// paths.
func linkTaskFiles(t *testing.T, src, dst string) {
	t.Helper()
	m, sources, err := check.Load(src)
	if err != nil {
		t.Fatal(sources.Format(err))
	}
	if m.Task == nil {
		return
	}
	dir, err := filepath.Abs(filepath.Dir(src))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, sp := range []*check.Split{&m.Task.Data.Train, m.Task.Data.Test} {
		if sp != nil {
			files = append(files, sp.X.File, sp.Y.File)
		}
	}
	for path := range sources {
		files = append(files, path)
	}
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			continue
		}
		rel, err := filepath.Rel(dir, abs)
		if err != nil || strings.HasPrefix(rel, "..") || rel == filepath.Base(src) {
			continue
		}
		if _, err := os.Stat(abs); err != nil {
			continue // std/...
		}
		link := filepath.Join(filepath.Dir(dst), rel)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		os.MkdirAll(filepath.Dir(link), 0o755)
		if err := os.Symlink(abs, link); err != nil {
			t.Fatal(err)
		}
	}
}

// apiProgram drives a task model through the library as a program
// embedding it would: two epochs, the checkpoint and the metrics so far;
// then a fresh model takes the parameters of a file and evaluates the
// test split from rest (as vlec eval --from does).
const apiProgram = `// Command %[1]sapi drives the task API of package %[1]s (task_test.go).
package main

import (
	"context"
	"fmt"
	"os"

	model %[2]q
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	ctx := context.Background()
	m, err := model.New(model.Options{})
	if err != nil {
		fail(err)
	}
	for range 2 {
		em, err := m.Epoch(ctx, nil)
		if err != nil {
			fail(err)
		}
		fmt.Println(em.Line(model.Epochs))
	}
	if err := m.SaveCheckpoint(os.Args[1]); err != nil {
		fail(err)
	}
	if err := os.WriteFile(os.Args[2], model.MetricsCSV(m.TaskState().History), 0o644); err != nil {
		fail(err)
	}
	m.Close()
	e, err := model.New(model.Options{})
	if err != nil {
		fail(err)
	}
	defer e.Close()
	if _, err := e.LoadParams(os.Args[3]); err != nil {
		fail(err)
	}
	r, err := e.Evaluate(ctx, nil, "test")
	if err != nil {
		fail(err)
	}
	fmt.Printf("eval %%d %%.17g %%.17g\n", r.Samples, r.Loss, r.Accuracy)
}
`

// taskPrograms writes the API program of every task model into its
// module and returns their packages, for buildAll.
func taskPrograms(t *testing.T, root string, models []*model) []string {
	t.Helper()
	var out []string
	for _, m := range models {
		if m.prog.Model.Task == nil {
			continue
		}
		dir := filepath.Join(root, "mod", m.pkg, "cmd", m.pkg+"api")
		os.MkdirAll(dir, 0o755)
		if err := os.WriteFile(filepath.Join(dir, "main.go"), fmt.Appendf(nil, apiProgram, m.pkg, m.pkg), 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, m.pkg+"/cmd/"+m.pkg+"api")
	}
	return out
}

// taskEquivalence runs a task model's generated command and the
// interpreter, compares what they wrote, and crosses their checkpoints.
func taskEquivalence(t *testing.T, root string, bins map[string]string, m *model, f32 bool) {
	name := m.prog.Model.Name
	gen := filepath.Join(root, "out", m.pkg)
	run(t, bins[m.pkg], "-q", "-o", gen)
	ref := filepath.Join(root, "ref", m.pkg)
	sum, err := runtime.Run(context.Background(), m.prog, runtime.RunOptions{OutDir: ref})
	if err != nil {
		t.Fatal(err)
	}
	compareTaskRun(t, ref, gen, name, f32)
	csvs, _ := filepath.Glob(filepath.Join(ref, "*.csv"))
	for _, want := range csvs {
		if strings.HasSuffix(want, ".metrics.csv") {
			continue
		}
		compareCSV(t, want, filepath.Join(gen, filepath.Base(want)), f32, inputColumns(m.prog)...)
	}
	compareSummaries(t, filepath.Join(ref, name+".summary.json"), filepath.Join(gen, name+".summary.json"), f32)
	if sum.Task.Epochs < 3 {
		t.Fatalf("the task ran %d epochs; the resume tests need 3", sum.Task.Epochs)
	}

	// the interpreter's checkpoint after epoch 2 resumed by the generated
	// command, which ends where the interpreter's whole run ends
	half := filepath.Join(root, "half", m.pkg)
	ctx, cancel := context.WithCancel(context.Background())
	_, err = runtime.Run(ctx, m.prog, runtime.RunOptions{OutDir: half, Epoch: func(em runtime.EpochMetrics, _ int) {
		if em.Epoch == 2 {
			cancel()
		}
	}})
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interpreter stopped after epoch 2: %v", err)
	}
	resumed := filepath.Join(root, "resumed", m.pkg)
	c := exec.Command(bins[m.pkg], "-q", "-o", resumed, "-resume", filepath.Join(half, name+".checkpoint.npz"))
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		t.Fatalf("generated -resume: %v\n%s", err, stderr.Bytes())
	}
	if !strings.HasPrefix(string(out), name+": resumed from ") {
		t.Errorf("generated -resume: report %q", out)
	}
	compareTaskRun(t, ref, resumed, name, f32)

	// the generated library's checkpoint after epoch 2 resumed by the
	// interpreter and by the generated command: the interpreter ends
	// where it ends unbroken, the command where it ends unbroken, bit
	// for bit
	api := filepath.Join(root, "api", m.pkg)
	os.MkdirAll(api, 0o755)
	ckpt, metrics := filepath.Join(api, "2.checkpoint.npz"), filepath.Join(api, "2.metrics.csv")
	c = exec.Command(filepath.Join(root, "bin", m.pkg+"api"), ckpt, metrics, filepath.Join(ref, name+".params.npz"))
	out, err = c.CombinedOutput()
	if err != nil {
		t.Fatalf("API program: %v\n%s", err, out)
	}
	compareMetrics(t, filepath.Join(half, name+".metrics.csv"), metrics, f32)
	interp := filepath.Join(root, "interp-resumed", m.pkg)
	if _, err := runtime.Run(context.Background(), m.prog, runtime.RunOptions{OutDir: interp, Resume: ckpt}); err != nil {
		t.Fatal(err)
	}
	compareTaskRun(t, ref, interp, name, f32)
	again := filepath.Join(root, "gen-resumed", m.pkg)
	run(t, bins[m.pkg], "-q", "-o", again, "-resume", ckpt)
	compareTaskRun(t, gen, again, name, true)

	// the library's evaluation of the interpreter's trained parameters is
	// vlec eval's
	ev, err := runtime.Evaluate(context.Background(), m.prog, runtime.EvalOptions{From: filepath.Join(ref, name+".params.npz")})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var loss, acc float64
	line := string(out[bytes.LastIndex(out[:len(out)-1], []byte("\n"))+1:])
	if _, err := fmt.Sscanf(line, "eval %d %g %g", &n, &loss, &acc); err != nil {
		t.Fatalf("API program's evaluation %q: %v", line, err)
	}
	if !near(float64(ev.Metrics.TestLoss), loss, f32) || !near(float64(ev.Metrics.TestAccuracy), acc, f32) {
		t.Errorf("evaluation: generated loss %.17g, accuracy %g; vlec eval %.17g, %g", loss, acc, float64(ev.Metrics.TestLoss), float64(ev.Metrics.TestAccuracy))
	}
	if !f32 {
		taskGuard(t, root, bins, m)
	}
}

// taskGuard checks the command's exit statuses on a task: a NaN stops it
// with status 3 and the interpreter's message, Ctrl-C with 130.
func taskGuard(t *testing.T, root string, bins map[string]string, m *model) {
	name := m.prog.Model.Name
	var w string
	for _, c := range m.prog.Model.Connections {
		if c.Plastic {
			w = c.Name
			break
		}
	}
	if w == "" {
		return
	}
	// the interpreter with the weights overridden, the generated command
	// with them set at run time: the same first non-finite value
	c, sources, err := vlec.Compile(m.file, vlec.Options{Set: append(append([]check.Override{}, taskOverrides[relExample(m.file)]...), check.Override{Name: w, Value: "1e308"})})
	if err != nil {
		t.Fatal(sources.Format(err))
	}
	_, want := runtime.Run(context.Background(), c.Program, runtime.RunOptions{OutDir: filepath.Join(root, "nan-ref", m.pkg)})
	var nf *runtime.NonFiniteError
	if !errors.As(want, &nf) {
		t.Fatalf("interpreter with %s = 1e308: %v, want a non-finite value", w, want)
	}
	dir := filepath.Join(root, "nan", m.pkg)
	code, stderr := exitCode(t, exec.Command(bins[m.pkg], "-q", "-o", dir, "-set", w+"=1e308"))
	if code != 3 || stderr != name+": run stopped: "+want.Error()+"\n" {
		t.Errorf("generated with %s = 1e308: exit %d, stderr %q; want 3, %q", w, code, stderr, want.Error())
	}
	data, err := os.ReadFile(filepath.Join(dir, name+".summary.json"))
	if err != nil || !strings.Contains(string(data), `"stopped": "`+want.Error()) || !strings.Contains(string(data), `"task": {`) {
		t.Errorf("summary after the NaN (%v):\n%s", err, data)
	}

	// Ctrl-C after the first epoch's line: status 130, the metrics so far
	// kept (a tiny task may end first, or take a few more epochs)
	dir = filepath.Join(root, "interrupt", m.pkg)
	cmd := exec.Command(bins[m.pkg], "-o", dir)
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(errPipe)
	first, _ := r.ReadString('\n')
	cmd.Process.Signal(syscall.SIGINT)
	rest, _ := io.ReadAll(r)
	code, _ = exitCode(t, nil, cmd.Wait())
	if code == 0 {
		t.Logf("the run ended before Ctrl-C reached it (%q): interruption not checked", first)
		return
	}
	if code != 130 || !strings.HasPrefix(first, name+": epoch 1/") || !regexp.MustCompile(`(?s)^(`+name+`: epoch [^\n]*\n)*`+name+`: interrupted after [0-9]+ of [0-9]+ steps; the data so far is kept\n$`).Match(rest) {
		t.Errorf("interrupted: exit %d, stderr %q then %q", code, first, rest)
	}
	data, _ = os.ReadFile(filepath.Join(dir, name+".summary.json"))
	metrics, _ := os.ReadFile(filepath.Join(dir, name+".metrics.csv"))
	if !strings.Contains(string(data), `"stopped": "interrupted"`) || !strings.Contains(string(metrics), "\n1,") {
		t.Errorf("after Ctrl-C: summary\n%s\nmetrics\n%s", data, metrics)
	}
}

// relExample is a model's name relative to examples/ (taskOverrides'
// keys) from its copy under the test's vle directory.
func relExample(file string) string {
	i := strings.LastIndex(file, string(filepath.Separator)+"vle"+string(filepath.Separator))
	if i < 0 {
		return file
	}
	return filepath.ToSlash(file[i+5:])
}

// near reports whether two numbers are the same to 1e-12 relative (or
// 1e-15 absolute), or bit for bit; NaN equals NaN.
func near(a, b float64, bitwise bool) bool {
	if a == b || math.IsNaN(a) && math.IsNaN(b) {
		return true
	}
	if bitwise {
		return false
	}
	d := math.Abs(a - b)
	return d/math.Max(math.Abs(a), math.Abs(b)) <= 1e-12 || d <= 1e-15
}

// compareTaskRun compares the metrics, the checkpoint and the parameters
// of two runs of a task.
func compareTaskRun(t *testing.T, want, got, name string, bitwise bool) {
	t.Helper()
	compareMetrics(t, filepath.Join(want, name+".metrics.csv"), filepath.Join(got, name+".metrics.csv"), bitwise)
	for _, f := range []string{name + ".checkpoint.npz", name + ".params.npz"} {
		compareArchives(t, filepath.Join(want, f), filepath.Join(got, f), bitwise)
	}
	compareCheckpointJSON(t, filepath.Join(want, name+".checkpoint.npz"), filepath.Join(got, name+".checkpoint.npz"), bitwise)
}

// compareMetrics compares two metrics files but for the wall times: the
// same epochs, the same empty cells, the numbers as near says.
func compareMetrics(t *testing.T, want, got string, bitwise bool) {
	t.Helper()
	wh, wrows := readCSV(t, want)
	gh, grows := readCSV(t, got)
	if !reflect.DeepEqual(wh, gh) || len(wrows) != len(grows) {
		t.Fatalf("%s: %d rows of %v, want %d of %v", got, len(grows), gh, len(wrows), wh)
	}
	for r := range wrows {
		for c := range wh {
			if wh[c] == "wall_s" {
				continue
			}
			a, b := wrows[r][c], grows[r][c]
			if a == b {
				continue
			}
			x, errx := strconv.ParseFloat(a, 64)
			y, erry := strconv.ParseFloat(b, 64)
			if errx != nil || erry != nil || !near(x, y, bitwise) {
				t.Fatalf("%s epoch %s, %s: generated %q, interpreter %q", filepath.Base(got), wrows[r][0], wh[c], b, a)
			}
		}
	}
}

// compareArchives compares every array of two .npz archives (the order
// aside).
func compareArchives(t *testing.T, want, got string, bitwise bool) {
	t.Helper()
	a, err := npy.ReadAll(want)
	if err != nil {
		t.Fatal(err)
	}
	b, err := npy.ReadAll(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("%s holds %d arrays, %s %d", got, len(b), want, len(a))
	}
	worst := 0.0
	for name, va := range a {
		vb, ok := b[name]
		if !ok || len(va) != len(vb) {
			t.Fatalf("%s: array %s has %d values, want %d", got, name, len(vb), len(va))
		}
		for i := range va {
			if !near(va[i], vb[i], bitwise) {
				t.Fatalf("%s: %s[%d] is %.17g, want %.17g", got, name, i, vb[i], va[i])
			}
			if d := math.Abs(va[i] - vb[i]); d > 0 {
				worst = math.Max(worst, d/math.Max(math.Abs(va[i]), math.Abs(vb[i])))
			}
		}
	}
	t.Logf("%s: %d arrays, worst relative difference %.2g", filepath.Base(got), len(a), worst)
}

// checkpointJSON reads a checkpoint's checkpoint.json.
func checkpointJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	for _, f := range z.File {
		if f.Name != "checkpoint.json" {
			continue
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out map[string]any
		if err := json.NewDecoder(r).Decode(&out); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return out
	}
	t.Fatalf("%s has no checkpoint.json", path)
	return nil
}

// compareCheckpointJSON compares two checkpoints' checkpoint.json: every
// field (the task's metrics as near says, wall times not at all).
func compareCheckpointJSON(t *testing.T, want, got string, bitwise bool) {
	t.Helper()
	if d := jsonDiff("", checkpointJSON(t, want), checkpointJSON(t, got), bitwise); d != "" {
		t.Fatalf("%s: checkpoint.json differs from %s: %s", got, want, d)
	}
}

// summaryFields are the fields of a summary both back ends write the same
// (the rest: times, rates, the build, the files read).
var summaryFields = []string{"model", "method", "precision", "steps", "planned", "dt", "batch", "seed", "learn_after",
	"cost_start", "cost_end", "stopped", "nonfinite", "task", "files"}

// compareSummaries compares the summaries of two runs of a task.
func compareSummaries(t *testing.T, want, got string, bitwise bool) {
	t.Helper()
	read := func(path string) map[string]any {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return out
	}
	a, b := read(want), read(got)
	for _, f := range summaryFields {
		if d := jsonDiff(f, a[f], b[f], bitwise); d != "" {
			t.Errorf("%s: %s", got, d)
		}
	}
}

var number = regexp.MustCompile(`[-+]?[0-9]*\.?[0-9]+(e[-+]?[0-9]+)?`)

// jsonDiff describes the first difference of two decoded JSON values ("":
// none): numbers as near says, numbers in strings likewise, wall times
// (wall_s) ignored.
func jsonDiff(path string, a, b any, bitwise bool) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return fmt.Sprintf("%s: %v, want %v", path, b, a)
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "wall_s" {
				continue
			}
			if d := jsonDiff(path+"."+k, x[k], y[k], bitwise); d != "" {
				return d
			}
		}
		return ""
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return fmt.Sprintf("%s: %v, want %v", path, b, a)
		}
		for i := range x {
			if d := jsonDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i], bitwise); d != "" {
				return d
			}
		}
		return ""
	case float64:
		if y, ok := b.(float64); ok && near(x, y, bitwise) {
			return ""
		}
	case string:
		y, ok := b.(string)
		if !ok {
			break
		}
		nx, ny := number.FindAllString(x, -1), number.FindAllString(y, -1)
		if number.ReplaceAllString(x, "#") != number.ReplaceAllString(y, "#") || len(nx) != len(ny) {
			break
		}
		for i := range nx {
			u, _ := strconv.ParseFloat(nx[i], 64)
			v, _ := strconv.ParseFloat(ny[i], 64)
			if !near(u, v, bitwise) {
				return fmt.Sprintf("%s: %q, want %q", path, y, x)
			}
		}
		return ""
	default:
		if reflect.DeepEqual(a, b) {
			return ""
		}
	}
	return fmt.Sprintf("%s: %v, want %v", path, b, a)
}
