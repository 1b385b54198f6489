package spice

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/lang"
)

// Clamps that keep ngspice's expression evaluation finite. ngspice
// evaluates B-source expressions in double precision and stops the
// transient on a NaN or an infinity, so every function that can overflow
// gets its argument limited inside the expression.
const (
	// expLimit bounds the argument of exp: e^80 is about 5.5e34, far
	// beyond any rate of a working circuit, and its square still fits a
	// double.
	expLimit = 80
	// logFloor is the smallest argument of ln (vlec's log gives -Inf or
	// NaN below 0; the circuit gives ln(1e-300) = -690.8 instead).
	logFloor = 1e-300
)

// A leaf says how the circuit holds a variable of the equations: the
// B-source expression of entry k (row-major) of sample b.
type leaf func(k, b int) string

// printer turns symbolic expressions of the derivation into ngspice
// B-source expressions, one entry of one sample at a time. Variables are
// looked up in vars; whole subexpressions a node of the circuit already
// holds (a population's rate phi(uhat_r)) in held, so that they are read
// as v(node) and not computed again.
type printer struct {
	vars map[*ir.Var]leaf
	held map[ir.Expr]leaf
	// crossbar, when set, gives a node holding entry k of sample b of a
	// product of a weight matrix with a vector (W @ x, W^T @ x): a
	// summing node fed by one G element per weight, instead of a sum
	// in the expression.
	crossbar func(n *ir.Node, k, b int) (string, error)
}

// refusal is an error at the source position of the construct refused.
func refusal(at lang.Pos, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if at.IsValid() {
		return lang.ErrorList{lang.Errorf(at, "%s", msg)}
	}
	return fmt.Errorf("%s", msg)
}

// entry prints entry k of sample b of e.
func (p *printer) entry(e ir.Expr, k, b int) (string, error) {
	if h, ok := p.held[e]; ok {
		return h(k, b), nil
	}
	switch e := e.(type) {
	case *ir.Const:
		return num(e.Value()), nil
	case *ir.Var:
		if l, ok := p.vars[e]; ok {
			return l(k, b), nil
		}
		return "", refusal(e.Pos(), "%s has no element in the circuit (export spice maps the populations, weights, inputs, parameters, constants and teacher outputs)", e.Name())
	case *ir.Node:
		return p.node(e, k, b)
	}
	return "", fmt.Errorf("unknown expression %v", e)
}

// broadcastIndex is the entry of an operand of an elementwise operation
// that entry k of the result reads: scalars broadcast.
func broadcastIndex(a ir.Expr, k int) int {
	if a.Shape().IsScalar() {
		return 0
	}
	return k
}

func (p *printer) node(n *ir.Node, k, b int) (string, error) {
	args := n.Args()
	switch n.Op() {
	case ir.OpAdd, ir.OpMul:
		op := " + "
		if n.Op() == ir.OpMul {
			op = "*"
		}
		parts := make([]string, len(args))
		for i, a := range args {
			s, err := p.entry(a, broadcastIndex(a, k), b)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "(" + strings.Join(parts, op) + ")", nil
	case ir.OpPow:
		x, err := p.entry(args[0], k, b)
		if err != nil {
			return "", err
		}
		return power(x, n.Exponent()), nil
	case ir.OpFunc, ir.OpDeriv:
		x, err := p.entry(args[0], k, b)
		if err != nil {
			return "", err
		}
		if n.Op() == ir.OpDeriv {
			return derivative(n.Func(), x, n.Pos())
		}
		return function(n.Func(), x, n.Pos())
	case ir.OpMatVec, ir.OpMatTVec:
		w, x := args[0], args[1]
		if v, ok := w.(*ir.Var); ok && v.Role() == ir.RoleParam && p.crossbar != nil {
			return p.crossbar(n, k, b)
		}
		rows, cols := w.Shape().Rows(), w.Shape().Cols()
		var terms []string
		inner := cols
		if n.Op() == ir.OpMatTVec {
			inner = rows
		}
		for j := range inner {
			wk := k*cols + j // W[k][j]
			if n.Op() == ir.OpMatTVec {
				wk = j*cols + k // W[j][k]
			}
			t, err := p.product(w, wk, x, j, b)
			if err != nil {
				return "", err
			}
			if t != "" {
				terms = append(terms, t)
			}
		}
		return sum(terms), nil
	case ir.OpOuter:
		cols := args[1].Shape().Size()
		l, err := p.entry(args[0], k/cols, b)
		if err != nil {
			return "", err
		}
		r, err := p.entry(args[1], k%cols, b)
		if err != nil {
			return "", err
		}
		return "(" + l + "*" + r + ")", nil
	case ir.OpSum, ir.OpSumSq, ir.OpDot:
		x := args[0]
		terms := make([]string, 0, x.Shape().Size())
		for j := range x.Shape().Size() {
			a, err := p.entry(x, j, b)
			if err != nil {
				return "", err
			}
			switch n.Op() {
			case ir.OpSumSq:
				a = "(" + a + "*" + a + ")"
			case ir.OpDot:
				c, err := p.entry(args[1], j, b)
				if err != nil {
					return "", err
				}
				a = "(" + a + "*" + c + ")"
			}
			terms = append(terms, a)
		}
		return sum(terms), nil
	}
	return "", refusal(n.Pos(), "%s (%s) has no B-source form in this mapping: a softmax or log-sum-exp couples every neuron of a population through a normalisation, which export spice does not build; use an mse cost, or export without --with-errors", n.Op(), n)
}

// product prints w[wk] * x[j] for a weight matrix, leaving out the
// entries that are the number 0 (sparse and one_to_one connections).
func (p *printer) product(w ir.Expr, wk int, x ir.Expr, j, b int) (string, error) {
	ws, err := p.entry(w, wk, b)
	if err != nil {
		return "", err
	}
	if ws == "0" {
		return "", nil
	}
	xs, err := p.entry(x, j, b)
	if err != nil {
		return "", err
	}
	return ws + "*" + xs, nil
}

// sum joins terms with +; no terms is 0.
func sum(terms []string) string {
	if len(terms) == 0 {
		return "0"
	}
	return "(" + strings.Join(terms, " + ") + ")"
}

// power prints x^p. ngspice's ^ and pow() raise |x| (see ngspice
// support request 33), so integer powers are written as products and
// divisions, which keep the sign.
func power(x string, p float64) string {
	switch {
	case p == 0:
		return "1"
	case p == 0.5:
		return "sqrt(max(" + x + ", 0))"
	case p == math.Trunc(p) && math.Abs(p) <= 4:
		n := int(math.Abs(p))
		f := make([]string, n)
		for i := range f {
			f[i] = x
		}
		prod := strings.Join(f, "*")
		if p < 0 {
			return "(1/(" + prod + "))"
		}
		return "(" + prod + ")"
	}
	return "pow(" + x + ", " + num(p) + ")"
}

// function prints f(x), overflow-safe.
func function(f ir.Func, x string, at lang.Pos) (string, error) {
	switch f {
	case ir.Linear:
		return x, nil
	case ir.Tanh:
		return "tanh(" + x + ")", nil
	case ir.Sigmoid: // 1/(1+e^-x) without an exponential that can overflow
		return "(0.5 + 0.5*tanh(0.5*" + x + "))", nil
	case ir.Softplus: // log(1+e^x) = max(x,0) + log(1+e^-|x|), as vlec evaluates it
		return "(max(" + x + ", 0) + ln(1 + exp(-abs(" + x + "))))", nil
	case ir.Relu:
		return "max(" + x + ", 0)", nil
	case ir.Exp:
		return "exp(min(" + x + ", " + num(expLimit) + "))", nil
	case ir.Log:
		return "ln(max(" + x + ", " + num(logFloor) + "))", nil
	case ir.Square:
		return "(" + x + "*" + x + ")", nil
	case ir.Abs:
		return "abs(" + x + ")", nil
	case ir.Step:
		return "(" + x + " > 0 ? 1 : 0)", nil
	case ir.Sign:
		return "(" + x + " > 0 ? 1 : (" + x + " < 0 ? -1 : 0))", nil
	}
	return "", refusal(at, "function %s has no B-source form", f)
}

// derivative prints f'(x) for the functions whose derivative the
// derivation keeps as a node (tanh, sigmoid).
func derivative(f ir.Func, x string, at lang.Pos) (string, error) {
	switch f {
	case ir.Tanh:
		t := "tanh(" + x + ")"
		return "(1 - " + t + "*" + t + ")", nil
	case ir.Sigmoid:
		s, _ := function(ir.Sigmoid, x, at)
		return "(" + s + "*(1 - " + s + "))", nil
	}
	return "", refusal(at, "the derivative of %s has no B-source form", f)
}

// num prints a number as ngspice reads it: shortest round-trip form with
// an exponent, never a SPICE scale suffix.
func num(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
