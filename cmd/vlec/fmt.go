package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/format"
	"github.com/vlec-dev/vlec/parser"
)

func newFmtCmd() *cobra.Command {
	var write bool
	cmd := &cobra.Command{
		Use:   "fmt FILE...",
		Short: "Print models in canonical formatting",
		Long: `fmt prints each .vle file in canonical formatting (comments kept) to
standard output, or with -w rewrites the files in place. Formatting is
idempotent and does not change what a file means.`,
		Example: "  vlec fmt examples/chain2.vle\n  vlec fmt -w model.vle",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			failed := false
			for _, path := range args {
				if err := formatFile(cmd, path, write); err != nil {
					fmt.Fprint(cmd.ErrOrStderr(), err.Error())
					failed = true
				}
			}
			if failed {
				return exitError{1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&write, "write", "w", false, "rewrite the files instead of printing them")
	return cmd
}

// formatError is an already rendered diagnostic.
type formatError string

func (e formatError) Error() string { return string(e) }

// formatFile formats one file to stdout, or in place.
func formatFile(cmd *cobra.Command, path string, write bool) error {
	f, src, err := parser.ParseFile(path)
	if err != nil {
		return formatError(lang.Sources{path: src}.Format(err))
	}
	out := format.File(f)
	if !write {
		_, err := cmd.OutOrStdout().Write(out)
		return err
	}
	if bytes.Equal(out, src) {
		return nil
	}
	return writeFileAtomic(path, out)
}

// writeFileAtomic replaces path with data through a temporary file in the
// same directory, so a crash never leaves a half-written file.
func writeFileAtomic(path string, data []byte) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".vlec-fmt-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
