package golang

import (
	"fmt"

	"github.com/vlec-dev/vlec/ir/adjoint"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
)

// Exact gradients (method adjoint). The generated simulator trains as
// runtime.Sweep does: the run is cut into windows of learn.window steps;
// a window that starts at or after learn_after is a forward sweep of the
// free dynamics (the program of schedule.Free), storing the starting
// point of every step (adjoint.Program.Saved: the states, inputs and
// targets), then the reverse sweep from the last step back to the
// first (each step recomputed from its starting point, then the kernels
// of adjoint.Reverse), then the parameter update: change = -gradient,
// then the apply or Adam kernel the model's learn block asks for. The
// reverse kernels are emitted by the same code as the forward ones, in
// the same order as the interpreter compiles them, so both back ends give
// the same bits.

// adjointGen is the reverse sweep of a method-adjoint program, its
// buffers part of the program the generator emits.
type adjointGen struct {
	rev    *adjoint.Program
	window int
	states []*schedule.Buffer        // the states a step starts from (their current halves)
	ext    []*schedule.Buffer        // inputs and targets, stored for every step
	params []*schedule.Buffer        // the parameters with a gradient, in program order
	grads  []*schedule.Buffer        // their adjoints: the gradients after a sweep
	update []*schedule.Kernel        // change = -gradient, then apply or Adam, per parameter that learns
	adj    []*schedule.Buffer        // every buffer of the reverse sweep, cleared before it
	reads  map[*schedule.Buffer]bool // forward buffers the reverse kernels read
}

// withAdjoint returns, for a program of method adjoint, a copy of prog
// whose buffers also hold the reverse sweep's and the updates', and the
// sweep; other programs come back unchanged, with a nil sweep.
func withAdjoint(prog *schedule.Program) (*schedule.Program, *adjointGen, error) {
	m := prog.Model
	if m.Sim.Method != check.Adjoint {
		return prog, nil, nil
	}
	at := m.Sim.Pos
	if at.Line == 0 {
		at = lang.Pos{File: m.File, Line: 1, Col: 1}
	}
	if m.Learn.Window == 0 {
		return nil, nil, lang.Errorf(at, "model %s: method adjoint trains over truncated windows; set their length in the learn block (e.g. window = 1s)", m.Name)
	}
	if prog.Float32 {
		return nil, nil, lang.Errorf(at, "precision float32 is for methods le and gle; method adjoint computes exact gradients in float64")
	}
	for _, k := range prog.Kernels {
		if k.Phase == schedule.PhaseLearn {
			return nil, nil, fmt.Errorf("internal error: model %s: method adjoint needs the free dynamics (schedule.Free), and this program learns", m.Name)
		}
	}
	rev, err := adjoint.Reverse(prog)
	if err != nil {
		return nil, nil, err
	}
	ext := *prog
	ext.Buffers = append([]*schedule.Buffer(nil), prog.Buffers...)
	add := func(b *schedule.Buffer) error {
		if b.ID != len(ext.Buffers) {
			return fmt.Errorf("internal error: model %s: reverse-sweep buffer %s has ID %d, expected %d", m.Name, b, b.ID, len(ext.Buffers))
		}
		ext.Buffers = append(ext.Buffers, b)
		return nil
	}
	a := &adjointGen{rev: rev, window: m.Learn.Window, reads: map[*schedule.Buffer]bool{}}
	for _, b := range rev.Buffers {
		if err := add(b); err != nil {
			return nil, nil, err
		}
		a.adj = append(a.adj, b)
	}
	for _, k := range rev.Reverse {
		for _, r := range k.Reads() {
			if r.ID < len(prog.Buffers) {
				a.reads[r] = true
			}
		}
	}
	for _, b := range rev.Saved {
		if b.Kind == schedule.State {
			a.states = append(a.states, b)
		} else {
			a.ext = append(a.ext, b)
		}
	}
	newBuf := func(like *schedule.Buffer, name string) (*schedule.Buffer, error) {
		b := &schedule.Buffer{ID: len(ext.Buffers), Name: name, Kind: schedule.Temp, Shape: like.Shape}
		return b, add(b)
	}
	for _, b := range prog.Buffers {
		g, ok := rev.Grads[b.Name]
		if b.Kind != schedule.Param || !ok {
			continue
		}
		a.params = append(a.params, b)
		a.grads = append(a.grads, g)
		if b.Rate <= 0 {
			continue
		}
		// as runtime.Sweep's compileUpdates builds them
		change, err := newBuf(b, "d"+b.Name)
		if err != nil {
			return nil, nil, err
		}
		neg := &schedule.Kernel{Op: schedule.OpMap, Dst: change, Args: []*schedule.Buffer{g},
			Code: &schedule.Code{Op: schedule.CodeMul, Args: []*schedule.Code{{Op: schedule.CodeConst, Value: -1}, {Op: schedule.CodeLoad}}},
			Note: "the change: minus the gradient"}
		apply := &schedule.Kernel{Op: schedule.OpApply, Dst: b, Args: []*schedule.Buffer{change}, Scale: b.Rate}
		if l := m.Learn; l.Optimizer == "adam" {
			mo, err := newBuf(b, "adam_m:"+b.Name)
			if err != nil {
				return nil, nil, err
			}
			v, err := newBuf(b, "adam_v:"+b.Name)
			if err != nil {
				return nil, nil, err
			}
			apply = &schedule.Kernel{Op: schedule.OpAdam, Dst: b, Args: []*schedule.Buffer{change, mo, v}, Scale: b.Rate,
				Adam: &schedule.Adam{Beta1: l.Beta1, Beta2: l.Beta2, Eps: l.Eps}}
		}
		a.update = append(a.update, neg, apply)
	}
	return &ext, a, nil
}

// valuesOf is the number of values of buffers bs (rows times size).
func (p *progGen) valuesOf(bs []*schedule.Buffer) int {
	n := 0
	for _, b := range bs {
		n += p.rows(b) * b.Size()
	}
	return n
}

// emitAdjoint writes the reverse sweep, the update and the training loop
// of a method-adjoint model.
func (p *progGen) emitAdjoint() error {
	a := p.adj
	if err := p.emitKernelFunc("reverse", "reverse runs the kernels of one reverse step (adjoint.Reverse), after the\n// forward step has been recomputed from its starting point.", a.rev.Reverse, false); err != nil {
		return err
	}
	if err := p.emitKernelFunc("update", "update moves every parameter that learns along the gradient of the last\n// sweep, as vlec run updates them.", a.update, false); err != nil {
		return err
	}
	stateSize, extSize := p.valuesOf(a.states), p.valuesOf(a.ext)
	p.printf("// Sizes of the reverse sweep: a window of steps, the values of a step's\n")
	p.printf("// starting point (its states) and of its inputs and targets.\n")
	p.printf("const (\nWindow = %d // learn.window, in steps\nsweepStateSize = %d\nsweepExtSize = %d\n)\n\n", a.window, stateSize, extSize)

	p.printf("// clearAdjoints zeroes every buffer of the reverse sweep.\n")
	p.printf("func (m *Model) clearAdjoints() {\n")
	for _, b := range a.adj {
		p.printf("clear(%s) // %s\n", p.f(b), b.Name)
	}
	p.printf("}\n\n")

	// copies writes a method copying the values of bs, in order, to
	// (save) or from a slot of mem ("": the method's argument)
	copies := func(name, doc string, bs []*schedule.Buffer, save bool, mem string) {
		p.printf("// %s\n", doc)
		if mem == "" {
			p.printf("func (m *Model) %s(mem []float64, slot int) {\n", name)
			mem = "mem"
		} else {
			p.printf("func (m *Model) %s(slot int) {\n", name)
		}
		p.printf("off := slot * %d\n", p.valuesOf(bs))
		at := 0
		for _, b := range bs {
			part := fmt.Sprintf("%s[off+%d:off+%d]", mem, at, at+p.rows(b)*b.Size())
			if save {
				p.printf("copy(%s, %s) // %s\n", part, p.f(b), b.Name)
			} else {
				p.printf("copy(%s, %s) // %s\n", p.f(b), part, b.Name)
			}
			at += p.rows(b) * b.Size()
		}
		p.printf("}\n\n")
	}
	copies("saveStates", "saveStates stores the states (a step's starting point) in slot of mem.", a.states, true, "")
	copies("restoreStates", "restoreStates sets the states from slot of mem.", a.states, false, "")
	copies("saveExt", "saveExt stores the inputs and targets of the j-th step of a sweep.", a.ext, true, "m.sweepExt")
	copies("restoreExt", "restoreExt sets the inputs and targets of the j-th step of a sweep.", a.ext, false, "m.sweepExt")

	p.printf("// gradients are the parameters with a gradient and their adjoints.\n")
	p.printf("func (m *Model) gradients() []gradient {\nreturn []gradient{\n")
	for i, b := range a.params {
		g := a.grads[i]
		mask := "nil"
		if f, ok := p.masks[b]; ok {
			mask = "m." + f
		}
		p.printf("{name: %q, rank: %d, cols: %d, grad: %s, mask: %s},\n", b.Name, b.Shape.Rank, b.Shape.Cols(), p.f(g), mask)
	}
	p.printf("}\n}\n\n")

	p.printf("// stepCost is the cost of the step just run, summed over the batch (the\n// step's loss is Dt times it).\n")
	p.printf("func (m *Model) stepCost() float64 {\nc := 0.0\nfor _, v := range %s {\nc += v\n}\nreturn c\n}\n\n", p.f(p.prog.Cost))
	p.printf("// learns is whether some parameter changes in update.\nconst learns = %v\n\n", len(a.update) > 0)
	if p.costScaled() {
		p.printf("// scaledCost is the cost as vlec run reports it for method adjoint: the\n")
		p.printf("// free program's objective times the nudging strength beta.\n")
		p.printf("func (m *Model) scaledCost() []float64 {\nfor i, x := range %s {\nm.costScaled[i] = %s * x\n}\nreturn m.costScaled\n}\n\n",
			p.f(p.prog.Cost), constant(p.prog.Beta).text())
	}
	return nil
}

// costScaled reports whether the reported cost is beta times the cost
// buffer: under method adjoint the program is the free one, whose cost
// is the objective, and vlec run reports beta times it, as the nudged
// programs of le and gle compute it.
func (p *progGen) costScaled() bool {
	return p.adj != nil && p.prog.Cost != nil && p.prog.Beta != 1
}
