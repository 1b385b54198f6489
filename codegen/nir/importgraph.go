package nir

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// An impPop is a population of the imported model.
type impPop struct {
	name string // the vle identifier
	node string // the LI or CubaLI node
	n    int
	// source is the node whose value is the population's rate: the rate
	// junction of vlec's pattern, or the LI node itself when its membrane
	// is read as the rate (foreign).
	source string
	// dest is the node whose incoming edges are the population's
	// currents: the junction of vlec's pattern, the LI itself, or "" (the
	// membrane of a CubaLI node, fed by its synapse population).
	dest string
	// internal are the other nodes of vlec's pattern.
	internal         []string
	junction, ku, kI string
	tau, taur, bias  []float64 // taur nil: tau_r = dt (foreign)
	a, c             float64   // phi(v) = a v + c
	foreign          bool      // the membrane is the rate
	rscale, vleak    []float64 // a foreign LI's r and v_leak, folded into its currents
	what             string    // for a foreign population: what it stands for, as a comment
	fold             string    // for a foreign population: what rscale and vleak are
	learnable        string
}

// An impInput is an Input node.
type impInput struct {
	name, node string
	n          int
}

// An impConn is a connection of the imported model.
type impConn struct {
	name, src, dst string
	rows, cols     int
	m              linmap
	plastic        bool
	weight         string // the weight node it comes from, "" for a fixed pass-through
	via            string // the nodes composed, when more than the weight node
	scaled         string // what scales its rows, "" if nothing
}

// A term is the contribution of one source to a node's value through
// one weight node (the one nearest the node): m times the source's
// value.
type term struct {
	src    string // the source node: an Input or a population's rate
	weight string // the Affine or Linear node nearest, "" if none
	m      linmap
	path   []string // the linear nodes composed
}

// A flow is a node's value as a sum of terms plus a bias.
type flow struct {
	n     int
	terms []term
	bias  []float64 // nil: zero
}

// importer holds what the analysis of a graph found.
type importer struct {
	g        *Graph
	opts     ImportOptions
	in, out  map[string][]string
	order    []string // the nodes in the order of the edges
	notes    []string
	names    map[string]string // vle identifier -> node
	pops     []*impPop
	inputs   []*impInput
	conns    []*impConn
	outputs  []string       // population names
	sources  map[string]any // node -> *impPop or *impInput
	internal map[string]*impPop
	memo     map[string]*flow
	visiting map[string]bool
	reached  map[string]bool
	dt       float64
	duration float64
	foreign  bool // no vlec metadata: a graph made elsewhere
}

// analyse reads a graph into populations, inputs, connections and
// outputs.
func analyse(g *Graph, opts ImportOptions) (*importer, error) {
	im := &importer{g: g, opts: opts, in: map[string][]string{}, out: map[string][]string{},
		names: map[string]string{}, sources: map[string]any{}, internal: map[string]*impPop{},
		memo: map[string]*flow{}, visiting: map[string]bool{}, reached: map[string]bool{}}
	im.foreign = g.MetaString("vlec.model") == ""
	for _, name := range g.NodeNames() {
		if t := g.Nodes[name].Type; !slices.Contains(importable, t) {
			why := ""
			switch t {
			case "LIF", "CubaLIF", "IF", "Threshold":
				why = " (a spiking node: vlec's neurons are rate neurons)"
			case "I":
				why = " (an integrator without leak: vlec's membranes leak)"
			}
			return nil, fmt.Errorf("node %s: type %s is not imported%s; vlec import nir reads %s", name, t, why, strings.Join(importable, ", "))
		}
	}
	seen := map[string]bool{}
	for _, e := range g.Edges {
		if g.Nodes[e.From] == nil || g.Nodes[e.To] == nil {
			return nil, fmt.Errorf("edge %s -> %s names a node the graph does not have", e.From, e.To)
		}
		im.out[e.From] = append(im.out[e.From], e.To)
		im.in[e.To] = append(im.in[e.To], e.From)
		for _, n := range []string{e.From, e.To} {
			if !seen[n] {
				seen[n] = true
				im.order = append(im.order, n)
			}
		}
	}
	for _, name := range g.NodeNames() {
		switch {
		case seen[name]:
		case g.Nodes[name].Type == "Input":
			im.notes = append(im.notes, fmt.Sprintf("node %s has no edge: left out", im.describe(name)))
		default:
			return nil, fmt.Errorf("node %s has no edge", im.describe(name))
		}
	}
	steps := []func() error{im.populations, im.inputNodes, im.currents, im.outputNodes, im.leftOut, im.settings}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return im, nil
}

// ident makes node's vle identifier, refusing two nodes that would get
// the same one.
func (im *importer) ident(node, id string) (string, error) {
	if prev, ok := im.names[id]; ok && prev != node {
		return "", fmt.Errorf("nodes %s and %s both become %s in the model", prev, node, id)
	}
	im.names[id] = node
	return id, nil
}

// populations finds the populations: one per LI node (in vlec's pattern,
// or its membrane read as its rate), two per CubaLI node.
func (im *importer) populations() error {
	for _, name := range im.order {
		switch im.g.Nodes[name].Type {
		case "LI":
			if err := im.li(name); err != nil {
				return err
			}
		case "CubaLI":
			if err := im.cubaLI(name); err != nil {
				return err
			}
		}
	}
	if len(im.pops) == 0 {
		return fmt.Errorf("the graph has no LI or CubaLI node: nothing for vlec to simulate")
	}
	return nil
}

// timeConstants reads a positive time constant per neuron.
func (im *importer) timeConstants(node, ds string, n int) ([]float64, error) {
	tau, err := im.vector(node, ds, n)
	if err != nil {
		return nil, err
	}
	if len(tau) < 1 || len(tau) > maxImportSize {
		return nil, fmt.Errorf("node %s: %d neurons (vlec takes 1 to %d)", node, len(tau), maxImportSize)
	}
	for i, t := range tau {
		if t <= 0 {
			return nil, fmt.Errorf("node %s: %s[%d] = %g; a time constant must be positive", node, ds, i, t)
		}
	}
	return tau, nil
}

func (im *importer) li(name string) error {
	tau, err := im.timeConstants(name, "tau", -1)
	if err != nil {
		return err
	}
	p, err := im.matchPattern(name, tau)
	if err != nil {
		return err
	}
	if p == nil {
		p = &impPop{node: name, n: len(tau), tau: tau, source: name, dest: name, a: 1, foreign: true,
			what: "NIR LI node " + name + ": its membrane is its output", fold: "r and v_leak of LI " + name}
		if p.rscale, err = im.vector(name, "r", p.n); err != nil {
			return err
		}
		if p.vleak, err = im.vector(name, "v_leak", p.n); err != nil {
			return err
		}
	}
	return im.addPop(p, identifier(name))
}

// cubaLI imports a CubaLI node (tau_syn dI/dt = -I + w_in x, tau_mem
// dv/dt = v_leak - v + r I, its output v) as two populations: the
// synaptic current NAME_syn, fed by the node's inputs scaled by w_in, and
// the membrane NAME, fed by NAME_syn through a fixed one_to_one
// connection of weight r with bias v_leak.
func (im *importer) cubaLI(name string) error {
	tauMem, err := im.timeConstants(name, "tau_mem", -1)
	if err != nil {
		return err
	}
	n := len(tauMem)
	tauSyn, err := im.timeConstants(name, "tau_syn", n)
	if err != nil {
		return err
	}
	win, err := im.vector(name, "w_in", n)
	if err != nil {
		return err
	}
	r, err := im.vector(name, "r", n)
	if err != nil {
		return err
	}
	vleak, err := im.vector(name, "v_leak", n)
	if err != nil {
		return err
	}
	syn := &impPop{node: name, n: n, tau: tauSyn, dest: name, a: 1, foreign: true,
		rscale: win, vleak: make([]float64, n), what: "NIR CubaLI node " + name + ": its synaptic current (tau_syn, w_in)",
		fold: "w_in of CubaLI " + name}
	syn.source = name + "\x00syn"
	if err := im.addPop(syn, identifier(name)+"_syn"); err != nil {
		return err
	}
	mem := &impPop{node: name, n: n, tau: tauMem, source: name, a: 1, foreign: true,
		what: "NIR CubaLI node " + name + ": its membrane (tau_mem), the node's output"}
	if err := im.addPop(mem, identifier(name)); err != nil {
		return err
	}
	mem.bias = vleak
	im.conns = append(im.conns, &impConn{src: syn.name, dst: mem.name, rows: n, cols: n,
		m: linmap{rows: n, cols: n, diag: r}, scaled: "r of CubaLI " + name + " (fixed)"})
	return nil
}

func (im *importer) addPop(p *impPop, id string) error {
	var err error
	if p.name, err = im.ident(p.source, id); err != nil {
		return err
	}
	if p.bias == nil {
		p.bias = make([]float64, p.n)
	}
	p.learnable = im.g.MetaString("vlec.pop." + p.node + ".learnable")
	im.sources[p.source] = p
	for _, n := range p.internal {
		im.internal[n] = p
	}
	im.reached[p.node] = true
	im.reached[p.source] = true
	for _, n := range p.internal {
		im.reached[n] = true
	}
	im.pops = append(im.pops, p)
	return nil
}

// inputNodes reads the Input nodes.
func (im *importer) inputNodes() error {
	for _, name := range im.order {
		if im.g.Nodes[name].Type != "Input" {
			continue
		}
		v := im.g.Nodes[name].Data["shape"]
		var sh []int64
		var err error
		if v != nil {
			sh, err = v.Int64s()
		}
		if v == nil || err != nil || len(sh) != 1 || sh[0] < 1 || sh[0] > maxImportSize {
			return fmt.Errorf("node %s: Input shape %v; vlec imports one-dimensional inputs of 1 to %d neurons", name, sh, maxImportSize)
		}
		if len(im.in[name]) > 0 {
			return fmt.Errorf("node %s: an Input with incoming edges", name)
		}
		id, err := im.ident(name, identifier(name))
		if err != nil {
			return err
		}
		ip := &impInput{name: id, node: name, n: int(sh[0])}
		im.inputs = append(im.inputs, ip)
		im.sources[name] = ip
		im.reached[name] = true
	}
	return nil
}

// size is the number of values of a source.
func (im *importer) size(source string) int {
	switch s := im.sources[source].(type) {
	case *impPop:
		return s.n
	case *impInput:
		return s.n
	}
	return 0
}

// trace returns node's value as a flow of the sources.
func (im *importer) trace(node string) (*flow, error) {
	if _, ok := im.sources[node]; ok {
		n := im.size(node)
		return &flow{n: n, terms: []term{{src: node, m: identity(n)}}}, nil
	}
	if f := im.memo[node]; f != nil {
		return f, nil
	}
	if p := im.internal[node]; p != nil {
		return nil, fmt.Errorf("node %s reads %s inside population %s (vlec's pattern, codegen/nir/doc.go)", strings.Join(im.out[node], ", "), im.describe(node), p.name)
	}
	t := im.g.Nodes[node].Type
	if t != "Affine" && t != "Linear" && t != "Scale" {
		return nil, fmt.Errorf("node %s is read by %s; vlec reads only Inputs, populations and Affine, Linear and Scale nodes", im.describe(node), strings.Join(im.out[node], ", "))
	}
	if im.visiting[node] {
		return nil, fmt.Errorf("node %s is on a cycle of Affine, Linear and Scale nodes without an LI node (an algebraic loop), which vlec cannot step", im.describe(node))
	}
	im.visiting[node] = true
	defer delete(im.visiting, node)
	im.reached[node] = true
	var f *flow
	switch t {
	case "Affine", "Linear":
		w, rows, cols, err := im.matrix(node)
		if err != nil {
			return nil, err
		}
		in, err := im.sum(node, cols)
		if err != nil {
			return nil, err
		}
		f = &flow{n: rows}
		for _, tm := range in.terms {
			m, err := tm.m.leftDense(w, rows)
			if err != nil {
				return nil, fmt.Errorf("node %s: %v", node, err)
			}
			f.terms = append(f.terms, term{src: tm.src, weight: node, m: m, path: append(slices.Clip(tm.path), node)})
		}
		if in.bias != nil {
			f.bias = mulVec(w, rows, in.bias)
		}
		if t == "Affine" {
			b, err := im.vector(node, "bias", rows)
			if err != nil {
				return nil, err
			}
			f.bias = addVec(f.bias, b)
		}
	case "Scale":
		s, sh, err := im.floats(node, "scale")
		if err != nil {
			return nil, err
		}
		if len(sh) != 1 || sh[0] < 1 {
			return nil, fmt.Errorf("node %s: scale of shape %v, want (n,)", node, sh)
		}
		in, err := im.sum(node, sh[0])
		if err != nil {
			return nil, err
		}
		f = &flow{n: sh[0]}
		for _, tm := range in.terms {
			f.terms = append(f.terms, term{src: tm.src, weight: tm.weight, m: tm.m.leftDiag(s), path: append(slices.Clip(tm.path), node)})
		}
		if in.bias != nil {
			f.bias = make([]float64, len(s))
			for i := range s {
				f.bias[i] = s[i] * in.bias[i]
			}
		}
	}
	im.memo[node] = f
	return f, nil
}

// sum returns the sum of the flows arriving at node, n values each.
func (im *importer) sum(node string, n int) (*flow, error) {
	f := &flow{n: n}
	for _, pred := range im.in[node] {
		pf, err := im.trace(pred)
		if err != nil {
			return nil, err
		}
		if pf.n != n {
			return nil, fmt.Errorf("edge %s -> %s: %s gives %d values, but %s takes %d", pred, node, pred, pf.n, im.describe(node), n)
		}
	next:
		for _, tm := range pf.terms {
			for i := range f.terms {
				if f.terms[i].src == tm.src && f.terms[i].weight == tm.weight {
					f.terms[i].m = f.terms[i].m.plus(tm.m)
					f.terms[i].path = append(slices.Clip(f.terms[i].path), tm.path...)
					continue next
				}
			}
			f.terms = append(f.terms, tm)
		}
		if pf.bias != nil {
			f.bias = addVec(f.bias, pf.bias)
		}
	}
	return f, nil
}

func addVec(a, b []float64) []float64 {
	out := append([]float64(nil), b...)
	for i := range a {
		out[i] += a[i]
	}
	return out
}

// currents makes the connections into every population from the flows
// into its dest node.
func (im *importer) currents() error {
	var conns []*impConn
	for _, p := range im.pops {
		if p.dest == "" {
			continue
		}
		f, err := im.sum(p.dest, p.n)
		if err != nil {
			return err
		}
		if p.foreign {
			for i := range f.terms {
				f.terms[i].m = f.terms[i].m.leftDiag(p.rscale)
			}
			b := make([]float64, p.n)
			for i := range b {
				b[i] = p.vleak[i]
				if f.bias != nil {
					b[i] += p.rscale[i] * f.bias[i]
				}
			}
			f.bias = b
		}
		if f.bias != nil {
			p.bias = addVec(p.bias, f.bias)
		}
		for _, tm := range f.terms {
			c := &impConn{src: im.sourceName(tm.src), dst: p.name, rows: p.n, cols: tm.m.cols, m: tm.m, weight: tm.weight}
			if len(tm.path) > 1 || (len(tm.path) == 1 && tm.path[0] != tm.weight) {
				c.via = strings.Join(tm.path, ", ")
			}
			if p.foreign && !all(p.rscale, 1) {
				c.scaled = p.fold
			}
			conns = append(conns, c)
		}
	}
	im.conns = append(im.conns, conns...)
	return im.nameConns()
}

// nameConns names the connections (the weight node's name, unless it
// feeds several) and says which learn.
func (im *importer) nameConns() error {
	conns := im.conns
	// Names: the weight node's, unless it feeds several connections.
	count := map[string]int{}
	for _, c := range conns {
		count[c.weight]++
	}
	for _, c := range conns {
		var id string
		switch {
		case c.weight == "":
			id = "P_" + c.src + "_" + c.dst
		case count[c.weight] == 1:
			id = identifier(c.weight)
		default:
			id = identifier(c.weight) + "_" + c.src + "_" + c.dst
		}
		var err error
		if c.name, err = im.ident(c.weight+"\x00"+c.src+"\x00"+c.dst, id); err != nil {
			return err
		}
		switch {
		case c.weight == "":
		case im.foreign:
			c.plastic = true
		default:
			c.plastic = im.g.MetaString("vlec.conn."+c.weight+".plastic") == "true"
			if topo := im.g.MetaString("vlec.conn." + c.weight + ".topology"); topo != "" {
				im.notes = append(im.notes, fmt.Sprintf("connection %s was %s: imported as a dense matrix, whose zero entries can learn", c.name, topo))
			}
		}
		if d := c.describe(); d != "" {
			im.notes = append(im.notes, fmt.Sprintf("connection %s: %s", c.name, d))
		}
	}
	return nil
}

// describe says how c's matrix was made, "" when it is one weight
// node's matrix as it is.
func (c *impConn) describe() string {
	var parts []string
	if c.via != "" {
		parts = append(parts, "the product of "+c.via)
	}
	if c.scaled != "" {
		parts = append(parts, "rows scaled by "+c.scaled)
	}
	return strings.Join(parts, ", ")
}

// sourceName is the vle name of a source node.
func (im *importer) sourceName(node string) string {
	switch s := im.sources[node].(type) {
	case *impPop:
		return s.name
	case *impInput:
		return s.name
	}
	return node
}

// outputNodes finds the population each Output node reads.
func (im *importer) outputNodes() error {
	for _, name := range im.order {
		if im.g.Nodes[name].Type != "Output" {
			continue
		}
		im.reached[name] = true
		if len(im.out[name]) > 0 {
			return fmt.Errorf("node %s: an Output with outgoing edges", name)
		}
		var p *impPop
		if src := one(im.in, name); src != "" {
			p, _ = im.sources[src].(*impPop)
		}
		if p == nil {
			return fmt.Errorf("node %s: the Output reads %s, not the rate of one population; vlec's outputs are populations (put an LI node before the Output)", name, strings.Join(im.in[name], ", "))
		}
		v := im.g.Nodes[name].Data["shape"]
		var sh []int64
		var err error
		if v != nil {
			sh, err = v.Int64s()
		}
		if v == nil || err != nil || len(sh) != 1 || int(sh[0]) != p.n {
			return fmt.Errorf("node %s: Output shape %v, but %s has %d neurons", name, sh, p.name, p.n)
		}
		im.outputs = append(im.outputs, p.name)
	}
	return nil
}

// leftOut notes the nodes nothing the model simulates reads.
func (im *importer) leftOut() error {
	for _, name := range im.order {
		if !im.reached[name] {
			im.notes = append(im.notes, fmt.Sprintf("node %s feeds no population and no output: left out", im.describe(name)))
		}
	}
	return nil
}

// settings chooses dt and the duration, and tau_r of the populations
// whose membrane is their rate.
func (im *importer) settings() error {
	dt := im.opts.Dt
	switch v := im.g.MetaFloats("vlec.dt"); {
	case dt > 0:
	case len(v) == 1 && v[0] > 0 && !math.IsInf(v[0], 0):
		dt = v[0]
	default:
		dt = 1e-3
		im.notes = append(im.notes, "the graph does not say its time step (no vlec.dt in its metadata): dt = 1ms (choose it with --dt)")
	}
	for _, p := range im.pops {
		for i := range p.n {
			m := p.tau[i]
			if p.taur != nil {
				m = min(m, p.taur[i])
			}
			if m >= dt {
				continue
			}
			if im.opts.Dt > 0 {
				return fmt.Errorf("dt = %g s is longer than a time constant of node %s (%g s); vlec needs every time constant >= dt", dt, p.node, m)
			}
			dt = m
			im.notes = append(im.notes, fmt.Sprintf("dt = %g s, the shortest time constant (%s)", dt, p.name))
		}
	}
	var membranes []string
	for _, p := range im.pops {
		if p.taur != nil {
			continue
		}
		p.taur = make([]float64, p.n)
		for i := range p.taur {
			p.taur[i] = dt
		}
		membranes = append(membranes, p.name)
		if !all(p.rscale, 1) || !all(p.vleak, 0) {
			im.notes = append(im.notes, fmt.Sprintf("population %s: %s folded into its input weights and bias", p.name, p.fold))
		}
	}
	if len(membranes) > 0 {
		im.notes = append(im.notes, fmt.Sprintf("%s: the graph reads the membrane as the output; imported with tau_r = dt (%g s), at which vlec's rate is the membrane of the same step (keep tau_r = dt if you change dt)", strings.Join(membranes, ", "), dt))
	}
	im.dt = dt
	im.duration = 1
	if v := im.g.MetaFloats("vlec.duration"); len(v) == 1 && v[0] > 0 && !math.IsInf(v[0], 0) {
		im.duration = v[0]
	}
	return nil
}
