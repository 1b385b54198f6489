// Package naive is a deliberately simple interpreter of step programs,
// written from the kernel definitions in ir/schedule alone. Tests use it
// as an independent reference: the step program against shared/golden,
// the reverse sweep against exact gradients, the fast runtime against
// both. It is slow and never used outside tests.
package naive

import (
	"fmt"
	"math"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
)

// Machine runs a program and its teachers.
type Machine struct {
	p        *schedule.Program
	vals     map[*schedule.Buffer][]float64
	teachers map[*check.Teacher]*Machine
	bindings map[*schedule.Buffer]*schedule.Buffer // a teacher's input -> the student's
}

// New allocates the buffers of p (and of its teachers) with their initial values.
func New(p *schedule.Program) *Machine {
	m := &Machine{p: p, vals: map[*schedule.Buffer][]float64{}, teachers: map[*check.Teacher]*Machine{}}
	for _, b := range p.Buffers {
		n := b.Size()
		if b.Batched {
			n *= p.Batch
		}
		m.vals[b] = make([]float64, n)
		copy(m.vals[b], b.Init)
	}
	for t, tp := range p.Teachers {
		tm := New(tp)
		tm.bindings = map[*schedule.Buffer]*schedule.Buffer{}
		for theirs, ours := range t.Bindings {
			for in, buf := range tp.Inputs {
				if in.Name == theirs {
					tm.bindings[buf] = p.Inputs[ours]
				}
			}
		}
		m.teachers[t] = tm
	}
	m.Kernels(p.Init, 0)
	return m
}

// At is entry i of sample b of buffer buf.
func (m *Machine) At(buf *schedule.Buffer, b, i int) float64 { return m.vals[buf][b*buf.Size()+i] }

// Values is the storage of buffer buf, sample-major.
func (m *Machine) Values(buf *schedule.Buffer) []float64 { return m.vals[buf] }

// Alloc adds storage for extra buffers (such as adjoints), zeroed.
func (m *Machine) Alloc(bufs []*schedule.Buffer) {
	for _, b := range bufs {
		n := b.Size()
		if b.Batched {
			n *= m.p.Batch
		}
		m.vals[b] = make([]float64, n)
	}
}

// Step runs step k of the program and its teachers.
func (m *Machine) Step(k int) {
	m.Begin(k)
	m.Kernels(m.p.Kernels, k)
	m.End(k)
}

// Begin fills the inputs and targets of step k.
func (m *Machine) Begin(k int) {
	m.inputs(k, nil)
	for _, tb := range m.p.Targets {
		copy(m.vals[tb.Buffer], m.teachers[tb.Teacher].vals[tb.Source])
	}
}

// End steps the teachers and swaps the states.
func (m *Machine) End(k int) {
	for _, tm := range m.teachers {
		tm.inputs(k, m)
		tm.Kernels(tm.p.Kernels, k)
		tm.swap()
	}
	m.swap()
}

func (m *Machine) inputs(k int, parent *Machine) {
	t := float64(k) * m.p.Dt
	for in, buf := range m.p.Inputs {
		if src, ok := m.bindings[buf]; ok {
			copy(m.vals[buf], parent.vals[src])
			continue
		}
		for b := 0; b < m.p.Batch; b++ {
			for i := 0; i < in.Size; i++ {
				m.vals[buf][b*in.Size+i] = stim(in.Stimulus, t, float64(i), float64(b))
			}
		}
	}
}

func (m *Machine) swap() {
	for _, b := range m.p.Buffers {
		if b.Kind == schedule.State {
			m.vals[b], m.vals[b.Next] = m.vals[b.Next], m.vals[b]
		}
	}
}

// Kernels runs kernels as step k (learning kernels only from LearnAfter).
func (m *Machine) Kernels(ks []*schedule.Kernel, k int) {
	for _, kn := range ks {
		if kn.Phase == schedule.PhaseLearn && k < m.p.LearnAfter {
			continue
		}
		if kn.Op == schedule.OpSynapse {
			m.synapse(kn.Syn, k >= m.p.LearnAfter)
			continue
		}
		m.kernel(kn)
	}
}

// value reads entry i of sample b of buffer x, broadcasting scalars and
// shared buffers.
func (m *Machine) value(x *schedule.Buffer, b, i int) float64 {
	v := m.vals[x]
	if !x.Batched {
		b = 0
	}
	if x.Size() == 1 {
		i = 0
	}
	return v[b*x.Size()+i]
}

// synapse runs the three parts of a fused synapse kernel (a batch of
// one), each from the weights as they were before the update.
func (m *Machine) synapse(s *schedule.Synapse, learning bool) {
	w := m.vals[s.W]
	rows, cols := s.W.Shape.Rows(), s.W.Shape.Cols()
	old := append([]float64(nil), w...)
	if s.Y != nil {
		y, x := m.vals[s.Y], m.vals[s.X]
		for i := 0; i < rows; i++ {
			sum := 0.0
			for j := 0; j < cols; j++ {
				sum += old[i*cols+j] * x[j]
			}
			y[i] = sum
		}
	}
	if s.G != nil {
		g, e := m.vals[s.G], m.vals[s.E]
		for j := 0; j < cols; j++ {
			sum := 0.0
			for i := 0; i < rows; i++ {
				sum += old[i*cols+j] * e[i]
			}
			g[j] = sum
		}
	}
	if s.A != nil && learning {
		a, c := m.vals[s.A], m.vals[s.C]
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				w[i*cols+j] += s.Scale * a[i] * c[j]
			}
		}
	}
}

func (m *Machine) kernel(k *schedule.Kernel) {
	dst := m.vals[k.Dst]
	B := m.p.Batch
	switch k.Op {
	case schedule.OpMap:
		nb := 1
		if k.Dst.Batched {
			nb = B
		}
		for b := 0; b < nb; b++ {
			for i := 0; i < k.Dst.Size(); i++ {
				dst[b*k.Dst.Size()+i] = m.code(k.Code, k.Args, b, i)
			}
		}
	case schedule.OpMatVec, schedule.OpMatTVec:
		w, rows, cols := m.vals[k.Args[0]], k.Args[0].Shape.Rows(), k.Args[0].Shape.Cols()
		for b := 0; b < B; b++ {
			for o := 0; o < k.Dst.Size(); o++ {
				s := 0.0
				for j := 0; j < k.Args[1].Size(); j++ {
					if k.Op == schedule.OpMatVec {
						s += w[o*cols+j] * m.value(k.Args[1], b, j)
					} else {
						s += w[j*cols+o] * m.value(k.Args[1], b, j)
					}
				}
				dst[b*k.Dst.Size()+o] = s
			}
		}
		_ = rows
	case schedule.OpSum, schedule.OpSumSq:
		x := k.Args[0]
		for b := 0; b < len(dst); b++ { // a shared destination sums a shared operand once
			s := 0.0
			for i := 0; i < x.Size(); i++ {
				v := m.value(x, b, i)
				if k.Op == schedule.OpSumSq {
					v *= v
				}
				s += v
			}
			dst[b] = s
		}
	case schedule.OpZero:
		clear(dst)
	case schedule.OpOuterAcc:
		a, c := k.Args[0], k.Args[1]
		for i := 0; i < a.Size(); i++ {
			for j := 0; j < c.Size(); j++ {
				s := 0.0
				for b := 0; b < B; b++ {
					s += m.value(a, b, i) * m.value(c, b, j)
				}
				dst[i*c.Size()+j] += k.Scale * s / float64(B)
			}
		}
	case schedule.OpMeanAcc:
		src := k.Args[0]
		for i := range dst {
			s := 0.0
			nb := 1
			if src.Batched {
				nb = B
			}
			for b := 0; b < nb; b++ {
				s += m.value(src, b, i)
			}
			dst[i] += k.Scale * s / float64(nb)
		}
	case schedule.OpApply:
		for i := range dst {
			dst[i] += k.Scale * m.vals[k.Args[0]][i]
			if k.Dst.Floor > 0 && dst[i] < k.Dst.Floor {
				dst[i] = k.Dst.Floor
			}
		}
	case schedule.OpDot:
		x, y := k.Args[0], k.Args[1]
		for b := 0; b < B; b++ {
			s := 0.0
			for i := 0; i < x.Size(); i++ {
				s += m.value(x, b, i) * m.value(y, b, i)
			}
			dst[b] = s
		}
	case schedule.OpSoftmax, schedule.OpLogSumExp:
		x := k.Args[0]
		for b := 0; b < B; b++ {
			mx := math.Inf(-1)
			for i := 0; i < x.Size(); i++ {
				mx = math.Max(mx, m.value(x, b, i))
			}
			s := 0.0
			for i := 0; i < x.Size(); i++ {
				s += math.Exp(m.value(x, b, i) - mx)
			}
			if k.Op == schedule.OpLogSumExp {
				dst[b] = mx + math.Log(s)
				continue
			}
			for i := 0; i < x.Size(); i++ {
				dst[b*x.Size()+i] = math.Exp(m.value(x, b, i)-mx) / s
			}
		}
	case schedule.OpMapAcc:
		sp := k.Space
		nb := 1
		if sp.Batched {
			nb = B
		}
		for b := 0; b < nb; b++ {
			for i := 0; i < sp.Size(); i++ {
				v := m.code(k.Code, k.Args, b, i)
				db, di := b, i
				if !k.Dst.Batched {
					db = 0
				}
				if k.Dst.Size() == 1 {
					di = 0
				}
				dst[db*k.Dst.Size()+di] += v
			}
		}
	default:
		panic(fmt.Sprintf("naive interpreter: kernel %s not supported", k.Op))
	}
}

func (m *Machine) code(c *schedule.Code, args []*schedule.Buffer, b, i int) float64 {
	switch c.Op {
	case schedule.CodeConst:
		return c.Value
	case schedule.CodeLoad:
		return m.value(args[c.Arg], b, i)
	case schedule.CodeAdd:
		s := 0.0
		for _, a := range c.Args {
			s += m.code(a, args, b, i)
		}
		return s
	case schedule.CodeMul:
		s := 1.0
		for _, a := range c.Args {
			s *= m.code(a, args, b, i)
		}
		return s
	case schedule.CodePow:
		return math.Pow(m.code(c.Args[0], args, b, i), c.Value)
	case schedule.CodeFunc, schedule.CodeDeriv:
		x := m.code(c.Args[0], args, b, i)
		return fn(c.Func, c.Op == schedule.CodeDeriv, x)
	}
	panic("bad code")
}

func fn(f ir.Func, deriv bool, x float64) float64 {
	sig := 1 / (1 + math.Exp(-x))
	switch {
	case f == ir.Tanh && !deriv:
		return math.Tanh(x)
	case f == ir.Tanh:
		return 1 - math.Tanh(x)*math.Tanh(x)
	case f == ir.Sigmoid && !deriv:
		return sig
	case f == ir.Sigmoid:
		return sig * (1 - sig)
	case f == ir.Softplus && !deriv:
		return math.Log1p(math.Exp(x))
	case f == ir.Exp:
		return math.Exp(x)
	case f == ir.Log:
		return math.Log(x)
	case f == ir.Relu:
		return math.Max(x, 0)
	case f == ir.Step:
		if x > 0 {
			return 1
		}
		return 0
	case f == ir.Abs:
		return math.Abs(x)
	case f == ir.Sign:
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	}
	panic(fmt.Sprintf("naive interpreter: %v (deriv %v)", f, deriv))
}

// stim evaluates a checked stimulus expression.
func stim(e check.Expr, t, i, b float64) float64 {
	switch e := e.(type) {
	case *check.Num:
		return e.Value
	case *check.Ref:
		return map[string]float64{"t": t, "i": i, "b": b}[e.Var]
	case *check.Unary:
		return -stim(e.X, t, i, b)
	case *check.Binary:
		x, y := stim(e.X, t, i, b), stim(e.Y, t, i, b)
		switch e.Op {
		case "+":
			return x + y
		case "-":
			return x - y
		case "*":
			return x * y
		case "/":
			return x / y
		}
	case *check.Call:
		a := make([]float64, len(e.Args))
		for k, x := range e.Args {
			a[k] = stim(x, t, i, b)
		}
		switch e.Func {
		case "sin":
			return math.Sin(a[0])
		case "sine": // freq, phase, amp, offset
			return a[2]*math.Sin(2*math.Pi*a[0]*t+a[1]) + a[3]
		}
	}
	panic(fmt.Sprintf("naive stimulus: %s", e))
}
