package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
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
		out      string
		duration string
		seed     uint64
		quiet    bool
	)
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Simulate a model: learn, record, summarise",
		Long: `run derives the model's dynamics, simulates them with its teachers and
stimuli, learns from learn_after on, and writes every record declaration to
its file in the output directory (CSV, or NumPy .npy/.npz when the record
says so; by default MODEL.csv) and a run summary MODEL.summary.json (steps,
wall time, steps/s, cost over the first and the last 10% of learning).

On a terminal a progress bar shows the rate and the time left (-q turns it
off). Ctrl-C stops the run after the current step and keeps what was
recorded. A NaN or infinite value stops the run, names the variable, neuron,
batch element, step and time, keeps the data so far and exits with status 3.
Bad input (missing or malformed files, size mismatches, a record naming
nothing, an unwritable output directory) is reported before the run starts
and exits with status 1 without writing anything.`,
		Example: "  vlec run examples/chain2.vle -o out\n  vlec run examples/mlp.vle --duration 5s --seed 3 -q",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := runtime.RunOptions{OutDir: out}
			if cmd.Flags().Changed("seed") {
				opts.Seed, opts.SeedSet = seed, true
			}
			prog, err := loadWarned(cmd.ErrOrStderr(), args[0])
			if err != nil {
				return err
			}
			if duration != "" {
				if opts.Steps, err = flagSteps("--duration", duration, prog.Dt); err != nil {
					return err
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
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
			sum, err := runtime.Run(ctx, prog, opts)
			if bar != nil {
				bar.Clear()
			}
			if sum == nil { // nothing ran
				return err
			}
			report(cmd.OutOrStdout(), sum)
			var nf *runtime.NonFiniteError
			switch {
			case errors.As(err, &nf):
				fmt.Fprintf(stderr, "vlec: run stopped: %v\n", nf)
				return exitError{3}
			case errors.Is(err, context.Canceled):
				fmt.Fprintf(stderr, "vlec: interrupted after %d of %d steps; the data so far is kept\n", sum.Steps, sum.Planned)
				return exitError{130}
			}
			return err
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", ".", "output directory")
	cmd.Flags().StringVar(&duration, "duration", "", "simulated time instead of the model's, a whole number of steps (e.g. 30s, 500ms, 2min)")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "random seed instead of the model's")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
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

// report prints the short result of a run.
func report(w io.Writer, s *runtime.Summary) {
	fmt.Fprintf(w, "%s: %d steps (%gs simulated) in %.3gs, %.0f steps/s\n", s.Model, s.Steps, float64(s.Steps)*s.Dt, s.WallSeconds, s.StepsPerSecond)
	switch {
	case s.CostStart != nil:
		fmt.Fprintf(w, "cost: %.6g over the first 10%% of learning, %.6g over the last 10%%\n", *s.CostStart, *s.CostEnd)
	case s.LearnAfter >= s.Steps:
		fmt.Fprintf(w, "no learning (learning starts at step %d)\n", s.LearnAfter)
	}
	if len(s.Files) > 0 {
		fmt.Fprintf(w, "wrote %s\n", strings.Join(s.Files, ", "))
	}
}
