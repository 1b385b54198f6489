package format

import (
	"strings"

	"github.com/vlec-dev/vlec/lang"
)

// Precedence levels, lowest first, as in the grammar.
const (
	precSum     = iota + 1 // + -
	precProduct            // * / @
	precUnary              // -x +x
	precPower              // x ^ y
	precPrimary            // names, literals, calls, selectors, ( ), [ ]
)

func binaryPrec(op string) int {
	switch op {
	case "+", "-":
		return precSum
	case "^":
		return precPower
	}
	return precProduct
}

// leftPrec and rightPrec are the levels the operands of op must have to
// print without parentheses: + - * / @ associate to the left, ^ to the
// right with a unary exponent.
func leftPrec(op string) int {
	if op == "^" {
		return precPrimary
	}
	return binaryPrec(op)
}

func rightPrec(op string) int {
	if op == "^" {
		return precUnary
	}
	return binaryPrec(op) + 1
}

func prec(e lang.Expr) int {
	switch e := e.(type) {
	case *lang.BinaryExpr:
		return binaryPrec(e.Op)
	case *lang.UnaryExpr:
		return precUnary
	}
	return precPrimary
}

// needsParens reports whether e must be parenthesised where level is
// required. A parsed tree never needs them (the parser keeps the source's
// parentheses as ParenExpr); a tree built by a program may.
func needsParens(e lang.Expr, level int) bool { return prec(e) < level }

func (p *printer) operand(e lang.Expr, level int) {
	if needsParens(e, level) {
		p.word("(")
		p.expr(e)
		p.word(")")
		return
	}
	p.expr(e)
}

func (p *printer) expr(e lang.Expr) {
	switch e := e.(type) {
	case *lang.Ident:
		p.ident(e)
	case *lang.NumberLit:
		p.at(e.At)
		p.word(e.Text)
	case *lang.StringLit:
		p.at(e.At)
		p.word(quote(e.Value))
	case *lang.ListExpr:
		p.list(e)
	case *lang.ParenExpr:
		p.at(e.Lparen)
		p.word("(")
		p.expr(e.X)
		p.word(")")
	case *lang.SelectorExpr:
		p.operand(e.X, precPrimary)
		if _, ok := e.X.(*lang.NumberLit); ok {
			p.word(" ") // 0.r would read as a number with a unit
		}
		p.word(".")
		p.ident(e.Sel)
	case *lang.CallExpr:
		p.ident(e.Fun)
		if e.Lparen.IsValid() && e.Rparen.Line > e.Lparen.Line && len(e.Args) > 0 {
			p.argLines(e.Args, e.Rparen)
			return
		}
		p.word("(")
		p.args(e.Args)
		p.word(")")
	case *lang.UnaryExpr:
		p.at(e.OpPos)
		p.word(e.Op)
		p.operand(e.X, precUnary)
	case *lang.BinaryExpr:
		p.operand(e.X, leftPrec(e.Op))
		p.at(e.OpPos)
		p.word(" " + e.Op + " ")
		p.operand(e.Y, rightPrec(e.Op))
	}
}

func (p *printer) ident(id *lang.Ident) {
	p.at(id.At)
	p.word(id.Name)
}

func (p *printer) args(args []*lang.Arg) {
	for i, a := range args {
		if i > 0 {
			p.word(", ")
		}
		p.arg(a)
	}
}

func (p *printer) arg(a *lang.Arg) {
	if a.Name != nil {
		p.ident(a.Name)
		p.word(" = ")
	}
	p.expr(a.Value)
	p.flag(a.Learnable, "learnable")
}

// argLines prints call arguments one per line, as the source had them.
func (p *printer) argLines(args []*lang.Arg, end lang.Pos) {
	p.word("(")
	outer := p.indent
	for i, a := range args {
		next := end
		if i+1 < len(args) {
			next = args[i+1].At
		}
		p.lineStart(a.At, outer+1)
		p.arg(a)
		p.word(",")
		p.endLine(next)
	}
	p.indent = outer
	p.at(end)
	p.word(")")
}

// list prints `[a, b]`, or one element per line when the source spread
// the list over lines (a weight matrix, one row per line).
func (p *printer) list(l *lang.ListExpr) {
	p.at(l.Lbrack)
	p.word("[")
	if len(l.Elems) == 0 || l.Rbrack.Line <= l.Lbrack.Line {
		for i, e := range l.Elems {
			if i > 0 {
				p.word(", ")
			}
			p.expr(e)
		}
		p.at(l.Rbrack)
		p.word("]")
		return
	}
	outer := p.indent
	for i, e := range l.Elems {
		next := l.Rbrack
		if i+1 < len(l.Elems) {
			next = p.start(l.Elems[i+1])
		}
		p.lineStart(p.start(e), outer+1)
		p.expr(e)
		p.word(",")
		p.endLine(next)
	}
	p.indent = outer
	p.at(l.Rbrack)
	p.word("]")
}

// quote writes a string literal with the language's four escapes.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// maxLine is the last source line any position in n refers to,
// closing brackets included. It reads only the positions each node holds
// itself: a binary or selector expression starts where its left operand
// does, which the walk visits anyway (asking such a node for its Pos walks
// its left operands, which made long sums quadratic).
func (p *printer) maxLine(n lang.Node) int {
	m := 0
	lang.Inspect(n, func(x lang.Node) bool {
		p.work++
		switch x := x.(type) {
		case *lang.BinaryExpr, *lang.SelectorExpr:
		case *lang.ListExpr:
			m = max(m, x.Lbrack.Line, x.Rbrack.Line)
		case *lang.ParenExpr:
			m = max(m, x.Lparen.Line, x.Rparen.Line)
		case *lang.CallExpr:
			m = max(m, x.Fun.At.Line, x.Rparen.Line)
		default:
			m = max(m, x.Pos().Line)
		}
		return true
	})
	return m
}

// start is the position of e's first token. Like e.Pos() it walks down
// the left operands, counting each step as work, so a caller that asks
// for the start of every operand shows up as superlinear in the tests.
func (p *printer) start(e lang.Expr) lang.Pos {
	for {
		p.work++
		switch x := e.(type) {
		case *lang.BinaryExpr:
			e = x.X
		case *lang.SelectorExpr:
			e = x.X
		default:
			return e.Pos()
		}
	}
}
