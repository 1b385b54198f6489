package check

import (
	"strings"

	"github.com/vlec-dev/vlec/lang"
)

// context is where an expression is checked; it decides which names and
// functions are visible.
type context int

const (
	ctxEnergy     context = iota // energy terms: population quantities, weights, params
	ctxStim                      // stimuli: t, i, b, constants, generators
	ctxActivation                // activation bodies: the argument and constants
)

// env is the scope of an expression: the context and the local names (the
// parameters of the function being expanded).
type env struct {
	ctx    context
	locals map[string]value
}

// value is the result of checking an expression: a typed expression with
// its dimension, or a model entity that only a selector or a function
// argument can use (a population, a teacher, a teacher's population).
type value struct {
	e       Expr
	d       dim
	pop     *Population // a population (of the model or of a teacher)
	teacher *Teacher
}

// describe names what a value is, for messages.
func (v value) describe() string {
	switch {
	case v.teacher != nil && v.pop != nil:
		return "population " + v.pop.Name + " of teacher " + v.teacher.Name
	case v.teacher != nil:
		return "teacher " + v.teacher.Name
	case v.pop != nil:
		return "population " + v.pop.Name + " (select a quantity: " + v.pop.Name + ".r, " + v.pop.Name + ".u, ...)"
	case v.e != nil:
		return "a " + v.e.Shape().String()
	}
	return "nothing"
}

// check checks an expression in env.
func (c *checker) check(e lang.Expr, en *env) (value, bool) {
	switch e := e.(type) {
	case *lang.NumberLit:
		v, d, err := numberValue(e)
		if err != nil {
			c.errorf(e.At, "%v", err)
			return value{}, false
		}
		return value{e: &Num{At: e.At, Value: v}, d: d}, true
	case *lang.ParenExpr:
		return c.check(e.X, en)
	case *lang.Ident:
		return c.ident(e, en)
	case *lang.SelectorExpr:
		return c.selector(e, en)
	case *lang.UnaryExpr:
		x, ok := c.expr(e.X, en)
		if !ok || e.Op == "+" {
			return x, ok
		}
		if n, isNum := x.e.(*Num); isNum && n.Name == "" {
			return value{e: &Num{At: e.OpPos, Value: -n.Value}, d: x.d}, true
		}
		return value{e: &Unary{At: e.OpPos, Op: "-", X: x.e}, d: x.d}, true
	case *lang.BinaryExpr:
		return c.binary(e, en)
	case *lang.CallExpr:
		return c.call(e, en)
	case *lang.ListExpr:
		c.errorf(e.Lbrack, "a list is not allowed in an expression; declare it as a parameter of a population or connection")
	case *lang.StringLit:
		c.errorf(e.At, "a string is not allowed in an expression")
	}
	return value{}, false
}

// expr checks e and requires a numeric expression, not an entity.
func (c *checker) expr(e lang.Expr, en *env) (value, bool) {
	v, ok := c.check(e, en)
	if ok && v.e == nil {
		c.errorf(e.Pos(), "%s is not a number, vector or matrix", v.describe())
		return value{}, false
	}
	return v, ok
}

// ident resolves a name: a local, a context variable, then a global.
func (c *checker) ident(id *lang.Ident, en *env) (value, bool) {
	if v, ok := en.locals[id.Name]; ok {
		return v, true
	}
	if id.Name == "pi" {
		return c.check(&lang.NumberLit{At: id.At, Text: "pi", Value: 3.141592653589793}, en)
	}
	if en.ctx == ctxStim {
		switch id.Name {
		case "t":
			return value{e: &Ref{At: id.At, Kind: RefStim, Var: "t"}, d: timeDim}, true
		case "i", "b":
			return value{e: &Ref{At: id.At, Kind: RefStim, Var: id.Name}}, true
		}
	}
	s, ok := c.globals[id.Name]
	if !ok {
		c.errorf(id.At, "undefined: %s%s", id.Name, didYouMean(id.Name, c.visible(en)))
		return value{}, false
	}
	if d, isConst := s.decl.(*lang.ConstDecl); isConst {
		v, ok := c.constValue(s)
		if ok && v.isList {
			c.errorf(id.At, "constant %s is a list; lists can only set parameters (declared at %s)", id.Name, d.At)
			return value{}, false
		}
		return value{e: &Num{At: id.At, Value: v.v, Name: id.Name}, d: v.d}, ok
	}
	if en.ctx != ctxEnergy {
		what := "a stimulus may use t, i (neuron index), b (batch index), pi and constants"
		if en.ctx == ctxActivation {
			what = "an activation may use only its argument and constants"
		}
		c.errorf(id.At, "%s is %s; %s", id.Name, s.kindName(), what)
		return value{}, false
	}
	return c.entityValue(id, s)
}

// entityValue is the value of a model-level name in an energy term.
func (c *checker) entityValue(id *lang.Ident, s *symbol) (value, bool) {
	switch x := s.entity.(type) {
	case *Param:
		return value{e: &Ref{At: id.At, Kind: RefScalar, Param: x, Shp: Scalar}}, true
	case *Input:
		return value{e: &Ref{At: id.At, Kind: RefInput, Input: x, Shp: Vector(x.Size)}}, true
	case *Population:
		return value{pop: x}, true
	case *Connection:
		return value{e: &Ref{At: id.At, Kind: RefWeight, Conn: x, Shp: Matrix(x.Dst.NodeSize(), x.Src.NodeSize())}}, true
	case *Teacher:
		if x.Model == nil {
			return value{e: &Ref{At: id.At, Kind: RefTeacher, Teacher: x, Shp: Vector(x.Size)}}, true
		}
		return value{teacher: x}, true
	case nil:
		switch s.decl.(type) {
		case *lang.FuncDecl:
			c.errorf(id.At, "%s is a function; call it: %s(...)", id.Name, id.Name)
		case *lang.NeuronDecl:
			c.errorf(id.At, "%s is a neuron kind; use it in `population NAME[N] : %s(...)`", id.Name, id.Name)
		}
		return value{}, false // otherwise a broken declaration, already reported
	}
	return value{}, false
}

// visible lists the names an expression in en could use.
func (c *checker) visible(en *env) []string {
	names := c.names(nil)
	for n := range en.locals {
		names = append(names, n)
	}
	if en.ctx == ctxStim {
		names = append(names, "t", "i", "b")
	}
	return names
}

// Population quantities that energy terms may use.
var (
	stateVars = []string{"u", "r", "uhat_m", "uhat_r", "I"}
	paramVars = []string{"b", "tau_m", "tau_r", "gamma"}
)

// selector resolves p.var, T.p and T.p.var.
func (c *checker) selector(e *lang.SelectorExpr, en *env) (value, bool) {
	x, ok := c.check(e.X, en)
	if !ok {
		return value{}, false
	}
	name := e.Sel.Name
	switch {
	case x.teacher != nil && x.pop == nil:
		p := findPopulation(x.teacher.Model, name)
		if p == nil {
			c.errorf(e.Sel.At, "teacher %s has no population %s%s", x.teacher.Name, name, didYouMean(name, popNames(x.teacher.Model)))
			return value{}, false
		}
		return value{teacher: x.teacher, pop: p}, true
	case x.teacher != nil:
		if !contains(stateVars, name) {
			c.errorf(e.Sel.At, "%s.%s: a teacher's population offers %s%s", x.pop.Name, name, strings.Join(stateVars, ", "), didYouMean(name, stateVars))
			return value{}, false
		}
		return value{e: &Ref{At: e.Sel.At, Kind: RefTeacher, Teacher: x.teacher, Pop: x.pop, Var: name, Shp: Vector(x.pop.Size)}}, true
	case x.pop != nil:
		return c.popVar(x.pop, e.Sel)
	}
	if r, ok := x.e.(*Ref); ok && r.Kind == RefInput {
		c.errorf(e.Sel.At, "input %s has no field %s; an input is a value (use %s itself)", r.Input.Name, name, r.Input.Name)
		return value{}, false
	}
	c.errorf(e.Sel.At, "%s has no field %s", x.describe(), name)
	return value{}, false
}

// popVar is a quantity of a population of the model.
func (c *checker) popVar(p *Population, sel *lang.Ident) (value, bool) {
	name := sel.Name
	ref := &Ref{At: sel.At, Pop: p, Var: name, Shp: Vector(p.Size)}
	switch {
	case contains(stateVars, name):
		ref.Kind = RefState
		return value{e: ref}, true
	case contains(paramVars, name):
		ref.Kind = RefParam
		if _, uniform := p.Gamma.Uniform(); name == "gamma" && (uniform || p.Gamma.Values == nil) {
			ref.Shp = Scalar // a number unless the neurons' gammas differ
		}
		d := untyped
		if strings.HasPrefix(name, "tau") {
			d = timeDim
		}
		return value{e: ref, d: d}, true
	case name == "e" || name == "v" || name == "ebar":
		c.errorf(sel.At, "%s.%s is an error, which vlec derives from the energy; it cannot appear in the energy", p.Name, name)
		return value{}, false
	}
	all := append(append([]string(nil), stateVars...), paramVars...)
	c.errorf(sel.At, "population %s has no quantity %s%s (quantities: %s)", p.Name, name, didYouMean(name, all), strings.Join(all, ", "))
	return value{}, false
}

func popNames(m *Model) []string {
	var out []string
	for _, p := range m.Populations {
		out = append(out, p.Name)
	}
	return out
}

// binary checks an arithmetic or matrix-vector operation.
func (c *checker) binary(e *lang.BinaryExpr, en *env) (value, bool) {
	x, okx := c.expr(e.X, en)
	y, oky := c.expr(e.Y, en)
	if !okx || !oky {
		return value{}, false
	}
	xs, ys := x.e.Shape(), y.e.Shape()
	out := &Binary{At: e.OpPos, Op: e.Op, X: x.e, Y: y.e}
	var d dim
	switch e.Op {
	case "+", "-":
		var ok bool
		if d, ok = addDims(x.d, y.d); !ok {
			c.errorf(e.OpPos, "unit mismatch: %s %s %s", x.d, opVerb(e.Op), y.d)
			return value{}, false
		}
	case "*", "/":
		d = mulDims(x.d, y.d, e.Op == "/")
	case "^":
		n, isNum := y.e.(*Num)
		if !isNum {
			c.errorf(e.Y.Pos(), "an exponent must be a constant number")
			return value{}, false
		}
		out.Shp = xs
		if x.d.known && n.Value == float64(int(n.Value)) {
			d = dim{known: true, time: x.d.time * int(n.Value)}
		}
		return value{e: out, d: d}, true
	case "@":
		if xs.Rank != 2 || ys.Rank != 1 || xs.M != ys.N {
			c.errorf(e.OpPos, "@ multiplies a matrix by a vector of matching size; got %s @ %s", xs, ys)
			return value{}, false
		}
		out.Shp = Vector(xs.N)
		return value{e: out, d: mulDims(x.d, y.d, false)}, true
	}
	switch {
	case xs == ys || ys == Scalar:
		out.Shp = xs
	case xs == Scalar:
		out.Shp = ys
	default:
		c.errorf(e.OpPos, "shape mismatch: %s %s %s", xs, e.Op, ys)
		return value{}, false
	}
	return value{e: out, d: d}, true
}
