package nir

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/internal/hdf5"
	"github.com/vlec-dev/vlec/internal/npytest"
	"github.com/vlec-dev/vlec/internal/testtool"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/runtime"
)

// tool finds a command the tests run (h5dump, /usr/bin/python3 with h5py
// and numpy; see testtool.Need): CI sets VLEC_H5DUMP=1 after installing
// hdf5-tools, python3-h5py and python3-numpy.
func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	return testtool.Need(t, "VLEC_H5DUMP", "install the Debian packages hdf5-tools, python3-h5py and python3-numpy", name, args...)
}

const python = "/usr/bin/python3"

func pythonTool(t *testing.T) string {
	return tool(t, python, "-c", "import h5py, numpy")
}

func runCmd(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(name), strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	return stdout.String()
}

// compile compiles a model and makes its simulator.
func compile(t *testing.T, path string) (*schedule.Program, *runtime.Sim) {
	t.Helper()
	c, sources, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		t.Fatalf("%s", sources.Format(err))
	}
	sim, err := runtime.New(c.Program, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c.Program, sim
}

func export(t *testing.T, path string, opts Options) *Result {
	t.Helper()
	prog, sim := compile(t, path)
	res, err := Export(prog, sim.Values, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

type example struct {
	path string
	phi  string
}

// id names an example uniquely by its folder and file: examples_chain2,
// lagline_gle.
func (ex example) id() string {
	return filepath.Base(filepath.Dir(ex.path)) + "_" + strings.TrimSuffix(filepath.Base(ex.path), ".vle")
}

// exampleModels are the models exported in the tests: testdata/lin.vle
// and stim.vle,
// every model under examples/ (new ones included as they are added) and
// bench/n1..n3, each with the --phi it needs: "" when its activations are
// affine, else linearize and drop in turn. bench/n4 and n5 (1000-neuron
// layers, 784 inputs) are the same kind of network as n1..n3, too large
// to be worth exporting in every test run (TestImportLargeWeights
// exports n4).
func exampleModels(t *testing.T) []example {
	t.Helper()
	paths := []string{"testdata/lin.vle", "testdata/stim.vle"}
	for _, pattern := range []string{"../../examples/*.vle", "../../examples/*/*.vle"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	var out []example
	alt := 0
	for _, p := range paths {
		if base := filepath.Base(p); strings.Contains(p, "/bench/") && (base == "n4.vle" || base == "n5.vle") {
			continue
		}
		c, sources, err := vlec.Compile(p, vlec.Options{})
		if err != nil {
			t.Fatalf("%s", sources.Format(err))
		}
		ex := example{path: p}
		for _, pop := range c.Program.Model.Populations {
			if _, _, how, err := activation(pop, Options{}); err != nil || how != "" {
				ex.phi = []string{PhiLinearize, PhiDrop}[alt%2]
				alt++
				break
			}
		}
		out = append(out, ex)
	}
	if len(out) < 12 {
		t.Fatalf("found %d example models: %v", len(out), paths)
	}
	return out
}

// Every example exports, h5dump reads the file without an error, and the
// checker script finds NIR's rules kept.
func TestExportExamples(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, ex := range exampleModels(t) {
		res := export(t, ex.path, Options{Phi: ex.phi, At: 0.5})
		name := filepath.Join(dir, ex.id()+".nir")
		if err := res.Graph.WriteFile(name); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
		g, err := ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Nodes) != len(res.Graph.Nodes) || len(g.Edges) != len(res.Graph.Edges) {
			t.Errorf("%s: read %d nodes, %d edges; wrote %d, %d", name, len(g.Nodes), len(g.Edges), len(res.Graph.Nodes), len(res.Graph.Edges))
		}
		if want := ex.phi == ""; res.Exact != want {
			t.Errorf("%s: exact = %v, want %v", ex.path, res.Exact, want)
		}
	}
	if testing.Short() {
		return
	}
	h5dump := tool(t, "h5dump")
	for _, f := range files {
		runCmd(t, h5dump, f)
	}
	out := runCmd(t, pythonTool(t), append([]string{"scripts/nircheck.py"}, files...)...)
	if n := strings.Count(out, "ok "); n != len(files) {
		t.Errorf("nircheck: %d files ok of %d:\n%s", n, len(files), out)
	}
	t.Logf("nircheck:\n%s", out)
}

// The checker script finds broken files broken.
func TestCheckerRejects(t *testing.T) {
	if testing.Short() {
		t.Skip("runs python")
	}
	py := pythonTool(t)
	res := export(t, "testdata/lin.vle", Options{})
	dir := t.TempDir()
	cases := map[string]func(*hdf5.File){
		"extra dataset": func(f *hdf5.File) {
			g, _ := f.Root.OpenGroup("node/nodes/h")
			g.SetFloat64("tau_r", []int{3}, []float64{1, 2, 3})
		},
		"missing dataset": func(f *hdf5.File) {
			g, _ := f.Root.OpenGroup("node/nodes/W0")
			g.Delete("bias")
		},
		"no version": func(f *hdf5.File) { f.Root.Delete("version") },
		"bad edge": func(f *hdf5.File) {
			g, _ := f.Root.OpenGroup("node")
			g.SetStrings("edges", []int{1, 2}, []string{"x", "nowhere"})
		},
		"shape mismatch": func(f *hdf5.File) {
			g, _ := f.Root.OpenGroup("node/nodes/W1")
			g.SetFloat64("weight", []int{2, 2}, []float64{1, 2, 3, 4})
		},
		"unknown type": func(f *hdf5.File) {
			g, _ := f.Root.OpenGroup("node/nodes/h_I")
			g.SetString("type", "Junction")
		},
	}
	for name, breakIt := range cases {
		f := res.Graph.File()
		breakIt(f)
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".nir")
		if err := hdf5.WriteFile(path, f); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "scripts/nircheck.py", path).CombinedOutput()
		if err == nil {
			t.Errorf("%s: nircheck passed:\n%s", name, out)
		}
		if _, err := ReadFile(path); err == nil && name != "shape mismatch" {
			t.Errorf("%s: ReadFile accepted it", name)
		}
	}
}

// trajectory runs the model for its steps and returns each input's and
// each output population's rate per step (steps x size, row-major).
func trajectory(t *testing.T, path string) (prog *schedule.Program, inputs, outputs map[string][]float64) {
	t.Helper()
	prog, sim := compile(t, path)
	inputs, outputs = map[string][]float64{}, map[string][]float64{}
	for k := 0; k < prog.Steps; k++ {
		if err := sim.Step(); err != nil {
			t.Fatal(err)
		}
		for in, b := range prog.Inputs {
			inputs[in.Name] = append(inputs[in.Name], sim.Values(b)[:in.Size]...)
		}
		for _, p := range prog.Model.Populations {
			b := prog.Named[p.Name+".uhat_r"]
			outputs[p.Name] = append(outputs[p.Name], sim.Values(b)[:p.Size]...)
		}
	}
	return prog, inputs, outputs
}

// The numpy integrator, stepping the exported graph from the file alone,
// follows vlec's own simulation of the same model. The graph is the
// continuous-time system; vlec steps it by forward Euler with dt = 1ms
// and reads every connection's input rate from the previous step, so the
// two differ by O(dt) per layer (measured with dt = 1ms: lin 4.7e-4 on
// outputs up to 0.45, chain2 1.7e-4 of 0.12, mlp 2.0e-3 of 1.46, all
// within 0.15%; vlec's step 0, which reads the rates "as left by step
// -1", is not compared): the tolerance is 0.5% of the outputs' largest
// magnitude.
func TestIntegratorAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("runs python")
	}
	py := pythonTool(t)
	// Besides lin.vle, the examples with phi dropped: the model vlec
	// simulates is then their import, whose phi is the identity.
	models := []string{"testdata/lin.vle"}
	// Their dt of 10ms gives differences of 1.6% and 1.9% (O(dt)); they
	// are simulated with dt = 1ms over 5s instead.
	for _, ex := range []string{"../../examples/chain2.vle", "../../examples/mlp.vle"} {
		res := export(t, ex, Options{Phi: PhiDrop})
		imp, err := Import(res.Graph, "imported", ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		src := regexp.MustCompile(`(?s)sim \{.*?\n\}`).ReplaceAll(imp.Source, []byte("sim {\n  dt = 1ms\n  duration = 5s\n}"))
		path := filepath.Join(t.TempDir(), filepath.Base(ex))
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		models = append(models, path)
	}
	for _, model := range models {
		prog, inputs, outputs := trajectory(t, model)
		res := export(t, model, Options{})
		dir := t.TempDir()
		if d := os.Getenv("NIR_KEEP"); d != "" {
			dir = d
		}
		net := filepath.Join(dir, "net.nir")
		if err := res.Graph.WriteFile(net); err != nil {
			t.Fatal(err)
		}
		byNode := map[string][]float64{}
		for _, o := range strings.Fields(res.Graph.MetaString("vlec.outputs")) {
			byNode[popNodes(o).output] = outputs[o]
		}
		maxerr, scale := nirsim(t, py, net, prog, inputs, byNode)
		t.Logf("%s: integrator vs vlec: max abs error %g, output scale %g", model, maxerr, scale)
		if maxerr > 0.005*scale || scale == 0 {
			t.Errorf("%s: integrator and vlec differ by %g (scale %g)", model, maxerr, scale)
		}
	}
}

// nirsim runs scripts/nirsim.py on the graph in the file net against
// vlec's trajectory of prog (its inputs and the outputs by Output node,
// steps x size each) and returns the largest difference of an output
// and the outputs' largest magnitude.
func nirsim(t *testing.T, py, net string, prog *schedule.Program, inputs, outputs map[string][]float64) (maxerr, scale float64) {
	t.Helper()
	ref := hdf5.NewFile()
	ref.Root.SetFloat64("dt", nil, []float64{prog.Dt})
	for _, in := range prog.Model.Inputs {
		if v := inputs[in.Name]; v != nil {
			ref.Root.SetFloat64(in.Name, []int{prog.Steps, in.Size}, v)
		}
	}
	for node, v := range outputs {
		ref.Root.SetFloat64(node, []int{prog.Steps, len(v) / prog.Steps}, v)
	}
	refPath := filepath.Join(filepath.Dir(net), "ref.h5")
	if err := hdf5.WriteFile(refPath, ref); err != nil {
		t.Fatal(err)
	}
	out := runCmd(t, py, "scripts/nirsim.py", net, refPath, "10")
	f := strings.Fields(out)
	if len(f) != 4 {
		t.Fatalf("nirsim: %q", out)
	}
	maxerr, _ = strconv.ParseFloat(f[1], 64)
	scale, _ = strconv.ParseFloat(f[3], 64)
	return maxerr, scale
}

// Export, import, export again gives the same graph; the imported model
// runs the same trajectory as the original (identity phi).
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, ex := range exampleModels(t) {
		if strings.Contains(ex.path, "mnist1d") && testing.Short() {
			continue
		}
		res := export(t, ex.path, Options{Phi: ex.phi})
		imp, err := Import(res.Graph, "imported", ImportOptions{})
		if err != nil {
			t.Fatalf("%s: import: %v", ex.path, err)
		}
		sub := filepath.Join(dir, ex.id())
		path := writeImported(t, sub, imp)
		res2 := export(t, path, Options{})
		a, b := res.Graph, res2.Graph
		if !reflect.DeepEqual(a.Edges, b.Edges) {
			t.Errorf("%s: edges differ after the round trip:\n%v\n%v", ex.path, a.Edges, b.Edges)
		}
		if !reflect.DeepEqual(a.Nodes, b.Nodes) {
			for name, n := range a.Nodes {
				if !reflect.DeepEqual(n, b.Nodes[name]) {
					t.Errorf("%s: node %s differs after the round trip", ex.path, name)
				}
			}
		}
		if ex.phi != "" {
			continue
		}
		_, _, want := trajectory(t, ex.path)
		_, _, got := trajectory(t, path)
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: the imported model's trajectory differs", ex.path)
		}
	}
}

// testdata/lin_nirwrite.nir is what NIR itself (nir.read, then nir.write,
// of NIR 1.0.7's sources) wrote of the export of testdata/lin.vle: its
// datasets gzip-compressed and chunked, its metadata as h5py stores it.
// Importing it and exporting again gives the graph of lin.vle.
func TestImportNIRWritten(t *testing.T) {
	g, err := ReadFile("testdata/lin_nirwrite.nir")
	if err != nil {
		t.Fatal(err)
	}
	imp, err := Import(g, "lin", ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := writeImported(t, t.TempDir(), imp)
	want := export(t, "testdata/lin.vle", Options{}).Graph
	got := export(t, path, Options{}).Graph
	if !reflect.DeepEqual(want.Nodes, got.Nodes) || !reflect.DeepEqual(want.Edges, got.Edges) {
		t.Errorf("the import of NIR's own file exports to another graph")
	}
}

// The parameters of a checkpoint (--from) are the ones exported.
func TestExportFrom(t *testing.T) {
	ckpt := filepath.Join(t.TempDir(), "trained.npz")
	w0 := []float64{1, 2, 3, 4, 5, 6}
	tau := []float64{0.7, 0.8, 0.9}
	if err := os.WriteFile(ckpt, npytest.NPZ(
		npytest.Array{Name: "W0", Descr: "<f8", Shape: []int{3, 2}, Values: w0},
		npytest.Array{Name: "h.tau_m", Descr: "<f8", Shape: []int{3}, Values: tau},
	), 0o644); err != nil {
		t.Fatal(err)
	}
	prog, sim := compile(t, "testdata/lin.vle")
	if _, err := sim.LoadParams(ckpt); err != nil {
		t.Fatal(err)
	}
	res, err := Export(prog, sim.Values, Options{From: ckpt, Float32: true})
	if err != nil {
		t.Fatal(err)
	}
	g := res.Graph
	w, _ := g.Nodes["W0"].Data["weight"].Float64s()
	if g.Nodes["W0"].Data["weight"].Type() != hdf5.Float32 || !reflect.DeepEqual(w, w0) {
		t.Errorf("W0 = %v (%s), want %v as float32", w, g.Nodes["W0"].Data["weight"].Type(), w0)
	}
	got, _ := g.Nodes["h"].Data["tau"].Float64s()
	for i := range tau {
		if float32(got[i]) != float32(tau[i]) {
			t.Errorf("h tau = %v, want %v", got, tau)
		}
	}
	if g.MetaString("vlec.parameters") != ckpt {
		t.Errorf("vlec.parameters = %q", g.MetaString("vlec.parameters"))
	}
}

// What the graph cannot express is refused, naming the construct.
func TestExportRefuses(t *testing.T) {
	dir := t.TempDir()
	model := func(body string) string {
		path := filepath.Join(dir, "m.vle")
		src := "model m\nimport \"std/gle\"\nsim {\n  dt = 10ms\n  duration = 1s\n}\ninput x[1] = sine(freq = 1)\n" + body + "\n"
		if !strings.Contains(body, "energy") {
			src += "energy {\n  mismatch(h)\n}\n"
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, c := range []struct{ body, phi, want string }{
		{"population h[1] : gle(phi = softplus)\nconnect x -> h W = [[1.0]]", "", "population h: phi = softplus has no NIR node"},
		{"fn sq(v) = v * v\npopulation h[1] : gle(phi = sq)\nconnect x -> h W = [[1.0]]", PhiLinearize, "population h: phi = sq is a user function"},
		{"population h[1] : gle(phi = linear)\npopulation g[1] : gle\nconnect x -> h W = [[1.0]]\nconnect h -> g V = [[1.0]]\nconnect g -> h U = [[1.0]]\npopulation z[1] : gle\nenergy {\n  mismatch(h) + mismatch(g) + mismatch(z)\n}", "", "population z has no incoming connection"},
	} {
		prog, sim := compile(t, model(c.body))
		_, err := Export(prog, sim.Values, Options{Phi: c.phi})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.body, err, c.want)
		}
	}
	// An affine user function is exact.
	prog, sim := compile(t, model("fn lin(v) = 2 * v + 0.5\npopulation h[1] : gle(phi = lin)\nconnect x -> h W = [[1.0]]"))
	res, err := Export(prog, sim.Values, Options{})
	if err != nil || !res.Exact || res.Graph.Nodes["h_r"].Type != "Affine" {
		t.Errorf("affine fn: %v, %+v", err, res)
	}
}

// writeImported writes an imported model and its weight files into dir
// and returns the model's path.
func writeImported(t *testing.T, dir string, imp *Imported) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range imp.Files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "imported.vle")
	if err := os.WriteFile(path, imp.Source, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A matrix of more than MaxLiteral weights goes to a .npy file beside
// the model, and the round trip still gives the same graph.
func TestImportLargeWeights(t *testing.T) {
	if testing.Short() {
		t.Skip("exports bench/n4: 784 x 1000 and 1000 x 1000 weights")
	}
	res := export(t, "../../examples/bench/n4.vle", Options{Phi: PhiDrop})
	imp, err := Import(res.Graph, "imported", ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Files) == 0 {
		t.Fatal("no weight file")
	}
	path := writeImported(t, t.TempDir(), imp)
	got := export(t, path, Options{}).Graph
	if !reflect.DeepEqual(res.Graph.Nodes, got.Nodes) || !reflect.DeepEqual(res.Graph.Edges, got.Edges) {
		t.Error("the round trip through .npy weight files changed the graph")
	}
}
