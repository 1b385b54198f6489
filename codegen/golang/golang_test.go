package golang_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/codegen/golang"
	"github.com/vlec-dev/vlec/internal/kern"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/runtime"
)

var update = flag.Bool("update", false, "rewrite the golden files of the generated source under testdata")

// equivModels returns the models generated, compiled and run against
// the interpreter, relative to examples/ (testdata's as ../codegen/...):
// every model under examples/, found by glob so that a new example is
// compared too, and testdata's (a task's run shortened by taskOverrides,
// task_test.go). chain2 and mlp come first: the golden comparisons use
// them.
func equivModels(t *testing.T) []string {
	t.Helper()
	out := []string{"chain2.vle", "mlp.vle"}
	for _, pattern := range []string{"../../examples/*.vle", "../../examples/*/*.vle", "../../codegen/golang/testdata/*.vle"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			rel, err := filepath.Rel("../../examples", f)
			if err != nil {
				t.Fatal(err)
			}
			if rel == "chain2.vle" || rel == "mlp.vle" {
				continue
			}
			if _, sources, err := check.Load(f); err != nil {
				t.Fatal(sources.Format(err))
			}
			out = append(out, rel)
		}
	}
	if len(out) < 16 {
		t.Fatalf("found %d models to compare: %v", len(out), out)
	}
	return out
}

// equivSteps is the length of the equivalence runs; the two large
// benchmark networks run bigSteps (their generated loops are scalar).
const equivSteps, bigSteps = 150, 6

// stepsOf is the length of prog's equivalence run; a model of method
// adjoint runs its settling steps and two and a half windows, so that it
// learns by two sweeps and then stops within a third.
func stepsOf(prog *schedule.Program) int {
	m := prog.Model
	switch {
	case m.Sim.Method == check.Adjoint:
		return prog.LearnAfter + 2*m.Learn.Window + m.Learn.Window/2
	case m.Name == "n4" || m.Name == "n5":
		return bigSteps
	}
	return equivSteps
}

const goldenDir = "../../../shared/golden"

// model is one model of the equivalence test: its step program and the
// generated module.
type model struct {
	file string // the model, copied into the test's directory
	prog *schedule.Program
	pkg  string
}

// TestEquivalence generates every model of equivModels (with an extra
// record of every population's u, r and e, every weight and the cost
// every 3 steps), builds all the commands with one go build, runs each
// for equivSteps steps, and compares every recorded value with vlec
// run's: 1e-12 relative, or 1e-15 absolute where a sum cancels to nearly
// zero (matrix-vector products sum in another order than gonum's; see
// doc.go). Then the generated chain2 and mlp reproduce shared/golden as
// the interpreter does.
func TestEquivalence(t *testing.T) { equivalence(t, false) }

// TestEquivalenceFloat32 is TestEquivalence with every model (not its
// teachers, which keep their precision) under sim precision = float32:
// both back ends store float32 and compute each stored value in float64
// from the values read, rounded once (schedule.Program.Float32), so the
// generated numbers are the interpreter's bit for bit: the comparison
// allows no difference at all.
func TestEquivalenceFloat32(t *testing.T) { equivalence(t, true) }

func equivalence(t *testing.T, f32 bool) {
	goCmd := goTool(t)
	root := t.TempDir()
	models := prepare(t, root, f32)
	start := time.Now()
	bins := buildAll(t, goCmd, root, models, taskPrograms(t, root, models)...)
	t.Logf("go vet + go build of %d generated modules: %.1fs", len(models), time.Since(start).Seconds())
	for _, m := range models {
		t.Run(m.pkg, func(t *testing.T) {
			if m.prog.Model.Task != nil {
				taskEquivalence(t, root, bins, m, f32) // task_test.go
				return
			}
			steps := stepsOf(m.prog)
			dur := runtime.FormatTime(steps, m.prog.Dt) + "s"
			gen := filepath.Join(root, "out", m.pkg)
			run(t, bins[m.pkg], "-duration", dur, "-q", "-o", gen)
			ref := filepath.Join(root, "ref", m.pkg)
			if _, err := runtime.Run(context.Background(), m.prog, runtime.RunOptions{OutDir: ref, Options: runtime.Options{Steps: steps}}); err != nil {
				t.Fatal(err)
			}
			csvs, _ := filepath.Glob(filepath.Join(ref, "*.csv"))
			if len(csvs) < 1 {
				t.Fatalf("the interpreter wrote %d CSV files", len(csvs))
			}
			for _, want := range csvs {
				compareCSV(t, want, filepath.Join(gen, filepath.Base(want)), f32, inputColumns(m.prog)...)
				if f32 {
					float32Values(t, want)
				}
			}
		})
	}
	if f32 {
		return // the golden data are float64 runs
	}
	if _, err := os.Stat(goldenDir); err != nil {
		t.Logf("golden data not found at %s (it sits beside the repository in CI): golden comparison skipped", goldenDir)
		return
	}
	for _, m := range models[:2] {
		t.Run("golden/"+m.pkg, func(t *testing.T) { golden(t, bins[m.pkg], m, filepath.Join(root, "golden", m.pkg)) })
	}
}

// prepare copies the examples into root, adds the extra record to the
// models of equivModels, and generates their modules under root/mod.
func prepare(t *testing.T, root string, f32 bool) []*model {
	t.Helper()
	names := equivModels(t)
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join("../../examples", name))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, "vle", name)
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
		linkTaskFiles(t, filepath.Join("../../examples", name), dst)
	}
	var out []*model
	for _, name := range names {
		file := filepath.Join(root, "vle", name)
		prog := compile(t, file)
		if f32 && prog.Model.Sim.Method == check.Adjoint {
			continue // exact gradients are float64 only
		}
		f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "\nrecord %s every %d steps to \"extra.csv\"\n", extraItems(prog), extraEvery(prog))
		f.Close()
		opts := vlec.Options{Set: taskOverrides[name]}
		if f32 {
			opts.Precision = "float32" // the model's, not its teachers'
		}
		m := &model{file: file, prog: compileWith(t, file, opts), pkg: golang.PackageName(prog.Model.Name)}
		files, err := golang.Generate(m.prog, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := golang.Write(filepath.Join(root, "mod", m.pkg), files); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// float32Values checks that the states, weights and parameters a float32
// run recorded are float32 numbers (not the cost, a mean, nor the values
// of the teachers, which have their own precision).
func float32Values(t *testing.T, path string) {
	t.Helper()
	header, rows := readCSV(t, path)
	for _, row := range rows {
		for c, v := range row[2:] {
			name := header[c+2]
			if strings.HasPrefix(name, "cost") || strings.HasPrefix(name, "energy") || strings.Count(name, ".") > 1 {
				continue // a mean, or a teacher's (float64) value
			}
			x, _ := strconv.ParseFloat(v, 64)
			if float64(float32(x)) != x && !math.IsNaN(x) {
				t.Fatalf("%s, %s: %s is not a float32 number", filepath.Base(path), header[c+2], v)
			}
		}
	}
}

// extraItems are the states, weights and cost of a model, to record.
func extraItems(p *schedule.Program) string {
	var items []string
	for _, pop := range p.Model.Populations {
		for _, v := range []string{"u", "r", "e", "tau_m", "b"} {
			if p.Named[pop.Name+"."+v] != nil {
				items = append(items, pop.Name+"."+v)
			}
		}
	}
	for _, c := range p.Model.Connections {
		items = append(items, c.Name)
	}
	if p.Cost != nil {
		items = append(items, "cost")
	}
	return strings.Join(items, ", ")
}

// goTool returns the go command for the tests that build generated code;
// they skip without it, and with -short.
func goTool(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on the PATH")
	}
	if testing.Short() {
		t.Skip("builds generated code; -short skips it")
	}
	return goCmd
}

func compile(t *testing.T, path string) *schedule.Program {
	t.Helper()
	return compileWith(t, path, vlec.Options{})
}

func compileWith(t *testing.T, path string, opts vlec.Options) *schedule.Program {
	t.Helper()
	c, src, err := vlec.Compile(path, opts)
	if err != nil {
		t.Fatal(src.Format(err))
	}
	return c.Program
}

// buildAll vets and builds the commands of every module (and the extra
// main packages) with one go command each, through a go.work.
func buildAll(t *testing.T, goCmd, root string, models []*model, extra ...string) map[string]string {
	t.Helper()
	work := "go " + golang.GoVersion + "\n\nuse (\n"
	var pkgs []string
	bins := map[string]string{}
	for _, m := range models {
		work += "\t./mod/" + m.pkg + "\n"
		pkgs = append(pkgs, m.pkg+"/...")
		bins[m.pkg] = filepath.Join(root, "bin", m.pkg)
	}
	if err := os.WriteFile(filepath.Join(root, "go.work"), []byte(work+")\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GOWORK="+filepath.Join(root, "go.work"), "GOFLAGS=", "GOTOOLCHAIN=local")
	for _, args := range [][]string{append([]string{"vet"}, pkgs...), append(append([]string{"build", "-o", filepath.Join(root, "bin") + "/"}, cmdPkgs(models)...), extra...)} {
		c := exec.Command(goCmd, args...)
		c.Dir, c.Env = root, env
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", args[0], err, out)
		}
	}
	return bins
}

func cmdPkgs(models []*model) []string {
	var out []string
	for _, m := range models {
		out = append(out, m.pkg+"/cmd/"+m.pkg)
	}
	return out
}

func run(t *testing.T, bin string, args ...string) {
	t.Helper()
	c := exec.Command(bin, args...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
}

func readCSV(t *testing.T, path string) ([]string, [][]string) {
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

// compareCSV compares a generated CSV with the interpreter's: the same
// header and rows, every value within 1e-12 relative or 1e-15 absolute;
// the same value when bitwise, and in the columns whose names start with
// one of exactPrefixes.
func compareCSV(t *testing.T, want, got string, bitwise bool, exactPrefixes ...string) {
	t.Helper()
	wh, wrows := readCSV(t, want)
	gh, grows := readCSV(t, got)
	if strings.Join(wh, ",") != strings.Join(gh, ",") {
		t.Fatalf("%s: header\n%s\nwant\n%s", got, strings.Join(gh, ","), strings.Join(wh, ","))
	}
	if len(wrows) != len(grows) {
		t.Fatalf("%s: %d rows, want %d", got, len(grows), len(wrows))
	}
	worst, worstAbs, exact := 0.0, 0.0, 0
	for r := range wrows {
		for c := range wh {
			a, _ := strconv.ParseFloat(wrows[r][c], 64)
			b, err := strconv.ParseFloat(grows[r][c], 64)
			if err != nil {
				t.Fatalf("%s row %d, %s: %v", got, r, wh[c], err)
			}
			if a == b || math.IsNaN(a) && math.IsNaN(b) {
				exact++
				continue
			}
			d := math.Abs(a - b)
			rel := d / math.Max(math.Abs(a), math.Abs(b))
			worst, worstAbs = math.Max(worst, rel), math.Max(worstAbs, d)
			if bitwise || rel > 1e-12 && d > 1e-15 || hasPrefix(wh[c], exactPrefixes) {
				t.Fatalf("%s step %s, %s: generated %.17g, interpreter %.17g (relative %.2g)", filepath.Base(got), wrows[r][0], wh[c], b, a, rel)
			}
		}
	}
	t.Logf("%s: %d rows x %d columns, %d values identical, worst relative difference %.2g, worst absolute %.2g", filepath.Base(got), len(wrows), len(wh), exact, worst, worstAbs)
}

// hasPrefix tells whether s starts with one of prefixes.
func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// inputColumns are the column prefixes of a model's inputs ("x["): the
// generated stimuli are the interpreter's arithmetic in its order, so
// their values must be the same bits.
func inputColumns(p *schedule.Program) []string {
	var out []string
	for _, in := range p.Model.Inputs {
		out = append(out, in.Name+"[")
	}
	return out
}

var goldenColumn = regexp.MustCompile(`^([a-zA-Z_]+)(\d*)\[(\d+)\](?:\[(\d+)\])?$`)

// golden runs the generated command for the golden run's steps and
// compares the golden columns (u0[b][i], W1[i][j], tau_m0[i], ...; see
// ir/schedule/golden_test.go) with its records, to 1e-9 as the
// interpreter's golden tests do.
func golden(t *testing.T, bin string, m *model, dir string) {
	header, rows := readCSV(t, filepath.Join(goldenDir, m.pkg+".csv"))
	run(t, bin, "-duration", runtime.FormatTime(len(rows), m.prog.Dt)+"s", "-q", "-o", dir)
	gh, grows := readCSV(t, filepath.Join(dir, m.pkg+".csv"))
	index := map[string]int{}
	for i, h := range gh {
		index[h] = i
	}
	p := m.prog
	worst := 0.0
	for c, h := range header[2:] {
		g := goldenColumn.FindStringSubmatch(h)
		if g == nil {
			t.Fatalf("golden column %q", h)
		}
		l, _ := strconv.Atoi(g[2])
		var name string
		switch g[1] {
		case "x":
			name = p.Model.Inputs[0].Name
		case "target":
			name = p.Targets[0].Buffer.Name
		case "W":
			name = p.Model.Connections[l].Name
		default:
			name = p.Model.Populations[l].Name + "." + g[1]
		}
		col := name + "[" + g[3] + "]"
		if g[4] != "" {
			col += "[" + g[4] + "]"
		}
		gc, ok := index[col]
		if !ok {
			t.Fatalf("golden column %s: the generated record has no %s", h, col)
		}
		for r, row := range rows {
			want, _ := strconv.ParseFloat(row[c+2], 64)
			got, _ := strconv.ParseFloat(grows[r][gc], 64)
			d := math.Abs(got-want) / (1 + math.Abs(want))
			worst = math.Max(worst, d)
			if d > 1e-9 {
				t.Fatalf("step %d, %s (%s): generated %.17g, golden %.17g", r, h, col, got, want)
			}
		}
	}
	t.Logf("%d steps, %d columns, worst relative difference %.2g", len(rows), len(header)-2, worst)
}

// TestGeneratedSource compares the generated source of examples/chain2.vle
// with testdata/chain2/*.golden (go test -update rewrites them). The
// kern/ files are not compared: they are internal/kern's own files,
// copied verbatim (checked here byte for byte against kern.Source).
func TestGeneratedSource(t *testing.T) {
	files, err := golang.Generate(compile(t, "../../examples/chain2.vle"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for path, data := range files {
		name, ok := strings.CutPrefix(path, "kern/")
		if !ok {
			continue
		}
		want, err := fs.ReadFile(kern.Source, name)
		if err != nil || !bytes.Equal(data, want) {
			t.Errorf("%s is not internal/kern's %s (%v)", path, name, err)
		}
		delete(files, path)
	}
	dir := filepath.Join("testdata", "chain2")
	if *update {
		os.RemoveAll(dir)
		for _, path := range files.Paths() {
			full := filepath.Join(dir, filepath.FromSlash(path)+".golden")
			os.MkdirAll(filepath.Dir(full), 0o755)
			if err := os.WriteFile(full, files[path], 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, path := range files.Paths() {
		want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)+".golden"))
		if err != nil {
			t.Fatalf("%v (go test -update writes it)", err)
		}
		if !bytes.Equal(files[path], want) {
			t.Errorf("%s differs from %s.golden (go test -update rewrites it after review):\n%s", path, path, firstDiff(string(files[path]), string(want)))
		}
	}
}

// firstDiff shows the first line that differs.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) && i < len(w); i++ {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(g), len(w))
}
