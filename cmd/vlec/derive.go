package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec/ir/schedule"
)

func newDeriveCmd() *cobra.Command {
	var latex, program, fused bool
	var sets []string
	cmd := &cobra.Command{
		Use:   "derive FILE",
		Short: "Print the dynamics derived from a model's energy",
		Long: `derive prints the equations vlec derives from the model's energy: for every
population the membrane equation with its input current, the rate, the
instantaneous error and the error of the credit-assignment method, and the
plasticity rule of every plastic parameter. Each equation names the energy
terms it came from.

With --latex the equations come as a LaTeX align* environment; with
--program the step program (the kernels of one time step) is printed, and
for method adjoint its reverse sweep. The two flags exclude each other.
--fused prints the step program as the back ends run it (implies
--program): parameter changes applied directly, and for a batch of one
the forward product, message and update of a connection in one pass over
its weights (see ir/schedule.Fuse).`,
		Example: "  vlec derive examples/chain2.vle\n  vlec derive --latex examples/mlp.vle > mlp.tex",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			program = program || fused
			if latex && program {
				return fmt.Errorf("--latex and --program cannot be combined: --latex prints the derived equations as LaTeX, --program the step program, which has no LaTeX form")
			}
			copts, err := compileOptions("", sets)
			if err != nil {
				return err
			}
			c, err := compile(cmd.ErrOrStderr(), args[0], copts)
			if err != nil {
				return err
			}
			sys, prog := c.System, c.Program
			out := cmd.OutOrStdout()
			switch {
			case program && c.Reverse != nil:
				fmt.Fprint(out, prog)
				fmt.Fprint(out, c.Reverse)
			case fused:
				fmt.Fprint(out, schedule.Fuse(prog))
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
	cmd.Flags().BoolVar(&fused, "fused", false, "print the step program with the back ends' fusions (implies --program)")
	setFlag(cmd, &sets)
	return cmd
}
