package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec/ir/derive"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
)

func newDeriveCmd() *cobra.Command {
	var latex, program bool
	cmd := &cobra.Command{
		Use:   "derive FILE",
		Short: "Print the dynamics derived from a model's energy",
		Long: `derive prints the equations vlec derives from the model's energy: for every
population the membrane equation with its input current, the rate, the
instantaneous error and the error of the credit-assignment method, and the
plasticity rule of every plastic parameter. Each equation names the energy
terms it came from.

With --latex the equations come as a LaTeX align* environment; with
--program the step program (the kernels of one time step) is printed.`,
		Example: "  vlec derive examples/chain2.vle\n  vlec derive --latex examples/mlp.vle > mlp.tex",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, sources, err := check.Load(args[0])
			if err == nil && m == nil {
				err = fmt.Errorf("%s is a library (it has no `model NAME` header); derive needs a model", args[0])
			}
			var sys *derive.System
			if err == nil {
				sys, err = derive.Derive(m)
			}
			var prog *schedule.Program
			if err == nil && program {
				prog, err = schedule.Schedule(sys)
			}
			if err != nil {
				fmt.Fprint(cmd.ErrOrStderr(), sources.Format(err))
				return exitError{1}
			}
			out := cmd.OutOrStdout()
			switch {
			case program:
				fmt.Fprint(out, prog)
			case latex:
				fmt.Fprint(out, sys.LaTeX())
			default:
				fmt.Fprint(out, sys)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&latex, "latex", false, "print the equations as LaTeX")
	cmd.Flags().BoolVar(&program, "program", false, "print the step program instead of the equations")
	return cmd
}
