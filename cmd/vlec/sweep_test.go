package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vlec-dev/vlec/internal/sweep"
)

// lagLineSweep is the sweep of the Slurm test: the LagLine (chain2) at 3
// learning rates × 2 methods × 2 seeds, 20 s of simulated time each.
var lagLineSweep = []string{"--grid", "lr=0.01,0.03,0.1", "--grid", "method=le,gle", "--seeds", "2", "--set", "sim.duration=20s", "-q"}

// TestSweepLocalAndSlurm runs the same sweep with -j 2 and as a Slurm
// job array and checks the two results tables are equal number for
// number (all columns but the wall time and the directory), then
// resubmits a run whose results were lost and checks that only it is
// submitted. Without sbatch, or without a cluster answering sinfo, it
// skips, unless VLEC_SLURM=1 (CI, after .ci/slurm-up.sh) makes it fail.
func TestSweepLocalAndSlurm(t *testing.T) {
	vlecBin := sweepTestBinary(t)
	model, err := filepath.Abs("../../examples/chain2.vle")
	if err != nil {
		t.Fatal(err)
	}

	local := filepath.Join(t.TempDir(), "local")
	start := time.Now()
	out := runVlec(t, vlecBin, append([]string{"sweep", model, "-o", local, "-j", "2"}, lagLineSweep...)...)
	t.Logf("local sweep, -j 2: %.2f s", time.Since(start).Seconds())
	if !strings.Contains(out, "12 runs: 12 ok, 0 failed, 0 missing") {
		t.Fatalf("local sweep:\n%s", out)
	}
	localRows := readResults(t, local)
	// The grid reached the runs: every learning rate and method has its
	// own final cost.
	lr, method, cost := column(t, localRows, "lr"), column(t, localRows, "method"), column(t, localRows, "cost_end")
	costs := map[string]string{} // a final cost of each combination
	for _, row := range localRows[1:] {
		costs[row[lr]+" "+row[method]] = row[cost]
	}
	distinct := map[string]bool{}
	for _, c := range costs {
		distinct[c] = true
	}
	if len(costs) != 6 || len(distinct) != 6 {
		t.Errorf("%d combinations with %d distinct final costs, want 6 and 6:\n%v", len(costs), len(distinct), localRows)
	}

	requireSlurm(t)
	slurm := filepath.Join(t.TempDir(), "slurm")
	start = time.Now()
	out = runVlec(t, vlecBin, append([]string{"sweep", model, "-o", slurm, "--slurm", "--time", "5", "--mem", "500M"}, lagLineSweep...)...)
	if n, arrays := submitted(out); n != 12 {
		t.Fatalf("%d runs submitted, want 12:\n%s", n, out)
	} else {
		t.Logf("12 runs in %d job arrays (more than one past the cluster's MaxArraySize)", arrays)
	}
	waitSweep(t, slurm, 12)
	t.Logf("Slurm sweep, submission to the last run: %.2f s", time.Since(start).Seconds())
	out = runVlec(t, vlecBin, "sweep", "collect", slurm)
	if !strings.Contains(out, "12 runs: 12 ok") {
		t.Fatalf("collect:\n%s", out)
	}
	compareTables(t, localRows, readResults(t, slurm), "results.csv")
	compareTables(t, readCSV(t, filepath.Join(local, sweep.SummaryFile)), readCSV(t, filepath.Join(slurm, sweep.SummaryFile)), "summary.csv")
	if out := runVlec(t, vlecBin, "sweep", "status", slurm); !strings.Contains(out, "12 runs: 12 done") {
		t.Errorf("status:\n%s", out)
	}

	// Nothing to resubmit; then a run whose directory was lost, alone.
	args := append([]string{"sweep", model, "-o", slurm, "--slurm"}, lagLineSweep...)
	if out := runVlec(t, vlecBin, args...); !strings.Contains(out, "nothing to submit: of 12 runs, 12 done") {
		t.Errorf("resubmitting a finished sweep:\n%s", out)
	}
	m, err := sweep.Load(slurm)
	if err != nil {
		t.Fatal(err)
	}
	lost, _ := m.Run(7)
	if err := os.RemoveAll(filepath.Join(slurm, lost.Dir)); err != nil {
		t.Fatal(err)
	}
	if out := runVlec(t, vlecBin, args...); !strings.Contains(out, ": 1 runs (array ") {
		t.Errorf("resubmitting a lost run:\n%s", out)
	}
	waitSweep(t, slurm, 12)
	runVlec(t, vlecBin, "sweep", "collect", slurm)
	compareTables(t, localRows, readResults(t, slurm), "results.csv after resubmitting run 7")
	rec, err := sweep.LoadSlurm(slurm)
	if err != nil || len(rec.Submissions) < 2 || !slices.Equal(rec.Submissions[len(rec.Submissions)-1].Tasks, []int{7}) {
		t.Errorf("slurm.json: %+v, %v; want a last submission of task 7 alone", rec, err)
	}
}

// submitted counts the runs and the job arrays vlec sweep --slurm says
// it submitted ("submitted job 42: 8 runs (array 0-7)").
func submitted(out string) (runs, arrays int) {
	for line := range strings.SplitSeq(out, "\n") {
		var job string
		var n int
		if _, err := fmt.Sscanf(line, "submitted job %s %d runs", &job, &n); err == nil {
			runs += n
			arrays++
		}
	}
	return runs, arrays
}

// sweepTestBinary finds the vlec that sweeps execute: testscript's copy
// of this test binary, which TestMain put first on the PATH and which
// acts as vlec when called by that name.
func sweepTestBinary(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("vlec")
	if err != nil || !strings.Contains(bin, "testscript-main") {
		t.Fatalf("vlec on the PATH is %q (%v), not the test's copy", bin, err)
	}
	return bin
}

// requireSlurm skips the test when no Slurm cluster answers, unless
// VLEC_SLURM=1.
func requireSlurm(t *testing.T) {
	t.Helper()
	why := ""
	if _, err := exec.LookPath("sbatch"); err != nil {
		why = "sbatch not found (install slurm-wlm and munge, and start a cluster with .ci/slurm-up.sh)"
	} else if out, err := exec.Command("sinfo", "--noheader").CombinedOutput(); err != nil {
		why = "no Slurm cluster answers sinfo (start one with .ci/slurm-up.sh and export SLURM_CONF): " + strings.TrimSpace(string(out))
	}
	if why == "" {
		return
	}
	if os.Getenv("VLEC_SLURM") == "1" {
		t.Fatalf("VLEC_SLURM=1 but %s", why)
	}
	t.Skipf("skipping the Slurm half: %s; VLEC_SLURM=1 makes this a failure", why)
}

// runVlec runs the vlec binary and returns its standard output; a
// non-zero exit fails the test.
func runVlec(t *testing.T, bin string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("vlec %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// waitSweep polls the sweep's states until no run is pending, running or
// missing (2 minutes at most).
func waitSweep(t *testing.T, dir string, runs int) {
	t.Helper()
	m, err := sweep.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		states, note, err := sweep.States(context.Background(), dir, m)
		if err != nil || note != "" {
			t.Fatalf("states: %v %s", err, note)
		}
		n := map[string]int{}
		for _, s := range states {
			n[s.State]++
		}
		if n[sweep.Done]+n[sweep.Failed] == runs {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 2 minutes: %v (slurm/ holds the tasks' output)", n)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func readResults(t *testing.T, dir string) [][]string {
	return readCSV(t, filepath.Join(dir, sweep.ResultsFile))
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func column(t *testing.T, rows [][]string, name string) int {
	t.Helper()
	i := slices.Index(rows[0], name)
	if i < 0 {
		t.Fatalf("no column %s in %v", name, rows[0])
	}
	return i
}

// compareTables checks two tables are equal as text, but for the
// columns of wall times and directories.
func compareTables(t *testing.T, a, b [][]string, what string) {
	t.Helper()
	if len(a) != len(b) || len(a) == 0 || !slices.Equal(a[0], b[0]) {
		t.Fatalf("%s: %d and %d rows, headers %v and %v", what, len(a), len(b), a[0], b[0])
	}
	for i := 1; i < len(a); i++ {
		for j, name := range a[0] {
			if name == "dir" || strings.HasPrefix(name, "wall_s") {
				continue
			}
			if a[i][j] != b[i][j] {
				t.Errorf("%s row %d, %s: local %q, Slurm %q", what, i, name, a[i][j], b[i][j])
			}
		}
	}
}

// TestSweepInterrupt interrupts a local sweep as Ctrl-C would: the two
// running runs stop after their step and keep their summaries
// (interrupted), the two waiting ones never start, the tables are
// written, and vlec exits with status 130.
func TestSweepInterrupt(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT")
	}
	vlecBin := sweepTestBinary(t)
	dir := t.TempDir()
	model := filepath.Join(dir, "long.vle")
	src := `model long
import "std/gle"
sim { dt = 1ms; duration = 100000s }
input x[1] = sine(freq = 1Hz)
population y[1] : gle(tau_m = 20ms)
connect x -> y W = 1
energy { mismatch(y); mse(y.r, 0.2) }
record y.u every 1000 steps
`
	if err := os.WriteFile(model, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "sw")
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(vlecBin, "sweep", model, "--seeds", "4", "-j", "2", "-o", out, "-q")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until both runs have opened their records (a file of theirs in
	// each run directory: the record, under a temporary name until the
	// end), so they have set up their handling of signals.
	deadline := time.Now().Add(30 * time.Second)
	for {
		started := map[string]bool{}
		files, _ := filepath.Glob(filepath.Join(out, "runs", "*", "*"))
		for _, f := range files {
			if filepath.Base(f) != sweep.RunningFile { // the sweep's mark, there before vlec starts
				started[filepath.Dir(f)] = true
			}
		}
		if len(started) == 2 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the runs did not start in 30 s:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("exit status %d (%v), want 130:\n%s%s", code, err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted; run the same command again") || !strings.Contains(stdout.String(), "4 runs: 0 ok, 2 failed, 2 missing") {
		t.Errorf("output:\n%s%s", stdout.String(), stderr.String())
	}
	rows := readResults(t, out)
	status, msg := column(t, rows, "status"), column(t, rows, "error")
	for _, row := range rows[1:] {
		if row[status] == "failed" && row[msg] != "interrupted" {
			t.Errorf("a stopped run: %v, want failed, interrupted", row)
		}
	}
	m, err := sweep.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range m.Runs {
		res := sweep.Inspect(out, r)
		if res.Status == sweep.StatusFailed && (res.Exit == nil || res.Exit.Code != exitInterrupted || res.Summary == nil) {
			t.Errorf("run %d: exit %+v, summary %v; want exit status 130 and a summary", r.ID, res.Exit, res.Summary != nil)
		}
	}
}

// TestSweepSim sweeps a simulator vlec build made of the LagLine
// (--sim): its runs agree with the interpreter's sweep of the same grid
// (to 1e-12 relative, as generated code does), and run as Slurm tasks
// that need no vlec, they give the local table number for number.
func TestSweepSim(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("vlec build needs the go command")
	}
	vlecBin := sweepTestBinary(t)
	model, err := filepath.Abs("../../examples/chain2.vle")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	sim := filepath.Join(tmp, "chain2sim")
	runVlec(t, vlecBin, "build", model, "-o", sim)
	grid := []string{"--grid", "beta=0.1,0.2", "--seeds", "2", "--duration", "20s", "-q"}

	// What the simulator does not take at run time (lr is baked into its
	// code), another model's simulator and a file that is none are
	// refused before anything is written.
	for _, bad := range []struct{ args, want string }{
		{"--grid lr=0.1,0.2", "--grid lr=0.1,0.2: lr=0.1 with --sim " + sim + ": the simulator refuses it (exit status 1): chain2: -set lr: no parameter or constant"},
		{"--grid beta=0.1,0.2s", "beta=0.2s with --sim " + sim + ": the simulator refuses it"},
		{"--seeds 2 --sim " + model, "not an executable file"},
	} {
		args := append([]string{"sweep", model, "--sim", sim, "-o", filepath.Join(tmp, "refused")}, strings.Fields(bad.args)...)
		cmd := exec.Command(vlecBin, args...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), bad.want) {
			t.Errorf("vlec %s: %v\n%s\nwant %q", strings.Join(args, " "), err, out, bad.want)
		}
	}
	mlp, _ := filepath.Abs("../../examples/mlp.vle")
	if out, err := exec.Command(vlecBin, "sweep", mlp, "--sim", sim, "--seeds", "2", "-o", filepath.Join(tmp, "refused")).CombinedOutput(); err == nil || !strings.Contains(string(out), "simulates model chain2, not mlp") {
		t.Errorf("another model's simulator: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(tmp, "refused")); !os.IsNotExist(err) {
		t.Errorf("a refused sweep left its directory (%v)", err)
	}

	local := filepath.Join(tmp, "local")
	runVlec(t, vlecBin, append([]string{"sweep", model, "--sim", sim, "-o", local, "-j", "2"}, grid...)...)
	interp := filepath.Join(tmp, "interp")
	runVlec(t, vlecBin, append([]string{"sweep", model, "-o", interp, "-j", "2"}, grid...)...)
	a, b := readResults(t, local), readResults(t, interp)
	if len(a) != 5 || len(b) != 5 {
		t.Fatalf("%d and %d rows, want a header and 4 runs", len(a), len(b))
	}
	for _, name := range []string{"status", "steps", "cost_start", "cost_end"} {
		c := column(t, a, name)
		for i := 1; i < len(a); i++ {
			x, xerr := strconv.ParseFloat(a[i][c], 64)
			y, yerr := strconv.ParseFloat(b[i][c], 64)
			same := a[i][c] == b[i][c] || xerr == nil && yerr == nil && math.Abs(x-y) <= 1e-12*math.Abs(y)
			if !same {
				t.Errorf("run %d, %s: simulator %s, interpreter %s", i-1, name, a[i][c], b[i][c])
			}
		}
	}

	requireSlurm(t)
	slurm := filepath.Join(tmp, "slurm")
	out := runVlec(t, vlecBin, append([]string{"sweep", model, "--sim", sim, "-o", slurm, "--slurm"}, grid...)...)
	if n, _ := submitted(out); n != 4 {
		t.Fatalf("%d runs submitted, want 4:\n%s", n, out)
	}
	script, err := os.ReadFile(filepath.Join(slurm, sweep.ScriptFile))
	if err != nil || strings.Contains(string(script), "run-task") {
		t.Errorf("the tasks of a simulator's sweep should not need vlec:\n%s", script)
	}
	waitSweep(t, slurm, 4)
	runVlec(t, vlecBin, "sweep", "collect", slurm)
	compareTables(t, a, readResults(t, slurm), "results.csv of the simulator")
}
