package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/codegen/nir"
	"github.com/vlec-dev/vlec/internal/hdf5"
)

func vlecRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// export nir and import nir from the command line: the phi choices are
// printed, a model NIR cannot express is refused by name, and the round
// trip gives a model that exports to the same file.
func TestExportImportNIR(t *testing.T) {
	dir := t.TempDir()
	net := filepath.Join(dir, "mlp.nir")

	code, _, stderr := vlecRun(t, "export", "nir", "../../examples/mlp.vle", "-o", net)
	if code != 1 || !strings.Contains(stderr, "population h: phi = tanh has no NIR node") || !strings.Contains(stderr, "--phi=linearize") {
		t.Errorf("tanh without --phi: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(net); err == nil {
		t.Error("a refused export wrote its file")
	}
	code, stdout, stderr := vlecRun(t, "export", "nir", "../../examples/mlp.vle", "--phi=linearize", "--at", "0.5", "--dtype", "f32", "-o", net)
	if code != 0 || !strings.Contains(stdout, "approximated: population h: phi = tanh replaced by its tangent at 0.5") ||
		!strings.Contains(stdout, "note: teacher T: dropped") || !strings.Contains(stdout, "(approximate)") {
		t.Errorf("export --phi=linearize: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = vlecRun(t, "export", "nir", "../../examples/mlp.vle", "--at", "1", "-o", net)
	if code != 1 || !strings.Contains(stderr, "--at goes with --phi=linearize") {
		t.Errorf("--at alone: exit %d, %s", code, stderr)
	}

	// Round trip on an identity-phi model, through the files.
	a := filepath.Join(dir, "a.nir")
	if code, _, stderr := vlecRun(t, "export", "nir", "../../codegen/nir/testdata/lin.vle", "-o", a); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	model := filepath.Join(dir, "lin2.vle")
	if code, _, stderr := vlecRun(t, "import", "nir", a, "-o", model); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	b := filepath.Join(dir, "b.nir")
	if code, _, stderr := vlecRun(t, "export", "nir", model, "-o", b); code != 0 {
		t.Fatalf("export of the import: %s", stderr)
	}
	if code, _, stderr := vlecRun(t, "check", model); code != 0 {
		t.Errorf("vlec check of the imported model: %s", stderr)
	}
}

// Bad input: an unwritable output, a foreign or malformed file to
// import: a clear error, nothing written.
func TestNIRBadInput(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := vlecRun(t, "export", "nir", "../../codegen/nir/testdata/lin.vle", "-o", filepath.Join(dir, "no", "such", "dir", "x.nir"))
	if code != 1 || !strings.Contains(stderr, "cannot write in") {
		t.Errorf("unwritable output: exit %d, %s", code, stderr)
	}
	code, _, stderr = vlecRun(t, "export", "nir", "../../codegen/nir/testdata/lin.vle", "-o", dir)
	if code != 1 || !strings.Contains(stderr, "a directory") {
		t.Errorf("a directory as output: exit %d, %s", code, stderr)
	}
	out := filepath.Join(dir, "m.vle")
	code, _, stderr = vlecRun(t, "import", "nir", "../../internal/hdf5/testdata/nir_graph.h5", "-o", out)
	if code != 1 || !strings.Contains(stderr, "is not imported") {
		t.Errorf("foreign graph: exit %d, %s", code, stderr)
	}
	bad := filepath.Join(dir, "bad.nir")
	os.WriteFile(bad, []byte("\x89HDF\r\n\x1a\n garbage"), 0o644)
	code, _, stderr = vlecRun(t, "import", "nir", bad, "-o", out)
	if code != 1 || !strings.Contains(stderr, "not a readable HDF5 file") {
		t.Errorf("malformed file: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed import wrote its model")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left a temporary file %s", e.Name())
		}
	}
}

// A graph made elsewhere (an LI readout whose membrane is its output)
// imports with the step --dt gives; a --dt longer than a time constant
// is refused and writes nothing.
func TestImportForeignNIR(t *testing.T) {
	dir := t.TempDir()
	f64 := func(shape []int, v ...float64) *hdf5.Value { return hdf5.NewFloat64(shape, v) }
	g := &nir.Graph{Nodes: map[string]*nir.Node{
		"input":  {Type: "Input", Data: map[string]*hdf5.Value{"shape": hdf5.NewInt64([]int{1}, []int64{2})}},
		"fc":     {Type: "Affine", Data: map[string]*hdf5.Value{"weight": f64([]int{1, 2}, 0.5, -0.25), "bias": f64([]int{1}, 0.1)}},
		"li":     {Type: "LI", Data: map[string]*hdf5.Value{"tau": f64([]int{1}, 0.002), "r": f64([]int{1}, 1), "v_leak": f64([]int{1}, 0)}},
		"output": {Type: "Output", Data: map[string]*hdf5.Value{"shape": hdf5.NewInt64([]int{1}, []int64{1})}},
	}, Edges: []nir.Edge{{From: "input", To: "fc"}, {From: "fc", To: "li"}, {From: "li", To: "output"}}}
	net := filepath.Join(dir, "readout.nir")
	if err := g.WriteFile(net); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "readout.vle")
	code, _, stderr := vlecRun(t, "import", "nir", net, "--dt", "5ms", "-o", model)
	if code != 1 || !strings.Contains(stderr, "node li") || !strings.Contains(stderr, "time constant") {
		t.Errorf("--dt 5ms against tau 2ms: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(model); err == nil {
		t.Error("a refused import wrote its model")
	}
	code, stdout, stderr := vlecRun(t, "import", "nir", net, "--dt", "0.5ms", "-o", model)
	if code != 0 || !strings.Contains(stdout, "imported with tau_r = dt (0.0005 s)") || !strings.Contains(stdout, "input input_: the graph does not say") {
		t.Fatalf("import --dt 0.5ms: exit %d\n%s%s", code, stdout, stderr)
	}
	src, _ := os.ReadFile(model)
	for _, want := range []string{"dt = 0.0005", "tau_r = [0.0005]", "b = [0.1]", "input input_[2] = 0", "connect input_ -> li fc = [[0.5, -0.25]] plastic", "record li.r"} {
		if !bytes.Contains(src, []byte(want)) {
			t.Errorf("the imported model lacks %q:\n%s", want, src)
		}
	}
	if code, _, stderr := vlecRun(t, "run", model, "-q", "-o", filepath.Join(dir, "run")); code != 0 {
		t.Errorf("run of the imported model: %s", stderr)
	}
}
