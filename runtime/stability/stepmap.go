package stability

import (
	"fmt"
	"math"

	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/runtime"
)

// fdStep is the relative step of the central finite differences: the
// perturbation of an entry x is about fdStep * max(1, |x|). Central
// differences err by about h^2 |f”'| / 6 (truncation) plus eps |f| / h
// (rounding); with h = 1e-5 both are near 1e-10 for the model's smooth
// functions.
const fdStep = 1e-5

// variable is a state buffer of sample 0 laid out in the state vector.
type variable struct {
	buf  *schedule.Buffer
	off  int  // offset in the state vector
	read bool // the step reads its previous value (else its Jacobian column is zero)
}

// size is the number of entries of the variable.
func (v variable) size() int { return v.buf.Size() }

// point is the linearisation point: sample 0 of every buffer a step
// reads and does not compute (states, inputs, targets, parameters,
// constants), taken from a settled simulation.
type point map[int][]float64 // buffer ID -> values of sample 0

// capture copies sample 0 of the buffers of the given kinds from sim.
func (pt point) capture(sim *runtime.Sim, prog *schedule.Program, kinds ...schedule.Kind) {
	want := map[schedule.Kind]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	for _, b := range prog.Buffers {
		if !want[b.Kind] {
			continue
		}
		v := sim.Values(b)
		n := min(b.Size(), len(v))
		pt[b.ID] = append([]float64(nil), v[:n]...)
	}
}

// settle runs a copy of prog with learning off for the given number of
// steps and returns the linearisation point: the states after those steps
// and the inputs and targets of the next step, for sample 0.
func settle(prog *schedule.Program, steps int) (point, error) {
	p := *prog
	p.LearnAfter = math.MaxInt
	sim, err := runtime.New(&p, runtime.Options{NoGuard: true})
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	for k := 0; k < steps; k++ {
		if err := sim.Step(); err != nil {
			return nil, err
		}
	}
	pt := point{}
	pt.capture(sim, prog, schedule.State)
	// One more step fills the inputs and targets of step `steps`; the
	// states it writes are not used.
	if err := sim.Step(); err != nil {
		return nil, err
	}
	pt.capture(sim, prog, schedule.Param, schedule.Const, schedule.Input, schedule.Target)
	for _, b := range prog.Buffers {
		for i, x := range pt[b.ID] {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("%s[%d] is %v after %d steps without learning: the model has no finite point to linearise around", b.Name, i, x, steps)
			}
		}
	}
	return pt, nil
}

// linearProgram is a copy of prog for one sample with no stimuli, no
// teachers and learning off: its inputs and targets keep the values
// written into them. The kernels writing a buffer of zero (next halves of
// error states, for the neuron loop) are replaced by kernels zeroing it.
// prog itself is not changed.
func linearProgram(prog *schedule.Program, zero map[*schedule.Buffer]bool) *schedule.Program {
	p := *prog
	p.Batch = 1
	p.LearnAfter = math.MaxInt
	p.Inputs = map[*check.Input]*schedule.Buffer{}
	p.Targets = nil
	p.Teachers = nil
	if len(zero) > 0 {
		p.Kernels = make([]*schedule.Kernel, len(prog.Kernels))
		for i, k := range prog.Kernels {
			if zero[k.Dst] && k.Phase != schedule.PhaseLearn {
				k = &schedule.Kernel{Op: schedule.OpZero, Phase: k.Phase, Dst: k.Dst, Note: "held at zero"}
			}
			p.Kernels[i] = k
		}
	}
	return &p
}

// stepMap is one step of a program as a map of the state vector of one
// sample, x_{k-1} -> x_k, with the inputs, targets and parameters held at
// their values at the linearisation point and learning off.
type stepMap struct {
	sim  *runtime.Sim
	vars []variable         // the states the step writes, in program order
	held []*schedule.Buffer // states it does not write: held at their point value
	pt   point
	n    int
	x0   []float64 // the linearisation point
	// scratch
	xp, xm, fp, fm []float64
	steps          int // steps run
}

// newStepMap builds the step map of prog (with the writers of zero
// replaced by zeroing kernels) around pt.
func newStepMap(prog *schedule.Program, pt point, zero map[*schedule.Buffer]bool) (*stepMap, error) {
	lp := linearProgram(prog, zero)
	sim, err := runtime.New(lp, runtime.Options{NoGuard: true})
	if err != nil {
		return nil, err
	}
	m := &stepMap{sim: sim, pt: pt}
	written, read := map[*schedule.Buffer]bool{}, map[*schedule.Buffer]bool{}
	for _, k := range lp.Kernels {
		if k.Phase == schedule.PhaseLearn {
			continue
		}
		written[k.Dst] = true
		for _, a := range k.Args {
			read[a] = true
		}
		if k.Space != nil {
			read[k.Space] = true
		}
	}
	for _, b := range lp.Buffers {
		switch b.Kind {
		case schedule.State:
			if b.Next == nil || !written[b.Next] {
				m.held = append(m.held, b)
				continue
			}
			m.vars = append(m.vars, variable{buf: b, off: m.n, read: read[b]})
			m.n += b.Size()
		case schedule.Next, schedule.Temp:
		default:
			if v, ok := pt[b.ID]; ok {
				copy(sim.Values(b), v)
			}
		}
	}
	m.x0 = make([]float64, m.n)
	for _, v := range m.vars {
		copy(m.x0[v.off:v.off+v.size()], pt[v.buf.ID])
	}
	m.xp, m.xm = make([]float64, m.n), make([]float64, m.n)
	m.fp, m.fm = make([]float64, m.n), make([]float64, m.n)
	return m, nil
}

// close releases the simulator.
func (m *stepMap) close() { m.sim.Close() }

// apply writes the state after one step from x into out.
func (m *stepMap) apply(x, out []float64) error {
	for _, b := range m.held {
		v := m.pt[b.ID]
		copy(m.sim.Values(b), v)
		if b.Next != nil {
			copy(m.sim.Values(b.Next), v)
		}
	}
	for _, v := range m.vars {
		seg := x[v.off : v.off+v.size()]
		copy(m.sim.Values(v.buf), seg)
		copy(m.sim.Values(v.buf.Next), seg)
	}
	if err := m.sim.Step(); err != nil {
		return err
	}
	m.steps++
	for _, v := range m.vars {
		copy(out[v.off:v.off+v.size()], m.sim.Values(v.buf))
	}
	return nil
}

// jvp writes J v into out, J the Jacobian of the step at x0, by central
// differences along v.
func (m *stepMap) jvp(v, out []float64) error {
	vmax, xmax := 0.0, 1.0
	for i, x := range v {
		vmax = math.Max(vmax, math.Abs(x))
		xmax = math.Max(xmax, math.Abs(m.x0[i]))
	}
	if vmax == 0 {
		clear(out)
		return nil
	}
	h := fdStep * xmax / vmax
	for i, x := range m.x0 {
		m.xp[i], m.xm[i] = x+h*v[i], x-h*v[i]
	}
	return m.difference(h, out)
}

// difference finishes a central difference from xp and xm.
func (m *stepMap) difference(h float64, out []float64) error {
	if err := m.apply(m.xp, m.fp); err != nil {
		return err
	}
	if err := m.apply(m.xm, m.fm); err != nil {
		return err
	}
	for i := range out {
		out[i] = (m.fp[i] - m.fm[i]) / (2 * h)
		if math.IsNaN(out[i]) || math.IsInf(out[i], 0) {
			return fmt.Errorf("the step is not finite near the linearisation point")
		}
	}
	return nil
}

// column writes column j of J (the derivative of the step along entry j)
// into out.
func (m *stepMap) column(j int, out []float64) error {
	h := fdStep * math.Max(1, math.Abs(m.x0[j]))
	copy(m.xp, m.x0)
	copy(m.xm, m.x0)
	m.xp[j] += h
	m.xm[j] -= h
	return m.difference((m.xp[j]-m.xm[j])/2, out)
}
