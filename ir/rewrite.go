package ir

import (
	"slices"
	"strings"
)

// Topo returns every distinct expression reachable from roots, each after
// all of its arguments (dependency order). The order is deterministic: a
// depth-first walk of the roots in order, arguments left to right. Later
// phases use it to schedule common subexpressions once.
func Topo(roots ...Expr) []Expr {
	seen := map[Expr]bool{}
	var out []Expr
	var visit func(Expr)
	visit = func(e Expr) {
		if seen[e] {
			return
		}
		seen[e] = true
		if n, ok := e.(*Node); ok {
			for _, a := range n.args {
				visit(a)
			}
		}
		out = append(out, e)
	}
	for _, r := range roots {
		visit(r)
	}
	return out
}

// Vars returns the variables that occur in roots, sorted by name.
func Vars(roots ...Expr) []*Var {
	var out []*Var
	for _, x := range Topo(roots...) {
		if v, ok := x.(*Var); ok {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b *Var) int { return strings.Compare(a.spec.Name, b.spec.Name) })
	return out
}

// Subst returns e with every variable in m replaced by its image, rebuilt
// (and so simplified again) bottom-up. An image must have the variable's
// shape; a mismatch is recorded as an error at the variable's position.
func (b *Builder) Subst(e Expr, m map[*Var]Expr) Expr {
	for v, img := range m {
		if img.Shape() != v.Shape() {
			b.At(v.Pos()).fail("substitution for %s: shape %v, want %v", v.Name(), img.Shape(), v.Shape())
			return b.invalid()
		}
	}
	return b.rewrite(e, false, func(x Expr) (Expr, bool) {
		v, ok := x.(*Var)
		if !ok {
			return nil, false
		}
		img, ok := m[v]
		return img, ok
	})
}

// Expand returns e with every Deriv node written in closed form, e.g.
// tanh'(u) as 1 - tanh(u)^2, so the result uses only the basic operators.
func (b *Builder) Expand(e Expr) Expr {
	return b.rewrite(e, true, func(Expr) (Expr, bool) { return nil, false })
}

// rewrite rebuilds e bottom-up; leaf replaces an expression outright when
// it reports true, and Deriv nodes are written in closed form when expand.
func (b *Builder) rewrite(e Expr, expand bool, leaf func(Expr) (Expr, bool)) Expr {
	done := map[Expr]Expr{}
	for _, x := range Topo(e) {
		if y, ok := leaf(x); ok {
			done[x] = y
			continue
		}
		n, ok := x.(*Node)
		if !ok {
			done[x] = x
			continue
		}
		args := make([]Expr, len(n.args))
		changed := false
		for i, a := range n.args {
			args[i] = done[a]
			changed = changed || args[i] != a
		}
		switch {
		case expand && n.op == OpDeriv:
			done[x] = b.At(n.pos).expandDeriv(n.fn, args[0])
		case changed:
			done[x] = b.At(n.pos).rebuild(n, args)
		default:
			done[x] = x
		}
	}
	return done[e]
}

// rebuild applies n's operator to new arguments through the simplifying
// constructors.
func (b *Builder) rebuild(n *Node, args []Expr) Expr {
	switch n.op {
	case OpAdd:
		return b.Add(args...)
	case OpMul:
		return b.Mul(args...)
	case OpPow:
		return b.Pow(args[0], n.exp)
	case OpFunc:
		return b.Apply(n.fn, args[0])
	case OpDeriv:
		return b.Deriv(n.fn, args[0])
	case OpMatVec:
		return b.MatVec(args[0], args[1])
	case OpMatTVec:
		return b.MatTVec(args[0], args[1])
	case OpOuter:
		return b.Outer(args[0], args[1])
	case OpSum:
		return b.Sum(args[0])
	case OpDot:
		return b.Dot(args[0], args[1])
	case OpSumSq:
		return b.SumSq(args[0])
	case OpLogSumExp:
		return b.LogSumExp(args[0])
	case OpSoftmax:
		return b.Softmax(args[0])
	}
	return n
}
