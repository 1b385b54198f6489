package nir

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/internal/hdf5"
)

// Builders of foreign graphs, as another tool would write them.
func vec(v ...float64) *hdf5.Value { return hdf5.NewFloat64([]int{len(v)}, v) }

func mat(rows int, v ...float64) *hdf5.Value {
	return hdf5.NewFloat64([]int{rows, len(v) / rows}, v)
}

func shape(n int) *hdf5.Value { return hdf5.NewInt64([]int{1}, []int64{int64(n)}) }

func node(typ string, kv ...any) *Node {
	n := &Node{Type: typ, Data: map[string]*hdf5.Value{}}
	for i := 0; i < len(kv); i += 2 {
		n.Data[kv[i].(string)] = kv[i+1].(*hdf5.Value)
	}
	return n
}

func edges(s string) []Edge {
	var out []Edge
	for _, e := range strings.Fields(s) {
		a, b, _ := strings.Cut(e, "->")
		out = append(out, Edge{a, b})
	}
	return out
}

// foreignGraphs are graphs in the patterns of other tools: LI nodes whose
// membrane is the output, with r and v_leak, chains of Scale and Linear
// nodes, an input straight into a population, a recurrent weight, and a
// CubaLI node.
var foreignGraphs = map[string]*Graph{
	"chain": {
		Nodes: map[string]*Node{
			"x":   node("Input", "shape", shape(2)),
			"z":   node("Input", "shape", shape(1)),
			"fc1": node("Affine", "weight", mat(3, 0.5, -1, 2, 0.3, -0.7, 1.1), "bias", vec(0.1, 0, -0.2)),
			"h":   node("LI", "tau", vec(0.02, 0.03, 0.04), "r", vec(1, 2, 0.5), "v_leak", vec(0, 0.1, -0.2)),
			"s":   node("Scale", "scale", vec(2, -1, 0.5)),
			"fc2": node("Linear", "weight", mat(1, 0.8, 0.6, -1.2)),
			"rec": node("Linear", "weight", mat(1, -0.5)),
			"y":   node("LI", "tau", vec(0.05), "r", vec(1), "v_leak", vec(0)),
			"out": node("Output", "shape", shape(1)),
			"hid": node("Output", "shape", shape(3)),
		},
		Edges: edges("x->fc1 fc1->h h->s s->fc2 fc2->y z->y y->rec rec->y y->out h->hid"),
	},
	"cuba": {
		Nodes: map[string]*Node{
			"x":   node("Input", "shape", shape(2)),
			"a":   node("Linear", "weight", mat(2, 1, 0.5, -0.5, 2)),
			"c":   node("CubaLI", "tau_mem", vec(0.03, 0.04), "tau_syn", vec(0.01, 0.02), "r", vec(1, 2), "v_leak", vec(0, 0.1), "w_in", vec(1, 0.5)),
			"out": node("Output", "shape", shape(2)),
		},
		Edges: edges("x->a a->c c->out"),
	},
}

// eulerNIR steps a graph of Input, LI, CubaLI, Affine, Linear and Scale
// nodes by forward Euler with step dt, from NIR's definitions of the
// nodes, independently of vlec: at step k the static nodes take the
// inputs of step k and the states of step k-1, then every state moves
// (LI: tau dv/dt = v_leak - v + r I; CubaLI: tau_syn dI/dt = -I + w_in x,
// tau_mem dv/dt = v_leak - v + r I). It returns each output's value after
// each step, steps x size.
func eulerNIR(t *testing.T, g *Graph, dt float64, inputs map[string][]float64, steps int) map[string][]float64 {
	t.Helper()
	f := func(node, ds string) []float64 {
		v, err := g.Nodes[node].Data[ds].Float64s()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	preds := map[string][]string{}
	for _, e := range g.Edges {
		preds[e.To] = append(preds[e.To], e.From)
	}
	state, syn := map[string][]float64{}, map[string][]float64{}
	for name, n := range g.Nodes {
		switch n.Type {
		case "LI":
			state[name] = make([]float64, len(f(name, "tau")))
		case "CubaLI":
			state[name] = make([]float64, len(f(name, "tau_mem")))
			syn[name] = make([]float64, len(f(name, "tau_mem")))
		}
	}
	out := map[string][]float64{}
	for k := range steps {
		val := map[string][]float64{}
		var eval func(string) []float64
		sum := func(name string) []float64 {
			var s []float64
			for _, p := range preds[name] {
				v := eval(p)
				if s == nil {
					s = make([]float64, len(v))
				}
				for i := range v {
					s[i] += v[i]
				}
			}
			return s
		}
		eval = func(name string) []float64 {
			if v, ok := val[name]; ok {
				return v
			}
			n := g.Nodes[name]
			var v []float64
			switch n.Type {
			case "Input":
				size := len(inputs[name]) / steps
				v = inputs[name][k*size : (k+1)*size]
			case "LI", "CubaLI":
				v = state[name]
			case "Affine", "Linear":
				w, x := f(name, "weight"), sum(name)
				v = mulVec(w, len(w)/len(x), x)
				if n.Type == "Affine" {
					for i, b := range f(name, "bias") {
						v[i] += b
					}
				}
			case "Scale":
				s, x := f(name, "scale"), sum(name)
				v = make([]float64, len(s))
				for i := range s {
					v[i] = s[i] * x[i]
				}
			}
			val[name] = v
			return v
		}
		next := map[string][]float64{}
		for name, n := range g.Nodes {
			switch n.Type {
			case "LI":
				u, I := state[name], sum(name)
				tau, r, vl := f(name, "tau"), f(name, "r"), f(name, "v_leak")
				next[name] = make([]float64, len(u))
				for i := range u {
					next[name][i] = u[i] + dt/tau[i]*(vl[i]-u[i]+r[i]*I[i])
				}
			case "CubaLI":
				u, s, I := state[name], syn[name], sum(name)
				tm, ts, r, vl, w := f(name, "tau_mem"), f(name, "tau_syn"), f(name, "r"), f(name, "v_leak"), f(name, "w_in")
				next[name] = make([]float64, len(u))
				ns := make([]float64, len(u))
				for i := range u {
					next[name][i] = u[i] + dt/tm[i]*(vl[i]-u[i]+r[i]*s[i])
					ns[i] = s[i] + dt/ts[i]*(w[i]*I[i]-s[i])
				}
				syn[name] = ns
			}
		}
		for name, v := range next {
			state[name] = v
		}
		for name, n := range g.Nodes {
			if n.Type == "Output" {
				out[name] = append(out[name], state[preds[name][0]]...)
			}
		}
	}
	return out
}

// withStimuli gives every input of an imported model a stimulus: sines
// of different frequencies per neuron.
func withStimuli(src []byte) []byte {
	return regexp.MustCompile(`(?m)= 0 // the stimulus: replace$`).ReplaceAll(src, []byte("= sine(freq = 3 + 2 * i) + 0.5"))
}

// A graph made elsewhere imports, and vlec's simulation of the model is
// forward Euler of NIR's definitions of the nodes at the model's dt, to
// rounding: an LI read as its rate gets tau_r = dt (vlec's rate is then
// the membrane of the same step), r and v_leak fold into the weights and
// the bias, chains of linear nodes compose, a CubaLI node becomes two
// populations.
func TestImportForeignGraph(t *testing.T) {
	for name, g := range foreignGraphs {
		t.Run(name, func(t *testing.T) {
			imp, err := Import(g, name, ImportOptions{Dt: 1e-3})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s\nnotes:\n  %s", imp.Source, strings.Join(imp.Notes, "\n  "))
			dir := t.TempDir()
			path := filepath.Join(dir, name+".vle")
			if err := os.WriteFile(path, withStimuli(imp.Source), 0o644); err != nil {
				t.Fatal(err)
			}
			prog, inputs, rates := trajectory(t, path)
			want := eulerNIR(t, g, prog.Dt, inputs, prog.Steps)
			outs := outputsOf(g)
			for _, o := range outs {
				pop := identifier(edgesInto(g, o)[0])
				got, w := rates[pop], want[o]
				if len(got) != len(w) {
					t.Fatalf("output %s: %d values, want %d", o, len(got), len(w))
				}
				worst, scale := 0.0, 0.0
				for i := range w {
					worst = max(worst, math.Abs(got[i]-w[i]))
					scale = max(scale, math.Abs(w[i]))
				}
				t.Logf("output %s (population %s): max difference %g of %g over %d steps", o, pop, worst, scale, prog.Steps)
				if worst > 1e-12*scale || scale == 0 {
					t.Errorf("output %s: vlec and forward Euler of the graph differ by %g (scale %g)", o, worst, scale)
				}
			}
		})
	}
}

func outputsOf(g *Graph) []string {
	var out []string
	for _, n := range g.NodeNames() {
		if g.Nodes[n].Type == "Output" {
			out = append(out, n)
		}
	}
	return out
}

func edgesInto(g *Graph, node string) []string {
	var in []string
	for _, e := range g.Edges {
		if e.To == node {
			in = append(in, e.From)
		}
	}
	return in
}

// The numpy integrator, stepping the foreign graphs in continuous time
// (10 substeps per step) from the file alone, follows vlec's simulation
// of their import within O(dt/tau): at dt = 1 ms against time constants
// of 10 to 50 ms they differ by 1.4% (chain) of the outputs' magnitude;
// the test runs at dt = 0.1 ms, where they differ by 0.14%, with a
// tolerance of 0.5%.
func TestIntegratorAgreesForeign(t *testing.T) {
	if testing.Short() {
		t.Skip("runs python")
	}
	py := pythonTool(t)
	for name, g := range foreignGraphs {
		imp, err := Import(g, name, ImportOptions{Dt: 1e-4})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		path := filepath.Join(dir, name+".vle")
		src := bytes.Replace(withStimuli(imp.Source), []byte("duration = 1.0"), []byte("duration = 0.3"), 1)
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		prog, inputs, rates := trajectory(t, path)
		net := filepath.Join(dir, "net.nir")
		if err := g.WriteFile(net); err != nil {
			t.Fatal(err)
		}
		outputs := map[string][]float64{}
		for _, o := range outputsOf(g) {
			outputs[o] = rates[identifier(edgesInto(g, o)[0])]
		}
		maxerr, scale := nirsim(t, py, net, prog, inputs, outputs)
		t.Logf("%s: integrator vs vlec: max abs error %g, output scale %g", name, maxerr, scale)
		if maxerr > 0.005*scale || scale == 0 {
			t.Errorf("%s: integrator and vlec differ by %g (scale %g)", name, maxerr, scale)
		}
	}
}

// Graphs vlec cannot express are refused, naming the node and why.
func TestImportRefuses(t *testing.T) {
	li := func() *Node { return node("LI", "tau", vec(0.02), "r", vec(1), "v_leak", vec(0)) }
	cases := []struct {
		name string
		g    *Graph
		want []string
	}{
		{"output of an affine", &Graph{Nodes: map[string]*Node{
			"x": node("Input", "shape", shape(1)), "h": li(), "fc": node("Affine", "weight", mat(1, 2), "bias", vec(0)),
			"out": node("Output", "shape", shape(1)),
		}, Edges: edges("x->h h->fc fc->out")}, []string{"node out", "reads fc", "put an LI node before the Output"}},
		{"algebraic loop", &Graph{Nodes: map[string]*Node{
			"x": node("Input", "shape", shape(1)), "h": li(), "a": node("Linear", "weight", mat(1, 2)), "b": node("Scale", "scale", vec(0.5)),
		}, Edges: edges("x->a a->b b->a a->h")}, []string{"algebraic loop"}},
		{"spiking", &Graph{Nodes: map[string]*Node{
			"x": node("Input", "shape", shape(1)), "l": node("LIF", "tau", vec(0.02), "r", vec(1), "v_leak", vec(0), "v_threshold", vec(1)),
		}, Edges: edges("x->l")}, []string{"node l", "LIF", "spiking"}},
		{"sizes", &Graph{Nodes: map[string]*Node{
			"x": node("Input", "shape", shape(2)), "h": li(), "a": node("Linear", "weight", mat(1, 1, 2, 3)),
		}, Edges: edges("x->a a->h")}, []string{"edge x -> a", "gives 2 values", "takes 3"}},
		{"no state", &Graph{Nodes: map[string]*Node{
			"x": node("Input", "shape", shape(1)), "a": node("Linear", "weight", mat(1, 2)), "out": node("Output", "shape", shape(1)),
		}, Edges: edges("x->a a->out")}, []string{"no LI or CubaLI node"}},
		{"composed too large", &Graph{Nodes: map[string]*Node{
			"x": node("Input", "shape", shape(6000)), "h": node("LI", "tau", vec(slices.Repeat([]float64{0.02}, 6000)...), "r", vec(slices.Repeat([]float64{1}, 6000)...), "v_leak", vec(make([]float64, 6000)...)),
			"a": node("Linear", "weight", hdf5.NewFloat64([]int{1, 6000}, make([]float64, 6000))),
			"b": node("Linear", "weight", hdf5.NewFloat64([]int{6000, 1}, make([]float64, 6000))),
		}, Edges: edges("x->a a->b b->h")}, []string{"node b", "6000 x 6000"}},
	}
	for _, c := range cases {
		_, err := Import(c.g, "m", ImportOptions{})
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want %q", c.name, err, w)
			}
		}
	}
	// A dt longer than a time constant given explicitly is an error.
	if _, err := Import(foreignGraphs["cuba"], "m", ImportOptions{Dt: 0.02}); err == nil || !strings.Contains(err.Error(), "node c") {
		t.Errorf("dt 20ms: %v", err)
	}
}

func TestIdentifier(t *testing.T) {
	for _, c := range []struct{ node, want string }{
		{"fc1", "fc1"},
		{"0", "n0"},
		{"layer.0.weight", "layer_0_weight"},
		{"", "n"},
		{"input", "input_"},       // a keyword
		{"output", "output"},      // not one
		{"tanh", "tanh_"},         // a builtin
		{"mismatch", "mismatch_"}, // a function of std/gle
		{"gle", "gle_"},           // its neuron kind
		{"σ", "_"},
	} {
		if got := identifier(c.node); got != c.want {
			t.Errorf("identifier(%q) = %q, want %q", c.node, got, c.want)
		}
	}
}

// An Input node without edges (an input of the original model that only
// its energy read) is left out with a note; another node without edges
// is an error.
func TestImportIsolatedNodes(t *testing.T) {
	li := node("LI", "tau", vec(0.02), "r", vec(1), "v_leak", vec(0))
	g := &Graph{Nodes: map[string]*Node{
		"x": node("Input", "shape", shape(1)), "t": node("Input", "shape", shape(1)), "h": li,
	}, Edges: edges("x->h")}
	imp, err := Import(g, "m", ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(imp.Notes, "\n"), "node t (Input) has no edge: left out") || bytes.Contains(imp.Source, []byte("input t[")) {
		t.Errorf("notes %q\n%s", imp.Notes, imp.Source)
	}
	g.Nodes["z"] = node("Scale", "scale", vec(1))
	if _, err := Import(g, "m", ImportOptions{}); err == nil || !strings.Contains(err.Error(), "node z (Scale) has no edge") {
		t.Errorf("isolated Scale: %v", err)
	}
}
