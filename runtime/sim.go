// Package runtime executes the step program of a model (ir/schedule): it
// holds every buffer, fills the stimuli and the targets, runs the kernels
// of each step generically (BLAS products on gonum, compiled entrywise
// tapes, reductions) and steps the teacher models alongside. It contains
// no model equations: everything a step computes comes from the program.
//
// Buffers are float64. A batched buffer is Batch x Size, row-major, so a
// batched vector is a B x n matrix and a matrix-vector product over the
// batch is one matrix product. Every buffer is allocated once by New; a
// step allocates nothing.
package runtime

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/vlec-dev/vlec/internal/kern"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
)

// Options configure a simulator.
type Options struct {
	// Seed replaces the model's sim seed when SeedSet is true. Random
	// initialisers, sparse masks and noise without an explicit seed draw
	// from streams derived from it.
	Seed    uint64
	SeedSet bool
	// Steps replaces the program's step count when positive.
	Steps int
	// NoGuard turns the NaN/Inf guard off.
	NoGuard bool
	// MaxMemory is the most memory in bytes the simulator may need (see
	// EstimateMemory); 0: what the machine has available.
	MaxMemory int64
}

// Sim is a running simulation of one step program and its teachers.
type Sim struct {
	prog  *schedule.Program
	batch int
	steps int
	seed  uint64
	// vals holds every buffer by ID; the halves of a state swap at the
	// end of the step.
	vals     [][]float64
	plan     []*schedule.Kernel // the program's kernels, fused (schedule.Fuse)
	kernels  []step             // plan[i] compiled; nil when fused into another
	learn    []bool             // kernel i is in the learning phase
	learning bool               // the current step learns (synapse passes update)
	// passSums hold, by buffer ID, the sum of a weight matrix's entries
	// that its synapse pass returned this step, for the buffers whose
	// passSummed is set: the guard then needs no pass of its own over
	// them.
	passSums   []float64
	passSummed []bool
	// rounds lists, for a float32 program, the buffers kernel i of the
	// plan writes, rounded to float32 after it ran (precision.go).
	rounds   [][]int
	states   [][2]int
	inputs   []*inputSource
	targets  []targetCopy
	teachers []*Sim
	guard    []*schedule.Buffer // buffers checked for non-finite values
	noGuard  bool
	k        int // the next step
	costBuf  []float64
	parent   *Sim
	masks    map[int][]bool // connectivity masks of one_to_one and sparse weights
	bound    [][2]int       // a teacher's input buffer <- the parent's
	workers  *kern.Workers
	ctx      context.Context // setup stops when it is cancelled
	clock    clock
	// feed presents a task's data set (nil without one); the trainer
	// moves it from sample to sample.
	feed *dataFeed
	// learnOff turns learning off whatever the step (a task's evaluation
	// and settle steps).
	learnOff bool
	// lrScale multiplies every learning rate (a task's schedule); 1
	// leaves the rates as the program gives them, bit for bit.
	lrScale float64
	// adamT counts the steps of each Adam kernel (its bias correction),
	// by the index the kernel was compiled with; saved in checkpoints.
	adamT []int
	// initSteps are the program's Init kernels, compiled; a reset runs
	// them again.
	initSteps []step
	// noise are the ou generators of the stimuli.
	noise []*ouNoise
}

// step is one compiled kernel.
type step func(s *Sim)

type targetCopy struct {
	dst     int
	teacher *Sim
	src     int
	file    *series // a file teacher
	data    bool    // a data set's targets (Sim.feed)
}

// New allocates a simulator for prog: buffers, initial weights, masks,
// stimuli and teachers. Every problem that can be found before the run
// (unreadable or malformed files, sizes that do not match) is reported
// here.
func New(prog *schedule.Program, opts Options) (*Sim, error) {
	return NewContext(context.Background(), prog, opts)
}

// NewContext is New with a context: setting a large model up (weights
// drawn for huge matrices, teachers, files) stops soon after ctx is
// cancelled and returns ctx.Err().
func NewContext(ctx context.Context, prog *schedule.Program, opts Options) (*Sim, error) {
	seed := prog.Model.Sim.Seed
	if opts.SeedSet {
		seed = opts.Seed
	}
	steps := prog.Steps
	if opts.Steps > 0 {
		steps = opts.Steps
	}
	if err := checkMemory(prog, opts); err != nil {
		return nil, err
	}
	return newSim(ctx, prog, seed, steps, opts.NoGuard)
}

// cancelled is the error of a cancelled setup, or nil.
func (s *Sim) cancelled() error {
	if s.ctx == nil {
		return nil
	}
	return s.ctx.Err()
}

func newSim(ctx context.Context, prog *schedule.Program, seed uint64, steps int, noGuard bool) (*Sim, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if prog.Batch < 1 {
		return nil, fmt.Errorf("model %s: batch %d", prog.Model.Name, prog.Batch)
	}
	s := &Sim{prog: prog, batch: prog.Batch, steps: steps, seed: seed, noGuard: noGuard, ctx: ctx, clock: newClock(prog.Dt), lrScale: 1}
	if err := s.setup(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// setup allocates the buffers, initialises the parameters, compiles the
// kernels and builds the teachers and stimuli, checking between phases
// whether the setup was cancelled.
func (s *Sim) setup() error {
	prog := s.prog
	s.vals = make([][]float64, len(prog.Buffers))
	for _, b := range prog.Buffers {
		if b.ID < 0 || b.ID >= len(prog.Buffers) || prog.Buffers[b.ID] != b {
			return fmt.Errorf("model %s: buffer %s has ID %d out of place", prog.Model.Name, b, b.ID)
		}
		s.vals[b.ID] = make([]float64, s.rows(b)*b.Size())
		if b.Kind == schedule.State {
			s.states = append(s.states, [2]int{b.ID, b.Next.ID})
		}
		switch b.Kind {
		case schedule.State, schedule.Param:
			s.guard = append(s.guard, b)
		}
	}
	if err := s.cancelled(); err != nil {
		return err
	}
	if err := s.initParams(); err != nil {
		return err
	}
	if prog.Float32 {
		for _, v := range s.vals {
			roundFloat32(v)
		}
	}
	if err := s.cancelled(); err != nil {
		return err
	}
	// the kernels as schedule.Fuse fuses them for every back end
	s.plan = schedule.Fuse(prog).Kernels
	s.passSums, s.passSummed = make([]float64, len(prog.Buffers)), make([]bool, len(prog.Buffers))
	for _, k := range s.plan {
		st, err := s.compile(k)
		if err != nil {
			return fmt.Errorf("model %s: %v", prog.Model.Name, err)
		}
		s.kernels = append(s.kernels, st)
		s.learn = append(s.learn, k.Phase == schedule.PhaseLearn)
	}
	s.planRounding()
	s.fuseActivations()
	if t := prog.Model.Task; t != nil && t.Data != nil {
		set, err := loadDataset(t.Data)
		if err != nil {
			return err
		}
		s.feed = &dataFeed{set: set, split: set.train, rows: make([]int, s.batch)}
	}
	if err := s.setupTeachers(); err != nil {
		return err
	}
	if err := s.cancelled(); err != nil {
		return err
	}
	if err := s.setupInputs(); err != nil {
		return err
	}
	if prog.Cost != nil {
		s.costBuf = s.vals[prog.Cost.ID]
	}
	if err := s.runInit(); err != nil {
		return err
	}
	return s.cancelled()
}

// runInit runs the program's Init kernels once: the messages and
// parameter copies as step -1 would have left them.
func (s *Sim) runInit() error {
	for _, k := range s.prog.Init {
		st, err := s.compile(k)
		if err != nil {
			return fmt.Errorf("model %s: %v", s.prog.Model.Name, err)
		}
		s.initSteps = append(s.initSteps, st)
	}
	s.init()
	return nil
}

// init runs the compiled Init kernels.
func (s *Sim) init() {
	for i, st := range s.initSteps {
		st(s)
		if s.prog.Float32 {
			for _, b := range s.prog.Init[i].Writes() {
				roundFloat32(s.vals[b.ID])
			}
		}
	}
}

// reset sets every state of the simulator and its teachers to where a run
// starts: states, error neurons, rate caches, messages and temporaries 0,
// then the Init kernels. Parameters and optimiser moments keep their
// values.
func (s *Sim) reset() {
	for _, b := range s.prog.Buffers {
		switch b.Kind {
		case schedule.State, schedule.Next, schedule.Temp:
			clear(s.vals[b.ID])
		}
	}
	for i := range s.passSums {
		if s.passSummed[i] {
			s.passSums[i] = math.NaN()
		}
	}
	s.init()
	for _, t := range s.teachers {
		t.reset()
	}
}

// rows is the number of rows a buffer holds: the batch for a batched
// buffer, else 1.
func (s *Sim) rows(b *schedule.Buffer) int {
	if b.Batched {
		return s.batch
	}
	return 1
}

// setupTeachers builds the teachers' simulators and the target copies.
func (s *Sim) setupTeachers() error {
	byTeacher := map[*check.Teacher]*Sim{}
	for _, t := range s.prog.Model.Teachers {
		tp := s.prog.Teachers[t]
		if tp == nil {
			continue
		}
		ts, err := newSim(s.ctx, tp, s.seed, s.steps, true)
		if err != nil {
			if err == s.ctx.Err() {
				return err
			}
			return positioned(t.Pos, fmt.Errorf("teacher %s: %w", t.Name, err))
		}
		ts.parent = s
		byTeacher[t] = ts
		s.teachers = append(s.teachers, ts)
		// bind the teacher's inputs to ours
		for theirs, ours := range t.Bindings {
			var in *check.Input
			for x := range tp.Inputs {
				if x.Name == theirs {
					in = x
				}
			}
			if in == nil {
				return positioned(t.Pos, fmt.Errorf("teacher %s has no input %s", t.Name, theirs))
			}
			src := s.prog.Inputs[ours]
			dst := tp.Inputs[in]
			if src == nil || dst == nil {
				return positioned(t.Pos, fmt.Errorf("teacher %s: input %s is not bound to a buffer", t.Name, theirs))
			}
			if len(s.vals[src.ID]) != len(ts.vals[dst.ID]) {
				return positioned(t.Pos, fmt.Errorf("teacher %s: its input %s has %d x %d values, ours (%s) %d x %d",
					t.Name, theirs, ts.rows(dst), dst.Size(), ours.Name, s.rows(src), src.Size()))
			}
			ts.bound = append(ts.bound, [2]int{dst.ID, src.ID})
		}
		ts.bindInputs()
	}
	for _, tb := range s.prog.Targets {
		tc := targetCopy{dst: tb.Buffer.ID, src: -1}
		dstLen := len(s.vals[tb.Buffer.ID])
		switch {
		case tb.Teacher != nil && tb.Teacher.Data != nil:
			if s.feed == nil || s.feed.set.ds != tb.Teacher.Data {
				return positioned(tb.Teacher.Pos, fmt.Errorf("teacher %s: dataset %s is not the task's", tb.Teacher.Name, tb.Teacher.Data.Name))
			}
			if tb.Buffer.Size() != tb.Teacher.Size {
				return positioned(tb.Teacher.Pos, fmt.Errorf("teacher %s has %d values, the energy reads %d", tb.Teacher.Name, tb.Teacher.Size, tb.Buffer.Size()))
			}
			tc.data = true
		case tb.Teacher != nil && tb.Teacher.File != "":
			ser, err := loadSeries(tb.Teacher.File, tb.Teacher.Size, s.batch, s.steps, "teacher "+tb.Teacher.Name)
			if err != nil {
				return positioned(tb.Teacher.Pos, err)
			}
			if tb.Buffer.Size() != tb.Teacher.Size {
				return positioned(tb.Teacher.Pos, fmt.Errorf("teacher %s has %d values, the energy reads %d", tb.Teacher.Name, tb.Teacher.Size, tb.Buffer.Size()))
			}
			tc.file = ser
		case tb.Source != nil && byTeacher[tb.Teacher] != nil:
			ts := byTeacher[tb.Teacher]
			tc.teacher, tc.src = ts, tb.Source.ID
			if n := len(ts.vals[tb.Source.ID]); n != dstLen {
				return positioned(tb.Teacher.Pos, fmt.Errorf("teacher %s: %s has %d x %d values (batch %d), the student needs %d x %d (batch %d)",
					tb.Teacher.Name, tb.Source.Name, ts.rows(tb.Source), tb.Source.Size(), ts.batch,
					s.rows(tb.Buffer), tb.Buffer.Size(), s.batch))
			}
		default:
			return fmt.Errorf("target %s has no source", tb.Buffer.Name)
		}
		s.targets = append(s.targets, tc)
	}
	return nil
}

// Program is the step program the simulator runs.
func (s *Sim) Program() *schedule.Program { return s.prog }

// Steps is the number of steps of a full run.
func (s *Sim) Steps() int { return s.steps }

// Batch is the batch size.
func (s *Sim) Batch() int { return s.batch }

// K is the number of steps run so far (the index of the next step).
func (s *Sim) K() int { return s.k }

// Time is the time of the next step, K * dt (rounded to the decimals of
// dt, so that it prints without float noise).
func (s *Sim) Time() float64 { return s.clock.at(s.k) }

// Values returns the storage of a buffer of the program (Batch x Size for a
// batched buffer). After a step, a State buffer holds the new value and its
// Next half the previous one. The slice stays valid across steps for
// parameters, inputs, targets and temporaries; a state's storage
// alternates with its Next half.
func (s *Sim) Values(b *schedule.Buffer) []float64 { return s.vals[b.ID] }

// Teacher returns the simulator of a teacher model, or nil.
func (s *Sim) Teacher(t *check.Teacher) *Sim {
	for _, ts := range s.teachers {
		if ts.prog == s.prog.Teachers[t] {
			return ts
		}
	}
	return nil
}

// Cost is the batch mean of the program's cost at the start of the last
// step (NaN when the program has no cost).
func (s *Sim) Cost() float64 {
	if s.costBuf == nil {
		return math.NaN()
	}
	sum := 0.0
	for _, v := range s.costBuf {
		sum += v
	}
	return sum / float64(len(s.costBuf))
}

// HasCost reports whether the program computes a cost.
func (s *Sim) HasCost() bool { return s.costBuf != nil }

// Learning reports whether learning is on at step k.
func (s *Sim) Learning(k int) bool { return k >= s.prog.LearnAfter && !s.learnOff }

// Step runs one step: stimuli for t = k*dt, targets from the teachers as
// they were at the start of the step, the student's kernels (learning from
// LearnAfter on), the teachers' step, and the swap of the states. With the
// guard on it returns a *NonFiniteError when a state or parameter became
// NaN or infinite.
func (s *Sim) Step() error {
	k := s.k
	s.advance(k)
	if !s.noGuard {
		return s.check(k)
	}
	return nil
}

// advance runs step k without the guard (a teacher's step).
func (s *Sim) advance(k int) {
	s.begin(k)
	s.runKernels(k)
	s.finish(k)
}

// begin fills the stimuli and the targets of step k, the first part of a
// step (the adjoint sweep runs its own kernels between begin and finish).
func (s *Sim) begin(k int) {
	if s.feed != nil && !s.feed.driven {
		s.feed.at(k)
	}
	s.fillInputs(k)
	for i := range s.targets {
		tc := &s.targets[i]
		if tc.data {
			s.feed.fillY(s.vals[tc.dst], len(s.vals[tc.dst])/s.batch)
		} else if tc.file != nil {
			tc.file.fill(s.vals[tc.dst], k)
		} else {
			copy(s.vals[tc.dst], tc.teacher.vals[tc.src])
		}
	}
	if s.prog.Float32 {
		s.roundInputs()
	}
}

// finish steps the teachers and swaps the states, the last part of a
// step.
func (s *Sim) finish(k int) {
	for _, t := range s.teachers {
		t.advance(k)
	}
	s.swap()
	s.k++
}

func (s *Sim) runKernels(k int) {
	learn := k >= s.prog.LearnAfter && !s.learnOff
	s.learning = learn
	for i, st := range s.kernels {
		if st == nil || (s.learn[i] && !learn) {
			continue
		}
		st(s)
		if s.rounds != nil {
			s.roundWrites(i)
		}
	}
}

func (s *Sim) swap() {
	for _, p := range s.states {
		s.vals[p[0]], s.vals[p[1]] = s.vals[p[1]], s.vals[p[0]]
	}
}

// NonFiniteError reports the first NaN or infinite value of a run: in a
// state, a parameter or the cost.
type NonFiniteError struct {
	// Buffer names the quantity as the user writes it: "h.u", "W1",
	// "W1^T @ y.e" (a message of the step program), "cost".
	Buffer string
	// Note says what part an internal buffer of the step program plays:
	// "a term of h.ebar", "as the previous step used it"; "" otherwise.
	Note  string
	Index int     // flat index within a sample (row-major for matrices)
	Row   int     // row of a matrix (Index / cols), or Index; -1 for a scalar
	Col   int     // column of a matrix, -1 for a vector or scalar
	Batch int     // batch element, -1 for a parameter shared by the batch
	Step  int     // the step that produced it
	Time  float64 // its time, Step * dt
	Value float64
}

func (e *NonFiniteError) Error() string {
	where := e.Buffer
	if strings.Contains(where, " ") && e.Row >= 0 {
		where = "(" + where + ")" // an expression: (W1^T @ y.e)[0]
	}
	if e.Row >= 0 {
		where += fmt.Sprintf("[%d]", e.Row)
	}
	if e.Col >= 0 {
		where += fmt.Sprintf("[%d]", e.Col)
	}
	if e.Batch >= 0 {
		where += fmt.Sprintf(", batch element %d", e.Batch)
	}
	if e.Note != "" {
		where += " (" + e.Note + ")"
	}
	return fmt.Sprintf("non-finite value %v in %s at step %d (t = %gs)", e.Value, where, e.Step, e.Time)
}

// check looks for a non-finite value in the states, the parameters and
// the cost of step k. A fast summed pass runs first; only a non-finite sum
// leads to the scan.
func (s *Sim) check(k int) error {
	for _, b := range s.guard {
		if s.passSummed[b.ID] && isFinite(s.passSums[b.ID]) {
			continue // the synapse pass summed it: finite unless an entry is not
		}
		if e := s.scan(b, s.vals[b.ID], k); e != nil {
			return e
		}
	}
	if s.costBuf != nil {
		return s.scan(s.prog.Cost, s.costBuf, k)
	}
	return nil
}

// scan returns the first non-finite value of buffer b (values v) after
// step k, or nil.
func (s *Sim) scan(b *schedule.Buffer, v []float64, k int) error {
	if isFinite(kern.Sum(v)) {
		return nil
	}
	for j, x := range v {
		if isFinite(x) {
			continue
		}
		n := b.Size()
		name, note := userName(s.prog, b)
		e := &NonFiniteError{Buffer: name, Note: note, Index: j % n, Row: j % n, Col: -1, Batch: -1,
			Step: k, Time: s.clock.at(k), Value: x}
		if b.Batched {
			e.Batch = j / n
		}
		switch b.Shape.Rank {
		case 0:
			e.Row = -1
		case 2:
			e.Row, e.Col = (j%n)/b.Shape.Cols(), (j%n)%b.Shape.Cols()
		}
		return e
	}
	return nil
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
