package check

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/parser"
	"github.com/vlec-dev/vlec/stdlib"
)

// Load reads, parses and checks the .vle file at path together with the
// files it imports and the models its teachers run. It returns the checked
// model (nil for a library file, which holds only definitions), the
// sources read (for drawing error snippets) and every error found, as a
// sorted lang.ErrorList.
func Load(path string) (*Model, lang.Sources, error) {
	return LoadWith(path, LoadOptions{})
}

// loader reads files once each and remembers which models are being
// loaded, to report teacher cycles.
type loader struct {
	sources lang.Sources
	errs    lang.ErrorList
	units   map[string]*unit
	loading map[string]bool
	chain   []string // display names of the models being loaded, outermost first
	set     []Override
}

// unit is one parsed file.
type unit struct {
	key  string // absolute path, or the std import path
	name string // name in diagnostics
	dir  string // directory relative imports and files resolve against
	file *lang.File
}

// loadTop loads the file the user named.
func (l *loader) loadTop(path string) *Model {
	u := l.readFile(path, lang.Pos{})
	if u == nil {
		return nil
	}
	if u.file.Model == nil && len(u.file.Decls) == 0 {
		l.errs.Add(lang.Pos{File: u.name, Line: 1, Col: 1}, "empty file: a model starts with `model NAME`")
		return nil
	}
	l.override(u.file)
	if len(l.errs) > 0 {
		return nil
	}
	m := l.checkUnit(u)
	if m != nil {
		m.Set = l.set
	}
	return m
}

// checkUnit checks a model file, or a library file on its own.
func (l *loader) checkUnit(u *unit) *Model {
	l.loading[u.key] = true
	l.chain = append(l.chain, u.name)
	defer func() {
		delete(l.loading, u.key)
		l.chain = l.chain[:len(l.chain)-1]
	}()
	c := newChecker(l, u)
	if u.file.Model == nil {
		c.checkLibrary()
		return nil
	}
	return c.checkModel()
}

// readFile parses the file at path; at is where it was named (an import,
// a teacher), or the zero Pos for the top file.
func (l *loader) readFile(path string, at lang.Pos) *unit {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	if u, ok := l.units[abs]; ok {
		return u
	}
	f, src, err := parser.ParseFile(path)
	if src != nil {
		l.sources[path] = src
	}
	if err != nil {
		// Syntax errors only: checking a partial tree would add errors
		// that are consequences of the first.
		l.addParseError(err, at)
		return nil
	}
	u := &unit{key: abs, name: path, dir: filepath.Dir(path), file: f}
	l.units[abs] = u
	return u
}

// readStd parses a standard-library file.
func (l *loader) readStd(importPath string, at lang.Pos) *unit {
	if u, ok := l.units[importPath]; ok {
		return u
	}
	name, src, err := stdlib.Read(importPath)
	if err != nil {
		l.errs.Add(at, "no standard library file %q; the library has %s", importPath, strings.Join(stdlib.Names(), ", "))
		return nil
	}
	l.sources[name] = src
	f, err := parser.Parse(name, src)
	if err != nil {
		l.addParseError(err, at)
		return nil
	}
	u := &unit{key: importPath, name: name, file: f}
	l.units[importPath] = u
	return u
}

// addParseError records a parse or read error. Errors without a position
// (a missing file) are reported where the file was named.
func (l *loader) addParseError(err error, at lang.Pos) {
	for _, e := range lang.Diagnostics(err) {
		if !e.Pos.IsValid() && at.IsValid() {
			e = &lang.Error{Pos: at, Msg: e.Msg}
		}
		l.errs = append(l.errs, e)
	}
}

// resolvePath resolves a path written in file u relative to u's directory.
func (u *unit) resolvePath(p string) string {
	if filepath.IsAbs(p) || u.dir == "" {
		return p
	}
	return filepath.Join(u.dir, p)
}

// fileExists reports an error at pos unless path names a readable file.
func (c *checker) fileExists(path string, pos lang.Pos) bool {
	st, err := os.Stat(path)
	switch {
	case err != nil && os.IsNotExist(err):
		c.errorf(pos, "file %s does not exist", path)
	case err != nil:
		c.errorf(pos, "cannot read %s: %v", path, err)
	case st.IsDir():
		c.errorf(pos, "%s is a directory, not a file", path)
	default:
		return true
	}
	return false
}

// firstErrorSince is the position of the first, in file order, of the
// errors recorded after the first n: where a teacher's errors start,
// whether they print above or below the error that refers to them.
func (l *loader) firstErrorSince(n int) lang.Pos {
	first := l.errs[n].Pos
	for _, e := range l.errs[n+1:] {
		if e.Pos.Before(first) {
			first = e.Pos
		}
	}
	return first
}
