package check

import (
	"fmt"
	"math"
	"strconv"

	"github.com/vlec-dev/vlec/lang"
)

// cval is the value of a constant expression: a number in SI units with
// its dimension, or a list of values (a per-neuron vector, a matrix).
type cval struct {
	v      float64
	d      dim
	list   []cval
	isList bool
	pos    lang.Pos
}

// constMath are the functions allowed in constant expressions.
var constMath = map[string]func(float64) float64{
	"exp": math.Exp, "log": math.Log, "sqrt": math.Sqrt, "sin": math.Sin, "cos": math.Cos,
	"tanh": math.Tanh, "abs": math.Abs,
}

// constValue evaluates the constant declared by s once, reporting cycles.
func (c *checker) constValue(s *symbol) (cval, bool) {
	switch s.state {
	case 2:
		return s.val, true
	case 1:
		c.errorf(s.decl.Pos(), "constant %s is defined in terms of itself", s.name)
		s.state = 2
		return cval{}, false
	}
	s.state = 1
	v, ok := c.eval(s.decl.(*lang.ConstDecl).Value)
	s.state, s.val = 2, v
	return v, ok
}

// eval evaluates a constant expression.
func (c *checker) eval(e lang.Expr) (cval, bool) {
	switch e := e.(type) {
	case *lang.NumberLit:
		v, d, err := numberValue(e)
		if err != nil {
			c.errorf(e.At, "%v", err)
			return cval{}, false
		}
		return cval{v: v, d: d, pos: e.At}, true
	case *lang.ParenExpr:
		return c.eval(e.X)
	case *lang.Ident:
		return c.evalIdent(e)
	case *lang.UnaryExpr:
		v, ok := c.scalar(e.X)
		if e.Op == "-" {
			v.v = -v.v
		}
		v.pos = e.OpPos
		return v, ok
	case *lang.BinaryExpr:
		return c.evalBinary(e)
	case *lang.CallExpr:
		return c.evalCall(e)
	case *lang.ListExpr:
		out := cval{isList: true, pos: e.Lbrack}
		ok := true
		for _, el := range e.Elems {
			v, vok := c.eval(el)
			ok = ok && vok
			out.list = append(out.list, v)
		}
		return out, ok
	case *lang.StringLit:
		c.errorf(e.At, "a string is not a number")
	default:
		c.errorf(e.Pos(), "%s is not a constant expression", describe(e))
	}
	return cval{}, false
}

// scalar evaluates e and requires a single number.
func (c *checker) scalar(e lang.Expr) (cval, bool) {
	v, ok := c.eval(e)
	if ok && v.isList {
		c.errorf(e.Pos(), "expected a number, got a list")
		return cval{}, false
	}
	return v, ok
}

func (c *checker) evalIdent(e *lang.Ident) (cval, bool) {
	if e.Name == "pi" {
		return cval{v: math.Pi, pos: e.At}, true
	}
	s, ok := c.globals[e.Name]
	if !ok {
		c.errorf(e.At, "undefined: %s%s", e.Name, didYouMean(e.Name, c.names(isConst)))
		return cval{}, false
	}
	if _, isConst := s.decl.(*lang.ConstDecl); !isConst {
		c.errorf(e.At, "%s is %s, not a constant; only constants can be used here", e.Name, s.kindName())
		return cval{}, false
	}
	v, ok := c.constValue(s)
	v.pos = e.At
	return v, ok
}

func isConst(s *symbol) bool { _, ok := s.decl.(*lang.ConstDecl); return ok }

func (c *checker) evalBinary(e *lang.BinaryExpr) (cval, bool) {
	x, okx := c.scalar(e.X)
	y, oky := c.scalar(e.Y)
	if !okx || !oky {
		return cval{}, false
	}
	// x.pos is e.X.Pos() but for parentheses; e.X.Pos() walks down the
	// left operands, which made a long sum quadratic.
	out := cval{pos: x.pos}
	if px, ok := e.X.(*lang.ParenExpr); ok {
		out.pos = px.Lparen
	}
	switch e.Op {
	case "+", "-":
		d, ok := addDims(x.d, y.d)
		if !ok {
			c.errorf(e.OpPos, "unit mismatch: %s %s %s", x.d, opVerb(e.Op), y.d)
			return cval{}, false
		}
		out.d, out.v = d, x.v+y.v
		if e.Op == "-" {
			out.v = x.v - y.v
		}
	case "*":
		out.d, out.v = mulDims(x.d, y.d, false), x.v*y.v
	case "/":
		if y.v == 0 {
			c.errorf(e.OpPos, "division by zero in a constant expression")
			return cval{}, false
		}
		out.d, out.v = mulDims(x.d, y.d, true), x.v/y.v
	case "^":
		out.v = math.Pow(x.v, y.v)
		if x.d.known && y.v == math.Trunc(y.v) {
			out.d = dim{known: true, time: x.d.time * int(y.v)}
		}
	default:
		c.errorf(e.OpPos, "operator %s is not defined on numbers", e.Op)
		return cval{}, false
	}
	return out, true
}

func opVerb(op string) string {
	if op == "-" {
		return "minus"
	}
	return "plus"
}

func (c *checker) evalCall(e *lang.CallExpr) (cval, bool) {
	switch e.Fun.Name {
	case "repeat":
		return c.evalRepeat(e)
	case "concat":
		return c.evalConcat(e)
	}
	f, ok := constMath[e.Fun.Name]
	if !ok {
		c.errorf(e.Fun.At, "%s(...) cannot be used in a constant expression; allowed here: exp, log, sqrt, sin, cos, tanh, abs, and the list builders repeat and concat", e.Fun.Name)
		return cval{}, false
	}
	if len(e.Args) != 1 || e.Args[0].Name != nil {
		c.errorf(e.Lparen, "%s takes one argument, got %d", e.Fun.Name, len(e.Args))
		return cval{}, false
	}
	x, ok := c.scalar(e.Args[0].Value)
	if !ok {
		return cval{}, false
	}
	if x.d.known && x.d.time != 0 {
		c.errorf(e.Args[0].Value.Pos(), "%s of %s: the argument must be dimensionless", e.Fun.Name, x.d)
		return cval{}, false
	}
	v := f(x.v)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		c.errorf(e.Fun.At, "%s(%g) is not a finite number", e.Fun.Name, x.v)
		return cval{}, false
	}
	return cval{v: v, d: x.d, pos: e.Fun.At}, true
}

// maxListLen bounds the lists repeat and concat build: the largest
// population.
const maxListLen = 1 << 20

// evalRepeat evaluates repeat(x, n): a list of n copies of x (a number or
// a list, whose entries are repeated in order).
func (c *checker) evalRepeat(e *lang.CallExpr) (cval, bool) {
	if len(e.Args) != 2 || e.Args[0].Name != nil || e.Args[1].Name != nil {
		c.errorf(e.Lparen, "repeat takes a value and a count, repeat(1.2, 17); got %d argument%s", len(e.Args), plural(len(e.Args)))
		return cval{}, false
	}
	x, ok := c.eval(e.Args[0].Value)
	if !ok {
		return cval{}, false
	}
	n, ok := c.intIn(e.Args[1].Value, "the count of repeat", 0, maxListLen, "; a list holds at most 2^20 entries")
	if !ok {
		return cval{}, false
	}
	items := []cval{x}
	if x.isList {
		items = x.list
	}
	if len(items)*n > maxListLen {
		c.errorf(e.Fun.At, "repeat builds %d entries, more than the 2^20 a list may hold", len(items)*n)
		return cval{}, false
	}
	out := cval{isList: true, pos: e.Fun.At, list: make([]cval, 0, len(items)*n)}
	for range n {
		out.list = append(out.list, items...)
	}
	return out, true
}

// evalConcat evaluates concat(a, b, ...): the entries of its arguments,
// lists or numbers, in order.
func (c *checker) evalConcat(e *lang.CallExpr) (cval, bool) {
	out := cval{isList: true, pos: e.Fun.At}
	ok := true
	for _, a := range e.Args {
		if a.Name != nil {
			c.errorf(a.At, "concat takes lists and numbers, not named arguments")
			ok = false
			continue
		}
		v, vok := c.eval(a.Value)
		if !vok {
			ok = false
			continue
		}
		if v.isList {
			out.list = append(out.list, v.list...)
		} else {
			out.list = append(out.list, v)
		}
		if len(out.list) > maxListLen {
			c.errorf(e.Fun.At, "concat builds more than the 2^20 entries a list may hold")
			return cval{}, false
		}
	}
	return out, ok
}

// timeValue evaluates e as a time in seconds (bare numbers are seconds).
func (c *checker) timeValue(e lang.Expr, what string) (float64, bool) {
	return c.dimValue(e, what, timeDim, "a time (e.g. 10ms or 0.5s)")
}

// dimValue evaluates a scalar constant that must have dimension want.
func (c *checker) dimValue(e lang.Expr, what string, want dim, example string) (float64, bool) {
	v, ok := c.scalar(e)
	if !ok {
		return 0, false
	}
	if !wantDim(v.d, want) {
		c.errorf(e.Pos(), "%s needs %s, got %s", what, example, v.d)
		return 0, false
	}
	return v.v, true
}

// intValue evaluates e as a whole number from lo to 2^31.
func (c *checker) intValue(e lang.Expr, what string, lo int) (int, bool) {
	return c.intIn(e, what, lo, 1<<31, "")
}

// intIn evaluates e as a whole number from lo to hi; why says where the
// upper bound comes from (appended to the message, may be empty).
func (c *checker) intIn(e lang.Expr, what string, lo, hi int, why string) (int, bool) {
	v, ok := c.dimValue(e, what, dimensionless, "a whole number")
	if !ok {
		return 0, false
	}
	switch {
	case v != math.Trunc(v) || v < float64(lo):
		c.errorf(e.Pos(), "%s must be a whole number of at least %d, got %s", what, lo, wholeText(v))
	case v > float64(hi):
		c.errorf(e.Pos(), "%s is %s, more than %d, the largest allowed%s", what, wholeText(v), hi, why)
	default:
		return int(v), true
	}
	return 0, false
}

// wholeText prints a number in full while it is exact as a float64
// (4294967296, not 4.294967296e+09), else as %g.
func wholeText(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) <= 1<<53 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprintf("%g", v)
}

// describe names an expression's form for messages.
func describe(e lang.Expr) string {
	switch e.(type) {
	case *lang.SelectorExpr:
		return "a field selection"
	case *lang.CallExpr:
		return "a call"
	case *lang.ListExpr:
		return "a list"
	case *lang.StringLit:
		return "a string"
	}
	return "this expression"
}
