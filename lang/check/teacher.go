package check

import (
	"math"
	"path/filepath"
	"strings"

	"github.com/vlec-dev/vlec/lang"
)

// checkTeacher builds a teacher: `model("file.vle", x = x)` runs another
// model on our inputs; `file("targets.csv")` reads targets.
func (c *checker) checkTeacher(d *lang.TeacherDecl) {
	s := c.globals[d.Name.Name]
	if s == nil || s.decl != lang.Decl(d) {
		return
	}
	t := &Teacher{Name: d.Name.Name, Pos: d.Name.At}
	if d.Data != nil {
		if !c.dataTeacher(t, d) {
			return
		}
		s.entity = t
		c.m.Teachers = append(c.m.Teachers, t)
		return
	}
	switch d.Source.Fun.Name {
	case "file":
		if d.Size == nil {
			c.errorf(d.Name.At, "a file teacher needs its size: teacher %s[N] = file(...)", t.Name)
			return
		}
		n, ok := c.size(d.Size, "teacher "+t.Name)
		path, okF := c.fileArg(d.Source, "a target", ".csv", ".npy")
		if !ok || !okF {
			return
		}
		t.Size, t.File = n, path
	case "model":
		if d.Size != nil {
			c.errorf(d.Size.Pos(), "a model teacher takes its sizes from the model; drop [..]")
		}
		if !c.teacherModel(t, d.Source) {
			return
		}
	default:
		c.errorf(d.Source.Fun.At, "a teacher is model(\"file.vle\", input = input, ...) or file(\"targets.csv\"), not %s(...)", d.Source.Fun.Name)
		return
	}
	s.entity = t
	c.m.Teachers = append(c.m.Teachers, t)
}

// dataTeacher binds a teacher to a data set's targets, `teacher T =
// digits.y`.
func (c *checker) dataTeacher(t *Teacher, d *lang.TeacherDecl) bool {
	ds, field, ok := c.dataField(d.Data)
	if !ok {
		c.errorf(d.Data.Pos(), "%s is not a dataset; a teacher is model(\"file.vle\", ...), file(\"targets.csv\") or a dataset's targets, D.y", describe(d.Data.X))
		return false
	}
	if ds == nil {
		return false
	}
	if field != "y" {
		c.errorf(d.Data.Sel.At, "a teacher takes a data set's targets, %s.y; its inputs %s.x go to an input: input x[N] = %s.x", ds.Name, ds.Name, ds.Name)
		return false
	}
	t.Data, t.Size = ds, ds.YSize
	if d.Size != nil {
		n, ok := c.size(d.Size, "teacher "+t.Name)
		if ok && ds.YSize > 0 && n != ds.YSize {
			c.errorf(d.Size.Pos(), "teacher %s has %d values, but dataset %s gives %d per step", t.Name, n, ds.Name, ds.YSize)
		}
	}
	return t.Size > 0
}

// teacherModel loads and checks the teacher's model and binds its inputs.
func (c *checker) teacherModel(t *Teacher, call *lang.CallExpr) bool {
	if len(call.Args) == 0 || call.Args[0].Name != nil {
		c.errorf(call.Lparen, "model needs the path of the teacher's .vle file first")
		return false
	}
	lit, ok := call.Args[0].Value.(*lang.StringLit)
	if !ok {
		c.errorf(call.Args[0].Value.Pos(), "model needs a path in double quotes")
		return false
	}
	path := c.u.resolvePath(lit.Value)
	abs, _ := filepath.Abs(path)
	if c.l.loading[abs] {
		c.errorf(lit.At, "teacher cycle: %s -> %s", strings.Join(c.l.chain, " -> "), path)
		return false
	}
	if !c.fileExists(path, lit.At) {
		return false
	}
	nerr := len(c.l.errs)
	u := c.l.readFile(path, lit.At)
	if u == nil {
		return false
	}
	if u.file.Model == nil {
		c.errorf(lit.At, "%s is a library, not a model; a teacher runs a model", path)
		return false
	}
	t.Model = c.l.checkUnit(u)
	if len(c.l.errs) > nerr {
		c.errorf(lit.At, "teacher model %s has errors (the first at %s)", path, c.l.firstErrorSince(nerr))
		return false
	}
	return c.bindTeacherInputs(t, call.Args[1:])
}

// bindTeacherInputs binds `name = ours` arguments: the teacher's input
// name is driven by our input ours.
func (c *checker) bindTeacherInputs(t *Teacher, args []*lang.Arg) bool {
	t.Bindings = map[string]*Input{}
	ok := true
	var names []string
	for _, in := range t.Model.Inputs {
		names = append(names, in.Name)
	}
	for _, a := range args {
		if a.Name == nil {
			c.errorf(a.At, "bind the teacher's inputs by name: teacher_input = our_input")
			ok = false
			continue
		}
		theirs := findInput(t.Model, a.Name.Name)
		if theirs == nil {
			c.errorf(a.Name.At, "teacher model %s has no input %s%s", t.Model.Name, a.Name.Name, didYouMean(a.Name.Name, names))
			ok = false
			continue
		}
		id, isID := a.Value.(*lang.Ident)
		var ours *Input
		if isID {
			if s, found := c.globals[id.Name]; found {
				ours, _ = s.entity.(*Input)
			}
		}
		if ours == nil {
			c.errorf(a.Value.Pos(), "%s must be bound to one of this model's inputs", a.Name.Name)
			ok = false
			continue
		}
		if ours.Size != theirs.Size {
			c.errorf(a.Value.Pos(), "teacher input %s has %d neurons but %s has %d", theirs.Name, theirs.Size, ours.Name, ours.Size)
			ok = false
			continue
		}
		t.Bindings[theirs.Name] = ours
	}
	if dt := t.Model.Sim.Dt; ok && math.Abs(dt-c.m.Sim.Dt) > 1e-12*dt {
		c.errorf(t.Pos, "teacher model %s has dt = %gs but this model has dt = %gs; a teacher steps with its student", t.Model.Name, dt, c.m.Sim.Dt)
		ok = false
	}
	return ok
}

func findInput(m *Model, name string) *Input {
	for _, in := range m.Inputs {
		if in.Name == name {
			return in
		}
	}
	return nil
}

// findPopulation finds a population of m by name.
func findPopulation(m *Model, name string) *Population {
	for _, p := range m.Populations {
		if p.Name == name {
			return p
		}
	}
	return nil
}
