package ir

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// This file holds the arithmetic smart constructors. Each one returns its
// result in a normal form, so equal values built in different ways tend to
// be the same node and derived equations print like a paper:
//
//   - Add is flat (no Add argument), its terms are sorted by [compare] and
//     like terms are collected with numeric coefficients (x + x = 2*x,
//     x - x = 0); the constant term comes last and is dropped when zero.
//   - Mul is flat, its numeric coefficient comes first and is dropped when
//     one, the other factors are sorted and equal bases are collected into
//     powers (x*x = x^2, x/x = 1); a zero coefficient gives zero.
//     Products are not expanded: -(a - b) stays as it is, so a shared sum
//     such as a mismatch e = u - W @ r stays one node wherever it is used.
//   - Pow folds constants, x^0 = 1, x^1 = x, (x^p)^k = x^(p*k) and
//     (a*b)^k = a^k * b^k for integer k.
//
// A scalar operand of Add or Mul broadcasts over the others. When only a
// constant carries the result's shape, the constant keeps that shape (a
// filled tensor) so the node's shape stays right.

// Add returns the elementwise sum of xs.
func (b *Builder) Add(xs ...Expr) Expr {
	s, ok := b.elementwise("+", xs)
	if !ok {
		return b.invalidOf(xs)
	}
	if len(xs) == 1 {
		return xs[0]
	}
	var c float64
	var terms []term
	for _, x := range b.flattenSum(xs) {
		coef, base := splitTerm(x)
		if base == nil {
			c += coef
			continue
		}
		terms = addTerm(terms, term{coef, base, x.Shape()})
	}
	args := make([]Expr, 0, len(terms)+1)
	for _, t := range terms {
		if t.coef != 0 {
			args = append(args, b.Mul(b.Fill(t.coef, t.shape), t.base))
		}
	}
	if slices.ContainsFunc(args, isOp(OpAdd)) {
		// A collected coefficient of -1 distributed over a sum.
		return b.Add(append(args, b.Fill(c, s))...)
	}
	slices.SortStableFunc(args, func(x, y Expr) int { return compare(termBase(x), termBase(y)) })
	return b.finish(OpAdd, s, args, c, 0)
}

// term is one summand coef*base of an Add being built.
type term struct {
	coef  float64
	base  Expr
	shape Shape
}

// addTerm adds t to the like term in ts, or appends it.
func addTerm(ts []term, t term) []term {
	for i := range ts {
		if ts[i].base == t.base {
			ts[i].coef += t.coef
			ts[i].shape, _ = broadcast(ts[i].shape, t.shape)
			return ts
		}
	}
	return append(ts, t)
}

// Mul returns the elementwise product of xs.
func (b *Builder) Mul(xs ...Expr) Expr {
	s, ok := b.elementwise("*", xs)
	if !ok {
		return b.invalidOf(xs)
	}
	c := 1.0
	var fs []factor
	for _, x := range flatten(OpMul, xs) {
		if k, isConst := x.(*Const); isConst {
			c *= k.val
			continue
		}
		fs = addFactor(fs, splitFactor(x))
	}
	if c == 0 {
		return b.Fill(0, s)
	}
	args := make([]Expr, 0, len(fs)+1)
	for _, f := range fs {
		if f.exp != 0 {
			args = append(args, b.Pow(f.base, f.exp))
		}
	}
	if slices.ContainsFunc(args, isOp(OpMul)) {
		// An integer power distributed over a product.
		return b.Mul(append(args, b.Fill(c, s))...)
	}
	slices.SortStableFunc(args, compare)
	return b.finish(OpMul, s, args, c, 1)
}

// factor is one factor base^exp of a Mul being built.
type factor struct {
	base Expr
	exp  float64
}

func splitFactor(x Expr) factor {
	if n, ok := x.(*Node); ok && n.op == OpPow {
		return factor{n.args[0], n.exp}
	}
	return factor{x, 1}
}

func addFactor(fs []factor, f factor) []factor {
	for i := range fs {
		if fs[i].base == f.base {
			fs[i].exp += f.exp
			return fs
		}
	}
	return append(fs, f)
}

// finish assembles an Add (unit 0) or Mul (unit 1) from its sorted
// non-constant args and its constant c. The constant is scalar when an arg
// carries the shape s, else it is a filled tensor of shape s; it leads a
// product and ends a sum.
func (b *Builder) finish(op Op, s Shape, args []Expr, c float64, unit float64) Expr {
	if len(args) == 0 {
		return b.Fill(c, s)
	}
	carried := slices.ContainsFunc(args, func(a Expr) bool { return a.Shape() == s })
	if carried && c == unit {
		if len(args) == 1 {
			return args[0]
		}
		return b.intern(op, 0, 0, s, args)
	}
	k := b.Const(c)
	if !carried {
		k = b.Fill(c, s)
	}
	if op == OpAdd {
		return b.intern(op, 0, 0, s, append(args, k))
	}
	n := b.intern(op, 0, 0, s, append([]Expr{k}, args...))
	if len(args) > 1 && n.sub == nil {
		sub, _ := broadcastOf(args)
		n.sub = b.intern(op, 0, 0, sub, args)
	}
	return n
}

// broadcastOf is the broadcast shape of xs.
func broadcastOf(xs []Expr) (Shape, bool) {
	shapes := make([]Shape, len(xs))
	for i, x := range xs {
		shapes[i] = x.Shape()
	}
	return broadcast(shapes...)
}

// isOp returns a predicate for nodes with operator op.
func isOp(op Op) func(Expr) bool {
	return func(x Expr) bool {
		n, ok := x.(*Node)
		return ok && n.op == op
	}
}

// elementwise checks that xs broadcast together and returns their shape.
func (b *Builder) elementwise(op string, xs []Expr) (Shape, bool) {
	if len(xs) == 0 {
		b.fail("%s of no operands", op)
		return Scalar(), false
	}
	if bad(xs...) {
		return Scalar(), false
	}
	s, ok := broadcastOf(xs)
	if !ok {
		names := make([]string, len(xs))
		for i, x := range xs {
			names[i] = x.Shape().String()
		}
		b.fail("shape mismatch in %s: operands have shapes %s", op, strings.Join(names, ", "))
	}
	return s, ok
}

// invalidOf returns the first invalid operand, or a fresh invalid node.
func (b *Builder) invalidOf(xs []Expr) Expr {
	for _, x := range xs {
		if bad(x) {
			return x
		}
	}
	return b.invalid()
}

// flatten splices the arguments of nested op nodes into one list.
func flatten(op Op, xs []Expr) []Expr {
	out := make([]Expr, 0, len(xs))
	for _, x := range xs {
		if n, ok := x.(*Node); ok && n.op == op {
			out = append(out, n.args...)
		} else {
			out = append(out, x)
		}
	}
	return out
}

// flattenSum splices nested sums into one list of terms, distributing a
// numeric coefficient over a nested sum: a - 2*(b + c) has terms a, -2*b,
// -2*c.
func (b *Builder) flattenSum(xs []Expr) []Expr {
	out := make([]Expr, 0, len(xs))
	for _, x := range xs {
		c, base := splitTerm(x)
		n, ok := base.(*Node)
		switch {
		case !ok || n.op != OpAdd:
			out = append(out, x)
		case n == x:
			out = append(out, n.args...)
		default:
			for _, t := range n.args {
				out = append(out, b.Mul(b.Fill(c, x.Shape()), t))
			}
		}
	}
	return out
}

// splitTerm splits a summand into its numeric coefficient and the rest; the
// rest is nil for a constant.
func splitTerm(x Expr) (float64, Expr) {
	switch x := x.(type) {
	case *Const:
		return x.val, nil
	case *Node:
		if x.op == OpMul {
			if c, ok := x.args[0].(*Const); ok {
				return c.val, restOf(x)
			}
		}
	}
	return 1, x
}

// termBase is the non-numeric part of a summand, used to order terms.
func termBase(x Expr) Expr {
	if _, base := splitTerm(x); base != nil {
		return base
	}
	return x
}

// restOf is a product without its leading numeric coefficient. It exists
// only when the coefficient leads a product of two or more other factors,
// which was interned as a sub-product when the Mul was built.
func restOf(n *Node) Expr {
	if len(n.args) == 2 {
		return n.args[1]
	}
	return n.sub
}

// splitCoef splits x = c * rest with a scalar numeric c != 1 and rest of
// x's shape; ok is false when x has no such coefficient.
func splitCoef(x Expr) (c float64, rest Expr, ok bool) {
	n, isNode := x.(*Node)
	if !isNode || n.op != OpMul {
		return 1, x, false
	}
	k, isConst := n.args[0].(*Const)
	if !isConst || !k.shape.IsScalar() {
		return 1, x, false
	}
	return k.val, restOf(n), true
}

// splitScalar splits a non-scalar product x into its scalar factors (the
// numeric coefficient and scalar variables and nodes, which broadcast) and
// the product of the rest, which has x's shape; ok is false when x is not
// such a product.
func (b *Builder) splitScalar(x Expr) (scalar, rest Expr, ok bool) {
	n, isNode := x.(*Node)
	if !isNode || n.op != OpMul || n.shape.IsScalar() {
		return b.Const(1), x, false
	}
	var sc, vs []Expr
	for _, f := range n.args {
		if f.Shape().IsScalar() {
			sc = append(sc, f)
		} else {
			vs = append(vs, f)
		}
	}
	if len(sc) == 0 || len(vs) == 0 || slices.ContainsFunc(vs, isConstant) {
		return b.Const(1), x, false
	}
	return b.At(n.pos).Mul(sc...), b.At(n.pos).Mul(vs...), true
}

func isConstant(x Expr) bool {
	_, ok := x.(*Const)
	return ok
}

// Neg returns -x.
func (b *Builder) Neg(x Expr) Expr { return b.Mul(b.Const(-1), x) }

// Sub returns x - y.
func (b *Builder) Sub(x, y Expr) Expr { return b.Add(x, b.Neg(y)) }

// Div returns x / y elementwise, represented as x * y^-1.
func (b *Builder) Div(x, y Expr) Expr { return b.Mul(x, b.Pow(y, -1)) }

// Pow returns x^p entrywise for a finite constant exponent p.
func (b *Builder) Pow(x Expr, p float64) Expr {
	switch {
	case bad(x):
		return x
	case math.IsNaN(p) || math.IsInf(p, 0):
		return b.fail("exponent %v is not a finite number", p)
	case p == 0:
		return b.Fill(1, x.Shape())
	case p == 1:
		return x
	}
	k := p == math.Trunc(p)
	switch x := x.(type) {
	case *Const:
		return b.Fill(math.Pow(x.val, p), x.shape)
	case *Node:
		if x.op == OpPow && k {
			return b.Pow(x.args[0], x.exp*p)
		}
		if x.op == OpMul && k {
			fs := make([]Expr, len(x.args))
			for i, f := range x.args {
				fs[i] = b.Pow(f, p)
			}
			return b.Mul(fs...)
		}
	}
	return b.intern(OpPow, 0, p, x.Shape(), []Expr{x})
}

// compare is the canonical order of operands: constants first, then by
// rank (scalars before vectors before matrices), variables (by name) before
// nodes, and nodes by operator, function, exponent and arguments. It depends
// only on structure, never on pointers or creation order.
func compare(x, y Expr) int {
	if x == y {
		return 0
	}
	_, cx := x.(*Const)
	_, cy := y.(*Const)
	if r := cmp.Or(-compareBool(cx, cy), cmp.Compare(x.Shape().Rank, y.Shape().Rank),
		cmp.Compare(kind(x), kind(y))); r != 0 {
		return r
	}
	switch x := x.(type) {
	case *Const:
		y := y.(*Const)
		return cmp.Or(cmp.Compare(x.val, y.val), cmp.Compare(x.shape.Dims[0], y.shape.Dims[0]),
			cmp.Compare(x.shape.Dims[1], y.shape.Dims[1]))
	case *Var:
		return cmp.Compare(x.spec.Name, y.(*Var).spec.Name)
	}
	return compareNodes(x.(*Node), y.(*Node))
}

// opOrder ranks operators for printing order: functions and their
// derivatives first, then powers and reductions, then sums, then the
// linear-algebra operators and last products, so a product reads
// tanh'(u) * (W^T @ e) and a sum u - b - W @ x - c * y.
var opOrder = [...]int{
	OpInvalid: 0, OpFunc: 1, OpDeriv: 2, OpPow: 3, OpSum: 4, OpDot: 5, OpSumSq: 6,
	OpLogSumExp: 7, OpSoftmax: 8, OpAdd: 9, OpMatVec: 10, OpMatTVec: 11, OpOuter: 12, OpMul: 13,
}

func compareNodes(x, y *Node) int {
	if r := cmp.Or(cmp.Compare(opOrder[x.op], opOrder[y.op]), cmp.Compare(x.fn, y.fn),
		cmp.Compare(x.exp, y.exp)); r != 0 {
		return r
	}
	for i := range min(len(x.args), len(y.args)) {
		if r := compare(x.args[i], y.args[i]); r != 0 {
			return r
		}
	}
	return cmp.Compare(len(x.args), len(y.args))
}

// kind orders leaves before nodes: constants, variables, nodes.
func kind(x Expr) int {
	switch x.(type) {
	case *Const:
		return 0
	case *Var:
		return 1
	}
	return 2
}

func compareBool(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return 1
	}
	return -1
}
