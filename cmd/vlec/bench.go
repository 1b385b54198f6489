package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/runtime"
)

// benchConfig is what vlec bench was asked for.
type benchConfig struct {
	wall    time.Duration // wall time per model, back end and round
	backend string        // backendInterp, backendGo or backendBoth
	rounds  int
	opts    vlec.Options // --precision
}

// timing is one timed run: its rate and the steps it timed.
type timing struct {
	rate  float64
	steps int
}

// timer times a model on one back end, one round per call.
type timer interface {
	time(ctx context.Context) (timing, error)
}

func newBenchCmd() *cobra.Command {
	var (
		wall      string
		cfg       benchConfig
		rounds    int
		precision string
	)
	cmd := &cobra.Command{
		Use:   "bench [MODEL...]",
		Short: "Measure the speed of the interpreter and the generated Go code in steps per second",
		Long: `bench runs each model, learning as the model says, for about --time of wall
time (or the model's duration, whichever comes first), and prints the steps
per second. Without arguments it runs the benchmark networks
examples/bench/n*.vle of the working directory (see BENCHMARKS.md).

--backend interp (the default) times the interpreter, recording nothing.
--backend go times the model's generated Go simulator (see vlec run
--backend go), compiled once through the same cache, untimed: the
simulator has no wall-time limit, so a few short runs estimate its rate
and the timed run is as many steps as fill --time; the rate is the one
its summary reports (the steps over the wall time of its run loop, which
includes writing the model's records into a temporary directory).
--backend both times the two, interleaved in the same process tree: each
of --rounds rounds runs the interpreter and then the generated simulator
on the model. It prints each back end's lowest and median rate, the ratio
go/interp of the medians, and the lowest and the median of the rounds'
own ratios. With --rounds N for one back end, steps/s is the median of N
rounds. --precision float32 (or float64) times the models in that
precision instead of their own.`,
		Example: "  vlec bench\n  vlec bench --time 5s examples/bench/n4.vle\n  vlec bench --backend both --time 1s examples/bench/n1.vle examples/bench/n2.vle",
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if cfg.wall, err = wallTime(wall); err != nil {
				return err
			}
			if err := checkBackend(cfg.backend, backendInterp, backendGo, backendBoth); err != nil {
				return err
			}
			if cfg.rounds, err = benchRounds(rounds, cmd.Flags().Changed("rounds"), cfg.backend); err != nil {
				return err
			}
			if cfg.opts, err = precisionOptions(precision); err != nil {
				return err
			}
			if len(args) == 0 {
				args, _ = filepath.Glob(filepath.Join("examples", "bench", "n*.vle"))
				if len(args) == 0 {
					return fmt.Errorf("no models given and no examples/bench/n*.vle here; name the models to time")
				}
			}
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			return bench(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), args, cfg)
		},
	}
	cmd.Flags().StringVar(&wall, "time", "2s", "wall time per model (and back end and round), a positive time as a .vle file writes it (e.g. 5s, 500ms, 2min)")
	cmd.Flags().StringVar(&cfg.backend, "backend", backendInterp, "interp (the interpreter), go (the generated Go simulator) or both, interleaved")
	cmd.Flags().IntVar(&rounds, "rounds", 0, "rounds per model (default 1 with one back end, 3 with both)")
	precisionFlag(cmd, &precision)
	return cmd
}

// benchRounds is the number of rounds: --rounds when set (at least
// one), else 3 for both back ends and 1 for one.
func benchRounds(rounds int, set bool, backend string) (int, error) {
	switch {
	case set && rounds < 1:
		return 0, fmt.Errorf("--rounds %d: give at least one round", rounds)
	case set:
		return rounds, nil
	case backend == backendBoth:
		return 3, nil
	}
	return 1, nil
}

// bench times each model and prints a table row per model.
func bench(ctx context.Context, out, stderr io.Writer, paths []string, cfg benchConfig) error {
	if cfg.backend == backendBoth {
		fmt.Fprintf(out, "%-10s %-24s %6s %12s %12s %12s %12s %9s %9s %9s\n", "model", "sizes", "batch",
			"interp min", "interp med", "go min", "go med", "go/interp", "round min", "round med")
	} else {
		fmt.Fprintf(out, "%-10s %-24s %6s %14s %8s\n", "model", "sizes", "batch", "steps/s", "steps")
	}
	for _, path := range paths {
		prog, timers, err := benchTimers(ctx, stderr, path, cfg)
		if err != nil {
			return err
		}
		results := make([][]timing, len(timers))
		for range cfg.rounds {
			for i, t := range timers {
				r, err := t.time(ctx)
				if err != nil {
					return benchError(ctx, stderr, path, err)
				}
				results[i] = append(results[i], r)
			}
		}
		if ctx.Err() != nil {
			return benchError(ctx, stderr, path, ctx.Err())
		}
		printBenchRow(out, prog, results)
	}
	return nil
}

// benchError reports an interruption (exit status 130) or the error of a
// model's timing.
func benchError(ctx context.Context, stderr io.Writer, path string, err error) error {
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "vlec: bench interrupted at %s\n", path)
		return exitError{exitInterrupted}
	}
	if _, ok := err.(exitError); ok {
		return err
	}
	return fmt.Errorf("%s: %v", path, err)
}

// benchTimers compiles the model at path and prepares its timers, in the
// order of a round: the interpreter's, then the generated simulator's
// (built and calibrated here, untimed).
func benchTimers(ctx context.Context, stderr io.Writer, path string, cfg benchConfig) (*schedule.Program, []timer, error) {
	prog, sources, err := loadQuiet(stderr, path, cfg.opts)
	if err != nil {
		return nil, nil, err
	}
	var timers []timer
	if cfg.backend != backendGo {
		timers = append(timers, interpTimer{prog, cfg.wall})
	}
	if cfg.backend != backendInterp {
		bin, err := goSimulator(ctx, stderr, prog, sources)
		if err != nil {
			return nil, nil, err
		}
		g := &goTimer{bin: bin, dt: prog.Dt, planned: prog.Steps}
		if err := g.calibrate(ctx, cfg.wall); err != nil {
			return nil, nil, benchError(ctx, stderr, path, err)
		}
		timers = append(timers, g)
	}
	return prog, timers, nil
}

// interpTimer times the interpreter (runtime.Bench).
type interpTimer struct {
	prog *schedule.Program
	wall time.Duration
}

func (t interpTimer) time(context.Context) (timing, error) {
	rate, n, err := runtime.Bench(t.prog, t.wall)
	return timing{rate, n}, err
}

// printBenchRow prints a model's row: for one back end the median rate
// and its steps; for both the rates' minima and medians and the ratios.
func printBenchRow(out io.Writer, prog *schedule.Program, results [][]timing) {
	head := fmt.Sprintf("%-10s %-24s %6d", prog.Model.Name, sizes(prog), prog.Batch)
	if len(results) == 1 {
		med := medianTiming(results[0])
		fmt.Fprintf(out, "%s %14.1f %8d\n", head, med.rate, med.steps)
		return
	}
	interp, gen := rates(results[0]), rates(results[1])
	ratios := make([]float64, len(interp))
	for i := range interp {
		ratios[i] = gen[i] / interp[i]
	}
	fmt.Fprintf(out, "%s %12.1f %12.1f %12.1f %12.1f %9.2f %9.2f %9.2f\n", head,
		slices.Min(interp), median(interp), slices.Min(gen), median(gen),
		median(gen)/median(interp), slices.Min(ratios), median(ratios))
}

func rates(ts []timing) []float64 {
	out := make([]float64, len(ts))
	for i, t := range ts {
		out[i] = t.rate
	}
	return out
}

// median is the middle value of xs, or the mean of the two middle ones.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// medianTiming is the timing of median rate (the lower middle one of an
// even count).
func medianTiming(ts []timing) timing {
	s := slices.Clone(ts)
	slices.SortFunc(s, func(a, b timing) int {
		switch {
		case a.rate < b.rate:
			return -1
		case a.rate > b.rate:
			return 1
		}
		return 0
	})
	return s[(len(s)-1)/2]
}

// wallTime reads --time: a positive time of at least a nanosecond that a
// time.Duration holds.
func wallTime(value string) (time.Duration, error) {
	secs, err := flagTime("--time", value)
	switch {
	case err != nil:
		return 0, err
	case secs < 1e-9:
		return 0, fmt.Errorf("--time %s is shorter than a nanosecond", value)
	case secs > math.MaxInt64/1e9:
		return 0, fmt.Errorf("--time %s is longer than %v", value, time.Duration(math.MaxInt64))
	}
	return time.Duration(secs * 1e9), nil
}

// sizes describes a model's layers: input sizes, then populations.
func sizes(p *schedule.Program) string {
	var in, pops []string
	for _, x := range p.Model.Inputs {
		in = append(in, fmt.Sprint(x.Size))
	}
	for _, x := range p.Model.Populations {
		pops = append(pops, fmt.Sprint(x.Size))
	}
	return strings.Join(append([]string{strings.Join(in, "+")}, pops...), "->")
}
