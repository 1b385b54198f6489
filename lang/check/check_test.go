package check_test

import (
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/stdlib"
)

// TestShippedFilesCheckClean checks every .vle file in examples/ and every
// standard-library file.
func TestShippedFilesCheckClean(t *testing.T) {
	var paths []string
	filepath.WalkDir("../../examples", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".vle") {
			paths = append(paths, p)
		}
		return err
	})
	if len(paths) < 2 {
		t.Fatalf("found %d example files", len(paths))
	}
	for _, p := range paths {
		if _, src, err := check.Load(p); err != nil {
			t.Errorf("%s:\n%s", p, src.Format(err))
		}
	}
	for _, name := range stdlib.Names() {
		_, src, err := stdlib.Read(name)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), filepath.Base(name)+".vle")
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		if m, srcs, err := check.Load(path); err != nil || m != nil {
			t.Errorf("%s: model %v, errors:\n%s", name, m, srcs.Format(err))
		}
	}
}

// TestCycles checks that import and teacher cycles are reported, not
// followed forever.
func TestCycles(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"testdata/cycles/a.vle", "import cycle: testdata/cycles/a.vle -> testdata/cycles/b.vle -> testdata/cycles/a.vle"},
		{"testdata/cycles/teacher_a.vle", "teacher cycle: testdata/cycles/teacher_a.vle -> testdata/cycles/teacher_b.vle -> testdata/cycles/teacher_a.vle"},
	} {
		_, _, err := check.Load(tc.file)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.file, err, tc.want)
		}
	}
}

// TestBadFiles checks files that cannot be models at all.
func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.vle")
	os.WriteFile(empty, nil, 0o644)
	garbage := filepath.Join(dir, "garbage.vle")
	os.WriteFile(garbage, []byte{0x7f, 'E', 'L', 'F', 0xff, 0xfe, 0, 1, 2}, 0o644)
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.vle"), "missing.vle: no such file"},
		{dir, "is a directory"},
		{empty, "empty.vle:1:1: empty file"},
		{garbage, "garbage.vle:1:5: invalid UTF-8"},
	} {
		_, _, err := check.Load(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.path, err, tc.want)
		}
	}
}

// TestCaretSnippets pins the exact rendering of a few diagnostics.
func TestCaretSnippets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.vle")
	src := "model m\nimport \"std/gle\"\ninput x[2] = 0\npopulation h[4] : gle()\nconnect x -> h W0 = [[1, 2], [3, 4], [5, 6]]\nenergy {\n\tmismatch(hh)\n}\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, sources, err := check.Load(path)
	got := strings.ReplaceAll(sources.Format(err), path, "m.vle")
	want := `m.vle:5:21: weight literal of W0 is 3x2 but x -> h needs 4x2 (rows = h[4], columns = x[2])
    connect x -> h W0 = [[1, 2], [3, 4], [5, 6]]
                        ^
m.vle:7:11: undefined: hh; did you mean h?
    	mismatch(hh)
    	         ^
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// golden is the part of a shared/golden configuration the examples encode.
type golden struct {
	Sizes      []int         `json:"sizes"`
	Phi        []string      `json:"phi"`
	Batch      int           `json:"batch"`
	LearnTau   bool          `json:"learn_tau"`
	Bias       bool          `json:"bias"`
	LR         float64       `json:"lr"`
	Beta       float64       `json:"beta"`
	Gamma      float64       `json:"gamma"`
	T          float64       `json:"T"`
	Dt         float64       `json:"dt"`
	LearnAfter int           `json:"learn_after"`
	W          [][][]float64 `json:"W"`
	B          [][]float64   `json:"b"`
	TauM       [][]float64   `json:"tau_m"`
	TauR       [][]float64   `json:"tau_r"`
	TeacherW   [][][]float64 `json:"teacher_W"`
	TeacherB   [][]float64   `json:"teacher_b"`
	TeacherTau [][]float64   `json:"teacher_tau_m"`
	Prospect   bool          `json:"prospective_errors"`
}

// TestExamplesMatchGolden checks that examples/chain2.vle and mlp.vle
// encode exactly the configurations of the GLE reference runs.
func TestExamplesMatchGolden(t *testing.T) {
	dir := "../../../shared/golden"
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("golden data not found at %s (it sits beside the repository in CI): %v", dir, err)
	}
	for _, name := range []string{"chain2", "mlp"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var g golden
			if err := json.Unmarshal(raw, &g); err != nil {
				t.Fatal(err)
			}
			m, src, err := check.Load("../../examples/" + name + ".vle")
			if err != nil {
				t.Fatal(src.Format(err))
			}
			compareGolden(t, m, &g)
		})
	}
}

func compareGolden(t *testing.T, m *check.Model, g *golden) {
	eq := func(what string, got, want float64) {
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	s := m.Sim
	eq("dt", s.Dt, g.Dt)
	eq("duration", s.Duration, g.T)
	eq("batch", float64(s.Batch), float64(g.Batch))
	eq("learn_after", float64(s.LearnAfter), float64(g.LearnAfter))
	eq("lr", m.Learn.LR, g.LR)
	if want := map[bool]check.Method{true: check.GLE, false: check.LE}[g.Prospect]; s.Method != want {
		t.Errorf("method %s, want %s", s.Method, want)
	}
	if len(m.Inputs) != 1 || m.Inputs[0].Size != g.Sizes[0] {
		t.Fatalf("inputs %v, want one of size %d", m.Inputs, g.Sizes[0])
	}
	if len(m.Populations) != len(g.Sizes)-1 || len(m.Teachers) != 1 {
		t.Fatalf("%d populations and %d teachers", len(m.Populations), len(m.Teachers))
	}
	teacher := m.Teachers[0].Model
	for l, p := range m.Populations {
		eq(p.Name+" size", float64(p.Size), float64(g.Sizes[l+1]))
		gamma, uniform := p.Gamma.Uniform()
		if !uniform {
			t.Errorf("%s.gamma = %v, want one value for every neuron", p.Name, p.Gamma.Values)
		}
		eq(p.Name+".gamma", gamma, g.Gamma)
		if p.Phi.Name != g.Phi[l] || teacher.Populations[l].Phi.Name != g.Phi[l] {
			t.Errorf("%s.phi = %s, want %s", p.Name, p.Phi.Name, g.Phi[l])
		}
		if p.TauM.Learnable != g.LearnTau || p.Bias.Learnable != g.Bias {
			t.Errorf("%s: learnable tau_m %v, b %v; want %v, %v", p.Name, p.TauM.Learnable, p.Bias.Learnable, g.LearnTau, g.Bias)
		}
		tp := teacher.Populations[l]
		for i := range p.Size {
			eq(p.Name+".tau_m", p.TauM.Values[i], g.TauM[l][i])
			eq(p.Name+".tau_r", p.TauR.Values[i], g.TauR[l][i])
			eq("teacher "+p.Name+".tau_r", tp.TauR.Values[i], g.TauR[l][i])
			eq("teacher "+p.Name+".tau_m", tp.TauM.Values[i], g.TeacherTau[l][i])
			if g.Bias {
				eq(p.Name+".b", p.Bias.Values[i], g.B[l][i])
				eq("teacher "+p.Name+".b", tp.Bias.Values[i], g.TeacherB[l][i])
			}
		}
		c, tc := m.Connections[l], teacher.Connections[l]
		if !c.Plastic || c.Dst != p {
			t.Errorf("%s: plastic %v, target %s", c.Name, c.Plastic, c.Dst.NodeName())
		}
		for i := range g.W[l] {
			for j := range g.W[l][i] {
				eq(c.Name, c.Init.Literal[i][j], g.W[l][i][j])
				eq("teacher "+c.Name, tc.Init.Literal[i][j], g.TeacherW[l][i][j])
			}
		}
	}
	cost := m.Energy[len(m.Energy)-1].Expr.String()
	// The cost is beta * 1/2 |target - r_out|^2, as in the golden README.
	if want := "beta * loss(0.5 * sumsq(y.r - T.y.r))"; cost != want {
		t.Fatalf("cost term %q, want %q", cost, want)
	}
	beta := m.Energy[len(m.Energy)-1].Expr.(*check.Binary).X.(*check.Num)
	eq("beta", beta.Value, g.Beta)
}
