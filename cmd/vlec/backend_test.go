package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/codegen/golang"
)

// hostGoCache is the go build cache of the test's environment.
var hostGoCache = sync.OnceValue(func() string {
	if dir := os.Getenv("GOCACHE"); dir != "" {
		return dir
	}
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
})

// goCacheSetup gives the scripts the go build cache of the test's
// environment, which their HOME (/no-home) would hide: generated code is
// then compiled against the standard library already built.
func goCacheSetup(e *testscript.Env) error {
	if dir := hostGoCache(); dir != "" {
		e.Setenv("GOCACHE", dir)
	}
	return nil
}

// scriptCmds are the scripts' own commands: cmpcsv FILE1 FILE2 compares
// two CSV files as the back ends' equivalence is defined (sameCSV).
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"cmpcsv": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: cmpcsv FILE1 FILE2")
		}
		err := sameCSV(ts.ReadFile(args[0]), ts.ReadFile(args[1]))
		switch {
		case neg && err == nil:
			ts.Fatalf("%s and %s agree", args[0], args[1])
		case !neg && err != nil:
			ts.Fatalf("%s and %s: %v", args[0], args[1], err)
		}
	},
}

// sameCSV reports where two CSV texts differ: in their lines, their
// fields, or numbers further apart than 1e-12 relative and 1e-15
// absolute (the tolerance of the equivalence tests of codegen/golang).
func sameCSV(a, b string) error {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(la) != len(lb) {
		return fmt.Errorf("%d lines against %d", len(la), len(lb))
	}
	for i := range la {
		fa, fb := strings.Split(la[i], ","), strings.Split(lb[i], ",")
		if len(fa) != len(fb) {
			return fmt.Errorf("line %d: %d fields against %d", i+1, len(fa), len(fb))
		}
		for j := range fa {
			if fa[j] != fb[j] && !closeNumbers(fa[j], fb[j]) {
				return fmt.Errorf("line %d, field %d: %s against %s", i+1, j+1, fa[j], fb[j])
			}
		}
	}
	return nil
}

// closeNumbers: a and b are numbers within 1e-12 relative or 1e-15
// absolute of each other.
func closeNumbers(a, b string) bool {
	x, errx := strconv.ParseFloat(a, 64)
	y, erry := strconv.ParseFloat(b, 64)
	if errx != nil || erry != nil {
		return false
	}
	d := math.Abs(x - y)
	return d <= 1e-12*max(math.Abs(x), math.Abs(y)) || d <= 1e-15
}

func TestSameCSV(t *testing.T) {
	const base = "step,t,y.r[0][0]\n0,0,0.5\n1,0.01,-0.25\n"
	for _, tc := range []struct {
		other string
		err   string
	}{
		{base, ""},
		{"step,t,y.r[0][0]\n0,0,0.5000000000000001\n1,0.01,-0.25\n", ""},
		{"step,t,y.r[0][0]\n0,0,0.5\n1,0.01,-0.25000000000001\n", ""},
		{"step,t,y.r[0][0]\n0,0,0.5\n1,0.01,-0.250000000001\n", "line 3, field 3: -0.25 against -0.250000000001"},
		{"step,t,y.r[0][0]\n0,0,0.5\n1,0.01,-0.25\n2,0.02,0\n", "4 lines against 5"},
		{"step,t,y.u[0][0]\n0,0,0.5\n1,0.01,-0.25\n", "line 1, field 3"},
		{"step,t,y.r[0][0]\n0,0,0.5,1\n1,0.01,-0.25\n", "line 2: 3 fields against 4"},
		{"step,t,y.r[0][0]\n0,0,NaN\n1,0.01,-0.25\n", "line 2, field 3: 0.5 against NaN"},
	} {
		err := sameCSV(base, tc.other)
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: %v, want %q", tc.other, err, tc.err)
		}
	}
	if !closeNumbers("1e-16", "-1e-16") || closeNumbers("1e-3", "1.0000001e-3") {
		t.Error("closeNumbers: the absolute or the relative tolerance is wrong")
	}
}

func TestCheckBackend(t *testing.T) {
	for _, tc := range []struct {
		value   string
		choices []string
		err     string
	}{
		{"interp", []string{"interp", "go"}, ""},
		{"go", []string{"interp", "go"}, ""},
		{"both", []string{"interp", "go"}, `--backend "both": choose one of interp, go`},
		{"both", []string{"interp", "go", "both"}, ""},
		{"", []string{"interp", "go", "both"}, `--backend "": choose one of interp, go, both`},
		{"Go", []string{"interp", "go"}, `--backend "Go": choose one of interp, go`},
	} {
		err := checkBackend(tc.value, tc.choices...)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.err {
			t.Errorf("checkBackend(%q, %v) = %q, want %q", tc.value, tc.choices, got, tc.err)
		}
	}
}

// TestCacheKey: the key changes with every file's path and content and
// with the toolchain, not with the order of the files.
func TestCacheKey(t *testing.T) {
	base := golang.Files{"go.mod": []byte("module m\n"), "model.go": []byte("package m\n"), "kern/k.s": []byte("TEXT")}
	key := cacheKey(base, "go1.26\nlinux\namd64\n")
	if len(key) != 64 {
		t.Fatalf("key %q: want 64 hex digits", key)
	}
	same := golang.Files{"kern/k.s": []byte("TEXT"), "model.go": []byte("package m\n"), "go.mod": []byte("module m\n")}
	if k := cacheKey(same, "go1.26\nlinux\namd64\n"); k != key {
		t.Errorf("same files, another key")
	}
	for name, k := range map[string]string{
		"content":   cacheKey(golang.Files{"go.mod": []byte("module m\n"), "model.go": []byte("package m \n"), "kern/k.s": []byte("TEXT")}, "go1.26\nlinux\namd64\n"),
		"path":      cacheKey(golang.Files{"go.mod": []byte("module m\n"), "model2.go": []byte("package m\n"), "kern/k.s": []byte("TEXT")}, "go1.26\nlinux\namd64\n"),
		"boundary":  cacheKey(golang.Files{"go.mod": []byte("module m\n"), "model.go": []byte("package m\nTEXT"), "kern/k.s": nil}, "go1.26\nlinux\namd64\n"),
		"toolchain": cacheKey(base, "go1.27\nlinux\namd64\n"),
		"amd64":     cacheKey(base, "go1.26\nlinux\namd64\nv3\n"),
		"no file":   cacheKey(golang.Files{"go.mod": []byte("module m\n"), "model.go": []byte("package m\n")}, "go1.26\nlinux\namd64\n"),
	} {
		if k == key {
			t.Errorf("%s changed, same key", name)
		}
	}
}

// TestGoRunArgs: vlec run's flags as the generated command takes them.
func TestGoRunArgs(t *testing.T) {
	prog, err := loadProgram(&bytes.Buffer{}, "../../examples/chain2.vle")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flags []string
		want  string
		err   string
	}{
		{nil, "", ""},
		{[]string{"-o", "out", "-q"}, "-o=out -q", ""},
		{[]string{"--out=-dir", "--seed", "0"}, "-o=-dir -seed=0", ""},
		{[]string{"--duration", "1.5e3ms", "--seed", "18446744073709551615"}, "-duration=1.5s -seed=18446744073709551615", ""},
		{[]string{"--duration", "2min"}, "-duration=120s", ""},
		{[]string{"--duration", "0.3s"}, "-duration=0.3s", ""},
		{[]string{"--duration", "5ms"}, "", "--duration 0.005s is not a whole number of steps of dt = 0.01s"},
		{[]string{"--duration", "-1s"}, "", "--duration"},
	} {
		cmd := newRunCmd()
		if err := cmd.ParseFlags(tc.flags); err != nil {
			t.Fatal(err)
		}
		args, err := goRunArgs(cmd.Flags(), prog)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%v: error %v, want %q", tc.flags, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%v: %v", tc.flags, err)
		case tc.err == "" && strings.Join(args, " ") != tc.want:
			t.Errorf("%v: %q, want %q", tc.flags, strings.Join(args, " "), tc.want)
		}
	}
}

// TestRefuseInterpFlags: every flag the generated command lacks is
// named; the ones it takes are not.
func TestRefuseInterpFlags(t *testing.T) {
	for _, tc := range []struct {
		flags []string
		err   string
	}{
		{[]string{"-o", "x", "--duration", "1s", "--seed", "2", "-q", "--backend", "go"}, ""},
		{[]string{"--max-memory", "1GB"}, "--max-memory: not supported by --backend go"},
		{[]string{"-q", "--max-memory", "1GB"}, "--max-memory: not supported"},
	} {
		cmd := newRunCmd()
		if err := cmd.ParseFlags(tc.flags); err != nil {
			t.Fatal(err)
		}
		err := refuseInterpFlags(cmd.Flags())
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%v: error %v, want %q", tc.flags, err, tc.err)
		}
	}
	// Every flag of vlec run is either passed on or refused.
	cmd := newRunCmd()
	for name := range goRunFlags {
		if cmd.Flags().Lookup(name) == nil {
			t.Errorf("goRunFlags names %q, which vlec run does not have", name)
		}
	}
}

// TestRunGoNoGo: without the go command, run --backend go says what is
// missing and writes nothing.
func TestRunGoNoGo(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv(cacheEnv, filepath.Join(t.TempDir(), "cache"))
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"run", "--backend", "go", "../../examples/chain2.vle", "-o", out}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "--backend go needs the Go toolchain (the go command), which is not on the PATH") {
		t.Errorf("stderr: %s", stderr.String())
	}
	for _, p := range []string{out, os.Getenv(cacheEnv)} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s written", p)
		}
	}
}

// writeScript writes an executable shell script named name into dir.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	if goruntime.GOOS == "windows" {
		t.Skip("uses shell scripts")
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRunChildStatus: the simulator's exit status is vlec's, a signal
// that ended it is 128 plus its number, as a shell reports it.
func TestRunChildStatus(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		body string
		code int
	}{
		{"echo out; echo err >&2; exit 0\n", 0},
		{"exit 1\n", 1},
		{"exit 3\n", 3},
		{"exit 130\n", 130},
		{"kill -TERM $$\n", 143},
		{"kill -INT $$\n", 130},
	} {
		bin := writeScript(t, dir, "sim", tc.body)
		var stdout, stderr bytes.Buffer
		err := runChild(&stdout, &stderr, bin, []string{"-q"})
		code := 0
		if err != nil {
			ee, ok := err.(exitError)
			if !ok {
				t.Fatalf("%q: %v", tc.body, err)
			}
			code = ee.code
		}
		if code != tc.code {
			t.Errorf("%q: exit %d, want %d", tc.body, code, tc.code)
		}
		if tc.code == 0 && (stdout.String() != "out\n" || stderr.String() != "err\n") {
			t.Errorf("output not passed through: %q, %q", stdout.String(), stderr.String())
		}
	}
	if err := runChild(nil, nil, filepath.Join(dir, "nosuch"), nil); err == nil || !strings.Contains(err.Error(), "running the Go simulator") {
		t.Errorf("missing simulator: %v", err)
	}
}

// readyWriter closes ready when it has been written to.
type readyWriter struct {
	once  sync.Once
	ready chan struct{}
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.ready) })
	return len(p), nil
}

// TestRunChildForwardsInterrupt: SIGINT to vlec reaches the simulator,
// which exits as it chooses (here 130 after its trap).
func TestRunChildForwardsInterrupt(t *testing.T) {
	bin := writeScript(t, t.TempDir(), "sim", "trap 'exit 130' INT\necho ready\nwhile :; do sleep 0.05; done\n")
	w := &readyWriter{ready: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- runChild(w, os.Stderr, bin, nil) }()
	select {
	case <-w.ready:
	case err := <-done:
		t.Fatalf("simulator ended early: %v", err)
	}
	p, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if ee, ok := err.(exitError); !ok || ee.code != 130 {
			t.Errorf("error %v, want exit status 130", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the interrupt was not forwarded")
	}
}

// fakeGo writes a go command that answers go env and builds by writing
// "binary" into -o's file, logging its calls.
func fakeGo(t *testing.T, dir, build string) string {
	return writeScript(t, dir, "go", `echo "$@" >> "`+filepath.Join(dir, "log")+`"
if [ "$1" = env ]; then echo go1.99; echo linux; echo amd64; echo v1; echo; exit 0; fi
`+build)
}

// TestBuildCached: a build lands in root/key/name complete, leaves no
// temporary directory, and a failed or interrupted one leaves nothing.
func TestBuildCached(t *testing.T) {
	dir, root := t.TempDir(), t.TempDir()
	files := golang.Files{"go.mod": []byte("module m\n")}
	ok := fakeGo(t, dir, `printf binary > "$3"`+"\n")
	var stderr bytes.Buffer
	if err := buildCached(context.Background(), &stderr, ok, files, "./cmd/m", root, strings.Repeat("a", 64), "m"); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if data, err := os.ReadFile(filepath.Join(root, strings.Repeat("a", 64), "m")); err != nil || string(data) != "binary" {
		t.Errorf("cached binary: %q, %v", data, err)
	}
	// Another build of the same key found the entry made: it keeps it.
	if err := buildCached(context.Background(), &stderr, ok, files, "./cmd/m", root, strings.Repeat("a", 64), "m"); err != nil {
		t.Errorf("second build of a key: %v", err)
	}
	fail := fakeGo(t, t.TempDir(), "echo 'model.go:1:1: oops' >&2; exit 1\n")
	err := buildCached(context.Background(), &stderr, fail, files, "./cmd/m", root, strings.Repeat("b", 64), "m")
	if ee, ok := err.(exitError); !ok || ee.code != 1 {
		t.Errorf("failed build: %v, want exit status 1", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = buildCached(ctx, &stderr, ok, files, "./cmd/m", root, strings.Repeat("c", 64), "m")
	if ee, ok := err.(exitError); !ok || ee.code != 130 {
		t.Errorf("interrupted build: %v, want exit status 130", err)
	}
	// An entry without its simulator (emptied by hand) cannot be replaced:
	// the error says what to delete.
	broken := filepath.Join(root, strings.Repeat("d", 64))
	if err := os.MkdirAll(filepath.Join(broken, "stray"), 0o755); err != nil {
		t.Fatal(err)
	}
	err = buildCached(context.Background(), &stderr, ok, files, "./cmd/m", root, strings.Repeat("d", 64), "m")
	if err == nil || !strings.Contains(err.Error(), "(delete "+broken+" and run again)") {
		t.Errorf("broken entry: %v", err)
	}
	os.RemoveAll(broken)
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 || entries[0].Name() != strings.Repeat("a", 64) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("cache holds %v, want only the first key", names)
	}
	removeKept(t, stderr.String())
}

// removeKept removes the generated files a failed build kept.
func removeKept(t *testing.T, msg string) {
	if i := strings.Index(msg, "kept in "); i >= 0 {
		os.RemoveAll(strings.TrimSuffix(strings.Fields(msg[i+len("kept in "):])[0], ");"))
	}
}

// TestRemoveStale: build directories older than staleBuild go, others
// (a build under way, the cached simulators) stay.
func TestRemoveStale(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{".build-old", ".build-new", "cafe"} {
		if err := os.Mkdir(filepath.Join(root, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleBuild)
	for _, name := range []string{".build-old", "cafe"} {
		if err := os.Chtimes(filepath.Join(root, name), old, old); err != nil {
			t.Fatal(err)
		}
	}
	removeStale(root, time.Now())
	for name, want := range map[string]bool{".build-old": false, ".build-new": true, "cafe": true} {
		if _, err := os.Stat(filepath.Join(root, name)); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", name, err == nil, want)
		}
	}
}

// TestGoSimulatorCache: goSimulator builds once and then finds the
// simulator in the cache without calling go build again.
func TestGoSimulatorCache(t *testing.T) {
	dir := t.TempDir()
	fakeGo(t, dir, `printf binary > "$3"`+"\n")
	t.Setenv("PATH", dir)
	t.Setenv(cacheEnv, filepath.Join(dir, "cache"))
	prog, sources, err := loadQuiet(&bytes.Buffer{}, "../../examples/chain2.vle", vlec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	first, err := goSimulator(context.Background(), &stderr, prog, sources)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "vlec: compiling the Go simulator of chain2") {
		t.Errorf("first build not announced: %q", stderr.String())
	}
	stderr.Reset()
	second, err := goSimulator(context.Background(), &stderr, prog, sources)
	if err != nil || second != first || stderr.Len() > 0 {
		t.Errorf("second call: %q, %v, stderr %q; want %q from the cache", second, err, stderr.String(), first)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "log"))
	if n := strings.Count(string(log), "build "); n != 1 {
		t.Errorf("go build ran %d times, want 1:\n%s", n, log)
	}
	if !strings.HasPrefix(first, filepath.Join(dir, "cache")+string(filepath.Separator)) || filepath.Base(first) != "chain2" {
		t.Errorf("simulator at %s", first)
	}
}

// TestCalibrate: with a simulator of a steady rate, the calibration runs
// grow until one takes a tenth of a second, and the timed run fills the
// wall time (or the model's steps).
func TestCalibrate(t *testing.T) {
	dir := t.TempDir()
	// 1e6 steps/s; dt = 1ms; the summary into -o.
	bin := writeScript(t, dir, "sim", `for a; do case $a in -o=*) out=${a#-o=};; -duration=*) d=${a#-duration=};; esac; done
echo "$d" >> "`+filepath.Join(dir, "log")+`"
awk -v d="${d%s}" 'BEGIN { n = d / 0.001; printf "{\"steps\": %d, \"steps_per_s\": 1e6, \"wall_s\": %g}\n", n, n / 1e6 }' > "$out/sim.summary.json"
`)
	for _, tc := range []struct {
		planned int
		wall    time.Duration
		steps   int
		runs    string
	}{
		{1e9, time.Second, 1e6, "1s 100s"},
		{1e9, 40 * time.Millisecond, 40000, "1s 15s"},
		{50000, time.Second, 50000, "1s 50s"},
		{500, time.Second, 500, "0.5s"},
	} {
		os.Remove(filepath.Join(dir, "log"))
		g := &goTimer{bin: bin, dt: 0.001, planned: tc.planned}
		if err := g.calibrate(context.Background(), tc.wall); err != nil {
			t.Fatal(err)
		}
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		runs := strings.Join(strings.Fields(string(log)), " ")
		if g.steps != tc.steps || runs != tc.runs {
			t.Errorf("planned %d, %v: %d steps after runs %s; want %d after %s", tc.planned, tc.wall, g.steps, runs, tc.steps, tc.runs)
		}
		r, err := g.time(context.Background())
		if err != nil || r.steps != tc.steps || r.rate != 1e6 {
			t.Errorf("timed run: %+v, %v", r, err)
		}
	}
}

// TestGoTimerFails: a simulator that fails shows its output and status.
func TestGoTimerFails(t *testing.T) {
	bin := writeScript(t, t.TempDir(), "sim", "echo 'sim: -set x: no such parameter' >&2; exit 1\n")
	g := &goTimer{bin: bin, dt: 0.01, planned: 100}
	err := g.calibrate(context.Background(), time.Second)
	if err == nil || !strings.Contains(err.Error(), "stopped with status 1:\nsim: -set x: no such parameter") {
		t.Errorf("error %v", err)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1}, 2},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(tc.xs); got != tc.want {
			t.Errorf("median(%v) = %g, want %g", tc.xs, got, tc.want)
		}
	}
	ts := []timing{{3, 30}, {1, 10}, {2, 20}, {4, 40}}
	if got := medianTiming(ts); got != (timing{2, 20}) {
		t.Errorf("medianTiming = %+v, want the lower middle {2 20}", got)
	}
}

// TestPrintBenchRow: the row of both back ends: minima, medians, the
// ratio of the medians and the rounds' ratios.
func TestPrintBenchRow(t *testing.T) {
	prog, err := loadProgram(&bytes.Buffer{}, "../../examples/chain2.vle")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	printBenchRow(&out, prog, [][]timing{{{100, 1}, {200, 1}, {150, 1}}, {{300, 1}, {500, 1}, {600, 1}}})
	want := []string{"chain2", "1->1->1", "1", "100.0", "150.0", "300.0", "500.0", "3.33", "2.50", "3.00"}
	if got := strings.Fields(out.String()); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("row %q, want fields %q", out.String(), want)
	}
}
