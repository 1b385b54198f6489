package stability_test

import (
	"fmt"
	"math"
	"math/cmplx"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/runtime"
	"github.com/vlec-dev/vlec/runtime/stability"
)

// lateralModel: two linear neurons with a symmetric lateral connection of
// strength s (eigenvalues +-s) and gle errors (tau_m/tau_r = 2), feeding
// a linear output nudged towards 0.5. The weights are asymmetric so that
// every mode is excited.
const lateralModel = `model lateral
import "std/gle"
sim { dt = 1ms; duration = 2s; batch = 1; method = %s; learn_after = 0s }
input x[2] = 1
population h[2] : gle(tau_m = 10ms, tau_r = 5ms, phi = %s)
population y[1] : gle(tau_m = 10ms, tau_r = 5ms, phi = linear)
connect x -> h W0 = [[1, 0.2], [0.3, 0.5]] plastic
connect h -> h R = [[0, %[3]g], [%[3]g, 0]] plastic
connect h -> y W1 = [[1, 0.7]] plastic
const beta = 0.1
energy {
  mismatch(h) + mismatch(y)
  beta * mse(y.r, 0.5)
}
learn { lr = 0.001 }
`

// lateralSine is lateralModel with tanh hidden neurons driven by a sine
// (a constant input would saturate them and quench the loops).
func lateralSine(method string, s float64) string {
	return strings.Replace(fmt.Sprintf(lateralModel, method, "tanh", s), "input x[2] = 1", "input x[2] = sine(freq = 1Hz)", 1)
}

// nudgeModel: x -> h -> y with the cost weighted by beta = s.
const nudgeModel = `model nudge
import "std/gle"
sim { dt = 1ms; duration = 2s; batch = 1; method = gle; learn_after = 0s }
input x[1] = sine(freq = 1Hz)
population h[1] : gle(tau_m = 10ms, tau_r = 5ms, phi = %s)
population y[1] : gle(tau_m = 10ms, tau_r = 5ms, phi = linear)
connect x -> h W0 = [[0.8]] plastic
connect h -> y W1 = [[0.6]] plastic
const beta = %g
energy {
  mismatch(h) + mismatch(y)
  beta * mse(y.r, 0.5)
}
learn { lr = 0.001 }
`

// singleModel: one linear gle population nudged with beta = s; the
// whole-step Jacobian has the eigenvalue -beta exactly.
const singleModel = `model single
import "std/gle"
sim { dt = 1ms; duration = 2s; batch = 1; method = gle; learn_after = 0s }
input x[1] = sine(freq = 1Hz)
population y[1] : gle(tau_m = 10ms, tau_r = %gms, phi = linear)
connect x -> y W = [[0.6]] plastic
const beta = %g
energy {
  mismatch(y)
  beta * mse(y.r, 0.5)
}
learn { lr = 0.001 }
`

// compile writes a model into a temporary directory and compiles it.
func compile(t *testing.T, src string) *vlec.Compiled {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.vle")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	c, sources, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		t.Fatalf("%s\n%s", sources.Format(err), src)
	}
	return c
}

// runBehaviour runs a model's program with learning off for n steps and
// measures, over every state, the growth (the largest value of the last
// quarter over that of the first quarter; +Inf when a value becomes
// non-finite) and the step-scale oscillation: the largest change of a
// state buffer in one step, after the first 50 steps, relative to the
// largest value the buffer takes in the run.
func runBehaviour(t *testing.T, prog *schedule.Program, n int) (growth, osc float64) {
	t.Helper()
	p := *prog
	p.LearnAfter = math.MaxInt
	sim, err := runtime.New(&p, runtime.Options{NoGuard: true, Steps: n})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	var states []*schedule.Buffer
	for _, b := range p.Buffers {
		if b.Kind == schedule.State {
			states = append(states, b)
		}
	}
	prev := make([][]float64, len(states))
	size := make([]float64, len(states))   // largest value of each buffer
	change := make([]float64, len(states)) // largest one-step change after step 50
	early, late := 0.0, 0.0
	for k := 0; k < n; k++ {
		if err := sim.Step(); err != nil {
			t.Fatal(err)
		}
		big := 0.0
		for i, b := range states {
			v := sim.Values(b)
			for j, x := range v {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return math.Inf(1), math.Inf(1)
				}
				big = math.Max(big, math.Abs(x))
				size[i] = math.Max(size[i], math.Abs(x))
				if prev[i] != nil && k >= 50 {
					change[i] = math.Max(change[i], math.Abs(x-prev[i][j]))
				}
			}
			prev[i] = append(prev[i][:0], v...)
		}
		if k < n/4 {
			early = math.Max(early, big)
		}
		if k >= n-n/4 {
			late = math.Max(late, big)
		}
	}
	for i := range states {
		if size[i] > 0 {
			osc = math.Max(osc, change[i]/size[i])
		}
	}
	if early == 0 {
		return 1, osc
	}
	return late / early, osc
}

// blowsUp is what a user sees as a broken run: the states grow tenfold
// within the run, or they oscillate at the step's own frequency (a change
// of half their size from one step to the next).
func blowsUp(growth, osc float64) bool { return growth > 10 || osc > 0.5 }

// onset finds by bisection the smallest s in (lo, hi] at which f holds,
// given that it does not at lo and does at hi, to within tol.
func onset(t *testing.T, lo, hi, tol float64, f func(float64) bool) float64 {
	t.Helper()
	if f(lo) || !f(hi) {
		t.Fatalf("no change of behaviour between %g and %g", lo, hi)
	}
	for hi-lo > tol {
		mid := (lo + hi) / 2
		if f(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// sweep compares the scale at which the analysis starts to warn with the
// scale at which runs of 1500 steps start to blow up.
func sweep(t *testing.T, model func(s float64) string, lo, hi float64) (warn, blow float64) {
	warn = onset(t, lo, hi, 1e-3*hi, func(s float64) bool {
		rep, err := stability.Analyze(compile(t, model(s)).Program, nil)
		if err != nil {
			t.Fatal(err)
		}
		return rep.Flagged()
	})
	blow = onset(t, lo, hi, 1e-3*hi, func(s float64) bool {
		return blowsUp(runBehaviour(t, compile(t, model(s)).Program, 1500))
	})
	// a coarse table for the log
	var w strings.Builder
	for i := 0; i <= 8; i++ {
		s := lo + (hi-lo)*float64(i)/8
		c := compile(t, model(s))
		rep, err := stability.Analyze(c.Program, nil)
		if err != nil {
			t.Fatal(err)
		}
		g, o := runBehaviour(t, c.Program, 1500)
		fmt.Fprintf(&w, "  s = %.4f  radius %.4f  warns %-5v  run growth %-9.3g oscillation %-7.3g blows up %v\n",
			s, rep.Rows[0].Radius, rep.Flagged(), g, o, blowsUp(g, o))
	}
	t.Logf("warning from s = %.4f, runs blow up from s = %.4f (relative difference %.1f%%)\n%s",
		warn, blow, 100*math.Abs(warn-blow)/blow, w.String())
	return warn, blow
}

// TestSweepLateral scales a lateral connection: the warning threshold and
// the divergence threshold of actual runs agree within 10% (measured:
// within 1%).
func TestSweepLateral(t *testing.T) {
	warn, blow := sweep(t, func(s float64) string { return fmt.Sprintf(lateralModel, "gle", "linear", s) }, 0.3, 0.8)
	if math.Abs(warn-blow) > 0.1*blow {
		t.Errorf("warning from %g, runs blow up from %g: more than 10%% apart", warn, blow)
	}
}

// TestSweepBeta scales the nudging strength beta of a linear two-layer
// network: thresholds within 10% (measured: 1%; the runs count a barely
// damped step-scale oscillation as blowing up too).
func TestSweepBeta(t *testing.T) {
	warn, blow := sweep(t, func(s float64) string { return fmt.Sprintf(nudgeModel, "linear", s) }, 0.4, 1.4)
	if math.Abs(warn-blow) > 0.1*blow {
		t.Errorf("warning from %g, runs blow up from %g: more than 10%% apart", warn, blow)
	}
}

// TestSweepBetaTanh: the same with a saturating hidden layer. The
// linearisation near the initial state, where tanh' is largest, holds
// where the runs oscillate most (whenever the input crosses zero), so the
// thresholds still agree within 10% (measured: the warning 3% earlier).
func TestSweepBetaTanh(t *testing.T) {
	warn, blow := sweep(t, func(s float64) string { return fmt.Sprintf(nudgeModel, "tanh", s) }, 0.4, 1.4)
	if math.Abs(warn-blow) > 0.1*blow {
		t.Errorf("warning from %g, runs blow up from %g: more than 10%% apart", warn, blow)
	}
}

// TestSinglePopulationEigenvalue: a lone linear gle population nudged
// with strength beta has the whole-step eigenvalue -beta whatever tau_r:
// the error neuron amplifies ebar by tau_m/tau_r and the prospective rate
// passes tau_r/tau_m of it on within the step. beta = 1 oscillates
// without damping (the runs keep a step-scale oscillation) and is flagged
// as undamped; beta = 1.2 is unstable.
func TestSinglePopulationEigenvalue(t *testing.T) {
	for _, tc := range []struct {
		tauR, beta float64
		flagged    bool
	}{{5, 0.5, false}, {9, 0.95, false}, {9, 1, true}, {5, 1, true}, {2, 1.2, true}} {
		c := compile(t, fmt.Sprintf(singleModel, tc.tauR, tc.beta))
		rep, err := stability.Analyze(c.Program, nil)
		if err != nil {
			t.Fatal(err)
		}
		row := rep.Rows[0]
		want := complex(-tc.beta, 0)
		if tc.beta < 0.9 {
			want = 0.9 // the membrane's own decay, 1 - dt/tau_m, dominates
		}
		if cmplx.Abs(row.Eigenvalue-want) > 1e-6 {
			t.Errorf("tau_r %gms, beta %g: eigenvalue %v, want %v", tc.tauR, tc.beta, row.Eigenvalue, want)
		}
		if rep.Flagged() != tc.flagged {
			t.Errorf("tau_r %gms, beta %g: flagged %v, want %v\n%s", tc.tauR, tc.beta, rep.Flagged(), tc.flagged, rep.Table())
		}
		g, o := runBehaviour(t, c.Program, 1500)
		if blowsUp(g, o) != tc.flagged {
			t.Errorf("tau_r %gms, beta %g: run growth %g, oscillation %g; the analysis says flagged = %v", tc.tauR, tc.beta, g, o, tc.flagged)
		}
		if tc.beta == 1 && !rep.Rows[0].Undamped {
			t.Errorf("beta 1: want an undamped row:\n%s", rep.Table())
		}
	}
}

// largestState runs a program as it is (learning included) for n steps
// and returns the largest magnitude any state reaches (+Inf when one
// becomes non-finite).
func largestState(t *testing.T, prog *schedule.Program, n int) float64 {
	t.Helper()
	sim, err := runtime.New(prog, runtime.Options{NoGuard: true, Steps: n})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	big := 0.0
	for k := 0; k < n; k++ {
		if err := sim.Step(); err != nil {
			t.Fatal(err)
		}
		for _, b := range prog.Buffers {
			if b.Kind != schedule.State {
				continue
			}
			for _, x := range sim.Values(b) {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return math.Inf(1)
				}
				big = math.Max(big, math.Abs(x))
			}
		}
	}
	return big
}

// TestLateralLoopGLEvsLE: a plastic lateral loop of gain
// (tau_m/tau_r) * rho(R^T) = 2 * 0.65 = 1.3 makes gle's error loop
// unstable (the warning names h, the error loop and R) but not le's.
// Without learning the gle run's errors flip sign every step whenever the
// input crosses zero (tanh' near 1) and calm down when the membranes
// saturate; with learning the lateral weights run away and the states
// reach 1e3. The le run stays calm with and without learning.
func TestLateralLoopGLEvsLE(t *testing.T) {
	for _, method := range []string{"gle", "le"} {
		c := compile(t, lateralSine(method, 0.65))
		rep, err := stability.Analyze(c.Program, nil)
		if err != nil {
			t.Fatal(err)
		}
		g, o := runBehaviour(t, c.Program, 1500)
		learning := largestState(t, c.Program, 2000)
		ws := rep.Warnings()
		t.Logf("%s: without learning run growth %.3g, oscillation %.3g; with learning the largest state %.3g\n%s%s",
			method, g, o, learning, rep.Table(), strings.Join(ws, "\n"))
		if method == "le" {
			if len(ws) > 0 || blowsUp(g, o) || learning > 10 {
				t.Errorf("le: %d warnings, run blows up %v, largest state with learning %g; want none", len(ws), blowsUp(g, o), learning)
			}
			continue
		}
		if !blowsUp(g, o) || learning < 100 {
			t.Errorf("gle: the run does not blow up (growth %g, oscillation %g, largest state with learning %g)", g, o, learning)
		}
		if len(ws) != 1 {
			t.Fatalf("gle: %d warnings, want 1", len(ws))
		}
		w := ws[0]
		for _, part := range []string{"warning: model lateral: population h", "the error loop through connection R", "tau_m/tau_r of h is 2", "method = le"} {
			if !strings.Contains(w, part) {
				t.Errorf("gle warning lacks %q:\n%s", part, w)
			}
		}
		row := rep.Rows[0]
		if row.Cause != stability.CauseError || row.Population != "h" || row.Connection != "R" {
			t.Errorf("gle: row %+v, want the error loop of h through R", row)
		}
		var errRow *stability.Row
		for i := range rep.Rows {
			if rep.Rows[i].Loop == stability.LoopError {
				errRow = &rep.Rows[i]
				break
			}
		}
		if errRow == nil || !errRow.Unstable {
			t.Errorf("gle: the error loop alone should be unstable:\n%s", rep.Table())
		}
	}
}

// TestNudgingWarning: examples/bench/n1.vle with beta = 1 oscillates (the
// reason the benchmark uses beta = 0.1); the warning blames the nudging
// loop and says to lower beta.
func TestNudgingWarning(t *testing.T) {
	src, err := os.ReadFile("../../examples/bench/n1.vle")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), "const beta = 0.1", "const beta = 1", 1)
	text = strings.Replace(text, "duration = 1000s", "duration = 2s", 1)
	if !strings.Contains(text, "const beta = 1\n") {
		t.Fatal("n1.vle no longer sets beta = 0.1")
	}
	c := compile(t, text)
	rep, err := stability.Analyze(c.Program, nil)
	if err != nil {
		t.Fatal(err)
	}
	ws := rep.Warnings()
	if len(ws) != 1 || !strings.Contains(ws[0], "the nudging loop") || !strings.Contains(ws[0], "lower beta") {
		t.Errorf("want one warning about the nudging loop:\n%s\n%s", strings.Join(ws, "\n"), rep.Table())
	}
	if g, o := runBehaviour(t, c.Program, 1500); !blowsUp(g, o) {
		t.Errorf("the run does not blow up (growth %g, oscillation %g)", g, o)
	}
}
