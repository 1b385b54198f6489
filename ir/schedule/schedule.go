package schedule

import (
	"fmt"
	"sort"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/ir/derive"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
)

// Schedule builds the step program of a derived system and of its
// teachers.
func Schedule(sys *derive.System) (*Program, error) {
	if sys.Method() == check.Adjoint {
		return nil, lang.ErrorList{lang.Errorf(sys.Model.Sim.Pos, "method adjoint has no local step program: it runs the free dynamics (schedule.Free) and a reverse sweep (ir/adjoint)")}
	}
	s := newScheduler(sys)
	s.build()
	if err := s.errs.Err(); err != nil {
		return nil, err
	}
	return s.p, nil
}

// precision sets the program's number format (Program.Float32).
// A free program (exact gradients, a reference) computes in float64.
func (s *scheduler) precision() {
	s.p.Float32 = s.sys.Model.Sim.Precision == "float32" && !s.free
}

// Free schedules the free dynamics of a model, the forward pass of exact
// gradients: the errors do not move the membranes (gamma = 0), there is
// no learning, and Program.Cost holds the objective (the cost terms
// divided by the nudging strength, derive.System.Objective) at the start
// of each step.
func Free(sys *derive.System) (*Program, error) {
	s := newScheduler(sys)
	s.free = true
	s.build()
	if err := s.errs.Err(); err != nil {
		return nil, err
	}
	return s.p, nil
}

// popBuffers are the buffers of one population.
type popBuffers struct {
	eq                *derive.PopEquations
	u, v, e, r        *Buffer // states (r is uhat_r)
	b, tauM, tauR     *Buffer
	udot              *Buffer // temp: this step's du/dt
	v0, vdot, ebarVar *ir.Var // symbols for the error neuron
	eNew, udotNew     *ir.Var
}

type scheduler struct {
	sys    *derive.System
	b      *ir.Builder
	p      *Program
	pops   []*popBuffers
	params map[ir.Expr]*Buffer // every parameter, input and target
	// caches are functions of a population's uhat_r that later steps
	// read (its rate, phi'(uhat_r)); messages are products with plastic
	// weights in the errors, computed with this step's weights.
	caches   map[ir.Expr]*Buffer
	cacheOf  map[*popBuffers][]ir.Expr
	messages []ir.Expr
	msgBuf   map[ir.Expr]*Buffer
	// prevBuf are copies of the plastic parameters the errors read
	// outside messages, as the previous step used them.
	prevBuf   map[ir.Expr]*Buffer
	prevOrder []*ir.Var
	free      bool // the free dynamics only (see Free)
	initial   bool // emit into Program.Init
	errs      lang.ErrorList
}

func newScheduler(sys *derive.System) *scheduler {
	m := sys.Model
	return &scheduler{sys: sys, b: sys.B, params: map[ir.Expr]*Buffer{}, caches: map[ir.Expr]*Buffer{},
		cacheOf: map[*popBuffers][]ir.Expr{}, msgBuf: map[ir.Expr]*Buffer{}, prevBuf: map[ir.Expr]*Buffer{},
		p: &Program{Model: m, Dt: m.Sim.Dt, Batch: m.Sim.Batch, Steps: m.Sim.Steps, LearnAfter: m.Sim.LearnAfter,
			Inputs: map[*check.Input]*Buffer{}, Teachers: map[*check.Teacher]*Program{}, Named: map[string]*Buffer{},
			Deltas: map[*Buffer]*Buffer{}, Beta: 1}}
}

func (s *scheduler) fail(pos lang.Pos, format string, args ...any) {
	s.errs.Add(pos, format, args...)
}

func (s *scheduler) emit(k *Kernel) {
	if s.initial {
		s.p.Init = append(s.p.Init, k)
		return
	}
	s.p.Kernels = append(s.p.Kernels, k)
}

// newBuffer adds a buffer; a State gets its Next half.
func (s *scheduler) newBuffer(name string, kind Kind, shape ir.Shape, batched bool) *Buffer {
	b := &Buffer{ID: len(s.p.Buffers), Name: name, Kind: kind, Shape: shape, Batched: batched}
	s.p.Buffers = append(s.p.Buffers, b)
	if kind == State {
		b.Next = &Buffer{ID: len(s.p.Buffers), Name: name, Kind: Next, Shape: shape, Batched: batched}
		s.p.Buffers = append(s.p.Buffers, b.Next)
	}
	if kind != Temp && kind != Next {
		s.p.Named[name] = b
	}
	return b
}

// build lays out the buffers and emits the three phases.
func (s *scheduler) build() {
	s.precision()
	s.teachers()
	s.declareParams()
	s.declarePopulations()
	s.findCachesAndMessages()
	s.learningRates()
	s.p.Beta = s.sys.Nudging
	s.costKernel()
	s.energyKernels()
	s.populationPhase()
	if !s.free {
		s.messagePhase()
		s.learnPhase()
	}
	s.checkRecords()
}

// teachers schedules the teachers' programs and binds the targets.
func (s *scheduler) teachers() {
	for t, tsys := range s.sys.Teachers {
		tp, err := Schedule(tsys)
		if err != nil {
			s.errs = append(s.errs, lang.Diagnostics(err)...)
			continue
		}
		s.p.Teachers[t] = tp
	}
	names := make([]string, 0, len(s.sys.Targets))
	for n := range s.sys.Targets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := s.sys.Targets[n]
		buf := s.newBuffer(n, Target, v.Shape(), true)
		s.params[v] = buf
		ref := v.Ref().(*check.Ref)
		tb := &TargetBinding{Buffer: buf, Teacher: ref.Teacher}
		if ref.Pop != nil {
			if tp := s.p.Teachers[ref.Teacher]; tp != nil {
				tb.Source = tp.Named[ref.Pop.Name+"."+ref.Var]
				if tb.Source == nil {
					s.fail(ref.At, "teacher %s does not compute %s.%s", ref.Teacher.Name, ref.Pop.Name, ref.Var)
				}
			}
		}
		s.p.Targets = append(s.p.Targets, tb)
	}
}

// declareParams lays out the weights, inputs and model parameters.
func (s *scheduler) declareParams() {
	m := s.sys.Model
	for _, c := range m.Connections {
		v := s.sys.Weights[c]
		buf := s.newBuffer(c.Name, Param, v.Shape(), false)
		buf.Conn = c
		if c.Init.Kind == check.InitLiteral {
			buf.Init = flatten(c.Init.Literal)
		}
		s.params[v] = buf
	}
	for _, in := range m.Inputs {
		v := s.sys.Inputs[in]
		buf := s.newBuffer(in.Name, Input, v.Shape(), true)
		s.params[v] = buf
		s.p.Inputs[in] = buf
	}
	for _, p := range m.Params {
		v := s.sys.Params[p]
		buf := s.newBuffer(p.Name, Param, v.Shape(), false)
		buf.Init = []float64{p.Value}
		s.params[v] = buf
	}
	for _, name := range sortedNames(s.sys.Consts) {
		v := s.sys.Consts[name]
		buf := s.newBuffer(name, Const, v.Shape(), false)
		buf.Init = []float64{v.Ref().(float64)}
		s.params[v] = buf
	}
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func flatten(m [][]float64) []float64 {
	var out []float64
	for _, row := range m {
		out = append(out, row...)
	}
	return out
}

// declarePopulations lays out the states and parameters of every
// population and the symbols of its error neuron.
func (s *scheduler) declarePopulations() {
	for _, eq := range s.sys.Pops {
		if eq.Drive == nil {
			continue
		}
		p := eq.Pop
		n := ir.Vec(p.Size)
		pb := &popBuffers{eq: eq}
		pb.u = s.newBuffer(p.Name+".u", State, n, true)
		switch {
		case s.free: // no errors: e is a constant zero, v does not exist
			pb.e = s.newBuffer(p.Name+".e", Const, n, true)
		case s.sys.Method() == check.LE:
			pb.e = s.newBuffer(p.Name+".e", State, n, true)
		default:
			pb.e = s.newBuffer(p.Name+".e", State, n, true)
			pb.v = s.newBuffer(p.Name+".v", State, n, true)
		}
		pb.r = s.newBuffer(p.Name+".uhat_r", State, n, true)
		pb.udot = s.newBuffer(p.Name+".udot", Temp, n, true)
		pb.b = s.paramBuffer(eq.Bias, p.Bias)
		pb.tauM = s.paramBuffer(eq.TauM, p.TauM)
		pb.tauR = s.paramBuffer(eq.TauR, p.TauR)
		if eq.GammaVar != nil { // per-neuron gamma; a uniform one is a constant
			s.paramBuffer(eq.GammaVar, p.Gamma)
		}
		s.p.Named[p.Name+".udot"] = pb.udot
		pb.v0 = s.symbol(p.Name+".v", n)
		pb.vdot = s.symbol(p.Name+".vdot", n)
		pb.ebarVar = s.symbol(p.Name+".ebar", n)
		pb.eNew = s.symbol(p.Name+".e'", n)
		pb.udotNew = eq.Udot
		s.pops = append(s.pops, pb)
	}
}

func (s *scheduler) paramBuffer(v *ir.Var, np check.NeuronParam) *Buffer {
	buf := s.newBuffer(v.Name(), Param, v.Shape(), false)
	buf.Init = append([]float64(nil), np.Values...)
	s.params[v] = buf
	return buf
}

// symbol declares a batched state symbol used by the scheduled equations.
func (s *scheduler) symbol(name string, shape ir.Shape) *ir.Var {
	v, err := s.b.Var(ir.VarSpec{Name: name, Shape: shape, Role: ir.RoleState, Batched: true})
	if err != nil {
		s.fail(lang.Pos{}, "internal error: %v", err)
	}
	return v
}

// roots are every expression the step evaluates.
func (s *scheduler) roots() []ir.Expr {
	var roots []ir.Expr
	for _, pb := range s.pops {
		roots = append(roots, pb.eq.Drive, pb.eq.Ebar, pb.eq.Rate)
	}
	for _, u := range s.sys.Updates {
		roots = append(roots, u.Direction)
	}
	return roots
}

// findCachesAndMessages finds the functions of uhat_r and the products
// with plastic weights that must be kept from one step to the next.
func (s *scheduler) findCachesAndMessages() {
	plastic := map[ir.Expr]bool{}
	for _, u := range s.sys.Updates {
		plastic[u.Param] = true
	}
	for _, pb := range s.pops {
		r := ir.Expr(pb.eq.R)
		for _, x := range ir.Topo(s.roots()...) {
			n, ok := x.(*ir.Node)
			isCache := x == pb.eq.Rate && x != r
			if ok && (n.Op() == ir.OpFunc || n.Op() == ir.OpDeriv) && n.Args()[0] == r {
				isCache = true
			}
			if isCache && s.caches[x] == nil {
				name := x.String()
				if x == pb.eq.Rate {
					name = pb.eq.Pop.Name + ".r"
				}
				s.caches[x] = s.newBuffer(name, State, x.Shape(), true)
				s.cacheOf[pb] = append(s.cacheOf[pb], x)
			}
		}
		if pb.eq.Rate == r {
			s.p.Named[pb.eq.Pop.Name+".r"] = pb.r
		}
	}
	if !s.free { // no errors, no messages
		s.findErrorReads(plastic)
	}
}

// findErrorReads finds what the errors read from the previous step beyond
// its states. The error of step k reads the parameters as step k-1 used
// them, before its update. A product of a plastic weight with step k-1's
// states is a message, computed at the end of step k-1 before the update
// (as the reference implementation sends W^T e down); any other plastic
// parameter an error reads is read from a copy taken before the update.
func (s *scheduler) findErrorReads(plastic map[ir.Expr]bool) {
	seen := map[ir.Expr]bool{}
	var walk func(x ir.Expr)
	walk = func(x ir.Expr) {
		if seen[x] {
			return
		}
		seen[x] = true
		switch x := x.(type) {
		case *ir.Var:
			if plastic[x] && s.prevBuf[x] == nil {
				param := s.params[x]
				prev := s.newBuffer("prev:"+param.Name, State, param.Shape, false)
				s.prevBuf[x] = prev
				s.prevOrder = append(s.prevOrder, x)
			}
		case *ir.Node:
			if isMessage(x, plastic) {
				if s.msgBuf[x] == nil {
					s.msgBuf[x] = s.newBuffer("msg:"+x.String(), State, x.Shape(), true)
					s.messages = append(s.messages, x)
				}
				return
			}
			for _, a := range x.Args() {
				walk(a)
			}
		}
	}
	for _, pb := range s.pops {
		walk(pb.eq.Ebar)
	}
}

// isMessage reports whether n is a product of a plastic weight with a
// vector that depends on no input or target: a value of step k-1 that can
// be sent at the end of that step.
func isMessage(n *ir.Node, plastic map[ir.Expr]bool) bool {
	if n.Op() != ir.OpMatVec && n.Op() != ir.OpMatTVec || !plastic[n.Args()[0]] {
		return false
	}
	for _, v := range ir.Vars(n) {
		if v.Role() == ir.RoleInput || v.Role() == ir.RoleTarget {
			return false
		}
	}
	return true
}

// view says which half of the states a phase reads.
type view int

const (
	readPrev  view = iota // the values left by the previous step
	readError             // the same, with parameters as the previous step used them (messages, copies)
	readNext              // the values this step computed (messages)
	readLearn             // the previous values, but this step's errors
)

// bindings maps the symbols to the buffers a phase reads.
func (s *scheduler) bindings(v view) map[ir.Expr]*Buffer {
	next := v == readNext
	pick := func(b *Buffer) *Buffer {
		if next && b.Next != nil {
			return b.Next
		}
		return b
	}
	bind := map[ir.Expr]*Buffer{}
	for k, v := range s.params {
		bind[k] = v
	}
	for _, pb := range s.pops {
		eq := pb.eq
		bind[eq.U] = pick(pb.u)
		bind[eq.E] = pick(pb.e)
		if v == readLearn {
			bind[eq.E] = pb.e.Next
		}
		bind[eq.R] = pick(pb.r)
		bind[eq.Bias], bind[eq.TauM], bind[eq.TauR] = pb.b, pb.tauM, pb.tauR
		bind[eq.Udot] = pb.udot
	}
	for x, b := range s.caches {
		bind[x] = pick(b)
	}
	if v == readError {
		for x, b := range s.msgBuf {
			bind[x] = b
		}
		for x, b := range s.prevBuf {
			bind[x] = b
		}
	}
	return bind
}

// populationPhase emits, population by population, the error, the
// membrane update and the new rate.
func (s *scheduler) populationPhase() {
	b := s.b
	// The errors and the dynamics are lowered apart: they read different
	// values of the plastic parameters (see findErrorReads), so they may
	// not share temporaries.
	errs := s.lowerer(PhasePopulations, s.bindings(readError))
	l := s.lowerer(PhasePopulations, s.bindings(readPrev))
	dt := b.Const(s.p.Dt)
	for _, pb := range s.pops {
		eq, name := pb.eq, pb.eq.Pop.Name
		switch {
		case s.free:
		case s.sys.Method() == check.LE:
			errs.into(eq.Ebar, pb.e.Next, name+".e = ebar (le)")
		default:
			ebar := s.newBuffer(name+".ebar", Temp, eq.Ebar.Shape(), true)
			errs.into(eq.Ebar, ebar, name+".ebar")
			vdot := s.newBuffer(name+".vdot", Temp, eq.Ebar.Shape(), true)
			l = l.with(map[ir.Expr]*Buffer{pb.ebarVar: ebar, pb.v0: pb.v, pb.vdot: vdot})
			l.into(b.Div(b.Sub(pb.ebarVar, pb.v0), eq.TauR), vdot, name+".tau_r dv/dt = -v + ebar")
			l.into(b.Add(pb.v0, b.Mul(eq.TauM, pb.vdot)), pb.e.Next, name+".e = v + tau_m dv/dt")
			l.into(b.Add(pb.v0, b.Mul(dt, pb.vdot)), pb.v.Next, "")
			s.p.Named[name+".ebar"] = ebar
		}
		in := s.newBuffer(name+".I", Temp, eq.Drive.Shape(), true)
		s.p.Named[name+".I"] = in
		l.into(eq.Drive, in, name+".I")
		iVar := s.symbol(name+".I", eq.Drive.Shape())
		l = l.with(map[ir.Expr]*Buffer{iVar: in, pb.eNew: pb.e.Next})
		udot, note := b.Div(b.Add(iVar, b.Neg(eq.U), b.Mul(eq.Gamma, pb.eNew)), eq.TauM), name+".tau_m du/dt = -u + I + gamma e"
		if s.free {
			udot, note = b.Div(b.Sub(iVar, eq.U), eq.TauM), name+".tau_m du/dt = -u + I (free)"
		}
		l.into(udot, pb.udot, note)
		if s.recorded(eq.Pop, "uhat_m") {
			um := s.newBuffer(name+".uhat_m", Temp, eq.Drive.Shape(), true)
			s.p.Named[name+".uhat_m"] = um
			l.into(b.Add(eq.U, b.Mul(eq.TauM, eq.Udot)), um, name+".uhat_m = u + tau_m du/dt")
		}
		l.into(b.Add(eq.U, b.Mul(dt, eq.Udot)), pb.u.Next, "")
		l.into(b.Add(eq.U, b.Mul(eq.TauR, eq.Udot)), pb.r.Next, name+".uhat_r = u + tau_r du/dt")
		next := s.lowerer(PhasePopulations, map[ir.Expr]*Buffer{eq.R: pb.r.Next})
		for _, c := range s.cacheOf[pb] {
			next.into(c, s.caches[c].Next, "")
		}
	}
}

// recorded reports whether the model records quantity q of population p.
func (s *scheduler) recorded(p *check.Population, q string) bool {
	for _, r := range s.sys.Model.Records {
		for _, it := range r.Items {
			if it.Pop == p && it.Teacher == nil && it.Var == q {
				return true
			}
		}
	}
	return false
}

// messagePhase computes the products with plastic weights that the next
// step's errors read, and copies the other plastic parameters they read,
// before the parameters change.
func (s *scheduler) messagePhase() {
	l := s.lowerer(PhaseMessages, s.bindings(readNext))
	for _, m := range s.messages {
		l.into(m, s.msgBuf[m].Next, "sent to the next step")
	}
	for _, v := range s.prevOrder {
		l.into(v, s.prevBuf[v].Next, "as this step used it, for the next step's errors")
	}
	s.initMessages()
}

// initMessages emits the Init kernels: the messages and copies as step -1
// would have left them, from the initial states and parameters.
func (s *scheduler) initMessages() {
	s.initial = true
	defer func() { s.initial = false }()
	l := s.lowerer(PhaseMessages, s.bindings(readPrev))
	for _, m := range s.messages {
		l.into(m, s.msgBuf[m], "initial message")
	}
	for _, v := range s.prevOrder {
		l.into(v, s.prevBuf[v], "initial copy")
	}
}

// learnPhase computes every parameter change, then applies them.
func (s *scheduler) learnPhase() {
	l := s.lowerer(PhaseLearn, s.bindings(readLearn))
	type pending struct {
		param, delta *Buffer
		rate         float64
	}
	var apply []pending
	learn := s.sys.Model.Learn
	for _, u := range s.sys.Updates {
		param, rate := s.params[u.Param], s.params[u.Param].Rate
		delta := s.newBuffer("d"+param.Name, Temp, param.Shape, false)
		s.p.Deltas[param] = delta
		s.emit(&Kernel{Op: OpZero, Phase: PhaseLearn, Dst: delta, Note: fmt.Sprintf("d%s/dt / eta = %s", param.Name, u.Direction)})
		for _, term := range s.updateTerms(u.Direction) {
			s.accumulate(l, delta, term, u.Param.Pos())
		}
		apply = append(apply, pending{param, delta, rate})
	}
	for _, a := range apply {
		if learn.Optimizer == "adam" {
			m := s.newBuffer("adam_m:"+a.param.Name, Moment, a.param.Shape, false)
			v := s.newBuffer("adam_v:"+a.param.Name, Moment, a.param.Shape, false)
			s.emit(&Kernel{Op: OpAdam, Phase: PhaseLearn, Dst: a.param, Args: []*Buffer{a.delta, m, v}, Scale: a.rate,
				Adam: &Adam{Beta1: learn.Beta1, Beta2: learn.Beta2, Eps: learn.Eps}})
			continue
		}
		s.emit(&Kernel{Op: OpApply, Phase: PhaseLearn, Dst: a.param, Args: []*Buffer{a.delta}, Scale: a.rate})
	}
}

// updateTerms splits a parameter change into terms the learn phase can
// accumulate one by one: sums are split and products distributed over
// them wherever an outer product is inside, so -(lam W - outer(e, r))
// becomes -lam W and outer(e, r).
func (s *scheduler) updateTerms(e ir.Expr) []ir.Expr {
	n, ok := e.(*ir.Node)
	if !ok || !containsOuter(e) {
		return []ir.Expr{e}
	}
	switch n.Op() {
	case ir.OpAdd:
		var out []ir.Expr
		for _, a := range n.Args() {
			out = append(out, s.updateTerms(a)...)
		}
		return out
	case ir.OpMul:
		prods := [][]ir.Expr{nil}
		for _, f := range n.Args() {
			var next [][]ir.Expr
			for _, t := range s.updateTerms(f) {
				for _, p := range prods {
					next = append(next, append(append([]ir.Expr(nil), p...), t))
				}
			}
			prods = next
		}
		out := make([]ir.Expr, len(prods))
		for i, p := range prods {
			out[i] = s.b.Mul(p...)
		}
		return out
	}
	return []ir.Expr{e}
}

func containsOuter(e ir.Expr) bool {
	for _, x := range ir.Topo(e) {
		if n, ok := x.(*ir.Node); ok && n.Op() == ir.OpOuter {
			return true
		}
	}
	return false
}

// accumulate adds the batch mean of one term of a parameter change to
// delta: outer products of batched vectors, times constant or scalar
// factors, become one matrix product; other terms are computed entrywise
// and averaged over the batch.
func (s *scheduler) accumulate(l *lowerer, delta *Buffer, term ir.Expr, pos lang.Pos) {
	if !containsOuter(term) {
		src := l.buffer(term, "")
		s.emit(&Kernel{Op: OpMeanAcc, Phase: PhaseLearn, Dst: delta, Args: []*Buffer{src}, Scale: 1})
		return
	}
	coef, scalars, outer := 1.0, []ir.Expr(nil), (*ir.Node)(nil)
	factors := []ir.Expr{term}
	if n, ok := term.(*ir.Node); ok && n.Op() == ir.OpMul {
		factors = n.Args()
	}
	for _, f := range factors {
		n, isNode := f.(*ir.Node)
		c, isConst := f.(*ir.Const)
		switch {
		case isConst && c.Shape().IsScalar():
			coef *= c.Value()
		case isNode && n.Op() == ir.OpOuter && outer == nil:
			outer = n
		case f.Shape().IsScalar() && !containsOuter(f):
			scalars = append(scalars, f)
		default:
			s.fail(pos, "the rule of %s has the term %s, which the learn phase cannot compute: a parameter change must be a sum of outer products of vectors (times scalars) and entrywise terms", delta.Name[1:], term)
			return
		}
	}
	a, b := outer.Args()[0], outer.Args()[1]
	if len(scalars) > 0 {
		a = s.b.Mul(append(scalars, a)...)
	}
	s.emit(&Kernel{Op: OpOuterAcc, Phase: PhaseLearn, Dst: delta, Args: []*Buffer{l.buffer(a, ""), l.buffer(b, "")}, Scale: coef})
}

// learningRates sets the rate (the most specific of lr.GROUP and lr) and
// the floor of every parameter that learns.
func (s *scheduler) learningRates() {
	learn := s.sys.Model.Learn
	for _, u := range s.sys.Updates {
		param := s.params[u.Param]
		s.p.Learnable = append(s.p.Learnable, param)
		param.Rate = learn.LR
		for _, g := range u.Group {
			if r, ok := learn.GroupLR[g]; ok {
				param.Rate = r
				break
			}
		}
		if s.isTimeConstant(u.Param) {
			param.Floor = learn.TauFloor
		}
	}
}

// isTimeConstant reports whether v is a population's membrane time
// constant, which learning must keep above its floor.
func (s *scheduler) isTimeConstant(v *ir.Var) bool {
	for _, pb := range s.pops {
		if v == pb.eq.TauM {
			return true
		}
	}
	return false
}

// costKernel evaluates the cost terms (those without a mismatch) at the
// start of the step; in the free dynamics, the objective (the cost over
// the nudging strength).
func (s *scheduler) costKernel() {
	cost := s.sys.Cost()
	if s.free {
		cost = s.sys.Objective()
	}
	if cost == nil {
		return
	}
	s.p.Cost = s.newBuffer("cost", Temp, ir.Scalar(), true)
	s.p.Named["cost"] = s.p.Cost
	s.lowerer(PhasePopulations, s.bindings(readPrev)).into(cost, s.p.Cost, "cost at the start of the step")
}
