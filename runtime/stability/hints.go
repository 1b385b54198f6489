package stability

import (
	"fmt"
	"math"
	"math/cmplx"

	"github.com/vlec-dev/vlec/lang/check"
)

// hint says what to change against an unstable loop of the given kind
// (CauseError, CauseNeuron or CauseNudging).
func (a *analysis) hint(r Row, kind string) string {
	m := a.prog.Model
	p := population(m, r.Population)
	weights := "the loop's weights"
	if r.Connection != "" {
		weights = "the weights of " + r.Connection
	}
	shrink := "(slightly)"
	if r.Radius > 1 {
		shrink = fmt.Sprintf("(by a factor below %.2g)", 1/r.Radius)
	}
	switch kind {
	case CauseError:
		if m.Sim.Method == check.GLE {
			ratio := ""
			if p != nil {
				ratio = fmt.Sprintf(" (tau_m/tau_r of %s is %s)", p.Name, ratioText(p.TauM.Values, p.TauR.Values))
			}
			return fmt.Sprintf("Weaken %s %s, raise tau_r toward tau_m%s: the error neuron passes ebar to e amplified by tau_m/tau_r within one step, whatever dt; or use method = le.", weights, shrink, ratio)
		}
		return fmt.Sprintf("Weaken %s %s; a smaller dt does not help, the error is fed back within one step.", weights, shrink)
	case CauseNeuron:
		if real(r.Eigenvalue) > 0 && math.Abs(cmplx.Phase(r.Eigenvalue)) < 0.1 {
			return fmt.Sprintf("The loop grows in continuous time too: weaken %s %s.", weights, shrink)
		}
		dt := ""
		if p != nil {
			dt = fmt.Sprintf(" (dt/tau_m of %s is %s, tau_r/tau_m %s)", p.Name, ratioText([]float64{a.prog.Dt}, p.TauM.Values), ratioText(p.TauR.Values, p.TauM.Values))
		}
		return fmt.Sprintf("The synchronous step overshoots: weaken %s, lower tau_r/tau_m (the prospective rate passes tau_r/tau_m of the loop's input on within one step) or dt%s.", weights, dt)
	default:
		tau := ""
		if p != nil {
			tau = fmt.Sprintf(" (tau_r/tau_m of %s is %s)", p.Name, ratioText(p.TauR.Values, p.TauM.Values))
		}
		return fmt.Sprintf("The errors nudge the membranes, whose rates drive the errors back within a step: lower beta (now %g) or the weights between the populations, or lower tau_r against tau_m%s.", a.prog.Beta, tau)
	}
}

// ratioText prints the range of a/b over the neurons ("2" or "1.5..2").
func ratioText(a, b []float64) string {
	if len(a) == 0 || len(b) == 0 {
		return "?"
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := 0; i < max(len(a), len(b)); i++ {
		x := a[min(i, len(a)-1)] / b[min(i, len(b)-1)]
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	if hi-lo <= 1e-9*math.Abs(hi) {
		return fmt.Sprintf("%.3g", lo)
	}
	return fmt.Sprintf("%.3g..%.3g", lo, hi)
}
