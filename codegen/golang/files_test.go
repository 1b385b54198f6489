package golang_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vlec-dev/vlec/codegen/golang"
	"github.com/vlec-dev/vlec/internal/npytest"
	"github.com/vlec-dev/vlec/runtime"
)

// dataModels are the models of TestDataEquivalence: ou noise, inputs,
// teachers and weights read from CSV and .npy files. Their data files are
// written by writeDataFiles.
var dataModels = map[string]string{
	// ou noise: two generators in one input (the sim seed and an explicit
	// one), arguments depending on i and b, a seed depending on i, and a
	// teacher with a noise of its own (drawn from the student's seed)
	"noise.vle": `model noise
import "std/gle"
sim { dt = 1ms; duration = 40ms; batch = 2; seed = 11 }
input x[3] = ou(tau = 10ms, sigma = 0.2 + 0.1 * i, mean = 0.1 * b) + 0.3 * ou(tau = 5ms, sigma = 0.5, seed = 7)
input s[2] = sine(freq = 20Hz) * ou(tau = 8ms, sigma = 1, mean = 1, seed = 3 + i)
population h[3] : gle(tau_m = 20ms, tau_r = 5ms)
connect x -> h W = uniform(-0.5, 0.5) plastic
connect s -> h V = 0.5
teacher T = model("noise_teacher.vle", x = x)
energy { mismatch(h) + 0.5 * mse(h.r, T.h.r) }
learn { lr = 0.01 }
record x, s, h.u, h.r, W, T.h.r
`,
	"noise_teacher.vle": `model noise_teacher
import "std/gle"
sim { dt = 1ms; duration = 40ms; batch = 2 }
input x[3] = 0
input n[3] = ou(tau = 10ms, sigma = 0.3)
population h[3] : gle(tau_m = 30ms)
connect x -> h W = 0.4
connect n -> h N : one_to_one = 1
energy { mismatch(h) }
`,
	// CSV inputs: a header with a t column and a block of columns per
	// batch element, a file longer than the run; comments and one row
	// for the batch; weights from a CSV, and a one_to_one diagonal given
	// as one row
	"csvin.vle": `model csvin
import "std/gle"
sim { dt = 10ms; duration = 0.3s; batch = 2 }
input x[2] = file("x.csv")
input u[3] = file("data/u.csv")
population h[3] : gle(tau_m = 50ms, tau_r = 20ms, phi = tanh)
connect x -> h W = file("w.csv") plastic
connect u -> h D : one_to_one = file("d.csv")
energy { mismatch(h) + 0.5 * mse(h.r, 0.1) }
learn { lr = 0.05 }
record x, u, h.u, h.r, W, D
`,
	// .npy inputs: (steps, batch, size) float64, a 1-D float32 array of
	// exactly the run's steps; weights from float64 and int64 arrays
	"npyin.vle": `model npyin
import "std/gle"
sim { dt = 10ms; duration = 0.2s; batch = 2 }
input x[2] = file("x3.npy")
input v[1] = file("v1.npy")
population h[2] : gle(tau_m = 50ms, tau_r = 20ms)
connect x -> h W = file("w.npy") plastic
connect v -> h V = file("v.npy")
energy { mismatch(h) + 0.5 * mse(h.r, 0.3) }
learn { lr = 0.05 }
record x, v, h.u, W
`,
	// a file teacher, and a teacher model reading files of its own
	"fileteacher.vle": `model fileteacher
import "std/gle"
sim { dt = 10ms; duration = 0.3s }
input x[2] = sine(freq = 1Hz, phase = i)
population h[3] : gle(tau_m = 50ms, tau_r = 20ms, phi = tanh)
population y[2] : gle(tau_m = 50ms, tau_r = 20ms)
connect x -> h W0 = file("w0.csv") plastic
connect h -> y W1 = uniform(-0.5, 0.5, seed = 2) plastic
teacher D[2] = file("targets.csv")
teacher T = model("tdata.vle", x = x)
energy { mismatch(h) + mismatch(y) + 0.5 * mse(y.r, D) + 0.2 * mse(h.r, T.h.r) }
learn { lr = 0.05 }
record y.r, h.u, h.r, W0, W1, T.h.r, D
`,
	"tdata.vle": `model tdata
import "std/gle"
sim { dt = 10ms; duration = 0.3s }
input x[2] = 0
input u[3] = file("tu.npy")
population h[3] : gle(tau_m = 40ms, phi = tanh)
connect x -> h W = file("tw.npy")
connect u -> h U : one_to_one = 1
energy { mismatch(h) }
`,
}

// dataStudents are the models of dataModels generated and compared (the
// others are their teachers).
var dataStudents = []string{"noise", "csvin", "npyin", "fileteacher"}

// writeDataFiles writes the models of dataModels and their data files
// into dir.
func writeDataFiles(t *testing.T, dir string) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	table := func(rows, cols int) [][]float64 {
		out := make([][]float64, rows)
		for i := range out {
			out[i] = make([]float64, cols)
			for j := range out[i] {
				out[i][j] = 2*r.Float64() - 1
			}
		}
		return out
	}
	csvText := func(header string, rows [][]float64, time bool) string {
		var b strings.Builder
		if header != "" {
			b.WriteString(header + "\n")
		}
		for k, row := range rows {
			var cells []string
			if time {
				cells = append(cells, fmt.Sprint(float64(k)*0.01))
			}
			for _, v := range row {
				cells = append(cells, fmt.Sprint(v))
			}
			b.WriteString(strings.Join(cells, ", ") + "\n")
		}
		return b.String()
	}
	flat := func(rows [][]float64) []float64 {
		var out []float64
		for _, r := range rows {
			out = append(out, r...)
		}
		return out
	}
	files := map[string][]byte{
		"x.csv":       []byte(csvText("t,a0,a1,b0,b1", table(40, 4), true)),
		"data/u.csv":  []byte("# three neurons, one row for the batch\n" + csvText("", table(30, 3), false)),
		"w.csv":       []byte(csvText("", table(3, 2), false)),
		"d.csv":       []byte("0.5, -1.5, 2\n"),
		"x3.npy":      npytest.V1("<f8", []int{25, 2, 2}, flat(table(25, 4))),
		"v1.npy":      npytest.V1("<f4", []int{20}, flat(table(20, 1))),
		"w.npy":       npytest.V1("<f8", []int{2, 2}, flat(table(2, 2))),
		"v.npy":       npytest.V1("<i8", []int{2, 1}, []float64{1, -2}),
		"w0.csv":      []byte(csvText("", table(3, 2), false)),
		"targets.csv": []byte(csvText("step,y0,y1", table(30, 2), true)),
		"tu.npy":      npytest.V1("<f8", []int{30, 3}, flat(table(30, 3))),
		"tw.npy":      npytest.V1("<f8", []int{3, 2}, flat(table(3, 2))),
	}
	for name, src := range dataModels {
		files[name] = []byte(src)
	}
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// dataFilesMain prints the generated package's DataFiles as JSON: the
// data entries of the summary's "read" list.
const dataFilesMain = `package main

import (
	"encoding/json"
	"os"

	model "fileteacher"
)

func main() {
	files, err := model.DataFiles()
	if err != nil {
		panic(err)
	}
	json.NewEncoder(os.Stdout).Encode(files)
}
`

// TestDataEquivalence generates the models of dataStudents, builds their
// commands (and a program printing DataFiles) with one go build, runs
// each, and compares every recorded value with vlec run's to 1e-12
// relative (1e-15 absolute), as TestEquivalence does: the ou noise must
// be the interpreter's draws, the files read as the interpreter reads
// them. The noise model runs again with -seed.
func TestDataEquivalence(t *testing.T) {
	goCmd := goTool(t)
	root := t.TempDir()
	vle := filepath.Join(root, "vle")
	writeDataFiles(t, vle)
	var models []*model
	for _, name := range dataStudents {
		m := &model{file: filepath.Join(vle, name+".vle")}
		m.prog = compile(t, m.file)
		m.pkg = golang.PackageName(m.prog.Model.Name)
		files, err := golang.Generate(m.prog, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := golang.Write(filepath.Join(root, "mod", m.pkg), files); err != nil {
			t.Fatal(err)
		}
		models = append(models, m)
	}
	checker := filepath.Join(root, "mod", "fileteacher", "cmd", "datafiles", "main.go")
	os.MkdirAll(filepath.Dir(checker), 0o755)
	if err := os.WriteFile(checker, []byte(dataFilesMain), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	bins := buildAll(t, goCmd, root, models, "fileteacher/cmd/datafiles")
	t.Logf("go vet + go build of %d generated modules: %.1fs", len(models), time.Since(start).Seconds())
	byName := map[string]*model{}
	for _, m := range models {
		byName[m.pkg] = m
		t.Run(m.pkg, func(t *testing.T) { compareRun(t, root, bins[m.pkg], m, "") })
	}
	t.Run("noise/seed", func(t *testing.T) { compareRun(t, root, bins["noise"], byName["noise"], "5") })
	t.Run("datafiles", func(t *testing.T) {
		checkDataFiles(t, filepath.Join(root, "bin", "datafiles"), byName["fileteacher"], root)
	})
	t.Run("bad", func(t *testing.T) { badData(t, root, bins, byName) })
}

// compareRun runs the generated command of m and the interpreter (with
// seed, when not "") and compares their records.
func compareRun(t *testing.T, root, bin string, m *model, seed string) {
	name := m.pkg
	args := []string{"-q"}
	opts := runtime.Options{}
	if seed != "" {
		name += "-seed" + seed
		args = append(args, "-seed", seed)
		fmt.Sscan(seed, &opts.Seed)
		opts.SeedSet = true
	}
	gen := filepath.Join(root, "out", name)
	run(t, bin, append(args, "-o", gen)...)
	ref := filepath.Join(root, "ref", name)
	if _, err := runtime.Run(context.Background(), m.prog, runtime.RunOptions{OutDir: ref, Options: opts}); err != nil {
		t.Fatal(err)
	}
	csvs, _ := filepath.Glob(filepath.Join(ref, "*.csv"))
	if len(csvs) < 1 {
		t.Fatalf("the interpreter wrote %d CSV files", len(csvs))
	}
	for _, want := range csvs {
		compareCSV(t, want, filepath.Join(gen, filepath.Base(want)), false)
	}
}

// checkDataFiles compares DataFiles of the generated fileteacher (its
// weights, its file teacher, the teacher model's input and weights) with
// the data files of vlec run's summary.
func checkDataFiles(t *testing.T, bin string, m *model, root string) {
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	var got []runtime.FileHash
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	sum, err := runtime.Run(context.Background(), m.prog, runtime.RunOptions{OutDir: filepath.Join(root, "ref-read")})
	if err != nil {
		t.Fatal(err)
	}
	var want []runtime.FileHash
	for _, f := range sum.Read {
		if f.Kind == "data" {
			want = append(want, f)
		}
	}
	if len(want) != 4 {
		t.Fatalf("the interpreter read %d data files, want 4: %v", len(want), want)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("DataFiles:\n%v\nwant (vlec run's summary)\n%v", got, want)
	}
}

// badData breaks the data files of the built commands and checks each
// refusal: exit status 1, nothing written, and vlec run's message (with
// the model's name in front), or for a missing file a message naming it.
func badData(t *testing.T, root string, bins map[string]string, models map[string]*model) {
	vle := filepath.Join(root, "vle")
	cases := []struct {
		name, model, file string
		data              []byte // nil: the file is removed
		args              []string
		want              string // for a missing file: the message expected
	}{
		{name: "missing", model: "csvin", file: "x.csv",
			want: "csvin: " + filepath.Join(vle, "csvin.vle") + ":4:7: input x: data file " + filepath.Join(vle, "x.csv") +
				" does not exist (vlec resolved this path from the model when it generated the code)"},
		{name: "columns", model: "csvin", file: "data/u.csv", data: []byte("1,2,3\n1,2\n")},
		{name: "not a number", model: "csvin", file: "data/u.csv", data: []byte("1,2,3\n1,x,3\n")},
		{name: "NaN", model: "csvin", file: "x.csv", data: []byte("t,a0,a1,b0,b1\n0,1,2,3,4\n0.01,1,2,NaN,4\n")},
		{name: "short", model: "fileteacher", file: "targets.csv", data: []byte("1,2\n1,2\n")},
		{name: "duration", model: "csvin", file: "", args: []string{"-duration", "0.5s"}},
		{name: "weights shape", model: "fileteacher", file: "w0.csv", data: []byte("1,2,3\n4,5,6\n")},
		{name: "npy truncated", model: "npyin", file: "w.npy", data: npytest.V1("<f8", []int{2, 2}, []float64{1, 2, 3, 4})[:80+16]},
		{name: "npy shape", model: "npyin", file: "x3.npy", data: npytest.V1("<f8", []int{25, 3, 2}, make([]float64, 150))},
		{name: "teacher model", model: "fileteacher", file: "tu.npy", data: npytest.V1("<f8", []int{30, 3}, append(make([]float64, 40), math.Inf(1)))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := models[c.model]
			if c.file != "" {
				path := filepath.Join(vle, filepath.FromSlash(c.file))
				orig, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				defer os.WriteFile(path, orig, 0o644)
				if c.data == nil {
					os.Remove(path)
				} else if err := os.WriteFile(path, c.data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out := filepath.Join(root, "bad", strings.ReplaceAll(c.name, " ", "-"))
			cmd := exec.Command(bins[c.model], append([]string{"-q", "-o", out}, c.args...)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1\n%s", err, stderr.String())
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written", out)
			}
			want := c.want
			if want == "" {
				opts := runtime.Options{}
				if c.args != nil {
					opts.Steps = 50
				}
				_, err := runtime.Run(context.Background(), m.prog, runtime.RunOptions{OutDir: filepath.Join(root, "bad-ref"), Options: opts})
				if err == nil {
					t.Fatal("the interpreter runs the broken model")
				}
				want = m.pkg + ": " + err.Error()
			}
			if got := strings.TrimSpace(stderr.String()); got != want {
				t.Errorf("stderr\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestDataGenerate checks, without building, what the generator writes
// for data files and noise: DataPaths with the teacher model's files
// under T., in the order New reads them, and the declarations' places;
// no readers nor noise in a model without them; and the refusal of an ou
// the interpreter evaluates lazily.
func TestDataGenerate(t *testing.T) {
	dir := t.TempDir()
	writeDataFiles(t, dir)
	files, err := golang.Generate(compile(t, filepath.Join(dir, "fileteacher.vle")), nil)
	if err != nil {
		t.Fatal(err)
	}
	data := string(files["data.go"])
	// in the order New reads them: the weights, teacher T's files, the
	// file teacher
	var entries []string
	for _, e := range [][3]string{
		{"W0", "w0.csv", "weights W0, fileteacher.vle:7:16"},
		{"T.W", "tw.npy", "weights W, tdata.vle:7:16"},
		{"T.u", "tu.npy", "input u, tdata.vle:5:7"},
		{"D", "targets.csv", "teacher D, fileteacher.vle:9:9"},
	} {
		what, pos, _ := strings.Cut(e[2], ", ")
		entries = append(entries, fmt.Sprintf("%q: %q, // %s, %s", e[0], filepath.Join(dir, e[1]), what, filepath.Join(dir, pos)))
	}
	start := strings.Index(data, "var DataPaths = map[string]string{\n")
	end := strings.Index(data[max(start, 0):], "\n}\n")
	if start < 0 || end < 0 {
		t.Fatalf("data.go has no DataPaths:\n%s", data)
	}
	var got []string
	for _, line := range strings.Split(data[start:start+end], "\n")[1:] {
		got = append(got, strings.Join(strings.Fields(line), " "))
	}
	if strings.Join(got, "\n") != strings.Join(entries, "\n") {
		t.Errorf("DataPaths:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(entries, "\n"))
	}
	if !strings.Contains(string(files["model.go"]), `dataDecl{pos: "teacher T: `+filepath.Join(dir, "tdata.vle")+`:5:7", what: "input u", key: "T.u"}`) {
		t.Errorf("model.go does not name teacher T's input u as vlec run does")
	}
	for _, s := range []string{"func readDataCSV(", "func decodeDataNPY("} {
		if !strings.Contains(data, s) {
			t.Errorf("data.go lacks %s", s)
		}
	}
	if strings.Contains(data, "ouNoise") {
		t.Error("data.go of a model without noise has the ou generator")
	}
	files, err = golang.Generate(compile(t, filepath.Join(dir, "noise.vle")), nil)
	if err != nil {
		t.Fatal(err)
	}
	data = string(files["data.go"])
	if !strings.Contains(data, "type ouNoise struct") || strings.Contains(data, "readDataCSV") {
		t.Errorf("data.go of the noise model:\n%s", data)
	}
	if !strings.Contains(string(files["model.go"]), "m.ouS1.next(k, b, i, 0.008, 1, 1, uint64(3+fi))") {
		t.Errorf("model.go of the noise model lacks the noise of s:\n%s", files["model.go"])
	}

	for _, c := range []struct{ stim, err string }{
		{"step(at = 10ms, height = ou(tau = 10ms, sigma = 0.2))", ":4:39: vlec gen go does not support an ou noise in the height of step(...)"},
		{"ou(tau = 10ms, sigma = 0.2, seed = 2 + ou(tau = 10ms, sigma = 1))", ":4:51: vlec gen go does not support an ou noise in the seed of ou(...)"},
	} {
		path := filepath.Join(dir, "lazy.vle")
		src := "model lazy\nimport \"std/gle\"\nsim { dt = 1ms; duration = 1s }\ninput x[1] = " + c.stim +
			"\npopulation y[1] : gle(tau_m = 20ms)\nconnect x -> y W = 1\nenergy { mismatch(y) }\n"
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := golang.Generate(compile(t, path), nil)
		if err == nil || !strings.Contains(err.Error(), path+c.err) {
			t.Errorf("%s: error %v, want %s%s", c.stim, err, path, c.err)
		}
	}
}
