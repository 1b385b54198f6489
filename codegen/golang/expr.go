package golang

import (
	"fmt"
	"math"
	"strconv"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/ir/schedule"
)

// An expression being emitted: a constant folded at generation time, or
// Go source. Constants are folded exactly as the interpreter folds them
// (runtime/tape.go: left to right, in float64), and no two constants are
// ever left side by side in the source, where the Go compiler would fold
// them in exact arithmetic and round differently.
type expr struct {
	isConst bool
	value   float64
	src     string
	prec    int // 0 an operand, 1 a product or quotient, 2 a sum
}

func constant(v float64) expr { return expr{isConst: true, value: v} }

// text is the expression's source: a constant as the shortest decimal
// that reads back as the same float64.
func (e expr) text() string {
	if !e.isConst {
		return e.src
	}
	switch {
	case math.IsNaN(e.value):
		return "math.NaN()"
	case math.IsInf(e.value, 1):
		return "math.Inf(1)"
	case math.IsInf(e.value, -1):
		return "math.Inf(-1)"
	case e.value < 0 || (e.value == 0 && math.Signbit(e.value)):
		return "(" + strconv.FormatFloat(e.value, 'g', -1, 64) + ")"
	}
	return strconv.FormatFloat(e.value, 'g', -1, 64)
}

func (e expr) level() int {
	if e.isConst {
		return 0
	}
	return e.prec
}

// operand is the expression's source where an operand of precedence
// level maxLevel may stand, in parentheses otherwise.
func (e expr) operand(maxLevel int) string {
	if e.level() > maxLevel {
		return "(" + e.text() + ")"
	}
	return e.text()
}

// binary is a op b (op + - * /), folded when both are constants. Sums and
// products are left-associative in Go as in the interpreter's tape, so
// only a right operand of the same level needs parentheses.
func binary(op byte, a, b expr) expr {
	if a.isConst && b.isConst {
		switch op {
		case '+':
			return constant(a.value + b.value)
		case '-':
			return constant(a.value - b.value)
		case '*':
			return constant(a.value * b.value)
		}
		return constant(a.value / b.value)
	}
	switch {
	case op == '*' && b.isConst && b.value == 1:
		return a // x * 1 is x, exactly
	case op == '*' && a.isConst && a.value == 1:
		return b
	}
	lvl := 2
	if op == '*' || op == '/' {
		lvl = 1
	}
	return expr{src: a.operand(lvl) + " " + string(op) + " " + b.operand(lvl-1), prec: lvl}
}

func call(fn string, x expr) expr { return expr{src: fn + "(" + x.text() + ")"} }

func powExpr(x expr, p float64) expr {
	if x.isConst {
		return constant(ir.Power(x.value, p))
	}
	switch p {
	case 1:
		return x
	case 2:
		return call("sq", x)
	case -1:
		return expr{src: "1 / " + x.operand(0), prec: 1}
	case 0.5:
		return call("math.Sqrt", x)
	}
	return expr{src: fmt.Sprintf("math.Pow(%s, %s)", x.text(), constant(p).text())}
}

// funcNames are the Go functions computing ir.Func values (math, or the
// support file funcs.go, which copies ir.Func.Eval).
var funcNames = map[ir.Func]string{
	ir.Tanh: "kern.TanhScalar", ir.Sigmoid: "sigmoid", ir.Softplus: "softplus", ir.Relu: "relu",
	ir.Exp: "math.Exp", ir.Log: "math.Log", ir.Square: "sq", ir.Abs: "math.Abs",
	ir.Step: "heaviside", ir.Sign: "sign",
}

// derivNames compute ir.Func.EvalDeriv, for the derivatives the
// interpreter computes.
var derivNames = map[ir.Func]string{ir.Tanh: "tanhDeriv", ir.Sigmoid: "sigmoidDeriv"}

func funcExpr(f ir.Func, deriv bool, x expr) (expr, error) {
	if deriv {
		name, ok := derivNames[f]
		if !ok {
			return expr{}, fmt.Errorf("no derivative kernel for %s", f)
		}
		if x.isConst {
			return constant(f.EvalDeriv(x.value)), nil
		}
		return call(name, x), nil
	}
	if f == ir.Linear {
		return x, nil
	}
	name, ok := funcNames[f]
	if !ok {
		return expr{}, fmt.Errorf("function %s", f)
	}
	if x.isConst {
		return constant(f.Eval(x.value)), nil
	}
	return call(name, x), nil
}

// codeExpr emits an entrywise Code tree; load gives the source of
// argument i at the current entry.
func codeExpr(c *schedule.Code, load func(i int) string) (expr, error) {
	switch c.Op {
	case schedule.CodeConst:
		return constant(c.Value), nil
	case schedule.CodeLoad:
		return expr{src: load(c.Arg)}, nil
	case schedule.CodeAdd, schedule.CodeMul:
		op := byte('+')
		if c.Op == schedule.CodeMul {
			op = '*'
		}
		if len(c.Args) == 0 {
			return constant(map[byte]float64{'+': 0, '*': 1}[op]), nil
		}
		acc, err := codeExpr(c.Args[0], load)
		if err != nil {
			return acc, err
		}
		for _, sub := range c.Args[1:] {
			b, err := codeExpr(sub, load)
			if err != nil {
				return b, err
			}
			acc = binary(op, acc, b)
		}
		return acc, nil
	case schedule.CodePow, schedule.CodeFunc, schedule.CodeDeriv:
		if len(c.Args) != 1 {
			return expr{}, fmt.Errorf("%d arguments to a unary code", len(c.Args))
		}
		x, err := codeExpr(c.Args[0], load)
		if err != nil {
			return x, err
		}
		if c.Op == schedule.CodePow {
			return powExpr(x, c.Value), nil
		}
		return funcExpr(c.Func, c.Op == schedule.CodeDeriv, x)
	}
	return expr{}, fmt.Errorf("unknown code op %d", c.Op)
}

// loads lists the arguments a Code tree reads.
func loads(c *schedule.Code, used map[int]bool) {
	if c.Op == schedule.CodeLoad {
		used[c.Arg] = true
	}
	for _, a := range c.Args {
		loads(a, used)
	}
}
