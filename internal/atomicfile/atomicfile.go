// Package atomicfile writes files that are either complete or absent:
// the data goes to a temporary file beside the target (a dot file of the
// same directory, so that the rename cannot cross file systems), which
// is renamed into place once it is complete. A reader sees the old file
// or the new one, never a part, and an error or an interruption leaves
// no partial file behind. vlec writes every output this way (runs,
// checkpoints, exports, figures, sweeps).
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// Mode is the permission of the files written (set explicitly, the
// umask aside: what os.WriteFile with 0644 gives under the common umask
// 022).
const Mode = 0o644

// A File is a file being written: its data goes to a temporary file
// until Commit renames it to the path it was created for. Abort, or a
// failed Commit, removes it.
type File struct {
	*os.File
	path string
}

// Create starts writing the file at path.
func Create(path string) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(Mode); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &File{File: f, path: path}, nil
}

// Path is the path the file is renamed to on Commit.
func (f *File) Path() string { return f.path }

// Commit closes the temporary file and renames it into place; on an
// error the temporary file is removed and the target is untouched.
func (f *File) Commit() error {
	err := f.File.Close()
	if err == nil {
		err = os.Rename(f.File.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.File.Name())
	}
	return err
}

// Abort closes and removes the temporary file; the target is untouched.
func (f *File) Abort() {
	f.File.Close()
	os.Remove(f.File.Name())
}

// WriteFile writes data to path, complete or not at all.
func WriteFile(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// WriteTo writes what w writes to path, complete or not at all.
func WriteTo(path string, w io.WriterTo) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if _, err := w.WriteTo(f); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}
