package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/runtime/stability"
)

// stabilityReport runs the stability diagnostics (runtime/stability) on
// the step program of a compiled model. For every loop that will make a
// run oscillate or diverge it writes a warning to warn, positioned at the
// declaration of the connection or population to change
// (file:line:col: warning: ..., with the source line and a caret); with
// full it also writes the table of estimated gains per loop to table. It
// returns the number of warnings. A library (c == nil) has nothing to
// analyse. For method adjoint the free program, the one the exact
// gradient differentiates, is analysed; teachers run open loop and are
// not.
func stabilityReport(c *vlec.Compiled, sources lang.Sources, table, warn io.Writer, full bool) (int, error) {
	if c == nil || c.Program == nil || c.Model == nil {
		return 0, nil
	}
	rep, err := stability.Analyze(c.Program, nil)
	if err != nil {
		return 0, err
	}
	if full {
		fmt.Fprint(table, rep.Table())
		if c.Model.Sim.Method == check.Adjoint {
			fmt.Fprintln(table, "  note: method adjoint: the free dynamics are analysed (no errors, no learning)")
		}
	}
	n := 0
	for _, row := range rep.Rows {
		if row.Loop != stability.LoopStep || !row.Flagged() {
			continue
		}
		n++
		msg := rep.Warning(row)
		pos := declaration(c.Model, row)
		if pos.File == "" {
			fmt.Fprintln(warn, msg)
			continue
		}
		fmt.Fprint(warn, sources.Format(lang.ErrorList{{Pos: pos, Msg: msg}}))
	}
	return n, nil
}

// declaration is where a flagged row's connection, or else its
// population, is declared (the zero Pos when neither is known).
func declaration(m *check.Model, row stability.Row) lang.Pos {
	for _, c := range m.Connections {
		if row.Connection != "" && c.Name == row.Connection {
			return c.Pos
		}
	}
	for _, p := range m.Populations {
		if p.Name == row.Population {
			return p.Pos
		}
	}
	return lang.Pos{}
}

// addStabilityFlags adds check's --stability and --strict flags.
func addStabilityFlags(cmd *cobra.Command, full, strict *bool) {
	cmd.Flags().BoolVar(full, "stability", false, "print, per model, the estimated gain per step of every loop (whole step, neuron loop, error loop): the spectral radius of the step linearised after a few steps without learning")
	cmd.Flags().BoolVar(strict, "strict", false, "exit 1 when check warns; a stability warning (a loop that will make the run oscillate or diverge) counts")
}

// checkStability runs stabilityReport for check on a cleanly checked
// model (nothing for a library), writing the table to stdout and the
// warnings to stderr. It returns the number of warnings; an analysis that
// fails counts as one (the model is not finite within a few steps, or
// the runtime refuses it).
func checkStability(cmd *cobra.Command, path string, c *vlec.Compiled, sources lang.Sources, full bool) int {
	n, err := stabilityReport(c, sources, cmd.OutOrStdout(), cmd.ErrOrStderr(), full)
	var large *stability.TooLargeError
	if errors.As(err, &large) {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s: note: no stability analysis: %v\n", path, err)
		return 0
	}
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s: warning: no stability analysis: %v\n", path, err)
		return 1
	}
	return n
}
