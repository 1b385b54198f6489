package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/codegen/golang"
	"github.com/vlec-dev/vlec/lang/check"
)

func newGenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Generate code for a model",
		Long:  "gen emits code specialised to one model; `vlec gen go` writes a Go module.",
	}
	cmd.AddCommand(newGenGoCmd())
	return cmd
}

func newGenGoCmd() *cobra.Command {
	var out, precision string
	var sets []string
	cmd := &cobra.Command{
		Use:   "go FILE -o DIR",
		Short: "Generate a Go simulator of a model (a library and a command)",
		Long: `gen go writes a self-contained Go module simulating the model into DIR: its
own go.mod (standard library only), the library package (New, Step, Run,
the states and parameters as exported fields) and the command
cmd/MODEL, which writes the model's records (CSV, .npy, .npz) and a
summary like vlec run, with its progress bar (flags -duration, -seed, -o,
-q, -set name=value). The generated code gives
the interpreter's numbers, ou noise included; it reads the model's data
files when it starts, from the absolute paths vlec resolved. Constructs
the generator does not support yet (method adjoint) are refused with
their position, and nothing is written. codegen/golang/doc.go describes the code.`,
		Example: "  vlec gen go examples/chain2.vle -o chain2sim\n  cd chain2sim && go run ./cmd/chain2 -duration 5s -o out",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("gen go: name the output directory with -o DIR")
			}
			files, _, err := generate(cmd.ErrOrStderr(), args[0], precision, sets)
			if err != nil {
				return err
			}
			if err := golang.Write(out, files); err != nil {
				return fmt.Errorf("writing %s: %v", out, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d files in %s\n", len(files), out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "output directory of the Go module")
	precisionFlag(cmd, &precision)
	setFlag(cmd, &sets)
	return cmd
}

func newBuildCmd() *cobra.Command {
	var out, precision string
	var sets []string
	cmd := &cobra.Command{
		Use:   "build FILE -o BIN",
		Short: "Compile a Go simulator of a model into an executable",
		Long: `build generates the Go simulator of the model (see vlec gen go) into a
temporary directory and compiles its command with the Go toolchain into
BIN. It needs the go command on the PATH.`,
		Example: "  vlec build examples/chain2.vle -o chain2\n  ./chain2 -duration 5s -o out",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("build: name the executable with -o BIN")
			}
			goCmd, err := exec.LookPath("go")
			if err != nil {
				return fmt.Errorf("build: the Go toolchain (the go command) is not on the PATH; install Go from https://go.dev/dl or use vlec gen go and build elsewhere")
			}
			files, pkg, err := generate(cmd.ErrOrStderr(), args[0], precision, sets)
			if err != nil {
				return err
			}
			return buildGenerated(cmd.ErrOrStderr(), goCmd, files, pkg, out)
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "the executable to write")
	precisionFlag(cmd, &precision)
	setFlag(cmd, &sets)
	return cmd
}

// precisionFlag adds --precision to cmd.
func precisionFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "precision", "", "float64 or float32: store every value in this precision instead of the model's sim precision (lang/SPEC.md, sim)")
}

// precisionOptions are the compile options of a --precision value.
func precisionOptions(precision string) (vlec.Options, error) {
	switch precision {
	case "", "float64", "float32":
		return vlec.Options{Precision: precision}, nil
	}
	return vlec.Options{}, fmt.Errorf("--precision %s: give float64 or float32", precision)
}

// setFlag adds --set to cmd.
func setFlag(cmd *cobra.Command, sets *[]string) {
	cmd.Flags().StringArrayVar(sets, "set", nil, "NAME=VALUE: override a const, param, population parameter (h.tau_m), sim, learn or task setting (lr, method, sim.duration) without editing the file; repeatable")
}

// compileOptions are the compile options of --precision and --set.
func compileOptions(precision string, sets []string) (vlec.Options, error) {
	opts, err := precisionOptions(precision)
	if err != nil {
		return opts, err
	}
	for _, s := range sets {
		o, err := check.ParseOverride(s)
		if err != nil {
			return opts, err
		}
		opts.Set = append(opts.Set, o)
	}
	return opts, nil
}

// goBuildEnv is the environment go build of generated code runs with:
// the module on its own (no workspace, no toolchain download).
var goBuildEnv = []string{"GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local"}

// generate compiles the model at path and generates its Go module,
// printing positioned errors; pkg is the generated command's directory.
func generate(stderr io.Writer, path, precision string, sets []string) (golang.Files, string, error) {
	opts, err := compileOptions(precision, sets)
	if err != nil {
		return nil, "", err
	}
	prog, sources, err := loadRun(stderr, path, opts)
	if err != nil {
		return nil, "", err
	}
	files, err := golang.Generate(prog, sources)
	if err != nil {
		printError(stderr, sources, err)
		return nil, "", exitError{exitBadInput}
	}
	return files, "./cmd/" + golang.PackageName(prog.Model.Name), nil
}

// buildGenerated writes files into a temporary directory and runs go
// build; a failing build is a bug of the generator, reported with the
// compiler's output and the generated files kept for the report.
func buildGenerated(stderr io.Writer, goCmd string, files golang.Files, pkg, out string) error {
	return buildGeneratedContext(context.Background(), stderr, goCmd, files, pkg, out, nil)
}

// buildGeneratedContext is buildGenerated with extra environment
// variables for go build; when ctx is cancelled it stops the build,
// removes its files and returns ctx's error.
func buildGeneratedContext(ctx context.Context, stderr io.Writer, goCmd string, files golang.Files, pkg, out string, env []string) error {
	dir, err := os.MkdirTemp("", "vlec-build-*")
	if err != nil {
		return err
	}
	if err := golang.Write(dir, files); err != nil {
		os.RemoveAll(dir)
		return err
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	c := exec.CommandContext(ctx, goCmd, "build", "-o", abs, pkg)
	c.Dir = dir
	c.Env = append(append(os.Environ(), goBuildEnv...), env...)
	output, err := c.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err != nil && ctx.Err() != nil:
		os.RemoveAll(dir)
		return ctx.Err()
	case errors.As(err, &ee):
		fmt.Fprintf(stderr, "%s", output)
		fmt.Fprintf(stderr, "vlec: internal error: go build failed on the generated code (kept in %s); please report it with the model\n", dir)
		return exitError{exitBadInput}
	case err != nil:
		os.RemoveAll(dir)
		return fmt.Errorf("build: running %s: %v", goCmd, err)
	}
	os.RemoveAll(dir)
	return nil
}
