package nir

import (
	"math"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/lang/check"
)

// affine tells whether the body of a user activation is an affine
// function a v + c of its argument, such as the `fn phi_h(v) = 0.5 * v +
// 0.69` that vlec import writes: then the export is exact. The form
// `A * v + C` (and `v`, `A * v`, `v + C`) gives A and C as written;
// another body is evaluated at a few points.
func affine(body check.Expr) (a, c float64, ok bool) {
	if a, c, ok := affineForm(body); ok {
		return a, c, true
	}
	f := func(x float64) (float64, bool) { return evalAct(body, x) }
	f0, ok0 := f(0)
	f1, ok1 := f(1)
	if !ok0 || !ok1 {
		return 0, 0, false
	}
	a, c = f1-f0, f0
	for _, x := range []float64{-3, -0.5, 0.25, 2, 7} {
		y, ok := f(x)
		if !ok || math.Abs(y-(a*x+c)) > 1e-12*(1+math.Abs(y)) {
			return 0, 0, false
		}
	}
	return a, c, !math.IsNaN(a) && !math.IsNaN(c) && !math.IsInf(a, 0) && !math.IsInf(c, 0)
}

func isArg(e check.Expr) bool {
	r, ok := e.(*check.Ref)
	return ok && r.Kind == check.RefArg
}

func affineForm(e check.Expr) (a, c float64, ok bool) {
	if isArg(e) {
		return 1, 0, true
	}
	b, isBin := e.(*check.Binary)
	if !isBin {
		return 0, 0, false
	}
	switch b.Op {
	case "*":
		if n, isNum := b.X.(*check.Num); isNum && isArg(b.Y) {
			return n.Value, 0, true
		}
	case "+":
		if n, isNum := b.Y.(*check.Num); isNum {
			if a, c0, ok := affineForm(b.X); ok && c0 == 0 {
				return a, n.Value, true
			}
		}
	}
	return 0, 0, false
}

// evalAct evaluates an activation body at x; false for constructs it
// does not know.
func evalAct(e check.Expr, x float64) (float64, bool) {
	switch e := e.(type) {
	case *check.Num:
		return e.Value, true
	case *check.Ref:
		if e.Kind == check.RefArg {
			return x, true
		}
	case *check.Unary:
		v, ok := evalAct(e.X, x)
		if ok && e.Op == "-" {
			return -v, true
		}
	case *check.Binary:
		l, ok1 := evalAct(e.X, x)
		r, ok2 := evalAct(e.Y, x)
		if !ok1 || !ok2 {
			return 0, false
		}
		switch e.Op {
		case "+":
			return l + r, true
		case "-":
			return l - r, true
		case "*":
			return l * r, true
		case "/":
			return l / r, true
		case "^":
			return math.Pow(l, r), true
		}
	case *check.Call:
		f, ok := ir.FuncByName(e.Func)
		if ok && len(e.Args) == 1 {
			if v, ok := evalAct(e.Args[0], x); ok {
				return f.Eval(v), true
			}
		}
	}
	return 0, false
}
