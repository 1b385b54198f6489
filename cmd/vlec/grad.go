package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/ir/adjoint"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/runtime"
)

func newGradCmd() *cobra.Command {
	var (
		window     string
		asJSON     bool
		checkpoint bool
		all        bool
		seed       uint64
	)
	cmd := &cobra.Command{
		Use:   "grad FILE --window T",
		Short: "Exact gradients of the loss over a window (adjoint method, BPTT)",
		Long: `grad runs the model's free dynamics (no nudging: gamma = 0, no learning)
for the first T seconds and computes, by the reverse sweep the IR derives
from the step program (the discrete adjoint, backpropagation through time),
the loss

    L = dt * sum_k sum_batch C_k

(C_k: the objective at the start of step k, the cost terms of the energy,
those without a mismatch, divided by the nudging strength beta, the factor
by which the energy weighs the task loss it marks with loss(...); without
regularisers C_k is the task loss itself) and its exact gradient with
respect to every plastic or learnable parameter (--all: every parameter:
weights, biases, time constants, model parameters). Names are those of
recordings: W0, h.b, h.tau_m.

By default it prints a table; --json prints
{"loss": L, "steps": K, "grad": {"W0": [[...]], "h.b": [...], ...}}.
--checkpoint stores about sqrt(K) states instead of K and recomputes the
rest (same numbers). A NaN or infinite loss or gradient names the parameter
and the step and exits with status 3; bad input exits with status 1.`,
		Example: "  vlec grad examples/chain2.vle --window 3s\n  vlec grad examples/mlp.vle --window 3s --json --all",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			stderr := cmd.ErrOrStderr()
			fwd, rev, err := loadFree(stderr, args[0])
			if err != nil {
				return err
			}
			K, err := windowSteps(fwd, window)
			if err != nil {
				return err
			}
			names := runtime.Plastic(fwd)
			if all {
				names = nil
				for _, b := range fwd.Buffers {
					if _, ok := rev.Grads[b.Name]; ok && b.Kind == schedule.Param {
						names = append(names, b.Name)
					}
				}
			}
			if len(names) == 0 {
				return fmt.Errorf("model %s has nothing plastic: mark a connection plastic or a parameter learnable (--all gives the gradient of every parameter)", fwd.Model.Name)
			}
			opts := runtime.Options{}
			if cmd.Flags().Changed("seed") {
				opts.Seed, opts.SeedSet = seed, true
			}
			sw, err := runtime.ExactGradient(fwd, rev, 0, K, checkpoint, opts)
			if err != nil {
				return nonFinite(stderr, err)
			}
			defer sw.Sim().Close()
			if err := dependsOnSome(fwd, sw, names); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeGradJSON(out, fwd, sw, K, names)
			}
			writeGradTable(out, fwd, sw, K, names)
			return nil
		},
	}
	cmd.Flags().StringVar(&window, "window", "", "the window: simulated time from the start, a whole number of steps (e.g. 3s, 500ms); required")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&checkpoint, "checkpoint", false, "store about sqrt(K) states and recompute the rest")
	cmd.Flags().BoolVar(&all, "all", false, "the gradient of every parameter, not only the plastic ones")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "random seed instead of the model's")
	return cmd
}

// loadFree compiles a model's free dynamics and their reverse sweep,
// printing positioned errors.
func loadFree(stderr io.Writer, path string) (*schedule.Program, *adjoint.Program, error) {
	c, err := compile(stderr, path, vlec.Options{Free: true})
	if err != nil {
		return nil, nil, err
	}
	return c.Program, c.Reverse, nil
}

// windowSteps reads --window as a number of steps of prog: a positive
// whole number of steps (the rule of a sim block's duration), no longer
// than the run.
func windowSteps(prog *schedule.Program, window string) (int, error) {
	if window == "" {
		return 0, fmt.Errorf("--window is required: the simulated time the loss covers, e.g. --window 3s")
	}
	K, err := flagSteps("--window", window, prog.Dt)
	if err != nil {
		return 0, err
	}
	if K > prog.Steps {
		return 0, fmt.Errorf("--window %s (%d steps) is longer than the run of model %s (%ss, %d steps)", window, K, prog.Model.Name, runtime.FormatTime(prog.Steps, prog.Dt), prog.Steps)
	}
	return K, nil
}

// nonFinite prints a NaN/Inf stop and turns it into exit status 3; other
// errors pass through (exit status 1).
func nonFinite(stderr io.Writer, err error) error {
	var nf *runtime.NonFiniteError
	var ng *runtime.NonFiniteGradientError
	if errors.As(err, &nf) || errors.As(err, &ng) {
		fmt.Fprintf(stderr, "vlec: stopped: %v\n", err)
		return exitError{3}
	}
	return err
}

// dependsOnSome refuses a loss whose gradient is exactly zero for every
// reported parameter.
func dependsOnSome(fwd *schedule.Program, sw *runtime.Sweep, names []string) error {
	for _, n := range names {
		for _, v := range sw.Grad(n) {
			if v != 0 {
				return nil
			}
		}
	}
	return fmt.Errorf("the loss of model %s does not depend on %s over this window: every gradient is exactly zero (does the cost read an output these parameters drive?)", fwd.Model.Name, strings.Join(names, ", "))
}

// shaped nests a parameter's values as its shape: a number, a list or a
// list of rows.
func shaped(b *schedule.Buffer, v []float64) any {
	switch b.Shape.Rank {
	case 0:
		return v[0]
	case 2:
		rows, cols := b.Shape.Rows(), b.Shape.Cols()
		m := make([][]float64, rows)
		for i := range m {
			m[i] = append([]float64(nil), v[i*cols:(i+1)*cols]...)
		}
		return m
	}
	return append([]float64(nil), v...)
}

// writeGradJSON prints {"loss", "steps", "grad"} with the parameters in
// model order and a matrix's rows one a line.
func writeGradJSON(w io.Writer, fwd *schedule.Program, sw *runtime.Sweep, K int, names []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "{\n  \"loss\": %s,\n  \"steps\": %d,\n  \"grad\": {", jsonNumber(sw.Loss()), K)
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(n)
		fmt.Fprintf(&b, "\n    %s: %s", key, jsonValue(shaped(fwd.Named[n], sw.Grad(n)), "    "))
	}
	b.WriteString("\n  }\n}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonNumber formats a float as JSON (shortest round-trip form).
func jsonNumber(v float64) string {
	data, err := json.Marshal(v)
	if err != nil { // NaN, Inf: not JSON
		return "null"
	}
	return string(data)
}

// jsonValue formats a number, a list or a matrix (rows one a line).
func jsonValue(v any, indent string) string {
	rows, ok := v.([][]float64)
	if !ok {
		data, _ := json.Marshal(v)
		return string(data)
	}
	var b strings.Builder
	b.WriteString("[")
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		data, _ := json.Marshal(r)
		fmt.Fprintf(&b, "\n%s  %s", indent, data)
	}
	fmt.Fprintf(&b, "\n%s]", indent)
	return b.String()
}

// writeGradTable prints the loss and, per parameter, its norm and (for up
// to 20 entries) every entry with its value.
func writeGradTable(w io.Writer, fwd *schedule.Program, sw *runtime.Sweep, K int, names []string) {
	fmt.Fprintf(w, "%s: loss %.10g over %d steps (%ss, dt = %gs, batch %d)\n", fwd.Model.Name, sw.Loss(), K, runtime.FormatTime(K, fwd.Dt), fwd.Dt, fwd.Batch)
	fmt.Fprintf(w, "%-14s %-10s %16s %20s\n", "parameter", "entry", "value", "dL/dparameter")
	for _, n := range names {
		b, g := fwd.Named[n], sw.Grad(n)
		vals := sw.Sim().Values(b)
		if len(g) > 20 {
			norm, big := 0.0, 0
			for i, v := range g {
				norm += v * v
				if math.Abs(v) > math.Abs(g[big]) {
					big = i
				}
			}
			fmt.Fprintf(w, "%-14s %-10s %16s %20.10g  (norm; largest %.6g at %s; --json for all %d)\n", n, b.Shape.String(), "", math.Sqrt(norm), g[big], runtime.EntryName(b, big), len(g))
			continue
		}
		for i, v := range g {
			fmt.Fprintf(w, "%-14s %-10s %16.8g %20.10g\n", n, runtime.EntryName(b, i), vals[i], v)
		}
	}
}
