package spice

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/ir/derive"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
)

// scope is one model of the circuit: the student, or a teacher under a
// prefix.
type scope struct {
	x      *exporter
	prefix string // "" for the student, "T_" for teacher T
	sys    *derive.System
	prog   *schedule.Program
	values Values
	p      printer
	inputs map[*check.Input]string // input -> node base name
	// learned are the parameters that are capacitor nodes (--learn), by
	// their symbol.
	learned map[*ir.Var]bool
	// masks say which entries of a learned sparse or one_to_one weight
	// matrix exist (nil for dense ones).
	masks map[*ir.Var][]bool
	pops  []*popNodes
	// crossbars are the summing nodes of weight products written so far.
	crossbars map[crossKey]string
	crossIDs  map[*ir.Node]int
}

// popNodes are the node names of one population.
type popNodes struct {
	eq      *derive.PopEquations
	name    string // the population's name in node names (with the prefix)
	tunable bool   // tau_m is a learned node: the membrane is an integrator
}

// sanitize makes a name usable in a node name: every character but
// letters, digits and _ becomes _ (collisions are refused by add).
func sanitize(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, name)
}

// node is the name of entry i of sample b of a quantity ("u", "r", ...).
func (pn *popNodes) node(q string, b, i int) string {
	return fmt.Sprintf("%s_%s_%d_%d", q, pn.name, b, i)
}

// value returns the value of a buffer of the scope's program by name.
func (s *scope) value(name string, size int) ([]float64, error) {
	buf := s.prog.Named[name]
	if buf == nil {
		return nil, fmt.Errorf("%s: no buffer in the step program", name)
	}
	v := s.values(buf)
	if len(v) != size {
		return nil, fmt.Errorf("%s has %d values, want %d", name, len(v), size)
	}
	for k, f := range v {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%s[%d] is %v; the circuit needs finite parameters", name, k, f)
		}
	}
	return v, nil
}

// bindParams tells the printer how the circuit holds every variable of
// the equations.
func (s *scope) bindParams() error {
	s.p = printer{vars: map[*ir.Var]leaf{}, held: map[ir.Expr]leaf{}, crossbar: s.crossbar}
	s.crossbars, s.crossIDs = map[crossKey]string{}, map[*ir.Node]int{}
	s.learned, s.masks = map[*ir.Var]bool{}, map[*ir.Var][]bool{}
	if s.x.opts.Learn && s.prefix == "" {
		for _, u := range s.sys.Updates {
			s.learned[u.Param] = true
		}
	}
	var params []*ir.Var // in model order, so notes come out the same every time
	for _, c := range s.sys.Model.Connections {
		params = append(params, s.sys.Weights[c])
	}
	for _, p := range s.sys.Model.Params {
		params = append(params, s.sys.Params[p])
	}
	for _, v := range params {
		if err := s.bindParam(v); err != nil {
			return err
		}
	}
	for _, v := range s.sys.Consts {
		c, ok := v.Ref().(float64)
		if !ok {
			return fmt.Errorf("constant %s has no value", v.Name())
		}
		s.p.vars[v] = func(int, int) string { return num(c) }
	}
	for _, eq := range s.sys.Pops {
		if eq.Drive == nil {
			continue
		}
		if err := s.bindPopulation(eq); err != nil {
			return err
		}
	}
	return s.bindTargets()
}

// bindParam binds a parameter: its values as numbers, or, when it
// learns, the voltages of its capacitor nodes (a time constant kept at
// its floor).
func (s *scope) bindParam(v *ir.Var) error {
	if !s.learned[v] {
		vals, err := s.value(v.Name(), v.Shape().Size())
		if err != nil {
			return err
		}
		s.p.vars[v] = func(k, _ int) string { return num(vals[k]) }
		return nil
	}
	node := "p_" + s.prefix + sanitize(v.Name())
	buf := s.prog.Named[v.Name()]
	if err := s.bindMask(v, buf); err != nil {
		return err
	}
	mask, floor := s.masks[v], buf.Floor
	s.p.vars[v] = func(k, _ int) string {
		switch {
		case mask != nil && !mask[k]:
			return "0"
		case floor > 0:
			return fmt.Sprintf("max(v(%s_%d), %s)", node, k, num(floor))
		}
		return fmt.Sprintf("v(%s_%d)", node, k)
	}
	return nil
}

// bindMask finds the mask of a learned sparse or one_to_one weight
// matrix: vlec changes only the weights on it and zeroes the others, so
// the entries that are 0 are taken as off the mask.
func (s *scope) bindMask(v *ir.Var, buf *schedule.Buffer) error {
	if buf.Conn == nil || buf.Conn.Topology == check.Dense {
		return nil
	}
	vals, err := s.value(v.Name(), v.Shape().Size())
	if err != nil {
		return err
	}
	mask := make([]bool, len(vals))
	for k, w := range vals {
		mask[k] = w != 0
	}
	s.masks[v] = mask
	s.x.notes = append(s.x.notes, fmt.Sprintf("connection %s (%s): the weights that are 0 are taken as off its mask: they stay 0 and have no node", v.Name(), buf.Conn.Topology))
	return nil
}

// bindPopulation binds a population's parameters and states to numbers
// and nodes.
func (s *scope) bindPopulation(eq *derive.PopEquations) error {
	pn := &popNodes{eq: eq, name: s.prefix + eq.Pop.Name, tunable: s.learned[eq.TauM]}
	s.pops = append(s.pops, pn)
	for _, v := range []*ir.Var{eq.Bias, eq.TauM, eq.TauR, eq.GammaVar} {
		if v == nil {
			continue
		}
		if err := s.bindParam(v); err != nil {
			return err
		}
	}
	s.p.vars[eq.U] = func(k, b int) string { return "v(" + pn.node("u", b, k) + ")" }
	s.p.vars[eq.R] = func(k, b int) string { return "v(" + pn.node("uhat", b, k) + ")" }
	if eq.Rate != ir.Expr(eq.R) {
		s.p.held[eq.Rate] = func(k, b int) string { return "v(" + pn.node("r", b, k) + ")" }
	}
	s.p.vars[eq.E] = func(int, int) string { return "0" }
	if s.x.opts.WithErrors && s.prefix == "" {
		s.p.vars[eq.E] = func(k, b int) string { return "v(" + pn.node("e", b, k) + ")" }
	}
	s.p.vars[eq.Udot] = func(k, b int) string { return s.udot(pn, k, b) }
	return nil
}

// udot is du/dt of a neuron, read from the current of its membrane
// capacitor: i(V) = C du/dt.
func (s *scope) udot(pn *popNodes, i, b int) string {
	sense := "i(" + pn.sense("u", b, i) + ")"
	if pn.tunable { // C = 1/R
		return fmt.Sprintf("(%s*%s)", num(s.x.rs), sense)
	}
	tau, _ := s.p.entry(pn.eq.TauM, i, b)
	if v, err := strconv.ParseFloat(tau, 64); err == nil { // C = tau_m/R
		return fmt.Sprintf("(%s*%s)", num(s.x.rs/v), sense)
	}
	return fmt.Sprintf("(%s*%s/%s)", num(s.x.rs), sense, tau)
}

// sense is the name of the zero-volt source in series with a capacitor.
func (pn *popNodes) sense(q string, b, i int) string {
	return fmt.Sprintf("V%s_%s_%d_%d", q, pn.name, b, i)
}

// bindTargets binds the teacher quantities the equations read to the
// teacher sub-circuits' nodes.
func (s *scope) bindTargets() error {
	for name, v := range s.sys.Targets {
		ref, _ := v.Ref().(*check.Ref)
		if ref == nil || ref.Teacher == nil {
			return fmt.Errorf("target %s: not a teacher quantity", name)
		}
		if !s.x.opts.WithErrors {
			s.p.vars[v] = func(int, int) string { return "0" }
			continue
		}
		t := ref.Teacher
		if t.Data != nil {
			return refusal(t.Pos, "teacher %s presents the labels of data set %s: they change with vlec's task schedule, which the netlist has no form for", t.Name, t.Data.Name)
		}
		if t.Model == nil {
			buf := s.prog.Named[name]
			if s.x.series[buf] == nil {
				return refusal(t.Pos, "teacher %s reads the file %s: export spice writes it as a PWL source of the targets vlec reads, which need Options.Series (vlec export spice gives it)", t.Name, t.File)
			}
			base := "tg_" + sanitize(name)
			s.p.vars[v] = func(k, b int) string { return fmt.Sprintf("v(%s_%d_%d)", base, b, k) }
			continue
		}
		q := map[string]string{"r": "r", "u": "u", "uhat_r": "uhat"}[ref.Var]
		if q == "" || ref.Pop == nil {
			return refusal(ref.At, "target %s: export spice connects a teacher's rates, membranes and prospective potentials (T.P.r, T.P.u, T.P.uhat_r)", name)
		}
		pn := &popNodes{name: sanitize(t.Name) + "_" + ref.Pop.Name}
		if tsys := s.sys.Teachers[t]; q == "r" && tsys != nil {
			for _, eq := range tsys.Pops {
				if eq.Pop == ref.Pop && eq.Rate == ir.Expr(eq.R) {
					q = "uhat" // phi is the identity: the rate is uhat_r
				}
			}
		}
		s.p.vars[v] = func(k, b int) string { return "v(" + pn.node(q, b, k) + ")" }
	}
	return nil
}

// writeTeachers writes each teacher model the equations read as a
// sub-circuit of its free forward dynamics, on the inputs it is bound
// to.
func (x *exporter) writeTeachers() error {
	s := x.top
	for _, t := range s.sys.Model.Teachers {
		if t.Model == nil || !s.readsTeacher(t) {
			continue
		}
		tsys, tprog := s.sys.Teachers[t], s.prog.Teachers[t]
		if tsys == nil || tprog == nil {
			return refusal(t.Pos, "teacher %s: no derived program", t.Name)
		}
		if x.opts.Teacher == nil {
			return fmt.Errorf("teacher %s: no parameter values given for it", t.Name)
		}
		ts := &scope{x: x, prefix: sanitize(t.Name) + "_", sys: tsys, prog: tprog, values: x.opts.Teacher(t), inputs: map[*check.Input]string{}}
		x.comment("teacher %s = model(%q): its free forward dynamics, a sub-circuit whose rates are the targets", t.Name, t.Model.File)
		if tsys.Cost() != nil {
			x.notes = append(x.notes, fmt.Sprintf("teacher %s: its own errors and nudging are left out (the circuit has its free forward dynamics)", t.Name))
		}
		if err := ts.bindParams(); err != nil {
			return err
		}
		if err := ts.writeInputs(t); err != nil {
			return err
		}
		if err := ts.writePopulations(false); err != nil {
			return err
		}
	}
	return nil
}

// readsTeacher reports whether the equations read a quantity of t.
func (s *scope) readsTeacher(t *check.Teacher) bool {
	for _, v := range s.sys.Targets {
		if ref, ok := v.Ref().(*check.Ref); ok && ref.Teacher == t {
			return true
		}
	}
	return false
}
