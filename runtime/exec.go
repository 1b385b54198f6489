package runtime

import (
	"fmt"
	"math"
	goruntime "runtime"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/vlec-dev/vlec/internal/kern"
	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/ir/schedule"
)

// row returns sample b of buffer x (sample 0 for a shared buffer).
func (s *Sim) row(x *schedule.Buffer, b int) []float64 {
	n := x.Size()
	if !x.Batched {
		b = 0
	}
	return s.vals[x.ID][b*n : b*n+n]
}

func general(data []float64, rows, cols int) blas64.General {
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: data[:rows*cols]}
}

func vector(data []float64) blas64.Vector {
	return blas64.Vector{N: len(data), Inc: 1, Data: data}
}

// pool is the simulator's worker pool for the large products.
func (s *Sim) pool() *kern.Workers {
	if s.workers == nil {
		s.workers = kern.NewWorkers(goruntime.GOMAXPROCS(0))
	}
	return s.workers
}

// Close stops the simulator's worker goroutines; the simulator must not
// step afterwards.
func (s *Sim) Close() {
	if s.workers != nil {
		s.workers.Close()
		s.workers = nil
	}
	for _, t := range s.teachers {
		t.Close()
	}
}

// compile turns a kernel into a closure over the simulator's buffers.
func (s *Sim) compile(k *schedule.Kernel) (step, error) {
	need := map[schedule.Op]int{schedule.OpMatVec: 2, schedule.OpMatTVec: 2, schedule.OpSum: 1, schedule.OpSumSq: 1,
		schedule.OpDot: 2, schedule.OpLogSumExp: 1, schedule.OpSoftmax: 1, schedule.OpOuterAcc: 2, schedule.OpMeanAcc: 1,
		schedule.OpApply: 1}
	if n, ok := need[k.Op]; ok && len(k.Args) != n {
		return nil, fmt.Errorf("kernel %s: %d arguments, %s takes %d", k, len(k.Args), k.Op, n)
	}
	B := s.batch
	dst := k.Dst
	switch k.Op {
	case schedule.OpSynapse:
		return s.compileSynapse(k.Syn)
	case schedule.OpMap:
		t, err := compileMap(k)
		if err != nil {
			return nil, err
		}
		return func(s *Sim) { t.run(s.vals, B) }, nil
	case schedule.OpZero:
		return func(s *Sim) { clear(s.vals[dst.ID]) }, nil
	case schedule.OpMatVec, schedule.OpMatTVec:
		return s.compileMatVec(k)
	case schedule.OpSum, schedule.OpSumSq, schedule.OpDot, schedule.OpLogSumExp:
		if dst.Size() != 1 {
			return nil, fmt.Errorf("kernel %s: a reduction writes a scalar", k)
		}
		x := k.Args[0]
		y := x
		if k.Op == schedule.OpDot {
			y = k.Args[1]
			if x.Size() != y.Size() && x.Size() != 1 && y.Size() != 1 {
				return nil, fmt.Errorf("kernel %s: dot of %d and %d entries", k, x.Size(), y.Size())
			}
		}
		op := k.Op
		nb := s.rows(dst)
		return func(s *Sim) {
			d := s.vals[dst.ID]
			for b := 0; b < nb; b++ {
				d[b] = reduce(op, s.row(x, b), s.row(y, b))
			}
		}, nil
	case schedule.OpSoftmax:
		x := k.Args[0]
		if x.Size() != dst.Size() {
			return nil, fmt.Errorf("kernel %s: softmax of %d entries into %d", k, x.Size(), dst.Size())
		}
		nb := s.rows(dst)
		return func(s *Sim) {
			for b := 0; b < nb; b++ {
				softmax(s.row(dst, b), s.row(x, b))
			}
		}, nil
	case schedule.OpOuterAcc, schedule.OpMeanAcc:
		return s.accumulator(k, dst, k.Scale)
	case schedule.OpApply:
		d := k.Args[0]
		if d.Size() != dst.Size() || d.Batched || dst.Batched {
			return nil, fmt.Errorf("kernel %s: apply of %s to %s", k, d, dst)
		}
		rate, floor := k.Scale, dst.Floor
		mask := s.masks[dst.ID]
		return func(s *Sim) {
			scale := rate * s.lrScale
			p, dv := s.vals[dst.ID], s.vals[d.ID]
			dv = dv[:len(p)]
			if mask == nil {
				for i, x := range dv {
					p[i] += scale * x
				}
			} else {
				for i, x := range dv {
					if mask[i] {
						p[i] += scale * x
					}
				}
			}
			if floor > 0 {
				for i, x := range p {
					if x < floor {
						p[i] = floor
					}
				}
			}
		}, nil
	case schedule.OpAdam:
		return s.compileAdam(k)
	case schedule.OpMapAcc:
		return s.compileMapAcc(k)
	}
	return nil, fmt.Errorf("kernel %s: operation %s is not supported by the interpreter", k, k.Op)
}

// compileAdam compiles an Adam step (see schedule.Adam): the moments
// follow the change, and the parameter moves by the bias-corrected ratio.
func (s *Sim) compileAdam(k *schedule.Kernel) (step, error) {
	dst, d, m, v := k.Dst, k.Args[0], k.Args[1], k.Args[2]
	if d.Size() != dst.Size() || m.Size() != dst.Size() || v.Size() != dst.Size() || d.Batched || dst.Batched {
		return nil, fmt.Errorf("kernel %s: adam of %s on %s", k, d, dst)
	}
	a, lr, floor := *k.Adam, k.Scale, dst.Floor
	mask := s.masks[dst.ID]
	id := len(s.adamT)
	s.adamT = append(s.adamT, 0)
	return func(s *Sim) {
		s.adamT[id]++
		t, rate := s.adamT[id], lr*s.lrScale
		c1, c2 := 1-math.Pow(a.Beta1, float64(t)), 1-math.Pow(a.Beta2, float64(t))
		p, dv, mv, vv := s.vals[dst.ID], s.vals[d.ID], s.vals[m.ID], s.vals[v.ID]
		for i := range p {
			if mask != nil && !mask[i] {
				continue
			}
			g := dv[i]
			mv[i] = a.Beta1*mv[i] + (1-a.Beta1)*g
			vv[i] = a.Beta2*vv[i] + (1-a.Beta2)*g*g
			p[i] += rate * (mv[i] / c1) / (math.Sqrt(vv[i]/c2) + a.Eps)
			if floor > 0 && p[i] < floor {
				p[i] = floor
			}
		}
	}, nil
}

func reduce(op schedule.Op, x, y []float64) float64 {
	s := 0.0
	switch op {
	case schedule.OpSum:
		for _, v := range x {
			s += v
		}
	case schedule.OpSumSq:
		for _, v := range x {
			s += v * v
		}
	case schedule.OpDot:
		switch {
		case len(x) == len(y):
			for i, v := range x {
				s += v * y[i]
			}
		case len(x) == 1:
			for _, v := range y {
				s += x[0] * v
			}
		default:
			for _, v := range x {
				s += v * y[0]
			}
		}
	case schedule.OpLogSumExp:
		m := math.Inf(-1)
		for _, v := range x {
			m = math.Max(m, v)
		}
		if math.IsInf(m, 0) {
			return m
		}
		for _, v := range x {
			s += math.Exp(v - m)
		}
		return m + math.Log(s)
	}
	return s
}

func softmax(d, x []float64) {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	sum := 0.0
	for i, v := range x {
		d[i] = math.Exp(v - m)
		sum += d[i]
	}
	for i := range d {
		d[i] /= sum
	}
}

// compileMatVec compiles W @ x and W^T @ x: one matrix product over the
// batch (a matrix-vector product for a batch of one).
func (s *Sim) compileMatVec(k *schedule.Kernel) (step, error) {
	w, x, dst := k.Args[0], k.Args[1], k.Dst
	if w.Shape.Rank != 2 || w.Batched {
		return nil, fmt.Errorf("kernel %s: %s is not a shared matrix", k, w)
	}
	rows, cols := w.Shape.Rows(), w.Shape.Cols()
	in, out := cols, rows
	tr := blas.NoTrans
	if k.Op == schedule.OpMatTVec {
		in, out = rows, cols
		tr = blas.Trans
	}
	if x.Size() != in || dst.Size() != out {
		return nil, fmt.Errorf("kernel %s: %s is %dx%d, %s has %d entries, %s %d", k, w, rows, cols, x, x.Size(), dst, dst.Size())
	}
	if x.Batched && !dst.Batched {
		return nil, fmt.Errorf("kernel %s: batched %s into shared %s", k, x, dst)
	}
	B := s.rows(dst)
	if !x.Batched || B == 1 {
		// one product, copied to every row
		return func(s *Sim) {
			d := s.vals[dst.ID]
			blas64.Gemv(tr, 1, general(s.vals[w.ID], rows, cols), vector(s.vals[x.ID][:in]), 0, vector(d[:out]))
			for b := 1; b < B; b++ {
				copy(d[b*out:(b+1)*out], d[:out])
			}
		}, nil
	}
	// Dst (B x out) = X (B x in) op(W)^T: W read through its transpose
	// for W @ x, as it is for W^T @ x.
	pool := s.pool()
	pool.Reserve(B, out, in)
	if k.Op == schedule.OpMatVec {
		return func(s *Sim) {
			kern.Gemm(B, out, in, 1, kern.RowMajor(s.vals[x.ID], in), kern.ColMajor(s.vals[w.ID], cols), 0, s.vals[dst.ID], out, pool)
		}, nil
	}
	return func(s *Sim) {
		kern.Gemm(B, out, in, 1, kern.RowMajor(s.vals[x.ID], in), kern.RowMajor(s.vals[w.ID], cols), 0, s.vals[dst.ID], out, pool)
	}, nil
}

// accumulator compiles OuterAcc and MeanAcc into target, with the given
// factor (the kernel's scale, or scale times a learning rate when the
// change is applied directly).
func (s *Sim) accumulator(k *schedule.Kernel, target *schedule.Buffer, factor float64) (step, error) {
	B := s.batch
	// a change applied directly to a parameter (schedule.Fuse) carries the
	// learning rate, which a task's schedule scales
	direct := target.Kind == schedule.Param
	rate := func(s *Sim, x float64) float64 {
		if direct {
			return x * s.lrScale
		}
		return x
	}
	if target.Batched {
		return nil, fmt.Errorf("kernel %s: accumulates into a batched buffer", k)
	}
	if k.Op == schedule.OpMeanAcc {
		src := k.Args[0]
		n := target.Size()
		if src.Size() != n && src.Size() != 1 {
			return nil, fmt.Errorf("kernel %s: mean of %d entries into %d", k, src.Size(), n)
		}
		nb := s.rows(src)
		f0 := factor / float64(nb)
		return func(s *Sim) {
			f := rate(s, f0)
			d := s.vals[target.ID]
			for b := 0; b < nb; b++ {
				r := s.row(src, b)
				if len(r) == 1 {
					for i := range d {
						d[i] += f * r[0]
					}
					continue
				}
				r = r[:len(d)]
				for i, v := range r {
					d[i] += f * v
				}
			}
		}, nil
	}
	a, c := k.Args[0], k.Args[1]
	na, nc := a.Size(), c.Size()
	if target.Size() != na*nc {
		return nil, fmt.Errorf("kernel %s: outer product of %d and %d entries into %d", k, na, nc, target.Size())
	}
	alpha := factor / float64(B)
	switch {
	case a.Batched && c.Batched && B == 1:
		return func(s *Sim) {
			blas64.Ger(rate(s, alpha), vector(s.vals[a.ID][:na]), vector(s.vals[c.ID][:nc]), general(s.vals[target.ID], na, nc))
		}, nil
	case a.Batched && c.Batched:
		// target += alpha * A^T C, A read through its transpose
		pool := s.pool()
		pool.Reserve(na, nc, B)
		return func(s *Sim) {
			kern.Gemm(na, nc, B, rate(s, alpha), kern.ColMajor(s.vals[a.ID], na), kern.RowMajor(s.vals[c.ID], nc), 1, s.vals[target.ID], nc, pool)
		}, nil
	}
	// a shared operand: sum over the batch by rows
	return func(s *Sim) {
		d := general(s.vals[target.ID], na, nc)
		al := rate(s, alpha)
		for b := 0; b < B; b++ {
			blas64.Ger(al, vector(s.row(a, b)), vector(s.row(c, b)), d)
		}
	}, nil
}

// fuseActivations computes f(X) and f'(X) in one pass for the rate
// functions whose derivative is a function of their value (tanh' = 1 -
// tanh^2, sigmoid' = sigmoid (1 - sigmoid)): a Map kernel D1 = f'(X) and a
// later one D2 = f(X) of the same phase become one kernel, when nothing in
// between writes X, D1 or D2 or reads D2. The numbers are the same bits:
// applyDeriv computes f' from f(X) the same way.
func (s *Sim) fuseActivations() {
	ks := s.plan
	only := func(k *schedule.Kernel, op schedule.CodeOp) (ir.Func, *schedule.Buffer, bool) {
		if k.Op != schedule.OpMap || k.Code.Op != op || len(k.Code.Args) != 1 || k.Code.Args[0].Op != schedule.CodeLoad || len(k.Args) != 1 {
			return 0, nil, false
		}
		f := k.Code.Func
		if f != ir.Tanh && f != ir.Sigmoid {
			return 0, nil, false
		}
		x := k.Args[0]
		if x.Size() != k.Dst.Size() || x.Batched != k.Dst.Batched {
			return 0, nil, false
		}
		return f, x, true
	}
	for i, k1 := range ks {
		f, x, ok := only(k1, schedule.CodeDeriv)
		if !ok || s.kernels[i] == nil {
			continue
		}
		between := map[*schedule.Buffer]bool{} // touched by the kernels in between
		for j := i + 1; j < len(ks); j++ {
			k2 := ks[j]
			if k2.Phase != k1.Phase || k2.Dst == x || k2.Dst == k1.Dst {
				break
			}
			if g, y, ok := only(k2, schedule.CodeFunc); ok && g == f && y == x && s.kernels[j] != nil && !between[k2.Dst] {
				d1, d2 := k1.Dst, k2.Dst
				n := len(s.vals[d1.ID])
				s.kernels[i] = func(s *Sim) {
					xs, v1, v2 := s.vals[x.ID][:n], s.vals[d1.ID][:n], s.vals[d2.ID][:n]
					if f == ir.Tanh {
						kern.Tanh(v2, xs)
						for e, t := range v2 {
							v1[e] = 1 - t*t
						}
						return
					}
					kern.Sigmoid(v2, xs)
					for e, t := range v2 {
						v1[e] = t * (1 - t)
					}
				}
				s.kernels[j] = nil
				if s.rounds != nil {
					s.rounds[i] = append(s.rounds[i], s.rounds[j]...)
				}
				break
			}
			between[k2.Dst] = true
			for _, a := range k2.Args {
				between[a] = true
			}
		}
	}
}

// compileMapAcc compiles Dst += Code(Args) over Space: the code runs into
// a scratch buffer shaped like Space, which is then summed into Dst over
// what Dst lacks (the batch for a shared Dst, the entries for a scalar).
func (s *Sim) compileMapAcc(k *schedule.Kernel) (step, error) {
	sp, dst := k.Space, k.Dst
	if sp == nil {
		return nil, fmt.Errorf("kernel %s: map_acc without a space", k)
	}
	if dst.Size() != sp.Size() && dst.Size() != 1 {
		return nil, fmt.Errorf("kernel %s: %d entries summed into %d", k, sp.Size(), dst.Size())
	}
	scratch := &schedule.Buffer{ID: len(s.vals), Name: "scratch", Kind: schedule.Temp, Shape: sp.Shape, Batched: sp.Batched}
	s.vals = append(s.vals, make([]float64, s.rows(scratch)*sp.Size()))
	t, err := compileMap(&schedule.Kernel{Op: schedule.OpMap, Dst: scratch, Args: k.Args, Code: k.Code})
	if err != nil {
		return nil, err
	}
	B, rows, n := s.batch, s.rows(scratch), sp.Size()
	return func(s *Sim) {
		t.run(s.vals, B)
		src, d := s.vals[scratch.ID], s.vals[dst.ID]
		for b := 0; b < rows; b++ {
			row := src[b*n : (b+1)*n]
			db := 0
			if dst.Batched {
				db = b
			}
			if dst.Size() == 1 {
				sum := 0.0
				for _, v := range row {
					sum += v
				}
				d[db] += sum
				continue
			}
			out := d[db*n : (db+1)*n]
			for i, v := range row {
				out[i] += v
			}
		}
	}, nil
}

// compileSynapse compiles one pass over a weight matrix (a batch of one):
// the forward product, the message and, when learning is on, the update,
// on the kern package's fused kernel: kern.Synapse for float64,
// kern.Synapse32Wide for float32 (float32 arithmetic on the float32
// numbers the buffers hold, the generated code's kern.Synapse32).
func (s *Sim) compileSynapse(syn *schedule.Synapse) (step, error) {
	w := syn.W
	if w.Shape.Rank != 2 || w.Batched || s.batch != 1 {
		return nil, fmt.Errorf("synapse pass over %s: needs a shared matrix and a batch of one", w)
	}
	rows, cols := w.Shape.Rows(), w.Shape.Cols()
	for _, c := range []struct {
		b *schedule.Buffer
		n int
	}{{syn.X, cols}, {syn.Y, rows}, {syn.E, rows}, {syn.G, cols}, {syn.A, rows}, {syn.C, cols}} {
		if c.b != nil && c.b.Size() != c.n {
			return nil, fmt.Errorf("synapse pass over %s (%dx%d): %s has %d entries", w, rows, cols, c.b, c.b.Size())
		}
	}
	id := func(b *schedule.Buffer) int {
		if b == nil {
			return -1
		}
		return b.ID
	}
	wi, xi, yi, ei, gi, ai, ci := w.ID, id(syn.X), id(syn.Y), id(syn.E), id(syn.G), id(syn.A), id(syn.C)
	val := func(s *Sim, i int) []float64 {
		if i < 0 {
			return nil
		}
		return s.vals[i]
	}
	scale := syn.Scale
	// (scanned until the first pass)
	s.passSums[wi], s.passSummed[wi] = math.NaN(), true
	if s.prog.Float32 {
		scratch := make([]float32, kern.Synapse32WideScratch(rows, cols))
		return func(s *Sim) {
			alpha := 0.0
			if ai >= 0 && s.learning {
				alpha = scale * s.lrScale
			}
			s.passSums[wi] = kern.Synapse32Wide(rows, cols, s.vals[wi], val(s, xi), val(s, yi), val(s, ei), val(s, gi), alpha, val(s, ai), val(s, ci), scratch)
		}, nil
	}
	return func(s *Sim) {
		alpha := 0.0
		if ai >= 0 && s.learning {
			alpha = scale * s.lrScale
		}
		s.passSums[wi] = kern.Synapse(rows, cols, s.vals[wi], val(s, xi), val(s, yi), val(s, ei), val(s, gi), alpha, val(s, ai), val(s, ci))
	}, nil
}
