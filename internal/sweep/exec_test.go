package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain makes the test binary a stand-in for vlec run when
// VLEC_SWEEP_FAKE is set, so that the engine is tested on processes
// that start at once and whose numbers are known.
func TestMain(m *testing.M) {
	if os.Getenv("VLEC_SWEEP_FAKE") == "1" {
		os.Exit(fakeVlec(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeVlec acts as `vlec run MODEL --set x=X --seed N ... -o DIR -q`:
// it appends DIR to $VLEC_SWEEP_CALLS and writes DIR/fake.summary.json
// with cost_end = 10 X + N. x=fail fails before the run (exit 1, a
// positioned-looking error on stderr), x=nan stops at a non-finite value
// (exit 3), x=slow waits for SIGTERM and stops as interrupted (exit
// 130).
func fakeVlec(args []string) int {
	if len(args) > 2 && args[0] == "run" {
		args = args[2:] // as vlec run; without, as a simulator vlec build made
	}
	var x, out string
	seed := 0
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--set":
			if v, ok := strings.CutPrefix(args[i+1], "x="); ok {
				x = v
			}
		case "--seed":
			seed, _ = strconv.Atoi(args[i+1])
		case "-o":
			out = args[i+1]
		}
	}
	if out == "" || args[len(args)-1] != "-q" {
		fmt.Fprintf(os.Stderr, "fake vlec: unexpected arguments %q\n", args)
		return 2
	}
	// A slow run takes SIGTERM from before it says it has started.
	sig := make(chan os.Signal, 1)
	if x == "slow" {
		signal.Notify(sig, syscall.SIGTERM)
	}
	if f, err := os.OpenFile(os.Getenv("VLEC_SWEEP_CALLS"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		fmt.Fprintln(f, filepath.Base(out))
		f.Close()
	}
	sum := map[string]any{"steps": 100, "wall_s": 0.25, "cost_start": 1.5, "stopped": "completed"}
	code := 0
	switch x {
	case "fail":
		fmt.Fprint(os.Stderr, "command line:1:7: --set x: fail is refused\n    --set x=fail\n          ^\n")
		return 1
	case "nan":
		sum["cost_end"] = nil
		sum["stopped"] = "non-finite value NaN in y.u[0]"
		sum["nonfinite"] = map[string]string{"cost_end": "NaN"}
		code = 3
	case "slow":
		select {
		case <-sig:
		case <-time.After(20 * time.Second):
		}
		sum["stopped"] = "interrupted"
		code = 130
	default:
		v, _ := strconv.ParseFloat(x, 64)
		sum["cost_end"] = 10*v + float64(seed)
		sum["task"] = map[string]any{"final": map[string]any{"epoch": 3, "test_accuracy": v / 10}}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 1
	}
	os.WriteFile(filepath.Join(out, "gomaxprocs.txt"), []byte(os.Getenv("GOMAXPROCS")), 0o644)
	data, _ := json.Marshal(sum)
	if err := os.WriteFile(filepath.Join(out, "fake.summary.json"), data, 0o644); err != nil {
		return 1
	}
	return code
}

// fakeSweep makes a sweep directory for the fake vlec over x and the
// seeds, and returns it with its manifest and the file of calls.
func fakeSweep(t *testing.T, xs []string, seeds int) (dir string, m *Manifest, calls string) {
	return fakeSweepOf(t, xs, seeds, false)
}

// fakeSweepOf is fakeSweep, of the fake as a simulator when sim.
func fakeSweepOf(t *testing.T, xs []string, seeds int, sim bool) (dir string, m *Manifest, calls string) {
	t.Helper()
	t.Setenv("GOMAXPROCS", "") // as Local finds it unset
	if runtime.GOOS == "windows" {
		t.Skip("the fake vlec relies on SIGTERM")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	calls = filepath.Join(dir, "calls.txt")
	t.Setenv("VLEC_SWEEP_FAKE", "1")
	t.Setenv("VLEC_SWEEP_CALLS", calls)
	seedAxis, _ := ParseSeeds(strconv.Itoa(seeds))
	simBin := ""
	if sim {
		simBin = exe
	}
	m, err = New("model.vle", exe, simBin, []string{"--duration", "1s"}, []Axis{{"x", xs}, seedAxis})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir, m, calls
}

// readCalls lists the run directories the fake vlec was called for.
func readCalls(t *testing.T, path string) []string {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	calls := strings.Fields(string(data))
	slices.Sort(calls)
	return calls
}

func TestLocalResults(t *testing.T) {
	dir, m, calls := fakeSweep(t, []string{"1", "fail", "2", "nan"}, 2)
	var lines []string
	err := Local(context.Background(), dir, m, m.Runs, 2, func(done, total int, r Run, res Result) {
		lines = append(lines, fmt.Sprintf("%d/%d %s", done, total, res.Status))
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 8 || !strings.HasPrefix(lines[7], "8/8 ") {
		t.Errorf("progress lines %q, want 8, the last 8/8", lines)
	}
	if got := readCalls(t, calls); len(got) != 8 {
		t.Errorf("the fake vlec ran %d times, want 8: %v", len(got), got)
	}
	// Two runs at a time share the CPUs.
	procs, _ := os.ReadFile(filepath.Join(dir, "runs/x=1_seed=0/gomaxprocs.txt"))
	if want := strconv.Itoa(max(1, runtime.NumCPU()/2)); string(procs) != want {
		t.Errorf("GOMAXPROCS of a run: %q, want %s", procs, want)
	}

	tab := Collect(dir, m)
	var b strings.Builder
	if err := tab.WriteResults(&b); err != nil {
		t.Fatal(err)
	}
	want := `id,x,seed,status,exit_code,steps,wall_s,cost_start,cost_end,test_accuracy,error,dir
0,1,0,ok,0,100,0.25,1.5,10,0.1,,runs/x=1_seed=0
1,1,1,ok,0,100,0.25,1.5,11,0.1,,runs/x=1_seed=1
2,fail,0,failed,1,,,,,,command line:1:7: --set x: fail is refused,runs/x=fail_seed=0
3,fail,1,failed,1,,,,,,command line:1:7: --set x: fail is refused,runs/x=fail_seed=1
4,2,0,ok,0,100,0.25,1.5,20,0.2,,runs/x=2_seed=0
5,2,1,ok,0,100,0.25,1.5,21,0.2,,runs/x=2_seed=1
6,nan,0,failed,3,100,0.25,1.5,NaN,,non-finite value NaN in y.u[0],runs/x=nan_seed=0
7,nan,1,failed,3,100,0.25,1.5,NaN,,non-finite value NaN in y.u[0],runs/x=nan_seed=1
`
	if b.String() != want {
		t.Errorf("results.csv:\n%s\nwant\n%s", b.String(), want)
	}
	// A failed run keeps its standard error; a completed one has none.
	stderr, err := os.ReadFile(filepath.Join(dir, "runs/x=fail_seed=1", StderrFile))
	if err != nil || !strings.Contains(string(stderr), "--set x=fail\n          ^") {
		t.Errorf("stderr.txt of a failed run: %q, %v", stderr, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs/x=1_seed=1", StderrFile)); !os.IsNotExist(err) {
		t.Errorf("a completed run has a stderr.txt (%v)", err)
	}

	b.Reset()
	if err := tab.Aggregate().WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	// cost_end of x=1 over seeds 0, 1: 10 and 11, mean 10.5, sample std
	// sqrt(1/2); the failed runs contribute nothing.
	wantSum := `x,runs,ok,steps_n,steps_mean,steps_std,wall_s_n,wall_s_mean,wall_s_std,cost_start_n,cost_start_mean,cost_start_std,cost_end_n,cost_end_mean,cost_end_std,test_accuracy_n,test_accuracy_mean,test_accuracy_std
1,2,2,2,100,0,2,0.25,0,2,1.5,0,2,10.5,0.7071067811865476,2,0.1,0
fail,2,0,0,,,0,,,0,,,0,,,0,,
2,2,2,2,100,0,2,0.25,0,2,1.5,0,2,20.5,0.7071067811865476,2,0.2,0
nan,2,0,0,,,0,,,0,,,0,,,0,,
`
	if b.String() != wantSum {
		t.Errorf("summary.csv:\n%s\nwant\n%s", b.String(), wantSum)
	}

	b.Reset()
	if err := tab.Aggregate().Print(&b); err != nil {
		t.Fatal(err)
	}
	wantTable := `x     n    cost_start  cost_end      test_accuracy  wall_s
1     2/2  1.5 ± 0     10.5 ± 0.707  0.1 ± 0        0.25 ± 0
fail  0/2  -           -             -              -
2     2/2  1.5 ± 0     20.5 ± 0.707  0.2 ± 0        0.25 ± 0
nan   0/2  -           -             -              -
best mean test_accuracy: x=2 (0.2 ± 0)
`
	if b.String() != wantTable {
		t.Errorf("printed table:\n%s\nwant\n%s", b.String(), wantTable)
	}
	if err := tab.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ResultsFile, SummaryFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestResume runs a sweep, then runs again what is not ok: only the
// failed and the missing runs are executed again.
func TestResume(t *testing.T) {
	dir, m, calls := fakeSweep(t, []string{"1", "fail"}, 2)
	// Run half the sweep, as if it had been interrupted.
	if err := Local(context.Background(), dir, m, m.Runs[:3], 2, nil); err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, r := range m.Runs {
		states = append(states, Inspect(dir, r).Status)
	}
	if want := []string{"ok", "ok", "failed", "missing"}; !slices.Equal(states, want) {
		t.Fatalf("states after the first half: %v, want %v", states, want)
	}
	os.Remove(calls)
	var todo []Run
	for _, r := range m.Runs {
		if Inspect(dir, r).Status != StatusOK {
			todo = append(todo, r)
		}
	}
	if err := Local(context.Background(), dir, m, todo, 2, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := readCalls(t, calls), []string{"x=fail_seed=0", "x=fail_seed=1"}; !slices.Equal(got, want) {
		t.Errorf("the second pass ran %v, want %v", got, want)
	}
}

// TestLocalCancel cancels a sweep while its runs wait: the running ones
// get SIGTERM and keep their summaries, the others do not start.
func TestLocalCancel(t *testing.T) {
	dir, m, calls := fakeSweep(t, []string{"slow"}, 4)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- Local(ctx, dir, m, m.Runs, 2, nil) }()
	// Wait until both workers' runs have started (the fake says so once
	// it takes SIGTERM) and are marked as running.
	var got []string
	want := []string{Running, Running, Missing, Missing}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		states, _, err := States(context.Background(), dir, m)
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, s := range states {
			got = append(got, s.State)
		}
		if len(readCalls(t, calls)) == 2 && slices.Equal(got, want) {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("states while two runs run: %v, want %v", got, want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, r := range m.Runs {
		if InProgress(dir, r) {
			t.Errorf("run %d is still in progress after the sweep ended", r.ID)
		}
		res := Inspect(dir, r)
		n[res.Status]++
		if res.Status == StatusFailed && (res.Exit == nil || res.Exit.Code != 130 || res.Message != "interrupted") {
			t.Errorf("run %d: %+v, want exit status 130, interrupted", r.ID, res)
		}
	}
	if n[StatusFailed] != 2 || n[StatusMissing] != 2 {
		t.Errorf("after cancelling: %v, want 2 failed (interrupted) and 2 missing", n)
	}
}

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	r := Run{ID: 0, Dir: "runs/x=1"}
	runDir := filepath.Join(dir, r.Dir)
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(runDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(runDir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		files  map[string]string
		status string
		msg    string
	}{
		{"nothing", nil, StatusMissing, ""},
		{"completed", map[string]string{"m.summary.json": `{"stopped":"completed"}`, RunFile: `{"exit_code":0}`}, StatusOK, ""},
		{"completed, no run.json", map[string]string{"m.summary.json": `{"stopped":"completed"}`}, StatusOK, ""},
		{"interrupted, killed before run.json", map[string]string{"m.summary.json": `{"stopped":"interrupted"}`}, StatusFailed, "interrupted"},
		{"interrupted by Slurm", map[string]string{"m.summary.json": `{"stopped":"interrupted","error":"context canceled"}`, RunFile: `{"exit_code":130}`}, StatusFailed, "interrupted"},
		{"summary with an error", map[string]string{"m.summary.json": `{"stopped":"write error","error":"disk full"}`, RunFile: `{"exit_code":1}`}, StatusFailed, "disk full"},
		{"could not start", map[string]string{RunFile: `{"exit_code":-1,"error":"cannot run vlec: no such file"}`}, StatusFailed, "cannot run vlec: no such file"},
		{"killed", map[string]string{RunFile: `{"exit_code":137}`}, StatusFailed, "exit status 137"},
		{"stderr tail", map[string]string{RunFile: `{"exit_code":1}`, StderrFile: "[...]\n\nvlec: out of memory\nmore\n"}, StatusFailed, "out of memory"},
		{"exit 0 without summary", map[string]string{RunFile: `{"exit_code":0}`}, StatusFailed, "exit status 0 but no summary"},
		{"two summaries", map[string]string{RunFile: `{"exit_code":0}`, "a.summary.json": `{}`, "b.summary.json": `{}`}, StatusFailed, "2 summaries"},
	}
	for _, tt := range tests {
		os.RemoveAll(runDir)
		for name, text := range tt.files {
			write(name, text)
		}
		res := Inspect(dir, r)
		if res.Status != tt.status || !strings.Contains(res.Message, tt.msg) {
			t.Errorf("%s: %s %q, want %s %q", tt.name, res.Status, res.Message, tt.status, tt.msg)
		}
	}
}

func TestTailBuffer(t *testing.T) {
	tb := &tailBuffer{max: 20}
	fmt.Fprint(tb, "short\n")
	if tb.String() != "short\n" {
		t.Errorf("uncut: %q", tb.String())
	}
	for i := range 30 {
		fmt.Fprintf(tb, "line %d\n", i)
	}
	if got, want := tb.String(), "[...]\nline 28\nline 29\n"; got != want {
		t.Errorf("tail = %q, want %q", got, want)
	}
}

func TestStat(t *testing.T) {
	tests := []struct {
		vs        []float64
		mean, std float64
	}{
		{[]float64{1, 2, 3, 4}, 2.5, 1.2909944487358056},
		{[]float64{1e9 + 1, 1e9 + 2, 1e9 + 3}, 1e9 + 2, 1},
		{[]float64{7}, 7, -1},
		// Ten equal values: their value and no spread, to the bit (the
		// plain mean of these is 0.014489769532153574).
		{[]float64{0.01448976953215357, 0.01448976953215357, 0.01448976953215357, 0.01448976953215357, 0.01448976953215357,
			0.01448976953215357, 0.01448976953215357, 0.01448976953215357, 0.01448976953215357, 0.01448976953215357}, 0.01448976953215357, 0},
		{nil, -1, -1},
	}
	for _, tt := range tests {
		s := stat(tt.vs)
		okMean := tt.mean == -1 && s.Mean != s.Mean || s.Mean == tt.mean
		okStd := tt.std == -1 && s.Std != s.Std || s.Std == tt.std
		if !okMean || !okStd || s.N != len(tt.vs) {
			t.Errorf("stat(%v) = %+v, want mean %g std %g (-1: none)", tt.vs, s, tt.mean, tt.std)
		}
	}
}

func TestBest(t *testing.T) {
	nan := math.NaN()
	group := func(name string, means ...float64) Group {
		g := Group{Settings: Settings{{"x", name}}}
		for _, m := range means {
			g.Stats = append(g.Stats, Stat{N: 1, Mean: m, Std: nan})
		}
		return g
	}
	tests := []struct {
		columns []string
		groups  []Group
		want    string // "" for none
		metric  string
	}{
		{[]string{"cost_end"}, []Group{group("a", 3), group("b", nan), group("c", 1), group("d", 2)}, "x=c", "cost_end"},
		{[]string{"cost_end", "test_accuracy"}, []Group{group("a", 1, 0.5), group("b", 3, 0.9), group("c", 2, nan)}, "x=b", "test_accuracy"},
		{[]string{"cost_end"}, []Group{group("a", 1), group("b", nan)}, "", "cost_end"},
		{[]string{"cost_end"}, []Group{group("a", math.Inf(-1)), group("b", 2), group("c", 5)}, "x=b", "cost_end"},
	}
	for _, tt := range tests {
		a := &Aggregate{Columns: tt.columns, Groups: tt.groups}
		g, metric, ok := a.Best()
		got := ""
		if ok {
			got = g.Settings.String()
		}
		if got != tt.want || metric != tt.metric {
			t.Errorf("Best of %v = %q by %s, want %q by %s", tt.groups, got, metric, tt.want, tt.metric)
		}
	}
}
