// Package derive derives the dynamics of a checked model from its energy,
// symbolically, as one would by hand.
//
// The energy E is a sum of terms over the model's quantities. Each
// population p has a prospective membrane potential uhat_m = u + tau_m du/dt
// and a prospective potential uhat_r = u + tau_r du/dt that sets its rate
// r = phi(uhat_r). The derivation, for every population p:
//
//   - Membrane. dE/duhat_m,p must be uhat_m,p - I_p for an expression I_p
//     free of uhat_m,p: the population's mismatch term 1/2 |uhat_m - I|^2.
//     Calling the mismatch the error e_p, stationarity gives
//     tau_m du_p/dt = -u_p + I_p + gamma e_p.
//   - Instantaneous error. ebar_p = -dE/duhat_r,p, every term's derivative
//     through the population's rate, with each mismatch uhat_m,q - I_q
//     written as the error e_q (uhat_m,q is replaced by I_q + e_q).
//   - Error of the method: le takes e = ebar; gle passes ebar through an
//     error neuron with swapped time constants, tau_r dv/dt = -v + ebar,
//     e = v + tau_m dv/dt.
//   - Plasticity. Every plastic or learnable parameter theta follows
//     d theta/dt = -eta dE/dtheta, with the same substitution; a membrane
//     time constant reaches E through uhat_m = u + tau_m du/dt, so its rule
//     has the factor du/dt.
//
// For the default energy these are exactly the equations of GLE
// (Ellenberger et al., arXiv 2403.16933).
package derive

import (
	"math"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
)

// System is the derived dynamics of a model.
type System struct {
	Model  *check.Model
	B      *ir.Builder
	Energy ir.Expr // the total energy
	Terms  []Term
	Pops   []*PopEquations
	// Updates are the plasticity rules, in model order: weights, then
	// population parameters, then model parameters.
	Updates []*Update
	// Targets are the teacher quantities the energy reads, by name.
	Targets map[string]*ir.Var
	// Inputs are the input variables, by input.
	Inputs map[*check.Input]*ir.Var
	// Weights are the weight variables, by connection.
	Weights map[*check.Connection]*ir.Var
	// Params are the model-level parameter variables.
	Params map[*check.Param]*ir.Var
	// Consts are the named constants the equations keep as symbols; the
	// value of each is its Ref (a float64).
	Consts map[string]*ir.Var
	// Teachers are the derived systems of the teacher models.
	Teachers map[*check.Teacher]*System
	// Losses are the task losses the energy marks with loss(...), in the
	// order they appear; empty when it marks none.
	Losses []ir.Expr
	// Nudging is beta, the factor by which the energy weighs the task
	// loss: dE/dloss, the same for every loss(...) marker (1 when the
	// energy marks none).
	Nudging float64
	// regular is the cost without its task losses (the regularisers), or
	// nil when the energy marks no loss.
	regular ir.Expr
}

// Term is one energy term in symbolic form.
type Term struct {
	Source string // as the user wrote it
	Pos    lang.Pos
	Expr   ir.Expr
}

// PopEquations are the derived equations of one population.
type PopEquations struct {
	PopSymbols
	// Drive is I_p, the input current of the membrane equation.
	Drive ir.Expr
	// Ebar is the instantaneous error -dE/duhat_r, in terms of the states,
	// the errors of other populations and the targets.
	Ebar ir.Expr
	// DriveFrom and EbarFrom name the energy terms each came from.
	DriveFrom, EbarFrom []string
}

// Update is the plasticity rule of one parameter:
// d Param/dt = eta * Direction, Direction = -dE/dParam.
type Update struct {
	Param     *ir.Var
	Group     []string // names the learning rate may be set by, most specific first
	Direction ir.Expr
	From      []string
}

// Derive derives the dynamics of m and of its teachers' models.
func Derive(m *check.Model) (*System, error) {
	return derive(m, ir.NewBuilder())
}

func derive(m *check.Model, b *ir.Builder) (*System, error) {
	s := newSymbols(b, m)
	sys := &System{Model: m, B: b, Inputs: s.inputs, Weights: s.weights, Params: s.params,
		Targets: s.targets, Consts: s.consts, Teachers: map[*check.Teacher]*System{}}
	d := &deriver{s: s, sys: sys}
	d.energy()
	d.nudging()
	d.populations()
	d.plasticity()
	for _, t := range m.Teachers {
		if t.Model == nil {
			continue
		}
		ts, err := derive(t.Model, ir.NewBuilder())
		if err != nil {
			s.errs = append(s.errs, lang.Diagnostics(err)...)
			continue
		}
		sys.Teachers[t] = ts
	}
	if err := b.Err(); err != nil {
		s.errs = append(s.errs, lang.Diagnostics(err)...)
	}
	return sys, s.errs.Err()
}

// deriver holds the state of one derivation.
type deriver struct {
	s     *symbols
	sys   *System
	subst map[*ir.Var]ir.Expr // uhat_m,q -> I_q + e_q
}

// energy converts the energy terms.
func (d *deriver) energy() {
	var all []ir.Expr
	for _, t := range d.s.m.Energy {
		e := d.s.expr(t.Expr, nil)
		d.sys.Terms = append(d.sys.Terms, Term{Source: t.Source, Pos: t.Pos, Expr: e})
		all = append(all, e)
	}
	d.sys.Energy = d.s.b.Add(all...)
}

// nudging finds the nudging strength beta and the regularisers when the
// energy marks task losses with loss(...). It converts the terms again
// with each marker replaced by a symbol l_i: E must be linear in every
// l_i with one constant, positive coefficient beta = dE/dl_i, and the
// cost with every l_i set to 0 is what remains besides beta * loss.
func (d *deriver) nudging() {
	d.sys.Nudging = 1
	d.sys.Losses = d.s.losses
	if len(d.s.losses) == 0 || len(d.s.errs) > 0 {
		return
	}
	s := d.s
	s.placeholders = true
	var all, cost []ir.Expr
	for _, t := range s.m.Energy {
		e := s.expr(t.Expr, nil)
		all = append(all, e)
		if !d.isMismatch(e) {
			cost = append(cost, e)
		}
	}
	s.placeholders = false
	energy := s.b.Add(all...)
	zero := map[*ir.Var]ir.Expr{}
	for _, l := range s.lossVars {
		zero[l] = s.b.Const(0)
	}
	beta := math.NaN()
	for i, l := range s.lossVars {
		c, ok := d.constantValue(d.gradOf(energy, l))
		switch {
		case !ok:
			s.errs.Add(l.Pos(), "loss(...) must enter the energy linearly, weighted by a constant: write beta * loss(C) with beta a number or a const")
			return
		case c <= 0:
			s.errs.Add(l.Pos(), "loss(...) is weighted by %g in the energy; the nudging strength must be positive", c)
			return
		case i > 0 && c != beta:
			s.errs.Add(l.Pos(), "this loss(...) is weighted by %g, the first by %g: the task loss has one nudging strength; write the losses as one, beta * loss(C1 + w * C2)", c, beta)
			return
		}
		beta = c
	}
	d.sys.Nudging = beta
	d.sys.regular = s.b.Subst(s.b.Add(cost...), zero)
}

// isMismatch reports whether a term is a mismatch term: it uses some
// population's uhat_m.
func (d *deriver) isMismatch(e ir.Expr) bool {
	for _, ps := range d.s.order {
		if dependsOn(e, ps.M) {
			return true
		}
	}
	return false
}

// constantValue evaluates e when it depends on named constants only.
func (d *deriver) constantValue(e ir.Expr) (float64, bool) {
	env := map[*ir.Var][]float64{}
	for _, v := range ir.Vars(e) {
		if v.Role() != ir.RoleConst || v.Ref() == nil {
			return 0, false
		}
		env[v] = []float64{v.Ref().(float64)}
	}
	if !e.Shape().IsScalar() {
		return 0, false
	}
	val, err := ir.Eval(e, env)
	if err != nil {
		return 0, false
	}
	return val[0], true
}

// grad differentiates the energy with respect to v, and says which terms
// contributed.
func (d *deriver) grad(v *ir.Var) (ir.Expr, []string) {
	g := d.gradOf(d.sys.Energy, v)
	var from []string
	for _, t := range d.sys.Terms {
		if !isZero(d.gradOf(t.Expr, v)) {
			from = append(from, t.Source)
		}
	}
	return g, from
}

func (d *deriver) gradOf(e ir.Expr, v *ir.Var) ir.Expr {
	gs, err := ir.Grad(d.s.b, e, v)
	if err != nil {
		d.s.errs.Add(v.Pos(), "cannot differentiate the energy by %s: %v", v.Name(), err)
		return d.s.b.Zero(v.Shape())
	}
	return gs[0]
}

// isZero reports whether e is the constant 0.
func isZero(e ir.Expr) bool {
	c, ok := e.(*ir.Const)
	return ok && c.Value() == 0
}

// populations derives the membrane drive and the instantaneous error of
// every population.
func (d *deriver) populations() {
	d.subst = map[*ir.Var]ir.Expr{}
	b := d.s.b
	for _, ps := range d.s.order {
		g, from := d.grad(ps.M)
		pe := &PopEquations{PopSymbols: *ps, DriveFrom: from}
		d.sys.Pops = append(d.sys.Pops, pe)
		p := ps.Pop
		if isZero(g) {
			d.s.errs.Add(p.Pos, "population %s has no mismatch term, so its membrane dynamics cannot be derived; add mismatch(%s) (1/2 |%s.uhat_m - %s.I|^2) to the energy", p.Name, p.Name, p.Name, p.Name)
			continue
		}
		drive := b.Sub(ps.M, g)
		if dependsOn(drive, ps.M) {
			d.mismatchError(ps, g)
			continue
		}
		pe.Drive = drive
		d.subst[ps.M] = b.Add(drive, ps.E)
	}
	for _, pe := range d.sys.Pops {
		if pe.Drive == nil {
			continue
		}
		d.noDirectDependence(pe)
		g, from := d.grad(pe.R)
		pe.Ebar = b.Neg(b.Subst(g, d.subst))
		pe.EbarFrom = from
	}
}

// mismatchError explains an energy whose dependence on uhat_m is not a
// single mismatch term. When uhat_m appears in several terms, the error
// e = uhat_m - I would depend on itself: an instantaneous loop.
func (d *deriver) mismatchError(ps *PopSymbols, g ir.Expr) {
	p := ps.Pop
	var uses []Term
	for _, t := range d.sys.Terms {
		if dependsOn(t.Expr, ps.M) {
			uses = append(uses, t)
		}
	}
	if len(uses) > 1 {
		d.s.errs.Add(uses[1].Pos, "%s uses %s.uhat_m, which %s already uses: the error of %s would depend on itself (an instantaneous loop); uhat_m may appear only in the population's mismatch term", uses[1].Source, p.Name, uses[0].Source, p.Name)
		return
	}
	d.s.errs.Add(p.Pos, "the energy must depend on %s.uhat_m only through 1/2 |%s.uhat_m - I|^2 (its mismatch term), but dE/d%s.uhat_m = %s", p.Name, p.Name, p.Name, g)
}

// noDirectDependence reports energy terms that use a population's u
// directly: the error reaches a population only through its prospective
// potentials and rate.
func (d *deriver) noDirectDependence(pe *PopEquations) {
	for _, t := range d.sys.Terms {
		if dependsOn(t.Expr, pe.U) || dependsOn(t.Expr, pe.Udot) {
			d.s.errs.Add(t.Pos, "energy term uses %s.u, which has no error dynamics of its own; write it in terms of %s.r, %s.uhat_r or %s.uhat_m", pe.Pop.Name, pe.Pop.Name, pe.Pop.Name, pe.Pop.Name)
		}
	}
}

// dependsOn reports whether v occurs in e.
func dependsOn(e ir.Expr, v *ir.Var) bool {
	for _, x := range ir.Topo(e) {
		if x == ir.Expr(v) {
			return true
		}
	}
	return false
}

// plasticity derives the rule of every plastic or learnable parameter.
func (d *deriver) plasticity() {
	for _, c := range d.s.m.Connections {
		if c.Plastic {
			d.update(d.s.weights[c], []string{c.Name, "W"}, c.Pos, nil)
		}
	}
	for _, pe := range d.sys.Pops {
		p := pe.Pop
		if p.Bias.Learnable {
			d.update(pe.Bias, []string{p.Name + ".b", "b"}, p.Bias.Pos, nil)
		}
		if p.TauM.Learnable {
			d.update(pe.TauM, []string{p.Name + ".tau_m", "tau_m"}, p.TauM.Pos, pe)
		}
	}
	for _, p := range d.s.m.Params {
		if p.Learnable {
			d.update(d.s.params[p], []string{p.Name}, p.Pos, nil)
		}
	}
}

// update derives -dE/dtheta. For a membrane time constant, E depends on
// tau_m also through uhat_m = u + tau_m du/dt, which adds
// dE/duhat_m * du/dt = e * du/dt.
func (d *deriver) update(v *ir.Var, group []string, pos lang.Pos, tauOf *PopEquations) {
	b := d.s.b
	g, from := d.grad(v)
	if tauOf != nil && tauOf.Drive != nil {
		g = b.Add(g, b.Mul(tauOf.E, tauOf.Udot))
		from = appendUnique(from, tauOf.DriveFrom...)
	}
	if isZero(g) {
		d.s.errs.Add(pos, "%s is plastic, but the energy does not depend on it; drop the flag or add a term that uses it", v.Name())
		return
	}
	dir := b.Neg(b.Subst(g, d.subst))
	d.sys.Updates = append(d.sys.Updates, &Update{Param: v, Group: group, Direction: dir, From: from})
}

func appendUnique(list []string, more ...string) []string {
	for _, m := range more {
		found := false
		for _, x := range list {
			found = found || x == m
		}
		if !found {
			list = append(list, m)
		}
	}
	return list
}

// Method is the model's credit-assignment method.
func (s *System) Method() check.Method { return s.Model.Sim.Method }

// Cost is the sum of the energy terms that are not mismatch terms (the
// terms that nudge the output, and regularisers), or nil when there are
// none.
func (s *System) Cost() ir.Expr {
	var cost []ir.Expr
	for _, t := range s.Terms {
		mismatch := false
		for _, pe := range s.Pops {
			mismatch = mismatch || dependsOn(t.Expr, pe.M)
		}
		if !mismatch {
			cost = append(cost, t.Expr)
		}
	}
	if len(cost) == 0 {
		return nil
	}
	return s.B.Add(cost...)
}

// Loss is the task loss: the sum of the expressions the energy marks with
// loss(...), or the cost when it marks none. It is nil when the energy
// has no cost terms.
func (s *System) Loss() ir.Expr {
	if len(s.Losses) > 0 {
		return s.B.Add(s.Losses...)
	}
	return s.Cost()
}

// Objective is the cost with the nudging strength divided out, Cost/beta
// = Loss + regularisers/beta: the function whose gradient the local rules
// estimate (their changes divided by beta) and whose exact gradient vlec
// grad and method adjoint compute. Without regularisers it is the task
// loss itself; without loss(...) markers it is the cost. It is nil when
// the energy has no cost terms.
func (s *System) Objective() ir.Expr {
	if len(s.Losses) == 0 {
		return s.Cost()
	}
	loss := s.B.Add(s.Losses...)
	if c, ok := s.regular.(*ir.Const); ok && c.Value() == 0 {
		return loss
	}
	return s.B.Add(loss, s.B.Mul(s.B.Const(1/s.Nudging), s.regular))
}
