package runtime

import (
	"fmt"
	"github.com/vlec-dev/vlec/ir"
	"math"
	"math/rand/v2"

	"github.com/vlec-dev/vlec/lang/check"
)

// Stimuli. A checked stimulus is an expression in t (time, s), i (neuron
// index) and b (batch index); it is compiled once into closures and
// evaluated for every entry of the input at every step. An expression that
// does not depend on t (and has no noise) is evaluated once.
//
// Generators:
//
//	sine(freq, phase, amp, offset)    amp * sin(2 pi freq t + phase) + offset
//	cosine(freq, phase, amp, offset)  amp * cos(2 pi freq t + phase) + offset
//	step(at, height)                  height for t >= at, else 0
//	smooth_step(at, width, height)    0 before at, height after at + width, a cubic
//	                                  smoothstep 3s^2 - 2s^3 in between (s = (t - at) / width)
//	square_wave(freq, duty, amp, offset)
//	                                  offset + amp for the first duty fraction of each
//	                                  period, offset - amp for the rest
//	ou(tau, sigma, mean, seed)        Ornstein-Uhlenbeck noise, x(0) = mean,
//	                                  x += dt/tau (mean - x) + sigma sqrt(2 dt / tau) N(0,1),
//	                                  one random stream per neuron and batch element

type stimEnv struct {
	t    float64
	i, b int
	idx  int // b*size + i
	k    int // step
}

type stimFn func(e *stimEnv) float64

type inputSource struct {
	buf    int
	size   int
	name   string
	fn     stimFn
	file   *series
	static bool // filled once
	bound  int  // for a teacher: the parent's input buffer, else -1
	data   bool // a data set's inputs (Sim.feed)
	env    stimEnv
}

// bindInputs makes a teacher's inputs that are bound to its parent's
// (Sim.bound, known only once the teacher's simulator exists) copy them
// instead of computing their own stimulus.
func (s *Sim) bindInputs() {
	for _, b := range s.bound {
		for _, in := range s.inputs {
			if in.buf == b[0] {
				in.bound = b[1]
			}
		}
	}
}

// setupInputs compiles the stimuli and loads the input files.
func (s *Sim) setupInputs() error {
	boundTo := map[int]int{}
	for _, b := range s.bound {
		boundTo[b[0]] = b[1]
	}
	for _, in := range s.prog.Model.Inputs {
		buf := s.prog.Inputs[in]
		if buf == nil {
			continue
		}
		src := &inputSource{buf: buf.ID, size: in.Size, name: in.Name, bound: -1}
		if p, ok := boundTo[buf.ID]; ok {
			src.bound = p
			s.inputs = append(s.inputs, src)
			continue
		}
		switch {
		case in.Data != nil:
			if s.feed == nil || s.feed.set.ds != in.Data {
				return positioned(in.Pos, fmt.Errorf("input %s: dataset %s is not the task's", in.Name, in.Data.Name))
			}
			src.data = true
		case in.File != "":
			ser, err := loadSeries(in.File, in.Size, s.batch, s.steps, "input "+in.Name)
			if err != nil {
				return positioned(in.Pos, err)
			}
			src.file = ser
		case in.Stimulus != nil:
			c := &stimCompiler{s: s, input: in}
			fn, err := c.compile(in.Stimulus)
			if err != nil {
				return fmt.Errorf("input %s: %v", in.Name, err)
			}
			src.fn, src.static = fn, !c.timeDependent
		default:
			return fmt.Errorf("input %s has neither a stimulus nor a file", in.Name)
		}
		s.inputs = append(s.inputs, src)
		if src.static {
			src.fill(s, 0)
		}
	}
	return nil
}

// fillInputs writes the inputs of step k.
func (s *Sim) fillInputs(k int) {
	for _, in := range s.inputs {
		switch {
		case in.bound >= 0:
			copy(s.vals[in.buf], s.parent.vals[in.bound])
		case in.static:
		case in.data:
			s.feed.fillX(s.vals[in.buf], in.size)
		case in.file != nil:
			in.file.fill(s.vals[in.buf], k)
		default:
			in.fill(s, k)
		}
	}
}

func (in *inputSource) fill(s *Sim, k int) {
	v := s.vals[in.buf]
	e := &in.env
	e.t, e.k = float64(k)*s.prog.Dt, k
	for b := 0; b < s.batch; b++ {
		for i := 0; i < in.size; i++ {
			e.i, e.b, e.idx = i, b, b*in.size+i
			v[e.idx] = in.fn(e)
		}
	}
}

type stimCompiler struct {
	s             *Sim
	input         *check.Input
	timeDependent bool
	nOU           int
}

func (c *stimCompiler) compile(e check.Expr) (stimFn, error) {
	switch e := e.(type) {
	case *check.Num:
		v := e.Value
		return func(*stimEnv) float64 { return v }, nil
	case *check.Ref:
		switch {
		case e.Kind == check.RefStim && e.Var == "t":
			c.timeDependent = true
			return func(x *stimEnv) float64 { return x.t }, nil
		case e.Kind == check.RefStim && e.Var == "i":
			return func(x *stimEnv) float64 { return float64(x.i) }, nil
		case e.Kind == check.RefStim && e.Var == "b":
			return func(x *stimEnv) float64 { return float64(x.b) }, nil
		case e.Kind == check.RefScalar && e.Param != nil:
			v := e.Param.Value
			return func(*stimEnv) float64 { return v }, nil
		}
		return nil, fmt.Errorf("a stimulus cannot read %s", e)
	case *check.Unary:
		x, err := c.compile(e.X)
		if err != nil {
			return nil, err
		}
		if e.Op != "-" {
			return nil, fmt.Errorf("unknown operator %s", e.Op)
		}
		return func(v *stimEnv) float64 { return -x(v) }, nil
	case *check.Binary:
		x, err := c.compile(e.X)
		if err != nil {
			return nil, err
		}
		y, err := c.compile(e.Y)
		if err != nil {
			return nil, err
		}
		switch e.Op {
		case "+":
			return func(v *stimEnv) float64 { return x(v) + y(v) }, nil
		case "-":
			return func(v *stimEnv) float64 { return x(v) - y(v) }, nil
		case "*":
			return func(v *stimEnv) float64 { return x(v) * y(v) }, nil
		case "/":
			return func(v *stimEnv) float64 { return x(v) / y(v) }, nil
		case "^":
			return func(v *stimEnv) float64 { return math.Pow(x(v), y(v)) }, nil
		}
		return nil, fmt.Errorf("operator %s in a stimulus", e.Op)
	case *check.Call:
		return c.call(e)
	}
	return nil, fmt.Errorf("cannot evaluate %s as a stimulus", e)
}

// stimMath are the elementwise functions a stimulus may call. Those the
// IR knows are its functions (ir.Func.Eval: tanh and sigmoid with the
// bits of vlec's kernels), so that a stimulus computes as an activation
// does and the generated code (codegen/golang's stimMath) gives the same
// numbers; sin, cos and sqrt are math's.
var stimMath = map[string]func(float64) float64{
	"sin": math.Sin, "cos": math.Cos, "sqrt": math.Sqrt,
	"exp": ir.Exp.Eval, "log": ir.Log.Eval, "tanh": ir.Tanh.Eval, "sigmoid": ir.Sigmoid.Eval, "abs": ir.Abs.Eval,
	"softplus": ir.Softplus.Eval, "relu": ir.Relu.Eval, "square": ir.Square.Eval, "linear": ir.Linear.Eval,
}

// StimFunc returns the elementwise function name of a stimulus (sin,
// tanh, softplus, ...) as the interpreter evaluates it, for back ends
// that evaluate stimuli themselves.
func StimFunc(name string) (func(float64) float64, bool) {
	f, ok := stimMath[name]
	return f, ok
}

func (c *stimCompiler) call(e *check.Call) (stimFn, error) {
	args := make([]stimFn, len(e.Args))
	for i, a := range e.Args {
		f, err := c.compile(a)
		if err != nil {
			return nil, err
		}
		args[i] = f
	}
	if f, ok := stimMath[e.Func]; ok {
		if len(args) != 1 {
			return nil, fmt.Errorf("%s takes one argument", e.Func)
		}
		x := args[0]
		return func(v *stimEnv) float64 { return f(x(v)) }, nil
	}
	want := map[string]int{"sine": 4, "cosine": 4, "step": 2, "smooth_step": 3, "square_wave": 4, "ou": 4}
	if n, ok := want[e.Func]; !ok {
		return nil, fmt.Errorf("unknown function %s in a stimulus", e.Func)
	} else if len(args) != n {
		return nil, fmt.Errorf("%s takes %d arguments, got %d", e.Func, n, len(args))
	}
	c.timeDependent = true
	a := args
	switch e.Func {
	case "sine":
		return func(v *stimEnv) float64 {
			return a[2](v)*math.Sin(2*math.Pi*a[0](v)*v.t+a[1](v)) + a[3](v)
		}, nil
	case "cosine":
		return func(v *stimEnv) float64 {
			return a[2](v)*math.Cos(2*math.Pi*a[0](v)*v.t+a[1](v)) + a[3](v)
		}, nil
	case "step":
		return func(v *stimEnv) float64 {
			if v.t >= a[0](v) {
				return a[1](v)
			}
			return 0
		}, nil
	case "smooth_step":
		return func(v *stimEnv) float64 {
			at, w, h := a[0](v), a[1](v), a[2](v)
			switch {
			case v.t <= at:
				return 0
			case v.t >= at+w:
				return h
			}
			s := (v.t - at) / w
			return h * s * s * (3 - 2*s)
		}, nil
	case "square_wave":
		return func(v *stimEnv) float64 {
			f, duty, amp, off := a[0](v), a[1](v), a[2](v), a[3](v)
			ph := f*v.t - math.Floor(f*v.t)
			if ph < duty {
				return off + amp
			}
			return off - amp
		}, nil
	case "ou":
		return c.ou(a), nil
	}
	return nil, fmt.Errorf("unknown generator %s", e.Func)
}

// ou is an Ornstein-Uhlenbeck process with one state and one random
// stream per entry (neuron, batch element), registered with the simulator
// so that a checkpoint can save them.
func (c *stimCompiler) ou(a []stimFn) stimFn {
	n := c.input.Size * c.s.batch
	p := &ouNoise{state: make([]float64, n), rngs: make([]*rand.Rand, n), pcgs: make([]*rand.PCG, n)}
	c.s.noise = append(c.s.noise, p)
	dt := c.s.prog.Dt
	size := c.input.Size
	c.nOU++
	stream := fmt.Sprintf("ou:%s:%d", c.input.Name, c.nOU)
	simSeed := c.s.seed
	return func(v *stimEnv) float64 {
		tau, sigma, mean := a[0](v), a[1](v), a[2](v)
		if v.k == 0 || p.rngs[v.idx] == nil {
			seed := uint64(a[3](v))
			base := newRand(seed, simSeed, stream)
			// one stream per entry: mix the base draw with the entry's index
			p.pcgs[v.idx] = rand.NewPCG(base.Uint64(), uint64(v.b)<<32|uint64(v.idx%size))
			p.rngs[v.idx] = rand.New(p.pcgs[v.idx])
			p.state[v.idx] = mean
			return mean
		}
		x := p.state[v.idx]
		x += dt/tau*(mean-x) + sigma*math.Sqrt(2*dt/tau)*p.rngs[v.idx].NormFloat64()
		p.state[v.idx] = x
		return x
	}
}

// ouNoise is the state of one ou generator: the process value and the
// random stream of every entry (nil until its first step).
type ouNoise struct {
	state []float64
	rngs  []*rand.Rand
	pcgs  []*rand.PCG
}
