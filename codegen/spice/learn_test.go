package spice

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
)

// meanOver is the mean of column i of rows whose time (column 0 of
// times) lies in [from, to).
func meanOver(rows [][]float64, times []float64, i int, from, to float64) float64 {
	s, n := 0.0, 0
	for j, r := range rows {
		if times[j] >= from && times[j] < to {
			s += r[i]
			n++
		}
	}
	return s / float64(n)
}

// TestChain2Learns exports chain2 (the LagLine) with --learn, runs it
// through ngspice and compares the cost and the learned parameters with
// vlec learning the same model at a fine dt (the learning rate scaled
// with dt, so that the rate per second lr/dt is the model's).
func TestChain2Learns(t *testing.T) {
	bin := needNgspice(t)
	const tstop, tstep = 30.0, 0.01
	m := load(t, "chain2.vle")
	res := exportExample(t, m, Options{Learn: true, Tstop: tstop, Tstep: tstep})
	run := runNgspice(t, bin, res, "out.data")
	cols := res.Columns
	refAt := func(dt float64) [][]float64 {
		fm := load(t, "chain2.vle")
		refine(fm, dt)
		_, prog := program(t, fm, false)
		return trace(t, prog, cols, tstep, tstop)
	}
	fine, half := refAt(1e-3), refAt(5e-4)
	want := make([][]float64, len(half))
	for j := range half {
		want[j] = make([]float64, len(half[j]))
		for i := range half[j] {
			want[j][i] = 2*half[j][i] - fine[j][i]
		}
	}
	model := refAt(m.Sim.Dt)
	times := make([]float64, len(run.rows))
	got := make([][]float64, len(run.rows))
	for j, r := range run.rows {
		times[j], got[j] = r[0], r[1:]
	}
	last := len(got) - 1
	for i, c := range cols {
		if c.Sample >= 0 && c.Name != "cost" {
			continue
		}
		if c.Name == "cost" {
			before := [2]float64{meanOver(got, times, i, 0, 5), meanOver(want, times, i, 0, 5)}
			after := [2]float64{meanOver(got, times, i, 25, 30), meanOver(want, times, i, 25, 30)}
			t.Logf("cost, mean over 0-5 s (before learning) -> 25-30 s: circuit %.4g -> %.4g, vlec %.4g -> %.4g", before[0], after[0], before[1], after[1])
			if after[0] > 0.5*before[0] {
				t.Errorf("the circuit's cost fell from %.4g only to %.4g", before[0], after[0])
			}
			if r := math.Abs(after[0]-after[1]) / after[1]; r > 0.05 {
				t.Errorf("the circuit's final cost %.4g is %.2g relative from vlec's %.4g", after[0], r, after[1])
			}
			continue
		}
		g, w, start := got[last][i], want[last][i], got[0][i]
		rel := math.Abs(g-w) / math.Abs(w-start)
		t.Logf("%s: %.6g -> circuit %.6g, vlec (dt -> 0) %.6g, vlec (dt = %g) %.6g; difference %.2g of vlec's change", c.label(), start, g, w, m.Sim.Dt, model[last][i], rel)
		if rel > 0.01 {
			t.Errorf("%s: the circuit ends at %.6g, vlec at %.6g: %.2g of the change", c.label(), g, w, rel)
		}
	}
	t.Logf("ngspice %v for %g s", run.wall, tstop)
}

// TestRscaleKeepsValues runs chain2 with --learn at R = 1 ohm and at R =
// 1 Mohm (C = tau/R: microfarads, currents in microamperes): the node
// voltages, which are the model's values, must not change. The second
// netlist writes its columns to three data files.
func TestRscaleKeepsValues(t *testing.T) {
	bin := needNgspice(t)
	m := load(t, "chain2.vle")
	var runs [2]*ngspiceRun
	var cols []Column
	for k, r := range []float64{1, 1e6} {
		// The second run also spreads its 7 columns over 3 data files.
		res := exportExample(t, m, Options{Learn: true, Tstop: 10, Tstep: 0.01, Rscale: r, ColumnsPerFile: 3 * k})
		if want := []string{"out.data", "out.2.data", "out.3.data"}[:1+2*k]; strings.Join(res.DataFiles, " ") != strings.Join(want, " ") {
			t.Errorf("data files %v, want %v", res.DataFiles, want)
		}
		runs[k], cols = runNgspice(t, bin, res, "out.data"), res.Columns
	}
	want := make([][]float64, len(runs[0].rows))
	for j, r := range runs[0].rows {
		want[j] = r[1:]
	}
	if err, which := relErr(runs[1].rows, want, cols, 0); err > 1e-5 {
		t.Errorf("R = 1 Mohm differs from R = 1 ohm by %.3g (%s)", err, which)
	}
}

// TestOverflowClamped runs a model whose rate exp(uhat_r) would reach
// e^1000: ngspice must finish with finite numbers, the exponent clamped
// at 80 in the expression.
func TestOverflowClamped(t *testing.T) {
	bin := needNgspice(t)
	res, err := exportFile(t, "testdata/overflow.vle", Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := runNgspice(t, bin, res, "out.data") // fails on a non-finite number
	peak := 0.0
	for _, r := range run.rows {
		peak = math.Max(peak, r[1])
	}
	if want := math.Exp(expLimit); math.Abs(peak-want) > 1e-6*want {
		t.Errorf("h.r peaks at %g, want the clamp e^%d = %g", peak, expLimit, want)
	}
}

// TestLearnsLikeVlec exports models with --learn and compares every
// column, rates, cost and learned parameters, with vlec learning at a
// fine dt (Richardson-extrapolated): testdata/sparse.vle (one_to_one,
// sparse recurrent and dense plastic connections, learnable biases, a
// batch of two) and testdata/extras.vle (weight decay, a homeostatic term
// with a learnable param, a lateral connection, per-neuron gamma, method
// le).
func TestLearnsLikeVlec(t *testing.T) {
	bin := needNgspice(t)
	cases := []struct {
		file        string
		tstop, fine float64
		// skip is the output points left out at the start: vlec's
		// nudging loop, which reads the previous step's errors, settles
		// over a number of its steps (not a time), which the
		// extrapolation does not remove.
		skip int
	}{
		{"testdata/sparse.vle", 3, 1e-5, 1},
		{"testdata/extras.vle", 3, 1e-5, 20},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			const tstep = 0.001
			m := load(t, c.file)
			res := exportExample(t, m, Options{Learn: true, Tstop: c.tstop, Tstep: tstep})
			run := runNgspice(t, bin, res, "out.data")
			refAt := func(dt float64) [][]float64 {
				fm := load(t, c.file)
				refine(fm, dt)
				_, prog := program(t, fm, false)
				return trace(t, prog, res.Columns, tstep, c.tstop)
			}
			fine, half := refAt(c.fine), refAt(c.fine/2)
			for j := range half {
				for i := range half[j] {
					half[j][i] = 2*half[j][i] - fine[j][i]
				}
			}
			err, which := relErr(run.rows, half, res.Columns, c.skip)
			t.Logf("%s: max relative error %.3g (%s), %d elements, ngspice %v", c.file, err, which, res.Elements, run.wall)
			if err > 1e-3 {
				t.Errorf("max relative error %.3g (%s) > 1e-3", err, which)
			}
			if c.file == "testdata/sparse.vle" {
				checkMasks(t, res.Columns)
			}
		})
	}
}

// checkMasks checks that sparse.vle's learned weights off the masks have
// no node: 4 on the diagonal of V, R's nonzero initial entries, all 8 of
// W.
func checkMasks(t *testing.T, cols []Column) {
	t.Helper()
	nodes := map[string]int{}
	for _, c := range cols {
		if c.Sample < 0 {
			nodes[c.Name]++
		}
	}
	if nodes["V"] != 4 || nodes["W"] != 8 || nodes["R"] == 0 || nodes["R"] == 16 || nodes["h.b"] != 4 {
		t.Errorf("learned entries with a node: %v; want V 4, W 8, h.b 4 and R between", nodes)
	}
}

// TestFileSignalsLearn exports testdata/filein.vle, whose input and
// teacher are files, with --learn: PWL sources through the values vlec
// reads. The reference runs vlec at a fine dt on the files' values
// interpolated linearly (what the PWL sources are between the steps),
// written with a copy of the model into a temporary directory.
func TestFileSignalsLearn(t *testing.T) {
	bin := needNgspice(t)
	// 1.99 s: the run's last step is at 1.999 s; after it the PWL
	// sources hold the last value.
	const tstop, tstep = 1.99, 0.001
	m := load(t, "testdata/filein.vle")
	vals := map[string][]float64{
		"x": readCSV(t, "testdata/filein.csv", 2001),
		"D": readCSV(t, "testdata/filein_target.csv", 2001),
	}
	opts := Options{Learn: true, Tstop: tstop, Tstep: tstep}
	opts.Series = func(bufs []*schedule.Buffer, steps int) ([][]float64, error) {
		out := make([][]float64, len(bufs))
		for i, b := range bufs {
			out[i] = vals[b.Name][:steps*b.Size()]
		}
		return out, nil
	}
	res := exportExample(t, m, opts)
	run := runNgspice(t, bin, res, "out.data")
	refAt := func(dt float64) [][]float64 {
		dir := t.TempDir()
		k := int(math.Round(1e-3 / dt))
		for _, f := range []string{"filein.csv", "filein_target.csv"} {
			writeCSV(t, filepath.Join(dir, f), interpolate(readRows(t, filepath.Join("testdata", f)), k))
		}
		src, err := os.ReadFile("testdata/filein.vle")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "filein.vle"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		fm, _, err := check.Load(filepath.Join(dir, "filein.vle"))
		if err != nil {
			t.Fatal(err)
		}
		refine(fm, dt)
		_, fprog := program(t, fm, false)
		return trace(t, fprog, res.Columns, tstep, tstop)
	}
	coarse, half := refAt(1e-4), refAt(5e-5)
	for j := range half {
		for i := range half[j] {
			half[j][i] = 2*half[j][i] - coarse[j][i]
		}
	}
	// The first 20 ms are left out: at the start the error of y (e = v +
	// tau_m dv/dt, from rest) nudges the membranes at once, and vlec's
	// nudging loop, which reads the errors of the previous step, settles
	// over a few tens of its steps, a transient that lasts a number of
	// steps, not a time (so it shrinks with dt but is not removed by the
	// extrapolation); after it the two agree to 1e-6.
	err, which := relErr(run.rows, half, res.Columns, 20)
	t.Logf("max relative error %.3g (%s), %d elements, ngspice %v", err, which, res.Elements, run.wall)
	if err > 1e-3 {
		t.Errorf("max relative error %.3g (%s) > 1e-3", err, which)
	}
}

// readRows reads a CSV of numbers with a header line.
func readRows(t *testing.T, path string) [][]float64 {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]float64
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n")[1:] {
		var row []float64
		for _, f := range strings.Split(line, ",") {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatal(err)
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	return rows
}

// readCSV reads the first n rows of a CSV, flattened.
func readCSV(t *testing.T, path string, n int) []float64 {
	var out []float64
	for _, r := range readRows(t, path)[:n] {
		out = append(out, r...)
	}
	return out
}

// interpolate puts k-1 rows linearly between consecutive rows.
func interpolate(rows [][]float64, k int) [][]float64 {
	var out [][]float64
	for j := 0; j+1 < len(rows); j++ {
		for s := range k {
			f := float64(s) / float64(k)
			row := make([]float64, len(rows[j]))
			for i := range row {
				row[i] = (1-f)*rows[j][i] + f*rows[j+1][i]
			}
			out = append(out, row)
		}
	}
	return append(out, rows[len(rows)-1])
}

func writeCSV(t *testing.T, path string, rows [][]float64) {
	t.Helper()
	var w strings.Builder
	w.WriteString(strings.TrimSuffix(strings.Repeat("c,", len(rows[0])), ",") + "\n")
	for _, r := range rows {
		for i, v := range r {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		w.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(w.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
