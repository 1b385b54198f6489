package parser

import (
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/vlec-dev/vlec/lang"
)

// lowerer turns the participle tree into the lang AST. It records the
// position of the node it is working on, so a panic can be reported there.
type lowerer struct {
	errs lang.ErrorList
	at   lang.Pos
}

func (l *lowerer) pos(p lexer.Position) lang.Pos {
	l.at = toPos(p)
	return l.at
}

func (l *lowerer) model(m *model) *lang.ModelHeader {
	return &lang.ModelHeader{At: l.pos(m.Pos), Name: l.ident(m.Name)}
}

func (l *lowerer) decl(d *decl) lang.Decl {
	switch {
	case d.Import != nil:
		return &lang.ImportDecl{At: l.pos(d.Import.Pos), Path: l.str(&d.Import.Path)}
	case d.Const != nil:
		c := d.Const
		return &lang.ConstDecl{At: l.pos(c.Pos), Name: l.ident(c.Name), Value: l.expr(c.Value)}
	case d.Param != nil:
		p := d.Param
		return &lang.ParamDecl{At: l.pos(p.Pos), Name: l.ident(p.Name), Value: l.expr(p.Value), Learnable: p.Flag != nil}
	case d.Fn != nil:
		return l.fn(d.Fn)
	case d.Neuron != nil:
		return l.neuron(d.Neuron)
	case d.Sim != nil:
		return &lang.SimDecl{At: l.pos(d.Sim.Pos), Settings: l.settings(d.Sim.Settings)}
	case d.Learn != nil:
		return &lang.LearnDecl{At: l.pos(d.Learn.Pos), Settings: l.settings(d.Learn.Settings)}
	case d.Dataset != nil:
		return &lang.DatasetDecl{At: l.pos(d.Dataset.Pos), Name: l.ident(d.Dataset.Name), Settings: l.settings(d.Dataset.Settings)}
	case d.Task != nil:
		return &lang.TaskDecl{At: l.pos(d.Task.Pos), Settings: l.settings(d.Task.Settings)}
	case d.Input != nil:
		in := d.Input
		return &lang.InputDecl{At: l.pos(in.Pos), Name: l.ident(in.Name), Size: l.expr(in.Size), Value: l.expr(in.Value)}
	case d.Population != nil:
		return l.population(d.Population)
	case d.Connect != nil:
		return l.connect(d.Connect)
	case d.Teacher != nil:
		t := d.Teacher
		out := &lang.TeacherDecl{At: l.pos(t.Pos), Name: l.ident(t.Name), Size: l.optExpr(t.Size)}
		fun := &ident{Pos: t.Source.Pos, Name: t.Source.Fun}
		if t.Source.Field != nil {
			out.Data = &lang.SelectorExpr{X: l.ident(fun), Sel: l.ident(t.Source.Field)}
		} else {
			out.Source = l.call(fun, t.Source.Args)
		}
		return out
	case d.Energy != nil:
		return l.energy(d.Energy)
	case d.Record != nil:
		return l.record(d.Record)
	}
	return nil
}

func (l *lowerer) fn(f *fn) *lang.FuncDecl {
	out := &lang.FuncDecl{At: l.pos(f.Pos), Name: l.ident(f.Name)}
	for _, p := range f.Params {
		out.Params = append(out.Params, l.ident(p))
	}
	out.Body = l.expr(f.Body)
	return out
}

func (l *lowerer) neuron(n *neuron) *lang.NeuronDecl {
	out := &lang.NeuronDecl{At: l.pos(n.Pos), Name: l.ident(n.Name)}
	args := n.Args
	if n.Base != nil {
		out.Base = l.ident(n.Base)
		args = n.Derived
	}
	out.Params = l.args(args)
	return out
}

func (l *lowerer) settings(in []*setting) []*lang.Setting {
	out := make([]*lang.Setting, 0, len(in))
	for _, s := range in {
		ls := &lang.Setting{At: l.pos(s.Pos)}
		for _, k := range s.Key {
			ls.Key = append(ls.Key, l.ident(k))
		}
		ls.Value = l.expr(s.Value)
		out = append(out, ls)
	}
	return out
}

func (l *lowerer) population(p *population) *lang.PopulationDecl {
	return &lang.PopulationDecl{
		At:   l.pos(p.Pos),
		Name: l.ident(p.Name),
		Size: l.expr(p.Size),
		Kind: l.ident(p.Kind),
		Args: l.args(p.Args),
	}
}

func (l *lowerer) connect(c *connect) *lang.ConnectDecl {
	out := &lang.ConnectDecl{
		At:      l.pos(c.Pos),
		Src:     l.ident(c.Src),
		Arrow:   toPos(c.Arrow.Pos),
		Dst:     l.ident(c.Dst),
		Name:    l.ident(c.Name),
		Plastic: c.Flag != nil,
	}
	if c.Topology != nil {
		out.Topology = l.ref(c.Topology)
	}
	out.Init = l.expr(c.Init)
	return out
}

func (l *lowerer) energy(e *energy) *lang.EnergyDecl {
	out := &lang.EnergyDecl{At: l.pos(e.Pos), Terms: make([]lang.Expr, 0, len(e.Terms))}
	for _, t := range e.Terms {
		out.Terms = append(out.Terms, l.expr(t))
	}
	return out
}

func (l *lowerer) record(r *record) *lang.RecordDecl {
	out := &lang.RecordDecl{At: l.pos(r.Pos)}
	for _, p := range r.Items {
		out.Items = append(out.Items, l.path(p))
	}
	out.Every = l.optExpr(r.Every)
	if r.Unit != nil {
		out.Unit = l.ident(r.Unit)
	}
	if r.To != nil {
		out.To = l.str(r.To)
	}
	return out
}

// path lowers a recorded quantity: a name, a selector path, or a
// reduction call mean(y.r) around one.
func (l *lowerer) path(p *path) lang.Expr {
	if p.Energy != nil {
		return &lang.Ident{At: l.pos(p.Energy.Pos), Name: "energy"}
	}
	var x lang.Expr = l.ident(p.Head)
	if p.Inner != nil {
		inner := l.path(p.Inner)
		x = &lang.CallExpr{Fun: l.ident(p.Head), Lparen: inner.Pos(), Args: []*lang.Arg{{At: inner.Pos(), Value: inner}}, Rparen: inner.Pos()}
	}
	for _, sel := range p.Parts {
		x = &lang.SelectorExpr{X: x, Sel: l.ident(sel)}
	}
	return x
}

// ---- Expressions ----

func (l *lowerer) optExpr(e *expr) lang.Expr {
	if e == nil {
		return nil
	}
	return l.expr(e)
}

func (l *lowerer) expr(e *expr) lang.Expr {
	x := l.product(e.Left)
	for _, op := range e.Rest {
		x = &lang.BinaryExpr{X: x, OpPos: l.pos(op.Op.Pos), Op: op.Op.Value, Y: l.product(op.Right)}
	}
	return x
}

func (l *lowerer) product(p *product) lang.Expr {
	x := l.unary(p.Left)
	for _, op := range p.Rest {
		x = &lang.BinaryExpr{X: x, OpPos: l.pos(op.Op.Pos), Op: op.Op.Value, Y: l.unary(op.Right)}
	}
	return x
}

func (l *lowerer) unary(u *unary) lang.Expr {
	x := l.power(u.Power)
	for i := len(u.Signs) - 1; i >= 0; i-- {
		op := u.Signs[i].Op
		x = &lang.UnaryExpr{OpPos: toPos(op.Pos), Op: op.Value, X: x}
	}
	return x
}

func (l *lowerer) power(p *power) lang.Expr {
	x := l.postfix(p.Base)
	if p.Caret == nil {
		return x
	}
	return &lang.BinaryExpr{X: x, OpPos: l.pos(p.Caret.Pos), Op: "^", Y: l.unary(p.Exp)}
}

func (l *lowerer) postfix(p *postfix) lang.Expr {
	x := l.primary(p.X)
	for _, sel := range p.Sels {
		x = &lang.SelectorExpr{X: x, Sel: l.ident(sel)}
	}
	return x
}

func (l *lowerer) primary(p *primary) lang.Expr {
	switch {
	case p.Number != nil:
		n, _ := splitNumber(p.Number.Value) // checked by scan
		n.At = l.pos(p.Number.Pos)
		return &n
	case p.String != nil:
		return l.str(p.String)
	case p.Ref != nil:
		return l.ref(p.Ref)
	case p.Paren != nil:
		return &lang.ParenExpr{Lparen: l.pos(p.Paren.Lparen.Pos), X: l.expr(p.Paren.X), Rparen: toPos(p.Paren.Rparen.Pos)}
	}
	return l.list(p.List)
}

func (l *lowerer) list(li *list) *lang.ListExpr {
	out := &lang.ListExpr{Lbrack: l.pos(li.Lbrack.Pos), Elems: make([]lang.Expr, 0, len(li.Elems))}
	for _, e := range li.Elems {
		out.Elems = append(out.Elems, l.expr(e))
	}
	out.Rbrack = toPos(li.Rbrack.Pos)
	return out
}

// ref lowers a name, or a call when it has arguments.
func (l *lowerer) ref(r *ref) lang.Expr {
	if r.Args == nil {
		return l.ident(r.Name)
	}
	return l.call(r.Name, r.Args)
}

func (l *lowerer) call(fun *ident, a *argList) *lang.CallExpr {
	return &lang.CallExpr{
		Fun:    l.ident(fun),
		Lparen: toPos(a.Lparen.Pos),
		Args:   l.args(a),
		Rparen: toPos(a.Rparen.Pos),
	}
}

func (l *lowerer) args(a *argList) []*lang.Arg {
	if a == nil || a.Args == nil {
		return nil
	}
	out := make([]*lang.Arg, 0, len(a.Args.List))
	for _, g := range a.Args.List {
		out = append(out, l.arg(g))
	}
	return out
}

func (l *lowerer) arg(g *arg) *lang.Arg {
	out := &lang.Arg{At: l.pos(g.Pos), Learnable: g.Flag != nil}
	x := l.expr(g.X)
	if g.Value == nil {
		out.Value = x
		return out
	}
	name, ok := x.(*lang.Ident)
	if !ok {
		l.errs.Add(x.Pos(), "the name of a named argument must be a plain name, as in f(x = 1)")
	}
	out.Name = name
	out.Value = l.expr(g.Value)
	return out
}

func (l *lowerer) ident(i *ident) *lang.Ident {
	return &lang.Ident{At: l.pos(i.Pos), Name: i.Name}
}

func (l *lowerer) str(t *lexer.Token) *lang.StringLit {
	v, _, _ := unquote(t.Value) // checked by scan
	return &lang.StringLit{At: l.pos(t.Pos), Value: v}
}
