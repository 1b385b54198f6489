package nir

import (
	"fmt"
	"slices"
	"sort"

	"github.com/vlec-dev/vlec/internal/atomicfile"
	"github.com/vlec-dev/vlec/internal/hdf5"
)

// Version is the NIR version written to the files' "version" dataset:
// the release of NIR (github.com/neuromorphs/NIR) whose node definitions
// and serialisation this package follows.
const Version = "1.0.7"

// A Node is one NIR node: its type ("LI", "Affine", ...) and its
// parameters, by the dataset names NIR gives them.
type Node struct {
	Type string
	Data map[string]*hdf5.Value
}

// An Edge connects the output of node From to the input of node To; NIR
// sums the edges arriving at a node.
type Edge struct{ From, To string }

// A Graph is a NIR graph (a NIRGraph node at the top of the file).
type Graph struct {
	Nodes map[string]*Node
	Edges []Edge
	// Metadata is the graph's "metadata" group: named values, flat.
	Metadata map[string]*hdf5.Value
}

// spec lists the datasets of a node type: those it must have and those
// it may have (besides "type" and the group "metadata").
type spec struct{ required, optional []string }

// NodeTypes are the node types of NIR's serialisation (nir/serialization.py,
// read_node) with their datasets. Export writes Input, Output, LI, Affine,
// Linear and Scale; Import reads those and refuses the others by name.
var NodeTypes = map[string]spec{
	"Input":     {required: []string{"shape"}},
	"Output":    {required: []string{"shape"}},
	"Affine":    {required: []string{"weight", "bias"}},
	"Linear":    {required: []string{"weight"}},
	"Scale":     {required: []string{"scale"}},
	"LI":        {required: []string{"tau", "r", "v_leak"}},
	"LIF":       {required: []string{"tau", "r", "v_leak", "v_threshold"}, optional: []string{"v_reset"}},
	"CubaLI":    {required: []string{"tau_mem", "tau_syn", "r", "v_leak", "w_in"}},
	"CubaLIF":   {required: []string{"tau_mem", "tau_syn", "r", "v_leak", "v_threshold", "w_in"}, optional: []string{"v_reset"}},
	"I":         {required: []string{"r"}},
	"IF":        {required: []string{"r", "v_threshold"}, optional: []string{"v_reset"}},
	"Threshold": {required: []string{"threshold"}},
	"Delay":     {required: []string{"delay"}},
	"Flatten":   {required: []string{"start_dim", "end_dim"}, optional: []string{"input_type"}},
	"Conv1d":    {required: []string{"weight", "stride", "padding", "dilation", "groups", "bias"}, optional: []string{"input_shape"}},
	"Conv2d":    {required: []string{"weight", "stride", "padding", "dilation", "groups", "bias"}, optional: []string{"input_shape"}},
	"SumPool2d": {required: []string{"kernel_size", "stride", "padding"}},
	"AvgPool2d": {required: []string{"kernel_size", "stride", "padding"}},
	"NIRGraph":  {},
}

// File lays the graph out as NIR's nir.write does: "version", and the
// group "node" with "type" = "NIRGraph", "edges" (N x 2 strings), "nodes"
// and, when not empty, "metadata".
func (g *Graph) File() *hdf5.File {
	f := hdf5.NewFile()
	f.Root.SetString("version", Version)
	top := f.Root.Group("node")
	top.SetString("type", "NIRGraph")
	edges := make([]string, 0, 2*len(g.Edges))
	for _, e := range g.Edges {
		edges = append(edges, e.From, e.To)
	}
	top.SetStrings("edges", []int{len(g.Edges), 2}, edges)
	nodes := top.Group("nodes")
	for name, n := range g.Nodes {
		ng := nodes.Group(name)
		ng.SetString("type", n.Type)
		for k, v := range n.Data {
			ng.Set(k, v)
		}
	}
	if len(g.Metadata) > 0 {
		md := top.Group("metadata")
		for k, v := range g.Metadata {
			md.Set(k, v)
		}
	}
	return f
}

// WriteFile writes the graph to path, through a temporary file in the
// same directory renamed into place: an error leaves nothing half
// written.
func (g *Graph) WriteFile(path string) error {
	return atomicfile.WriteTo(path, g.File())
}

// ReadFile reads a NIR file written by nir.write or by WriteFile.
func ReadFile(path string) (*Graph, error) {
	f, err := hdf5.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable HDF5 file: %v", path, err)
	}
	g, err := FromFile(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return g, nil
}

// FromFile reads a graph from an HDF5 file in NIR's layout, checking
// NIR's rules: a "version", a top NIRGraph, known node types with exactly
// their datasets, and edges naming existing nodes.
func FromFile(f *hdf5.File) (*Graph, error) {
	if _, err := scalarString(f.Root, "version"); err != nil {
		return nil, fmt.Errorf("not a NIR file: %v", err)
	}
	top, err := f.Root.OpenGroup("node")
	if err != nil {
		return nil, fmt.Errorf("not a NIR file: no group /node")
	}
	return readGraph(top, "/node", 0)
}

func readGraph(top *hdf5.Group, path string, depth int) (*Graph, error) {
	typ, err := scalarString(top, "type")
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if typ != "NIRGraph" {
		return nil, fmt.Errorf("%s: type %q, want NIRGraph", path, typ)
	}
	g := &Graph{Nodes: map[string]*Node{}, Metadata: map[string]*hdf5.Value{}}
	nodes, err := top.OpenGroup("nodes")
	if err != nil {
		return nil, fmt.Errorf("%s: no group nodes", path)
	}
	for _, name := range nodes.Datasets() {
		return nil, fmt.Errorf("%s/nodes/%s: a dataset, not a node group", path, name)
	}
	for _, name := range nodes.Groups() {
		ng, _ := nodes.OpenGroup(name)
		np := path + "/nodes/" + name
		nt, err := scalarString(ng, "type")
		if err != nil {
			return nil, fmt.Errorf("%s: %v", np, err)
		}
		sp, ok := NodeTypes[nt]
		if !ok {
			return nil, fmt.Errorf("%s: unknown NIR node type %q", np, nt)
		}
		if nt == "NIRGraph" {
			if depth > 8 {
				return nil, fmt.Errorf("%s: subgraphs nested too deeply", np)
			}
			if _, err := readGraph(ng, np, depth+1); err != nil {
				return nil, err
			}
			g.Nodes[name] = &Node{Type: nt, Data: map[string]*hdf5.Value{}}
			continue
		}
		n := &Node{Type: nt, Data: map[string]*hdf5.Value{}}
		for _, sub := range ng.Groups() {
			if sub != "metadata" {
				return nil, fmt.Errorf("%s: unexpected group %q in a %s node", np, sub, nt)
			}
		}
		for _, ds := range ng.Datasets() {
			if ds == "type" {
				continue
			}
			if !slices.Contains(sp.required, ds) && !slices.Contains(sp.optional, ds) {
				return nil, fmt.Errorf("%s: dataset %q is not a parameter of %s (it has %v)", np, ds, nt, append(slices.Clone(sp.required), sp.optional...))
			}
			d, _ := ng.Dataset(ds)
			n.Data[ds] = d.Value
		}
		for _, req := range sp.required {
			if n.Data[req] == nil {
				return nil, fmt.Errorf("%s: the %s node has no dataset %q", np, nt, req)
			}
		}
		g.Nodes[name] = n
	}
	ed, err := top.Dataset("edges")
	if err != nil {
		return nil, fmt.Errorf("%s: no dataset edges", path)
	}
	sh := ed.Shape()
	if !ed.Type().IsString() || !(len(sh) == 2 && sh[1] == 2 || len(sh) == 1 && sh[0] == 0) {
		return nil, fmt.Errorf("%s/edges: %s of shape %v, want strings of shape (N, 2)", path, ed.Type(), sh)
	}
	strs, err := ed.Strings()
	if err != nil {
		return nil, fmt.Errorf("%s/edges: %v", path, err)
	}
	for i := 0; i+1 < len(strs); i += 2 {
		e := Edge{strs[i], strs[i+1]}
		for _, end := range []string{e.From, e.To} {
			if g.Nodes[end] == nil {
				return nil, fmt.Errorf("%s/edges[%d]: %s -> %s names no node %q", path, i/2, e.From, e.To, end)
			}
		}
		g.Edges = append(g.Edges, e)
	}
	if md, err := top.OpenGroup("metadata"); err == nil {
		for _, k := range md.Datasets() {
			d, _ := md.Dataset(k)
			g.Metadata[k] = d.Value
		}
	}
	return g, nil
}

func scalarString(g *hdf5.Group, name string) (string, error) {
	d, err := g.Dataset(name)
	if err != nil {
		return "", fmt.Errorf("no dataset %q", name)
	}
	if !d.Type().IsString() || d.Len() != 1 {
		return "", fmt.Errorf("%q is %s of shape %v, not a string", name, d.Type(), d.Shape())
	}
	s, err := d.Strings()
	if err != nil {
		return "", fmt.Errorf("%q: %v", name, err)
	}
	return s[0], nil
}

// MetaString returns the metadata string called key, or "".
func (g *Graph) MetaString(key string) string {
	v := g.Metadata[key]
	if v == nil || !v.Type().IsString() || v.Len() != 1 {
		return ""
	}
	s, _ := v.Strings()
	return s[0]
}

// MetaFloats returns the metadata numbers called key, or nil.
func (g *Graph) MetaFloats(key string) []float64 {
	v := g.Metadata[key]
	if v == nil {
		return nil
	}
	f, err := v.Float64s()
	if err != nil {
		return nil
	}
	return f
}

// NodeNames returns the node names, sorted.
func (g *Graph) NodeNames() []string {
	names := make([]string, 0, len(g.Nodes))
	for n := range g.Nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
