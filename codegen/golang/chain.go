package golang

import (
	"fmt"
	"sort"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/ir/schedule"
)

// Elementwise chains. Consecutive entrywise kernels (OpMap) of one phase
// whose destinations have the same shape become one loop: every kernel
// reads only entry i of what the others write, so running them entry by
// entry computes what running them one after the other computes, in the
// same float64 operations. A temporary that only later kernels of the
// chain read (h.vdot, h.udot, ...) is a local variable of the loop, never
// stored. tanh(x) and tanh'(x) of the same x (likewise sigmoid) share one
// evaluation: the derivative is computed from the value exactly as
// tanhDeriv computes it, so the numbers are the same bits.

// chainEnd is the end (exclusive) of the chain of entrywise kernels that
// starts at ks[i]; i+1 when ks[i] starts none.
func chainEnd(ks []*schedule.Kernel, i int) int {
	first := ks[i]
	if first.Op != schedule.OpMap {
		return i + 1
	}
	j := i + 1
	for j < len(ks) {
		k := ks[j]
		if k.Op != schedule.OpMap || vectorActivation(k) || k.Phase != first.Phase || k.Dst.Size() != first.Dst.Size() || k.Dst.Batched != first.Dst.Batched {
			break
		}
		j++
	}
	return j
}

// chainGen emits one chain.
type chainGen struct {
	p       *progGen
	ks      []*schedule.Kernel
	n       int
	local   map[*schedule.Buffer]bool
	memo    map[string]string // tanh(x) of a loaded x -> its local
	memoKey map[string]int    // uses of each key in the chain
	w       []string          // statements of the loop body
}

// localTemps are the temporaries of ks[lo:hi] that nothing outside the
// chain reads: no other kernel of the program, no record, no guard.
func (p *progGen) localTemps(all []*schedule.Kernel, lo, hi int) map[*schedule.Buffer]bool {
	local := map[*schedule.Buffer]bool{}
	for i := lo; i < hi; i++ {
		d := all[i].Dst
		if d.Kind == schedule.Temp && !p.pinned[d] {
			local[d] = true
		}
	}
	for i, k := range all {
		for _, r := range k.Reads() {
			if !local[r] {
				continue
			}
			if i < lo || i >= hi {
				delete(local, r)
				continue
			}
			// read inside the chain: only after its writer
			written := false
			for j := lo; j < i; j++ {
				if all[j].Dst == r {
					written = true
				}
			}
			if !written {
				delete(local, r)
			}
		}
		if i >= lo && i < hi {
			continue
		}
		for _, w := range k.Writes() {
			delete(local, w) // written elsewhere too
		}
	}
	for _, k := range p.prog.Init {
		for _, r := range k.Reads() {
			delete(local, r)
		}
	}
	// written twice within the chain: keep it stored
	seen := map[*schedule.Buffer]bool{}
	for i := lo; i < hi; i++ {
		d := all[i].Dst
		if seen[d] {
			delete(local, d)
		}
		seen[d] = true
	}
	return local
}

// emitChain writes the kernels all[lo:hi] (a chain) as one loop.
func (p *progGen) emitChain(all []*schedule.Kernel, lo, hi int) error {
	ks := all[lo:hi]
	c := &chainGen{p: p, ks: ks, n: ks[0].Dst.Size(), local: p.localTemps(all, lo, hi), memo: map[string]string{}, memoKey: map[string]int{}}
	for _, k := range ks {
		if err := c.check(k); err != nil {
			return fmt.Errorf("kernel %s: %v", k, err)
		}
	}
	for _, k := range ks {
		if key, ok := c.activation(k); ok {
			c.memoKey[key]++
		}
	}
	for _, k := range ks {
		note := ""
		if c.local[k.Dst] {
			note = " (a local of the loop)"
		}
		p.printf("// %s%s\n", comment(k), note)
	}
	for _, k := range ks {
		if err := c.statement(k); err != nil {
			return fmt.Errorf("kernel %s: %v", k, err)
		}
	}
	p.printf("{\n")
	rows := p.rows(ks[0].Dst)
	p.loop(rows, func(bv string) {
		c.bindRows(bv)
		p.printf("for i := range %d {\n", c.n)
		for _, s := range c.w {
			p.printf("%s\n", s)
		}
		p.printf("}\n")
	})
	p.printf("}\n")
	return nil
}

// check refuses arguments that are neither of the chain's size nor
// scalars, and batched arguments into a shared destination.
func (c *chainGen) check(k *schedule.Kernel) error {
	for _, a := range k.Args {
		if a.Size() != c.n && a.Size() != 1 {
			return fmt.Errorf("argument %s has %d entries, destination %d", a, a.Size(), c.n)
		}
		if a.Batched && !k.Dst.Batched {
			return fmt.Errorf("batched argument %s into a shared destination", a)
		}
	}
	used := map[int]bool{}
	loads(k.Code, used)
	for i := range used {
		if i >= len(k.Args) {
			return fmt.Errorf("load of argument %d of %d", i, len(k.Args))
		}
	}
	return nil
}

// buffers are the stored buffers the chain touches, in ID order.
func (c *chainGen) buffers() []*schedule.Buffer {
	set := map[*schedule.Buffer]bool{}
	for _, k := range c.ks {
		used := map[int]bool{}
		loads(k.Code, used)
		for i := range used {
			set[k.Args[i]] = true
		}
		set[k.Dst] = true
	}
	var out []*schedule.Buffer
	for b := range set {
		if !c.local[b] {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// bindRows binds row bv of every stored buffer: v<ID> a row of the
// chain's size (resliced to a constant length, so the loop needs no
// bounds checks), s<ID> a scalar broadcast over the row.
func (c *chainGen) bindRows(bv string) {
	p := c.p
	for _, b := range c.buffers() {
		row := bv
		if !b.Batched {
			row = "0"
		}
		if c.scalar(b) {
			p.printf("s%d := %s\n", b.ID, p.ld(p.scalar(b, row)))
			continue
		}
		if row == "0" {
			p.printf("v%d := %s[:%d]\n", b.ID, p.f(b), c.n)
			continue
		}
		p.printf("v%d := %s[%s*%d:][:%d]\n", b.ID, p.f(b), row, c.n, c.n)
	}
}

// scalar says whether b is broadcast over the chain's entries.
func (c *chainGen) scalar(b *schedule.Buffer) bool { return b.Size() == 1 && c.n > 1 }

// ref is the source of entry i of buffer b inside the loop.
func (c *chainGen) ref(b *schedule.Buffer) string {
	switch {
	case c.local[b]:
		return fmt.Sprintf("x%d", b.ID)
	case c.scalar(b):
		return fmt.Sprintf("s%d", b.ID)
	}
	return fmt.Sprintf("v%d[i]", b.ID)
}

// val is entry i of buffer b as the loop computes with it (widened
// under precision float32).
func (c *chainGen) val(b *schedule.Buffer) string {
	if c.local[b] || c.scalar(b) {
		return c.ref(b)
	}
	return c.p.ld(c.ref(b))
}

// activation is the memo key of a kernel computing tanh or sigmoid (or
// its derivative) of one loaded argument.
func (c *chainGen) activation(k *schedule.Kernel) (string, bool) {
	code := k.Code
	if code.Op != schedule.CodeFunc && code.Op != schedule.CodeDeriv || len(code.Args) != 1 || code.Args[0].Op != schedule.CodeLoad {
		return "", false
	}
	if code.Func != ir.Tanh && code.Func != ir.Sigmoid {
		return "", false
	}
	return code.Func.String() + "|" + c.ref(k.Args[code.Args[0].Arg]), true
}

// statement appends the loop statement of kernel k.
func (c *chainGen) statement(k *schedule.Kernel) error {
	var e expr
	if key, ok := c.activation(k); ok && c.memoKey[key] > 1 {
		e = c.memoized(k, key)
	} else {
		var err error
		e, err = codeExpr(k.Code, func(i int) string { return c.val(k.Args[i]) })
		if err != nil {
			return err
		}
	}
	if c.local[k.Dst] {
		switch {
		case c.p.prog.Float32:
			// rounded as the interpreter rounds a temporary it stores
			e = expr{src: "float64(" + c.p.st(e) + ")"}
		case e.isConst:
			e = call("float64", e) // a float64 variable, never an untyped constant
		}
		c.w = append(c.w, fmt.Sprintf("x%d := %s", k.Dst.ID, e.text()))
		return nil
	}
	c.w = append(c.w, fmt.Sprintf("%s = %s", c.ref(k.Dst), c.p.st(e)))
	return nil
}

// memoized evaluates the activation once per entry and derives the
// other kernel's value from it, as tanhDeriv and sigmoidDeriv do.
func (c *chainGen) memoized(k *schedule.Kernel, key string) expr {
	code := k.Code
	name, ok := c.memo[key]
	if !ok {
		name = fmt.Sprintf("f%d", len(c.memo))
		c.memo[key] = name
		x := c.val(k.Args[code.Args[0].Arg])
		c.w = append(c.w, fmt.Sprintf("%s := %s(%s)", name, funcNames[code.Func], x))
	}
	if code.Op == schedule.CodeFunc {
		return expr{src: name}
	}
	if code.Func == ir.Tanh {
		return expr{src: fmt.Sprintf("1 - %s*%s", name, name), prec: 2}
	}
	return expr{src: fmt.Sprintf("%s * (1 - %s)", name, name), prec: 1}
}

// Activations over whole rows. A kernel D = f(X) with f tanh or sigmoid,
// X of D's shape and at least vectorMin entries per row, is not part of
// a chain: it is one call of kern.Tanh or kern.Sigmoid over the whole
// buffer (eight entries at a time on AVX-512). A derivative D' = f'(X)
// computed before it in the same phase, with nothing in between writing
// X, D' or D or reading D, is computed after it from D (1 - D^2 for
// tanh, D (1 - D) for sigmoid), exactly as kern's scalar derivative
// computes it from the value, so the numbers are the same bits; the
// interpreter's tapes do the same (runtime's fuseActivations).

// vectorMin is the row length from which an activation runs on the
// vector kernels.
const vectorMin = 8

// activationOf returns f and X when k is D = f(X) (or f'(X) with deriv)
// for f tanh or sigmoid and X of D's shape.
func activationOf(k *schedule.Kernel, deriv bool) (ir.Func, *schedule.Buffer, bool) {
	op := schedule.CodeFunc
	if deriv {
		op = schedule.CodeDeriv
	}
	if k.Op != schedule.OpMap || k.Code.Op != op || len(k.Code.Args) != 1 || k.Code.Args[0].Op != schedule.CodeLoad || len(k.Args) != 1 {
		return 0, nil, false
	}
	f, x := k.Code.Func, k.Args[0]
	if f != ir.Tanh && f != ir.Sigmoid || x.Size() != k.Dst.Size() || x.Batched != k.Dst.Batched {
		return 0, nil, false
	}
	return f, x, true
}

// vectorActivation says whether k runs on the vector kernels.
func vectorActivation(k *schedule.Kernel) bool {
	_, _, ok := activationOf(k, false)
	return ok && k.Dst.Size() >= vectorMin
}

// reorderActivations moves each vector activation D = f(X) before the
// derivative D' = f'(X) that precedes it and rewrites D' as a function
// of D (see above), returned in derived. ks is not changed.
func reorderActivations(ks []*schedule.Kernel) (out []*schedule.Kernel, derived map[*schedule.Kernel]bool) {
	out = append([]*schedule.Kernel(nil), ks...)
	derived = map[*schedule.Kernel]bool{}
	for i := 0; i < len(out); i++ {
		k1 := out[i]
		f, x, ok := activationOf(k1, true)
		if !ok || k1.Dst.Size() < vectorMin {
			continue
		}
		between := map[*schedule.Buffer]bool{}
	scan:
		for j := i + 1; j < len(out); j++ {
			k2 := out[j]
			if k2.Phase != k1.Phase {
				break
			}
			for _, w := range k2.Writes() {
				if w == x || w == k1.Dst {
					break scan
				}
			}
			if g, y, ok := activationOf(k2, false); ok && g == f && y == x && !between[k2.Dst] {
				d := *k1
				d.Args = []*schedule.Buffer{k2.Dst}
				d.Code = derivFromValue(f)
				copy(out[i+1:j+1], out[i:j])
				out[i], out[i+1] = k2, &d
				derived[&d] = true
				break
			}
			for _, w := range k2.Writes() {
				between[w] = true
			}
			for _, a := range k2.Reads() {
				between[a] = true
			}
		}
	}
	return out, derived
}

// derivFromValue is f' as a function of v = f(x): 1 + (-1) v v for tanh
// (the bits of 1 - v*v), v (1 + (-1) v) for sigmoid (of v * (1 - v)).
func derivFromValue(f ir.Func) *schedule.Code {
	load := &schedule.Code{Op: schedule.CodeLoad, Arg: 0}
	minusOne := &schedule.Code{Op: schedule.CodeConst, Value: -1}
	one := &schedule.Code{Op: schedule.CodeConst, Value: 1}
	if f == ir.Tanh {
		return &schedule.Code{Op: schedule.CodeAdd, Args: []*schedule.Code{one,
			{Op: schedule.CodeMul, Args: []*schedule.Code{minusOne, load, load}}}}
	}
	return &schedule.Code{Op: schedule.CodeMul, Args: []*schedule.Code{load,
		{Op: schedule.CodeAdd, Args: []*schedule.Code{one, {Op: schedule.CodeMul, Args: []*schedule.Code{minusOne, load}}}}}}
}

// emitVectorActivation32 writes D = f(X) under precision float32, and
// with it the derivative that reorderActivations placed right after it
// (D' as a function of D): X widened into the float64 scratch, one call
// of the vector kernel, then D and D' from the unrounded values, each
// rounded once, the numbers of the interpreter (which computes D' from
// f(X), not from the stored D). It returns the kernels it wrote (1 or 2).
func (p *progGen) emitVectorActivation32(ks []*schedule.Kernel, i int, derived map[*schedule.Kernel]bool) int {
	k := ks[i]
	f, x, _ := activationOf(k, false)
	fn := map[ir.Func]string{ir.Tanh: "kern.Tanh", ir.Sigmoid: "kern.Sigmoid"}[f]
	n := p.rows(k.Dst) * k.Dst.Size()
	p.printf("// %s (on the vector kernel, in float64)\n", comment(k))
	var d *schedule.Kernel
	if i+1 < len(ks) && derived[ks[i+1]] && ks[i+1].Args[0] == k.Dst {
		d = ks[i+1]
		p.printf("// %s: f' from the value before it is rounded\n", comment(d))
	}
	p.printf("{\nsd := %s\nwiden(sd, %s[:%d])\n%s(sd, sd)\n", p.wide(0, n), p.f(x), n, fn)
	if d == nil {
		p.printf("convert(%s[:%d], sd)\n}\n", p.f(k.Dst), n)
		return 1
	}
	deriv := "1 - t*t"
	if f == ir.Sigmoid {
		deriv = "t * (1 - t)"
	}
	p.printf("dv, dd := %s[:%d], %s[:%d]\nfor i, t := range sd {\ndv[i], dd[i] = float32(t), float32(%s)\n}\n}\n", p.f(k.Dst), n, p.f(d.Dst), n, deriv)
	return 2
}

// emitVectorActivation writes D = f(X) as one call over the buffer.
func (p *progGen) emitVectorActivation(k *schedule.Kernel) {
	f, x, _ := activationOf(k, false)
	fn := map[ir.Func]string{ir.Tanh: "kern.Tanh", ir.Sigmoid: "kern.Sigmoid"}[f]
	n := p.rows(k.Dst) * k.Dst.Size()
	p.printf("// %s (on the vector kernel)\n", comment(k))
	p.printf("%s(%s[:%d], %s[:%d])\n", fn, p.f(k.Dst), n, p.f(x), n)
}
