package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec/codegen/nir"
	"github.com/vlec-dev/vlec/internal/atomicfile"
	"github.com/vlec-dev/vlec/runtime"
)

func newExportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export a model to an exchange format",
		Long:  "export writes a model in a format other tools read: `vlec export nir` a NIR graph (HDF5) for neuromorphic frameworks and chips, `vlec export spice` an ngspice netlist of an analog circuit that computes (and with --learn learns) as the model does.",
	}
	cmd.AddCommand(newExportNIRCmd())
	cmd.AddCommand(newExportSpiceCmd())
	return cmd
}

func newExportNIRCmd() *cobra.Command {
	var out, from, phi, dtype string
	var at float64
	var sets []string
	cmd := &cobra.Command{
		Use:   "nir FILE -o NET.nir",
		Short: "Write the forward network with its parameters as a NIR graph (HDF5)",
		Long: `export nir writes the forward network of the model, with its current
parameters, as a graph of NIR, the Neuromorphic Intermediate Representation
(an HDF5 file in nir.write's layout, read by nir.read and the neuromorphic
frameworks): per population an LI node for the membrane, Scale junctions for
the input current and the prospective rate (1-k) u + k I with k = tau_r/tau_m,
Affine/Linear nodes for the connections (the bias on the first), Input and
Output nodes. The parameters are the model's initial values as a run would
draw them, or those of a checkpoint with --from. NIR has no node for tanh,
sigmoid, softplus, relu or exp: such a population is refused unless
--phi=linearize (its tangent at --at X) or --phi=drop (the identity); the
choice is printed and recorded in the graph's metadata, with the other
vlec values (tau_r, phi, time unit, whether the export is exact).
Teachers, losses and data sets are not part of the forward graph and are
noted. codegen/nir/doc.go describes the mapping.`,
		Example: "  vlec export nir examples/mlp.vle --phi=drop -o mlp.nir\n  vlec export nir examples/mnist1d/mnist1d.vle --from run/mnist1d.checkpoint.npz --phi=linearize -o mnist1d.nir",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("export nir: name the output file with -o NET.nir")
			}
			opts := nir.Options{Phi: phi, At: at, From: from, Generator: "vlec " + runtime.Build().String()}
			switch dtype {
			case "f64", "float64":
			case "f32", "float32":
				opts.Float32 = true
			default:
				return fmt.Errorf("--dtype %s: give f32 or f64", dtype)
			}
			if !cmd.Flags().Changed("at") {
				opts.At = 0
			} else if phi != nir.PhiLinearize {
				return fmt.Errorf("--at goes with --phi=linearize")
			}
			if err := checkWritable(out); err != nil {
				return err
			}
			copts, err := compileOptions("", sets)
			if err != nil {
				return err
			}
			prog, sources, err := loadRun(cmd.ErrOrStderr(), args[0], copts)
			if err != nil {
				return err
			}
			sim, err := runtime.New(prog, runtime.Options{})
			if err != nil {
				printError(cmd.ErrOrStderr(), sources, err)
				return exitError{exitBadInput}
			}
			if from != "" {
				if _, err := sim.LoadParams(from); err != nil {
					return fmt.Errorf("--from %s: %v", from, err)
				}
			}
			res, err := nir.Export(prog, sim.Values, opts)
			if err != nil {
				return fmt.Errorf("export nir %s: %v", args[0], err)
			}
			if err := res.Graph.WriteFile(out); err != nil {
				return fmt.Errorf("writing %s: %v", out, err)
			}
			w := cmd.OutOrStdout()
			for _, a := range res.Approximations {
				fmt.Fprintln(w, "approximated:", a)
			}
			for _, n := range res.Notes {
				fmt.Fprintln(w, "note:", n)
			}
			exact := "exact"
			if !res.Exact {
				exact = "approximate"
			}
			fmt.Fprintf(w, "wrote %s: %d nodes, %d edges (%s)\n", out, len(res.Graph.Nodes), len(res.Graph.Edges), exact)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "the NIR file to write")
	cmd.Flags().StringVar(&from, "from", "", "the parameters: a checkpoint (MODEL.checkpoint.npz) or an .npz of named arrays (W1, h.tau_m, ...)")
	cmd.Flags().StringVar(&phi, "phi", nir.PhiError, "an activation NIR has no node for: error (refuse), linearize (its tangent at --at) or drop (the identity)")
	cmd.Flags().Float64Var(&at, "at", 0, "the point of the tangent of --phi=linearize")
	cmd.Flags().StringVar(&dtype, "dtype", "f64", "the parameters' type in the file: f32 or f64")
	setFlag(cmd, &sets)
	return cmd
}

func newImportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import a model from an exchange format",
		Long:  "import writes a .vle model from a file of another format; `vlec import nir` reads a NIR graph.",
	}
	cmd.AddCommand(newImportNIRCmd())
	return cmd
}

func newImportNIRCmd() *cobra.Command {
	var out string
	var dt time.Duration
	cmd := &cobra.Command{
		Use:   "nir NET.nir -o MODEL.vle",
		Short: "Write a .vle model from a NIR graph",
		Long: `import nir reads a NIR graph (HDF5) of Input, Output, LI, CubaLI, Affine,
Linear and Scale nodes and writes the .vle model of it, with every
population's energy term mismatch(P), so that it can be trained with GLE
once a teacher and a loss are added. A graph vlec exported comes back as its
model (vlec's metadata gives phi, tau_r, the inputs' stimuli and dt). In a
graph made elsewhere an LI node's membrane is its output: it becomes a
population with tau_r = dt, at which vlec's rate is the membrane of the same
step, so that the model steps the graph by forward Euler at dt (--dt, else
1ms shortened to the shortest time constant). Chains of Affine, Linear and
Scale nodes compose into one matrix per source and population; a CubaLI node
becomes two populations. Spiking nodes, algebraic loops and Outputs that are
not a population's rate are refused with the node's name; notes say what the
import assumed. codegen/nir/doc.go describes the mapping.`,
		Example: "  vlec import nir net.nir -o net.vle\n  vlec import nir snn_readout.nir --dt 0.5ms -o readout.vle",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("import nir: name the model file to write with -o MODEL.vle")
			}
			if err := checkWritable(out); err != nil {
				return err
			}
			g, err := nir.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("import nir: %v", err)
			}
			name := strings.TrimSuffix(filepath.Base(out), filepath.Ext(out))
			imp, err := nir.Import(g, name, nir.ImportOptions{Dt: dt.Seconds()})
			if err != nil {
				return fmt.Errorf("import nir %s: %v", args[0], err)
			}
			for _, file := range slices.Sorted(maps.Keys(imp.Files)) {
				p := filepath.Join(filepath.Dir(out), file)
				if err := atomicfile.WriteFile(p, imp.Files[file]); err != nil {
					return fmt.Errorf("writing %s: %v", p, err)
				}
				fmt.Fprintln(cmd.OutOrStdout(), "wrote", p)
			}
			if err := atomicfile.WriteFile(out, imp.Source); err != nil {
				return fmt.Errorf("writing %s: %v", out, err)
			}
			for _, n := range imp.Notes {
				fmt.Fprintln(cmd.OutOrStdout(), "note:", n)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "the .vle file to write")
	cmd.Flags().DurationVar(&dt, "dt", 0, "the model's step (1ms, 100us); default: the graph's vlec.dt, else 1ms, shortened to the shortest time constant")
	return cmd
}

// checkWritable fails early, before any work, when path cannot be
// written: its directory is missing or not writable, or it is a
// directory.
func checkWritable(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("-o %s: a directory, not a file", path)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".vlec-write-check-*")
	if err != nil {
		return fmt.Errorf("-o %s: cannot write in %s: %v", path, dir, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}
