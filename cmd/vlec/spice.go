package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/codegen/spice"
	"github.com/vlec-dev/vlec/internal/atomicfile"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/runtime"
)

func newExportSpiceCmd() *cobra.Command {
	var out, from, data string
	var sets []string
	var opts spice.Options
	cmd := &cobra.Command{
		Use:   "spice FILE -o NET.cir",
		Short: "Write the model as an analog circuit: a SPICE netlist that ngspice simulates",
		Long: `export spice writes the model as a self-contained SPICE netlist for ngspice,
generated from the derived equations: per neuron the membrane as an RC node
(R = --rscale, C = tau_m/R) with a zero-volt source in series with the
capacitor that senses its current C du/dt; the weights as G elements (gain
W/R) into the node, the biases as current sources, the prospective potential
as a B source v(u) + (tau_r R/tau_m) i(Vsense), the rate phi(uhat_r) as an
overflow-safe B source; stimuli as SIN sources (sums of sinusoids) or B
sources in time, file inputs as PWL sources through the values a run reads;
IC=0 with uic. Without flags the circuit is the free
forward dynamics (errors 0). --with-errors adds the error neurons (C =
tau_r/R), the nudging gamma e and the teacher models as sub-circuits;
--learn (implies --with-errors) makes every parameter that learns a
capacitor node charged by eta * -dE/dtheta (eta = lr/dt per second), which
sets its G element's gain. The netlist's control block runs the transient,
puts the results on the --tstep grid (linearize), writes the population
rates (and the cost and learned parameters) with wrdata to --data, and
quits with status 0:

  ngspice -b NET.cir

in the directory the data file should be written to. Parameters are the
model's initial values, or a checkpoint's with --from. A construct the
mapping cannot express (a softmax cost with --with-errors, data set inputs,
ou noise, optimizer adam with --learn) is refused with its position. codegen/spice/doc.go describes the mapping.`,
		Example: "  vlec export spice examples/chain2.vle -o chain2.cir --tstop 10\n  vlec export spice examples/chain2.vle --learn -o chain2_learn.cir\n  ngspice -b chain2_learn.cir   # writes chain2_learn.data",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("export spice: name the netlist to write with -o NET.cir")
			}
			if !(opts.Rscale > 0) {
				return fmt.Errorf("--rscale %v: give a positive resistance in ohms", opts.Rscale)
			}
			if err := checkWritable(out); err != nil {
				return err
			}
			if data == "" {
				data = strings.TrimSuffix(filepath.Base(out), filepath.Ext(out)) + ".data"
			}
			opts.Data, opts.From = data, from
			opts.Generator = "vlec " + runtime.Build().String()
			copts, err := compileOptions("", sets)
			if err != nil {
				return err
			}
			c, sources, err := vlec.Compile(args[0], copts)
			if err != nil {
				fmt.Fprint(cmd.ErrOrStderr(), sources.Format(err))
				return exitError{exitBadInput}
			}
			fmt.Fprint(cmd.ErrOrStderr(), formatWarnings(sources, c.Model.Warnings))
			sim, err := runtime.New(c.Program, runtime.Options{})
			if err != nil {
				printError(cmd.ErrOrStderr(), sources, err)
				return exitError{exitBadInput}
			}
			defer sim.Close()
			if from != "" {
				if _, err := sim.LoadParams(from); err != nil {
					return fmt.Errorf("--from %s: %v", from, err)
				}
			}
			opts.Teacher = func(t *check.Teacher) spice.Values {
				if ts := sim.Teacher(t); ts != nil {
					return ts.Values
				}
				return func(b *schedule.Buffer) []float64 { return b.Init }
			}
			opts.Series = func(bufs []*schedule.Buffer, steps int) ([][]float64, error) {
				return recordSeries(c.Program, bufs, steps)
			}
			res, err := spice.Export(c.System, c.Program, sim.Values, opts)
			if err != nil {
				printError(cmd.ErrOrStderr(), sources, fmt.Errorf("export spice %s: %w", args[0], err))
				return exitError{exitBadInput}
			}
			if err := atomicfile.WriteFile(out, res.Netlist); err != nil {
				return fmt.Errorf("writing %s: %v", out, err)
			}
			w := cmd.OutOrStdout()
			for _, n := range res.Notes {
				fmt.Fprintln(w, "note:", n)
			}
			fmt.Fprintf(w, "wrote %s: %d elements, %g s in steps of %g s; `ngspice -b %s` writes %s (%d columns after the time)\n",
				out, res.Elements, res.Tstop, res.Tstep, filepath.Base(out), strings.Join(res.DataFiles, ", "), len(res.Columns))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "out", "o", "", "the netlist to write")
	f.StringVar(&from, "from", "", "the parameters: a checkpoint (MODEL.checkpoint.npz) or an .npz of named arrays")
	f.StringVar(&data, "data", "", "the file the netlist's wrdata writes, as ngspice opens it (default: the netlist's base name with .data)")
	f.Float64Var(&opts.Tstop, "tstop", 0, "the transient's end time in seconds (default: the model's duration)")
	f.Float64Var(&opts.Tstep, "tstep", 0, "the output step in seconds (default: the model's dt)")
	f.BoolVar(&opts.WithErrors, "with-errors", false, "add the error neurons, the nudging and the teachers")
	f.BoolVar(&opts.Learn, "learn", false, "add the plasticity: learned parameters as capacitor nodes (implies --with-errors)")
	f.Float64Var(&opts.Rscale, "rscale", 1, "the membrane resistance in ohms; capacitances are tau/R, currents I/R")
	f.IntVar(&opts.Samples, "samples", 0, "export only the first N batch copies (0: all)")
	f.IntVar(&opts.MaxElements, "max-elements", spice.DefaultMaxElements, "refuse a circuit of more elements")
	setFlag(cmd, &sets)
	return cmd
}

// recordSeries steps a fresh simulator of prog and returns the values of
// bufs (file inputs, file teachers' targets) at each of the first steps
// steps, for the PWL sources of export spice.
func recordSeries(prog *schedule.Program, bufs []*schedule.Buffer, steps int) ([][]float64, error) {
	sim, err := runtime.New(prog, runtime.Options{NoGuard: true})
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	out := make([][]float64, len(bufs))
	for k := 0; k < steps; k++ {
		if err := sim.Step(); err != nil {
			return nil, err
		}
		for i, b := range bufs {
			out[i] = append(out[i], sim.Values(b)...)
		}
	}
	return out, nil
}
