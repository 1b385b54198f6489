package derive

import (
	"fmt"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
)

// PopSymbols are the symbolic variables of one population. U, M (the
// prospective membrane potential uhat_m), R (the prospective potential
// uhat_r that sets the rate), E (the error) and Udot are batched states;
// Bias, TauM and TauR are per-neuron parameters.
type PopSymbols struct {
	Pop              *check.Population
	U, M, R, E, Udot *ir.Var
	Bias, TauM, TauR *ir.Var
	// Gamma is the nudging strength: a constant when every neuron has the
	// same gamma, else GammaVar, a per-neuron parameter (never learned)
	// that a schedule binds to a buffer; GammaVar is nil when uniform.
	Gamma    ir.Expr
	GammaVar *ir.Var
	// Rate is phi(uhat_r), the population's output.
	Rate ir.Expr
	// Phi maps an argument to phi(argument).
	Phi func(x ir.Expr) ir.Expr
}

// symbols builds and remembers the variables of a model.
type symbols struct {
	b       *ir.Builder
	m       *check.Model
	pops    map[*check.Population]*PopSymbols
	order   []*PopSymbols
	weights map[*check.Connection]*ir.Var
	inputs  map[*check.Input]*ir.Var
	params  map[*check.Param]*ir.Var
	targets map[string]*ir.Var // teacher quantities by name
	consts  map[string]*ir.Var // named constants, kept as symbols
	// losses are the arguments of the loss(...) markers converted so
	// far; with placeholders set, each marker becomes a fresh scalar
	// symbol instead, collected in lossVars (see deriver.nudging).
	losses       []ir.Expr
	placeholders bool
	lossVars     []*ir.Var
	errs         lang.ErrorList
}

func newSymbols(b *ir.Builder, m *check.Model) *symbols {
	s := &symbols{b: b, m: m, pops: map[*check.Population]*PopSymbols{}, weights: map[*check.Connection]*ir.Var{},
		inputs: map[*check.Input]*ir.Var{}, params: map[*check.Param]*ir.Var{}, targets: map[string]*ir.Var{},
		consts: map[string]*ir.Var{}}
	for _, p := range m.Populations {
		ps := s.population(p)
		s.pops[p] = ps
		s.order = append(s.order, ps)
	}
	for _, c := range m.Connections {
		s.weights[c] = s.newVar(c.Name, ir.Mat(c.Dst.NodeSize(), c.Src.NodeSize()), ir.RoleParam, false, c, c.Pos)
	}
	for _, in := range m.Inputs {
		s.inputs[in] = s.newVar(in.Name, ir.Vec(in.Size), ir.RoleInput, true, in, in.Pos)
	}
	for _, p := range m.Params {
		s.params[p] = s.newVar(p.Name, ir.Scalar(), ir.RoleParam, false, p, p.Pos)
	}
	return s
}

func (s *symbols) newVar(name string, shape ir.Shape, role ir.Role, batched bool, ref any, pos lang.Pos) *ir.Var {
	v, err := s.b.Var(ir.VarSpec{Name: name, Shape: shape, Role: role, Batched: batched, Ref: ref, Pos: pos})
	if err != nil {
		s.errs = append(s.errs, &lang.Error{Pos: pos, Msg: err.Error()})
	}
	return v
}

// population declares the variables of p.
func (s *symbols) population(p *check.Population) *PopSymbols {
	n := ir.Vec(p.Size)
	state := func(q string) *ir.Var { return s.newVar(p.Name+"."+q, n, ir.RoleState, true, p, p.Pos) }
	param := func(q string, np check.NeuronParam) *ir.Var {
		return s.newVar(p.Name+"."+q, n, ir.RoleParam, false, p, np.Pos)
	}
	ps := &PopSymbols{Pop: p, U: state("u"), M: state("uhat_m"), R: state("uhat_r"), E: state("e"), Udot: state("udot"),
		Bias: param("b", p.Bias), TauM: param("tau_m", p.TauM), TauR: param("tau_r", p.TauR)}
	if g, uniform := p.Gamma.Uniform(); uniform {
		ps.Gamma = s.b.Const(g)
	} else {
		ps.GammaVar = param("gamma", p.Gamma)
		ps.Gamma = ps.GammaVar
	}
	ps.Phi = s.activation(p)
	ps.Rate = ps.Phi(ps.R)
	return ps
}

// activation returns phi as a function on expressions: a builtin, or the
// body of a user function with its argument substituted.
func (s *symbols) activation(p *check.Population) func(ir.Expr) ir.Expr {
	act := p.Phi
	if act.Body == nil {
		f, ok := ir.FuncByName(act.Name)
		if !ok {
			s.errs.Add(act.Pos, "activation %s has no symbolic form", act.Name)
			return func(x ir.Expr) ir.Expr { return x }
		}
		return func(x ir.Expr) ir.Expr { return s.b.Apply(f, x) }
	}
	arg := s.newVar(p.Name+".phi_arg", ir.Vec(p.Size), ir.RoleState, true, p, act.Pos)
	body := s.expr(act.Body, map[string]ir.Expr{"": arg})
	return func(x ir.Expr) ir.Expr { return s.b.Subst(body, map[*ir.Var]ir.Expr{arg: x}) }
}

// input returns the symbolic input current I of population p: the sum of
// W @ source over the connections into p, plus the bias.
func (s *symbols) input(p *check.Population) ir.Expr {
	ps := s.pops[p]
	terms := []ir.Expr{ps.Bias}
	for _, c := range s.m.Connections {
		if c.Dst == p {
			terms = append(terms, s.b.At(c.Pos).MatVec(s.weights[c], s.source(c.Src)))
		}
	}
	return s.b.Add(terms...)
}

// source is the rate a connection reads: a population's rate or an input.
func (s *symbols) source(n check.Node) ir.Expr {
	switch n := n.(type) {
	case *check.Population:
		return s.pops[n].Rate
	case *check.Input:
		return s.inputs[n]
	}
	panic(fmt.Sprintf("derive: unknown node %T", n))
}

// constant is the symbol of a named constant; its Ref is its value.
func (s *symbols) constant(n *check.Num) *ir.Var {
	if v, ok := s.consts[n.Name]; ok {
		return v
	}
	v := s.newVar(n.Name, ir.Scalar(), ir.RoleConst, false, n.Value, n.At)
	s.consts[n.Name] = v
	return v
}

// target is the variable standing for a teacher quantity.
func (s *symbols) target(r *check.Ref) *ir.Var {
	name := r.String()
	if v, ok := s.targets[name]; ok {
		return v
	}
	v := s.newVar(name, ir.Vec(r.Shp.N), ir.RoleTarget, true, r, r.At)
	s.targets[name] = v
	return v
}

// expr converts a checked expression into a symbolic one. args binds the
// argument of an activation body (key "").
func (s *symbols) expr(e check.Expr, args map[string]ir.Expr) ir.Expr {
	b := s.b.At(e.Pos())
	switch e := e.(type) {
	case *check.Num:
		if e.Name != "" {
			return s.constant(e)
		}
		return b.Const(e.Value)
	case *check.Ref:
		return s.ref(e, args)
	case *check.Unary:
		return b.Neg(s.expr(e.X, args))
	case *check.Binary:
		x, y := s.expr(e.X, args), s.expr(e.Y, args)
		switch e.Op {
		case "+":
			return b.Add(x, y)
		case "-":
			return b.Sub(x, y)
		case "*":
			return b.Mul(x, y)
		case "/":
			return b.Div(x, y)
		case "^":
			return b.Pow(x, e.Y.(*check.Num).Value)
		case "@":
			return b.MatVec(x, y)
		}
	case *check.Call:
		return s.call(b, e, args)
	}
	s.errs.Add(e.Pos(), "internal error: cannot convert %s to a symbolic expression", e)
	return b.Const(0)
}

func (s *symbols) call(b *ir.Builder, e *check.Call, args map[string]ir.Expr) ir.Expr {
	xs := make([]ir.Expr, len(e.Args))
	for i, a := range e.Args {
		xs[i] = s.expr(a, args)
	}
	switch e.Func {
	case "sum":
		return b.Sum(xs[0])
	case "sumsq":
		return b.SumSq(xs[0])
	case "mean":
		return b.Mul(b.Const(1/float64(xs[0].Shape().Size())), b.Sum(xs[0]))
	case "logsumexp":
		return b.LogSumExp(xs[0])
	case "dot":
		return b.Dot(xs[0], xs[1])
	case "loss":
		if s.placeholders {
			v := s.newVar(fmt.Sprintf("loss#%d", len(s.lossVars)+1), ir.Scalar(), ir.RoleConst, false, nil, e.At)
			s.lossVars = append(s.lossVars, v)
			return v
		}
		s.losses = append(s.losses, xs[0])
		return xs[0]
	}
	if f, ok := ir.FuncByName(e.Func); ok {
		return b.Apply(f, xs[0])
	}
	s.errs.Add(e.At, "%s cannot appear in an energy term", e.Func)
	return b.Const(0)
}

// ref converts a reference to a model quantity.
func (s *symbols) ref(r *check.Ref, args map[string]ir.Expr) ir.Expr {
	switch r.Kind {
	case check.RefArg:
		return args[""]
	case check.RefWeight:
		return s.weights[r.Conn]
	case check.RefInput:
		return s.inputs[r.Input]
	case check.RefScalar:
		return s.params[r.Param]
	case check.RefTeacher:
		return s.target(r)
	case check.RefState, check.RefParam:
		ps := s.pops[r.Pop]
		switch r.Var {
		case "u":
			return ps.U
		case "r":
			return ps.Rate
		case "uhat_m":
			return ps.M
		case "uhat_r":
			return ps.R
		case "I":
			return s.input(r.Pop)
		case "b":
			return ps.Bias
		case "tau_m":
			return ps.TauM
		case "tau_r":
			return ps.TauR
		case "gamma":
			return ps.Gamma
		}
	}
	s.errs.Add(r.At, "%s cannot appear in an energy term", r)
	return s.b.Const(0)
}
