package check

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/parser"
)

// An Override replaces one setting of a model without editing its file:
// `vlec run MODEL --set lr=0.1` is Override{Name: "lr", Value: "0.1"}.
// Name is a const or a param of the model (`beta`), a connection (its
// initial weights: `W0=[[0.5]]`, `W1=glorot(seed = 3)`), a sim, learn or task
// setting (`dt`, `sim.duration`, `lr`, `learn.lr.W0`, `task.epochs`), a
// population's parameter (`h.tau_m`) or a data set's setting
// (`digits.samples`); Value is written as in the source (`100s`, `le`,
// `[0.5, 1.0]`). The value is checked where the setting would be: a typo
// in the name gets a did-you-mean, a bad value the error the source
// would get, both positioned in the command line (OverrideSource).
type Override struct {
	Name, Value string
}

// String is the override as the flag gives it: NAME=VALUE.
func (o Override) String() string { return o.Name + "=" + o.Value }

// ParseOverride reads the text of a --set flag, NAME=VALUE.
func ParseOverride(flag string) (Override, error) {
	name, value, ok := strings.Cut(flag, "=")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || name == "" || value == "" {
		return Override{}, fmt.Errorf("--set %s: give NAME=VALUE, such as lr=0.1, h.tau_m=0.8, method=le or sim.duration=100s", flag)
	}
	return Override{Name: name, Value: value}, nil
}

// OverrideSource is the name of the pseudo-file the overrides' errors
// point into: one line per override, `--set NAME=VALUE`, drawn with a
// caret like a line of a model.
const OverrideSource = "command line"

// LoadOptions are the choices of LoadWith.
type LoadOptions struct {
	// Set are the overrides of settings of the top model (not of the
	// files it imports or of its teachers' models), applied in order
	// (the last of two for the same name wins).
	Set []Override
}

// LoadWith is Load with the model's settings overridden.
func LoadWith(path string, opts LoadOptions) (*Model, lang.Sources, error) {
	l := &loader{sources: lang.Sources{}, units: map[string]*unit{}, loading: map[string]bool{}, set: opts.Set}
	m := l.loadTop(path)
	if err := l.errs.Err(); err != nil {
		return nil, l.sources, err
	}
	return m, l.sources, nil
}

// override applies l.set to the top file's declarations. The file's
// tree is the loader's own (parsed for this load), so it is changed in
// place.
func (l *loader) override(f *lang.File) {
	if len(l.set) == 0 {
		return
	}
	var text strings.Builder
	for _, o := range l.set {
		fmt.Fprintf(&text, "--set %s=%s\n", o.Name, o.Value)
	}
	l.sources[OverrideSource] = []byte(text.String())
	if f.Model == nil {
		l.errs.Add(lang.Pos{File: OverrideSource, Line: 1, Col: 7}, "--set: %s is a library, which has no settings to set", f.Name)
		return
	}
	for i, o := range l.set {
		line := i + 1
		namePos := lang.Pos{File: OverrideSource, Line: line, Col: len("--set ") + 1}
		path, perr := parseName(o.Name, namePos)
		if perr != nil {
			l.errs = append(l.errs, perr)
			continue
		}
		value, err := parseValue(o, line)
		if err != nil {
			l.addParseError(err, namePos)
			continue
		}
		if serr := setIn(f, path, value, namePos); serr != nil {
			l.errs = append(l.errs, serr)
		}
	}
}

// parseName splits a dotted name into identifiers positioned in the
// command line.
func parseName(name string, at lang.Pos) ([]*lang.Ident, *lang.Error) {
	var path []*lang.Ident
	col := at.Col
	for part := range strings.SplitSeq(name, ".") {
		p := lang.Pos{File: at.File, Line: at.Line, Col: col}
		if !isIdent(part) {
			return nil, lang.Errorf(p, "--set: %q is not a name (NAME, POP.PARAM, sim.KEY, learn.KEY, task.KEY)", part)
		}
		path = append(path, &lang.Ident{At: p, Name: part})
		col += len(part) + 1
	}
	return path, nil
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// parseValue parses an override's value as an expression, positioned in
// its line of the command line: the line is parsed as `const v = VALUE`
// with the value at the column it has in `--set NAME=VALUE`.
func parseValue(o Override, line int) (lang.Expr, error) {
	prefix := len("--set ") + len(o.Name) + 1 // up to the value
	const decl = "const v"                    // then spaces and "="
	src := strings.Repeat("\n", line-1) + decl + strings.Repeat(" ", max(0, prefix-len(decl)-1)) + "=" + o.Value
	f, err := parser.Parse(OverrideSource, []byte(src))
	if err != nil {
		return nil, err
	}
	if len(f.Decls) != 1 {
		return nil, lang.ErrorList{lang.Errorf(lang.Pos{File: OverrideSource, Line: line, Col: prefix + 1}, "--set %s: the value must be one expression", o.Name)}
	}
	c, ok := f.Decls[0].(*lang.ConstDecl)
	if !ok {
		return nil, lang.ErrorList{lang.Errorf(lang.Pos{File: OverrideSource, Line: line, Col: prefix + 1}, "--set %s: the value must be one expression", o.Name)}
	}
	return c.Value, nil
}

// setIn replaces (or adds) the setting path names in f.
func setIn(f *lang.File, path []*lang.Ident, value lang.Expr, at lang.Pos) *lang.Error {
	first := path[0].Name
	var (
		sim     *lang.SimDecl
		learn   *lang.LearnDecl
		task    *lang.TaskDecl
		names   []string // every settable name, for did-you-mean
		consts  = map[string]lang.Decl{}
		pops    = map[string]*lang.PopulationDecl{}
		dataset = map[string]*lang.DatasetDecl{}
		conns   = map[string]*lang.ConnectDecl{}
	)
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *lang.SimDecl:
			sim = d
		case *lang.LearnDecl:
			learn = d
		case *lang.TaskDecl:
			task = d
		case *lang.ConstDecl:
			consts[d.Name.Name] = d
			names = append(names, d.Name.Name)
		case *lang.ParamDecl:
			consts[d.Name.Name] = d
			names = append(names, d.Name.Name)
		case *lang.PopulationDecl:
			pops[d.Name.Name] = d
			for _, p := range neuronParams {
				names = append(names, d.Name.Name+"."+p)
			}
		case *lang.ConnectDecl:
			conns[d.Name.Name] = d
			names = append(names, d.Name.Name)
		case *lang.DatasetDecl:
			dataset[d.Name.Name] = d
			for _, k := range datasetKeys {
				names = append(names, d.Name.Name+"."+k)
			}
		}
	}
	for _, k := range simKeys {
		names = append(names, k, "sim."+k)
	}
	if learn != nil {
		for _, k := range learnKeys {
			names = append(names, k, "learn."+k)
		}
	}
	if task != nil {
		for _, k := range taskKeys {
			names = append(names, k, "task."+k)
		}
	}
	dotted := func(p []*lang.Ident) string {
		s := make([]string, len(p))
		for i, id := range p {
			s[i] = id.Name
		}
		return strings.Join(s, ".")
	}
	unknown := func() *lang.Error {
		name := dotted(path)
		sort.Strings(names)
		return lang.Errorf(at, "--set %s: the model has no setting %s%s (settable: consts, params and connections' initial weights by name, POP.tau_m and the other population parameters, sim.KEY or KEY for %s, learn.KEY for %s, task.KEY)",
			name, name, didYouMean(name, names), strings.Join(simKeys, ", "), strings.Join(learnKeys, ", "))
	}
	setting := func(list *[]*lang.Setting, key []*lang.Ident) {
		k := dotted(key)
		for _, s := range *list {
			if dotted(s.Key) == k {
				s.Value = value
				return
			}
		}
		*list = append(*list, &lang.Setting{At: key[0].At, Key: key, Value: value})
	}
	// inBlock returns the key within block that path names: block.KEY
	// (block.KEY.SUB), or a bare KEY of keys (with its sub-keys when
	// subkeys, as lr.W0).
	inBlock := func(block string, keys []string, subkeys bool) ([]*lang.Ident, bool) {
		switch {
		case first == block && len(path) >= 2:
			return path[1:], true
		case slices.Contains(keys, first) && (subkeys || len(path) == 1):
			return path, true
		}
		return nil, false
	}
	if len(path) == 1 && consts[first] != nil {
		switch d := consts[first].(type) {
		case *lang.ConstDecl:
			d.Value = value
		case *lang.ParamDecl:
			d.Value = value
		}
		return nil
	}
	if key, ok := inBlock("sim", simKeys, false); ok {
		if sim == nil {
			sim = &lang.SimDecl{At: at}
			f.Decls = append(f.Decls, sim)
		}
		setting(&sim.Settings, key)
		return nil
	}
	if key, ok := inBlock("learn", learnKeys, true); ok {
		if learn == nil {
			return lang.Errorf(at, "--set %s: model %s has no learn block: it does not learn", dotted(path), f.Model.Name.Name)
		}
		setting(&learn.Settings, key)
		return nil
	}
	if key, ok := inBlock("task", taskKeys, false); ok {
		if task == nil {
			return lang.Errorf(at, "--set %s: model %s has no task block", dotted(path), f.Model.Name.Name)
		}
		setting(&task.Settings, key)
		return nil
	}
	switch {
	case len(path) == 1 && conns[first] != nil:
		conns[first].Init = value
	case len(path) == 2 && pops[first] != nil:
		p := pops[first]
		for _, a := range p.Args {
			if a.Name != nil && a.Name.Name == path[1].Name {
				a.Value = value
				return nil
			}
		}
		p.Args = append(p.Args, &lang.Arg{At: path[1].At, Name: path[1], Value: value})
	case len(path) >= 2 && dataset[first] != nil:
		setting(&dataset[first].Settings, path[1:])
	default:
		return unknown()
	}
	return nil
}
