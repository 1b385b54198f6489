package runtime_test

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/runtime"
)

const goldenDir = "../../shared/golden"

// compile compiles a model into its step program.
func compile(t testing.TB, path string) *schedule.Program {
	t.Helper()
	c, src, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		t.Fatal(src.Format(err))
	}
	return c.Program
}

var column = regexp.MustCompile(`^([a-zA-Z_]+)(\d*)\[(\d+)\](?:\[(\d+)\])?$`)

// TestGoldenSteps runs the simulator step by step against shared/golden.
func TestGoldenSteps(t *testing.T) {
	if _, err := os.Stat(goldenDir); err != nil {
		t.Skipf("golden data not found at %s: %v", goldenDir, err)
	}
	for _, name := range []string{"chain2", "mlp"} {
		t.Run(name, func(t *testing.T) {
			p := compile(t, "../examples/"+name+".vle")
			f, err := os.Open(filepath.Join(goldenDir, name+".csv"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			all, err := csv.NewReader(f).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			header, rows := all[0], all[1:]
			sim, err := runtime.New(p, runtime.Options{})
			if err != nil {
				t.Fatal(err)
			}
			type col struct {
				buf *schedule.Buffer
				off int
			}
			cols := map[int]col{}
			for c, h := range header[2:] {
				g := column.FindStringSubmatch(h)
				a, _ := strconv.Atoi(g[3])
				bi := -1
				if g[4] != "" {
					bi, _ = strconv.Atoi(g[4])
				}
				var nm string
				switch g[1] {
				case "x":
					nm = p.Model.Inputs[0].Name
				case "target":
					nm = p.Targets[0].Buffer.Name
				case "W":
					l, _ := strconv.Atoi(g[2])
					nm = p.Model.Connections[l].Name
				default:
					l, _ := strconv.Atoi(g[2])
					nm = p.Model.Populations[l].Name + "." + g[1]
				}
				buf := p.Named[nm]
				switch {
				case bi < 0:
					cols[c+2] = col{buf, a}
				case buf.Batched:
					cols[c+2] = col{buf, a*buf.Size() + bi}
				default:
					cols[c+2] = col{buf, a*buf.Shape.Cols() + bi}
				}
			}
			worst := 0.0
			for k, row := range rows {
				if err := sim.Step(); err != nil {
					t.Fatal(err)
				}
				for c, cl := range cols {
					want, _ := strconv.ParseFloat(row[c], 64)
					got := sim.Values(cl.buf)[cl.off]
					d := math.Abs(got-want) / (1 + math.Abs(want))
					worst = math.Max(worst, d)
					if d > 1e-9 {
						t.Fatalf("step %d, %s: got %.17g, want %.17g", k, header[c], got, want)
					}
				}
			}
			t.Logf("%d steps, worst %.2g", len(rows), worst)
		})
	}
}
