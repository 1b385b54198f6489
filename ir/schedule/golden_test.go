package schedule_test

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/ir/derive"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
)

// This file checks the step program against the GLE reference run with a
// deliberately naive interpreter, written from the kernel definitions in
// program.go alone: if the scheme or the derivation is wrong, the numbers
// differ from shared/golden.

const goldenDir = "../../../shared/golden"

func TestGoldenTrajectories(t *testing.T) {
	if _, err := os.Stat(goldenDir); err != nil {
		t.Skipf("golden data not found at %s (it sits beside the repository in CI): %v", goldenDir, err)
	}
	for _, name := range []string{"chain2", "mlp"} {
		t.Run(name, func(t *testing.T) {
			prog := compile(t, "../../examples/"+name+".vle")
			header, rows := readCSV(t, filepath.Join(goldenDir, name+".csv"))
			m := newMachine(prog)
			cols := columnBuffers(t, prog, header)
			worst := 0.0
			for k, row := range rows {
				m.step(k)
				for c, ref := range cols {
					want, _ := strconv.ParseFloat(row[c], 64)
					got := m.at(ref)
					d := math.Abs(got-want) / (1 + math.Abs(want))
					worst = math.Max(worst, d)
					if d > 1e-9 {
						t.Fatalf("step %d, %s: got %.17g, want %.17g", k, header[c], got, want)
					}
				}
			}
			t.Logf("%d steps, %d columns, worst relative difference %.2g", len(rows), len(cols), worst)
		})
	}
}

func compile(t *testing.T, path string) *schedule.Program {
	t.Helper()
	m, src, err := check.Load(path)
	if err != nil {
		t.Fatal(src.Format(err))
	}
	sys, err := derive.Derive(m)
	if err != nil {
		t.Fatal(src.Format(err))
	}
	prog, err := schedule.Schedule(sys)
	if err != nil {
		t.Fatal(src.Format(err))
	}
	return prog
}

func loadModel(t *testing.T, src string) *check.Model {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.vle")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	m, sources, err := check.Load(path)
	if err != nil {
		t.Fatal(sources.Format(err))
	}
	return m
}

func readCSV(t *testing.T, path string) ([]string, [][]string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return all[0], all[1:]
}

// entry is one scalar of a buffer: batch element b, flat index i.
type entry struct {
	buf  *schedule.Buffer
	b, i int
}

var column = regexp.MustCompile(`^([a-zA-Z_]+)(\d*)\[(\d+)\](?:\[(\d+)\])?$`)

// columnBuffers maps golden columns (u0[b][i], W1[i][j], tau_m0[i], ...)
// to buffers: population l is the l-th population of the model.
func columnBuffers(t *testing.T, p *schedule.Program, header []string) map[int]entry {
	out := map[int]entry{}
	pops := p.Model.Populations
	for c, h := range header {
		if h == "step" || h == "t" {
			continue
		}
		g := column.FindStringSubmatch(h)
		if g == nil {
			t.Fatalf("column %q", h)
		}
		a, _ := strconv.Atoi(g[3])
		b := -1
		if g[4] != "" {
			b, _ = strconv.Atoi(g[4])
		}
		var name string
		switch g[1] {
		case "x":
			name = p.Model.Inputs[0].Name
		case "target":
			name = p.Targets[0].Buffer.Name
		case "W":
			l, _ := strconv.Atoi(g[2])
			name = p.Model.Connections[l].Name
		default:
			l, _ := strconv.Atoi(g[2])
			name = pops[l].Name + "." + g[1]
		}
		buf := p.Named[name]
		if buf == nil {
			t.Fatalf("column %s: no buffer %s", h, name)
		}
		switch {
		case b < 0: // per-neuron parameter [i]
			out[c] = entry{buf, 0, a}
		case buf.Batched: // [batch][i]
			out[c] = entry{buf, a, b}
		default: // matrix [i][j]
			out[c] = entry{buf, 0, a*buf.Shape.Cols() + b}
		}
	}
	return out
}

// machine is the naive interpreter.
type machine struct {
	p        *schedule.Program
	vals     map[*schedule.Buffer][]float64
	teachers map[*check.Teacher]*machine
	bindings map[*schedule.Buffer]*schedule.Buffer // a teacher's input -> the student's
}

func newMachine(p *schedule.Program) *machine {
	m := &machine{p: p, vals: map[*schedule.Buffer][]float64{}, teachers: map[*check.Teacher]*machine{}}
	for _, b := range p.Buffers {
		n := b.Size()
		if b.Batched {
			n *= p.Batch
		}
		m.vals[b] = make([]float64, n)
		copy(m.vals[b], b.Init)
	}
	for t, tp := range p.Teachers {
		tm := newMachine(tp)
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
	return m
}

func (m *machine) at(e entry) float64 { return m.vals[e.buf][e.b*e.buf.Size()+e.i] }

// step runs step k of the student and its teachers.
func (m *machine) step(k int) {
	m.inputs(k, nil)
	for _, tb := range m.p.Targets {
		copy(m.vals[tb.Buffer], m.teachers[tb.Teacher].vals[tb.Source])
	}
	m.kernels(k)
	for _, tm := range m.teachers {
		tm.inputs(k, m)
		tm.kernels(k)
		tm.swap()
	}
	m.swap()
}

func (m *machine) inputs(k int, parent *machine) {
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

func (m *machine) swap() {
	for _, b := range m.p.Buffers {
		if b.Kind == schedule.State {
			m.vals[b], m.vals[b.Next] = m.vals[b.Next], m.vals[b]
		}
	}
}

func (m *machine) kernels(k int) {
	for _, kn := range m.p.Kernels {
		if kn.Phase == schedule.PhaseLearn && k < m.p.LearnAfter {
			continue
		}
		m.kernel(kn)
	}
}

// value reads entry i of sample b of buffer x, broadcasting scalars and
// shared buffers.
func (m *machine) value(x *schedule.Buffer, b, i int) float64 {
	v := m.vals[x]
	if !x.Batched {
		b = 0
	}
	if x.Size() == 1 {
		i = 0
	}
	return v[b*x.Size()+i]
}

func (m *machine) kernel(k *schedule.Kernel) {
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
		for b := 0; b < B; b++ {
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
	default:
		panic(fmt.Sprintf("naive interpreter: kernel %s not supported", k.Op))
	}
}

func (m *machine) code(c *schedule.Code, args []*schedule.Buffer, b, i int) float64 {
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
