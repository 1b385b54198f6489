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
		if k.Op != schedule.OpMap || k.Phase != first.Phase || k.Dst.Size() != first.Dst.Size() || k.Dst.Batched != first.Dst.Batched {
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
			p.printf("s%d := %s\n", b.ID, p.scalar(b, row))
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
		e, err = codeExpr(k.Code, func(i int) string { return c.ref(k.Args[i]) })
		if err != nil {
			return err
		}
	}
	if c.local[k.Dst] {
		if e.isConst {
			e = call("float64", e) // a float64 variable, never an untyped constant
		}
		c.w = append(c.w, fmt.Sprintf("x%d := %s", k.Dst.ID, e.text()))
		return nil
	}
	c.w = append(c.w, fmt.Sprintf("%s = %s", c.ref(k.Dst), e.text()))
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
		x := c.ref(k.Args[code.Args[0].Arg])
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
