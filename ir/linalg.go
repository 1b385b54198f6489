package ir

import "math"

// The linear-algebra and reduction constructors. Their simplifications:
// an operand that is zero gives zero, constant operands are folded, scalar
// factors are pulled to the front (W @ (2*x) = 2 * W @ x,
// sum(k * v) = k * sum(v) for a scalar k, sumsq(-x) = sumsq(x)), and a
// matrix-vector product with an outer product becomes a dot product
// (outer(a, c) @ y = a * dot(c, y)); sum(x^2) is sumsq(x).

// MatVec returns W @ x: a [m][n] matrix times a [n] vector gives [m].
func (b *Builder) MatVec(w, x Expr) Expr {
	if bad(w, x) {
		return b.invalidOf([]Expr{w, x})
	}
	ws, xs := w.Shape(), x.Shape()
	if ws.Rank != 2 || xs.Rank != 1 || ws.Cols() != xs.Rows() {
		return b.fail("shape mismatch in W @ x: W is %v and x is %v; need W [m][n] and x [n]", ws, xs)
	}
	return b.bilinear(OpMatVec, Vec(ws.Rows()), w, x, float64(ws.Cols()))
}

// MatTVec returns W^T @ x: a [m][n] matrix transposed times a [m] vector
// gives [n].
func (b *Builder) MatTVec(w, x Expr) Expr {
	if bad(w, x) {
		return b.invalidOf([]Expr{w, x})
	}
	ws, xs := w.Shape(), x.Shape()
	if ws.Rank != 2 || xs.Rank != 1 || ws.Rows() != xs.Rows() {
		return b.fail("shape mismatch in W^T @ x: W is %v and x is %v; need W [m][n] and x [m]", ws, xs)
	}
	return b.bilinear(OpMatTVec, Vec(ws.Cols()), w, x, float64(ws.Rows()))
}

// Outer returns outer(x, y) = x y^T: vectors [m] and [n] give [m][n].
func (b *Builder) Outer(x, y Expr) Expr {
	if bad(x, y) {
		return b.invalidOf([]Expr{x, y})
	}
	xs, ys := x.Shape(), y.Shape()
	if xs.Rank != 1 || ys.Rank != 1 {
		return b.fail("outer needs two vectors, got %v and %v", xs, ys)
	}
	return b.bilinear(OpOuter, Mat(xs.Rows(), ys.Rows()), x, y, 1)
}

// Dot returns the sum of the entrywise product of x and y, which must have
// the same shape; dot(x, x) = sumsq(x).
func (b *Builder) Dot(x, y Expr) Expr {
	if bad(x, y) {
		return b.invalidOf([]Expr{x, y})
	}
	if x.Shape() != y.Shape() {
		return b.fail("shape mismatch in dot: %v and %v", x.Shape(), y.Shape())
	}
	switch {
	case x.Shape().IsScalar():
		return b.Mul(x, y)
	case x == y:
		return b.SumSq(x)
	case compare(x, y) > 0:
		x, y = y, x
	}
	if k, ok := x.(*Const); ok && k.val != 0 {
		return b.Mul(b.Const(k.val), b.Sum(y))
	}
	return b.bilinear(OpDot, Scalar(), x, y, float64(x.Shape().Size()))
}

// bilinear builds op(x, y) for an operator linear in each operand: zeros
// vanish, constants fold (each entry of the result is x*y*k for filled
// operands) and coefficients move to the front.
func (b *Builder) bilinear(op Op, s Shape, x, y Expr, k float64) Expr {
	cx, isCx := x.(*Const)
	cy, isCy := y.(*Const)
	switch {
	case isCx && cx.val == 0, isCy && cy.val == 0:
		return b.Zero(s)
	case isCx && isCy:
		return b.Fill(cx.val*cy.val*k, s)
	}
	ax, rx, okx := b.splitScalar(x)
	ay, ry, oky := b.splitScalar(y)
	if okx || oky {
		return b.Mul(ax, ay, b.bilinear(op, s, rx, ry, k))
	}
	if o, ok := x.(*Node); ok && o.op == OpOuter && (op == OpMatVec || op == OpMatTVec) {
		// outer(a, c) @ y = a * dot(c, y) and outer(a, c)^T @ y = c * dot(a, y)
		a, c := o.args[0], o.args[1]
		if op == OpMatTVec {
			a, c = c, a
		}
		return b.Mul(a, b.Dot(c, y))
	}
	return b.intern(op, 0, 0, s, []Expr{x, y})
}

// Sum returns the sum of the entries of x, a scalar.
func (b *Builder) Sum(x Expr) Expr {
	if bad(x) {
		return x
	}
	if x.Shape().IsScalar() {
		return x
	}
	if k, ok := x.(*Const); ok {
		return b.Const(k.val * float64(k.shape.Size()))
	}
	if c, rest, ok := b.splitScalar(x); ok {
		return b.Mul(c, b.Sum(rest))
	}
	if n, ok := x.(*Node); ok && n.op == OpPow && n.exp == 2 {
		return b.SumSq(n.args[0])
	}
	return b.intern(OpSum, 0, 0, Scalar(), []Expr{x})
}

// SumSq returns the squared norm of x, the sum of its squared entries
// (the Frobenius norm squared for a matrix).
func (b *Builder) SumSq(x Expr) Expr {
	if bad(x) {
		return x
	}
	if x.Shape().IsScalar() {
		return b.Pow(x, 2)
	}
	if k, ok := x.(*Const); ok {
		return b.Const(k.val * k.val * float64(k.shape.Size()))
	}
	if c, rest, ok := b.splitScalar(x); ok {
		return b.Mul(b.Pow(c, 2), b.SumSq(rest))
	}
	return b.intern(OpSumSq, 0, 0, Scalar(), []Expr{x})
}

// LogSumExp returns log(sum(exp(x))) of a vector x, a scalar.
func (b *Builder) LogSumExp(x Expr) Expr {
	if bad(x) {
		return x
	}
	if x.Shape().Rank != 1 {
		return b.fail("logsumexp needs a vector, got %v", x.Shape())
	}
	if k, ok := x.(*Const); ok {
		return b.Const(k.val + math.Log(float64(k.shape.Size())))
	}
	return b.intern(OpLogSumExp, 0, 0, Scalar(), []Expr{x})
}

// Softmax returns exp(x) / sum(exp(x)) of a vector x, the gradient of
// LogSumExp.
func (b *Builder) Softmax(x Expr) Expr {
	if bad(x) {
		return x
	}
	if x.Shape().Rank != 1 {
		return b.fail("softmax needs a vector, got %v", x.Shape())
	}
	if k, ok := x.(*Const); ok {
		return b.Fill(1/float64(k.shape.Size()), k.shape)
	}
	return b.intern(OpSoftmax, 0, 0, x.Shape(), []Expr{x})
}
