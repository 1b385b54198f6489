package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/runtime"
)

func newRunCmd() *cobra.Command {
	var (
		out       string
		duration  string
		seed      uint64
		quiet     bool
		maxMem    string
		backend   string
		precision string
		sets      []string
		resume    string
		from      string
		ckpt      bool
		plotFig   bool
	)
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Simulate a model: learn, record, summarise",
		Long: `run derives the model's dynamics, simulates them with its teachers and
stimuli, learns from learn_after on, and writes every record declaration to
its file in the output directory (CSV, or NumPy .npy/.npz when the record
says so; by default MODEL.csv) and a run summary MODEL.summary.json (steps,
wall time, steps/s, cost over the first and the last 10% of learning, the
vlec version, a SHA-256 of every file read, the settings, start and end
time, and why the run stopped). The output directory is -o DIR, or by
default a new directory runs/MODEL-YYYYmmdd-HHMMSS; the last line printed
names the files written. --plot then draws the recordings into
DIR/MODEL.png (see vlec plot).

On a terminal a progress bar shows the rate and the time left (-q turns it
off). Ctrl-C stops the run after the current step, keeps what was recorded
and exits with status 130 (a second Ctrl-C ends vlec at once). A NaN or
infinite value (a state, a parameter or the cost) stops the run, names the
quantity, entry, batch element, step and time, keeps the data so far and
exits with status 3. Bad input (missing or malformed files, a NaN or
infinite value in a data file, size mismatches, a record naming nothing,
an output that cannot be written, a model that needs more memory than the
machine has available or --max-memory allows) is reported before the run
starts and exits with status 1 without writing anything. lang/SPEC.md
(Outputs) describes the files.

--set NAME=VALUE (repeatable) overrides a setting of the model without
editing the file: a const or param by name (beta), a population parameter
(h.tau_m), a sim setting (dt, duration, seed, method, ..., or sim.KEY), a
learn setting (lr, lr.W0, optimizer, ..., or learn.KEY), a task setting
(epochs, or task.KEY) or a data set's (digits.samples). The value is
written as in the source (0.1, 100s, le, [0.5, 1.0]) and checked as the
source would be: an unknown name gets a did-you-mean, a bad value the
source's error, both pointing into the command line. The summary lists the
overrides under "set".

--backend go runs the model's generated Go simulator (see vlec gen go)
instead of the interpreter: the same records and report, the same exit
statuses, a summary with fewer fields. The simulator is compiled with the
Go toolchain (the go command) the first time, which takes about a second
(longer when Go has yet to build its standard library), and kept in a cache keyed by the generated code and the Go version, so
later runs of the unchanged model start at once. The cache is the
directory $VLEC_CACHE_DIR, by default vlec/go in the user's cache
directory (~/.cache/vlec/go on Linux); delete it at any time. The
generated simulator takes -o, --duration, --seed and -q, for a task
--resume and --from (and --set and --precision, applied when it is
generated: a new setting builds a new simulator); the other flags are
refused, as are the models the generator does not support yet: run
those with --backend interp.`,
		Example: "  vlec run examples/chain2.vle -o out\n  vlec run examples/mlp.vle --duration 5s --seed 3 -q\n  vlec run examples/chain2.vle --set lr=0.3 --set method=le --set sim.duration=100s\n  vlec run --backend go examples/chain2.vle",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkBackend(backend, backendInterp, backendGo); err != nil {
				return err
			}
			copts, err := compileOptions(precision, sets)
			if err != nil {
				return err
			}
			if backend == backendGo {
				if plotFig && out == "" {
					return fmt.Errorf("--plot with --backend go needs the output directory: give -o DIR")
				}
				err := runGoBackend(cmd, args[0], copts)
				if plotFig {
					return plotGoRun(cmd.OutOrStdout(), cmd.ErrOrStderr(), out, err)
				}
				return err
			}
			opts := runtime.RunOptions{OutDir: out, Resume: resume, From: from, Checkpoint: ckpt}
			if cmd.Flags().Changed("seed") {
				opts.Seed, opts.SeedSet = seed, true
			}
			prog, sources, err := loadRun(cmd.ErrOrStderr(), args[0], copts)
			if err != nil {
				return err
			}
			opts.Sources = sources
			if out == "" {
				opts.OutDir, opts.NewDir = runDir(prog.Model.Name, time.Now()), true
			}
			if duration != "" && prog.Model.Task != nil {
				return fmt.Errorf("--duration: model %s runs a task, whose epochs set its length (%s)", prog.Model.Name, prog.Model.Task)
			}
			if duration != "" {
				if opts.Steps, err = flagSteps("--duration", duration, prog.Dt); err != nil {
					return err
				}
			}
			if maxMem != "" {
				if opts.MaxMemory, err = runtime.ParseBytes(maxMem); err != nil {
					return fmt.Errorf("--max-memory: %v", err)
				}
			}
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			stderr := cmd.ErrOrStderr()
			var bar *progressbar.ProgressBar
			if !quiet && isTerminal(stderr) {
				steps := prog.Steps
				if opts.Steps > 0 {
					steps = opts.Steps
				}
				bar = progressbar.NewOptions(steps,
					progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription(prog.Model.Name),
					progressbar.OptionShowCount(),
					progressbar.OptionShowIts(),
					progressbar.OptionSetItsString("steps"),
					progressbar.OptionSetPredictTime(true),
					progressbar.OptionThrottle(100*time.Millisecond),
					progressbar.OptionClearOnFinish(),
					progressbar.OptionSetWidth(30))
				opts.Progress = func(done, total int) { bar.Set(done) }
				// Report often (the bar redraws at most every 100ms), so the
				// first rate and ETA it shows are measured, not guessed.
				opts.ProgressEvery = max(1, steps/10000)
			}
			if !quiet && prog.Model.Task != nil {
				opts.Epoch = func(m runtime.EpochMetrics, epochs int) {
					if bar != nil {
						bar.Clear()
						// the bar's label keeps the last epoch's test accuracy
						// (or loss) in view between the epoch lines
						bar.Describe(fmt.Sprintf("%s epoch %d/%d%s", prog.Model.Name, m.Epoch, epochs, m.Brief()))
					}
					fmt.Fprintf(stderr, "%s: %s\n", prog.Model.Name, m.Line(epochs))
				}
			}
			sum, err := runtime.Run(ctx, prog, opts)
			if bar != nil {
				bar.Clear()
			}
			rerr := runResult(cmd.OutOrStdout(), stderr, sources, sum, err)
			if plotFig && sum != nil && sum.Steps > 0 {
				return plotAfterRun(cmd.OutOrStdout(), stderr, sum.Dir, prog.Model, rerr)
			}
			return rerr
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "output directory (default: a new directory runs/MODEL-YYYYmmdd-HHMMSS)")
	cmd.Flags().StringVar(&duration, "duration", "", "simulated time instead of the model's, a whole number of steps (e.g. 30s, 500ms, 2min)")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "random seed instead of the model's")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	cmd.Flags().StringVar(&backend, "backend", backendInterp, "interp (the interpreter) or go (the generated Go simulator, compiled once and cached in $"+cacheEnv+")")
	precisionFlag(cmd, &precision)
	setFlag(cmd, &sets)
	cmd.Flags().StringVar(&maxMem, "max-memory", "", "most memory the model may need (e.g. 8GiB, 512MiB, 16GB; default: what the machine has available)")
	cmd.Flags().StringVar(&resume, "resume", "", "continue from the checkpoint of an earlier run of this model (MODEL.checkpoint.npz), bit for bit as if it had not stopped")
	cmd.Flags().StringVar(&from, "from", "", "initialise the parameters from the named arrays of a checkpoint or .npz (W1, h.tau_m, ...)")
	cmd.Flags().BoolVar(&ckpt, "checkpoint", false, "write MODEL.checkpoint.npz at the end (a task's run always does)")
	cmd.Flags().BoolVar(&plotFig, "plot", false, "draw the recordings into MODEL.png in the output directory at the end (see vlec plot)")
	return cmd
}

// loadProgram compiles a model into its step program, printing
// positioned errors.
func loadProgram(stderr io.Writer, path string) (*schedule.Program, error) {
	c, err := compile(stderr, path, vlec.Options{})
	if err != nil {
		return nil, err
	}
	return c.Program, nil
}

// compile runs vlec.Compile, printing positioned errors with carets.
func compile(stderr io.Writer, path string, opts vlec.Options) (*vlec.Compiled, error) {
	c, sources, err := vlec.Compile(path, opts)
	if err != nil {
		fmt.Fprint(stderr, sources.Format(err))
		return nil, exitError{1}
	}
	return c, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
