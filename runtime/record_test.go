package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/internal/npy"
)

// reduceModel learns (so that every recorded quantity changes) with a
// batch of 2 for 100 steps, which is not a multiple of 7. It records
// every step (plain.csv) what the other records reduce.
const reduceModel = `model red
import "std/gle"
sim { dt = 10ms; duration = 1s; batch = 2; method = gle }
input x[2] = sine(freq = 0.5Hz, phase = i + b)
population h[3] : gle(tau_m = 0.3s learnable, tau_r = 0.1s, phi = tanh)
population y[2] : gle(tau_m = 0.4s, tau_r = 0.1s)
connect x -> h W0 = normal(0, 0.8, seed = 1) plastic
connect h -> y W1 = normal(0, 0.8, seed = 2) plastic
energy {
  mismatch(h) + mismatch(y)
  0.2 * loss(mse(y.r, 0.2))
}
learn { lr = 0.05 }
record y.r, h.u, cost, W1, h.tau_m, energy, x to "plain.csv"
record mean(y.r), sum(cost), h.u, sum(W1), mean(h.tau_m), mean(energy), sum(x) every 7 steps to "r7.csv"
record sum(y.r), mean(cost), mean(W1), h.u every 7 steps to "r7.npz"
record sum(y.r), mean(cost), mean(W1), h.u every 7 steps to "r7npz.csv"
record mean(y.r), h.u, sum(cost) every 7 steps to "r7.npy"
record mean(y.r), h.u, sum(cost) every 7 steps to "r7npy.csv"
record mean(y.r), sum(cost), sum(energy) to "r1.csv"
`

// csvTable is a recorded CSV file: its header and its rows.
type csvTable struct {
	cols []string
	rows [][]float64
}

func readCSV(t *testing.T, path string) csvTable {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	tab := csvTable{cols: strings.Split(lines[0], ",")}
	for _, line := range lines[1:] {
		var row []float64
		for _, f := range strings.Split(line, ",") {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			row = append(row, v)
		}
		if len(row) != len(tab.cols) {
			t.Fatalf("%s: a row of %d fields under %d columns", path, len(row), len(tab.cols))
		}
		tab.rows = append(tab.rows, row)
	}
	return tab
}

// col is the index of a column, or -1.
func (c csvTable) col(name string) int { return slices.Index(c.cols, name) }

// reducedByHand is the value of column name (such as mean(y.r)[1][0] or
// h.u[0][2]) in the row of step k of a record every n steps, computed
// from the every-step record plain (whose row k is step k): a reduced
// column sums, or averages, the plain column over steps k-n+1 ... k; a
// plain one is its value at step k.
func reducedByHand(t *testing.T, plain csvTable, name string, k, n int) float64 {
	t.Helper()
	op, inner := "", name
	if i := strings.Index(name, "("); i >= 0 {
		j := strings.Index(name, ")")
		op, inner = name[:i], name[i+1:j]+name[j+1:]
	}
	c := plain.col(inner)
	if c < 0 {
		t.Fatalf("column %s: the plain record has no %s", name, inner)
	}
	if op == "" {
		return plain.rows[k][c]
	}
	s := 0.0
	for j := k - n + 1; j <= k; j++ {
		s += plain.rows[j][c]
	}
	if op == "mean" {
		s /= float64(n)
	}
	return s
}

// checkReduced compares a record every n steps, reduced or not, with the
// every-step record plain of a run of steps steps, beginning at step
// from (a resumed run: the rows of the intervals it stepped through
// whole).
func checkReduced(t *testing.T, what string, plain, rec csvTable, n, from, steps int) {
	t.Helper()
	first := (from + n - 1) / n // the first interval begun at or after from
	want := steps/n - first
	if len(rec.rows) != want {
		t.Fatalf("%s: %d rows, want %d (every %d steps, steps %d to %d)", what, len(rec.rows), want, n, from, steps-1)
	}
	for r, row := range rec.rows {
		k := (first+r+1)*n - 1
		if row[0] != float64(k) || row[1] != plain.rows[k][1] {
			t.Fatalf("%s: row %d is step %g, t %g; want step %d, t %g", what, r, row[0], row[1], k, plain.rows[k][1])
		}
		for c := 2; c < len(row); c++ {
			if want := reducedByHand(t, plain, rec.cols[c], k, n); row[c] != want {
				t.Errorf("%s: step %d, %s = %.17g; by hand %.17g", what, k, rec.cols[c], row[c], want)
			}
		}
	}
}

// TestRecordReductions checks reduced records (mean(...), sum(...)) in
// CSV, .npy and .npz files, every step and every 7 steps over 100 steps,
// against the every-step record of the same run reduced by hand: rows
// after steps 6, 13, ..., 97 (none for the last two steps), a reduced
// column the mean or sum over the 7 steps of its interval, a plain one
// the value at the row's step; the .npy in the CSV's column order, the
// .npz arrays named mean(y.r) shaped as y.r's.
func TestRecordReductions(t *testing.T) {
	dir := t.TempDir()
	prog := compileText(t, reduceModel).Program
	out := filepath.Join(dir, "out")
	sum, err := Run(context.Background(), prog, RunOptions{OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Steps != 100 {
		t.Fatalf("%d steps", sum.Steps)
	}
	plain := readCSV(t, filepath.Join(out, "plain.csv"))
	r7 := readCSV(t, filepath.Join(out, "r7.csv"))
	wantCols := []string{"step", "t", "mean(y.r)[0][0]", "mean(y.r)[0][1]", "mean(y.r)[1][0]", "mean(y.r)[1][1]", "sum(cost)[0]", "sum(cost)[1]"}
	if !slices.Equal(r7.cols[:len(wantCols)], wantCols) {
		t.Errorf("r7.csv header begins %q; want %q", r7.cols[:len(wantCols)], wantCols)
	}
	for _, c := range []string{"h.u[1][2]", "sum(W1)[1][2]", "mean(h.tau_m)[2]", "mean(energy)[1]", "mean(energy.2)[0]", "sum(x)[1][1]"} {
		if r7.col(c) < 0 {
			t.Errorf("r7.csv has no column %s: %q", c, r7.cols)
		}
	}
	checkReduced(t, "r7.csv", plain, r7, 7, 0, 100)
	checkReduced(t, "r1.csv", plain, readCSV(t, filepath.Join(out, "r1.csv")), 1, 0, 100)
	checkReduced(t, "r7npz.csv", plain, readCSV(t, filepath.Join(out, "r7npz.csv")), 7, 0, 100)
	twin := readCSV(t, filepath.Join(out, "r7npy.csv"))
	checkReduced(t, "r7npy.csv", plain, twin, 7, 0, 100)

	// the .npy holds the twin CSV's rows, columns in the same order
	vals, shape, err := npy.ReadFile(filepath.Join(out, "r7.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(shape, []int{14, len(twin.cols)}) {
		t.Fatalf("r7.npy shape %v; want [14 %d]", shape, len(twin.cols))
	}
	if !slices.Equal(vals, slices.Concat(twin.rows...)) {
		t.Errorf("r7.npy differs from r7npy.csv")
	}

	// the .npz arrays hold the twin CSV's columns of each item
	z, err := npy.OpenArchive(filepath.Join(out, "r7.npz"))
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	npzTwin := readCSV(t, filepath.Join(out, "r7npz.csv"))
	if names, want := z.Names(), []string{"h.u", "mean(W1)", "mean(cost)", "step", "sum(y.r)", "t"}; !slices.Equal(names, want) {
		t.Errorf("r7.npz holds %q; want %q", names, want)
	}
	for _, a := range []struct {
		name  string
		shape []int
	}{{"step", []int{14}}, {"t", []int{14}}, {"sum(y.r)", []int{14, 2, 2}}, {"mean(cost)", []int{14, 2}}, {"mean(W1)", []int{14, 2, 3}}, {"h.u", []int{14, 2, 3}}} {
		vals, shape, err := z.Read(a.name)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(shape, a.shape) {
			t.Errorf("r7.npz %s: shape %v; want %v", a.name, shape, a.shape)
			continue
		}
		var want []float64
		for _, row := range npzTwin.rows {
			for c, name := range npzTwin.cols {
				if name == a.name || strings.HasPrefix(name, a.name+"[") {
					want = append(want, row[c])
				}
			}
		}
		if !slices.Equal(vals, want) {
			t.Errorf("r7.npz %s = %v; want %v", a.name, vals, want)
		}
	}
}

// TestRecordReductionsStopEarly: a run interrupted after step 44 writes
// the rows of the whole intervals only (the last after step 41); a run
// resumed at step 45, within an interval, writes rows from the first
// interval it steps through whole (after step 55), equal to those of the
// uninterrupted run.
func TestRecordReductionsStopEarly(t *testing.T) {
	dir := t.TempDir()
	prog := compileText(t, reduceModel).Program
	whole := filepath.Join(dir, "whole")
	if _, err := Run(context.Background(), prog, RunOptions{OutDir: whole}); err != nil {
		t.Fatal(err)
	}
	plain := readCSV(t, filepath.Join(whole, "plain.csv"))

	// interrupted after step 44
	stopped := filepath.Join(dir, "stopped")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sum, err := Run(ctx, prog, RunOptions{OutDir: stopped, ProgressEvery: 1, Progress: func(done, _ int) {
		if done == 45 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || sum == nil || sum.Steps != 45 {
		t.Fatalf("interrupted run: %v, %+v", err, sum)
	}
	checkReduced(t, "interrupted r7.csv", plain, readCSV(t, filepath.Join(stopped, "r7.csv")), 7, 0, 45)
	checkReduced(t, "interrupted r1.csv", plain, readCSV(t, filepath.Join(stopped, "r1.csv")), 1, 0, 45)
	vals, shape, err := npy.ReadFile(filepath.Join(stopped, "r7.npy"))
	if err != nil || shape[0] != 6 || vals[len(vals)-shape[1]] != 41 {
		t.Errorf("interrupted r7.npy: shape %v, %v", shape, err)
	}

	// 45 steps with a checkpoint, then resumed to the end
	first := filepath.Join(dir, "first")
	if _, err := Run(context.Background(), prog, RunOptions{Options: Options{Steps: 45}, OutDir: first, Checkpoint: true}); err != nil {
		t.Fatal(err)
	}
	resumed := filepath.Join(dir, "resumed")
	if _, err := Run(context.Background(), prog, RunOptions{OutDir: resumed, Resume: filepath.Join(first, "red.checkpoint.npz")}); err != nil {
		t.Fatal(err)
	}
	checkReduced(t, "resumed r7.csv", plain, readCSV(t, filepath.Join(resumed, "r7.csv")), 7, 45, 100)
	checkReduced(t, "resumed r1.csv", plain, readCSV(t, filepath.Join(resumed, "r1.csv")), 1, 45, 100)
}

// TestRecordEverySample records a task's run every sample: the mean of
// y.r and the sum of the cost over each sample's 6 steps, against the
// every-step record.
func TestRecordEverySample(t *testing.T) {
	dir := t.TempDir()
	path := taskModel(t, dir, "shuffle = false", "epochs = 1")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src = append(src, "record mean(y.r), sum(cost), y.u every sample to \"s.csv\"\nrecord y.r, cost, y.u to \"p.csv\"\n"...)
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	prog := compile(t, path)
	if n := prog.Model.Records[0].Every; n != 6 {
		t.Fatalf("every sample is every %d steps; want 6", n)
	}
	out := filepath.Join(dir, "out")
	sum, err := Run(context.Background(), prog, RunOptions{OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	// 30 training samples in batches of 4 and 10 test ones: 8 + 3
	// batches of 6 steps
	if sum.Steps != 66 {
		t.Fatalf("%d steps", sum.Steps)
	}
	checkReduced(t, "s.csv", readCSV(t, filepath.Join(out, "p.csv")), readCSV(t, filepath.Join(out, "s.csv")), 6, 0, 66)
}

// TestRecordReductionAllocationFree: accumulating a reduced record's
// items and writing its rows allocates nothing per step.
func TestRecordReductionAllocationFree(t *testing.T) {
	dir := t.TempDir()
	prog := compileText(t, reduceModel).Program
	sim, err := New(prog, Options{Steps: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	recs, err := sim.newRecorders(1)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		r.path = filepath.Join(dir, r.name)
		if err := r.open(); err != nil {
			t.Fatal(err)
		}
		defer r.abort()
	}
	k := 0
	step := func() {
		if err := sim.Step(); err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if err := r.record(k, float64(k)); err != nil {
				t.Fatal(err)
			}
		}
		k++
	}
	for range 20 {
		step()
	}
	if allocs := testing.AllocsPerRun(70, step); allocs != 0 {
		t.Errorf("%g allocations per step", allocs)
	}
}
