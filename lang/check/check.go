package check

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/stdlib"
)

// symbol is a name declared at the top level of the model or of a file it
// imports.
type symbol struct {
	name   string
	decl   lang.Decl
	unit   *unit
	state  int  // constant evaluation: 0 not yet, 1 in progress, 2 done
	val    cval // the value of a const
	entity any  // *Population, *Input, *Connection, *Teacher or *Param once built
}

// kindName names a declaration kind for messages, with its article ("a
// constant", "an input").
func (s *symbol) kindName() string {
	k := s.kind()
	if strings.ContainsRune("aeiou", rune(k[0])) {
		return "an " + k
	}
	return "a " + k
}

// kind names a declaration kind.
func (s *symbol) kind() string {
	switch s.decl.(type) {
	case *lang.ConstDecl:
		return "constant"
	case *lang.ParamDecl:
		return "parameter"
	case *lang.FuncDecl:
		return "function"
	case *lang.NeuronDecl:
		return "neuron kind"
	case *lang.InputDecl:
		return "input"
	case *lang.PopulationDecl:
		return "population"
	case *lang.ConnectDecl:
		return "connection"
	case *lang.TeacherDecl:
		return "teacher"
	case *lang.DatasetDecl:
		return "dataset"
	}
	return "name"
}

// checker checks one model (or library) file.
type checker struct {
	l         *loader
	u         *unit
	m         *Model
	globals   map[string]*symbol
	collected map[string]bool // units whose declarations are in globals
	importing []string        // display names of the imports being collected
	calls     []callSite      // function expansions in progress, outermost first
}

// callSite is a user function being expanded.
type callSite struct {
	name string
	at   lang.Pos
}

func newChecker(l *loader, u *unit) *checker {
	return &checker{l: l, u: u, globals: map[string]*symbol{}, collected: map[string]bool{}}
}

// errorf records a diagnostic. Inside a function expansion it is reported
// at the outermost call, in the user's own file, and says where in the
// function body the problem is.
func (c *checker) errorf(pos lang.Pos, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if len(c.calls) > 0 {
		inner := c.calls[len(c.calls)-1]
		msg += fmt.Sprintf(" (in %s, %s)", inner.name, pos)
		pos = c.calls[0].at
	}
	c.l.errs = append(c.l.errs, &lang.Error{Pos: pos, Msg: msg})
}

// collect declares the names of unit u and, recursively, of its imports.
func (c *checker) collect(u *unit, library bool) {
	if c.collected[u.key] {
		return
	}
	c.collected[u.key] = true
	c.importing = append(c.importing, u.name)
	defer func() { c.importing = c.importing[:len(c.importing)-1] }()
	for _, d := range u.file.Decls {
		switch d := d.(type) {
		case *lang.ImportDecl:
			c.importFile(u, d)
		case *lang.ConstDecl:
			c.declare(u, d.Name, d)
		case *lang.ParamDecl:
			c.declare(u, d.Name, d)
		case *lang.FuncDecl:
			c.declare(u, d.Name, d)
		case *lang.NeuronDecl:
			c.declare(u, d.Name, d)
		default:
			if library {
				c.errorf(d.Pos(), "%s: a library file (one without `model NAME`) may only hold import, const, param, fn and neuron declarations", u.name)
				continue
			}
			switch d := d.(type) {
			case *lang.InputDecl:
				c.declare(u, d.Name, d)
			case *lang.PopulationDecl:
				c.declare(u, d.Name, d)
			case *lang.ConnectDecl:
				c.declare(u, d.Name, d)
			case *lang.TeacherDecl:
				c.declare(u, d.Name, d)
			case *lang.DatasetDecl:
				c.declare(u, d.Name, d)
			}
		}
	}
}

// importFile collects the declarations of an imported library.
func (c *checker) importFile(from *unit, d *lang.ImportDecl) {
	path := d.Path.Value
	var u *unit
	if stdlib.IsStd(path) {
		u = c.l.readStd(path, d.Path.At)
	} else {
		u = c.l.readFile(from.resolvePath(path), d.Path.At)
	}
	if u == nil {
		return
	}
	for i, name := range c.importing {
		if name == u.name {
			cycle := append(append([]string(nil), c.importing[i:]...), u.name)
			c.errorf(d.Path.At, "import cycle: %s", strings.Join(cycle, " -> "))
			return
		}
	}
	if u.file.Model != nil {
		c.errorf(d.Path.At, "%s is a model, not a library; to run it alongside, use `teacher NAME = model(%q)`", u.name, path)
		return
	}
	c.collect(u, true)
}

// declare adds a top-level name, reporting a duplicate.
func (c *checker) declare(u *unit, name *lang.Ident, d lang.Decl) {
	if name == nil {
		return
	}
	if prev, ok := c.globals[name.Name]; ok {
		c.errorf(name.At, "%s redeclared; the %s %s is declared at %s", name.Name, prev.kind(), name.Name, prev.decl.Pos())
		return
	}
	if reserved[name.Name] {
		c.errorf(name.At, "%s is a reserved name (a builtin function or variable); choose another", name.Name)
		return
	}
	c.globals[name.Name] = &symbol{name: name.Name, decl: d, unit: u}
}

// names lists the declared names for which keep is true, for suggestions.
func (c *checker) names(keep func(*symbol) bool) []string {
	var out []string
	for n, s := range c.globals {
		if keep == nil || keep(s) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// checkLibrary checks a library file on its own: its constants, kinds and
// the names its functions use.
func (c *checker) checkLibrary() {
	c.collect(c.u, true)
	c.checkDefinitions()
}

// checkDefinitions evaluates every constant and parameter and checks the
// neuron kinds and function bodies that are declared.
func (c *checker) checkDefinitions() {
	for _, name := range c.names(nil) {
		s := c.globals[name]
		switch d := s.decl.(type) {
		case *lang.ConstDecl:
			c.constValue(s)
		case *lang.NeuronDecl:
			c.kindDefaults(d.Name.Name, d.Name.At, 0)
		case *lang.FuncDecl:
			c.checkFuncNames(d)
		}
	}
}

// checkModel checks a model file and builds the typed model.
func (c *checker) checkModel() *Model {
	f := c.u.file
	c.m = &Model{Name: f.Model.Name.Name, File: c.u.name}
	c.collect(c.u, false)
	c.checkDefinitions()
	c.checkSim()
	for _, d := range f.Decls {
		if d, ok := d.(*lang.DatasetDecl); ok {
			c.checkDataset(d)
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *lang.ParamDecl:
			c.checkParam(d)
		case *lang.InputDecl:
			c.checkInput(d)
		case *lang.PopulationDecl:
			c.checkPopulation(d)
		}
	}
	for _, s := range c.globals { // params declared in libraries
		if d, ok := s.decl.(*lang.ParamDecl); ok && s.entity == nil {
			c.checkParam(d)
		}
	}
	sort.Slice(c.m.Params, func(i, j int) bool { return c.m.Params[i].Pos.Before(c.m.Params[j].Pos) })
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *lang.ConnectDecl:
			c.checkConnect(d)
		case *lang.TeacherDecl:
			c.checkTeacher(d)
		}
	}
	c.checkTimeConstants()
	c.checkBlocks(f)
	return c.m
}

// checkBlocks checks the energy, learn and record blocks, each of which
// may appear once (record any number of times).
func (c *checker) checkBlocks(f *lang.File) {
	seen := map[string]lang.Pos{}
	once := func(kind string, at lang.Pos) bool {
		if prev, ok := seen[kind]; ok {
			c.errorf(at, "second %s block; the first is at %s (merge them)", kind, prev)
			return false
		}
		seen[kind] = at
		return true
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *lang.EnergyDecl:
			if once("energy", d.At) {
				c.checkEnergy(d)
			}
		case *lang.LearnDecl:
			if once("learn", d.At) {
				c.checkLearn(d)
			}
		case *lang.RecordDecl:
			c.checkRecord(d)
		case *lang.TaskDecl:
			if once("task", d.At) {
				c.checkTask(d)
			}
		}
	}
	c.checkDataUse(f)
	c.recordSamples()
	c.recordFiles()
	if _, ok := seen["learn"]; !ok {
		c.m.Learn = defaultLearn(c.m.Sim.Dt)
	}
	if _, ok := seen["energy"]; !ok {
		c.errorf(f.Model.At, "model %s has no energy block; the dynamics are derived from it (write at least `energy { mismatch(p) }` for each population p)", c.m.Name)
	}
}
