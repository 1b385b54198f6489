package golang

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vlec-dev/vlec/internal/kern"
	"github.com/vlec-dev/vlec/ir/schedule"
)

// emitKernels writes the method name running kernels ks in program order,
// the learning phase only from the program's LearnAfter on (when
// learnGuard is set). Every kernel is one block of plain loops under a
// comment with its listing (schedule.Kernel.String).
func (p *progGen) emitKernels(name string, ks []*schedule.Kernel, learnGuard bool) error {
	doc := name + " runs the Init kernels, once before the first step."
	if learnGuard {
		doc = fmt.Sprintf("%s runs the kernels of step k (learning from step %d on).", name, p.prog.LearnAfter)
	}
	return p.emitKernelFunc(name, doc, ks, learnGuard)
}

// emitKernelFunc writes the method name, documented by doc, running
// kernels ks as emitKernels does; with learnGuard it takes the step k.
func (p *progGen) emitKernelFunc(name, doc string, ks []*schedule.Kernel, learnGuard bool) error {
	p.printf("// %s\n", doc)
	if learnGuard {
		p.printf("func (m *%s) %s(k int) {\n", p.typ, name)
		p.printf("%s", p.storingPrologue(name))
	} else {
		p.printf("func (m *%s) %s() {\n", p.typ, name)
	}
	ks, derived := reorderActivations(ks)
	inLearn := false
	for i := 0; i < len(ks); {
		k := ks[i]
		learn := learnGuard && k.Phase == schedule.PhaseLearn
		if learn != inLearn {
			if learn {
				p.printf("if %s {\n", p.learnCond())
			} else {
				p.printf("}\n")
			}
			inLearn = learn
		}
		if vectorActivation(k) {
			if p.prog.Float32 {
				i += p.emitVectorActivation32(ks, i, derived)
				continue
			}
			p.emitVectorActivation(k)
			i++
			continue
		}
		if end := chainEnd(ks, i); k.Op == schedule.OpMap {
			if err := p.emitChain(ks, i, end); err != nil {
				return err
			}
			i = end
			continue
		}
		p.printf("// %s\n{\n", comment(k))
		var err error
		if k.Op == schedule.OpSynapse {
			err = p.emitSynapse(k.Syn, learnGuard)
		} else {
			err = p.emitKernel(k)
		}
		if err != nil {
			return fmt.Errorf("kernel %s: %v", k, err)
		}
		p.printf("}\n")
		i++
	}
	if inLearn {
		p.printf("}\n")
	}
	p.printf("}\n\n")
	return nil
}

// comment is a kernel's listing on one line.
func comment(k *schedule.Kernel) string {
	return strings.Join(strings.Fields(k.String()), " ")
}

func (p *progGen) emitKernel(k *schedule.Kernel) error {
	need := map[schedule.Op]int{schedule.OpMatVec: 2, schedule.OpMatTVec: 2, schedule.OpSum: 1, schedule.OpSumSq: 1,
		schedule.OpDot: 2, schedule.OpLogSumExp: 1, schedule.OpSoftmax: 1, schedule.OpOuterAcc: 2, schedule.OpMeanAcc: 1,
		schedule.OpApply: 1, schedule.OpAdam: 3}
	if n, ok := need[k.Op]; ok && len(k.Args) != n {
		return fmt.Errorf("%d arguments, %s takes %d", len(k.Args), k.Op, n)
	}
	switch k.Op {
	case schedule.OpMap:
		return p.emitMap(k.Dst, k.Args, k.Code)
	case schedule.OpMapAcc:
		return p.emitMapAcc(k)
	case schedule.OpZero:
		p.printf("clear(%s)\n", p.f(k.Dst))
		return nil
	case schedule.OpMatVec, schedule.OpMatTVec:
		return p.emitMatVec(k)
	case schedule.OpSum, schedule.OpSumSq, schedule.OpDot, schedule.OpLogSumExp:
		return p.emitReduce(k)
	case schedule.OpSoftmax:
		if k.Args[0].Size() != k.Dst.Size() {
			return fmt.Errorf("softmax of %d entries into %d", k.Args[0].Size(), k.Dst.Size())
		}
		p.loop(p.rows(k.Dst), func(bv string) {
			if p.prog.Float32 {
				n := k.Dst.Size()
				p.printf("sd := %s\nsoftmax(sd, %s)\nconvert(%s, sd)\n", p.wide(0, n), p.row(k.Args[0], bv), p.row(k.Dst, bv))
				return
			}
			p.printf("softmax(%s, %s)\n", p.row(k.Dst, bv), p.row(k.Args[0], bv))
		})
		return nil
	case schedule.OpOuterAcc, schedule.OpMeanAcc:
		return p.emitAcc(k, k.Dst, k.Scale)
	case schedule.OpApply:
		return p.emitApply(k)
	case schedule.OpAdam:
		return p.emitAdam(k)
	}
	return fmt.Errorf("operation %s is not supported by vlec gen go", k.Op)
}

// emitMap writes dst op= code(args) entrywise, scalars broadcast, a
// shared argument read by every row.
func (p *progGen) emitMap(dst *schedule.Buffer, args []*schedule.Buffer, code *schedule.Code) error {
	n := dst.Size()
	used := map[int]bool{}
	loads(code, used)
	for i, a := range args {
		if a.Size() != n && a.Size() != 1 {
			return fmt.Errorf("argument %s has %d entries, destination %d", a, a.Size(), n)
		}
		if a.Batched && !dst.Batched {
			return fmt.Errorf("batched argument %s into a shared destination", a)
		}
		if c := used[i]; c && i >= len(args) {
			return fmt.Errorf("load of argument %d of %d", i, len(args))
		}
	}
	e, err := codeExpr(code, func(i int) string {
		if i < len(args) && args[i].Size() == 1 {
			return fmt.Sprintf("s%d", i)
		}
		return p.ld(fmt.Sprintf("a%d[i]", i))
	})
	if err != nil {
		return err
	}
	p.loop(p.rows(dst), func(bv string) {
		p.printf("d := %s\n", p.row(dst, bv))
		p.argLocals(args, used, bv)
		p.printf("for i := range d {\nd[i] = %s\n}\n", p.st(e))
	})
	return nil
}

// argLocals binds the arguments a code reads: s<j> a scalar, a<j> a row.
func (p *progGen) argLocals(args []*schedule.Buffer, used map[int]bool, bv string) {
	var idx []int
	for i := range used {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		if args[i].Size() == 1 {
			p.printf("s%d := %s\n", i, p.ld(p.scalar(args[i], bv)))
		} else {
			p.printf("a%d := %s\n", i, p.row(args[i], bv))
		}
	}
}

// emitMapAcc writes Dst += code(args) over Space, summed over what Dst
// lacks (runtime's compileMapAcc: a row's sum first, for a scalar Dst).
func (p *progGen) emitMapAcc(k *schedule.Kernel) error {
	sp, dst := k.Space, k.Dst
	if sp == nil {
		return fmt.Errorf("map_acc without a space")
	}
	if dst.Size() != sp.Size() && dst.Size() != 1 {
		return fmt.Errorf("%d entries summed into %d", sp.Size(), dst.Size())
	}
	n := sp.Size()
	used := map[int]bool{}
	loads(k.Code, used)
	for _, a := range k.Args {
		if a.Size() != n && a.Size() != 1 {
			return fmt.Errorf("argument %s has %d entries, space %d", a, a.Size(), n)
		}
		if a.Batched && !sp.Batched {
			return fmt.Errorf("batched argument %s over a shared space", a)
		}
	}
	e, err := codeExpr(k.Code, func(i int) string {
		if k.Args[i].Size() == 1 {
			return fmt.Sprintf("s%d", i)
		}
		return p.ld(fmt.Sprintf("a%d[i]", i))
	})
	if err != nil {
		return err
	}
	// precision float32: a shared row summed over the batch is summed
	// in float64 scratch and stored once
	wide := p.prog.Float32 && !dst.Batched && p.rows(sp) > 1
	if wide {
		p.printf("sd := %s\nwiden(sd, %s)\n", p.wide(0, dst.Size()), p.row(dst, "0"))
	}
	p.loop(p.rows(sp), func(bv string) {
		db := bv
		if !dst.Batched {
			db = "0"
		}
		p.argLocals(k.Args, used, bv)
		if dst.Size() == 1 {
			iv := "i :="
			if !strings.Contains(e.text(), "[i]") {
				iv = "" // every argument a scalar
			}
			p.printf("acc := 0.0\nfor %s range %d {\nacc += %s\n}\n", iv, n, e.text())
			if wide {
				p.printf("sd[0] += acc\n")
				return
			}
			if p.prog.Float32 {
				d := p.scalar(dst, db)
				p.printf("%s = float32(float64(%s) + acc)\n", d, d)
				return
			}
			p.printf("%s += acc\n", p.scalar(dst, db))
			return
		}
		switch {
		case wide:
			p.printf("for i := range sd {\nsd[i] += %s\n}\n", e.text())
		case p.prog.Float32:
			p.printf("d := %s\n", p.row(dst, db))
			p.printf("for i := range d {\nd[i] = float32(float64(d[i]) + %s)\n}\n", e.text())
		default:
			p.printf("d := %s\n", p.row(dst, db))
			p.printf("for i := range d {\nd[i] += %s\n}\n", e.text())
		}
	})
	if wide {
		p.printf("convert(%s, sd)\n", p.row(dst, "0"))
	}
	return nil
}

// emitMatVec writes W @ x (a dot product per row of W) and W^T @ x (rows
// of W scaled and summed, in the order of gonum's Dgemv).
func (p *progGen) emitMatVec(k *schedule.Kernel) error {
	w, x, dst := k.Args[0], k.Args[1], k.Dst
	if w.Shape.Rank != 2 || w.Batched {
		return fmt.Errorf("%s is not a shared matrix", w)
	}
	rows, cols := w.Shape.Rows(), w.Shape.Cols()
	in, out := cols, rows
	if k.Op == schedule.OpMatTVec {
		in, out = rows, cols
	}
	if x.Size() != in || dst.Size() != out {
		return fmt.Errorf("%s is %dx%d, %s has %d entries, %s %d", w, rows, cols, x, x.Size(), dst, dst.Size())
	}
	if x.Batched && !dst.Batched {
		return fmt.Errorf("batched %s into shared %s", x, dst)
	}
	if B := p.rows(dst); B > 1 && x.Batched {
		// Dst (B x out) = X (B x in) op(W)^T on the kern package's GEMM,
		// as the interpreter computes it: W read through its transpose
		// for W @ x, as it is for W^T @ x.
		p.useGemm(B, out, in)
		wv := "kern.ColMajor"
		if k.Op == schedule.OpMatTVec {
			wv = "kern.RowMajor"
		}
		xs, ws, ds := p.f(x), p.f(w), p.f(dst)
		if p.prog.Float32 {
			// the product in float64 over widened copies, as the
			// interpreter computes it, then rounded
			xs, ws, ds = p.wide(0, B*in), p.wide(B*in, rows*cols), p.wide(B*in+rows*cols, B*out)
			p.printf("widen(%s, %s[:%d])\nwiden(%s, %s[:%d])\n", xs, p.f(x), B*in, ws, p.f(w), rows*cols)
		}
		p.printf("kern.Gemm(%d, %d, %d, 1, kern.RowMajor(%s, %d), %s(%s, %d), 0, %s, %d, m.pool)\n",
			B, out, in, xs, in, wv, ws, cols, ds, out)
		if p.prog.Float32 {
			p.printf("convert(%s[:%d], %s)\n", p.f(dst), B*out, ds)
		}
		return nil
	}
	p.printf("w := %s[:%d]\n", p.f(w), rows*cols)
	p.loop(p.rows(dst), func(bv string) {
		xb := bv
		if !x.Batched {
			xb = "0"
		}
		p.printf("x, d := %s, %s\n", p.row(x, xb), p.row(dst, bv))
		if k.Op == schedule.OpMatVec {
			p.printf("for o := range d {\nd[o] = %s\n}\n", p.st(expr{src: fmt.Sprintf("dotRow(w[o*%d:o*%d+%d], x)", cols, cols, cols)}))
			return
		}
		if p.prog.Float32 {
			p.printf("sd := %s\nclear(sd)\nfor j, v := range x {\naxpy(sd, float64(v), w[j*%d:j*%d+%d])\n}\nconvert(d, sd)\n", p.wide(0, cols), cols, cols, cols)
			return
		}
		p.printf("clear(d)\nfor j, v := range x {\naxpy(d, v, w[j*%d:j*%d+%d])\n}\n", cols, cols, cols)
	})
	return nil
}

// emitReduce writes a reduction of a row to a scalar per sample.
func (p *progGen) emitReduce(k *schedule.Kernel) error {
	dst, x := k.Dst, k.Args[0]
	if dst.Size() != 1 {
		return fmt.Errorf("a reduction writes a scalar")
	}
	y := x
	if k.Op == schedule.OpDot {
		y = k.Args[1]
		if x.Size() != y.Size() && x.Size() != 1 && y.Size() != 1 {
			return fmt.Errorf("dot of %d and %d entries", x.Size(), y.Size())
		}
	}
	fn := map[schedule.Op]string{schedule.OpSum: "sum", schedule.OpSumSq: "sumSq", schedule.OpDot: "dot", schedule.OpLogSumExp: "logSumExp"}[k.Op]
	p.loop(p.rows(dst), func(bv string) {
		if k.Op == schedule.OpDot {
			p.printf("%s = %s\n", p.scalar(dst, bv), p.st(expr{src: fmt.Sprintf("dot(%s, %s)", p.row(x, bv), p.row(y, bv))}))
			return
		}
		p.printf("%s = %s\n", p.scalar(dst, bv), p.st(expr{src: fmt.Sprintf("%s(%s)", fn, p.row(x, bv))}))
	})
	return nil
}

// emitAcc writes an OuterAcc or MeanAcc into target with factor (the
// kernel's scale, times the learning rate when it is applied directly),
// in the order of the interpreter's accumulator.
func (p *progGen) emitAcc(k *schedule.Kernel, target *schedule.Buffer, factor float64) error {
	B := p.prog.Batch
	if target.Batched {
		return fmt.Errorf("accumulates into a batched buffer")
	}
	if k.Op == schedule.OpMeanAcc {
		src := k.Args[0]
		n := target.Size()
		if src.Size() != n && src.Size() != 1 {
			return fmt.Errorf("mean of %d entries into %d", src.Size(), n)
		}
		nb := p.rows(src)
		p.printf("%s\n", p.accFactor("f", factor/float64(nb), target))
		if p.prog.Float32 {
			p.printf("d := %s\nwiden(d, %s)\n", p.wide(0, n), p.row(target, "0"))
		} else {
			p.printf("d := %s\n", p.row(target, "0"))
		}
		p.loop(nb, func(bv string) {
			if src.Size() == 1 {
				p.printf("v := f * %s\nfor i := range d {\nd[i] += v\n}\n", p.ld(p.scalar(src, bv)))
				return
			}
			p.printf("r := %s\nfor i, v := range r {\nd[i] += f * %s\n}\n", p.row(src, bv), p.ld("v"))
		})
		if p.prog.Float32 {
			p.printf("convert(%s, d)\n", p.row(target, "0"))
		}
		return nil
	}
	a, c := k.Args[0], k.Args[1]
	na, nc := a.Size(), c.Size()
	if target.Size() != na*nc {
		return fmt.Errorf("outer product of %d and %d entries into %d", na, nc, target.Size())
	}
	p.printf("%s\n", p.accFactor("alpha", factor/float64(B), target))
	f32 := p.prog.Float32
	if f32 {
		// the sums in float64 scratch, rounded once when stored
		p.printf("d := %s\nwiden(d, %s[:%d])\n", p.wide(0, na*nc), p.f(target), target.Size())
		defer p.printf("convert(%s[:%d], d)\n", p.f(target), target.Size())
	} else {
		p.printf("d := %s[:%d]\n", p.f(target), target.Size())
	}
	if a.Batched && c.Batched && B > 1 {
		// target += alpha * A^T C on the kern package's GEMM, A read
		// through its transpose, as the interpreter computes it
		p.useGemm(na, nc, B)
		as, cs := p.f(a), p.f(c)
		if f32 {
			as, cs = p.wide(na*nc, B*na), p.wide(na*nc+B*na, B*nc)
			p.printf("widen(%s, %s[:%d])\nwiden(%s, %s[:%d])\n", as, p.f(a), B*na, cs, p.f(c), B*nc)
		}
		p.printf("kern.Gemm(%d, %d, %d, alpha, kern.ColMajor(%s, %d), kern.RowMajor(%s, %d), 1, d, %d, m.pool)\n",
			na, nc, B, as, na, cs, nc, nc)
		return nil
	}
	rows := 1
	if !(a.Batched && c.Batched) {
		rows = B // a shared operand: one rank-one update per sample
	}
	p.loop(rows, func(bv string) {
		p.printf("a, c := %s, %s\n", p.row(a, bv), p.row(c, bv))
		p.printf("for i, v := range a {\naxpy(d[i*%d:i*%d+%d], alpha*%s, c)\n}\n", nc, nc, nc, p.ld("v"))
	})
	return nil
}

// emitApply writes Dst += Scale * Args[0] on Dst's mask, then the floor.
func (p *progGen) emitApply(k *schedule.Kernel) error {
	dst, d := k.Dst, k.Args[0]
	if d.Size() != dst.Size() || d.Batched || dst.Batched {
		return fmt.Errorf("apply of %s to %s", d, dst)
	}
	n := dst.Size()
	// one value at a time: the change on the mask, then the floor on
	// every entry (as the interpreter applies it), then the store
	p.printf("p, dv := %s[:%d], %s[:%d]\n", p.f(dst), n, p.f(d), n)
	p.printf("for i, x := range dv {\nv := %s\n", p.ld("p[i]"))
	change := fmt.Sprintf("v += %s * %s\n", p.rate(k.Scale), p.ld("x"))
	if mask, ok := p.masks[dst]; ok {
		p.printf("if m.%s[i] {\n%s}\n", mask, change)
	} else {
		p.printf("%s", change)
	}
	if dst.Floor > 0 {
		p.printf("if v < %s {\nv = %s\n}\n", constant(dst.Floor).text(), constant(dst.Floor).text())
	}
	p.printf("p[i] = %s\n}\n", p.st(expr{src: "v"}))
	return nil
}

// emitAdam writes an Adam step (schedule.Adam) as runtime's compileAdam.
func (p *progGen) emitAdam(k *schedule.Kernel) error {
	dst, d, mo, v := k.Dst, k.Args[0], k.Args[1], k.Args[2]
	if d.Size() != dst.Size() || mo.Size() != dst.Size() || v.Size() != dst.Size() || d.Batched || dst.Batched {
		return fmt.Errorf("adam of %s on %s", d, dst)
	}
	a := k.Adam
	n := dst.Size()
	cnt := "m." + p.adam[k]
	p.printf("%s++\n", cnt)
	// variables, not constants: 1-beta1 must round as the interpreter rounds it
	p.printf("beta1, beta2, eps, rate := %s, %s, %s, %s\n", constant(a.Beta1).text(), constant(a.Beta2).text(), constant(a.Eps).text(), p.rate(k.Scale))
	p.printf("c1, c2 := 1-math.Pow(beta1, float64(%s)), 1-math.Pow(beta2, float64(%s))\n", cnt, cnt)
	p.printf("p, dv, mv, vv := %s[:%d], %s[:%d], %s[:%d], %s[:%d]\n", p.f(dst), n, p.f(d), n, p.f(mo), n, p.f(v), n)
	p.printf("for i := range p {\n")
	if mask, ok := p.masks[dst]; ok {
		p.printf("if !m.%s[i] {\ncontinue\n}\n", mask)
	}
	// the moments and the step in locals, each stored once
	p.printf("g := %s\nmi := beta1*%s + (1-beta1)*g\nvi := beta2*%s + (1-beta2)*g*g\n", p.ld("dv[i]"), p.ld("mv[i]"), p.ld("vv[i]"))
	p.printf("pi := %s + rate*(mi/c1)/(math.Sqrt(vi/c2)+eps)\n", p.ld("p[i]"))
	if dst.Floor > 0 {
		p.printf("if pi < %s {\npi = %s\n}\n", constant(dst.Floor).text(), constant(dst.Floor).text())
	}
	p.printf("mv[i], vv[i], p[i] = %s, %s, %s\n", p.st(expr{src: "mi"}), p.st(expr{src: "vi"}), p.st(expr{src: "pi"}))
	p.printf("}\n")
	return nil
}

// tinySynapse is the largest weight matrix whose synapse pass is inlined
// as plain loops; larger ones call the kern package's fused kernel
// (AVX-512 assembly where the CPU has it), as the interpreter does.
const tinySynapse = 16

// emitSynapse writes one pass over a weight matrix (schedule.Synapse):
// the forward product, the message and, when learning is on, the update,
// all from the weights before the update.
func (p *progGen) emitSynapse(s *schedule.Synapse, learnGuard bool) error {
	w := s.W
	if w.Shape.Rank != 2 || w.Batched || p.prog.Batch != 1 {
		return fmt.Errorf("a synapse pass needs a shared matrix and a batch of one")
	}
	rows, cols := w.Shape.Rows(), w.Shape.Cols()
	check := func(b *schedule.Buffer, n int) error {
		if b != nil && b.Size() != n {
			return fmt.Errorf("%s has %d entries, %s is %dx%d", b, b.Size(), w, rows, cols)
		}
		return nil
	}
	for _, c := range []struct {
		b *schedule.Buffer
		n int
	}{{s.X, cols}, {s.Y, rows}, {s.E, rows}, {s.G, cols}, {s.A, rows}, {s.C, cols}} {
		if err := check(c.b, c.n); err != nil {
			return err
		}
	}
	slice := func(b *schedule.Buffer) string {
		if b == nil {
			return "nil"
		}
		return fmt.Sprintf("%s[:%d]", p.f(b), b.Size())
	}
	learn := "false"
	if s.A != nil {
		learn = "true"
		if learnGuard {
			learn = p.learnCond()
		}
	}
	if rows*cols > tinySynapse || p.prog.Float32 {
		p.printf("alpha := 0.0\nif %s {\nalpha = %s\n}\n", learn, p.rate(s.Scale))
		// the pass returns the sum of W's entries, which the guard checks
		// instead of reading W once more
		sum := p.passSum(w)
		if p.prog.Float32 {
			// float32 arithmetic over float32 storage (kern.Synapse32)
			p.printf("m.%s = kern.Synapse32(%d, %d, %s[:%d], %s, %s, %s, %s, alpha, %s, %s, %s)\n", sum, rows, cols, p.f(w), rows*cols,
				slice(s.X), slice(s.Y), slice(s.E), slice(s.G), slice(s.A), slice(s.C), p.wide(0, kern.Synapse32Scratch(cols)))
			return nil
		}
		p.printf("m.%s = kern.Synapse(%d, %d, %s[:%d], %s, %s, %s, %s, alpha, %s, %s)\n", sum, rows, cols, p.f(w), rows*cols,
			slice(s.X), slice(s.Y), slice(s.E), slice(s.G), slice(s.A), slice(s.C))
		return nil
	}
	p.printf("w := %s[:%d]\n", p.f(w), rows*cols)
	if s.A != nil {
		p.printf("learn := %s\n", learn)
	}
	for _, b := range []struct {
		name string
		buf  *schedule.Buffer
	}{{"x", s.X}, {"y", s.Y}, {"e", s.E}, {"g", s.G}, {"a", s.A}, {"c", s.C}} {
		if b.buf != nil {
			p.printf("%s := %s\n", b.name, slice(b.buf))
		}
	}
	if s.G != nil {
		p.printf("clear(g)\n")
	}
	p.printf("for o := range %d {\nwr := w[o*%d:][:%d]\n", rows, cols, cols)
	if s.Y != nil {
		p.printf("sum := 0.0\n")
	}
	if s.G != nil {
		p.printf("eo := e[o]\n")
	}
	if s.A != nil {
		p.printf("ao := %s * a[o]\n", p.rate(s.Scale))
	}
	p.printf("for j := range %d {\nwv := wr[j]\n", cols)
	if s.Y != nil {
		p.printf("sum += wv * x[j]\n")
	}
	if s.G != nil {
		p.printf("g[j] += wv * eo\n")
	}
	if s.A != nil {
		p.printf("if learn {\nwr[j] = wv + ao*c[j]\n}\n")
	}
	p.printf("}\n")
	if s.Y != nil {
		p.printf("y[o] = sum\n")
	}
	p.printf("}\n")
	return nil
}

// useGemm notes a GEMM of the given sizes: the type gets a pool of
// workers whose scratch setup reserves for it.
func (p *progGen) useGemm(m, n, k int) { p.gemms = append(p.gemms, [3]int{m, n, k}) }

// passSum is the field holding the sum of w's entries that its synapse
// pass returned in the last step.
func (p *progGen) passSum(w *schedule.Buffer) string {
	if f, ok := p.passSums[w]; ok {
		return f
	}
	f := p.names.unique("passSum" + upperFirst(p.fields[w]))
	p.passSums[w] = f
	return f
}
