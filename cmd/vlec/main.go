// Command vlec compiles and simulates energy-based neuronal circuits that
// learn with local rules. See README.md and lang/SPEC.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// exitError carries the process exit code of a failed command; its
// message has already been printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the CLI with args and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintln(stderr, "vlec:", err)
		return 1
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "vlec",
		Short: "Compile and simulate energy-based neuronal circuits that learn with local rules",
		Long: `vlec reads .vle models — neuron populations, connections and energy terms —
derives the neuron, error and synapse dynamics from the energy, and checks
and formats them, prints the derived equations and step program, simulates
and trains them, computes exact gradients (the adjoint method) and compares
the local learning rules with them, times the interpreter, and exports
the forward network as NIR graphs for neuromorphic hardware (and imports
them back).

The language is described in lang/SPEC.md; examples are in examples/.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newCheckCmd(), newFmtCmd(), newDeriveCmd())
	root.AddCommand(newRunCmd(), newEvalCmd(), newBenchCmd())
	root.AddCommand(newGradCmd(), newGradcheckCmd())
	root.AddCommand(newGenCmd(), newBuildCmd())
	root.AddCommand(newExportCmd(), newImportCmd())
	root.AddCommand(newPlotCmd(), newSweepCmd())
	root.AddCommand(newCompletionCmd())
	setVersion(root)
	return root
}
