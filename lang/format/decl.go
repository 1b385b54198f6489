package format

import (
	"github.com/vlec-dev/vlec/lang"
)

// decl prints one declaration, starting on the current line.
func (p *printer) decl(d lang.Decl) {
	switch d := d.(type) {
	case *lang.ImportDecl:
		p.word("import ")
		p.expr(d.Path)
	case *lang.ConstDecl:
		p.word("const ")
		p.ident(d.Name)
		p.word(" = ")
		p.expr(d.Value)
	case *lang.ParamDecl:
		p.word("param ")
		p.ident(d.Name)
		p.word(" = ")
		p.expr(d.Value)
		p.flag(d.Learnable, "learnable")
	case *lang.FuncDecl:
		p.fn(d)
	case *lang.NeuronDecl:
		p.word("neuron ")
		p.ident(d.Name)
		if d.Base != nil {
			p.word(" = ")
			p.ident(d.Base)
		}
		p.argBlock(d.At, d.Params)
	case *lang.SimDecl:
		p.settings("sim", d.At, d.Settings)
	case *lang.LearnDecl:
		p.settings("learn", d.At, d.Settings)
	case *lang.DatasetDecl:
		p.word("dataset ")
		p.ident(d.Name)
		p.word(" ")
		p.settings("", d.At, d.Settings)
	case *lang.TaskDecl:
		p.settings("task", d.At, d.Settings)
	case *lang.InputDecl:
		p.word("input ")
		p.ident(d.Name)
		p.word("[")
		p.expr(d.Size)
		p.word("] = ")
		p.expr(d.Value)
	case *lang.PopulationDecl:
		p.population(d)
	case *lang.ConnectDecl:
		p.connect(d)
	case *lang.TeacherDecl:
		p.word("teacher ")
		p.ident(d.Name)
		if d.Size != nil {
			p.word("[")
			p.expr(d.Size)
			p.word("]")
		}
		p.word(" = ")
		if d.Data != nil {
			p.expr(d.Data)
		} else {
			p.expr(d.Source)
		}
	case *lang.EnergyDecl:
		p.energy(d)
	case *lang.RecordDecl:
		p.record(d)
	}
}

func (p *printer) flag(on bool, word string) {
	if on {
		p.word(" " + word)
	}
}

func (p *printer) fn(d *lang.FuncDecl) {
	p.word("fn ")
	p.ident(d.Name)
	p.word("(")
	for i, a := range d.Params {
		if i > 0 {
			p.word(", ")
		}
		p.ident(a)
	}
	p.word(") = ")
	p.expr(d.Body)
}

func (p *printer) population(d *lang.PopulationDecl) {
	p.word("population ")
	p.ident(d.Name)
	p.word("[")
	p.expr(d.Size)
	p.word("] : ")
	p.ident(d.Kind)
	if len(d.Args) > 0 {
		p.argBlock(d.At, d.Args)
	}
}

func (p *printer) connect(d *lang.ConnectDecl) {
	p.word("connect ")
	p.ident(d.Src)
	p.at(d.Arrow)
	p.word(" -> ")
	p.ident(d.Dst)
	p.word(" ")
	p.ident(d.Name)
	if d.Topology != nil {
		p.word(" : ")
		p.expr(d.Topology)
	}
	p.word(" = ")
	p.expr(d.Init)
	p.flag(d.Plastic, "plastic")
}

// argBlock prints the parameter list of a neuron kind or population: on
// one line, or one argument per line when the source spread it over lines.
func (p *printer) argBlock(start lang.Pos, args []*lang.Arg) {
	if !multiline(start, args) {
		p.word("(")
		p.args(args)
		p.word(")")
		return
	}
	p.word("(")
	outer := p.indent
	for i, a := range args {
		next := lang.Pos{}
		if i+1 < len(args) {
			next = args[i+1].At
		}
		p.lineStart(a.At, outer+1)
		p.arg(a)
		p.word(",")
		p.endLine(next)
	}
	p.indent = outer
	p.word(")")
}

// multiline reports whether args start on a line after start.
func multiline(start lang.Pos, args []*lang.Arg) bool {
	for _, a := range args {
		if a.At.Line > start.Line {
			return true
		}
	}
	return false
}

// settings prints a sim or learn block: `sim { dt = 1ms }` when it is
// empty, else one setting per line.
func (p *printer) settings(kw string, at lang.Pos, list []*lang.Setting) {
	if kw != "" {
		kw += " "
	}
	p.word(kw + "{")
	if len(list) == 0 {
		p.word("}")
		return
	}
	p.endLine(list[0].At)
	for i, s := range list {
		next := lang.Pos{}
		if i+1 < len(list) {
			next = list[i+1].At
		}
		p.lineStart(s.At, 1)
		for j, k := range s.Key {
			if j > 0 {
				p.word(".")
			}
			p.ident(k)
		}
		p.word(" = ")
		p.expr(s.Value)
		p.endLine(next)
	}
	p.indent = 0
	p.word("}")
}

// energy prints one term per line. A term that starts with a sign or a
// parenthesis would continue the previous line's term when re-parsed, so
// the previous term ends with `;` then.
func (p *printer) energy(d *lang.EnergyDecl) {
	p.word("energy {")
	if len(d.Terms) == 0 {
		p.word("}")
		return
	}
	p.endLine(p.start(d.Terms[0]))
	for i, t := range d.Terms {
		next := lang.Pos{}
		if i+1 < len(d.Terms) {
			next = p.start(d.Terms[i+1])
		}
		p.lineStart(p.start(t), 1)
		p.expr(t)
		if i+1 < len(d.Terms) && startsAmbiguously(d.Terms[i+1]) {
			p.word(";")
		}
		p.endLine(next)
	}
	p.indent = 0
	p.word("}")
}

// startsAmbiguously reports whether e's first token is a sign or "(".
func startsAmbiguously(e lang.Expr) bool {
	for {
		switch x := e.(type) {
		case *lang.UnaryExpr, *lang.ParenExpr:
			return true
		case *lang.BinaryExpr:
			if needsParens(x.X, leftPrec(x.Op)) {
				return true
			}
			e = x.X
		case *lang.SelectorExpr:
			if needsParens(x.X, precPrimary) {
				return true
			}
			e = x.X
		default:
			return false
		}
	}
}

func (p *printer) record(d *lang.RecordDecl) {
	p.word("record ")
	for i, it := range d.Items {
		if i > 0 {
			p.word(", ")
		}
		p.expr(it)
	}
	if d.Every != nil {
		p.word(" every ")
		p.expr(d.Every)
		if d.Unit != nil {
			p.word(" ")
			p.ident(d.Unit)
		}
	}
	if d.To != nil {
		p.word(" to ")
		p.expr(d.To)
	}
}

// declEnd estimates the last source line of a declaration. The tree
// records no closing braces; the canonical form puts the `}` of a block
// whose items start on a later line on a line of its own, and so does
// this estimate, which keeps blank-line decisions stable.
func (p *printer) declEnd(d lang.Decl) int {
	last := p.maxLine(d)
	switch d := d.(type) {
	case *lang.SimDecl, *lang.LearnDecl, *lang.EnergyDecl, *lang.DatasetDecl, *lang.TaskDecl:
		if last > d.Pos().Line {
			last++
		}
	case *lang.NeuronDecl:
		if multiline(d.At, d.Params) {
			last++
		}
	case *lang.PopulationDecl:
		if multiline(d.At, d.Args) {
			last++
		}
	}
	return last
}
