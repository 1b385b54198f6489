package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
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
idempotent and does not change what a file means; the canonical form has
no byte-order mark.

-w writes through symbolic links (the file a link points to is rewritten,
the link stays), replaces a file only once its new text is complete, keeps
its permissions, and refuses a file without write permission. A file that
is already canonical is not touched.`,
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
	raw, err := parser.ReadFile(path)
	if err != nil {
		return formatError(lang.Sources{}.Format(err))
	}
	f, err := parser.Parse(path, raw)
	if err != nil {
		src := bytes.TrimPrefix(raw, []byte(parser.BOM))
		return formatError(lang.Sources{path: src}.Format(err))
	}
	out := format.File(f)
	if !write {
		if _, err := cmd.OutOrStdout().Write(out); err != nil {
			return formatError(fmt.Sprintf("writing standard output: %v\n", err))
		}
		return nil
	}
	if bytes.Equal(out, raw) {
		return nil
	}
	if err := rewrite(path, out); err != nil {
		return formatError(lang.Sources{}.Format(err))
	}
	return nil
}

// rewrite replaces the contents of the file at path with data, for
// fmt -w. A symbolic link is followed: the file it points to is replaced
// within its own directory and the link stays. The new text goes to a
// temporary file next to the target that is renamed over it once complete,
// so an interrupted rewrite leaves the old file whole. The file keeps its
// permission bits (and its owner and group where the user may set them).
// Every error names the user's path.
func rewrite(path string, data []byte) error {
	at := lang.Pos{File: path}
	fail := func(format string, args ...any) error {
		return lang.ErrorList{lang.Errorf(at, format, args...)}
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fail("cannot rewrite: %v", pathErr(err))
	}
	if target != filepath.Clean(path) {
		at.File = fmt.Sprintf("%s (a link to %s)", path, target)
	}
	info, err := os.Stat(target)
	switch {
	case err != nil:
		return fail("cannot rewrite: %v", pathErr(err))
	case !info.Mode().IsRegular():
		return fail("cannot rewrite: not a regular file")
	case info.Mode().Perm()&0o222 == 0:
		return fail("not rewritten: the file is read-only (mode %v); make it writable (chmod u+w) or format to standard output without -w", info.Mode().Perm())
	}
	if err := canWrite(target); err != nil {
		return fail("not rewritten: you may not write this file (%v)", err)
	}
	if err := replace(target, info, data); err != nil {
		return fail("not rewritten: %v", err)
	}
	return nil
}

// canWrite reports whether the user may write the file at path, without
// changing it.
func canWrite(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return pathErr(err)
	}
	return f.Close()
}

// replace writes data to a temporary file in target's directory, gives it
// target's mode and owner, and renames it over target. The temporary file
// is removed on every failure.
func replace(target string, info fs.FileInfo, data []byte) (err error) {
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".vlec-fmt-*")
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("its directory %s is not writable (fmt -w writes the new text beside the file, then renames it over the file)", dir)
	}
	if err != nil {
		return fmt.Errorf("cannot create a temporary file in %s: %v", dir, pathErr(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("writing the new text: %v", pathErr(err))
	}
	keepOwner(tmp, info)
	if err := tmp.Chmod(info.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)); err != nil {
		return fmt.Errorf("keeping the file's mode: %v", pathErr(err))
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("writing the new text: %v", pathErr(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the new text: %v", pathErr(err))
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("cannot replace the file: %v", linkErr(err))
	}
	return nil
}

// pathErr drops the path that an *fs.PathError repeats (a temporary
// file's name means nothing to the user).
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// linkErr drops the paths of an *os.LinkError (from a rename).
func linkErr(err error) error {
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
