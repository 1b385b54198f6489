package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vlec-dev/vlec/lang"
)

// outputs are the files of a run, checked and opened before its first
// step: the recordings' temporary files exist, the summary's path can be
// written, and nothing is left behind when a check fails.
type outputs struct {
	dir         string
	created     []string // directories made for the run, outermost first
	recs        []*recorder
	summaryName string
	summaryPath string
}

// openOutputs makes the output directory (a fresh one when fresh is set,
// see RunOptions.NewDir), checks the summary's path and opens every
// recording. On failure it removes what it made and returns the error,
// positioned at the record declaration when one is at fault.
func openOutputs(dir string, fresh bool, model string, recs []*recorder) (*outputs, error) {
	if dir == "" {
		dir = "."
	}
	o := &outputs{recs: recs, summaryName: model + ".summary.json"}
	var err error
	if fresh {
		o.dir, o.created, err = freshDir(dir)
	} else {
		o.dir = dir
		o.created, err = mkdirAll(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("output directory %s: %v", dir, unwrapPath(err))
	}
	if err := o.open(); err != nil {
		o.abort()
		return nil, err
	}
	return o, nil
}

// open checks that the directory can be written and opens the files.
func (o *outputs) open() error {
	f, err := os.CreateTemp(o.dir, ".vlec-write-test*")
	if err != nil {
		return fmt.Errorf("output directory %s cannot be written: %v", o.dir, unwrapPath(err))
	}
	f.Close()
	os.Remove(f.Name())
	o.summaryPath = filepath.Join(o.dir, o.summaryName)
	if err := checkTarget(o.summaryPath); err != nil {
		return fmt.Errorf("cannot write the summary %s: %v", o.summaryPath, err)
	}
	for i, r := range o.recs {
		r.path = filepath.Join(o.dir, r.name)
		made, err := mkdirAll(filepath.Dir(r.path))
		o.created = append(o.created, made...)
		if err == nil {
			err = r.open()
		}
		if err != nil {
			o.recs = o.recs[:i] // the others are open
			return lang.ErrorList{lang.Errorf(r.pos, "cannot write %s: %v", r.path, unwrapPath(err))}
		}
	}
	return nil
}

// abort removes the temporary files and the directories made.
func (o *outputs) abort() {
	for _, r := range o.recs {
		r.abort()
	}
	for i := len(o.created) - 1; i >= 0; i-- {
		os.Remove(o.created[i]) // only when empty
	}
}

// checkTarget refuses an output path that exists and is not a regular
// file: a directory where the file should go fails before the run, not
// when the finished file is renamed into place.
func checkTarget(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.IsDir():
		return errors.New("it is a directory")
	case !fi.Mode().IsRegular():
		return errors.New("it is not a regular file")
	}
	return nil
}

// mkdirAll makes dir and its missing parents and returns those it made,
// outermost first.
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	var made []string
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			removeDirs(made)
			return nil, err
		}
		made = append(made, missing[i])
	}
	return made, nil
}

// freshDir makes a new directory base, or base-2, base-3, ... when the
// name is taken, with its missing parents.
func freshDir(base string) (string, []string, error) {
	made, err := mkdirAll(filepath.Dir(base))
	if err != nil {
		return "", nil, err
	}
	for i := 1; i <= 1000; i++ {
		dir := base
		if i > 1 {
			dir = fmt.Sprintf("%s-%d", base, i)
		}
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, append(made, dir), nil
		}
		if !errors.Is(err, fs.ErrExist) {
			removeDirs(made)
			return "", nil, err
		}
	}
	removeDirs(made)
	return "", nil, fmt.Errorf("%s-2 ... %s-1000 exist already", base, base)
}

// removeDirs removes directories made, innermost first, if empty.
func removeDirs(made []string) {
	for i := len(made) - 1; i >= 0; i-- {
		os.Remove(made[i])
	}
}

// unwrapPath drops the operation and path of a *fs.PathError, which the
// messages name themselves.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
