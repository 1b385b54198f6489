package nir

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vlec-dev/vlec/internal/hdf5"
	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/lang/format"
	"github.com/vlec-dev/vlec/parser"
)

// The ways of exporting an activation NIR has no node for (Options.Phi).
const (
	PhiError     = "error"     // refuse (the default)
	PhiLinearize = "linearize" // the tangent at Options.At
	PhiDrop      = "drop"      // the identity
)

// Options are the choices of an export.
type Options struct {
	// Phi says what to do with a population whose activation is not the
	// identity: PhiError (or ""), PhiLinearize or PhiDrop.
	Phi string
	// At is the point of the tangent of PhiLinearize.
	At float64
	// Float32 stores the parameters as float32 instead of float64.
	Float32 bool
	// From names where the parameter values come from (a checkpoint),
	// for the metadata; "" for the model's initial values.
	From string
	// Generator is written to the metadata as "vlec.generator".
	Generator string
}

// A Result is an exported graph with what the export did to the model.
type Result struct {
	Graph *Graph
	// Exact tells whether the graph computes the model's forward
	// dynamics without approximation (every activation the identity).
	Exact bool
	// Approximations are the activations replaced, one line per
	// population; Notes the parts of the model left out, one line each.
	Approximations, Notes []string
}

// Values gives the current value of a buffer of the step program (such
// as runtime.Sim.Values).
type Values func(*schedule.Buffer) []float64

// Export builds the NIR graph of the forward network of prog's model,
// with the parameter values that values gives. It refuses, naming the
// construct, what the graph cannot express: an activation other than
// the identity (unless opts.Phi says otherwise) and a population without
// an incoming connection.
func Export(prog *schedule.Program, values Values, opts Options) (*Result, error) {
	m := prog.Model
	switch opts.Phi {
	case "", PhiError, PhiLinearize, PhiDrop:
	default:
		return nil, fmt.Errorf("--phi=%s: give error, linearize or drop", opts.Phi)
	}
	if math.IsNaN(opts.At) || math.IsInf(opts.At, 0) {
		return nil, fmt.Errorf("--at %v: give a finite number", opts.At)
	}
	res := &Result{Exact: true}
	g := &Graph{Nodes: map[string]*Node{}, Metadata: map[string]*hdf5.Value{}}
	res.Graph = g
	md := g.Metadata
	vec := func(v []float64) *hdf5.Value {
		if opts.Float32 {
			f := make([]float32, len(v))
			for i, x := range v {
				f[i] = float32(x)
			}
			return hdf5.NewFloat32([]int{len(v)}, f)
		}
		return hdf5.NewFloat64([]int{len(v)}, v)
	}
	mat := func(rows, cols int, v []float64) *hdf5.Value {
		val := vec(v)
		if opts.Float32 {
			f, _ := val.Float32s()
			return hdf5.NewFloat32([]int{rows, cols}, f)
		}
		return hdf5.NewFloat64([]int{rows, cols}, v)
	}
	fill := func(n int, x float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = x
		}
		return v
	}
	add := func(name string, n *Node) error {
		if g.Nodes[name] != nil {
			return fmt.Errorf("two NIR nodes would be called %q; rename the population, input or connection", name)
		}
		g.Nodes[name] = n
		return nil
	}
	edge := func(from, to string) { g.Edges = append(g.Edges, Edge{from, to}) }
	param := func(name string, fallback check.NeuronParam, size int) ([]float64, error) {
		if b := prog.Named[name]; b != nil {
			v := values(b)
			if len(v) != size {
				return nil, fmt.Errorf("%s has %d values, want %d", name, len(v), size)
			}
			return append([]float64(nil), v...), nil
		}
		if len(fallback.Values) == size {
			return append([]float64(nil), fallback.Values...), nil
		}
		if len(fallback.Values) == 0 {
			return fill(size, 0), nil
		}
		return nil, fmt.Errorf("%s: no value", name)
	}

	// Inputs: those a connection reads (an input only the energy reads,
	// such as a target, is not part of the forward network).
	read := map[string]bool{}
	for _, c := range m.Connections {
		if in, ok := c.Src.(*check.Input); ok {
			read[in.Name] = true
		}
	}
	stimuli, decls := inputSources(m, read)
	if decls != "" {
		md["vlec.decls"] = hdf5.NewString(decls)
	}
	for _, in := range m.Inputs {
		if !read[in.Name] {
			res.Notes = append(res.Notes, fmt.Sprintf("input %s: left out (no connection reads it; only the energy does)", in.Name))
			continue
		}
		if err := add(in.Name, &Node{Type: "Input", Data: map[string]*hdf5.Value{"shape": hdf5.NewInt64([]int{1}, []int64{int64(in.Size)})}}); err != nil {
			return nil, err
		}
		if s := stimuli[in.Name]; s != "" {
			md["vlec.input."+in.Name+".stimulus"] = hdf5.NewString(s)
		}
	}

	// Which populations are outputs: those that feed no other population.
	feeds := map[*check.Population]bool{}
	incoming := map[*check.Population][]*check.Connection{}
	for _, c := range m.Connections {
		dst, ok := c.Dst.(*check.Population)
		if !ok {
			return nil, fmt.Errorf("connection %s: its target %s is not a population", c.Name, c.Dst.NodeName())
		}
		incoming[dst] = append(incoming[dst], c)
		if src, ok := c.Src.(*check.Population); ok && src != dst {
			feeds[src] = true
		}
	}
	var outputs []string
	for _, p := range m.Populations {
		if !feeds[p] {
			outputs = append(outputs, p.Name)
		}
	}
	if len(outputs) == 0 && len(m.Populations) > 0 {
		outputs = []string{m.Populations[len(m.Populations)-1].Name}
	}

	// Populations.
	for _, p := range m.Populations {
		n := p.Size
		if len(incoming[p]) == 0 {
			return nil, fmt.Errorf("population %s has no incoming connection: its input current is its constant bias, which a NIR graph cannot express", p.Name)
		}
		tau, err := param(p.Name+".tau_m", p.TauM, n)
		if err != nil {
			return nil, err
		}
		taur, err := param(p.Name+".tau_r", p.TauR, n)
		if err != nil {
			return nil, err
		}
		a, c, how, err := activation(p, opts)
		if err != nil {
			return nil, err
		}
		if how != "" {
			res.Exact = false
			res.Approximations = append(res.Approximations, fmt.Sprintf("population %s: phi = %s %s", p.Name, p.Phi.Name, how))
			md["vlec.pop."+p.Name+".phi_export"] = hdf5.NewString(how)
		}
		ku, kI := make([]float64, n), make([]float64, n)
		for i := range n {
			k := taur[i] / tau[i]
			ku[i], kI[i] = a*(1-k), a*k
		}
		names := popNodes(p.Name)
		if err := add(names.membrane, &Node{Type: "LI", Data: map[string]*hdf5.Value{
			"tau": vec(tau), "r": vec(fill(n, 1)), "v_leak": vec(fill(n, 0)),
		}}); err != nil {
			return nil, err
		}
		if err := add(names.current, &Node{Type: "Scale", Data: map[string]*hdf5.Value{"scale": vec(fill(n, 1))}}); err != nil {
			return nil, err
		}
		if err := add(names.ku, &Node{Type: "Scale", Data: map[string]*hdf5.Value{"scale": vec(ku)}}); err != nil {
			return nil, err
		}
		if err := add(names.kI, &Node{Type: "Scale", Data: map[string]*hdf5.Value{"scale": vec(kI)}}); err != nil {
			return nil, err
		}
		readout := &Node{Type: "Scale", Data: map[string]*hdf5.Value{"scale": vec(fill(n, 1))}}
		if c != 0 {
			eye := make([]float64, n*n)
			for i := range n {
				eye[i*n+i] = 1
			}
			readout = &Node{Type: "Affine", Data: map[string]*hdf5.Value{"weight": mat(n, n, eye), "bias": vec(fill(n, c))}}
		}
		if err := add(names.rate, readout); err != nil {
			return nil, err
		}
		edge(names.current, names.membrane)
		edge(names.membrane, names.ku)
		edge(names.current, names.kI)
		edge(names.ku, names.rate)
		edge(names.kI, names.rate)
		md["vlec.pop."+p.Name+".phi"] = hdf5.NewString(p.Phi.Name)
		md["vlec.pop."+p.Name+".phi_affine"] = hdf5.NewFloat64([]int{2}, []float64{a, c})
		md["vlec.pop."+p.Name+".tau_r"] = hdf5.NewFloat64([]int{n}, taur)
		if len(p.Gamma.Values) == n {
			md["vlec.pop."+p.Name+".gamma"] = hdf5.NewFloat64([]int{n}, p.Gamma.Values)
		}
		var learn []string
		if p.TauM.Learnable {
			learn = append(learn, "tau_m")
		}
		if p.Bias.Learnable {
			learn = append(learn, "b")
		}
		if len(learn) > 0 {
			md["vlec.pop."+p.Name+".learnable"] = hdf5.NewString(strings.Join(learn, " "))
		}
	}

	// Connections: the first into a population carries its bias.
	for _, p := range m.Populations {
		bias, err := param(p.Name+".b", p.Bias, p.Size)
		if err != nil {
			return nil, err
		}
		for i, c := range incoming[p] {
			buf := prog.Named[c.Name]
			if buf == nil {
				return nil, fmt.Errorf("connection %s: no weight buffer in the step program", c.Name)
			}
			w := append([]float64(nil), values(buf)...)
			rows, cols := c.Dst.NodeSize(), c.Src.NodeSize()
			if len(w) != rows*cols {
				return nil, fmt.Errorf("connection %s: %d weights, want %d x %d", c.Name, len(w), rows, cols)
			}
			node := &Node{Type: "Linear", Data: map[string]*hdf5.Value{"weight": mat(rows, cols, w)}}
			if i == 0 {
				node = &Node{Type: "Affine", Data: map[string]*hdf5.Value{"weight": mat(rows, cols, w), "bias": vec(bias)}}
			}
			if err := add(c.Name, node); err != nil {
				return nil, err
			}
			src := c.Src.NodeName()
			if sp, ok := c.Src.(*check.Population); ok {
				src = popNodes(sp.Name).rate
			}
			edge(src, c.Name)
			edge(c.Name, popNodes(p.Name).current)
			if c.Plastic {
				md["vlec.conn."+c.Name+".plastic"] = hdf5.NewString("true")
			}
			switch c.Topology {
			case check.Sparse:
				res.Notes = append(res.Notes, fmt.Sprintf("connection %s: sparse (p = %g): exported as a dense matrix whose absent entries are 0", c.Name, c.P))
				md["vlec.conn."+c.Name+".topology"] = hdf5.NewString("sparse")
			case check.OneToOne:
				res.Notes = append(res.Notes, fmt.Sprintf("connection %s: one_to_one: exported as a dense diagonal matrix", c.Name))
				md["vlec.conn."+c.Name+".topology"] = hdf5.NewString("one_to_one")
			}
		}
	}

	// Outputs.
	for _, name := range outputs {
		var p *check.Population
		for _, q := range m.Populations {
			if q.Name == name {
				p = q
			}
		}
		if err := add(popNodes(name).output, &Node{Type: "Output", Data: map[string]*hdf5.Value{"shape": hdf5.NewInt64([]int{1}, []int64{int64(p.Size)})}}); err != nil {
			return nil, err
		}
		edge(popNodes(name).rate, popNodes(name).output)
	}

	for _, t := range m.Teachers {
		res.Notes = append(res.Notes, fmt.Sprintf("teacher %s: dropped (targets drive learning, not the forward network)", t.Name))
	}
	for _, term := range m.Energy {
		if !strings.HasPrefix(strings.TrimSpace(term.Source), "mismatch(") {
			res.Notes = append(res.Notes, fmt.Sprintf("energy term %s: not in the graph (terms beyond the mismatch only nudge the network through its errors while it learns; the graph is the free forward dynamics)", strings.TrimSpace(term.Source)))
		}
	}
	for _, d := range m.Datasets {
		res.Notes = append(res.Notes, fmt.Sprintf("dataset %s: not in the graph (its samples are what the Input nodes receive)", d.Name))
	}

	md["vlec.generator"] = hdf5.NewString(opts.Generator)
	md["vlec.model"] = hdf5.NewString(m.Name)
	md["vlec.time_unit"] = hdf5.NewString("s")
	md["vlec.dt"] = hdf5.NewFloat64(nil, []float64{prog.Dt})
	md["vlec.duration"] = hdf5.NewFloat64(nil, []float64{m.Sim.Duration})
	md["vlec.exact"] = hdf5.NewString(strconv.FormatBool(res.Exact))
	md["vlec.outputs"] = hdf5.NewString(strings.Join(outputs, " "))
	from := opts.From
	if from == "" {
		from = "initial values"
	}
	md["vlec.parameters"] = hdf5.NewString(from)
	md["vlec.equations"] = hdf5.NewString(Equations)
	if len(res.Approximations) > 0 {
		md["vlec.approximations"] = hdf5.NewString(strings.Join(res.Approximations, "\n"))
	}
	if len(res.Notes) > 0 {
		md["vlec.notes"] = hdf5.NewString(strings.Join(res.Notes, "\n"))
	}
	return res, nil
}

// Equations is the "vlec.equations" metadata: what the graph computes.
const Equations = `per population p (LI node p, Scale junctions p_I and p_r, Scale nodes p_ku, p_kI): ` +
	`tau_m du/dt = -u + I (LI: tau = tau_m, r = 1, v_leak = 0); I = sum_c W_c r_src + b (Affine/Linear nodes into p_I; the bias on the first); ` +
	`r = phi((1-k) u + k I), k = tau_r/tau_m (p_ku = 1-k, p_kI = k into p_r), the prospective rate phi(u + tau_r du/dt) without a derivative; ` +
	`phi is the identity unless vlec.pop.P.phi_export says how it was replaced; errors (e) are 0: the free forward dynamics; time in seconds`

// popNames are the names of a population's nodes.
type popNames struct{ membrane, current, ku, kI, rate, output string }

func popNodes(p string) popNames {
	return popNames{membrane: p, current: p + "_I", ku: p + "_ku", kI: p + "_kI", rate: p + "_r", output: p + "_out"}
}

// activation returns the slope a and offset c of the affine function
// the graph uses for p's phi, and how it was approximated ("" when
// exact).
func activation(p *check.Population, opts Options) (a, c float64, how string, err error) {
	if p.Phi.Body == nil && p.Phi.Name == "linear" {
		return 1, 0, "", nil
	}
	if p.Phi.Body != nil {
		if a, c, ok := affine(p.Phi.Body); ok {
			return a, c, "", nil
		}
	}
	mode := opts.Phi
	if mode == "" {
		mode = PhiError
	}
	switch mode {
	case PhiDrop:
		return 1, 0, "replaced by the identity (--phi=drop)", nil
	case PhiLinearize:
		f, ok := ir.FuncByName(p.Phi.Name)
		if p.Phi.Body != nil || !ok {
			return 0, 0, "", fmt.Errorf("population %s: phi = %s is a user function; --phi=linearize takes the builtins (tanh, sigmoid, softplus, relu, exp); use --phi=drop", p.Name, p.Phi.Name)
		}
		a = deriv(f, opts.At)
		c = f.Eval(opts.At) - a*opts.At
		if math.IsNaN(a) || math.IsInf(a, 0) || math.IsNaN(c) || math.IsInf(c, 0) {
			return 0, 0, "", fmt.Errorf("population %s: the tangent of %s at %g is not finite", p.Name, p.Phi.Name, opts.At)
		}
		return a, c, fmt.Sprintf("replaced by its tangent at %g: %g * x + %g (--phi=linearize --at %g)", opts.At, a, c, opts.At), nil
	}
	return 0, 0, "", fmt.Errorf("population %s: phi = %s has no NIR node (NIR has no tanh, sigmoid, softplus, relu or exp); pass --phi=linearize [--at X] to replace it by its tangent at X, or --phi=drop to replace it by the identity", p.Name, p.Phi.Name)
}

func inputFromData(m *check.Model, name string) bool {
	for _, ci := range m.Inputs {
		if ci.Name == name {
			return ci.Data != nil
		}
	}
	return false
}

// deriv is the derivative of a builtin activation at x.
func deriv(f ir.Func, x float64) float64 {
	switch f {
	case ir.Linear:
		return 1
	case ir.Softplus:
		return ir.Sigmoid.Eval(x)
	case ir.Relu:
		if x > 0 {
			return 1
		}
		return 0
	case ir.Exp:
		return math.Exp(x)
	}
	return f.EvalDeriv(x) // tanh, sigmoid
}

// inputSources returns each input's stimulus as source text, for the
// metadata (so vlec import can give the imported model the same
// inputs), and the declarations of the model file that the stimuli of
// the inputs in include use (consts and functions, with those they use
// in turn, in source order) as source text; inputs it cannot recover
// are missing.
func inputSources(m *check.Model, include map[string]bool) (stimuli map[string]string, decls string) {
	out := map[string]string{}
	if m.File == "" {
		return out, ""
	}
	f, _, err := parser.ParseFile(m.File)
	if err != nil {
		return out, ""
	}
	need := map[lang.Decl]bool{}
	defs := map[string]lang.Decl{}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *lang.ConstDecl:
			defs[d.Name.Name] = d
		case *lang.FuncDecl:
			defs[d.Name.Name] = d
		}
	}
	// uses adds to need the file's declarations n refers to, and theirs.
	var uses func(n lang.Node, need map[lang.Decl]bool)
	uses = func(n lang.Node, need map[lang.Decl]bool) {
		lang.Inspect(n, func(x lang.Node) bool {
			if id, ok := x.(*lang.Ident); ok {
				if d := defs[id.Name]; d != nil && !need[d] {
					need[d] = true
					uses(d, need)
				}
			}
			return true
		})
	}
	for _, d := range f.Decls {
		in, ok := d.(*lang.InputDecl)
		if !ok {
			continue
		}
		for _, ci := range m.Inputs {
			if ci.Name == in.Name.Name && ci.Data == nil && ci.File != "" {
				out[ci.Name] = "file(" + strconv.Quote(ci.File) + ")"
			}
		}
		if _, done := out[in.Name.Name]; done || inputFromData(m, in.Name.Name) {
			continue
		}
		text := string(format.File(&lang.File{Decls: []lang.Decl{in}}))
		if _, rhs, ok := strings.Cut(text, "] = "); ok {
			out[in.Name.Name] = strings.TrimSpace(rhs)
		}
		if include[in.Name.Name] {
			uses(in.Value, need)
		}
	}
	var used []lang.Decl
	for _, d := range f.Decls {
		if need[d] {
			used = append(used, d)
		}
	}
	if len(used) == 0 {
		return out, ""
	}
	return out, strings.TrimSpace(string(format.File(&lang.File{Decls: used})))
}
