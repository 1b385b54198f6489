package main

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/internal/plot"
)

// lastRow reads the last row of the recording name in dir by columns.
func lastRow(t *testing.T, dir, name string) (float64, map[string]float64) {
	t.Helper()
	run, err := plot.OpenRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range append(run.Recordings, run.Metrics) {
		if r == nil || r.Name != name {
			continue
		}
		cols := make([]int, len(r.Columns))
		for i := range cols {
			cols[i] = i
		}
		row := map[string]float64{}
		var x float64
		err := r.Scan(cols, func(tx float64, vals []float64) {
			x = tx
			for i, v := range vals {
				row[r.Columns[i]] = v
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return x, row
	}
	t.Fatalf("%s holds no recording %s", dir, name)
	return 0, nil
}

// The teacher of the LagLine task and the student's start
// (examples/chain2_teacher.vle, examples/lagline/*.vle).
var (
	lagTeacher = map[string]float64{"W0[0][0]": 1, "W1[0][0]": 2, "h.tau_m[0]": 1, "y.tau_m[0]": 2}
	lagStart   = map[string]float64{"W0[0][0]": 0.3, "W1[0][0]": 0.6, "h.tau_m[0]": 0.5, "y.tau_m[0]": 1.5}
)

// progress is, per parameter, its distance from the teacher as a share of
// the distance it started at.
func progress(row map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, want := range lagTeacher {
		out[k] = math.Abs(row[k]-want) / math.Abs(lagStart[k]-want)
	}
	return out
}

func sum(m map[string]float64) float64 {
	s := 0.0
	for _, v := range m {
		s += v
	}
	return s
}

// TestLagline runs the three LagLine examples shortened and checks what
// their comments promise: within 6,000 s gle brings every parameter to
// less than 30% of its starting distance from the teacher (measured: 3%,
// 0.4%, 8%, 22%); le ends non-finite before 1,200 s with W0 near 0 and
// h.tau_m at its floor; adjoint is stable and moves every parameter
// towards the teacher, but less far than gle (in sum, at least twice
// gle's remaining distance; measured 1.07 against 0.33).
func TestLagline(t *testing.T) {
	dir := t.TempDir()
	const steps = 600000 // 6,000 s
	sum1, _, err := runModel("../lagline/gle.vle", filepath.Join(dir, "gle"), steps)
	if err != nil {
		t.Fatal(err)
	}
	if sum1.Stopped != "completed" {
		t.Fatalf("gle: %s", sum1.Stopped)
	}
	_, gle := lastRow(t, filepath.Join(dir, "gle"), "params.csv")
	pg := progress(gle)
	for k, p := range pg {
		if !(p < 0.3) {
			t.Errorf("gle at 6,000 s: %s = %v, %.0f%% of its starting distance from the teacher's %v", k, gle[k], 100*p, lagTeacher[k])
		}
	}

	sumLE, _, err := runModel("../lagline/le.vle", filepath.Join(dir, "le"), 120000)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sumLE.Stopped, "non-finite value") || sumLE.Steps >= 120000 {
		t.Errorf("le: stopped %q after %d steps, want a non-finite value before 1,200 s", sumLE.Stopped, sumLE.Steps)
	}
	_, le := lastRow(t, filepath.Join(dir, "le"), "params.csv")
	if math.Abs(le["W0[0][0]"]) > 0.05 || le["h.tau_m[0]"] > 0.0101 {
		t.Errorf("le before it diverged: W0 = %v (want near 0), h.tau_m = %v (want the floor, 0.01)", le["W0[0][0]"], le["h.tau_m[0]"])
	}

	sumAdj, _, err := runModel("../lagline/adjoint.vle", filepath.Join(dir, "adjoint"), steps)
	if err != nil {
		t.Fatal(err)
	}
	if sumAdj.Stopped != "completed" {
		t.Fatalf("adjoint: %s", sumAdj.Stopped)
	}
	_, adj := lastRow(t, filepath.Join(dir, "adjoint"), "params.csv")
	pa := progress(adj)
	for k, p := range pa {
		if !(p < 1) {
			t.Errorf("adjoint at 6,000 s: %s = %v moved away from the teacher's %v", k, adj[k], lagTeacher[k])
		}
	}
	if !(sum(pa) > 2*sum(pg)) {
		t.Errorf("adjoint's remaining distance %.3f is not behind gle's %.3f", sum(pa), sum(pg))
	}
}

// TestSineMimic runs the sine mimic for 120 s (its comment: 600 s) and
// checks that the output has locked onto the delayed target: the cost
// over the last 10% of learning below 4e-5 (measured 2.1e-5; an rms error
// under 2.3% of the amplitude) and at least 100 times below the first
// 10%'s (measured 4.4e-3).
func TestSineMimic(t *testing.T) {
	sum, _, err := runModel("../sine_mimic.vle", filepath.Join(t.TempDir(), "out"), 12000)
	if err != nil {
		t.Fatal(err)
	}
	if sum.CostStart == nil || sum.CostEnd == nil {
		t.Fatal("no cost in the summary")
	}
	start, end := float64(*sum.CostStart), float64(*sum.CostEnd)
	if !(end < 4e-5) || !(start > 100*end) {
		t.Errorf("cost %.3g over the first 10%% of learning, %.3g over the last: the output has not locked onto the target", start, end)
	}
}

// TestMNIST1DResults checks the committed metrics of the six seeds
// against the table of examples/mnist1d/README.md, which they made.
func TestMNIST1DResults(t *testing.T) {
	want := []float64{0.91, 0.918, 0.925, 0.898, 0.918, 0.915}
	total := 0.0
	for i, acc := range want {
		dir := filepath.Join("..", "mnist1d", "results", fmt.Sprintf("seed-%d", i+1))
		epoch, row := lastRow(t, dir, "mnist1d.metrics.csv")
		if epoch != 150 || row["test_accuracy"] != acc {
			t.Errorf("seed %d: epoch %v, test accuracy %v; the README says %v after 150", i+1, epoch, row["test_accuracy"], acc)
		}
		total += row["test_accuracy"]
	}
	if mean := total / 6; math.Abs(mean-0.914) > 5e-4 {
		t.Errorf("mean final test accuracy %.4f, the README says 91.4%%", mean)
	}
}

// TestFigures checks the committed figures: each decodes as a PNG as wide
// as internal/plot draws (10.5 in at 96 dpi), with lines in colour, and
// none is left over from a figure the gallery no longer makes.
func TestFigures(t *testing.T) {
	var want []string
	for _, f := range figures {
		want = append(want, f.name+".png")
	}
	have, _ := filepath.Glob("*.png")
	if strings.Join(have, " ") != strings.Join(slices.Sorted(slices.Values(want)), " ") {
		t.Errorf("examples/gallery holds %v; the gallery makes %v", have, want)
	}
	for _, name := range want {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b := img.Bounds()
		coloured := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				if max(r, g, bl)-min(r, g, bl) > 0x4000 {
					coloured++
				}
			}
		}
		if b.Dx() != 1008 || b.Dy() < 300 || float64(coloured)/float64(b.Dx()*b.Dy()) < 0.003 {
			t.Errorf("%s: %dx%d, %d coloured pixels: not a figure of vlec plot", name, b.Dx(), b.Dy(), coloured)
		}
	}
}

// TestMNIST1DEnergy runs the model of mnist1d_energy.png cut to one epoch
// of 100 training and 100 test samples (one batch each) and checks what
// examples/README.md says of the energy of that network: the mismatch
// terms grow layer by layer towards the input (measured in the training
// batch: h1 1280, h2 96, h3 7.9, h4 0.82, h5 0.20 per sample), the
// energy is far above the cost (1390 against 2.2), and it grows while
// the network learns (70,600 in the test batch after it).
func TestMNIST1DEnergy(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	path, err := mnist1dEnergy(root, work)
	if err != nil {
		t.Fatal(err)
	}
	src, _ := os.ReadFile(path)
	text := strings.Replace(string(src), "epochs = 10", "epochs = 1", 1)
	text = strings.Replace(text, `test.y = "y_test"`, `test.y = "y_test"; samples = 100; test.samples = 100`, 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(work, "out")
	if _, _, err := runModel(path, dir, 0); err != nil {
		t.Fatal(err)
	}
	rows := batchMeans(t, dir, "energy.csv")
	if len(rows) != 2 {
		t.Fatalf("%d rows, want one per batch: training, test", len(rows))
	}
	train := rows[0]
	for k := 1; k < 5; k++ { // h1 > h2 > ... > h5
		a, b := train[fmt.Sprintf("mean(energy.%d)", k)], train[fmt.Sprintf("mean(energy.%d)", k+1)]
		if !(a > b) {
			t.Errorf("mismatch(h%d) %.3g is not above mismatch(h%d) %.3g", k, a, k+1, b)
		}
	}
	if e, c := train["mean(energy)"], train["mean(cost)"]; !(e > 100*c) {
		t.Errorf("energy %.3g is not far above the cost %.3g", e, c)
	}
	if a, b := train["mean(energy)"], rows[1]["mean(energy)"]; !(b > 10*a) {
		t.Errorf("energy %.3g in the training batch, %.3g in the test batch after it: it did not grow", a, b)
	}
}

// batchMeans reads a recording of per-sample items and returns, per row,
// each item averaged over the batch.
func batchMeans(t *testing.T, dir, name string) []map[string]float64 {
	t.Helper()
	run, err := plot.OpenRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range run.Recordings {
		if r.Name != name {
			continue
		}
		cols := make([]int, len(r.Columns))
		for i := range cols {
			cols[i] = i
		}
		var out []map[string]float64
		err := r.Scan(cols, func(_ float64, vals []float64) {
			sum, n := map[string]float64{}, map[string]float64{}
			for i, v := range vals {
				col := r.Columns[i] // mean(energy.1)[b]
				item := col[:strings.LastIndex(col, "[")]
				sum[item] += v
				n[item]++
			}
			row := map[string]float64{}
			for k := range sum {
				row[k] = sum[k] / n[k]
			}
			out = append(out, row)
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	t.Fatalf("%s holds no recording %s", dir, name)
	return nil
}
