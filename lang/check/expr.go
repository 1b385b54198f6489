package check

import (
	"fmt"
	"strings"

	"github.com/vlec-dev/vlec/lang"
)

// Shape is the per-sample shape of a value: a scalar, a vector of N
// entries or an N x M matrix (N rows). The minibatch is implicit.
type Shape struct {
	Rank int // 0 scalar, 1 vector, 2 matrix
	N, M int
}

// Scalar is the shape of a single number.
var Scalar = Shape{}

// Vector returns the shape of an n-vector.
func Vector(n int) Shape { return Shape{Rank: 1, N: n} }

// Matrix returns the shape of an n x m matrix.
func Matrix(n, m int) Shape { return Shape{Rank: 2, N: n, M: m} }

// String formats the shape as users write sizes: scalar, [3], [4x2].
func (s Shape) String() string {
	switch s.Rank {
	case 0:
		return "scalar"
	case 1:
		return fmt.Sprintf("vector[%d]", s.N)
	default:
		return fmt.Sprintf("matrix[%dx%d]", s.N, s.M)
	}
}

// Len is the number of entries of a value of this shape.
func (s Shape) Len() int {
	switch s.Rank {
	case 0:
		return 1
	case 1:
		return s.N
	default:
		return s.N * s.M
	}
}

// Expr is a checked expression: every name resolved to a model entity,
// every user function expanded, every node with its shape.
type Expr interface {
	Pos() lang.Pos
	Shape() Shape
	String() string
}

// Num is a numeric constant, already scaled to SI units (10ms is 0.01).
// Name is the constant's name when it was written as a named constant
// (`beta`), so derived equations can keep the symbol.
type Num struct {
	At    lang.Pos
	Value float64
	Name  string
}

// RefKind says what a Ref refers to.
type RefKind int

// The kinds of reference.
const (
	RefState   RefKind = iota // a population quantity: u, r, uhat_m, uhat_r, I
	RefParam                  // a population parameter: b, tau_m, tau_r, gamma
	RefWeight                 // a connection's weight matrix
	RefInput                  // an input population's current value
	RefScalar                 // a model-level `param`
	RefTeacher                // a quantity of a teacher model, or a file teacher's value
	RefStim                   // a stimulus variable: t, i (neuron index), b (batch index)
	RefArg                    // the argument of an activation function body
	RefCost                   // the model's cost, in a record (`record cost`)
	RefEnergy                 // the energy and each of its terms, in a record (`record energy`)
)

// Ref is a reference to a quantity of the model.
type Ref struct {
	At      lang.Pos
	Kind    RefKind
	Pop     *Population // RefState, RefParam; the teacher's population for RefTeacher
	Conn    *Connection // RefWeight
	Input   *Input      // RefInput
	Param   *Param      // RefScalar
	Teacher *Teacher    // RefTeacher
	Var     string      // quantity name: "u", "r", "tau_m", "t", ...
	Shp     Shape
}

// Unary is -X.
type Unary struct {
	At lang.Pos
	Op string
	X  Expr
}

// Binary is X op Y with op in + - * / ^ @. Arithmetic is elementwise with
// scalars broadcast; @ is the matrix-vector product.
type Binary struct {
	At   lang.Pos // the operator
	Op   string
	X, Y Expr
	Shp  Shape
}

// Call is a call of a builtin function: elementwise math (exp, tanh, ...),
// reductions (sum, sumsq, dot, logsumexp, mean) and stimulus generators
// (sine, ou, ...). Args are in the builtin's declared parameter order with
// defaults filled in.
type Call struct {
	At   lang.Pos
	Func string
	Args []Expr
	Shp  Shape
}

// Pos, Shape and String implementations.

func (e *Num) Pos() lang.Pos    { return e.At }
func (e *Ref) Pos() lang.Pos    { return e.At }
func (e *Unary) Pos() lang.Pos  { return e.At }
func (e *Binary) Pos() lang.Pos { return e.At }
func (e *Call) Pos() lang.Pos   { return e.At }

func (e *Num) Shape() Shape    { return Scalar }
func (e *Ref) Shape() Shape    { return e.Shp }
func (e *Unary) Shape() Shape  { return e.X.Shape() }
func (e *Binary) Shape() Shape { return e.Shp }
func (e *Call) Shape() Shape   { return e.Shp }

func (e *Num) String() string {
	if e.Name != "" {
		return e.Name
	}
	return formatNumber(e.Value)
}

func (e *Ref) String() string {
	switch e.Kind {
	case RefWeight:
		return e.Conn.Name
	case RefInput:
		return e.Input.Name
	case RefScalar:
		return e.Param.Name
	case RefStim, RefArg, RefCost, RefEnergy:
		return e.Var
	case RefTeacher:
		if e.Pop == nil {
			return e.Teacher.Name
		}
		return e.Teacher.Name + "." + e.Pop.Name + "." + e.Var
	}
	return e.Pop.Name + "." + e.Var
}

func (e *Unary) String() string { return e.Op + paren(e.X, 4) }

func (e *Binary) String() string {
	p := prec(e)
	right := p
	if e.Op == "-" || e.Op == "/" {
		right++ // a - (b - c) keeps its parentheses
	}
	if e.Op == "^" {
		return paren(e.X, p+1) + " ^ " + paren(e.Y, p)
	}
	return paren(e.X, p) + " " + e.Op + " " + paren(e.Y, right)
}

func (e *Call) String() string {
	args := make([]string, len(e.Args))
	for i, a := range e.Args {
		args[i] = a.String()
	}
	return e.Func + "(" + strings.Join(args, ", ") + ")"
}

// prec is the binding strength of an expression's top operator.
func prec(e Expr) int {
	switch e := e.(type) {
	case *Binary:
		switch e.Op {
		case "+", "-":
			return 1
		case "*", "/", "@":
			return 2
		case "^":
			return 5
		}
	case *Unary:
		return 4
	case *Num:
		if e.Value < 0 {
			return 4
		}
	}
	return 6
}

func paren(e Expr, min int) string {
	if prec(e) < min {
		return "(" + e.String() + ")"
	}
	return e.String()
}

func formatNumber(v float64) string { return strings.TrimSuffix(fmt.Sprintf("%g", v), ".0") }
