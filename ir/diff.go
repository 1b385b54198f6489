package ir

import (
	"slices"

	"github.com/vlec-dev/vlec/lang"
)

// Grad returns the gradients df/dv of the scalar f with respect to each
// variable in wrt, each with the shape of its variable, by reverse-mode
// symbolic differentiation (backpropagation over the expression DAG).
//
// Every node is visited once, in reverse dependency order; its adjoint is
// the simplified sum of the contributions from its users, and its rules
// below pass contributions on to its arguments. A scalar argument that was
// broadcast over a tensor receives the Sum of its contribution. Results
// use the same operators as f, with derivatives of tanh and sigmoid kept
// as tanh'(u) and sigmoid'(u) nodes (see [Builder.Deriv]). Deriv nodes in
// f are differentiated too (the derivative of tanh'(u) is
// -2 * tanh(u) * tanh'(u), that of sigmoid'(u) is
// sigmoid'(u) * (1 - 2 * sigmoid(u))), so a derived equation can be
// differentiated again. New nodes take the position of the node whose
// rule made them.
//
//	y = a + b          adj_a += adj_y, adj_b += adj_y
//	y = a * b          adj_a += adj_y * b
//	y = x^p            adj_x += p * adj_y * x^(p-1)
//	y = f(x)           adj_x += adj_y * f'(x)
//	y = f'(x)          adj_x += adj_y * (d/dx f'(x))
//	y = W @ x          adj_x += W^T @ adj_y, adj_W += outer(adj_y, x)
//	y = W^T @ x        adj_x += W @ adj_y,   adj_W += outer(x, adj_y)
//	y = outer(a, b)    adj_a += adj_y @ b,   adj_b += adj_y^T @ a
//	y = sum(x)         adj_x += adj_y (broadcast)
//	y = dot(a, b)      adj_a += adj_y * b
//	y = sumsq(x)       adj_x += 2 * adj_y * x
//	y = logsumexp(x)   adj_x += adj_y * softmax(x)
//	y = softmax(x)     adj_x += y * (adj_y - dot(y, adj_y))
//
// The error reports an f that is not a scalar or builder errors recorded
// so far (an ill-shaped f cannot be differentiated).
func Grad(b *Builder, f Expr, wrt ...*Var) ([]Expr, error) {
	if err := b.Err(); err != nil {
		return nil, err
	}
	if !f.Shape().IsScalar() {
		return nil, lang.Errorf(f.Pos(), "cannot differentiate a non-scalar expression of shape %v; an energy must be a scalar", f.Shape())
	}
	adj := map[Expr][]Expr{f: {b.Const(1)}}
	order := Topo(f)
	for _, x := range slices.Backward(order) {
		n, ok := x.(*Node)
		if !ok || len(adj[n]) == 0 {
			continue
		}
		bn := b.At(n.pos)
		a := bn.Add(adj[n]...)
		delete(adj, n)
		if !isZero(a) {
			bn.backprop(n, a, adj)
		}
	}
	out := make([]Expr, len(wrt))
	for i, v := range wrt {
		out[i] = b.Zero(v.Shape())
		if len(adj[v]) > 0 {
			out[i] = b.At(v.Pos()).Add(adj[v]...)
		}
	}
	return out, b.Err()
}

// backprop adds the contributions of node n with adjoint a to the
// adjoints of its arguments.
func (b *Builder) backprop(n *Node, a Expr, adj map[Expr][]Expr) {
	emit := func(x, g Expr) {
		if _, isConst := x.(*Const); isConst || isZero(g) {
			return
		}
		if x.Shape().IsScalar() && !g.Shape().IsScalar() {
			g = b.Sum(g) // x was broadcast
		}
		adj[x] = append(adj[x], g)
	}
	args := n.args
	switch n.op {
	case OpAdd:
		for _, x := range args {
			emit(x, a)
		}
	case OpMul:
		for i, x := range args {
			others := append(slices.Clone(args[:i]), args[i+1:]...)
			emit(x, b.Mul(append(others, a)...))
		}
	case OpPow:
		emit(args[0], b.Mul(b.Const(n.exp), a, b.Pow(args[0], n.exp-1)))
	case OpFunc:
		emit(args[0], b.Mul(a, b.Deriv(n.fn, args[0])))
	case OpDeriv:
		emit(args[0], b.Mul(a, b.secondDeriv(n.fn, args[0])))
	default:
		b.backpropLinalg(n, a, emit)
	}
}

// backpropLinalg applies the rules of the linear-algebra and reduction
// operators.
func (b *Builder) backpropLinalg(n *Node, a Expr, emit func(x, g Expr)) {
	x := n.args[0]
	switch n.op {
	case OpMatVec:
		w, x := n.args[0], n.args[1]
		emit(x, b.MatTVec(w, a))
		emit(w, b.Outer(a, x))
	case OpMatTVec:
		w, x := n.args[0], n.args[1]
		emit(x, b.MatVec(w, a))
		emit(w, b.Outer(x, a))
	case OpOuter:
		y := n.args[1]
		emit(x, b.MatVec(a, y))
		emit(y, b.MatTVec(a, x))
	case OpSum:
		emit(x, b.Mul(a, b.Fill(1, x.Shape())))
	case OpDot:
		y := n.args[1]
		emit(x, b.Mul(a, y))
		emit(y, b.Mul(a, x))
	case OpSumSq:
		emit(x, b.Mul(b.Const(2), a, x))
	case OpLogSumExp:
		emit(x, b.Mul(a, b.Softmax(x)))
	case OpSoftmax:
		emit(x, b.Mul(n, b.Sub(a, b.Dot(n, a))))
	}
}

// secondDeriv is the second derivative of f at x, for a function whose
// first derivative is kept as a Deriv node.
func (b *Builder) secondDeriv(f Func, x Expr) Expr {
	switch f {
	case Tanh: // (1 - t^2)' = -2 t t'
		return b.Mul(b.Const(-2), b.Apply(Tanh, x), b.Deriv(Tanh, x))
	case Sigmoid: // (s - s^2)' = s' (1 - 2 s)
		return b.Mul(b.Deriv(Sigmoid, x), b.Sub(b.Const(1), b.Mul(b.Const(2), b.Apply(Sigmoid, x))))
	}
	return b.Zero(x.Shape())
}

// isZero reports whether x is a constant zero.
func isZero(x Expr) bool {
	c, ok := x.(*Const)
	return ok && c.val == 0
}
