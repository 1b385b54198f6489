// Package eqsim steps the derived equations of a model (ir/derive) by the
// synchronous forward-Euler scheme, evaluating every expression with the
// IR's own evaluator (ir.Eval), sample by sample. It is deliberately
// naive and independent of the step program: it does not use ir/schedule,
// the runtime or their buffers, only the derived system and the scheme
// below. Tests compare the step program against it.
//
// # The scheme
//
// The state left by step k-1 is, per population p and sample: u_p, uhat_r,p
// (the rate r_p is the population's Rate evaluated at uhat_r,p), e_p and,
// for gle, the error neuron v_p. Every state starts at 0, and so does
// every elementwise function of uhat_r (the rate and phi'(uhat_r)): they
// are states of the reference scheme, computed at the end of a step, and
// their initial value is 0, not phi(0). Parameters theta (weights, biases,
// time constants, params) have their current value (after the update of
// step k-1) and theta_prev, the value step k-1 used (theta_prev = theta
// at step 0 and after a step without learning). Inputs x_k and targets T_k
// are those of step k; a teacher model's quantity at step k is its value
// after the teacher's step k-1 (0 at step 0).
//
// Step k:
//
//  1. For every population: ebar_p = Ebar on the states of step k-1 (of
//     all populations), theta_prev for every parameter that learns (theta
//     for the others), x_k and T_k. le: e_p = ebar_p. gle:
//     vdot = (ebar_p - v_p)/tau_r, e_p = v_p + tau_m vdot, v_p += dt vdot
//     (current tau_m, tau_r).
//  2. For every population: I_p = Drive on the states of step k-1, the
//     current theta, x_k and T_k; udot_p = (I_p - u_p + gamma e_p)/tau_m;
//     u_p += dt udot_p; uhat_r,p = u_p(k-1) + tau_r udot_p.
//  3. When k >= learn_after: for every update, delta = the batch mean of
//     Direction on this step's e and udot, u and uhat_r of step k-1, the
//     current theta, x_k and T_k; all deltas first, then theta_prev :=
//     theta and theta += lr delta (plain SGD; learning rate lr.GROUP or lr;
//     membrane time constants are then kept at or above tau_floor; entries
//     off a one_to_one mask stay zero). Otherwise theta_prev := theta.
//
// A teacher model runs the same scheme with no errors (e = 0) and no
// learning.
package eqsim

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/ir/derive"
	"github.com/vlec-dev/vlec/lang/check"
)

// Options adjust a simulation; the zero value runs the model as written.
type Options struct {
	// Init gives the initial value of parameters by name ("W0", "h.b",
	// "kappa"), row-major. Weights with a random or file initialiser need
	// it: eqsim does not reproduce the runtime's random streams.
	Init map[string][]float64
	// LearnAfter, when non-nil, replaces the model's first learning step.
	LearnAfter *int
}

// Sim is a running simulation of a derived system.
type Sim struct {
	sys     *derive.System
	batch   int
	dt      float64
	k       int
	after   int
	free    bool // a teacher: no errors, no learning
	pops    []*pop
	theta   map[*ir.Var][]float64 // current parameters and constants
	prev    map[*ir.Var][]float64 // theta_prev of the parameters that learn
	rate    map[*ir.Var]float64
	floor   map[*ir.Var]float64
	masks   map[*ir.Var][]bool
	updates []*derive.Update
	inputs  []*inputSrc
	targets []*targetSrc
	// inVal, tgVal hold the inputs and targets of the current step, per
	// sample.
	inVal    map[*ir.Var][][]float64
	tgVal    map[*ir.Var][][]float64
	teachers map[*check.Teacher]*Sim
	parent   *Sim
	bindings map[*ir.Var]*ir.Var // a teacher's input -> the parent's input variable
	// zero maps an expression to its form at step 0, with every
	// elementwise function of a uhat_r (and every rate) replaced by 0.
	zero map[ir.Expr]ir.Expr
	// the names of the quantities eqsim exposes
	stateNames []string
	paramNames []string
	paramByNm  map[string]*ir.Var
}

type pop struct {
	eq               *derive.PopEquations
	u, r, e, v, udot [][]float64 // per sample, the values after the last step
	gamma            []float64   // per neuron
	name             string
}

type inputSrc struct {
	v    *ir.Var
	in   *check.Input
	rows [][]float64 // a file input: one row per step
}

type targetSrc struct {
	v       *ir.Var
	ref     *check.Ref
	rows    [][]float64 // a file teacher
	teacher *Sim
	pop     *pop // the teacher's population
}

// New prepares a simulation of sys with the model's batch, dt and
// learning settings. It refuses what it does not implement: the Adam
// optimiser, sparse topologies, npy files, some stimulus generators.
func New(sys *derive.System, opts Options) (*Sim, error) {
	return newSim(sys, opts, nil, nil)
}

// newSim builds a simulation; a teacher's has its parent and the bindings
// of its inputs to the parent's, and runs free (no errors, no learning).
func newSim(sys *derive.System, opts Options, parent *Sim, bindings map[*ir.Var]*ir.Var) (*Sim, error) {
	m := sys.Model
	free := parent != nil
	s := &Sim{sys: sys, batch: m.Sim.Batch, dt: m.Sim.Dt, after: m.Sim.LearnAfter, free: free, parent: parent, bindings: bindings,
		theta: map[*ir.Var][]float64{}, prev: map[*ir.Var][]float64{}, rate: map[*ir.Var]float64{},
		floor: map[*ir.Var]float64{}, masks: map[*ir.Var][]bool{}, inVal: map[*ir.Var][][]float64{},
		tgVal: map[*ir.Var][][]float64{}, teachers: map[*check.Teacher]*Sim{}, zero: map[ir.Expr]ir.Expr{},
		paramByNm: map[string]*ir.Var{}}
	if parent != nil {
		s.batch = parent.batch
	}
	if opts.LearnAfter != nil {
		s.after = *opts.LearnAfter
	}
	if s.batch < 1 {
		return nil, fmt.Errorf("eqsim: batch %d", s.batch)
	}
	if !free && len(sys.Updates) > 0 && m.Learn.Optimizer != "" && m.Learn.Optimizer != "sgd" {
		return nil, fmt.Errorf("eqsim: optimizer %s is not implemented (plain SGD only)", m.Learn.Optimizer)
	}
	if err := s.initParams(opts); err != nil {
		return nil, err
	}
	for _, pe := range sys.Pops {
		if pe.Drive == nil || pe.Ebar == nil {
			return nil, fmt.Errorf("eqsim: population %s has no derived equations", pe.Pop.Name)
		}
		n := pe.Pop.Size
		g, err := ir.Eval(pe.Gamma, s.theta)
		if err != nil {
			return nil, fmt.Errorf("eqsim: gamma of %s: %v", pe.Pop.Name, err)
		}
		p := &pop{eq: pe, gamma: make([]float64, n), name: pe.Pop.Name}
		for i := range p.gamma {
			p.gamma[i] = g[min(i, len(g)-1)]
		}
		p.u, p.r, p.e, p.v, p.udot = zeros(s.batch, n), zeros(s.batch, n), zeros(s.batch, n), zeros(s.batch, n), zeros(s.batch, n)
		s.pops = append(s.pops, p)
		for _, q := range []string{"u", "uhat_r", "r", "e", "udot"} {
			s.stateNames = append(s.stateNames, p.name+"."+q)
		}
		if m.Sim.Method == check.GLE && !free {
			s.stateNames = append(s.stateNames, p.name+".v")
		}
	}
	if !free {
		s.updates = sys.Updates
		for _, u := range sys.Updates {
			s.rate[u.Param] = m.Learn.LR
			for _, g := range u.Group {
				if r, ok := m.Learn.GroupLR[g]; ok {
					s.rate[u.Param] = r
					break
				}
			}
			for _, p := range s.pops {
				if u.Param == p.eq.TauM {
					s.floor[u.Param] = m.Learn.TauFloor
				}
			}
		}
	}
	if err := s.initInputs(); err != nil {
		return nil, err
	}
	if err := s.initTargets(opts); err != nil {
		return nil, err
	}
	s.zeroForms()
	return s, nil
}

func zeros(b, n int) [][]float64 {
	out := make([][]float64, b)
	for i := range out {
		out[i] = make([]float64, n)
	}
	return out
}

// initParams sets the initial values of weights, population parameters,
// params and constants.
func (s *Sim) initParams(opts Options) error {
	m := s.sys.Model
	set := func(v *ir.Var, name string, val []float64) error {
		if x, ok := opts.Init[name]; ok {
			val = x
		}
		if val == nil {
			return fmt.Errorf("eqsim: no initial value for %s (give it in Options.Init)", name)
		}
		if len(val) != v.Shape().Size() {
			return fmt.Errorf("eqsim: %s has %d initial values, want %d", name, len(val), v.Shape().Size())
		}
		s.theta[v] = append([]float64(nil), val...)
		s.paramByNm[name] = v
		s.paramNames = append(s.paramNames, name)
		return nil
	}
	for _, c := range m.Connections {
		v := s.sys.Weights[c]
		rows, cols := v.Shape().Rows(), v.Shape().Cols()
		var val []float64
		switch c.Init.Kind {
		case check.InitLiteral:
			for _, row := range c.Init.Literal {
				val = append(val, row...)
			}
		case check.InitConstant:
			val = make([]float64, rows*cols)
			for i := range val {
				val[i] = c.Init.A
			}
		}
		switch c.Topology {
		case check.Dense, "":
		case check.OneToOne:
			mask := make([]bool, rows*cols)
			for i := 0; i < rows && i < cols; i++ {
				mask[i*cols+i] = true
			}
			s.masks[v] = mask
		default:
			return fmt.Errorf("eqsim: connection %s: topology %s is not implemented", c.Name, c.Topology)
		}
		if err := set(v, c.Name, val); err != nil {
			return err
		}
		if mask := s.masks[v]; mask != nil {
			for i, on := range mask {
				if !on {
					s.theta[v][i] = 0
				}
			}
		}
	}
	for _, pe := range s.sys.Pops {
		p := pe.Pop
		for _, x := range []struct {
			v  *ir.Var
			q  string
			np check.NeuronParam
		}{{pe.Bias, "b", p.Bias}, {pe.TauM, "tau_m", p.TauM}, {pe.TauR, "tau_r", p.TauR}} {
			if err := set(x.v, p.Name+"."+x.q, x.np.Values); err != nil {
				return err
			}
		}
		if pe.GammaVar != nil {
			if err := set(pe.GammaVar, p.Name+".gamma", p.Gamma.Values); err != nil {
				return err
			}
		}
	}
	for _, p := range m.Params {
		if err := set(s.sys.Params[p], p.Name, []float64{p.Value}); err != nil {
			return err
		}
	}
	for _, v := range s.sys.Consts {
		f, ok := v.Ref().(float64)
		if !ok {
			return fmt.Errorf("eqsim: constant %s has no value", v.Name())
		}
		s.theta[v] = []float64{f}
	}
	return nil
}

// initInputs prepares the stimuli (or the bindings of a teacher's inputs).
func (s *Sim) initInputs() error {
	for _, in := range s.sys.Model.Inputs {
		v := s.sys.Inputs[in]
		if v == nil {
			continue
		}
		src := &inputSrc{v: v, in: in}
		s.inputs = append(s.inputs, src)
		s.inVal[v] = zeros(s.batch, in.Size)
		if _, ok := s.bindings[v]; ok {
			continue
		}
		switch {
		case in.File != "":
			rows, err := readCSV(in.File, in.Size, s.batch)
			if err != nil {
				return fmt.Errorf("eqsim: input %s: %v", in.Name, err)
			}
			src.rows = rows
		case in.Stimulus != nil:
			if _, err := stim(in.Stimulus, 0, 0, 0); err != nil {
				return fmt.Errorf("eqsim: input %s: %v", in.Name, err)
			}
		default:
			return fmt.Errorf("eqsim: input %s has no stimulus", in.Name)
		}
	}
	return nil
}

// initTargets prepares the teachers and the targets the energy reads.
func (s *Sim) initTargets(opts Options) error {
	for t, tsys := range s.sys.Teachers {
		bindings := map[*ir.Var]*ir.Var{}
		for theirs, ours := range t.Bindings {
			for in, v := range tsys.Inputs {
				if in.Name == theirs {
					bindings[v] = s.sys.Inputs[ours]
				}
			}
		}
		built, err := newSim(tsys, Options{}, s, bindings)
		if err != nil {
			return fmt.Errorf("eqsim: teacher %s: %v", t.Name, err)
		}
		s.teachers[t] = built
	}
	names := make([]string, 0, len(s.sys.Targets))
	for n := range s.sys.Targets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := s.sys.Targets[n]
		ref, ok := v.Ref().(*check.Ref)
		if !ok {
			return fmt.Errorf("eqsim: target %s has no reference", n)
		}
		src := &targetSrc{v: v, ref: ref}
		size := v.Shape().Size()
		switch {
		case ref.Teacher != nil && ref.Teacher.File != "":
			rows, err := readCSV(ref.Teacher.File, size, s.batch)
			if err != nil {
				return fmt.Errorf("eqsim: teacher %s: %v", ref.Teacher.Name, err)
			}
			src.rows = rows
		case ref.Teacher != nil && s.teachers[ref.Teacher] != nil:
			src.teacher = s.teachers[ref.Teacher]
			for _, p := range src.teacher.pops {
				if p.eq.Pop == ref.Pop {
					src.pop = p
				}
			}
			if src.pop == nil {
				return fmt.Errorf("eqsim: target %s: no such teacher population", n)
			}
			switch ref.Var {
			case "r", "u", "uhat_r", "e":
			default:
				return fmt.Errorf("eqsim: target %s: teacher quantity %s is not implemented", n, ref.Var)
			}
		default:
			return fmt.Errorf("eqsim: target %s has no source", n)
		}
		s.targets = append(s.targets, src)
		s.tgVal[v] = zeros(s.batch, size)
	}
	return nil
}

// zeroForms builds the step-0 form of every expression the scheme
// evaluates.
func (s *Sim) zeroForms() {
	caches := map[ir.Expr]bool{}
	rs := map[ir.Expr]bool{}
	for _, p := range s.pops {
		rs[p.eq.R] = true
		if p.eq.Rate != ir.Expr(p.eq.R) {
			caches[p.eq.Rate] = true
		}
	}
	var roots []ir.Expr
	for _, p := range s.pops {
		roots = append(roots, p.eq.Drive, p.eq.Ebar, p.eq.Rate)
	}
	for _, u := range s.updates {
		roots = append(roots, u.Direction)
	}
	b := s.sys.B
	for _, r := range roots {
		s.zero[r] = zeroRateFuncs(b, r, rs, caches)
	}
}

// zeroRateFuncs returns e with every elementwise function of a uhat_r,
// and every rate, replaced by zero.
func zeroRateFuncs(b *ir.Builder, e ir.Expr, rs, caches map[ir.Expr]bool) ir.Expr {
	done := map[ir.Expr]ir.Expr{}
	for _, x := range ir.Topo(e) {
		n, ok := x.(*ir.Node)
		if !ok {
			done[x] = x
			continue
		}
		args := n.Args()
		if caches[x] || (n.Op() == ir.OpFunc || n.Op() == ir.OpDeriv) && rs[args[0]] {
			done[x] = b.Zero(x.Shape())
			continue
		}
		changed := false
		for i, a := range args {
			args[i] = done[a]
			changed = changed || args[i] != a
		}
		if !changed {
			done[x] = x
			continue
		}
		done[x] = rebuild(b, n, args)
	}
	return done[e]
}

func rebuild(b *ir.Builder, n *ir.Node, args []ir.Expr) ir.Expr {
	switch n.Op() {
	case ir.OpAdd:
		return b.Add(args...)
	case ir.OpMul:
		return b.Mul(args...)
	case ir.OpPow:
		return b.Pow(args[0], n.Exponent())
	case ir.OpFunc:
		return b.Apply(n.Func(), args[0])
	case ir.OpDeriv:
		return b.Deriv(n.Func(), args[0])
	case ir.OpMatVec:
		return b.MatVec(args[0], args[1])
	case ir.OpMatTVec:
		return b.MatTVec(args[0], args[1])
	case ir.OpOuter:
		return b.Outer(args[0], args[1])
	case ir.OpSum:
		return b.Sum(args[0])
	case ir.OpDot:
		return b.Dot(args[0], args[1])
	case ir.OpSumSq:
		return b.SumSq(args[0])
	case ir.OpLogSumExp:
		return b.LogSumExp(args[0])
	case ir.OpSoftmax:
		return b.Softmax(args[0])
	}
	panic(fmt.Sprintf("eqsim: cannot rebuild %s", n.Op()))
}

// K is the number of steps run so far.
func (s *Sim) K() int { return s.k }

// Learning reports whether learning is on at step k.
func (s *Sim) Learning(k int) bool { return !s.free && k >= s.after }

// form is the expression evaluated at the current step.
func (s *Sim) form(e ir.Expr) ir.Expr {
	if s.k == 0 {
		return s.zero[e]
	}
	return e
}

// env is the environment of sample b: states of step k-1 (e and udot as
// given), parameters from theta, inputs and targets of step k.
func (s *Sim) env(b int, theta map[*ir.Var][]float64, e, udot func(p *pop) []float64) map[*ir.Var][]float64 {
	env := make(map[*ir.Var][]float64, len(theta)+5*len(s.pops)+len(s.inVal)+len(s.tgVal))
	for v, x := range theta {
		env[v] = x
	}
	for _, p := range s.pops {
		env[p.eq.U] = p.u[b]
		env[p.eq.R] = p.r[b]
		env[p.eq.E] = e(p)
		env[p.eq.Udot] = udot(p)
	}
	for v, x := range s.inVal {
		env[v] = x[b]
	}
	for v, x := range s.tgVal {
		env[v] = x[b]
	}
	return env
}

func (s *Sim) eval(e ir.Expr, env map[*ir.Var][]float64) []float64 {
	x, err := ir.Eval(s.form(e), env)
	if err != nil {
		panic(fmt.Sprintf("eqsim: %s: %v", e, err))
	}
	return x
}

// Step runs one step (and the teachers' step).
func (s *Sim) Step() error {
	k := s.k
	if err := s.fill(k); err != nil {
		return err
	}
	B := s.batch
	// theta for the errors: theta_prev for what learns
	thetaE := make(map[*ir.Var][]float64, len(s.theta))
	for v, x := range s.theta {
		thetaE[v] = x
	}
	for v, x := range s.prev {
		thetaE[v] = x
	}
	newE := map[*pop][][]float64{}
	newV := map[*pop][][]float64{}
	for _, p := range s.pops {
		newE[p], newV[p] = zeros(B, len(p.u[0])), zeros(B, len(p.u[0]))
		tauM, tauR := s.theta[p.eq.TauM], s.theta[p.eq.TauR]
		for b := 0; b < B; b++ {
			if s.free {
				continue
			}
			env := s.env(b, thetaE, func(q *pop) []float64 { return q.e[b] }, func(q *pop) []float64 { return q.udot[b] })
			ebar := s.eval(p.eq.Ebar, env)
			if s.sys.Method() == check.LE {
				copy(newE[p][b], ebar)
				continue
			}
			for i, eb := range ebar {
				v := p.v[b][i]
				vdot := (eb - v) / tauR[i]
				newE[p][b][i] = v + tauM[i]*vdot
				newV[p][b][i] = v + s.dt*vdot
			}
		}
	}
	newU := map[*pop][][]float64{}
	newR := map[*pop][][]float64{}
	newUdot := map[*pop][][]float64{}
	for _, p := range s.pops {
		n := len(p.u[0])
		newU[p], newR[p], newUdot[p] = zeros(B, n), zeros(B, n), zeros(B, n)
		tauM, tauR := s.theta[p.eq.TauM], s.theta[p.eq.TauR]
		for b := 0; b < B; b++ {
			env := s.env(b, s.theta, func(q *pop) []float64 { return q.e[b] }, func(q *pop) []float64 { return q.udot[b] })
			in := s.eval(p.eq.Drive, env)
			for i := range n {
				u := p.u[b][i]
				udot := (in[i] - u + p.gamma[i]*newE[p][b][i]) / tauM[i]
				newUdot[p][b][i] = udot
				newU[p][b][i] = u + s.dt*udot
				newR[p][b][i] = u + tauR[i]*udot
			}
		}
	}
	if s.Learning(k) {
		deltas := make([][]float64, len(s.updates))
		for j, u := range s.updates {
			d := make([]float64, u.Param.Shape().Size())
			for b := 0; b < B; b++ {
				env := s.env(b, s.theta, func(q *pop) []float64 { return newE[q][b] }, func(q *pop) []float64 { return newUdot[q][b] })
				x := s.eval(u.Direction, env)
				for i := range d {
					if len(x) == 1 {
						d[i] += x[0]
					} else {
						d[i] += x[i]
					}
				}
			}
			for i := range d {
				d[i] /= float64(B)
			}
			deltas[j] = d
		}
		for j, u := range s.updates {
			th := s.theta[u.Param]
			s.prev[u.Param] = append([]float64(nil), th...)
			next := append([]float64(nil), th...)
			mask := s.masks[u.Param]
			for i := range next {
				if mask != nil && !mask[i] {
					continue
				}
				next[i] += s.rate[u.Param] * deltas[j][i]
				if f := s.floor[u.Param]; f > 0 && next[i] < f {
					next[i] = f
				}
			}
			s.theta[u.Param] = next
		}
	} else {
		clear(s.prev)
	}
	for _, p := range s.pops {
		p.u, p.r, p.udot = newU[p], newR[p], newUdot[p]
		if !s.free {
			p.e, p.v = newE[p], newV[p]
		}
	}
	for _, t := range s.teachers {
		if err := t.Step(); err != nil {
			return err
		}
	}
	s.k++
	return nil
}

// fill sets the inputs and targets of step k.
func (s *Sim) fill(k int) error {
	t := float64(k) * s.dt
	for _, src := range s.inputs {
		vals := s.inVal[src.v]
		if pv, ok := s.bindings[src.v]; ok {
			for b := range vals {
				copy(vals[b], s.parent.inVal[pv][b])
			}
			continue
		}
		if src.rows != nil {
			if k >= len(src.rows) {
				return fmt.Errorf("eqsim: input %s has %d rows, step %d needs one more", src.in.Name, len(src.rows), k)
			}
			fillRow(vals, src.rows[k])
			continue
		}
		for b := range vals {
			for i := range vals[b] {
				x, err := stim(src.in.Stimulus, t, float64(i), float64(b))
				if err != nil {
					return err
				}
				vals[b][i] = x
			}
		}
	}
	for _, src := range s.targets {
		vals := s.tgVal[src.v]
		switch {
		case src.rows != nil:
			if k >= len(src.rows) {
				return fmt.Errorf("eqsim: teacher %s has %d rows, step %d needs one more", src.ref.Teacher.Name, len(src.rows), k)
			}
			fillRow(vals, src.rows[k])
		default:
			for b := range vals {
				copy(vals[b], src.teacher.quantity(src.pop, src.ref.Var, b))
			}
		}
	}
	return nil
}

// quantity is a population's quantity after the last step, sample b.
func (s *Sim) quantity(p *pop, q string, b int) []float64 {
	switch q {
	case "u":
		return p.u[b]
	case "uhat_r":
		return p.r[b]
	case "e":
		return p.e[b]
	case "v":
		return p.v[b]
	case "udot":
		return p.udot[b]
	case "r":
		if s.k == 0 {
			return make([]float64, len(p.u[b]))
		}
		env := map[*ir.Var][]float64{p.eq.R: p.r[b]}
		x, err := ir.Eval(p.eq.Rate, env)
		if err != nil {
			panic(fmt.Sprintf("eqsim: rate of %s: %v", p.name, err))
		}
		return x
	}
	return nil
}

// fillRow writes a file row into per-sample values: size columns shared
// by the batch, or batch x size columns.
func fillRow(vals [][]float64, row []float64) {
	n := len(vals[0])
	for b := range vals {
		if len(row) == n {
			copy(vals[b], row)
		} else {
			copy(vals[b], row[b*n:(b+1)*n])
		}
	}
}

// States lists the names of the states State returns: "h.u", "h.uhat_r",
// "h.r", "h.e", "h.udot" and, for gle, "h.v".
func (s *Sim) States() []string { return s.stateNames }

// Params lists the names of the parameters Param returns: weights by
// connection, "h.b", "h.tau_m", "h.tau_r", and params.
func (s *Sim) Params() []string { return s.paramNames }

// State is a population's state after the last step, sample-major (batch
// x size): "h.u", "h.uhat_r", "h.r" (the rate, 0 before the first step),
// "h.e", "h.v", "h.udot". Nil for an unknown name.
func (s *Sim) State(name string) []float64 {
	dot := strings.LastIndex(name, ".")
	if dot < 0 {
		return nil
	}
	for _, p := range s.pops {
		if p.name != name[:dot] {
			continue
		}
		var out []float64
		for b := 0; b < s.batch; b++ {
			x := s.quantity(p, name[dot+1:], b)
			if x == nil {
				return nil
			}
			out = append(out, x...)
		}
		return out
	}
	return nil
}

// Param is a parameter's current value (row-major), nil for an unknown
// name.
func (s *Sim) Param(name string) []float64 {
	v := s.paramByNm[name]
	if v == nil {
		return nil
	}
	return s.theta[v]
}

// Input is the value of an input at the last step, sample-major.
func (s *Sim) Input(name string) []float64 {
	for _, src := range s.inputs {
		if src.in.Name == name {
			var out []float64
			for _, x := range s.inVal[src.v] {
				out = append(out, x...)
			}
			return out
		}
	}
	return nil
}

// Target is the value of a target ("T.y.r", "D") at the last step,
// sample-major.
func (s *Sim) Target(name string) []float64 {
	v := s.sys.Targets[name]
	if v == nil {
		return nil
	}
	var out []float64
	for _, x := range s.tgVal[v] {
		out = append(out, x...)
	}
	return out
}

// stim evaluates a checked stimulus expression at time t for neuron i and
// batch element b.
func stim(e check.Expr, t, i, b float64) (float64, error) {
	switch e := e.(type) {
	case *check.Num:
		return e.Value, nil
	case *check.Ref:
		if e.Kind == check.RefStim {
			switch e.Var {
			case "t":
				return t, nil
			case "i":
				return i, nil
			case "b":
				return b, nil
			}
		}
	case *check.Unary:
		x, err := stim(e.X, t, i, b)
		if e.Op == "+" {
			return x, err
		}
		return -x, err
	case *check.Binary:
		x, err := stim(e.X, t, i, b)
		if err != nil {
			return 0, err
		}
		y, err := stim(e.Y, t, i, b)
		if err != nil {
			return 0, err
		}
		switch e.Op {
		case "+":
			return x + y, nil
		case "-":
			return x - y, nil
		case "*":
			return x * y, nil
		case "/":
			return x / y, nil
		case "^":
			return math.Pow(x, y), nil
		}
	case *check.Call:
		a := make([]float64, len(e.Args))
		for k, x := range e.Args {
			v, err := stim(x, t, i, b)
			if err != nil {
				return 0, err
			}
			a[k] = v
		}
		switch e.Func {
		case "sin":
			return math.Sin(a[0]), nil
		case "cos":
			return math.Cos(a[0]), nil
		case "exp":
			return math.Exp(a[0]), nil
		case "tanh":
			return math.Tanh(a[0]), nil
		case "sqrt":
			return math.Sqrt(a[0]), nil
		case "square":
			return a[0] * a[0], nil
		case "linear":
			return a[0], nil
		case "abs":
			return math.Abs(a[0]), nil
		case "sine": // freq, phase, amp, offset
			return a[2]*math.Sin(2*math.Pi*a[0]*t+a[1]) + a[3], nil
		case "cosine":
			return a[2]*math.Cos(2*math.Pi*a[0]*t+a[1]) + a[3], nil
		case "step": // at, height
			if t >= a[0] {
				return a[1], nil
			}
			return 0, nil
		}
	}
	return 0, fmt.Errorf("stimulus %s is not implemented by eqsim", e)
}

// readCSV reads a CSV file of numbers (an optional header line of
// non-numbers is skipped) with size or batch x size columns.
func readCSV(path string, size, batch int) ([][]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	recs, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	var rows [][]float64
	for n, rec := range recs {
		row := make([]float64, len(rec))
		bad := false
		for j, x := range rec {
			v, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				bad = true
				break
			}
			row[j] = v
		}
		if bad {
			if n == 0 {
				continue // a header
			}
			return nil, fmt.Errorf("%s: row %d is not numeric", path, n+1)
		}
		if len(row) != size && len(row) != size*batch {
			return nil, fmt.Errorf("%s: row %d has %d columns, want %d or %d", path, n+1, len(row), size, size*batch)
		}
		rows = append(rows, row)
	}
	return rows, nil
}
