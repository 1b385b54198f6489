package spice

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/runtime"
)

// exampleCase is one exported example checked against vlec.
type exampleCase struct {
	file   string  // under ../../examples
	errors bool    // --with-errors (learning off)
	tstop  float64 // s
	tstep  float64 // the output grid, s
	fine   float64 // vlec's dt for the reference, s
	// samples exports only the first batch copies (0: all).
	samples int
	// tol is the largest relative error accepted (see relErr).
	tol float64
	// method, when set, replaces the model's method (le: errors
	// without error neurons).
	method check.Method
	// edges are the times the inputs jump: the rate jumps with them
	// (r = phi(u + tau_r du/dt) reads the input current at once), and the
	// output points within two steps of one are not compared.
	edges []float64
}

// exportExample exports the model at path as written (its dt) with the
// initial parameters vlec's runtime gives it.
func exportExample(t *testing.T, m *check.Model, opts Options) *Result {
	t.Helper()
	free := !opts.WithErrors || m.Sim.Method == check.Adjoint
	sys, prog := program(t, m, free)
	sim, err := runtime.New(prog, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	opts.Teacher = func(tc *check.Teacher) Values { return sim.Teacher(tc).Values }
	if opts.Data == "" {
		opts.Data = "out.data"
	}
	res, err := Export(sys, prog, sim.Values, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func load(t *testing.T, file string) *check.Model {
	t.Helper()
	path := filepath.Join("..", "..", "examples", file)
	if strings.HasPrefix(file, "testdata/") {
		path = file
	}
	m, _, err := check.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestExamplesAgreeWithVlec exports every example (and bench n1-n3),
// runs the netlist through ngspice and compares every population rate
// with vlec's own simulation of the same model at a fine dt.
func TestExamplesAgreeWithVlec(t *testing.T) {
	bin := needNgspice(t)
	cases := []exampleCase{
		{file: "chain2.vle", tstop: 10, tstep: 0.01, fine: 1e-4, tol: 1e-3},
		{file: "chain2.vle", errors: true, tstop: 10, tstep: 0.01, fine: 1e-4, tol: 1e-3},
		{file: "chain2.vle", method: check.LE, errors: true, tstop: 10, tstep: 0.01, fine: 1e-4, tol: 1e-3},
		{file: "mlp.vle", method: check.LE, errors: true, tstop: 10, tstep: 0.01, fine: 1e-4, tol: 1e-3},
		{file: "chain2_gamma0.vle", errors: true, tstop: 10, tstep: 0.01, fine: 1e-4, tol: 1e-3},
		{file: "chain2_teacher.vle", errors: true, tstop: 10, tstep: 0.01, fine: 1e-4, tol: 1e-3},
		{file: "chain2_adjoint.vle", tstop: 10, tstep: 0.01, fine: 1e-4, tol: 1e-3},
		{file: "mlp.vle", tstop: 10, tstep: 0.01, fine: 1e-4, tol: 1e-3},
		{file: "mlp.vle", errors: true, tstop: 10, tstep: 0.01, fine: 1e-4, tol: 1e-3},
		{file: "mlp_gamma0.vle", errors: true, tstop: 10, tstep: 0.01, fine: 1e-4, tol: 1e-3},
		{file: "mlp_teacher.vle", tstop: 10, tstep: 0.01, fine: 1e-4, tol: 1e-3},
		{file: "bench/n1.vle", tstop: 1, tstep: 0.001, fine: 1e-5, tol: 1e-3},
		{file: "bench/n1.vle", errors: true, tstop: 1, tstep: 0.001, fine: 1e-5, tol: 1e-3},
		{file: "bench/n2.vle", tstop: 0.2, tstep: 0.001, fine: 1e-5, tol: 1e-3},
		{file: "bench/n2.vle", errors: true, tstop: 0.01, tstep: 0.001, fine: 1e-5, tol: 1e-3},
		// Sums of sinusoids (SIN sources), B sources in time; the step
		// and the square wave make the rate jump at their edges.
		{file: "testdata/stimuli.vle", tstop: 4, tstep: 0.001, fine: 1e-5, tol: 1e-3, edges: []float64{0.6, 1.03, 2, 2.6, 4}},
		{file: "bench/n3.vle", samples: 2, tstop: 0.2, tstep: 0.001, fine: 1e-5, tol: 1e-3},
	}
	for _, c := range cases {
		name := c.file
		if c.method != "" {
			name += "/" + string(c.method)
		}
		if c.errors {
			name += "/with-errors"
		}
		t.Run(name, func(t *testing.T) {
			m := load(t, c.file)
			if c.method != "" {
				m.Sim.Method = c.method
			}
			res := exportExample(t, m, Options{Tstop: c.tstop, Tstep: c.tstep, WithErrors: c.errors, Samples: c.samples})
			run := runNgspice(t, bin, res, "out.data")
			want := reference(t, c.file, c.method, c.errors, c.samples, res.Columns, c.fine, c.tstep, c.tstop)
			// Row 0 (t = 0) is left out: vlec's first step reads the rates
			// of the zero initial state (r = 0, not phi(0)), one fine step
			// of difference the circuit, which starts at rest with r =
			// phi(uhat_r), does not have.
			got := dropNear(run.rows, c.edges, 2*c.tstep)
			err, which := relErr(got, dropNear(want, c.edges, 2*c.tstep), res.Columns, 1)
			t.Logf("%s: max relative error %.3g (%s), %d elements, ngspice %v", name, err, which, res.Elements, run.wall)
			if err > c.tol {
				t.Errorf("max relative error %.3g (%s) > %g", err, which, c.tol)
			}
		})
	}
}

// reference is vlec's trajectory of the columns, extrapolated to dt -> 0
// from runs at dt = fine and fine/2 (Richardson: vlec's forward Euler
// scheme is first order, so 2 y(dt/2) - y(dt) cancels the O(dt) error
// and leaves O(dt^2)). With errors, learning is off.
func reference(t *testing.T, file string, method check.Method, errors bool, samples int, cols []Column, fine, tstep, tstop float64) [][]float64 {
	t.Helper()
	run := func(dt float64) [][]float64 {
		m := load(t, file)
		if method != "" {
			m.Sim.Method = method
		}
		refine(m, dt)
		if samples > 0 && !errors { // the copies are independent
			m.Sim.Batch = samples
		}
		free := !errors || m.Sim.Method == check.Adjoint
		if !free {
			m.Sim.LearnAfter = m.Sim.Steps + 1
		}
		_, prog := program(t, m, free)
		return trace(t, prog, cols, tstep, tstop)
	}
	coarse, half := run(fine), run(fine/2)
	for j := range half {
		for i := range half[j] {
			half[j][i] = 2*half[j][i] - coarse[j][i]
		}
	}
	return half
}

// dropNear returns rows (row j at time j*step... as the grid gives it)
// without those within d of an edge; rows[j] is at time j*d/2 when d is
// two output steps.
func dropNear(rows [][]float64, edges []float64, d float64) [][]float64 {
	if len(edges) == 0 {
		return rows
	}
	var out [][]float64
	for j, r := range rows {
		t := float64(j) * d / 2
		near := false
		for _, e := range edges {
			near = near || math.Abs(t-e) <= d
		}
		if !near {
			out = append(out, r)
		}
	}
	return out
}
