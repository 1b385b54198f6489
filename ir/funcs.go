package ir

import (
	"math"

	"github.com/vlec-dev/vlec/internal/kern"
)

// Func is an elementwise scalar function applied entrywise to a tensor.
type Func int

// The elementwise functions. Linear and Square are accepted by
// [Builder.Apply] but never appear in a built expression: Linear(x) is x and
// Square(x) is x^2.
const (
	Linear   Func = iota // identity, phi(x) = x
	Tanh                 // hyperbolic tangent
	Sigmoid              // logistic function 1/(1+exp(-x))
	Softplus             // log(1+exp(x))
	Relu                 // max(x, 0)
	Exp                  // exponential
	Log                  // natural logarithm
	Square               // x^2
	Abs                  // |x|
	Step                 // Heaviside step: 1 for x > 0, else 0 (relu')
	Sign                 // -1, 0 or 1 (abs')
	numFuncs
)

var funcNames = [numFuncs]string{
	Linear: "linear", Tanh: "tanh", Sigmoid: "sigmoid", Softplus: "softplus",
	Relu: "relu", Exp: "exp", Log: "log", Square: "square", Abs: "abs",
	Step: "step", Sign: "sign",
}

// String is the function's name as vlec source spells it, e.g. "tanh".
func (f Func) String() string {
	if f < 0 || f >= numFuncs {
		return "func?"
	}
	return funcNames[f]
}

// FuncByName looks up an elementwise function by its source name.
func FuncByName(name string) (Func, bool) {
	for f, n := range funcNames {
		if n == name {
			return Func(f), true
		}
	}
	return 0, false
}

// Eval evaluates f at x: the numeric meaning of f(x). tanh and sigmoid
// are kern.TanhScalar and kern.SigmoidScalar (within 0.54 ulp of the exact
// value, and the same bits as the vector kernels the back ends run), so
// that constant folding, the interpreter and generated code agree.
func (f Func) Eval(x float64) float64 {
	switch f {
	case Linear:
		return x
	case Tanh:
		return kern.TanhScalar(x)
	case Sigmoid:
		return kern.SigmoidScalar(x)
	case Softplus:
		// log(1+e^x) = max(x,0) + log1p(e^-|x|), stable for large |x|.
		return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
	case Relu:
		return math.Max(x, 0)
	case Exp:
		return math.Exp(x)
	case Log:
		return math.Log(x)
	case Square:
		return x * x
	case Abs:
		return math.Abs(x)
	case Step:
		if x > 0 {
			return 1
		}
		return 0
	case Sign:
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	}
	return math.NaN()
}

// EvalDeriv evaluates f' at x for the functions whose derivative is kept
// as a Deriv node; it is the numeric meaning of such a node.
func (f Func) EvalDeriv(x float64) float64 {
	switch f {
	case Tanh:
		t := kern.TanhScalar(x)
		return 1 - t*t
	case Sigmoid:
		s := kern.SigmoidScalar(x)
		return s * (1 - s)
	}
	return math.NaN()
}

// Deriv returns f'(x), the derivative of the elementwise function f at x, in
// the operator set of the package: tanh and sigmoid give Deriv nodes printed
// tanh'(x) and sigmoid'(x) (see [Builder.Expand] for their closed forms),
// softplus' = sigmoid, relu' = step, exp' = exp, log'(x) = 1/x,
// abs' = sign, and step' = sign' = 0 (almost everywhere).
func (b *Builder) Deriv(f Func, x Expr) Expr {
	switch {
	case bad(x):
		return x
	case f < 0 || f >= numFuncs:
		return b.fail("unknown elementwise function %d", int(f))
	}
	switch f {
	case Tanh, Sigmoid:
		if c, ok := x.(*Const); ok {
			return b.Fill(f.EvalDeriv(c.val), c.shape)
		}
		return b.intern(OpDeriv, f, 0, x.Shape(), []Expr{x})
	case Softplus:
		return b.Apply(Sigmoid, x)
	case Relu:
		return b.Apply(Step, x)
	case Exp:
		return b.Apply(Exp, x)
	case Log:
		return b.Pow(x, -1)
	case Square:
		return b.Mul(b.Const(2), x)
	case Abs:
		return b.Apply(Sign, x)
	case Linear:
		return b.Fill(1, x.Shape())
	}
	return b.Fill(0, x.Shape())
}

// expandDeriv writes f'(x) for a kept prime in closed form:
// tanh'(x) = 1 - tanh(x)^2 and sigmoid'(x) = sigmoid(x) * (1 - sigmoid(x)).
func (b *Builder) expandDeriv(f Func, x Expr) Expr {
	switch f {
	case Tanh:
		return b.Sub(b.Const(1), b.Pow(b.Apply(Tanh, x), 2))
	case Sigmoid:
		s := b.Apply(Sigmoid, x)
		return b.Mul(s, b.Sub(b.Const(1), s))
	}
	return b.Deriv(f, x)
}

// Apply returns f(x) applied entrywise, simplified: constants are folded,
// linear(x) = x, square(x) = x^2, abs(c*x) = |c|*abs(x), abs(abs(x)) =
// abs(x), exp(log(x)) = x and log(exp(x)) = x.
func (b *Builder) Apply(f Func, x Expr) Expr {
	if bad(x) {
		return x
	}
	if f < 0 || f >= numFuncs {
		return b.fail("unknown elementwise function %d", int(f))
	}
	if c, ok := x.(*Const); ok {
		return b.Fill(f.Eval(c.val), c.shape)
	}
	switch f {
	case Linear:
		return x
	case Square:
		return b.Pow(x, 2)
	case Abs:
		if c, rest, ok := splitCoef(x); ok {
			return b.Mul(b.Const(math.Abs(c)), b.Apply(Abs, rest))
		}
		if n, ok := x.(*Node); ok && n.op == OpFunc && n.fn == Abs {
			return x
		}
	case Exp, Log:
		inv := Log
		if f == Log {
			inv = Exp
		}
		if n, ok := x.(*Node); ok && n.op == OpFunc && n.fn == inv {
			return n.args[0]
		}
	}
	return b.intern(OpFunc, f, 0, x.Shape(), []Expr{x})
}

// Power is the value of x^p as every back end computes it: the exponents
// 1, 2, -1 and 0.5 as x, x*x, 1/x and sqrt(x) (exact or correctly
// rounded), others by math.Pow.
func Power(x, p float64) float64 {
	switch p {
	case 1:
		return x
	case 2:
		return x * x
	case -1:
		return 1 / x
	case 0.5:
		return math.Sqrt(x)
	}
	return math.Pow(x, p)
}
