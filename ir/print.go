package ir

import (
	"strconv"
	"strings"
)

// Printing. An expression prints like a formula in a paper, with as few
// parentheses as the precedences allow. ASCII (String) and LaTeX (Latex)
// share the walk below and differ in the tokens.
//
//	precedence   ASCII                       LaTeX
//	1 sum        a + b - c                   a + b - c
//	2 product    2 * a * b / c, -a           2 a \odot b / ..., \frac{}{}
//	3 matvec     W @ x, W^T @ x              W x, W^\top x, a b^\top
//	4 power      x^2                         x^{2}, \lVert x\rVert^2
//	5 atom       x, 1.5, tanh(u), sumsq(x)   x, \tanh(u)

const (
	precAdd = 1 + iota
	precMul
	precMatVec
	precPow
	precAtom
)

// printer renders one expression in one style.
type printer struct {
	sb    strings.Builder
	latex bool
}

func sprint(e Expr) string {
	var p printer
	p.expr(e, 0)
	return p.sb.String()
}

// expr prints e, in parentheses when it binds less tightly than ctx.
func (p *printer) expr(e Expr, ctx int) {
	if p.prec(e) < ctx {
		p.sb.WriteString("(")
		p.bare(e)
		p.sb.WriteString(")")
		return
	}
	p.bare(e)
}

// prec is the precedence of e's outermost operator.
func (p *printer) prec(e Expr) int {
	switch e := e.(type) {
	case *Const:
		if e.val < 0 {
			return precMul
		}
		return precAtom
	case *Var:
		return precAtom
	case *Node:
		switch e.op {
		case OpAdd:
			return precAdd
		case OpMul:
			if f, ok := broadcastOnly(e); ok {
				return p.prec(f)
			}
			return precMul
		case OpPow:
			if e.exp < 0 {
				return precMul
			}
			return precPow
		case OpMatVec, OpMatTVec:
			return precMatVec
		case OpOuter:
			if p.latex {
				return precMatVec
			}
		case OpSumSq:
			if p.latex {
				return precPow
			}
		}
	}
	return precAtom
}

func (p *printer) bare(e Expr) {
	switch e := e.(type) {
	case *Const:
		p.num(e.val)
	case *Var:
		p.name(e.spec.Name)
	case *Node:
		p.node(e)
	}
}

func (p *printer) node(n *Node) {
	switch n.op {
	case OpAdd:
		p.sum(n.args)
	case OpMul:
		if f, ok := broadcastOnly(n); ok {
			p.bare(f)
			return
		}
		c, fs := 1.0, n.args
		if k, ok := fs[0].(*Const); ok {
			c, fs = k.val, fs[1:]
		}
		p.product(c, fs)
	case OpPow:
		if n.exp < 0 {
			p.product(1, []Expr{n})
			return
		}
		p.power(n.args[0], n.exp)
	case OpMatVec, OpMatTVec:
		p.matvec(n)
	case OpFunc, OpDeriv:
		p.call(n)
	case OpInvalid:
		p.sb.WriteString("<invalid>")
	default:
		p.reduction(n)
	}
}

// broadcastOnly reports whether n is a scalar broadcast to a tensor,
// 1 * f, which prints as f alone.
func broadcastOnly(n *Node) (Expr, bool) {
	if len(n.args) != 2 {
		return nil, false
	}
	k, ok := n.args[0].(*Const)
	return n.args[1], ok && k.val == 1
}

// sum prints the terms of an Add: positive terms first, each negative
// term as "- |term|", a zero constant left out.
func (p *printer) sum(args []Expr) {
	first := true
	for pass := 0; pass < 2; pass++ {
		for _, t := range args {
			c, base := splitTerm(t)
			if (c < 0) != (pass == 1) || (base == nil && c == 0) {
				continue
			}
			switch {
			case c < 0 && first:
				p.sb.WriteString("-")
				c = -c
			case c < 0:
				p.sb.WriteString(" - ")
				c = -c
			case !first:
				p.sb.WriteString(" + ")
			}
			first = false
			p.term(c, base, t)
		}
	}
	if first {
		p.sb.WriteString("0")
	}
}

// term prints c*base (base nil: the number c) as a product.
func (p *printer) term(c float64, base, whole Expr) {
	switch {
	case base == nil:
		p.num(c)
	case whole != base:
		if n, ok := whole.(*Node); ok {
			p.product(c, n.args[1:])
			return
		}
		fallthrough
	default:
		p.expr(base, precMul)
	}
}

// product prints c * f1 * f2 ... / (g1 * g2 ...), where the g are the
// factors with negative exponents.
func (p *printer) product(c float64, fs []Expr) {
	var num, den []Expr
	var denExp []float64
	for _, f := range fs {
		if n, ok := f.(*Node); ok && n.op == OpPow && n.exp < 0 {
			den, denExp = append(den, n.args[0]), append(denExp, -n.exp)
		} else {
			num = append(num, f)
		}
	}
	if c < 0 {
		p.sb.WriteString("-")
		c = -c
	}
	if p.latex && len(den) > 0 {
		p.frac(c, num, den, denExp)
		return
	}
	p.factors(c, num)
	if len(den) == 0 {
		return
	}
	p.sb.WriteString(" / ")
	if len(den) > 1 {
		p.sb.WriteString("(")
	}
	for i, d := range den {
		if i > 0 {
			p.sb.WriteString(" * ")
		}
		p.power(d, denExp[i])
	}
	if len(den) > 1 {
		p.sb.WriteString(")")
	}
}

// factors prints c * f1 * f2 ...; "1" when there is nothing to print. A
// matvec after a vector factor is parenthesised: a * (W @ x).
func (p *printer) factors(c float64, fs []Expr) {
	wrote := false
	if c != 1 || len(fs) == 0 {
		p.num(c)
		wrote = true
	}
	vector := false
	for i, f := range fs {
		if wrote {
			p.sb.WriteString(p.mulSep(fs, i))
		}
		ctx := precMul + 1
		if vector && p.prec(f) == precMatVec {
			ctx = precPow
		}
		p.expr(f, ctx)
		wrote = true
		vector = vector || !f.Shape().IsScalar()
	}
}

// mulSep is the product sign before factor i.
func (p *printer) mulSep(fs []Expr, i int) string {
	if !p.latex {
		return " * "
	}
	if i > 0 && !fs[i-1].Shape().IsScalar() && !fs[i].Shape().IsScalar() {
		return ` \odot `
	}
	return ` \, `
}

// power prints x^e for a positive exponent.
func (p *printer) power(x Expr, e float64) {
	if e == 1 {
		p.expr(x, precMul+1)
		return
	}
	if p.latex {
		if n, ok := x.(*Node); ok && n.op == OpSumSq && e != 1 {
			p.sb.WriteString("(")
			p.bare(x)
			p.sb.WriteString(")^{")
		} else {
			p.expr(x, precAtom)
			p.sb.WriteString("^{")
		}
		p.num(e)
		p.sb.WriteString("}")
		return
	}
	p.expr(x, precAtom)
	p.sb.WriteString("^")
	p.num(e)
}

func (p *printer) matvec(n *Node) {
	w, x := n.args[0], n.args[1]
	p.expr(w, precAtom)
	if n.op == OpMatTVec {
		p.sb.WriteString(map[bool]string{false: "^T", true: `^\top`}[p.latex])
	}
	if p.latex {
		p.sb.WriteString(" ")
	} else {
		p.sb.WriteString(" @ ")
	}
	p.expr(x, precMatVec)
}

// call prints f(x) or f'(x).
func (p *printer) call(n *Node) {
	if p.latex {
		p.latexCall(n)
		return
	}
	p.sb.WriteString(n.fn.String())
	if n.op == OpDeriv {
		p.sb.WriteString("'")
	}
	p.args(n.args)
}

// reduction prints sum, dot, sumsq, logsumexp, softmax and outer.
func (p *printer) reduction(n *Node) {
	if p.latex {
		p.latexReduction(n)
		return
	}
	names := map[Op]string{OpSum: "sum", OpDot: "dot", OpSumSq: "sumsq",
		OpLogSumExp: "logsumexp", OpSoftmax: "softmax", OpOuter: "outer"}
	p.sb.WriteString(names[n.op])
	p.args(n.args)
}

// args prints a parenthesised, comma-separated argument list.
func (p *printer) args(xs []Expr) {
	p.sb.WriteString("(")
	for i, x := range xs {
		if i > 0 {
			p.sb.WriteString(", ")
		}
		p.expr(x, 0)
	}
	p.sb.WriteString(")")
}

func (p *printer) num(v float64) {
	if p.latex {
		p.sb.WriteString(latexNum(v))
		return
	}
	p.sb.WriteString(formatNum(v))
}

func (p *printer) name(s string) {
	if p.latex {
		p.sb.WriteString(latexName(s))
		return
	}
	p.sb.WriteString(s)
}

// formatNum prints a number compactly: 0.5, 2, 1e-08.
func formatNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
