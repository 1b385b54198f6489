package schedule_test

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/ir/internal/naive"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
)

// This file checks the step program against the GLE reference run with a
// deliberately naive interpreter, written from the kernel definitions in
// program.go alone: if the scheme or the derivation is wrong, the numbers
// differ from shared/golden.

const goldenDir = "../../../shared/golden"

func TestGoldenTrajectories(t *testing.T) {
	if _, err := os.Stat(goldenDir); err != nil {
		t.Skipf("golden data not found at %s (it sits beside the repository in CI): %v", goldenDir, err)
	}
	for _, name := range []string{"chain2", "mlp"} {
		t.Run(name, func(t *testing.T) {
			prog := compile(t, "../../examples/"+name+".vle")
			header, rows := readCSV(t, filepath.Join(goldenDir, name+".csv"))
			m := naive.New(prog)
			cols := columnBuffers(t, prog, header)
			worst := 0.0
			for k, row := range rows {
				m.Step(k)
				for c, ref := range cols {
					want, _ := strconv.ParseFloat(row[c], 64)
					got := m.At(ref.buf, ref.b, ref.i)
					d := math.Abs(got-want) / (1 + math.Abs(want))
					worst = math.Max(worst, d)
					if d > 1e-9 {
						t.Fatalf("step %d, %s: got %.17g, want %.17g", k, header[c], got, want)
					}
				}
			}
			t.Logf("%d steps, %d columns, worst relative difference %.2g", len(rows), len(cols), worst)
		})
	}
}

// compile compiles a model into its step program.
func compile(t *testing.T, path string) *schedule.Program {
	t.Helper()
	c, src, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		t.Fatal(src.Format(err))
	}
	return c.Program
}

func loadModel(t *testing.T, src string) *check.Model {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.vle")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	m, sources, err := check.Load(path)
	if err != nil {
		t.Fatal(sources.Format(err))
	}
	return m
}

func readCSV(t *testing.T, path string) ([]string, [][]string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return all[0], all[1:]
}

// entry is one scalar of a buffer: batch element b, flat index i.
type entry struct {
	buf  *schedule.Buffer
	b, i int
}

var column = regexp.MustCompile(`^([a-zA-Z_]+)(\d*)\[(\d+)\](?:\[(\d+)\])?$`)

// columnBuffers maps golden columns (u0[b][i], W1[i][j], tau_m0[i], ...)
// to buffers: population l is the l-th population of the model.
func columnBuffers(t *testing.T, p *schedule.Program, header []string) map[int]entry {
	out := map[int]entry{}
	pops := p.Model.Populations
	for c, h := range header {
		if h == "step" || h == "t" {
			continue
		}
		g := column.FindStringSubmatch(h)
		if g == nil {
			t.Fatalf("column %q", h)
		}
		a, _ := strconv.Atoi(g[3])
		b := -1
		if g[4] != "" {
			b, _ = strconv.Atoi(g[4])
		}
		var name string
		switch g[1] {
		case "x":
			name = p.Model.Inputs[0].Name
		case "target":
			name = p.Targets[0].Buffer.Name
		case "W":
			l, _ := strconv.Atoi(g[2])
			name = p.Model.Connections[l].Name
		default:
			l, _ := strconv.Atoi(g[2])
			name = pops[l].Name + "." + g[1]
		}
		buf := p.Named[name]
		if buf == nil {
			t.Fatalf("column %s: no buffer %s", h, name)
		}
		switch {
		case b < 0: // per-neuron parameter [i]
			out[c] = entry{buf, 0, a}
		case buf.Batched: // [batch][i]
			out[c] = entry{buf, a, b}
		default: // matrix [i][j]
			out[c] = entry{buf, 0, a*buf.Shape.Cols() + b}
		}
	}
	return out
}
