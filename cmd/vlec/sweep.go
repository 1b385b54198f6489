package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec/internal/sweep"
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
	dryRun   bool
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
settings over the seeds (over the completed runs, n of them); the table
ends with the best combination by mean (highest test accuracy of a task,
else lowest final cost).

--grid NAME=V1,V2,... sweeps any setting --set takes (a const, param, sim
or learn setting: lr, h.tau_m, method, sim.duration); seed sweeps the
random seed (--seed); a comma inside brackets or parentheses belongs to
its value (W0=[[0.3]],[[0.5]]). Repeat --grid for more names: the runs
are the cartesian product, the first name varying slowest. --seeds N adds the
seeds 0 to N-1 (or --seeds 1,5,9 those), varying fastest. --set NAME=VALUE
and --duration apply to every run.

Runs go -j at a time (default: the number of CPUs), each with an equal
share of the CPUs (GOMAXPROCS, unless set; with --slurm, --cpus). A
failed run is reported, with the end of its standard error in its
directory's stderr.txt, and the others go on. Ctrl-C starts no more runs
and stops those running after their current step (they keep their data
and summaries), then writes the tables; a second Ctrl-C ends vlec sweep
at once. Only one vlec sweep works in a DIR at a time. DIR/sweep.json,
the manifest, lists every run with its command. Running the same sweep
again resumes it: the runs that completed are skipped, the others
(missing, failed, interrupted) run again. Giving more values or seeds
for the same names adds runs to DIR; another model, other names or
other --set/--duration flags are refused.

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
at the same path; -j N lets at most N tasks run at a time). vlec sweep
status DIR follows the runs, vlec sweep collect DIR writes the tables.
Submitting the same sweep again submits only the runs that are neither
done nor waiting or running in the queue; a local sweep of the same DIR
leaves those alone too.

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
	fl.IntVarP(&f.jobs, "jobs", "j", runtime.NumCPU(), "runs at a time; with --slurm, at most this many tasks at a time (default: as Slurm allows)")
	fl.StringArrayVar(&f.set, "set", nil, "NAME=VALUE for every run (repeat for more)")
	fl.StringVar(&f.duration, "duration", "", "simulated time of every run instead of the model's (e.g. 20s)")
	fl.StringVar(&f.vlecBin, "vlec", "", "the vlec binary the runs execute (default: this one); with --slurm, its path on the compute nodes")
	fl.StringVar(&f.sim, "sim", "", "run the runs with this simulator of MODEL (made by vlec build) instead of vlec run; with --slurm, the nodes need only it")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no line per finished run")
	fl.BoolVar(&f.dryRun, "dry-run", false, "check everything and print each run's command and whether it would run, but run, submit and write nothing")
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
	if f.dryRun {
		return previewSweep(cmd, dir, next, f)
	}
	m, unlock, err := openSweepDir(dir, next)
	if err != nil {
		return err
	}
	defer unlock()
	runs := m.Select(settingsOf(next.Runs))
	if f.slurm {
		if cmd.Flags().Changed("jobs") {
			f.slurmOpt.Throttle = f.jobs // at most -j tasks at a time
		}
		return submitSweep(cmd, dir, m, runs, f.slurmOpt)
	}
	return runLocal(cmd, dir, m, runs, f)
}

// previewSweep is --dry-run: it prints each run of the sweep (merged
// with the one already in dir) with its id, its settings, whether it is
// done or would run, and its command, and writes nothing.
func previewSweep(cmd *cobra.Command, dir string, next *sweep.Manifest, f *sweepFlags) error {
	m := next
	if fileExists(filepath.Join(dir, sweep.ManifestFile)) {
		old, err := sweep.Load(dir)
		if err != nil {
			return err
		}
		if m, err = sweep.Merge(old, next); err != nil {
			return fmt.Errorf("-o %s: %v", dir, err)
		}
	} else if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("-o %s: the directory exists and holds no sweep (no %s): give a new or empty directory", dir, sweep.ManifestFile)
	}
	stdout := cmd.OutOrStdout()
	todo := 0
	for _, r := range m.Select(settingsOf(next.Runs)) {
		state := "done"
		if sweep.Inspect(dir, r).Status != sweep.StatusOK {
			state, todo = "to run", todo+1
		}
		fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\n", r.ID, r.Settings, state, shellLine(append([]string{m.Binary()}, r.Command(dir)...)))
	}
	where := "here, -j " + strconv.Itoa(f.jobs) + " at a time"
	if f.slurm {
		where = "as a Slurm job array"
	}
	fmt.Fprintf(stdout, "dry run: %d runs, %d to run %s; nothing was run or written\n", len(next.Runs), todo, where)
	return nil
}

// shellLine writes a command as sh reads it, quoting the arguments that
// need it.
func shellLine(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "" || strings.ContainsFunc(a, shellSpecial) {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

// shellSpecial reports whether sh reads c as more than itself.
func shellSpecial(c rune) bool {
	plain := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	return !plain && !strings.ContainsRune("-_./=+:,%@", c)
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
			fmt.Fprintf(stderr, "[%d/%d] %s: %s\n", done, total, r.Settings, describeResult(dir, r, res))
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

// describeResult says how run r of the sweep in dir ended, for its
// progress line.
func describeResult(dir string, r sweep.Run, res sweep.Result) string {
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
		s := "failed" + code + ": " + res.Message
		if stderr := filepath.Join(r.Dir, sweep.StderrFile); fileExists(filepath.Join(dir, stderr)) {
			s += " (see " + stderr + ")"
		}
		return s
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
