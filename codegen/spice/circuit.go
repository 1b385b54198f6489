package spice

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/ir/derive"
	"github.com/vlec-dev/vlec/lang/check"
)

// shuntFactor times Rscale is the shunt resistance of a learned
// parameter's capacitor (C = 1/Rscale): a time constant of 1e12 s, so
// the stored value does not decay within any simulation, while the node
// keeps a DC path to ground.
const shuntFactor = 1e12

// nodeRef matches an expression that is one node voltage.
var nodeRef = regexp.MustCompile(`^v\(([A-Za-z0-9_]+)\)$`)

// without returns a printer that computes e instead of reading the node
// holding it (to write that node's own source).
func (p printer) without(e ir.Expr) printer {
	held := make(map[ir.Expr]leaf, len(p.held))
	for k, v := range p.held {
		if k != e {
			held[k] = v
		}
	}
	return printer{vars: p.vars, held: held, crossbar: p.crossbar}
}

// control returns a node holding expr: the node itself when expr is
// v(node), else a new B-source node (for a G element's controlling
// voltage).
func (s *scope) control(expr, name, what string) (string, error) {
	if m := nodeRef.FindStringSubmatch(expr); m != nil {
		return m[1], nil
	}
	if err := s.x.element("B"+name, what, name, "0", "V="+expr); err != nil {
		return "", err
	}
	return name, s.x.add(name, what)
}

// terms splits a sum into its terms.
func terms(e ir.Expr) []ir.Expr {
	if n, ok := e.(*ir.Node); ok && n.Op() == ir.OpAdd {
		return n.Args()
	}
	return []ir.Expr{e}
}

// membraneNote prints the membrane equation as the derivation has it.
func membraneNote(eq *derive.PopEquations, errors bool) string {
	s := fmt.Sprintf("%s * d%s/dt = -%s + %s", eq.TauM, eq.U, eq.U, eq.Pop.Name+".I")
	if errors {
		s += fmt.Sprintf(" + %s * %s", eq.Gamma, eq.E)
	}
	return s
}

// writePopulations writes every population's membranes, input currents,
// prospective potentials and rates.
func (s *scope) writePopulations(errors bool) error {
	for _, pn := range s.pops {
		if err := s.writePopulation(pn, errors); err != nil {
			return err
		}
	}
	return nil
}

func (s *scope) writePopulation(pn *popNodes, errors bool) error {
	x, eq := s.x, pn.eq
	p := eq.Pop
	if s.prefix != "" {
		x.comment("teacher %s, population %s (nodes *_%s_*):", strings.TrimSuffix(s.prefix, "_"), p.Name, pn.name)
	}
	if pn.tunable {
		x.comment("population %s[%d]: %s\n  (tau_m learns: the membrane integrates (I - u)/tau_m into C = 1/R from the summing node i_; i(V) = C du/dt)", p.Name, p.Size, membraneNote(eq, errors))
	} else {
		x.comment("population %s[%d]: %s\n  (membrane: R = %s, C = tau_m/R, V in series with C senses i = C du/dt)", p.Name, p.Size, membraneNote(eq, errors), num(x.rs))
	}
	x.comment("%s.I = %s   (bias: I sources; connections: G elements, gain W/R)", p.Name, eq.Drive)
	x.comment("%s = %s + %s * d%s/dt   (B source: v(u) + tau_r R/tau_m i(V))", eq.R, eq.U, eq.TauR, eq.U)
	if eq.Rate != ir.Expr(eq.R) {
		x.comment("%s.r = %s   (B source)", p.Name, eq.Rate)
	}
	for b := range x.batch {
		for i := range p.Size {
			if err := s.writeNeuron(pn, b, i, errors); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *scope) writeNeuron(pn *popNodes, b, i int, errors bool) error {
	x, eq := s.x, pn.eq
	who := fmt.Sprintf("neuron %s[%d] of sample %d", eq.Pop.Name, i, b)
	u, cu := pn.node("u", b, i), pn.node("cu", b, i)
	for _, n := range []string{u, cu} {
		if err := x.add(n, "a node of "+who); err != nil {
			return err
		}
	}
	target := u
	if pn.tunable {
		target = pn.node("i", b, i)
		if err := x.add(target, "the summing node of "+who); err != nil {
			return err
		}
		if err := x.element("R"+target, "the summing resistor of "+who, target, "0", num(x.rs)); err != nil {
			return err
		}
		tau, err := s.p.entry(eq.TauM, i, b)
		if err != nil {
			return err
		}
		if err := x.element("C"+u, "the membrane of "+who, cu, "0", num(1/x.rs), "IC=0"); err != nil {
			return err
		}
		if err := x.element("B"+u, "the integrator of "+who, "0", u, fmt.Sprintf("I=(v(%s) - v(%s))/(%s*%s)", target, u, num(x.rs), tau)); err != nil {
			return err
		}
	} else {
		tau, err := s.value(eq.TauM.Name(), eq.Pop.Size)
		if err != nil {
			return err
		}
		if err := x.element("R"+u, "the membrane resistor of "+who, u, "0", num(x.rs)); err != nil {
			return err
		}
		if err := x.element("C"+u, "the membrane capacitor of "+who, cu, "0", num(tau[i]/x.rs), "IC=0"); err != nil {
			return err
		}
	}
	if err := x.element(pn.sense("u", b, i), "the sense source of "+who, u, cu, "0"); err != nil {
		return err
	}
	if err := s.writeDrive(pn, b, i, target); err != nil {
		return err
	}
	if errors {
		if err := s.writeNudge(pn, b, i, target); err != nil {
			return err
		}
	}
	return s.writeReadout(pn, b, i)
}

// writeDrive writes the input current I into the membrane: a G element
// per weight of a connection, an I source per bias, a B source for any
// other term of I.
func (s *scope) writeDrive(pn *popNodes, b, i int, target string) error {
	x := s.x
	base := fmt.Sprintf("%s_%d_%d", pn.name, b, i)
	for t, term := range terms(pn.eq.Drive) {
		switch e := term.(type) {
		case *ir.Var:
			val, err := s.p.entry(e, i, b)
			if err != nil {
				return err
			}
			name := fmt.Sprintf("%s_%s", sanitize(e.Name()), base)
			if m := nodeRef.FindStringSubmatch(val); m != nil { // a learned bias
				if err := x.element("G"+name, e.Name()+" into "+base, "0", target, m[1], "0", num(1/x.rs)); err != nil {
					return err
				}
				continue
			}
			if val == "0" {
				continue
			}
			if err := x.element("I"+name, e.Name()+" into "+base, "0", target, "DC", x.perR(val)); err != nil {
				return err
			}
			continue
		case *ir.Node:
			if w, ok := e.Args()[0].(*ir.Var); ok && e.Op() == ir.OpMatVec && w.Role() == ir.RoleParam {
				if err := s.writeWeights(w, e.Args()[1], b, i, target, base); err != nil {
					return err
				}
				continue
			}
		}
		expr, err := s.p.entry(term, i, b)
		if err != nil {
			return err
		}
		if err := x.element(fmt.Sprintf("Bt%d_%s", t, base), "a term of "+pn.eq.Pop.Name+".I", "0", target, fmt.Sprintf("I=%s/%s", expr, num(x.rs))); err != nil {
			return err
		}
	}
	return nil
}

// writeWeights writes row i of W @ src into target: a G element of gain
// W[i][j]/R controlled by src[j]; with --learn, W[i][j] is the voltage
// of a capacitor node, and the G element's gain is that voltage.
func (s *scope) writeWeights(w *ir.Var, src ir.Expr, b, i int, target, base string) error {
	cols := w.Shape().Cols()
	for j := range cols {
		if err := s.weight(w, i*cols+j, src, j, b, target, fmt.Sprintf("G%s_%s_%d", sanitize(w.Name()), base, j)); err != nil {
			return err
		}
	}
	return nil
}

// perR is a value divided by the membrane resistance: a number when the
// value is one, else a parameter expression ngspice evaluates once.
func (x *exporter) perR(val string) string {
	if v, err := strconv.ParseFloat(val, 64); err == nil {
		return num(v / x.rs)
	}
	return "{" + val + "/" + num(x.rs) + "}"
}

// writeNudge writes gamma e into the membrane: a G element controlled by
// the error node.
func (s *scope) writeNudge(pn *popNodes, b, i int, target string) error {
	gamma, err := s.p.entry(pn.eq.Gamma, i, b)
	if err != nil {
		return err
	}
	if gamma == "0" {
		return nil
	}
	return s.x.element(fmt.Sprintf("Ggamma_%s_%d_%d", pn.name, b, i), "the nudging of "+pn.name, "0", target, pn.node("e", b, i), "0", s.x.perR(gamma))
}

// writeReadout writes the prospective potential and the rate.
func (s *scope) writeReadout(pn *popNodes, b, i int) error {
	x, eq := s.x, pn.eq
	uhat := pn.node("uhat", b, i)
	taur, err := s.p.entry(eq.TauR, i, b)
	if err != nil {
		return err
	}
	if err := x.add(uhat, "the prospective potential of "+pn.name); err != nil {
		return err
	}
	if err := x.element("B"+uhat, "the readout of "+pn.name, uhat, "0", fmt.Sprintf("V=v(%s) + %s*%s", pn.node("u", b, i), taur, s.udot(pn, i, b))); err != nil {
		return err
	}
	rate := uhat
	if eq.Rate != ir.Expr(eq.R) {
		rate = pn.node("r", b, i)
		own := s.p.without(eq.Rate)
		expr, err := own.entry(eq.Rate, i, b)
		if err != nil {
			return err
		}
		if err := x.add(rate, "the rate of "+pn.name); err != nil {
			return err
		}
		if err := x.element("B"+rate, "the rate of "+pn.name, rate, "0", "V="+expr); err != nil {
			return err
		}
	}
	if s.prefix == "" {
		x.column(eq.Pop.Name+".r", b, i, rate)
	}
	return nil
}

// writeErrors writes the error of every population: e = ebar (le), or the
// error neuron tau_r dv/dt = -v + ebar, e = v + tau_m dv/dt (gle), an RC
// node with C = tau_r/R driven by ebar/R.
func (s *scope) writeErrors() error {
	x := s.x
	le := s.sys.Method() == check.LE
	if err := s.refuseNormalisations(); err != nil {
		return err
	}
	for _, pn := range s.pops {
		eq := pn.eq
		p := eq.Pop
		if le {
			x.comment("error of %s (le): %s.e = %s.ebar = %s   (B source)", p.Name, p.Name, p.Name, eq.Ebar)
		} else {
			x.comment("error neuron of %s (gle): %s.tau_r * d%s.v/dt = -%s.v + %s.ebar, %s.ebar = %s\n  (R = %s, C = tau_r/R, current ebar/R; V in series with C senses C dv/dt)\n%s.e = %s.v + %s * d%s.v/dt   (B source: v(v) + tau_m R/tau_r i(V))",
				p.Name, p.Name, p.Name, p.Name, p.Name, p.Name, eq.Ebar, num(x.rs), p.Name, p.Name, eq.TauM, p.Name)
		}
		for b := range x.batch {
			for i := range p.Size {
				if err := s.writeError(pn, b, i, le); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (s *scope) writeError(pn *popNodes, b, i int, le bool) error {
	x, eq := s.x, pn.eq
	who := fmt.Sprintf("%s[%d] of sample %d", eq.Pop.Name, i, b)
	ebar, err := s.p.entry(eq.Ebar, i, b)
	if err != nil {
		return err
	}
	e := pn.node("e", b, i)
	if err := x.add(e, "the error of "+who); err != nil {
		return err
	}
	if le {
		return x.element("B"+e, "the error of "+who, e, "0", "V="+ebar)
	}
	v, cv := pn.node("v", b, i), pn.node("cv", b, i)
	for _, n := range []string{v, cv} {
		if err := x.add(n, "a node of the error neuron of "+who); err != nil {
			return err
		}
	}
	taur, err := s.value(eq.TauR.Name(), eq.Pop.Size)
	if err != nil {
		return err
	}
	taum, err := s.p.entry(eq.TauM, i, b)
	if err != nil {
		return err
	}
	sense := pn.sense("v", b, i)
	lines := [][]string{
		{"R" + v, v, "0", num(x.rs)},
		{"C" + v, cv, "0", num(taur[i] / x.rs), "IC=0"},
		{sense, v, cv, "0"},
		{"Bebar_" + v, "0", v, fmt.Sprintf("I=%s/%s", ebar, num(x.rs))},
		{"B" + e, e, "0", fmt.Sprintf("V=v(%s) + %s*%s/%s*i(%s)", v, taum, num(x.rs), num(taur[i]), sense)},
	}
	for _, l := range lines {
		if err := x.element(l[0], "the error neuron of "+who, l[1:]...); err != nil {
			return err
		}
	}
	return nil
}

// writeCost writes the cost (the energy terms without a mismatch) of
// every sample as a B-source node, and writes it to the data file.
func (s *scope) writeCost() error {
	cost := s.sys.Cost()
	if cost == nil {
		return nil
	}
	x := s.x
	x.comment("cost = %s   (B source per sample, for the data file)", cost)
	for b := range x.batch {
		expr, err := s.p.entry(cost, 0, b)
		if err != nil {
			return err
		}
		node := fmt.Sprintf("cost_%d", b)
		if err := x.add(node, "the cost"); err != nil {
			return err
		}
		if err := x.element("B"+node, "the cost", node, "0", "V="+expr); err != nil {
			return err
		}
		x.column("cost", b, -1, node)
	}
	return nil
}

// writeLearnedParams writes a capacitor node per entry of every
// parameter that learns, charged to its initial value (IC with uic),
// with a large shunt resistor.
func (s *scope) writeLearnedParams() error {
	x := s.x
	for _, u := range s.sys.Updates {
		v := u.Param
		vals, err := s.value(v.Name(), v.Shape().Size())
		if err != nil {
			return err
		}
		base := "p_" + sanitize(v.Name())
		x.comment("%s learns: a capacitor node per entry, C = 1/R charged to the initial value, shunt %s ohm", v.Name(), num(shuntFactor*x.rs))
		for k, val := range vals {
			if mask := s.masks[v]; mask != nil && !mask[k] {
				continue
			}
			node := fmt.Sprintf("%s_%d", base, k)
			if err := x.add(node, "the node of "+v.Name()); err != nil {
				return err
			}
			if err := x.element("C"+node, "the capacitor of "+v.Name(), node, "0", num(1/x.rs), "IC="+num(val)); err != nil {
				return err
			}
			if err := x.element("R"+node, "the shunt of "+v.Name(), node, "0", num(shuntFactor*x.rs)); err != nil {
				return err
			}
			x.column(v.Name(), -1, k, node)
		}
	}
	return nil
}

// writeLearning writes the current that charges each learned parameter:
// C d theta/dt = C eta/dt Direction, averaged over the batch, from the
// step learning starts; a time constant stops falling at its floor.
func (s *scope) writeLearning() error {
	x, prog := s.x, s.prog
	start := float64(prog.LearnAfter) * prog.Dt
	for _, u := range s.sys.Updates {
		v := u.Param
		buf := prog.Named[v.Name()]
		rate := buf.Rate / prog.Dt
		x.comment("d%s/dt = eta * %s, eta = lr/dt = %s/%s per second, from t = %s s%s   (B source into the node)", v.Name(), u.Direction, num(buf.Rate), num(prog.Dt), num(start), floorNote(buf.Floor))
		base := "p_" + sanitize(v.Name())
		for k := range v.Shape().Size() {
			if mask := s.masks[v]; mask != nil && !mask[k] {
				continue
			}
			parts := make([]string, x.batch)
			for b := range x.batch {
				d, err := s.p.entry(u.Direction, k, b)
				if err != nil {
					return err
				}
				parts[b] = d
			}
			d := strings.Join(parts, " + ")
			if x.batch > 1 {
				d = fmt.Sprintf("(%s)/%d", d, x.batch)
			}
			node := fmt.Sprintf("%s_%d", base, k)
			if buf.Floor > 0 {
				d = fmt.Sprintf("(v(%s) > %s ? %s : max(%s, 0))", node, num(buf.Floor), d, d)
			}
			cur := fmt.Sprintf("I=%s*%s", num(rate/x.rs), d)
			if start > 0 {
				cur += fmt.Sprintf("*(time >= %s ? 1 : 0)", num(start))
			}
			if err := x.element("Bl"+node, "the learning of "+v.Name(), "0", node, cur); err != nil {
				return err
			}
		}
	}
	return nil
}

func floorNote(f float64) string {
	if f <= 0 {
		return ""
	}
	return fmt.Sprintf(", kept at or above %s", num(f))
}

// crossbar returns the node that holds entry k of sample b of W @ x or
// W^T @ x, writing it the first time: a summing node with a resistor R
// to ground, into which one G element per weight W[k][j] (W[j][k] for
// the transpose) drives W x_j / R, so that its voltage is the sum (a
// crossbar column; with --learn the gain is the weight node's voltage).
func (s *scope) crossbar(n *ir.Node, k, b int) (string, error) {
	x := s.x
	key := crossKey{n, k, b}
	if node, ok := s.crossbars[key]; ok {
		return "v(" + node + ")", nil
	}
	id, ok := s.crossIDs[n]
	if !ok {
		id = len(s.crossIDs)
		s.crossIDs[n] = id
	}
	w, src := n.Args()[0].(*ir.Var), n.Args()[1]
	node := fmt.Sprintf("m%d_%s%s_%d_%d", id, s.prefix, sanitize(w.Name()), b, k)
	s.crossbars[key] = node
	what := fmt.Sprintf("entry %d of %s (sample %d)", k, n, b)
	if err := x.add(node, what); err != nil {
		return "", err
	}
	if err := x.element("R"+node, "the summing resistor of "+what, node, "0", num(x.rs)); err != nil {
		return "", err
	}
	rows, cols := w.Shape().Rows(), w.Shape().Cols()
	inner, trans := cols, n.Op() == ir.OpMatTVec
	if trans {
		inner = rows
	}
	for j := range inner {
		wk := k*cols + j
		if trans {
			wk = j*cols + k
		}
		if err := s.weight(w, wk, src, j, b, node, fmt.Sprintf("G%s_%d", node, j)); err != nil {
			return "", err
		}
	}
	return "v(" + node + ")", nil
}

// crossKey names one entry of one sample of a weight product.
type crossKey struct {
	n    *ir.Node
	k, b int
}

// weight writes the G element that drives W[wk] * src[j] / R into
// target: controlled by src[j]'s node with gain W/R, or, when W learns,
// with the gain the voltage of W's node.
func (s *scope) weight(w *ir.Var, wk int, src ir.Expr, j, b int, target, name string) error {
	x := s.x
	wv, err := s.p.entry(w, wk, b)
	if err != nil {
		return err
	}
	if wv == "0" {
		return nil
	}
	xv, err := s.p.entry(src, j, b)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("weight %s[%d] of sample %d", w.Name(), wk, b)
	if s.learned[w] {
		return x.element(name, what, "0", target, fmt.Sprintf("value={%s*%s/%s}", wv, xv, num(x.rs)))
	}
	ctrl, err := s.control(xv, fmt.Sprintf("x_%s%s_%d_%d", s.prefix, sanitize(src.String()), b, j), "the value of "+src.String())
	if err != nil {
		return err
	}
	return x.element(name, what, "0", target, ctrl, "0", x.perR(wv))
}

// refuseNormalisations refuses errors that need a softmax or a
// log-sum-exp (a softmax cross-entropy cost), naming the energy term
// they come from.
func (s *scope) refuseNormalisations() error {
	norm := func(e ir.Expr) *ir.Node {
		for _, x := range ir.Topo(e) {
			if n, ok := x.(*ir.Node); ok && (n.Op() == ir.OpSoftmax || n.Op() == ir.OpLogSumExp) {
				return n
			}
		}
		return nil
	}
	for _, pn := range s.pops {
		n := norm(pn.eq.Ebar)
		if n == nil {
			continue
		}
		for _, term := range s.sys.Terms {
			if norm(term.Expr) != nil {
				return refusal(term.Pos, "energy term %s: the error of %s needs %s, a normalisation over every neuron of the population that export spice has no elements for; use an mse cost, or export without --with-errors (the forward network)", strings.TrimSpace(term.Source), pn.eq.Pop.Name, n)
			}
		}
		return refusal(n.Pos(), "the error of %s needs %s, a normalisation over every neuron of the population that export spice has no elements for; export without --with-errors", pn.eq.Pop.Name, n)
	}
	return nil
}
