package nir

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// importable are the node types Import reads.
var importable = []string{"Input", "Output", "LI", "Affine", "Linear", "Scale"}

// maxImportSize bounds a population's or an input's size in an imported
// graph (vlec's own limit, lang/SPEC.md "population").
const maxImportSize = 1 << 20

type impPop struct {
	name                string // the vle name
	node                string // the LI node
	junction, ku, kI, r string
	n                   int
	tau, taur, bias     []float64
	a, c                float64
	fn                  string // the activation's name in the model
	first               bool   // bias already set from an Affine
}

type impConn struct {
	name, src, dst string
	rows, cols     int
	w              []float64
	plastic        bool
}

// MaxLiteral is the most weights Import writes as a literal in the
// model; a larger matrix goes to a .npy file beside it.
const MaxLiteral = 10000

// An Imported model: its source, the weight files it reads (by file
// name, to be written beside the model), and notes about what the import
// assumed (dt, stimuli, activations).
type Imported struct {
	Source []byte
	Files  map[string][]byte
	Notes  []string
}

// Import turns a graph of the node types and the pattern Export writes
// into a .vle model called model, refusing, with the node's name, graphs
// it cannot express.
func Import(g *Graph, model string) (imp *Imported, err error) {
	defer func() {
		if r := recover(); r != nil {
			imp, err = nil, fmt.Errorf("malformed graph: %v", r)
		}
	}()
	imp = &Imported{Files: map[string][]byte{}}
	src, notes, err := importGraph(g, model, imp.Files)
	if err != nil {
		return nil, err
	}
	imp.Source, imp.Notes = src, notes
	return imp, nil
}

func importGraph(g *Graph, model string, files map[string][]byte) (src []byte, notes []string, err error) {
	for _, name := range g.NodeNames() {
		if t := g.Nodes[name].Type; !slices.Contains(importable, t) {
			return nil, nil, fmt.Errorf("node %s: type %s is not imported (vlec import nir reads %s)", name, t, strings.Join(importable, ", "))
		}
	}
	in := map[string][]string{}
	out := map[string][]string{}
	var order []string
	seen := map[string]bool{}
	for _, e := range g.Edges {
		out[e.From] = append(out[e.From], e.To)
		in[e.To] = append(in[e.To], e.From)
		for _, n := range []string{e.From, e.To} {
			if !seen[n] {
				seen[n] = true
				order = append(order, n)
			}
		}
	}
	for _, name := range g.NodeNames() {
		if !seen[name] {
			return nil, nil, fmt.Errorf("node %s (%s) has no edge", name, g.Nodes[name].Type)
		}
	}
	fl := func(node, ds string) ([]float64, []int, error) {
		v := g.Nodes[node].Data[ds]
		f, err := v.Float64s()
		if err != nil {
			return nil, nil, fmt.Errorf("node %s: %s is %s, want floating point", node, ds, v.Type())
		}
		for i, x := range f {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, nil, fmt.Errorf("node %s: %s[%d] = %v is not finite", node, ds, i, x)
			}
		}
		return f, v.Shape(), nil
	}
	vector := func(node, ds string, n int) ([]float64, error) {
		f, sh, err := fl(node, ds)
		if err != nil {
			return nil, err
		}
		if len(sh) == 0 && n >= 0 {
			v := make([]float64, n)
			for i := range v {
				v[i] = f[0]
			}
			return v, nil
		}
		if len(sh) != 1 || (n >= 0 && sh[0] != n) {
			return nil, fmt.Errorf("node %s: %s has shape %v, want (%d,)", node, ds, sh, n)
		}
		return f, nil
	}
	all := func(v []float64, x float64) bool {
		for _, y := range v {
			if y != x {
				return false
			}
		}
		return true
	}
	one := func(m map[string][]string, node, what string) (string, error) {
		if len(m[node]) != 1 {
			return "", fmt.Errorf("node %s (%s): %d %s edges, want 1 (the pattern of codegen/nir/doc.go)", node, g.Nodes[node].Type, len(m[node]), what)
		}
		return m[node][0], nil
	}
	typeOf := func(n string) string { return g.Nodes[n].Type }
	used := map[string]bool{}
	names := map[string]string{} // vle identifier -> node
	ident := func(node string) (string, error) {
		id := identifier(node)
		if prev, ok := names[id]; ok && prev != node {
			return "", fmt.Errorf("nodes %s and %s both become %s in the model", prev, node, id)
		}
		names[id] = node
		return id, nil
	}

	// Populations.
	var pops []*impPop
	popOfJunction := map[string]*impPop{}
	popOfRate := map[string]*impPop{}
	for _, name := range order {
		if typeOf(name) != "LI" {
			continue
		}
		p := &impPop{node: name}
		tau, err := vector(name, "tau", -1)
		if err != nil {
			return nil, nil, err
		}
		p.n = len(tau)
		if p.n < 1 || p.n > maxImportSize {
			return nil, nil, fmt.Errorf("node %s: %d neurons (vlec takes 1 to %d)", name, p.n, maxImportSize)
		}
		for i, t := range tau {
			if t <= 0 {
				return nil, nil, fmt.Errorf("node %s: tau[%d] = %g; a time constant must be positive", name, i, t)
			}
		}
		r, err := vector(name, "r", p.n)
		if err != nil {
			return nil, nil, err
		}
		vl, err := vector(name, "v_leak", p.n)
		if err != nil {
			return nil, nil, err
		}
		if !all(r, 1) || !all(vl, 0) {
			return nil, nil, fmt.Errorf("node %s: LI with r != 1 or v_leak != 0; vlec's membrane is tau du/dt = -u + I (r = 1, v_leak = 0)", name)
		}
		p.tau = tau
		if p.junction, err = one(in, name, "incoming"); err != nil {
			return nil, nil, err
		}
		if typeOf(p.junction) != "Scale" {
			return nil, nil, fmt.Errorf("node %s: its input comes from %s (%s), not from a Scale(1) junction summing the population's currents; vlec imports populations in the pattern vlec export nir writes (codegen/nir/doc.go), where the rate is (1-k) u + k I: a graph reading the LI membrane itself as the rate has tau_r = 0, which vlec cannot express (tau_r >= dt)", name, p.junction, typeOf(p.junction))
		}
		js, err := vector(p.junction, "scale", p.n)
		if err != nil {
			return nil, nil, err
		}
		if !all(js, 1) {
			return nil, nil, fmt.Errorf("node %s: the junction into LI %s must scale by 1", p.junction, name)
		}
		if p.ku, err = one(out, name, "outgoing"); err != nil {
			return nil, nil, fmt.Errorf("%v; vlec reads the rate as (1-k) u + k I through two Scale nodes (a rate equal to u would need tau_r = 0, and vlec needs tau_r >= dt)", err)
		}
		if typeOf(p.ku) != "Scale" {
			return nil, nil, fmt.Errorf("node %s: LI %s feeds %s (%s) directly; vlec reads the rate as (1-k) u + k I through two Scale nodes (a rate equal to u would need tau_r = 0, and vlec needs tau_r >= dt)", name, name, p.ku, typeOf(p.ku))
		}
		if p.r, err = one(out, p.ku, "outgoing"); err != nil {
			return nil, nil, err
		}
		rin := in[p.r]
		if len(rin) != 2 || !slices.Contains(rin, p.ku) {
			return nil, nil, fmt.Errorf("node %s: the rate of %s must sum exactly two Scale nodes, from the membrane and from the current", p.r, name)
		}
		p.kI = rin[0]
		if p.kI == p.ku {
			p.kI = rin[1]
		}
		if typeOf(p.kI) != "Scale" || len(in[p.kI]) != 1 || in[p.kI][0] != p.junction {
			return nil, nil, fmt.Errorf("node %s: the rate of %s must take a Scale of its current %s", p.r, name, p.junction)
		}
		ku, err := vector(p.ku, "scale", p.n)
		if err != nil {
			return nil, nil, err
		}
		kI, err := vector(p.kI, "scale", p.n)
		if err != nil {
			return nil, nil, err
		}
		var cs []float64
		switch typeOf(p.r) {
		case "Scale":
			s, err := vector(p.r, "scale", p.n)
			if err != nil {
				return nil, nil, err
			}
			if !all(s, 1) {
				return nil, nil, fmt.Errorf("node %s: the rate junction must scale by 1", p.r)
			}
			cs = make([]float64, p.n)
		case "Affine":
			w, sh, err := fl(p.r, "weight")
			if err != nil {
				return nil, nil, err
			}
			if len(sh) != 2 || sh[0] != p.n || sh[1] != p.n {
				return nil, nil, fmt.Errorf("node %s: weight of shape %v, want (%d, %d)", p.r, sh, p.n, p.n)
			}
			for i := range p.n {
				for j := range p.n {
					if want := float64(b2i(i == j)); w[i*p.n+j] != want {
						return nil, nil, fmt.Errorf("node %s: the rate junction's weight must be the identity (an offset is its bias)", p.r)
					}
				}
			}
			if cs, err = vector(p.r, "bias", p.n); err != nil {
				return nil, nil, err
			}
		default:
			return nil, nil, fmt.Errorf("node %s: the rate of %s is a %s node, want Scale (or Affine with identity weight)", p.r, name, typeOf(p.r))
		}
		ks := make([]float64, p.n)
		as := make([]float64, p.n)
		for i := range p.n {
			as[i] = ku[i] + kI[i]
			if as[i] == 0 {
				return nil, nil, fmt.Errorf("node %s: scales %s and %s sum to 0 at neuron %d: a constant rate, which vlec cannot express", name, p.ku, p.kI, i)
			}
			ks[i] = kI[i] / as[i]
			if ks[i] <= 0 {
				return nil, nil, fmt.Errorf("node %s: k = tau_r/tau_m = %g at neuron %d; vlec needs tau_r > 0", p.kI, ks[i], i)
			}
		}
		if !all(as, as[0]) || !all(cs, cs[0]) {
			return nil, nil, fmt.Errorf("node %s: the rate is a different affine function of (1-k) u + k I for different neurons; vlec has one activation per population", name)
		}
		p.a, p.c = as[0], cs[0]
		// The exporter's own slope and offset, when they are what the
		// scales say (their sum may be off by an ulp): the model's exact
		// values.
		if ac := g.MetaFloats("vlec.pop." + name + ".phi_affine"); len(ac) == 2 && ac[1] == p.c {
			near := true
			for i := range p.n {
				near = near && math.Abs(as[i]-ac[0]) <= 1e-12*math.Abs(ac[0])
			}
			if near {
				p.a = ac[0]
				for i := range p.n {
					ks[i] = kI[i] / p.a
				}
			}
		}
		if p.name, err = ident(name); err != nil {
			return nil, nil, err
		}
		p.taur = make([]float64, p.n)
		meta := g.MetaFloats("vlec.pop." + name + ".tau_r")
		for i := range p.n {
			p.taur[i] = ks[i] * tau[i]
			if len(meta) == p.n && math.Abs(meta[i]/tau[i]-ks[i]) <= 1e-12*math.Abs(ks[i]) {
				p.taur[i] = meta[i]
			}
		}
		p.bias = make([]float64, p.n)
		for _, n := range []string{name, p.junction, p.ku, p.kI, p.r} {
			used[n] = true
		}
		for _, o := range out[p.junction] {
			if o != name && o != p.kI {
				return nil, nil, fmt.Errorf("node %s: the current of %s feeds %s, which vlec cannot express", p.junction, name, o)
			}
		}
		popOfJunction[p.junction] = p
		popOfRate[p.r] = p
		pops = append(pops, p)
	}
	if len(pops) == 0 {
		return nil, nil, fmt.Errorf("the graph has no LI node: nothing for vlec to simulate")
	}

	// Inputs.
	type impInput struct {
		name, node string
		n          int
	}
	var inputs []impInput
	inputOf := map[string]*impInput{}
	for _, name := range order {
		if typeOf(name) != "Input" {
			continue
		}
		sh, err := g.Nodes[name].Data["shape"].Int64s()
		if err != nil || len(sh) != 1 || sh[0] < 1 || sh[0] > maxImportSize {
			return nil, nil, fmt.Errorf("node %s: Input shape %v; vlec imports one-dimensional inputs of 1 to %d neurons", name, sh, maxImportSize)
		}
		id, err := ident(name)
		if err != nil {
			return nil, nil, err
		}
		inputs = append(inputs, impInput{id, name, int(sh[0])})
		inputOf[name] = &inputs[len(inputs)-1]
		used[name] = true
	}

	// Connections.
	foreign := g.MetaString("vlec.model") == ""
	var conns []*impConn
	for _, name := range order {
		t := typeOf(name)
		if t != "Affine" && t != "Linear" || used[name] {
			continue
		}
		srcNode, err := one(in, name, "incoming")
		if err != nil {
			return nil, nil, err
		}
		dstNode, err := one(out, name, "outgoing")
		if err != nil {
			return nil, nil, err
		}
		c := &impConn{plastic: foreign || g.MetaString("vlec.conn."+name+".plastic") == "true"}
		if c.name, err = ident(name); err != nil {
			return nil, nil, err
		}
		var srcN int
		if p := popOfRate[srcNode]; p != nil {
			c.src, srcN = p.name, p.n
		} else if ip := inputOf[srcNode]; ip != nil {
			c.src, srcN = ip.name, ip.n
		} else {
			return nil, nil, fmt.Errorf("node %s: its input %s (%s) is neither an Input nor a population's rate", name, srcNode, typeOf(srcNode))
		}
		dst := popOfJunction[dstNode]
		if dst == nil {
			return nil, nil, fmt.Errorf("node %s: it feeds %s (%s), not a population's current junction", name, dstNode, typeOf(dstNode))
		}
		c.dst = dst.name
		w, sh, err := fl(name, "weight")
		if err != nil {
			return nil, nil, err
		}
		if len(sh) != 2 || sh[0] != dst.n || sh[1] != srcN {
			return nil, nil, fmt.Errorf("node %s: weight of shape %v, want (%d, %d) from %s to %s", name, sh, dst.n, srcN, srcNode, dstNode)
		}
		c.rows, c.cols, c.w = sh[0], sh[1], w
		if t == "Affine" {
			b, err := vector(name, "bias", dst.n)
			if err != nil {
				return nil, nil, err
			}
			for i := range b {
				dst.bias[i] += b[i]
			}
		}
		if topo := g.MetaString("vlec.conn." + name + ".topology"); topo != "" {
			notes = append(notes, fmt.Sprintf("connection %s was %s: imported as a dense matrix, whose zero entries can learn", c.name, topo))
		}
		used[name] = true
		conns = append(conns, c)
	}
	var outputs []string
	for _, name := range order {
		if typeOf(name) != "Output" {
			continue
		}
		src, err := one(in, name, "incoming")
		if err != nil {
			return nil, nil, err
		}
		p := popOfRate[src]
		if p == nil {
			return nil, nil, fmt.Errorf("node %s: Output of %s (%s), not of a population's rate", name, src, typeOf(src))
		}
		if sh, err := g.Nodes[name].Data["shape"].Int64s(); err != nil || len(sh) != 1 || int(sh[0]) != p.n {
			return nil, nil, fmt.Errorf("node %s: Output shape %v, but %s has %d neurons", name, sh, p.name, p.n)
		}
		if len(out[name]) > 0 {
			return nil, nil, fmt.Errorf("node %s: an Output with outgoing edges", name)
		}
		used[name] = true
		outputs = append(outputs, p.name)
	}
	for _, name := range g.NodeNames() {
		if !used[name] {
			return nil, nil, fmt.Errorf("node %s (%s) is not part of a population, connection, input or output in the pattern of codegen/nir/doc.go", name, typeOf(name))
		}
	}
	for _, p := range pops {
		if len(in[p.junction]) == 0 {
			return nil, nil, fmt.Errorf("node %s: population %s has no incoming connection", p.junction, p.name)
		}
		for _, src := range in[p.junction] {
			if t := typeOf(src); t != "Affine" && t != "Linear" {
				return nil, nil, fmt.Errorf("node %s: its current junction %s takes %s (%s); only Affine and Linear nodes feed a population", p.node, p.junction, src, t)
			}
		}
	}

	// Simulation settings.
	dt := 1e-3
	if v := g.MetaFloats("vlec.dt"); len(v) == 1 && v[0] > 0 {
		dt = v[0]
	} else {
		notes = append(notes, "no vlec.dt in the metadata: dt = 1ms")
	}
	for _, p := range pops {
		for i := range p.n {
			if m := min(p.tau[i], p.taur[i]); m < dt {
				dt = m
				notes = append(notes, fmt.Sprintf("dt = %g s, the shortest time constant (%s)", dt, p.name))
			}
		}
	}
	duration := 1.0
	if v := g.MetaFloats("vlec.duration"); len(v) == 1 && v[0] > 0 {
		duration = v[0]
	}

	var b bytes.Buffer
	orig := g.MetaString("vlec.model")
	if orig != "" {
		fmt.Fprintf(&b, "// Imported by vlec import nir from a NIR graph exported from model %s.\n", orig)
	} else {
		fmt.Fprintf(&b, "// Imported by vlec import nir from a NIR graph.\n")
	}
	b.WriteString("// Add a teacher and a loss to the energy to train it with GLE.\n")
	fmt.Fprintf(&b, "model %s\nimport \"std/gle\"\n\n", identifier(model))
	fmt.Fprintf(&b, "sim {\n  dt = %s\n  duration = %s\n}\n\n", num(dt), num(duration))
	for _, ip := range inputs {
		stim := g.MetaString("vlec.input." + ip.node + ".stimulus")
		if stim == "" {
			notes = append(notes, fmt.Sprintf("input %s: the graph does not say what it receives; its stimulus is 0 (replace it)", ip.name))
			fmt.Fprintf(&b, "input %s[%d] = 0 // the stimulus: replace\n", ip.name, ip.n)
			continue
		}
		fmt.Fprintf(&b, "input %s[%d] = %s\n", ip.name, ip.n, stim)
	}
	b.WriteString("\n")
	var fns []string
	for _, p := range pops {
		phi := "linear"
		orig := g.MetaString("vlec.pop." + p.node + ".phi")
		if p.a != 1 || p.c != 0 {
			phi = "phi_" + p.name
			fns = append(fns, fmt.Sprintf("fn %s(v) = %s * v + %s\n", phi, num(p.a), num(p.c)))
		}
		if orig != "" && orig != "linear" && g.MetaString("vlec.pop."+p.node+".phi_export") != "" {
			notes = append(notes, fmt.Sprintf("population %s: phi = %s in the exported model; the graph holds its affine replacement, imported as %s", p.name, orig, phi))
		}
		learn := g.MetaString("vlec.pop." + p.node + ".learnable")
		lrn := func(what string) string {
			if slices.Contains(strings.Fields(learn), what) {
				return " learnable"
			}
			return ""
		}
		fmt.Fprintf(&b, "population %s[%d] : gle(\n  tau_m = %s%s,\n  tau_r = %s,\n  b = %s%s,\n",
			p.name, p.n, list(p.tau), lrn("tau_m"), list(p.taur), list(p.bias), lrn("b"))
		if gm := g.MetaFloats("vlec.pop." + p.node + ".gamma"); len(gm) == p.n {
			fmt.Fprintf(&b, "  gamma = %s,\n", list(gm))
		}
		fmt.Fprintf(&b, "  phi = %s,\n)\n", phi)
	}
	if len(fns) > 0 {
		b.WriteString("\n")
		for _, f := range fns {
			b.WriteString(f)
		}
	}
	b.WriteString("\n")
	for _, c := range conns {
		pl := ""
		if c.plastic {
			pl = " plastic"
		}
		if len(c.w) > MaxLiteral {
			file := identifier(model) + "." + c.name + ".npy"
			files[file] = npyFile([]int{c.rows, c.cols}, c.w)
			fmt.Fprintf(&b, "connect %s -> %s %s = file(%q)%s\n", c.src, c.dst, c.name, file, pl)
			continue
		}
		rows := make([]string, c.rows)
		for i := range c.rows {
			rows[i] = list(c.w[i*c.cols : (i+1)*c.cols])
		}
		fmt.Fprintf(&b, "connect %s -> %s %s = [%s]%s\n", c.src, c.dst, c.name, strings.Join(rows, ", "), pl)
	}
	b.WriteString("\nenergy {\n ")
	for i, p := range pops {
		if i > 0 {
			b.WriteString(" +")
		}
		fmt.Fprintf(&b, " mismatch(%s)", p.name)
	}
	b.WriteString("\n}\n")
	if len(outputs) > 0 {
		rec := make([]string, len(outputs))
		for i, o := range outputs {
			rec[i] = o + ".r"
		}
		fmt.Fprintf(&b, "\nrecord %s\n", strings.Join(rec, ", "))
	}
	return b.Bytes(), notes, nil
}

// npyFile is a .npy file (format 1.0) of float64 values in C order.
func npyFile(shape []int, v []float64) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	header := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }", strings.Join(dims, ", "))
	total := 10 + len(header) + 1
	header += strings.Repeat(" ", (64-total%64)%64) + "\n"
	out := make([]byte, 0, 10+len(header)+8*len(v))
	out = append(out, "\x93NUMPY\x01\x00"...)
	out = binary.LittleEndian.AppendUint16(out, uint16(len(header)))
	out = append(out, header...)
	for _, x := range v {
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(x))
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// num formats x so that it reads back as the same float64.
func num(x float64) string {
	s := strconv.FormatFloat(x, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eInN") {
		s += ".0"
	}
	return s
}

// list formats a vector as a .vle list.
func list(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = num(x)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// identifier makes a node name a .vle identifier: letters, digits and
// underscores, not starting with a digit.
func identifier(name string) string {
	var b strings.Builder
	for i, r := range name {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			if i == 0 {
				b.WriteString("n")
			}
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	if b.Len() == 0 {
		return "n"
	}
	return b.String()
}
