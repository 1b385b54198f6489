package nir

import (
	"fmt"
	"math"
	"slices"
)

// importable are the node types Import reads.
var importable = []string{"Input", "Output", "LI", "CubaLI", "Affine", "Linear", "Scale"}

// maxImportSize bounds a population's or an input's size in an imported
// graph (vlec's own limit, lang/SPEC.md "population").
const maxImportSize = 1 << 20

// MaxLiteral is the most weights Import writes as a literal in the
// model; a larger matrix goes to a .npy file beside it.
const MaxLiteral = 10000

// ImportOptions are the choices of an import.
type ImportOptions struct {
	// Dt is the step of the model, in seconds. 0 takes the graph's
	// vlec.dt, else 1 ms, shortened to the shortest time constant; a Dt
	// longer than a time constant of the graph is an error.
	Dt float64
}

// An Imported model: its source, the weight files it reads (by file
// name, to be written beside the model), and notes about what the import
// assumed (dt, stimuli, activations, rates read from membranes).
type Imported struct {
	Source []byte
	Files  map[string][]byte
	Notes  []string
}

// Import turns a NIR graph of Input, Output, LI, CubaLI, Affine, Linear
// and Scale nodes into a .vle model called model (codegen/nir/doc.go,
// "Import"), refusing, with the node's name, graphs it cannot express.
func Import(g *Graph, model string, opts ImportOptions) (imp *Imported, err error) {
	defer func() {
		if r := recover(); r != nil {
			imp, err = nil, fmt.Errorf("malformed graph: %v", r)
		}
	}()
	if opts.Dt < 0 || math.IsNaN(opts.Dt) || math.IsInf(opts.Dt, 0) {
		return nil, fmt.Errorf("dt = %g s: give a positive step", opts.Dt)
	}
	imp = &Imported{Files: map[string][]byte{}}
	im, err := analyse(g, opts)
	if err != nil {
		return nil, err
	}
	imp.Source = im.source(model, imp.Files)
	imp.Notes = im.notes
	return imp, nil
}

// importGraph is Import without its recover (for the fuzz tests).
func importGraph(g *Graph, model string, files map[string][]byte) ([]byte, []string, error) {
	im, err := analyse(g, ImportOptions{})
	if err != nil {
		return nil, nil, err
	}
	src := im.source(model, files)
	return src, im.notes, nil
}

// vectorOf reads a node's dataset as n finite numbers (a scalar is
// repeated n times; n < 0 takes the dataset's length).
func (im *importer) vector(node, ds string, n int) ([]float64, error) {
	f, sh, err := im.floats(node, ds)
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

// floats reads a node's dataset as finite numbers, with its shape.
func (im *importer) floats(node, ds string) ([]float64, []int, error) {
	v := im.g.Nodes[node].Data[ds]
	if v == nil {
		return nil, nil, fmt.Errorf("node %s: no dataset %s", node, ds)
	}
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

// matrix reads a node's weight, rows x cols.
func (im *importer) matrix(node string) ([]float64, int, int, error) {
	w, sh, err := im.floats(node, "weight")
	if err != nil {
		return nil, 0, 0, err
	}
	if len(sh) != 2 || sh[0] < 1 || sh[1] < 1 {
		return nil, 0, 0, fmt.Errorf("node %s: weight of shape %v, want a matrix (out, in)", node, sh)
	}
	return w, sh[0], sh[1], nil
}

func all(v []float64, x float64) bool {
	for _, y := range v {
		if y != x {
			return false
		}
	}
	return true
}

// describe names a node with its type, for errors.
func (im *importer) describe(node string) string {
	return fmt.Sprintf("%s (%s)", node, im.g.Nodes[node].Type)
}

// one returns the only neighbour of node in m, or "".
func one(m map[string][]string, node string) string {
	if len(m[node]) != 1 {
		return ""
	}
	return m[node][0]
}

// matchPattern recognises the population of vlec's export pattern
// around the LI node name (codegen/nir/doc.go): a Scale(1) junction into
// it, the rate (1-k) u + k I through two Scale nodes summed by a Scale(1)
// or an identity Affine. It returns nil when the nodes around name are
// not in that pattern (the LI is then imported as a membrane read as its
// rate).
func (im *importer) matchPattern(name string, tau []float64) (*impPop, error) {
	n := len(tau)
	p := &impPop{node: name, n: n, tau: tau}
	typ := func(node string) string { return im.g.Nodes[node].Type }
	r, err := im.vector(name, "r", n)
	if err != nil {
		return nil, err
	}
	vl, err := im.vector(name, "v_leak", n)
	if err != nil {
		return nil, err
	}
	if !all(r, 1) || !all(vl, 0) {
		return nil, nil
	}
	p.junction, p.ku = one(im.in, name), one(im.out, name)
	if p.junction == "" || p.ku == "" || typ(p.junction) != "Scale" || typ(p.ku) != "Scale" || len(im.out[p.junction]) != 2 || len(im.in[p.ku]) != 1 {
		return nil, nil
	}
	p.source = one(im.out, p.ku)
	if p.source == "" {
		return nil, nil
	}
	rin := im.in[p.source]
	if len(rin) != 2 || !slices.Contains(rin, p.ku) {
		return nil, nil
	}
	p.kI = rin[0]
	if p.kI == p.ku {
		p.kI = rin[1]
	}
	if typ(p.kI) != "Scale" || one(im.in, p.kI) != p.junction || one(im.out, p.kI) != p.source || !slices.Contains(im.out[p.junction], p.kI) || !slices.Contains(im.out[p.junction], name) {
		return nil, nil
	}
	js, err := im.vector(p.junction, "scale", n)
	if err != nil || !all(js, 1) {
		return nil, err
	}
	ku, err := im.vector(p.ku, "scale", n)
	if err != nil {
		return nil, err
	}
	kI, err := im.vector(p.kI, "scale", n)
	if err != nil {
		return nil, err
	}
	var cs []float64
	switch typ(p.source) {
	case "Scale":
		s, err := im.vector(p.source, "scale", n)
		if err != nil || !all(s, 1) {
			return nil, err
		}
		cs = make([]float64, n)
	case "Affine":
		w, rows, cols, err := im.matrix(p.source)
		if err != nil || rows != n || cols != n {
			return nil, err
		}
		for i := range n {
			for j := range n {
				if want := float64(b2i(i == j)); w[i*n+j] != want {
					return nil, nil
				}
			}
		}
		if cs, err = im.vector(p.source, "bias", n); err != nil {
			return nil, err
		}
	default:
		return nil, nil
	}
	ks := make([]float64, n)
	as := make([]float64, n)
	for i := range n {
		as[i] = ku[i] + kI[i]
		if as[i] == 0 {
			return nil, nil
		}
		ks[i] = kI[i] / as[i]
		if ks[i] <= 0 {
			return nil, nil
		}
	}
	if !all(as, as[0]) || !all(cs, cs[0]) {
		return nil, nil
	}
	p.a, p.c = as[0], cs[0]
	// The exporter's own slope and offset, when they are what the scales
	// say (their sum may be off by an ulp): the model's exact values.
	if ac := im.g.MetaFloats("vlec.pop." + name + ".phi_affine"); len(ac) == 2 && ac[1] == p.c {
		near := true
		for i := range n {
			near = near && math.Abs(as[i]-ac[0]) <= 1e-12*math.Abs(ac[0])
		}
		if near {
			p.a = ac[0]
			for i := range n {
				ks[i] = kI[i] / p.a
			}
		}
	}
	p.taur = make([]float64, n)
	meta := im.g.MetaFloats("vlec.pop." + name + ".tau_r")
	for i := range n {
		p.taur[i] = ks[i] * tau[i]
		if len(meta) == n && math.Abs(meta[i]/tau[i]-ks[i]) <= 1e-12*math.Abs(ks[i]) {
			p.taur[i] = meta[i]
		}
	}
	p.dest = p.junction
	p.internal = []string{p.junction, p.ku, p.kI}
	return p, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
