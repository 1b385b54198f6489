package main

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/runtime"
)

func newBenchCmd() *cobra.Command {
	var wall string
	cmd := &cobra.Command{
		Use:   "bench [MODEL...]",
		Short: "Measure the interpreter's speed in steps per second",
		Long: `bench runs each model with the interpreter, learning as the model says and
recording nothing, for about --time of wall time (or the model's duration,
whichever comes first), and prints the steps per second. Without arguments
it runs the benchmark networks examples/bench/n*.vle of the working
directory (see BENCHMARKS.md).`,
		Example: "  vlec bench\n  vlec bench --time 5s examples/bench/n4.vle",
		RunE: func(cmd *cobra.Command, args []string) error {
			dur, err := wallTime(wall)
			if err != nil {
				return err
			}
			if len(args) == 0 {
				args, _ = filepath.Glob(filepath.Join("examples", "bench", "n*.vle"))
				if len(args) == 0 {
					return fmt.Errorf("no models given and no examples/bench/n*.vle here; name the models to time")
				}
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%-10s %-24s %6s %14s %8s\n", "model", "sizes", "batch", "steps/s", "steps")
			for _, path := range args {
				prog, err := loadProgram(cmd.ErrOrStderr(), path)
				if err != nil {
					return err
				}
				rate, n, err := runtime.Bench(prog, dur)
				if err != nil {
					return fmt.Errorf("%s: %v", path, err)
				}
				fmt.Fprintf(out, "%-10s %-24s %6d %14.1f %8d\n", prog.Model.Name, sizes(prog), prog.Batch, rate, n)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&wall, "time", "2s", "wall time per model, a positive time as a .vle file writes it (e.g. 5s, 500ms, 2min)")
	return cmd
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
