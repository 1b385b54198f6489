package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/internal/plot"
	"github.com/vlec-dev/vlec/lang/check"
)

func newPlotCmd() *cobra.Command {
	var (
		out      string
		vars     []string
		from, to string
		compare  bool
		logT     bool
		refs     []string
	)
	cmd := &cobra.Command{
		Use:   "plot RUNDIR...",
		Short: "Draw the recordings of a run, or compare runs",
		Long: `plot draws what a run recorded (the output directory of vlec run: its
CSV, .npy and .npz recordings, its summary and a task's metrics) as one
figure, a panel per kind of quantity: the stimulus, the target (dashed)
against the output, membrane potentials and rates and the errors of each
population, weights, biases, time constants and params, the cost and the
energy with its terms (a running mean over a fiftieth of the time shown
drawn over the faded min/max envelope, on a log scale when they span two
decades or more), and the loss and accuracy per epoch of a task. Long
recordings are read once, row by row, and reduced to the smallest and the
largest value per pixel column, so a run of any length draws in bounded
memory. A panel shows at most 10 series of a run (the first entry of
each quantity first); a note on stderr says what it left out.

--compare overlays several runs (one colour per run, e.g. the same task
learned with le, gle and adjoint). --vars chooses the quantities by the
names they were recorded under (y.r, W0, h.tau_m, cost, energy,
mean(y.r), a single column y.r[0][1], test.accuracy, or metrics); --from
and --to limit the time shown; --logt puts time on a log axis; --ref
W0=1,h.tau_m=1 draws reference values (a teacher's) as dotted lines.
The image type follows -o: .png, .svg or .pdf; the default is
RUNDIR/MODEL.png (compare.png for --compare). The file is written whole
or not at all.`,
		Example: "  vlec plot runs/chain2-20250101-120000\n  vlec plot out --vars y.r,T.y.r,cost --from 20s -o fit.svg\n  vlec plot --compare runs/gle runs/le runs/adjoint --vars W0,W1,h.tau_m,y.tau_m --ref W0=1,W1=2 --logt -o lagline.png",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 && !compare {
				return fmt.Errorf("%d run directories given: draw one, or overlay several with --compare", len(args))
			}
			opts := plot.Options{Vars: splitVars(vars), From: math.NaN(), To: math.NaN(), LogTime: logT}
			var err error
			if opts.Refs, err = parseRefs(refs); err != nil {
				return err
			}
			if opts.From, err = flagBound("--from", from); err != nil {
				return err
			}
			if opts.To, err = flagBound("--to", to); err != nil {
				return err
			}
			if opts.From >= opts.To {
				return fmt.Errorf("--from %s is not before --to %s", from, to)
			}
			runs := make([]*plot.Run, len(args))
			for i, dir := range args {
				if runs[i], err = plot.OpenRun(dir); err != nil {
					return err
				}
				opts.Names = append(opts.Names, modelNames(runs[i]))
			}
			if out == "" {
				out = defaultPlotFile(runs, compare)
			}
			return drawPlot(cmd.OutOrStdout(), cmd.ErrOrStderr(), runs, opts, out)
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "image file: .png, .svg or .pdf (default RUNDIR/MODEL.png, or compare.png)")
	cmd.Flags().StringSliceVar(&vars, "vars", nil, "quantities to draw, comma-separated (default: everything recorded)")
	cmd.Flags().StringVar(&from, "from", "", "first time shown (e.g. 10s, 2min)")
	cmd.Flags().StringVar(&to, "to", "", "last time shown")
	cmd.Flags().BoolVar(&compare, "compare", false, "overlay the runs given")
	cmd.Flags().StringSliceVar(&refs, "ref", nil, "reference values drawn as dotted lines, NAME=VALUE comma-separated (W0=1,h.tau_m=1)")
	cmd.Flags().BoolVar(&logT, "logt", false, "time on a log axis: the first seconds and the end of a long run in one figure")
	return cmd
}

// drawPlot draws runs into out, prints the notes on stderr and the file
// written on stdout.
func drawPlot(stdout, stderr io.Writer, runs []*plot.Run, opts plot.Options, out string) error {
	notes, err := plot.Figure(runs, opts, out)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(stderr, "vlec plot: note:", n)
	}
	_, err = fmt.Fprintf(stdout, "wrote %s\n", out)
	return err
}

// splitVars trims the --vars entries and drops empty ones.
func splitVars(vars []string) []string {
	var out []string
	for _, v := range vars {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// parseRefs reads the --ref entries NAME=VALUE.
func parseRefs(refs []string) ([]plot.Ref, error) {
	var out []plot.Ref
	for _, r := range refs {
		name, value, ok := strings.Cut(strings.TrimSpace(r), "=")
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if !ok || name == "" || err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("--ref %s: give NAME=VALUE with a finite number, such as W0=1", r)
		}
		out = append(out, plot.Ref{Name: strings.TrimSpace(name), Value: v})
	}
	return out, nil
}

// flagBound reads --from or --to: a time, NaN when not given.
func flagBound(name, value string) (float64, error) {
	if value == "" {
		return math.NaN(), nil
	}
	t, err := check.ParseTime(value)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %v", name, value, err)
	}
	return t, nil
}

// defaultPlotFile is RUNDIR/MODEL.png for one run, compare.png for a
// comparison.
func defaultPlotFile(runs []*plot.Run, compare bool) string {
	if compare {
		return "compare.png"
	}
	return filepath.Join(runs[0].Dir, runs[0].Label()+".png")
}

// modelNames reads how the run's model names its quantities from the
// model file its summary names, when that file is still there and
// compiles; otherwise plot falls back on the names' shapes.
func modelNames(r *plot.Run) plot.Names {
	if r.Summary == nil || r.Summary.ModelFile == "" {
		return plot.Names{}
	}
	if _, err := os.Stat(r.Summary.ModelFile); err != nil {
		return plot.Names{}
	}
	c, _, err := vlec.Compile(r.Summary.ModelFile, vlec.Options{})
	if err != nil || c.Model.Name != r.Summary.Model {
		return plot.Names{}
	}
	return plot.NamesOf(c.Model)
}

// plotAfterRun is vlec run --plot: the figure of the run in dir, drawn
// unless the run was interrupted, as DIR/MODEL.png. A run that stopped on
// a non-finite value is drawn too (up to where it stopped), and keeps its
// exit status; a figure that cannot be drawn fails a run that succeeded.
func plotAfterRun(stdout, stderr io.Writer, dir string, m *check.Model, runErr error) error {
	var ee exitError
	if errors.As(runErr, &ee) && ee.code == exitInterrupted {
		return runErr
	}
	run, err := plot.OpenRun(dir)
	if err == nil {
		opts := plot.Options{From: math.NaN(), To: math.NaN(), Names: []plot.Names{plot.NamesOf(m)}}
		err = drawPlot(stdout, stderr, []*plot.Run{run}, opts, filepath.Join(dir, m.Name+".png"))
	}
	if err != nil {
		fmt.Fprintf(stderr, "vlec: --plot: %v\n", err)
		if runErr == nil {
			return exitError{exitBadInput}
		}
	}
	return runErr
}

// plotGoRun is vlec run --backend go --plot: the figure of the
// simulator's run in dir when it ran (completed or stopped on a
// non-finite value), with the names read from the model file.
func plotGoRun(stdout, stderr io.Writer, dir string, runErr error) error {
	var ee exitError
	if runErr != nil && (!errors.As(runErr, &ee) || ee.code != exitNonFinite) {
		return runErr
	}
	run, err := plot.OpenRun(dir)
	if err == nil {
		model := run.Label()
		opts := plot.Options{From: math.NaN(), To: math.NaN(), Names: []plot.Names{modelNames(run)}}
		err = drawPlot(stdout, stderr, []*plot.Run{run}, opts, filepath.Join(dir, model+".png"))
	}
	if err != nil {
		fmt.Fprintf(stderr, "vlec: --plot: %v\n", err)
		if runErr == nil {
			return exitError{exitBadInput}
		}
	}
	return runErr
}
