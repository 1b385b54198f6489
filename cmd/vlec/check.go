package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec"
)

func newCheckCmd() *cobra.Command {
	var full, strict bool
	cmd := &cobra.Command{
		Use:   "check FILE...",
		Short: "Check models and libraries for everything a run would refuse",
		Long: `check takes each .vle file through every phase a run goes through: parsing,
checking (names, sizes, shapes, units, time constants, imports, teacher
models, record files), the derivation of the dynamics from the energy, the
step program, and for method adjoint its reverse sweep. A library is only
checked. It prints nothing and exits 0 when every file is clean; otherwise
it prints every problem as file:line:col with the source line and a caret,
and exits 1. Warnings (file:line:col: warning: ..., settings that have no
effect) are printed the same way and do not change the exit status.`,
		Example: "  vlec check examples/chain2.vle examples/mlp.vle",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			failed, warned := false, 0
			for _, path := range args {
				c, sources, err := vlec.Check(path)
				if err != nil {
					fmt.Fprint(cmd.ErrOrStderr(), sources.Format(err))
					failed = true
				} else if c != nil {
					fmt.Fprint(cmd.ErrOrStderr(), formatWarnings(sources, c.Model.Warnings))
					warned += len(c.Model.Warnings) // the checker's warnings count under --strict too
					warned += checkStability(cmd, path, c, sources, full)
				}
			}
			if failed || strict && warned > 0 {
				return exitError{1}
			}
			return nil
		},
	}
	addStabilityFlags(cmd, &full, &strict)
	return cmd
}
