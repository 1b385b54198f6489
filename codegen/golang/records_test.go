package golang_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vlec-dev/vlec/codegen/golang"
	"github.com/vlec-dev/vlec/runtime"
)

// The generated command writes the records of vlec run: CSV, .npy and
// .npz files with the interpreter's names, shapes and values, the rows
// recorded so far after Ctrl-C; and it draws vlec run's progress bar.

// recStudent records every kind of item (batched states, an input, a
// teacher's quantity, weights, shared vectors, a scalar param, the cost
// and the energy with its terms) into one file of each format, the
// archive in a subdirectory.
const recStudent = `model recs
import "std/gle"
sim { dt = 10ms; duration = 1s; batch = 2; method = gle; learn_after = 50ms }
input x[2] = sine(freq = 0.3 + 0.2 * i + 0.1 * b, phase = 0.5 * b)
population h[3] : gle(tau_m = 0.5s learnable, tau_r = 0.1s, phi = softplus)
population y[1] : gle(tau_m = 1s, tau_r = 0.1s, phi = softplus)
connect x -> h W0 = [[0.5, 0.1], [0.2, 0.3], [0.1, -0.4]] plastic
connect h -> y W1 = [[1, 0.5, 0.2]] plastic
teacher T = model("recs_teacher.vle", x = x)
param kappa = 0.05
energy { mismatch(h) + mismatch(y); loss(mse(y.r, T.y.r)); kappa * sumsq(h.r) }
learn { lr = 0.02 }
record y.r, W1, h.b, cost
record y.r, h.u, W0, h.tau_m, kappa, cost every 3 steps to "a.npy"
record x, T.y.r, h.e, W1, h.b, kappa, cost, energy every 2 steps to "sub/b.npz"
`

const recTeacher = `model recs_teacher
import "std/gle"
sim { dt = 10ms; duration = 1s; batch = 2 }
input x[2] = sine(freq = 0.3)
population h[2] : gle(tau_m = 1s, tau_r = 0.1s, phi = softplus)
population y[1] : gle(tau_m = 2s, tau_r = 0.1s, phi = softplus)
connect x -> h W0 = [[1, 0.5], [0.5, 1]]
connect h -> y W1 = [[2, 1]]
energy { mismatch(h) + mismatch(y) }
`

// recLong runs long enough to be interrupted, recording into an .npy and
// an .npz file.
const recLong = `model reclong
import "std/gle"
sim { dt = 1ms; duration = 100000s }
input x[1] = sine(freq = 1Hz)
population y[1] : gle(tau_m = 20ms)
connect x -> y W = 1
energy { mismatch(y); mse(y.r, 0.2) }
learn { lr = 0.01 }
record y.u, W every 1000 steps to "u.npy"
record y.u, W every 1000 steps to "u.npz"
`

// TestRecordFiles generates the models above, runs the command and vlec
// run's interpreter on the same steps, and compares their records: the
// CSV as in TestEquivalence, the .npy and the .npz arrays by name, shape
// and value (1e-12 relative, 1e-15 absolute), parsed here and, when
// python3 has numpy, by numpy.load. Then it interrupts a long run and
// checks that the arrays hold the rows recorded before Ctrl-C, and tests
// the progress bar's functions inside the generated command.
func TestRecordFiles(t *testing.T) {
	goCmd := goTool(t)
	root := t.TempDir()
	for name, src := range map[string]string{"recs": recStudent, "recs_teacher": recTeacher, "reclong": recLong} {
		file := filepath.Join(root, "vle", name+".vle")
		os.MkdirAll(filepath.Dir(file), 0o755)
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var models []*model
	for _, name := range []string{"recs", "reclong"} {
		file := filepath.Join(root, "vle", name+".vle")
		m := &model{file: file, prog: compile(t, file), pkg: name}
		files, err := golang.Generate(m.prog, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := golang.Write(filepath.Join(root, "mod", name), files); err != nil {
			t.Fatal(err)
		}
		models = append(models, m)
	}
	barTest := filepath.Join(root, "mod", "recs", "cmd", "recs", "bar_test.go")
	if err := os.WriteFile(barTest, []byte(generatedBarTest), 0o644); err != nil {
		t.Fatal(err)
	}
	bins := buildAll(t, goCmd, root, models)

	t.Run("compare", func(t *testing.T) {
		m := models[0]
		const steps = 40
		gen, ref := filepath.Join(root, "out", "gen"), filepath.Join(root, "out", "ref")
		run(t, bins["recs"], "-duration", runtime.FormatTime(steps, m.prog.Dt)+"s", "-q", "-o", gen)
		if _, err := runtime.Run(context.Background(), m.prog, runtime.RunOptions{OutDir: ref, Options: runtime.Options{Steps: steps}}); err != nil {
			t.Fatal(err)
		}
		compareCSV(t, filepath.Join(ref, "recs.csv"), filepath.Join(gen, "recs.csv"), false)
		for _, f := range []string{"a.npy", "sub/b.npz"} {
			want, got := readArrays(t, filepath.Join(ref, f)), readArrays(t, filepath.Join(gen, f))
			compareArrays(t, f, want, got)
			checkNumpy(t, filepath.Join(gen, f), got)
		}
		// the names, shapes and order of lang/SPEC.md (Outputs)
		names := func(as []array) string {
			var s []string
			for _, a := range as {
				s = append(s, fmt.Sprintf("%s%v", a.name, a.shape))
			}
			return strings.Join(s, " ")
		}
		if got, want := names(readArrays(t, filepath.Join(gen, "sub/b.npz"))),
			"step[20] t[20] x[20 2 2] T.y.r[20 2 1] h.e[20 2 3] W1[20 1 3] h.b[20 3] kappa[20] cost[20 2] energy[20 2] energy.1[20 2] energy.2[20 2] energy.3[20 2] energy.4[20 2]"; got != want {
			t.Errorf("b.npz holds\n%s\nwant\n%s", got, want)
		}
		if got := readArrays(t, filepath.Join(gen, "a.npy"))[0].shape; !slices.Equal(got, []int{14, 2 + 2 + 6 + 6 + 3 + 1 + 2}) {
			t.Errorf("a.npy has shape %v", got)
		}
	})

	t.Run("interrupt", func(t *testing.T) {
		out := filepath.Join(root, "long")
		c := exec.Command(bins["reclong"], "-q", "-o", out)
		var stderr bytes.Buffer
		c.Stderr = &stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		// the temporary files are made just before the command handles
		// SIGINT: wait for them, then let it run
		for i := 0; i < 500; i++ {
			if tmp, _ := filepath.Glob(filepath.Join(out, ".u.npy.tmp*")); len(tmp) > 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		c.Process.Signal(syscall.SIGINT)
		if code, _ := exitCode(t, nil, c.Wait()); code != 130 {
			t.Fatalf("exit %d, want 130\n%s", code, stderr.String())
		}
		var sum struct {
			Steps int      `json:"steps"`
			Files []string `json:"files"`
		}
		data, err := os.ReadFile(filepath.Join(out, "reclong.summary.json"))
		if err == nil {
			err = json.Unmarshal(data, &sum)
		}
		if err != nil {
			t.Fatal(err)
		}
		rows := (sum.Steps + 999) / 1000
		if sum.Steps < 1000 || !slices.Equal(sum.Files, []string{"u.npy", "u.npz", "reclong.summary.json"}) {
			t.Fatalf("summary: %s", data)
		}
		npy := readArrays(t, filepath.Join(out, "u.npy"))
		npz := readArrays(t, filepath.Join(out, "u.npz"))
		if !slices.Equal(npy[0].shape, []int{rows, 4}) || !slices.Equal(npz[0].shape, []int{rows}) || !slices.Equal(npz[2].shape, []int{rows, 1, 1}) {
			t.Fatalf("after %d steps: u.npy %v, u.npz %v %v, want %d rows", sum.Steps, npy[0].shape, npz[0].shape, npz[2].shape, rows)
		}
		for r := range rows {
			if step := npy[0].data[r*4]; step != float64(r*1000) || npz[0].data[r] != step || npz[2].data[r] != npy[0].data[r*4+2] {
				t.Fatalf("row %d: u.npy %v, u.npz step %v", r, npy[0].data[r*4:r*4+4], npz[0].data[r])
			}
		}
		if left, _ := filepath.Glob(filepath.Join(out, ".*")); len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
		checkNumpy(t, filepath.Join(out, "u.npz"), npz)
	})

	t.Run("bar", func(t *testing.T) {
		c := exec.Command(goCmd, "test", "-count=1", "./cmd/recs")
		c.Dir = filepath.Join(root, "mod", "recs")
		c.Env = append(os.Environ(), "GOWORK="+filepath.Join(root, "go.work"), "GOFLAGS=", "GOTOOLCHAIN=local")
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("go test of the generated command: %v\n%s", err, out)
		}
	})
}

// generatedBarTest tests the progress bar of a generated command from
// inside it.
const generatedBarTest = `package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestBarLine(t *testing.T) {
	for _, c := range []struct {
		done, total int
		rate        float64
		elapsed     time.Duration
		want        string
	}{
		{0, 3000, 0, 0, "m   0% |                              | (0/3000, 0 steps/hr) [0s:?]"},
		{1350, 3000, 296039.4, 4560 * time.Millisecond, "m  45% |█████████████                 | (1350/3000, 296039 steps/s) [4s:0s]"},
		{1, 3, 0.5, 61500 * time.Millisecond, "m  33% |██████████                    | (1/3, 30 steps/min) [1m1s:4s]"},
		{1, 7201, 0.001, time.Hour, "m   0% |                              | (1/7201, 4 steps/hr) [1h0m0s:2000h0m0s]"},
		{1, 1 << 40, 1e-3, 0, "m   0% |                              | (1/1099511627776, 4 steps/hr) [0s:?]"},
		{29, 30, 2, 0, "m  96% |█████████████████████████████ | (29/30, 2 steps/s) [0s:0s]"},
		{400, 37650, 100, 4 * time.Second, "m   1% |                              | (400/37650, 100 steps/s) [4s:6m12s]"},
		{30, 30, 2, time.Minute, "m 100% |██████████████████████████████| (30/30, 2 steps/s)"},
	} {
		if got := barLine("m", c.done, c.total, c.rate, c.elapsed); got != c.want {
			t.Errorf("barLine(%d, %d, %g, %v)\n got %q\nwant %q", c.done, c.total, c.rate, c.elapsed, got, c.want)
		}
	}
}

func TestBarDraw(t *testing.T) {
	var w bytes.Buffer
	t0 := time.Now()
	b := newBar(&w, "m", 100, t0)
	b.update(10, t0.Add(50*time.Millisecond))
	if w.Len() != 0 {
		t.Fatalf("drawn before 100ms: %q", w.String())
	}
	b.update(20, t0.Add(200*time.Millisecond))
	want := "\rm  20% |██████                        | (20/100, 100 steps/s) [0s:0s]"
	if w.String() != want {
		t.Fatalf("first draw %q, want %q", w.String(), want)
	}
	b.update(21, t0.Add(250*time.Millisecond))
	if w.String() != want {
		t.Fatalf("redrawn within 100ms: %q", w.String())
	}
	w.Reset()
	b.update(80, t0.Add(800*time.Millisecond)) // a window of 0.8s: 100 steps/s
	b.update(90, t0.Add(1400*time.Millisecond)) // 10 steps in 0.6s
	if !strings.HasSuffix(w.String(), "(90/100, 58 steps/s) [1s:0s]") || strings.Count(w.String(), "\r") != 2 {
		t.Fatalf("draws %q", w.String())
	}
	w.Reset()
	b.clear()
	if want := "\r" + strings.Repeat(" ", len([]rune(want))-1) + "\r"; w.String() != want {
		t.Errorf("clear %q, want %q", w.String(), want)
	}
	q := newBar(&w, "m", 100, t0)
	w.Reset()
	q.clear()
	if w.Len() != 0 {
		t.Errorf("clear of a bar never drawn: %q", w.String())
	}
}

func TestBarStride(t *testing.T) {
	var w bytes.Buffer
	b := newBar(&w, "m", 1<<30, time.Now())
	for i := range 1 << 22 {
		b.tick(i + 1)
	}
	if b.stride < 1024 {
		t.Errorf("after 4M fast steps the bar looks at the clock every %d steps", b.stride)
	}
}
`

// array is a float64 array read from an .npy file or an .npz member.
type array struct {
	name  string
	shape []int
	data  []float64
}

var (
	npyDescr   = regexp.MustCompile(`'descr': *'([^']*)'`)
	npyFortran = regexp.MustCompile(`'fortran_order': *(True|False)`)
	npyShape   = regexp.MustCompile(`'shape': *\(([^)]*)\)`)
)

// parseNPY reads an .npy stream of float64 ('<f8', C order), format 1.0
// or 2.0, checking that its size is that of the shape.
func parseNPY(t *testing.T, name string, b []byte) array {
	t.Helper()
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		t.Fatalf("%s: not an .npy file", name)
	}
	var hlen, off int
	switch b[6] {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(b[8:])), 10
	case 2:
		hlen, off = int(binary.LittleEndian.Uint32(b[8:])), 12
	default:
		t.Fatalf("%s: .npy version %d", name, b[6])
	}
	if (off+hlen)%64 != 0 || off+hlen > len(b) || b[off+hlen-1] != '\n' {
		t.Fatalf("%s: header of %d bytes", name, off+hlen)
	}
	h := string(b[off : off+hlen])
	d, f, s := npyDescr.FindStringSubmatch(h), npyFortran.FindStringSubmatch(h), npyShape.FindStringSubmatch(h)
	if d == nil || d[1] != "<f8" || f == nil || f[1] != "False" || s == nil {
		t.Fatalf("%s: header %q", name, h)
	}
	a := array{name: name, shape: []int{}}
	n := 1
	for _, dim := range strings.Split(s[1], ",") {
		if dim = strings.TrimSpace(dim); dim == "" {
			continue
		}
		k, err := strconv.Atoi(dim)
		if err != nil {
			t.Fatalf("%s: shape %q", name, s[1])
		}
		a.shape = append(a.shape, k)
		n *= k
	}
	raw := b[off+hlen:]
	if len(raw) != 8*n {
		t.Fatalf("%s: %d bytes of data for shape %v", name, len(raw), a.shape)
	}
	for i := range n {
		a.data = append(a.data, math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
	}
	return a
}

// readArrays reads an .npy file (one array) or an .npz archive (its
// members in order, named without .npy).
func readArrays(t *testing.T, path string) []array {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".npy") {
		return []array{parseNPY(t, filepath.Base(path), data)}
	}
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []array
	for _, f := range z.File {
		if f.Method != zip.Store {
			t.Errorf("%s: %s is compressed (method %d)", path, f.Name, f.Method)
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %s: %v", path, f.Name, err)
		}
		name, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok {
			t.Fatalf("%s: member %s", path, f.Name)
		}
		out = append(out, parseNPY(t, name, b))
	}
	return out
}

// compareArrays checks the names and shapes exactly and the values to
// 1e-12 relative or 1e-15 absolute.
func compareArrays(t *testing.T, file string, want, got []array) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d arrays, want %d", file, len(got), len(want))
	}
	worst := 0.0
	for i, w := range want {
		g := got[i]
		if g.name != w.name || !slices.Equal(g.shape, w.shape) {
			t.Fatalf("%s: array %d is %s%v, want %s%v", file, i, g.name, g.shape, w.name, w.shape)
		}
		for j, a := range w.data {
			b := g.data[j]
			if a == b || math.IsNaN(a) && math.IsNaN(b) {
				continue
			}
			d := math.Abs(a - b)
			rel := d / math.Max(math.Abs(a), math.Abs(b))
			worst = math.Max(worst, rel)
			if rel > 1e-12 && d > 1e-15 {
				t.Fatalf("%s: %s entry %d: generated %.17g, interpreter %.17g", file, w.name, j, b, a)
			}
		}
	}
	t.Logf("%s: %d arrays, worst relative difference %.2g", file, len(want), worst)
}

// checkNumpy loads a file with numpy.load, when a python3 with numpy is
// installed, and checks that it reads the arrays parsed here.
func checkNumpy(t *testing.T, path string, want []array) {
	t.Helper()
	py := ""
	for _, cand := range []string{"python3", "/usr/bin/python3"} {
		if p, err := exec.LookPath(cand); err == nil && exec.Command(p, "-c", "import numpy").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		t.Log("no python3 with numpy: numpy.load not tried")
		return
	}
	const script = `import json, sys, numpy as np
f = np.load(sys.argv[1], allow_pickle=False)
arrays = [("", f)] if isinstance(f, np.ndarray) else [(k, f[k]) for k in f.files]
print(json.dumps([[k, str(a.dtype), list(a.shape), [float(x).hex() for x in a.ravel()]] for k, a in arrays]))
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy.load %s: %v\n%s", path, err, out)
	}
	var got [][]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
	if len(got) != len(want) {
		t.Fatalf("numpy reads %d arrays from %s, want %d", len(got), path, len(want))
	}
	for i, g := range got {
		w := want[i]
		if name := g[0].(string); name != "" && name != w.name || g[1] != "float64" || fmt.Sprint(g[2]) != fmt.Sprint(w.shape) {
			t.Fatalf("numpy reads %v %v %v from %s, want %s%v", g[0], g[1], g[2], path, w.name, w.shape)
		}
		vals := g[3].([]any)
		for j, v := range vals {
			x, err := strconv.ParseFloat(v.(string), 64)
			if err != nil || x != w.data[j] && !(math.IsNaN(x) && math.IsNaN(w.data[j])) {
				t.Fatalf("numpy reads %s entry %d of %s as %v, want %v", w.name, j, path, v, w.data[j])
			}
		}
	}
	t.Logf("numpy.load reads %s: %d arrays", filepath.Base(path), len(got))
}
