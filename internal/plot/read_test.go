package plot

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/internal/npytest"
)

// writeRun writes files into a new directory and returns it.
func writeRun(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// scanAll reads every column of a recording.
func scanAll(t *testing.T, r *Recording) (xs []float64, rows [][]float64) {
	t.Helper()
	cols := make([]int, len(r.Columns))
	for i := range cols {
		cols[i] = i
	}
	err := r.Scan(cols, func(x float64, vals []float64) {
		xs = append(xs, x)
		rows = append(rows, append([]float64(nil), vals...))
	})
	if err != nil {
		t.Fatal(err)
	}
	return xs, rows
}

func TestOpenRunFormats(t *testing.T) {
	npyRows := npytest.V1("<f8", []int{3, 4}, []float64{0, 0, 1, 2, 1, 0.5, 3, 4, 2, 1, 5, 6})
	npz := npytest.NPZ(
		npytest.Array{Name: "step", Descr: "<f8", Shape: []int{2}, Values: []float64{0, 10}},
		npytest.Array{Name: "t", Descr: "<f8", Shape: []int{2}, Values: []float64{0, 0.1}},
		npytest.Array{Name: "y.r", Descr: "<f8", Shape: []int{2, 1, 2}, Values: []float64{1, 2, 3, 4}},
		npytest.Array{Name: "cost", Descr: "<f4", Shape: []int{2, 1}, Values: []float64{0.5, 0.25}},
	)
	params := npytest.NPZ(npytest.Array{Name: "W0", Descr: "<f8", Shape: []int{1, 1}, Values: []float64{1}})
	dir := writeRun(t, map[string]string{
		"m.csv":         "step,t,y.r[0][0],W0[0][0]\n0,0,1,NaN\n1,0.01,2,+Inf\n2,0.02,3,-1\n",
		"w.npy":         string(npyRows),
		"sub/e.npz":     string(npz),
		"m.params.npz":  string(params), // not a recording
		"m.metrics.csv": "epoch,lr_factor,train_loss,train_accuracy,test_loss,test_accuracy,wall_s\n1,1,2.3,0.1,,,1.5\n2,1,2.1,0.3,2.2,0.25,1.4\n",
		"notes.csv":     "a,b\n1,2\n", // not a recording
	})
	run, err := OpenRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*Recording{}
	for _, r := range run.Recordings {
		byName[r.Name] = r
	}
	if len(byName) != 3 || run.Metrics == nil {
		t.Fatalf("recordings %v, metrics %v; want m.csv, w.npy, sub/e.npz and the metrics", byName, run.Metrics)
	}
	tests := []struct {
		name string
		cols []string
		xs   []float64
		rows [][]float64
	}{
		{"m.csv", []string{"y.r[0][0]", "W0[0][0]"}, []float64{0, 0.01, 0.02}, [][]float64{{1, math.NaN()}, {2, math.Inf(1)}, {3, -1}}},
		{"w.npy", []string{"w[0]", "w[1]"}, []float64{0, 0.5, 1}, [][]float64{{1, 2}, {3, 4}, {5, 6}}},
		{filepath.Join("sub", "e.npz"), []string{"cost[0]", "y.r[0][0]", "y.r[0][1]"}, []float64{0, 0.1}, [][]float64{{0.5, 1, 2}, {0.25, 3, 4}}},
	}
	for _, tc := range tests {
		r := byName[tc.name]
		if r == nil {
			t.Fatalf("no recording %s", tc.name)
		}
		if !reflect.DeepEqual(r.Columns, tc.cols) {
			t.Errorf("%s: columns %v, want %v", tc.name, r.Columns, tc.cols)
		}
		xs, rows := scanAll(t, r)
		if !reflect.DeepEqual(xs, tc.xs) || !sameRows(rows, tc.rows) {
			t.Errorf("%s: rows %v %v, want %v %v", tc.name, xs, rows, tc.xs, tc.rows)
		}
	}
	// a chosen subset, in the order asked
	var got [][]float64
	if err := byName[filepath.Join("sub", "e.npz")].Scan([]int{2, 0}, func(_ float64, v []float64) { got = append(got, append([]float64(nil), v...)) }); err != nil {
		t.Fatal(err)
	}
	if !sameRows(got, [][]float64{{2, 0.5}, {4, 0.25}}) {
		t.Errorf("subset scan %v", got)
	}
	xs, rows := scanAll(t, run.Metrics)
	if run.Metrics.XName != "epoch" || !reflect.DeepEqual(xs, []float64{1, 2}) || !math.IsNaN(rows[0][3]) || rows[1][4] != 0.25 {
		t.Errorf("metrics: %v %v", xs, rows)
	}
}

func sameRows(a, b [][]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] && !(math.IsNaN(a[i][j]) && math.IsNaN(b[i][j])) {
				return false
			}
		}
	}
	return true
}

func TestOpenRunSummaryFiles(t *testing.T) {
	// with a summary, its files are the recordings, in its order
	dir := writeRun(t, map[string]string{
		"b.csv":          "step,t,x[0][0]\n0,0,1\n",
		"a.csv":          "step,t,y.u[0][0]\n0,0,1\n",
		"stale.csv":      "step,t,z[0][0]\n0,0,1\n",
		"m.summary.json": `{"model": "m", "method": "gle", "files": ["b.csv", "a.csv", "m.summary.json"]}`,
	})
	run, err := OpenRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Recordings) != 2 || run.Recordings[0].Name != "b.csv" || run.Recordings[1].Name != "a.csv" {
		t.Fatalf("recordings %v, want b.csv, a.csv", run.Recordings)
	}
	if run.Label() != "m" {
		t.Errorf("label %q", run.Label())
	}
}

func TestOpenRunErrors(t *testing.T) {
	empty := t.TempDir()
	other := writeRun(t, map[string]string{"notes.txt": "hi", "m.params.npz": string(npytest.NPZ(npytest.Array{Name: "W", Descr: "<f8", Shape: []int{1}, Values: []float64{1}}))})
	file := filepath.Join(other, "notes.txt")
	badSummary := writeRun(t, map[string]string{"m.summary.json": "{", "a.csv": "step,t,x\n0,0,1\n"})
	tests := []struct {
		dir  string
		want string
	}{
		{filepath.Join(empty, "missing"), "no such file or directory"},
		{file, "is not a directory (give the output directory of vlec run)"},
		{empty, "holds no recordings (CSV with a step,t header, .npy or .npz written by a record declaration, or a task's metrics CSV); it holds nothing"},
		{other, "holds no recordings (CSV with a step,t header, .npy or .npz written by a record declaration, or a task's metrics CSV); it holds m.params.npz, notes.txt"},
		{badSummary, "m.summary.json: not a run summary"},
	}
	for _, tc := range tests {
		_, err := OpenRun(tc.dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("OpenRun(%s) = %v, want an error containing %q", tc.dir, err, tc.want)
		}
	}
}

func TestScanCSVErrors(t *testing.T) {
	tests := []struct {
		body, want string
	}{
		{"step,t,x[0][0]\n0,0,1\n1,0.01\n", ":3: 2 fields, the header has 3"},
		{"step,t,x[0][0]\n0,0,1,5\n", ":2: more fields than the header's 3"},
		{"step,t,x[0][0]\n0,0,abc\n", `:2: field 3: "abc" is not a number`},
	}
	for _, tc := range tests {
		dir := writeRun(t, map[string]string{"a.csv": tc.body})
		run, err := OpenRun(dir)
		if err != nil {
			t.Fatal(err)
		}
		err = run.Recordings[0].Scan([]int{0}, func(float64, []float64) {})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Scan of %q = %v, want %q", tc.body, err, tc.want)
		}
	}
}

// A CSV row longer than the reader's buffer is read whole.
func TestScanCSVLongRow(t *testing.T) {
	const n = 20000
	var head, row strings.Builder
	head.WriteString("step,t")
	row.WriteString("0,0")
	for i := range n {
		head.WriteString(",W[0][" + strconv.Itoa(i) + "]")
		row.WriteString("," + strconv.Itoa(i))
	}
	dir := writeRun(t, map[string]string{"a.csv": head.String() + "\n" + row.String() + "\n"})
	run, err := OpenRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	var last float64
	if err := run.Recordings[0].Scan([]int{n - 1}, func(_ float64, v []float64) { last = v[0] }); err != nil {
		t.Fatal(err)
	}
	if last != n-1 {
		t.Errorf("last column %v, want %d", last, n-1)
	}
}

// FuzzScanCSV: any file content read as a recording gives rows or an
// error, never a panic.
func FuzzScanCSV(f *testing.F) {
	for _, seed := range []string{
		"step,t,x[0][0]\n0,0,1\n1,0.01,2\n",
		"step,t,x[0][0],W[0][0]\n0,0,NaN,+Inf\n1,0.01\n",
		"step,t,a\n0,0,1,2,3\n",
		"epoch,lr_factor,train_loss\n1,1,\n2,,0.5\n",
		"step,t,x\r\n0,0,1\r\n",
		"step,t,x\n,,\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "r.csv"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		run, err := OpenRun(dir)
		if err != nil {
			return
		}
		recs := run.Recordings
		if run.Metrics != nil {
			recs = append(recs, run.Metrics)
		}
		for _, r := range recs {
			cols := make([]int, len(r.Columns))
			for i := range cols {
				cols[i] = i
			}
			r.Scan(cols, func(float64, []float64) {})
		}
	})
}
