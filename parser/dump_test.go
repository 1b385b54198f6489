package parser

import (
	"fmt"
	"strings"

	"github.com/vlec-dev/vlec/lang"
)

// dump prints a node as a compact S-expression, the form the table tests
// compare against. Positions are left out; TestPositions checks them.
func dump(n lang.Node) string {
	var b strings.Builder
	dumpTo(&b, n)
	return b.String()
}

func dumpTo(b *strings.Builder, n lang.Node) {
	switch n := n.(type) {
	case *lang.File:
		b.WriteString("(file")
		if n.Model != nil {
			b.WriteString(" (model " + n.Model.Name.Name + ")")
		}
		for _, d := range n.Decls {
			b.WriteByte(' ')
			dumpTo(b, d)
		}
		b.WriteByte(')')
	case *lang.ImportDecl:
		sexp(b, "import", n.Path)
	case *lang.ConstDecl:
		sexp(b, "const", n.Name, n.Value)
	case *lang.ParamDecl:
		sexp(b, flagged("param", n.Learnable, "learnable"), n.Name, n.Value)
	case *lang.FuncDecl:
		b.WriteString("(fn " + n.Name.Name + " (")
		for i, p := range n.Params {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(p.Name)
		}
		b.WriteString(") ")
		dumpTo(b, n.Body)
		b.WriteByte(')')
	case *lang.NeuronDecl:
		items := []lang.Node{n.Name}
		if n.Base != nil {
			items = append(items, word("= "+n.Base.Name))
		}
		sexp(b, "neuron", append(items, argNodes(n.Params)...)...)
	case *lang.SimDecl:
		sexp(b, "sim", settings(n.Settings)...)
	case *lang.LearnDecl:
		sexp(b, "learn", settings(n.Settings)...)
	case *lang.Setting:
		var key []string
		for _, k := range n.Key {
			key = append(key, k.Name)
		}
		sexp(b, "=", word(strings.Join(key, ".")), n.Value)
	case *lang.InputDecl:
		sexp(b, "input", n.Name, n.Size, n.Value)
	case *lang.PopulationDecl:
		sexp(b, "population", append([]lang.Node{n.Name, n.Size, n.Kind}, argNodes(n.Args)...)...)
	case *lang.ConnectDecl:
		var topo lang.Node = word("dense")
		if n.Topology != nil {
			topo = n.Topology
		}
		sexp(b, flagged("connect", n.Plastic, "plastic"), n.Src, n.Dst, n.Name, topo, n.Init)
	case *lang.TeacherDecl:
		var size lang.Node = word("-")
		if n.Size != nil {
			size = n.Size
		}
		sexp(b, "teacher", n.Name, size, n.Source)
	case *lang.EnergyDecl:
		var terms []lang.Node
		for _, t := range n.Terms {
			terms = append(terms, t)
		}
		sexp(b, "energy", terms...)
	case *lang.RecordDecl:
		var items []lang.Node
		for _, it := range n.Items {
			items = append(items, it)
		}
		if n.Every != nil {
			items = append(items, word("every"), n.Every)
		}
		if n.Unit != nil {
			items = append(items, n.Unit)
		}
		if n.To != nil {
			items = append(items, word("to"), n.To)
		}
		sexp(b, "record", items...)
	case *lang.Arg:
		switch {
		case n.Name != nil:
			sexp(b, flagged("arg", n.Learnable, "learnable"), n.Name, n.Value)
		case n.Learnable:
			sexp(b, "learnable", n.Value)
		default:
			dumpTo(b, n.Value)
		}
	case *lang.Ident:
		b.WriteString(n.Name)
	case *lang.NumberLit:
		b.WriteString(n.Text)
		if n.Unit != "" || fmt.Sprint(n.Value) != n.Text {
			fmt.Fprintf(b, "{%g%s}", n.Value, n.Unit)
		}
	case *lang.StringLit:
		fmt.Fprintf(b, "%q", n.Value)
	case *lang.ListExpr:
		var elems []lang.Node
		for _, e := range n.Elems {
			elems = append(elems, e)
		}
		sexp(b, "list", elems...)
	case *lang.ParenExpr:
		sexp(b, "paren", n.X)
	case *lang.SelectorExpr:
		sexp(b, ".", n.X, n.Sel)
	case *lang.CallExpr:
		sexp(b, "call", append([]lang.Node{n.Fun}, argNodes(n.Args)...)...)
	case *lang.UnaryExpr:
		sexp(b, n.Op, n.X)
	case *lang.BinaryExpr:
		sexp(b, n.Op, n.X, n.Y)
	case word:
		b.WriteString(string(n))
	default:
		fmt.Fprintf(b, "?%T", n)
	}
}

// word is a literal piece of a dump.
type word string

func (word) Pos() lang.Pos { return lang.Pos{} }

func sexp(b *strings.Builder, head string, items ...lang.Node) {
	b.WriteString("(" + head)
	for _, it := range items {
		b.WriteByte(' ')
		dumpTo(b, it)
	}
	b.WriteByte(')')
}

func flagged(head string, on bool, flag string) string {
	if on {
		return head + " " + flag
	}
	return head
}

func argNodes(in []*lang.Arg) []lang.Node {
	out := make([]lang.Node, len(in))
	for i, a := range in {
		out[i] = a
	}
	return out
}

func settings(in []*lang.Setting) []lang.Node {
	out := make([]lang.Node, len(in))
	for i, s := range in {
		out[i] = s
	}
	return out
}
