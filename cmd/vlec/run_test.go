package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/lang/check"
)

const goldenDir = "../../../shared/golden"

func readTable(t *testing.T, path string) ([]string, [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return all[0], all[1:]
}

var goldenColumn = regexp.MustCompile(`^([a-zA-Z_]+?)(\d*)(\[.*)$`)

// ourColumn maps a golden column name to the name vlec's recording gives
// it: population l and connection l are the model's l-th, x its input,
// target the teacher's output rate.
func ourColumn(t *testing.T, m *check.Model, name string) string {
	if name == "step" || name == "t" {
		return name
	}
	g := goldenColumn.FindStringSubmatch(name)
	if g == nil {
		t.Fatalf("golden column %q", name)
	}
	l, _ := strconv.Atoi(g[2])
	switch g[1] {
	case "x":
		return m.Inputs[0].Name + g[3]
	case "target":
		tm := m.Teachers[0].Model
		return m.Teachers[0].Name + "." + tm.Populations[len(tm.Populations)-1].Name + ".r" + g[3]
	case "W":
		return m.Connections[l].Name + g[3]
	}
	return m.Populations[l].Name + "." + g[1] + g[3]
}

// TestRunGolden runs `vlec run` on the chain2 and mlp examples and compares
// every column of the recording with the GLE reference at every step.
func TestRunGolden(t *testing.T) {
	if _, err := os.Stat(goldenDir); err != nil {
		t.Skipf("golden data not found at %s (it sits beside the repository in CI): %v", goldenDir, err)
	}
	for _, name := range []string{"chain2", "mlp"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			model := filepath.Join("..", "..", "examples", name+".vle")
			var stdout, stderr bytes.Buffer
			if code := run([]string{"run", model, "-o", dir, "-q"}, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s%s", code, stdout.String(), stderr.String())
			}
			m, src, err := check.Load(model)
			if err != nil {
				t.Fatal(src.Format(err))
			}
			gh, grows := readTable(t, filepath.Join(goldenDir, name+".csv"))
			oh, orows := readTable(t, filepath.Join(dir, name+".csv"))
			if len(orows) != len(grows) {
				t.Fatalf("%d rows, golden has %d", len(orows), len(grows))
			}
			index := map[string]int{}
			for i, h := range oh {
				index[h] = i
			}
			worst := 0.0
			for gc, h := range gh {
				oc, ok := index[ourColumn(t, m, h)]
				if !ok {
					t.Fatalf("golden column %s (ours %s) is not recorded", h, ourColumn(t, m, h))
				}
				for k := range grows {
					want, _ := strconv.ParseFloat(grows[k][gc], 64)
					got, err := strconv.ParseFloat(orows[k][oc], 64)
					if err != nil {
						t.Fatal(err)
					}
					d := math.Abs(got-want) / (1 + math.Abs(want))
					worst = math.Max(worst, d)
					if d > 1e-9 {
						t.Fatalf("step %d, %s: got %.17g, want %.17g", k, h, got, want)
					}
				}
			}
			t.Logf("%d steps x %d columns, worst difference %.2g", len(grows), len(gh), worst)
			var sum struct {
				Steps     int      `json:"steps"`
				CostStart *float64 `json:"cost_start"`
				CostEnd   *float64 `json:"cost_end"`
			}
			data, err := os.ReadFile(filepath.Join(dir, name+".summary.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &sum); err != nil {
				t.Fatal(err)
			}
			if sum.Steps != len(grows) || sum.CostStart == nil || *sum.CostEnd >= *sum.CostStart {
				t.Errorf("summary %s: want %d steps and a cost that falls", data, len(grows))
			}
			if !strings.Contains(stdout.String(), "cost:") {
				t.Errorf("no cost in the result: %s", stdout.String())
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const small = `model small
import "std/gle"
sim { dt = 10ms; duration = 1s; batch = 2; method = gle }
%s
population y[2] : gle(tau_m = 0.5s, tau_r = 0.1s, phi = tanh)
connect x -> y W = %s plastic
energy {
  mismatch(y)
  mse(y.r, 0.5)
}
learn { lr = %s }
%s
`

func smallModel(t *testing.T, dir, input, init, lr, record string) string {
	return writeFile(t, dir, "small.vle", fmt.Sprintf(small, input, init, lr, record))
}

// entries lists the files of a directory.
func entries(t *testing.T, dir string) []string {
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestRunBadInput(t *testing.T) {
	cases := []struct {
		name, input, init, record, want string
	}{
		{"missing input file", `input x[3] = file("nope.csv")`, "glorot(seed = 1)", "record y.r", "nope.csv"},
		{"short input file", `input x[3] = file("in.csv")`, "glorot(seed = 1)", "record y.r", "in.csv holds 2 rows x 3 columns, but the run needs 100 rows, one per step"},
		{"wide input file", `input x[2] = file("in.csv")`, "glorot(seed = 1)", "record y.r", "in.csv holds 2 rows x 3 columns; it needs 2 columns (one per neuron)"},
		{"weights of the wrong shape", `input x[2] = sine(freq = 1Hz)`, `file("w.csv")`, "record y.r", "holds a 2x3 matrix, but x -> y needs 2x2"},
		{"malformed weights", `input x[2] = sine(freq = 1Hz)`, `file("bad.csv")`, "record y.r", `"zz" is not a number`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "in.csv", "1,2,3\n4,5,6\n")
			writeFile(t, dir, "w.csv", "1,2,3\n4,5,6\n")
			writeFile(t, dir, "bad.csv", "1,zz\n4,5\n")
			model := smallModel(t, dir, c.input, c.init, "0.01", c.record)
			out := filepath.Join(dir, "out")
			var stdout, stderr bytes.Buffer
			code := run([]string{"run", model, "-o", out, "-q"}, &stdout, &stderr)
			if code != 1 || !strings.Contains(stderr.String(), c.want) {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", code, stderr.String(), c.want)
			}
			if _, err := os.Stat(out); err == nil && len(entries(t, out)) > 0 {
				t.Errorf("files written: %v", entries(t, out))
			}
		})
	}
}

func TestRunUnwritableDir(t *testing.T) {
	dir := t.TempDir()
	model := smallModel(t, dir, `input x[2] = sine(freq = 1Hz)`, "glorot(seed = 1)", "0.01", "record y.r")
	blocker := writeFile(t, dir, "file", "")
	var stdout, stderr bytes.Buffer
	code := run([]string{"run", model, "-o", filepath.Join(blocker, "sub"), "-q"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "output directory") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestRunNonFinite(t *testing.T) {
	dir := t.TempDir()
	model := smallModel(t, dir, `input x[2] = 1e200 * step(at = 0.5s)`, "constant(1e200)", "0.01", "record y.u, W")
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	code := run([]string{"run", model, "-o", out, "-q"}, &stdout, &stderr)
	if code != 3 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	for _, want := range []string{"non-finite", "y.", "batch element", "step 50", "t = 0.5s"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q lacks %q", stderr.String(), want)
		}
	}
	_, rows := readTable(t, filepath.Join(out, "small.csv"))
	if len(rows) != 51 {
		t.Errorf("%d rows kept, want 51 (steps 0..50)", len(rows))
	}
}

func TestRunDeterministicAndFormats(t *testing.T) {
	dir := t.TempDir()
	model := smallModel(t, dir, `input x[2] = ou(tau = 50ms, sigma = 0.5) + smooth_step(at = 0.2s, width = 0.1s) + square_wave(freq = 2Hz)`,
		"glorot()", "0.01", `record y.r, W every 2 steps
record y.u, y.uhat_m every 5 steps to "u.npy"
record W, y.e to "w.npz"`)
	var stdout, stderr bytes.Buffer
	read := func(out string) string {
		data, err := os.ReadFile(filepath.Join(out, "small.csv"))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	for _, o := range []struct {
		dir  string
		seed string
	}{{a, "1"}, {b, "1"}, {c, "2"}} {
		if code := run([]string{"run", model, "-o", o.dir, "-q", "--seed", o.seed, "--duration", "500ms"}, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
	if read(a) != read(b) {
		t.Error("same seed, different output")
	}
	if read(a) == read(c) {
		t.Error("different seeds, same output")
	}
	rows := strings.Split(strings.TrimSpace(read(a)), "\n")
	if len(rows) != 26 || !strings.HasPrefix(rows[0], "step,t,y.r[0][0],y.r[0][1],y.r[1][0],y.r[1][1],W[0][0],W[0][1],W[1][0],W[1][1]") {
		t.Errorf("%d rows, header %s", len(rows), rows[0])
	}
	got := entries(t, a)
	want := []string{"small.csv", "small.summary.json", "u.npy", "w.npz"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("files %v, want %v", got, want)
	}
	npy, err := os.ReadFile(filepath.Join(a, "u.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(npy[:128], []byte("'shape': (10, 10)")) || len(npy) != 128+10*10*8 {
		t.Errorf("npy header %q, %d bytes", npy[:128], len(npy))
	}
}
