package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/internal/sweep"
	"github.com/vlec-dev/vlec/lang/check"
)

// sweepFlags are the flags of vlec sweep MODEL.
type sweepFlags struct {
	grid     []string
	seeds    string
	out      string
	jobs     int
	set      []string
	duration string
	vlecBin  string
	sim      string
	quiet    bool
	slurm    bool
	slurmOpt sweep.SlurmOptions
}

func newSweepCmd() *cobra.Command {
	var f sweepFlags
	cmd := &cobra.Command{
		Use:   "sweep MODEL --grid NAME=V1,V2,... [--seeds N] -o DIR",
		Short: "Run a model over a grid of settings and seeds, locally or as a Slurm job array",
		Long: `sweep runs a model once per combination of the --grid values and seeds,
each run as "vlec run MODEL --set NAME=VALUE ... --seed N -o DIR/runs/NAME -q"
in a directory named by its settings (lr=0.01_method=le_seed=3), and
tabulates them: DIR/results.csv has a row per run (its settings, status
ok/failed/missing, exit code, steps, wall_s, cost_start, cost_end, a
task's final metrics, the error, the directory) and DIR/summary.csv and
the table printed the mean ± std of each number per combination of the
settings over the seeds (over the completed runs, n of them).

--grid NAME=V1,V2,... sweeps any setting --set takes (a const, param, sim
or learn setting: lr, h.tau_m, method, sim.duration); seed sweeps the
random seed (--seed). Repeat --grid for more names: the runs are the
cartesian product, the first name varying slowest. --seeds N adds the
seeds 0 to N-1 (or --seeds 1,5,9 those), varying fastest. --set NAME=VALUE
and --duration apply to every run.

Runs go -j at a time (default: the number of CPUs). A failed run is
reported, with the end of its standard error in its directory's
stderr.txt, and the others go on. Ctrl-C starts no more runs and stops
those running after their current step (they keep their data and
summaries), then writes the tables; a second Ctrl-C ends vlec sweep at
once. Only one vlec sweep works in a DIR at a time. DIR/sweep.json, the
manifest, lists every run with its command. Running the same sweep again
resumes it: the runs that completed are skipped, the others (missing,
failed, interrupted) run again. Giving more values or seeds for the same
names adds runs to DIR; another model, other names or other
--set/--duration flags are refused.

--sim BIN runs the runs with BIN, a simulator of MODEL made by vlec
build, instead of vlec run: the same --seed, --duration and --set, for
the values a generated simulator takes at run time (parameters and
constants; each is tried once before the sweep starts).

--slurm submits the runs not yet done as one Slurm job array instead
(sbatch --array, a task per run, its task id the run's id in the
manifest, or several arrays past the cluster's MaxArraySize;
DIR/sweep.sbatch is the script, DIR/slurm/ gets each task's output, and
DIR/slurm.json records what Slurm accepted): DIR must be on a file
system the compute nodes share, and the vlec binary must be at the same
path on them (or give --vlec; with --sim they need only the simulator,
at the same path). vlec sweep status DIR follows the runs, vlec sweep
collect DIR writes the tables. Submitting the same sweep again submits
only the runs that are neither done nor waiting or running in the queue;
a local sweep of the same DIR leaves those alone too.

Exit status: 0 when every run completed (or, with --slurm, was
submitted), 1 when a run failed or on bad input, 130 when interrupted.`,
		Example: `  vlec sweep examples/chain2.vle --grid lr=0.01,0.03,0.1 --grid method=le,gle --seeds 10 -o sweeps/lr
  vlec sweep examples/chain2.vle --seeds 10 --duration 60s -o sweeps/seeds -j 4
  vlec sweep examples/chain2.vle --grid lr=0.01,0.1 --seeds 10 -o /shared/sweeps/lr --slurm --time 10 --mem 1G
  vlec sweep status /shared/sweeps/lr
  vlec sweep collect /shared/sweeps/lr`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSweep(cmd, args[0], &f)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.grid, "grid", nil, "NAME=V1,V2,...: a setting and its values (repeat for more; seed=... sweeps the seed)")
	fl.StringVar(&f.seeds, "seeds", "", "N (the seeds 0 to N-1) or a list of seeds (1,5,9)")
	fl.StringVarP(&f.out, "out", "o", "", "the sweep directory (required; a second run with the same DIR resumes)")
	fl.IntVarP(&f.jobs, "jobs", "j", runtime.NumCPU(), "runs at a time")
	fl.StringArrayVar(&f.set, "set", nil, "NAME=VALUE for every run (repeat for more)")
	fl.StringVar(&f.duration, "duration", "", "simulated time of every run instead of the model's (e.g. 20s)")
	fl.StringVar(&f.vlecBin, "vlec", "", "the vlec binary the runs execute (default: this one); with --slurm, its path on the compute nodes")
	fl.StringVar(&f.sim, "sim", "", "run the runs with this simulator of MODEL (made by vlec build) instead of vlec run; with --slurm, the nodes need only it")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no line per finished run")
	fl.BoolVar(&f.slurm, "slurm", false, "submit the runs as a Slurm job array instead of running them here")
	fl.StringVar(&f.slurmOpt.Partition, "partition", "", "with --slurm: the partition (default: the cluster's)")
	fl.StringVar(&f.slurmOpt.Time, "time", "", "with --slurm: time limit per run, as sbatch takes it (30, 1:00:00, 1-00:00:00)")
	fl.StringVar(&f.slurmOpt.Mem, "mem", "", "with --slurm: memory per run, as sbatch takes it (500M, 4G)")
	fl.IntVar(&f.slurmOpt.CPUs, "cpus", 1, "with --slurm: CPUs per run")
	cmd.AddCommand(newSweepStatusCmd(), newSweepCollectCmd(), newSweepRunTaskCmd())
	return cmd
}

// runSweep is vlec sweep MODEL: it checks the flags and the model,
// writes or extends the manifest, and runs or submits the runs.
func runSweep(cmd *cobra.Command, model string, f *sweepFlags) error {
	stderr := cmd.ErrOrStderr()
	axes, err := sweepAxes(f)
	if err != nil {
		return err
	}
	if err := checkSweepFlags(cmd, f); err != nil {
		return err
	}
	c, err := checkSweepModel(stderr, model, f, axes)
	if err != nil {
		return err
	}
	bin, err := sweepBinary(f.vlecBin, f.slurm)
	if err != nil {
		return err
	}
	sim := ""
	if f.sim != "" {
		if sim, err = checkSim(f, c, axes); err != nil {
			return err
		}
	}
	next, err := sweep.New(model, bin, sim, sweepFixed(f), axes)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(f.out)
	if err != nil {
		return err
	}
	m, unlock, err := openSweepDir(dir, next)
	if err != nil {
		return err
	}
	defer unlock()
	runs := m.Select(settingsOf(next.Runs))
	if f.slurm {
		return submitSweep(cmd, dir, m, runs, f.slurmOpt)
	}
	return runLocal(cmd, dir, m, runs, f)
}

// runLocal runs the runs that are not done, -j at a time, writes the
// tables and turns the outcome into the exit status.
func runLocal(cmd *cobra.Command, dir string, m *sweep.Manifest, runs []sweep.Run, f *sweepFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	queued, err := queuedRuns(cmd, dir, m)
	if err != nil {
		return err
	}
	var todo []sweep.Run
	for _, r := range runs {
		if !queued[r.ID] && sweep.Inspect(dir, r).Status != sweep.StatusOK {
			todo = append(todo, r)
		}
	}
	if n := len(queued); n > 0 {
		fmt.Fprintf(stderr, "vlec sweep: %d runs are waiting or running in Slurm's queue; they are left to it (vlec sweep status %s)\n", n, f.out)
	}
	if done := len(runs) - len(todo) - len(queued); done > 0 {
		fmt.Fprintf(stderr, "vlec sweep: %d of %d runs already done in %s; running the other %d\n", done, len(runs), f.out, len(todo))
	}
	ctx, stop := interruptible(cmd.Context())
	defer stop()
	var progress sweep.Progress
	if !f.quiet {
		progress = func(done, total int, r sweep.Run, res sweep.Result) {
			fmt.Fprintf(stderr, "[%d/%d] %s: %s\n", done, total, r.Settings, describeResult(r, res))
		}
	}
	if err := sweep.Local(ctx, dir, m, todo, f.jobs, progress); err != nil {
		return err
	}
	interrupted := ctx.Err() != nil
	t := sweep.Collect(dir, m)
	if err := writeSweepTables(stdout, dir, t); err != nil {
		return err
	}
	if interrupted {
		fmt.Fprintf(stderr, "vlec sweep: interrupted; run the same command again to finish the sweep\n")
		return exitError{exitInterrupted}
	}
	for _, r := range runs {
		if res := sweep.Inspect(dir, r); res.Status != sweep.StatusOK && !queued[r.ID] {
			fmt.Fprintf(stderr, "vlec sweep: some runs failed (see %s and their stderr.txt); running the same command again reruns them\n", filepath.Join(f.out, sweep.ResultsFile))
			return exitError{exitBadInput}
		}
	}
	return nil
}

// queuedRuns gives the runs of a sweep once submitted to Slurm that are
// still waiting or running there, which a local sweep must leave alone.
func queuedRuns(cmd *cobra.Command, dir string, m *sweep.Manifest) (map[int]bool, error) {
	rec, err := sweep.LoadSlurm(dir)
	if err != nil || len(rec.Submissions) == 0 {
		return nil, err
	}
	states, note, err := sweep.States(cmd.Context(), dir, m)
	if err != nil {
		return nil, err
	}
	if note != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "vlec sweep: %s\n", note)
	}
	queued := map[int]bool{}
	for _, s := range states {
		if s.State == sweep.Pending || s.State == sweep.Running {
			queued[s.Run.ID] = true
		}
	}
	return queued, nil
}

// sweepAxes reads --grid and --seeds.
func sweepAxes(f *sweepFlags) ([]sweep.Axis, error) {
	var axes []sweep.Axis
	for _, g := range f.grid {
		a, err := sweep.ParseAxis(g)
		if err != nil {
			return nil, fmt.Errorf("--grid %s: %v", g, err)
		}
		axes = append(axes, a)
	}
	if f.seeds != "" {
		a, err := sweep.ParseSeeds(f.seeds)
		if err != nil {
			return nil, fmt.Errorf("--seeds: %v", err)
		}
		axes = append(axes, a)
	}
	if _, err := sweep.Expand(axes); err != nil {
		return nil, err
	}
	return axes, nil
}

// checkSweepFlags checks the flags that need no model.
func checkSweepFlags(cmd *cobra.Command, f *sweepFlags) error {
	if f.out == "" {
		return fmt.Errorf("give the sweep directory: -o DIR (the same DIR again resumes the sweep)")
	}
	if f.jobs < 1 {
		return fmt.Errorf("-j %d: give at least 1 run at a time", f.jobs)
	}
	if f.slurmOpt.CPUs < 1 {
		return fmt.Errorf("--cpus %d: give at least 1 CPU per run", f.slurmOpt.CPUs)
	}
	for _, name := range []string{"partition", "time", "mem", "cpus"} {
		if cmd.Flags().Changed(name) && !f.slurm {
			return fmt.Errorf("--%s is a Slurm resource: give it with --slurm", name)
		}
	}
	if cmd.Flags().Changed("jobs") && f.slurm {
		return fmt.Errorf("-j: with --slurm, Slurm decides how many runs go at a time")
	}
	return nil
}

// checkSweepModel compiles the model with the fixed --set overrides and
// then with each value of each grid name, so that a typo or a bad value
// is the positioned error of the source before any run starts.
// (Combinations of values that do not fit together fail as runs.)
func checkSweepModel(stderr io.Writer, model string, f *sweepFlags, axes []sweep.Axis) (*vlec.Compiled, error) {
	base, err := compileOptions("", f.set)
	if err != nil {
		return nil, err
	}
	c, err := compile(stderr, model, base)
	if err != nil {
		return nil, err
	}
	if f.duration != "" {
		if c.Program.Model.Task != nil {
			return nil, fmt.Errorf("--duration: model %s runs a task, whose epochs set its length (%s)", c.Program.Model.Name, c.Program.Model.Task)
		}
		if _, err := flagSteps("--duration", f.duration, c.Program.Dt); err != nil {
			return nil, err
		}
	}
	for _, a := range axes {
		if a.Name == sweep.SeedName {
			continue
		}
		for _, v := range a.Values {
			opts := base
			opts.Set = append(slices.Clip(base.Set), check.Override{Name: a.Name, Value: v})
			if _, sources, err := vlec.Compile(model, opts); err != nil {
				fmt.Fprintf(stderr, "vlec: --grid %s: %s=%s does not fit the model (each run gets it as --set):\n", a, a.Name, v)
				fmt.Fprint(stderr, sources.Format(err))
				return nil, exitError{exitBadInput}
			}
		}
	}
	return c, nil
}

// checkSim checks that --sim names a simulator of the compiled model
// that takes the sweep's settings at run time (a generated simulator
// takes --set only for the values not baked into its code): it runs it
// for one step with the fixed flags, then with each grid value, into a
// temporary directory. It returns the simulator's absolute path.
func checkSim(f *sweepFlags, c *vlec.Compiled, axes []sweep.Axis) (string, error) {
	sim, err := filepath.Abs(f.sim)
	if err != nil {
		return "", fmt.Errorf("--sim %s: %v", f.sim, err)
	}
	if fi, err := os.Stat(sim); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("--sim %s: not an executable file (make one with vlec build MODEL -o BIN)", f.sim)
	}
	tmp, err := os.MkdirTemp("", "vlec-sweep-sim-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	step := strconv.FormatFloat(c.Program.Dt, 'g', -1, 64) + "s"
	try := func(extra ...string) error {
		args := append(append(sweepFixed(f), extra...), "--duration", step, "-o", tmp, "-q")
		out, err := exec.Command(sim, args...).CombinedOutput()
		if err != nil {
			msg, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n") // its error, not its usage
			return fmt.Errorf("the simulator refuses it (%v): %s", err, msg)
		}
		return nil
	}
	if err := try(); err != nil {
		return "", fmt.Errorf("--sim %s: %v", f.sim, err)
	}
	sum, err := sweep.ReadSummary(tmp)
	if err != nil || sum == nil || sum.Model != c.Program.Model.Name {
		model := "?"
		if sum != nil {
			model = sum.Model
		}
		return "", fmt.Errorf("--sim %s: simulates model %s, not %s (vlec build %s -o BIN makes one)", f.sim, model, c.Program.Model.Name, c.Program.Model.Name)
	}
	for _, a := range axes {
		if a.Name == sweep.SeedName {
			continue
		}
		for _, v := range a.Values {
			if err := try("--set", a.Name+"="+v); err != nil {
				return "", fmt.Errorf("--grid %s: %s=%s with --sim %s: %v", a, a.Name, v, f.sim, err)
			}
		}
	}
	return sim, nil
}

// sweepFixed gives the arguments every run gets: --set and --duration.
func sweepFixed(f *sweepFlags) []string {
	var fixed []string
	for _, s := range f.set {
		fixed = append(fixed, "--set", s)
	}
	if f.duration != "" {
		fixed = append(fixed, "--duration", f.duration)
	}
	return fixed
}

// sweepBinary gives the absolute path of the vlec the runs execute:
// given, or this one. Local runs need it to be an executable here; Slurm
// tasks need it to outlive this process, which a go run build does not.
func sweepBinary(given string, slurm bool) (string, error) {
	if given == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("cannot find this vlec binary for the runs (%v): give --vlec PATH", err)
		}
		if slurm && strings.Contains(exe, string(filepath.Separator)+"go-build") {
			return "", fmt.Errorf("this vlec is a temporary build of go run (%s), deleted when it exits, so Slurm's tasks could not run it: build one that stays (go build -o vlec ./cmd/vlec) or give --vlec PATH", exe)
		}
		return exe, nil
	}
	abs, err := filepath.Abs(given)
	if err != nil {
		return "", fmt.Errorf("--vlec %s: %v", given, err)
	}
	if !slurm {
		if fi, err := os.Stat(abs); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return "", fmt.Errorf("--vlec %s: not an executable file", given)
		}
	}
	return abs, nil
}

// openSweepDir creates the sweep directory with the manifest of next, or
// brings next into the sweep already there, and saves the manifest. It
// locks the directory against other vlec sweep processes first; unlock
// releases it.
func openSweepDir(dir string, next *sweep.Manifest) (m *sweep.Manifest, unlock func(), err error) {
	manifest := filepath.Join(dir, sweep.ManifestFile)
	if !fileExists(manifest) {
		entries, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("-o %s: %v", dir, err)
		}
		entries = slices.DeleteFunc(entries, func(e fs.DirEntry) bool { return e.Name() == sweep.LockFile })
		if len(entries) > 0 {
			return nil, nil, fmt.Errorf("-o %s: the directory exists and holds no sweep (no %s): give a new or empty directory", dir, sweep.ManifestFile)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, nil, fmt.Errorf("-o %s: %v", dir, err)
		}
	}
	release, err := sweep.Lock(dir)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			release()
		}
	}()
	m = next
	if fileExists(manifest) {
		old, err := sweep.Load(dir)
		if err != nil {
			return nil, nil, err
		}
		if m, err = sweep.Merge(old, next); err != nil {
			return nil, nil, fmt.Errorf("-o %s: %v", dir, err)
		}
	}
	if err := m.Save(dir); err != nil {
		return nil, nil, fmt.Errorf("-o %s: cannot write the manifest: %v", dir, err)
	}
	return m, release, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func settingsOf(runs []sweep.Run) []sweep.Settings {
	out := make([]sweep.Settings, len(runs))
	for i, r := range runs {
		out[i] = r.Settings
	}
	return out
}

// describeResult says how a run ended, for its progress line.
func describeResult(r sweep.Run, res sweep.Result) string {
	switch res.Status {
	case sweep.StatusOK:
		s := "ok"
		if res.Summary.CostEnd != "" {
			s += ", cost_end " + string(res.Summary.CostEnd)
		}
		if res.Summary.WallS != "" {
			s += ", " + string(res.Summary.WallS) + " s"
		}
		return s
	case sweep.StatusFailed:
		code := ""
		if res.Exit != nil {
			code = " (exit status " + strconv.Itoa(res.Exit.Code) + ")"
		}
		return "failed" + code + ": " + res.Message + " — see " + filepath.Join(r.Dir, sweep.StderrFile)
	}
	return "not run"
}

// writeSweepTables writes results.csv and summary.csv, prints the table
// of means and a line naming the files.
func writeSweepTables(stdout io.Writer, dir string, t *sweep.Table) error {
	if err := t.WriteFiles(dir); err != nil {
		return fmt.Errorf("cannot write the tables: %v", err)
	}
	if err := t.Aggregate().Print(stdout); err != nil {
		return err
	}
	n := t.Count()
	fmt.Fprintf(stdout, "%d runs: %d ok, %d failed, %d missing; wrote %s, %s\n", len(t.Runs), n[sweep.StatusOK], n[sweep.StatusFailed], n[sweep.StatusMissing],
		filepath.Join(dir, sweep.ResultsFile), filepath.Join(dir, sweep.SummaryFile))
	return nil
}

// submitSweep submits the runs that are neither done nor in Slurm's
// queue as one job array.
func submitSweep(cmd *cobra.Command, dir string, m *sweep.Manifest, runs []sweep.Run, opt sweep.SlurmOptions) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	states, note, err := sweep.States(cmd.Context(), dir, m)
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintf(stderr, "vlec sweep: %s\n", note)
	}
	state := map[int]string{}
	for _, s := range states {
		state[s.Run.ID] = s.State
	}
	var ids []int
	skipped := map[string]int{}
	for _, r := range runs {
		switch st := state[r.ID]; st {
		case sweep.Done, sweep.Pending, sweep.Running:
			skipped[st]++
		default:
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		fmt.Fprintf(stdout, "nothing to submit: of %d runs, %d done, %d pending, %d running; see vlec sweep status %s\n", len(runs), skipped[sweep.Done], skipped[sweep.Pending], skipped[sweep.Running], dir)
		return nil
	}
	subs, err := sweep.Submit(cmd.Context(), dir, m, ids, opt)
	for _, sub := range subs {
		fmt.Fprintf(stdout, "submitted job %s: %d runs (array %s)\n", sub.JobID, len(sub.Tasks), sub.Array)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "follow with vlec sweep status %s; tabulate with vlec sweep collect %s\n", dir, dir)
	return nil
}

func newSweepStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status DIR",
		Short: "Where each run of a sweep stands: done, failed, pending, running or missing",
		Long: `status prints a line per run of the sweep in DIR: its id, its settings,
its state and, for a submitted run, its Slurm task (JOB_ID). A run is done
or failed as its directory says (its summary and exit status); a run
Slurm still holds is pending or running as squeue says; a submitted run
that left the queue without a result is failed when sacct knows why
(TIMEOUT, OUT_OF_MEMORY, CANCELLED), else missing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := sweep.Load(args[0])
			if err != nil {
				return err
			}
			states, note, err := sweep.States(cmd.Context(), args[0], m)
			if err != nil {
				return err
			}
			if note != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "vlec sweep: %s\n", note)
			}
			noteBusy(cmd.ErrOrStderr(), args[0])
			return printStates(cmd.OutOrStdout(), m, states)
		},
	}
}

// printStates prints the table of vlec sweep status and a count.
func printStates(w io.Writer, m *sweep.Manifest, states []sweep.RunState) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"id"}
	for _, a := range m.Grid {
		head = append(head, a.Name)
	}
	fmt.Fprintln(tw, strings.Join(append(head, "state", "job", "message"), "\t"))
	count := map[string]int{}
	for _, s := range states {
		row := []string{strconv.Itoa(s.Run.ID)}
		for _, x := range s.Run.Settings {
			row = append(row, x.Value)
		}
		job := s.Job
		if job == "" {
			job = "-"
		}
		fmt.Fprintln(tw, strings.Join(append(row, s.State, job, s.Message), "\t"))
		count[s.State]++
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var parts []string
	for _, st := range []string{sweep.Done, sweep.Failed, sweep.Running, sweep.Pending, sweep.Missing} {
		if count[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[st], st))
		}
	}
	_, err := fmt.Fprintf(w, "%d runs: %s\n", len(states), strings.Join(parts, ", "))
	return err
}

// noteBusy says so when a vlec sweep process is running runs in dir:
// those without a result yet show as missing.
func noteBusy(stderr io.Writer, dir string) {
	if who, ok := sweep.Busy(dir); ok {
		fmt.Fprintf(stderr, "vlec sweep: %s is working in %s: its runs in progress show as missing until they end\n", who, dir)
	}
}

func newSweepCollectCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "collect DIR",
		Short: "Write a sweep's results.csv and summary.csv from its run directories",
		Long: `collect reads the run directories of the sweep in DIR and writes
DIR/results.csv and DIR/summary.csv as vlec sweep does at its end, and
prints the table of means: for a sweep run by Slurm, or to look at one
that is still running (runs not finished are missing).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := sweep.Load(args[0])
			if err != nil {
				return err
			}
			noteBusy(cmd.ErrOrStderr(), args[0])
			return writeSweepTables(cmd.OutOrStdout(), args[0], sweep.Collect(args[0], m))
		},
	}
}

func newSweepRunTaskCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "run-task DIR ID",
		Short:  "Run one run of a sweep (what a Slurm task executes)",
		Hidden: true,
		Args:   cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.Atoi(args[1])
			if err != nil {
				return fmt.Errorf("run-task: run id %q is not a number", args[1])
			}
			dir, err := filepath.Abs(args[0])
			if err != nil {
				return err
			}
			m, err := sweep.Load(dir)
			if err != nil {
				return err
			}
			r, ok := m.Run(id)
			if !ok {
				return fmt.Errorf("run-task: %s has no run %d", filepath.Join(dir, sweep.ManifestFile), id)
			}
			// The run gets Slurm's SIGTERM (or a terminal's Ctrl-C) itself;
			// this process outlives it to record its exit.
			signal.Notify(make(chan os.Signal, 1), os.Interrupt, syscall.SIGTERM)
			ex, err := sweep.Execute(context.Background(), dir, m, r, false)
			if err != nil {
				return err
			}
			res := sweep.Inspect(dir, r)
			fmt.Fprintf(cmd.ErrOrStderr(), "vlec sweep: run %d (%s): %s\n", id, r.Settings, describeResult(r, res))
			if ex.Code != 0 {
				return exitError{max(1, ex.Code)}
			}
			return nil
		},
	}
}
