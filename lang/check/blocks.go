package check

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/vlec-dev/vlec/lang"
)

// checkEnergy checks every energy term: a scalar over the model's
// quantities. A term written as a sum (`mismatch(h) + mismatch(y)`) is
// split into its summands, so derived equations can name each one.
func (c *checker) checkEnergy(d *lang.EnergyDecl) {
	if len(d.Terms) == 0 {
		c.errorf(d.At, "empty energy block")
	}
	for _, t := range d.Terms {
		v, ok := c.check(t, &env{ctx: ctxEnergy})
		if !ok {
			continue
		}
		if v.e == nil || v.e.Shape() != Scalar {
			hint := ""
			if v.e != nil {
				hint = "; reduce it with sum(...) or sumsq(...)"
			}
			c.errorf(t.Pos(), "an energy term must be a scalar, but this one is %s%s", v.describe(), hint)
			continue
		}
		parts, src := summands(v.e, t), c.l.sources[c.u.name]
		for i, part := range parts {
			end := -1
			if i+1 < len(parts) {
				end = parts[i+1].op.Offset
			}
			c.m.Energy = append(c.m.Energy, &Term{Pos: part.ast.Pos(), Source: sourceText(src, part.ast.Pos().Offset, end), Expr: part.e})
		}
	}
}

// summand is one addend of a top-level sum: its checked form, its syntax
// and the position of the + before it.
type summand struct {
	e   Expr
	ast lang.Expr
	op  lang.Pos
}

// summands splits a checked scalar sum that mirrors the syntax tree.
func summands(e Expr, ast lang.Expr) []summand {
	be, ok1 := e.(*Binary)
	bs, ok2 := ast.(*lang.BinaryExpr)
	if !ok1 || !ok2 || be.Op != "+" || bs.Op != "+" || be.X.Shape() != Scalar || be.Y.Shape() != Scalar {
		return []summand{{e: e, ast: ast}}
	}
	left := summands(be.X, bs.X)
	return append(left, summand{e: be.Y, ast: bs.Y, op: bs.OpPos})
}

// sourceText is the text from offset start to end (or to the end of the
// line), without a trailing comment or separator.
func sourceText(src []byte, start, end int) string {
	if start < 0 || start >= len(src) {
		return ""
	}
	if end < 0 || end > len(src) {
		end = len(src)
	}
	text := string(src[start:end])
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	}
	if i := strings.Index(text, "//"); i >= 0 {
		text = text[:i]
	}
	return strings.TrimSpace(text[:termEnd(text)])
}

// termEnd is the length of the first term of text: up to a `;` that
// separates terms on one line or the `}` that closes the block (outside
// parentheses and brackets).
func termEnd(text string) int {
	depth := 0
	for i, r := range text {
		switch r {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		case ';', '}':
			if depth <= 0 {
				return i
			}
		}
	}
	return len(text)
}

var learnKeys = []string{"lr", "optimizer", "adam_beta1", "adam_beta2", "adam_eps", "tau_floor", "window"}

func defaultLearn(dt float64) Learn {
	return Learn{LR: 0, GroupLR: map[string]float64{}, Optimizer: "sgd", Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, TauFloor: dt}
}

// checkLearn checks the learn block.
func (c *checker) checkLearn(d *lang.LearnDecl) {
	l := defaultLearn(c.m.Sim.Dt)
	seen := map[string]bool{}
	for _, st := range d.Settings {
		key := settingKey(st)
		if seen[key] {
			c.errorf(st.At, "%s is set twice in the learn block", key)
			continue
		}
		seen[key] = true
		if st.Key[0].Name == "lr" && len(st.Key) > 1 {
			group := strings.Join(strings.Split(key, ".")[1:], ".")
			if c.checkGroup(group, st.Key[1].At) {
				l.GroupLR[group] = c.rate(st.Value, "lr."+group)
			}
			continue
		}
		switch key {
		case "lr":
			l.LR = c.rate(st.Value, "lr")
		case "optimizer":
			l.Optimizer, _ = c.word(st.Value, "optimizer", "sgd", "adam")
		case "adam_beta1":
			l.Beta1 = c.fraction(st.Value, key)
		case "adam_beta2":
			l.Beta2 = c.fraction(st.Value, key)
		case "adam_eps":
			l.Eps = c.rate(st.Value, key)
		case "tau_floor":
			var ok bool
			if l.TauFloor, ok = c.timeValue(st.Value, key); ok && c.m.Sim.Dt > 0 && belowDt(l.TauFloor, c.m.Sim.Dt) {
				c.errorf(st.Value.Pos(), "tau_floor = %gs is below dt = %gs: a learned tau_m must stay at least dt, or the Euler membrane update overshoots (raise tau_floor, or leave it out: it defaults to dt)", l.TauFloor, c.m.Sim.Dt)
			}
		case "window":
			c.learnWindow(&l, st)
		default:
			c.errorf(st.At, "unknown learn setting %s%s (settings: %s, lr.GROUP)", key, didYouMean(key, learnKeys), strings.Join(learnKeys, ", "))
		}
	}
	c.warnIgnoredLearn(d, l)
	c.m.Learn = l
}

// learnWindow checks the window of truncated exact-gradient training: a
// positive whole number of steps, no longer than the run.
func (c *checker) learnWindow(l *Learn, st *lang.Setting) {
	w, ok := c.timeValue(st.Value, "window")
	if !ok {
		return
	}
	n, exact := stepsOf(w, c.m.Sim.Dt)
	switch {
	case !exact || n < 1:
		c.errorf(st.Value.Pos(), "window %gs is not a positive whole number of steps of dt = %gs", w, c.m.Sim.Dt)
	case n > c.m.Sim.Steps:
		c.errorf(st.Value.Pos(), "window %gs is longer than the run (duration %gs)", w, c.m.Sim.Duration)
	default:
		l.Window = n
	}
}

// rate evaluates a non-negative dimensionless number.
func (c *checker) rate(e lang.Expr, what string) float64 {
	v, ok := c.dimValue(e, what, dimensionless, "a plain number")
	if ok && v < 0 {
		c.errorf(e.Pos(), "%s must not be negative, got %g", what, v)
	}
	return v
}

// fraction evaluates a number in [0, 1).
func (c *checker) fraction(e lang.Expr, what string) float64 {
	v, ok := c.dimValue(e, what, dimensionless, "a plain number")
	if ok && (v < 0 || v >= 1) {
		c.errorf(e.Pos(), "%s must be in [0, 1), got %g", what, v)
	}
	return v
}

// checkGroup checks the name of a parameter group in `lr.GROUP`: a
// connection, a model parameter, `POP.b` or `POP.tau_m`, or a kind of
// parameter across the model: W, b, tau_m.
func (c *checker) checkGroup(group string, at lang.Pos) bool {
	valid := []string{"W", "b", "tau_m"}
	for _, conn := range c.m.Connections {
		valid = append(valid, conn.Name)
	}
	for _, p := range c.m.Params {
		valid = append(valid, p.Name)
	}
	for _, p := range c.m.Populations {
		valid = append(valid, p.Name+".b", p.Name+".tau_m")
	}
	if contains(valid, group) {
		return true
	}
	c.errorf(at, "unknown parameter group %s%s (a connection, a param, POP.b, POP.tau_m, or W, b, tau_m)", group, didYouMean(group, valid))
	return false
}

// recordVars are the population quantities a recording may name.
var recordVars = []string{"u", "r", "e", "v", "uhat_m", "uhat_r", "I", "b", "tau_m", "tau_r"}

// recordReductions are the reductions of a recorded item over the
// record's interval: `record mean(y.r), sum(cost)`.
var recordReductions = []string{"mean", "sum"}

// checkRecord checks a record declaration.
func (c *checker) checkRecord(d *lang.RecordDecl) {
	rec := &Record{Pos: d.At, Every: 1}
	for _, item := range d.Items {
		op := ""
		if call, ok := item.(*lang.CallExpr); ok {
			if op, item = c.recordReduction(call); item == nil {
				continue
			}
		}
		if ref := c.recordItem(item); ref != nil {
			rec.Items = append(rec.Items, ref)
			rec.Reduce = append(rec.Reduce, op)
		}
	}
	if id, ok := d.Every.(*lang.Ident); ok && id.Name == "sample" && d.Unit == nil {
		rec.EverySample, rec.sampleAt = true, id.At // resolved by recordSamples
	} else if d.Every != nil {
		rec.Every = c.recordEvery(d)
	}
	if d.To != nil {
		rec.To = d.To.Value
		if !strings.HasSuffix(rec.To, ".csv") && !strings.HasSuffix(rec.To, ".npy") && !strings.HasSuffix(rec.To, ".npz") {
			c.errorf(d.To.At, "record writes .csv, .npy or .npz files, got %q", rec.To)
		} else if !filepath.IsLocal(rec.To) {
			c.errorf(d.To.At, "record file %q is outside the output directory; give a name inside it, such as %q (the directory is vlec run's -o)", rec.To, filepath.Base(rec.To))
		}
	}
	c.m.Records = append(c.m.Records, rec)
}

// recordFiles names the file of every record without one, <model>.csv
// (numbered <model>_1.csv, ... when several records have none), and
// refuses two records writing the same file.
func (c *checker) recordFiles() {
	unnamed := 0
	for _, r := range c.m.Records {
		if r.To == "" {
			unnamed++
		}
	}
	n := 0
	first := map[string]*Record{}
	for _, r := range c.m.Records {
		if r.To == "" {
			r.To = c.m.Name + ".csv"
			if unnamed > 1 {
				n++
				r.To = fmt.Sprintf("%s_%d.csv", c.m.Name, n)
			}
		}
		key := filepath.Clean(r.To)
		if prev, ok := first[key]; ok {
			c.errorf(r.Pos, "this record writes %s, which the record on line %d writes already; give one of them another file with `to \"NAME.csv\"`", r.To, prev.Pos.Line)
			continue
		}
		first[key] = r
	}
}

// recordReduction checks a reduced item, mean(X) or sum(X), and returns
// the reduction and X (nil after an error).
func (c *checker) recordReduction(call *lang.CallExpr) (string, lang.Expr) {
	name := call.Fun.Name
	if !contains(recordReductions, name) {
		c.errorf(call.Fun.At, "unknown reduction %s%s (a record reduces a quantity over its interval with mean or sum, such as mean(y.r))", name, didYouMean(name, recordReductions))
		return "", nil
	}
	if len(call.Args) != 1 || call.Args[0].Name != nil {
		c.errorf(call.Fun.At, "%s takes one recorded quantity: record %s(y.r)", name, name)
		return "", nil
	}
	x := call.Args[0].Value
	if inner, ok := x.(*lang.CallExpr); ok {
		c.errorf(inner.Fun.At, "reductions do not nest: %s reduces a recorded quantity over the interval, such as %s(y.r)", name, name)
		return "", nil
	}
	return name, x
}

// recordSamples resolves `every sample` to the steps of one sample of the
// task's data set, once the task is checked (it may follow the record).
func (c *checker) recordSamples() {
	for _, r := range c.m.Records {
		if !r.EverySample {
			continue
		}
		t := c.m.Task
		switch {
		case t == nil:
			c.errorf(r.sampleAt, "every sample needs a task's data set, and the model has no task block; write every N steps, or a time such as every 100ms")
		case t.Data != nil && t.Data.Steps > 0:
			r.Every = t.Data.Steps
		}
		// a task without a data set, or a data set without a length,
		// is reported by the task and the data set
	}
}

// recordEvery is the recording interval in steps: `every 10 steps` or a
// time that is a whole number of steps.
func (c *checker) recordEvery(d *lang.RecordDecl) int {
	if d.Unit != nil {
		if d.Unit.Name != "step" && d.Unit.Name != "steps" {
			c.errorf(d.Unit.At, "every N takes `steps` after the count, or a time such as 100ms; got %s", d.Unit.Name)
			return 1
		}
		n, _ := c.intValue(d.Every, "the recording interval", 1)
		return max(n, 1)
	}
	v, ok := c.scalar(d.Every)
	if !ok {
		return 1
	}
	if !v.d.known {
		c.errorf(d.Every.Pos(), "every needs a unit: `every 10 steps` or `every 100ms`")
		return 1
	}
	if v.d != timeDim {
		c.errorf(d.Every.Pos(), "every needs a step count or a time, got %s", v.d)
		return 1
	}
	n, exact := stepsOf(v.v, c.m.Sim.Dt)
	if !exact || n < 1 {
		c.errorf(d.Every.Pos(), "recording interval %gs is not a whole number of steps of dt = %gs", v.v, c.m.Sim.Dt)
		return 1
	}
	return n
}

// recordItem resolves a recorded path.
func (c *checker) recordItem(e lang.Expr) *Ref {
	path := flattenPath(e)
	if path == nil {
		if fix := reductionInside(e); fix != "" {
			c.errorf(e.Pos(), "write the reduction around the whole quantity: %s", fix)
			return nil
		}
		c.errorf(e.Pos(), "record names quantities such as h.u, y.r, W0, h.tau_m")
		return nil
	}
	s, ok := c.globals[path[0].Name]
	if !ok && path[0].Name == "cost" && len(path) == 1 {
		return &Ref{At: path[0].At, Kind: RefCost, Var: "cost", Shp: Scalar}
	}
	if !ok && path[0].Name == "energy" && len(path) == 1 {
		return &Ref{At: path[0].At, Kind: RefEnergy, Var: "energy", Shp: Scalar}
	}
	if !ok {
		c.errorf(path[0].At, "record: undefined: %s%s", path[0].Name, didYouMean(path[0].Name, c.names(nil)))
		return nil
	}
	at := path[0].At
	switch x := s.entity.(type) {
	case *Population:
		if len(path) != 2 {
			c.errorf(at, "record %s.VAR with VAR one of %s", x.Name, strings.Join(recordVars, ", "))
			return nil
		}
		return c.recordPopVar(x, path[1], RefState, nil)
	case *Teacher:
		if x.Model == nil && len(path) == 1 {
			return &Ref{At: at, Kind: RefTeacher, Teacher: x, Shp: Vector(x.Size)}
		}
		if x.Model == nil || len(path) != 3 {
			c.errorf(at, "record a teacher's quantity as %s.POP.VAR", x.Name)
			return nil
		}
		p := findPopulation(x.Model, path[1].Name)
		if p == nil {
			c.errorf(path[1].At, "teacher %s has no population %s%s", x.Name, path[1].Name, didYouMean(path[1].Name, popNames(x.Model)))
			return nil
		}
		return c.recordPopVar(p, path[2], RefTeacher, x)
	}
	if len(path) != 1 {
		c.errorf(path[1].At, "%s has no field %s", path[0].Name, path[1].Name)
		return nil
	}
	switch x := s.entity.(type) {
	case *Connection:
		return &Ref{At: at, Kind: RefWeight, Conn: x, Shp: Matrix(x.Dst.NodeSize(), x.Src.NodeSize())}
	case *Input:
		return &Ref{At: at, Kind: RefInput, Input: x, Shp: Vector(x.Size)}
	case *Param:
		return &Ref{At: at, Kind: RefScalar, Param: x, Shp: Scalar}
	case nil:
		switch s.decl.(type) {
		case *lang.PopulationDecl, *lang.InputDecl, *lang.ConnectDecl, *lang.TeacherDecl, *lang.ParamDecl:
			return nil // a broken declaration, already reported
		}
	}
	c.errorf(at, "cannot record %s, %s", path[0].Name, s.kindName())
	return nil
}

func (c *checker) recordPopVar(p *Population, sel *lang.Ident, kind RefKind, t *Teacher) *Ref {
	if !contains(recordVars, sel.Name) {
		c.errorf(sel.At, "population %s has no quantity %s%s (record: %s)", p.Name, sel.Name, didYouMean(sel.Name, recordVars), strings.Join(recordVars, ", "))
		return nil
	}
	if kind == RefState && contains(paramVars, sel.Name) {
		kind = RefParam
	}
	return &Ref{At: sel.At, Kind: kind, Pop: p, Teacher: t, Var: sel.Name, Shp: Vector(p.Size)}
}

// reductionInside returns, for a path selecting from a reduction such as
// mean(y).r, the reduction around the whole path, mean(y.r); or "".
func reductionInside(e lang.Expr) string {
	var sels []string
	for {
		sel, ok := e.(*lang.SelectorExpr)
		if !ok {
			break
		}
		sels = append([]string{sel.Sel.Name}, sels...)
		e = sel.X
	}
	call, ok := e.(*lang.CallExpr)
	if !ok || len(sels) == 0 || len(call.Args) != 1 {
		return ""
	}
	inner := flattenPath(call.Args[0].Value)
	if inner == nil {
		return ""
	}
	names := make([]string, 0, len(inner)+len(sels))
	for _, id := range inner {
		names = append(names, id.Name)
	}
	return call.Fun.Name + "(" + strings.Join(append(names, sels...), ".") + ")"
}

// flattenPath turns a.b.c into its identifiers, or nil.
func flattenPath(e lang.Expr) []*lang.Ident {
	switch e := e.(type) {
	case *lang.Ident:
		return []*lang.Ident{e}
	case *lang.SelectorExpr:
		head := flattenPath(e.X)
		if head == nil {
			return nil
		}
		return append(head, e.Sel)
	}
	return nil
}
