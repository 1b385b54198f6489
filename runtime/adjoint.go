package runtime

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"

	"github.com/vlec-dev/vlec/ir/adjoint"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
)

// Exact gradients. A Sweep runs the free dynamics of a model (the program
// of schedule.Free) for a window of K steps from the simulator's current
// state, then the reverse sweep of adjoint.Reverse from the last step back
// to the first, and leaves the gradient of the loss
//
//	L = dt * sum_k sum_batch loss_k
//
// with respect to every parameter in the adjoint buffers. Both sweeps run
// on the simulator's own compiled kernels: the reverse program is compiled
// by the same compiler as the forward one, into buffers added to the
// simulator.
//
// The reverse step k needs the forward values of step k: the sweep stores
// the starting point of every step (the states it reads, its inputs and
// targets, adjoint.Program.Saved) and recomputes the step before reversing
// it. With checkpointing only every c-th starting point of the states is
// stored (c about sqrt(K)); the reverse sweep recomputes each segment of c
// steps from its checkpoint. Inputs and targets are stored for every step
// either way (the teachers have moved on and noise stimuli are not
// repeatable). Both give the same numbers, bit for bit.

// SweepOptions configure a Sweep.
type SweepOptions struct {
	// Window is the number of steps of a sweep (at most this many; Run
	// may be given fewer).
	Window int
	// Checkpoint stores about sqrt(Window) starting points instead of
	// Window, recomputing the rest.
	Checkpoint bool
}

// Sweep computes exact gradients over windows of the free dynamics.
type Sweep struct {
	sim    *Sim
	rev    *adjoint.Program
	window int
	every  int // checkpoint spacing (1: every step stored)

	back      []step // the compiled reverse step
	states    []savedBuf
	ext       []savedBuf // inputs and targets
	stateSize int
	extSize   int
	stateMem  []float64 // starting points of the states (every step, or the checkpoints)
	segMem    []float64 // with checkpointing: the starting points of one segment
	extMem    []float64 // inputs and targets of every step
	endMem    []float64 // the states at the end of the window

	adj    []int // IDs of every adjoint buffer
	params []*schedule.Buffer
	grads  map[string]int // parameter name -> ID of its adjoint
	gradID []int          // in the order of params
	masks  [][]bool       // per params entry: the connectivity mask, or nil

	// training: change = -grad, then the program's own apply or Adam kernel
	update []step

	loss  float64
	steps int // the length of the last sweep
	start int // its first step

	// AfterStep, when set, is called after every forward step of a sweep
	// (with the step's index); an error stops the sweep. Recorders use it.
	AfterStep func(k int) error
}

type savedBuf struct {
	id, n int
	name  string
}

// NewSweep prepares exact-gradient sweeps on sim, which must run a free
// program (schedule.Free), with rev its reverse (adjoint.Reverse). Every
// buffer is allocated here; a sweep allocates nothing.
func NewSweep(sim *Sim, rev *adjoint.Program, opts SweepOptions) (*Sweep, error) {
	fwd := sim.prog
	if rev.Forward != fwd {
		return nil, fmt.Errorf("model %s: the reverse program was derived from another program", fwd.Model.Name)
	}
	if opts.Window < 1 {
		return nil, fmt.Errorf("model %s: window of %d steps", fwd.Model.Name, opts.Window)
	}
	for _, k := range fwd.Kernels {
		if k.Phase == schedule.PhaseLearn {
			return nil, fmt.Errorf("model %s: exact gradients need the free dynamics (schedule.Free), and this program learns", fwd.Model.Name)
		}
	}
	a := &Sweep{sim: sim, rev: rev, window: opts.Window, every: 1, grads: map[string]int{}}
	// The adjoint buffers join the simulator's, under new IDs (the
	// simulator may already hold scratch buffers past the program's).
	clone := map[*schedule.Buffer]*schedule.Buffer{}
	for _, b := range rev.Buffers {
		c := *b
		c.ID = len(sim.vals)
		clone[b] = &c
		sim.vals = append(sim.vals, make([]float64, sim.rows(b)*b.Size()))
		a.adj = append(a.adj, c.ID)
	}
	re := func(b *schedule.Buffer) *schedule.Buffer {
		if c, ok := clone[b]; ok {
			return c
		}
		return b
	}
	for _, k := range rev.Reverse {
		kk := *k
		kk.Dst, kk.Space = re(k.Dst), re(k.Space)
		kk.Args = make([]*schedule.Buffer, len(k.Args))
		for i, x := range k.Args {
			kk.Args[i] = re(x)
		}
		st, err := sim.compile(&kk)
		if err != nil {
			return nil, fmt.Errorf("model %s: reverse sweep: %v", fwd.Model.Name, err)
		}
		a.back = append(a.back, st)
	}
	for _, b := range fwd.Buffers {
		if b.Kind != schedule.Param {
			continue
		}
		g, ok := rev.Grads[b.Name]
		if !ok {
			continue
		}
		a.params = append(a.params, b)
		a.grads[b.Name] = clone[g].ID
		a.gradID = append(a.gradID, clone[g].ID)
		a.masks = append(a.masks, sim.masks[b.ID])
	}
	for _, b := range rev.Saved {
		sb := savedBuf{id: b.ID, n: len(sim.vals[b.ID]), name: b.Name}
		if b.Kind == schedule.State {
			a.states = append(a.states, sb)
			a.stateSize += sb.n
		} else {
			a.ext = append(a.ext, sb)
			a.extSize += sb.n
		}
	}
	K := opts.Window
	stored := K
	if opts.Checkpoint {
		a.every = int(math.Ceil(math.Sqrt(float64(K))))
		stored = (K + a.every - 1) / a.every
		a.segMem = make([]float64, a.every*a.stateSize)
	}
	a.stateMem = make([]float64, stored*a.stateSize)
	a.extMem = make([]float64, K*a.extSize)
	a.endMem = make([]float64, a.stateSize)
	if err := a.compileUpdates(); err != nil {
		return nil, err
	}
	return a, nil
}

// Params are the parameters of the program that have a gradient, in
// program order.
func (a *Sweep) Params() []*schedule.Buffer { return a.params }

// Grad is the gradient of the loss of the last sweep with respect to the
// named parameter ("W0", "h.b", "h.tau_m", a model parameter), nil for an
// unknown name. Entries off a connectivity mask are zero. The slice is
// overwritten by the next sweep.
func (a *Sweep) Grad(name string) []float64 {
	id, ok := a.grads[name]
	if !ok {
		return nil
	}
	return a.sim.vals[id]
}

// Loss is the loss of the last sweep, dt * sum_k sum_batch loss_k.
func (a *Sweep) Loss() float64 { return a.loss }

// Sim is the simulator the sweep runs on.
func (a *Sweep) Sim() *Sim { return a.sim }

// Window is the longest sweep.
func (a *Sweep) Window() int { return a.window }

// Stored is the number of starting points of the states a sweep keeps.
func (a *Sweep) Stored() int { return len(a.stateMem) / max(1, a.stateSize) }

// NonFiniteGradientError reports a NaN or infinite entry of a gradient
// (or of the loss, when Param is empty) during a sweep.
type NonFiniteGradientError struct {
	Param    string // the parameter, "" for the loss
	Row, Col int    // the entry (Col -1 for a vector)
	Step     int    // the step whose reverse made it non-finite, or whose loss is not finite
	Time     float64
	Value    float64
}

func (e *NonFiniteGradientError) Error() string {
	if e.Param == "" {
		return fmt.Sprintf("non-finite loss %v at step %d (t = %gs)", e.Value, e.Step, e.Time)
	}
	where := fmt.Sprintf("%s[%d]", e.Param, e.Row)
	if e.Col >= 0 {
		where += fmt.Sprintf("[%d]", e.Col)
	}
	return fmt.Sprintf("non-finite gradient %v of the loss with respect to %s, reversing step %d (t = %gs)", e.Value, where, e.Step, e.Time)
}

// Run sweeps K steps (1 <= K <= Window) from the simulator's current
// state: the forward sweep runs the steps (the simulator ends at step
// K() + K, in the state the steps reached), the reverse sweep leaves the
// gradients (Grad) and Loss. A non-finite state stops the forward sweep
// with a *NonFiniteError, a non-finite loss or gradient the sweep with a
// *NonFiniteGradientError.
func (a *Sweep) Run(K int) error {
	if K < 1 || K > a.window {
		return fmt.Errorf("sweep of %d steps: the window is %d steps", K, a.window)
	}
	s := a.sim
	a.start, a.steps, a.loss = s.k, K, 0
	dt := s.prog.Dt
	// forward
	for j := 0; j < K; j++ {
		k := s.k
		s.begin(k)
		a.saveExt(j)
		if j%a.every == 0 {
			a.saveStates(a.stateMem, j/a.every)
		}
		s.runKernels(k)
		if s.costBuf != nil {
			c := 0.0
			for _, v := range s.costBuf {
				c += v
			}
			if !isFinite(c) {
				return &NonFiniteGradientError{Step: k, Time: s.clock.at(k), Value: c}
			}
			a.loss += dt * c
		}
		s.finish(k)
		if a.AfterStep != nil {
			if err := a.AfterStep(k); err != nil {
				return err
			}
		}
		if !s.noGuard {
			if err := s.check(k); err != nil {
				return err
			}
		}
	}
	a.saveStates(a.endMem, 0)
	// reverse
	for _, id := range a.adj {
		clear(s.vals[id])
	}
	for seg := (K - 1) / a.every; seg >= 0; seg-- {
		lo, hi := seg*a.every, min(K, (seg+1)*a.every)
		mem, base := a.stateMem, 0
		if a.every > 1 {
			// recompute the segment's starting points from its checkpoint
			a.restoreStates(a.stateMem, seg)
			for j := lo; j < hi; j++ {
				a.restoreExt(j)
				a.saveStates(a.segMem, j-lo)
				if j < hi-1 {
					s.runKernels(a.start + j)
					s.swap()
				}
			}
			mem, base = a.segMem, lo
		}
		for j := hi - 1; j >= lo; j-- {
			k := a.start + j
			a.restoreStates(mem, j-base)
			a.restoreExt(j)
			s.runKernels(k)
			for _, st := range a.back {
				if st != nil {
					st(s)
				}
			}
			if err := a.checkGrads(k); err != nil {
				a.restoreStates(a.endMem, 0)
				return err
			}
		}
	}
	a.restoreStates(a.endMem, 0)
	for i, mask := range a.masks {
		if mask == nil {
			continue
		}
		g := s.vals[a.gradID[i]]
		for e, on := range mask {
			if !on {
				g[e] = 0
			}
		}
	}
	return nil
}

func (a *Sweep) saveStates(mem []float64, slot int) {
	off := slot * a.stateSize
	for _, b := range a.states {
		copy(mem[off:off+b.n], a.sim.vals[b.id])
		off += b.n
	}
}

func (a *Sweep) restoreStates(mem []float64, slot int) {
	off := slot * a.stateSize
	for _, b := range a.states {
		copy(a.sim.vals[b.id], mem[off:off+b.n])
		off += b.n
	}
}

func (a *Sweep) saveExt(j int) {
	off := j * a.extSize
	for _, b := range a.ext {
		copy(a.extMem[off:off+b.n], a.sim.vals[b.id])
		off += b.n
	}
}

func (a *Sweep) restoreExt(j int) {
	off := j * a.extSize
	for _, b := range a.ext {
		copy(a.sim.vals[b.id], a.extMem[off:off+b.n])
		off += b.n
	}
}

// checkGrads reports the first non-finite gradient entry after reversing
// step k.
func (a *Sweep) checkGrads(k int) error {
	for i, id := range a.gradID {
		g := a.sim.vals[id]
		if isFinite(floats.Sum(g)) {
			continue
		}
		p := a.params[i]
		for j, x := range g {
			if isFinite(x) {
				continue
			}
			e := &NonFiniteGradientError{Param: p.Name, Row: j, Col: -1, Step: k, Time: a.sim.clock.at(k), Value: x}
			if p.Shape.Rank == 2 {
				e.Row, e.Col = j/p.Shape.Cols(), j%p.Shape.Cols()
			}
			return e
		}
	}
	return nil
}

// compileUpdates compiles the training step of every parameter that
// learns (Rate > 0): change = -grad, then the kernel the learn phase of
// the model's program would run (schedule.OpApply, or schedule.OpAdam
// with learn.optimizer = adam), so that masks, floors and the optimiser
// are the program's.
func (a *Sweep) compileUpdates() error {
	s := a.sim
	learn := s.prog.Model.Learn
	newBuf := func(like *schedule.Buffer, name string) *schedule.Buffer {
		b := &schedule.Buffer{ID: len(s.vals), Name: name, Kind: schedule.Temp, Shape: like.Shape}
		s.vals = append(s.vals, make([]float64, like.Size()))
		return b
	}
	for i, p := range a.params {
		if p.Rate <= 0 {
			continue
		}
		g := &schedule.Buffer{ID: a.gradID[i], Name: "adj " + p.Name, Kind: schedule.Temp, Shape: p.Shape}
		change := newBuf(p, "d"+p.Name)
		neg := &schedule.Kernel{Op: schedule.OpMap, Dst: change, Args: []*schedule.Buffer{g},
			Code: &schedule.Code{Op: schedule.CodeMul, Args: []*schedule.Code{{Op: schedule.CodeConst, Value: -1}, {Op: schedule.CodeLoad}}}}
		var apply *schedule.Kernel
		if learn.Optimizer == "adam" {
			m, v := newBuf(p, "adam_m:"+p.Name), newBuf(p, "adam_v:"+p.Name)
			apply = &schedule.Kernel{Op: schedule.OpAdam, Dst: p, Args: []*schedule.Buffer{change, m, v}, Scale: p.Rate,
				Adam: &schedule.Adam{Beta1: learn.Beta1, Beta2: learn.Beta2, Eps: learn.Eps}}
		} else {
			apply = &schedule.Kernel{Op: schedule.OpApply, Dst: p, Args: []*schedule.Buffer{change}, Scale: p.Rate}
		}
		for _, k := range []*schedule.Kernel{neg, apply} {
			st, err := s.compile(k)
			if err != nil {
				return fmt.Errorf("model %s: update of %s: %v", s.prog.Model.Name, p.Name, err)
			}
			a.update = append(a.update, st)
		}
	}
	return nil
}

// Update moves every parameter that learns along the gradient of the last
// sweep: theta -= rate * grad (or Adam's step along -grad with
// learn.optimizer = adam), on the connectivity mask, clamped at the
// parameter's floor.
func (a *Sweep) Update() {
	for _, st := range a.update {
		st(a.sim)
	}
}

// Learns reports whether some parameter changes in Update.
func (a *Sweep) Learns() bool { return len(a.update) > 0 }

// trainingSweep prepares training by exact gradients when sim runs a
// program of method adjoint (nil otherwise): windows of learn.window
// steps.
func trainingSweep(sim *Sim) (*Sweep, error) {
	prog := sim.prog
	m := prog.Model
	if m.Sim.Method != check.Adjoint {
		return nil, nil
	}
	w := m.Learn.Window
	switch {
	case w == 0:
		return nil, fmt.Errorf("model %s: method adjoint trains over truncated windows; set their length in the learn block (e.g. window = 1s)", m.Name)
	case w > sim.steps:
		return nil, fmt.Errorf("model %s: learn.window is %d steps (%gs), longer than the run (%d steps)", m.Name, w, sim.clock.at(w), sim.steps)
	}
	rev, err := adjoint.Reverse(prog)
	if err != nil {
		return nil, err
	}
	return NewSweep(sim, rev, SweepOptions{Window: w})
}

// train runs the simulator to step `steps` in windows of Window steps
// from step 0 (the last one shorter if need be): a window that starts at
// or after learn_after is a sweep followed by Update, the others run
// without gradients. after is called after every step; its error stops
// the run.
func (a *Sweep) train(ctx context.Context, steps int, after func(k int) error) error {
	s := a.sim
	a.AfterStep = after
	defer func() { a.AfterStep = nil }()
	for s.k < steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		K := min(a.window, steps-s.k)
		if s.k < s.prog.LearnAfter || !a.Learns() {
			for range K {
				k := s.k
				err := s.Step()
				if aerr := after(k); aerr != nil {
					return aerr
				}
				if err != nil {
					return err
				}
			}
			continue
		}
		if err := a.Run(K); err != nil {
			return err
		}
		a.Update()
	}
	return nil
}

// Plastic names the parameters of prog that are plastic or learnable, in
// the order of the model's plasticity rules: plastic weights, then per
// population its learnable bias and membrane time constant, then the
// learnable model parameters. The names are those of recordings: "W0",
// "h.b", "h.tau_m", "kappa".
func Plastic(prog *schedule.Program) []string {
	names := make([]string, len(prog.Learnable))
	for i, b := range prog.Learnable {
		names[i] = b.Name
	}
	return names
}
