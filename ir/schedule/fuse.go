package schedule

import (
	"fmt"
	"strings"

	"github.com/vlec-dev/vlec/lang/check"
)

// Synapse is the work of an OpSynapse kernel: one pass over the weight
// matrix W (rows x cols, shared, row-major) of a batch of one that
//
//	Y = W @ X             (the forward product; X, Y nil: none)
//	G = W^T @ E           (the message to the next step; E, G nil: none)
//	W += Scale * outer(A, C)  when learning is on (A, C nil: none)
//
// with all three reading W as it was before the update. Under the
// synchronous scheme the forward product, the message and the update of a
// connection read the weights left by the previous step, so a back end can
// stream W through the processor once per step instead of three times.
type Synapse struct {
	W     *Buffer
	X, Y  *Buffer
	E, G  *Buffer
	A, C  *Buffer
	Scale float64
}

// Reads are the buffers a kernel reads (for a synapse: W and its
// operands; for an accumulation or an application: its destination too).
func (k *Kernel) Reads() []*Buffer {
	if k.Op != OpSynapse {
		return k.Args
	}
	s := k.Syn
	return nonNil(s.W, s.X, s.E, s.A, s.C)
}

// Writes are the buffers a kernel writes: its destination (for Adam also
// its moments), or for a synapse W, Y and G.
func (k *Kernel) Writes() []*Buffer {
	if k.Op == OpAdam && len(k.Args) == 3 {
		return []*Buffer{k.Dst, k.Args[1], k.Args[2]}
	}
	if k.Op != OpSynapse {
		return []*Buffer{k.Dst}
	}
	s := k.Syn
	if s.A != nil {
		return nonNil(s.Y, s.G, s.W)
	}
	return nonNil(s.Y, s.G)
}

func nonNil(bs ...*Buffer) []*Buffer {
	out := bs[:0:0]
	for _, b := range bs {
		if b != nil {
			out = append(out, b)
		}
	}
	return out
}

// formatSynapse prints a synapse kernel as its (up to) three assignments.
func (k *Kernel) formatSynapse() string {
	s := k.Syn
	var parts []string
	if s.Y != nil {
		parts = append(parts, fmt.Sprintf("%s = %s @ %s", s.Y, s.W, s.X))
	}
	if s.G != nil {
		parts = append(parts, fmt.Sprintf("%s = %s^T @ %s", s.G, s.W, s.E))
	}
	if s.A != nil {
		parts = append(parts, fmt.Sprintf("%s += %g * outer(%s, %s) if learning", s.W, s.Scale, s.A, s.C))
	}
	return strings.Join(parts, "; ")
}

// Masked says whether a parameter is a weight matrix kept on a
// connectivity mask (one_to_one or sparse topology): its changes apply
// only on the mask.
func (b *Buffer) Masked() bool {
	return b.Conn != nil && (b.Conn.Topology == check.OneToOne || b.Conn.Topology == check.Sparse)
}

// Fuse returns the step program with the fusion decisions every back end
// shares; the kernels compute the same values in fewer passes over
// memory. The program itself is not changed: Fuse returns a copy whose
// Kernels differ (buffers, Init and everything else are shared).
//
//  1. Direct application. A parameter change D that is zeroed,
//     accumulated (OpOuterAcc, OpMeanAcc) and applied once to a parameter
//     P without a mask or a floor, when no learning kernel reads P and
//     nothing else reads D, is accumulated straight into P: each
//     accumulation's Scale becomes its scale times P's rate, and the zero
//     and apply kernels go. This cannot be told apart from accumulating
//     first except in rounding (P += a + b versus P += (a + b)).
//  2. The synapse pass (a batch of one only). A weight matrix W read by
//     exactly one forward product Y = W @ X, at most one message
//     G = W^T @ E and written only by one direct update W += s outer(A, C)
//     becomes one OpSynapse kernel at the forward product's place, when
//     E, A and C are already computed there and nothing between that
//     place and the message's reads G. Batched programs keep their
//     products apart: there each is a matrix-matrix product whose
//     blocking reuses W from cache already.
func Fuse(p *Program) *Program {
	q := *p
	ks := directApply(p.Kernels)
	if p.Batch == 1 {
		ks = synapsePasses(ks)
	}
	q.Kernels = ks
	return &q
}

// uses indexes which kernels read and write each buffer.
type uses struct {
	readers, writers map[*Buffer][]int
}

func indexUses(ks []*Kernel) uses {
	u := uses{readers: map[*Buffer][]int{}, writers: map[*Buffer][]int{}}
	for i, k := range ks {
		for _, a := range k.Reads() {
			u.readers[a] = append(u.readers[a], i)
		}
		for _, w := range k.Writes() {
			u.writers[w] = append(u.writers[w], i)
		}
	}
	return u
}

// directApply is decision 1 of Fuse.
func directApply(ks []*Kernel) []*Kernel {
	u := indexUses(ks)
	drop := map[int]bool{}
	repl := map[int]*Kernel{}
	for ai, ap := range ks {
		if ap.Op != OpApply || ap.Phase != PhaseLearn || len(ap.Args) != 1 {
			continue
		}
		p, d := ap.Dst, ap.Args[0]
		if p.Floor > 0 || p.Masked() || len(u.readers[d]) != 1 {
			continue
		}
		zero, accs, ok := directChange(ks, ai, p, d, u)
		if !ok {
			continue
		}
		drop[zero], drop[ai] = true, true
		for _, wi := range accs {
			k := *ks[wi]
			k.Dst, k.Scale = p, ks[wi].Scale*ap.Scale
			k.Note = strings.TrimSpace(k.Note + " (applied directly)")
			repl[wi] = &k
		}
	}
	var out []*Kernel
	for i, k := range ks {
		switch {
		case drop[i]:
		case repl[i] != nil:
			out = append(out, repl[i])
		default:
			out = append(out, k)
		}
	}
	return out
}

// directChange checks the writers of the change d of parameter p (applied
// by kernel ai): one zero, then accumulations into a shared buffer, all
// in the learning phase, and no learning kernel reading p.
func directChange(ks []*Kernel, ai int, p, d *Buffer, u uses) (zero int, accs []int, ok bool) {
	for _, ri := range u.readers[p] {
		if ks[ri].Phase == PhaseLearn {
			return 0, nil, false
		}
	}
	for _, wi := range u.writers[p] {
		if wi != ai {
			return 0, nil, false
		}
	}
	zero = -1
	for _, wi := range u.writers[d] {
		switch w := ks[wi]; {
		case w.Phase != PhaseLearn:
			return 0, nil, false
		case w.Op == OpZero && zero < 0 && len(accs) == 0:
			zero = wi
		case (w.Op == OpOuterAcc || w.Op == OpMeanAcc) && zero >= 0 && !w.Dst.Batched:
			accs = append(accs, wi)
		default:
			return 0, nil, false
		}
	}
	return zero, accs, zero >= 0
}

// synapsePasses is decision 2 of Fuse, on kernels that already apply
// changes directly.
func synapsePasses(ks []*Kernel) []*Kernel {
	for {
		u := indexUses(ks)
		done := true
		for fi, f := range ks {
			if f.Op != OpMatVec || f.Phase != PhasePopulations {
				continue
			}
			if syn, gone, ok := synapseAt(ks, fi, u); ok {
				ks = replaceKernels(ks, fi, syn, gone)
				done = false
				break
			}
		}
		if done {
			return ks
		}
	}
}

// synapseAt fuses the forward product ks[fi] with the message and the
// update of its matrix, if that is sound; gone are the kernels merged in.
func synapseAt(ks []*Kernel, fi int, u uses) (*Kernel, []int, bool) {
	f := ks[fi]
	w, x, y := f.Args[0], f.Args[1], f.Dst
	if w.Kind != Param || w.Batched || w.Shape.Rank != 2 || w.Masked() || w.Floor > 0 {
		return nil, nil, false
	}
	syn := &Synapse{W: w, X: x, Y: y}
	var gone []int
	for _, ri := range u.readers[w] {
		k := ks[ri]
		switch {
		case ri == fi:
		case k.Op == OpMatTVec && k.Args[0] == w && syn.G == nil && k.Phase == PhaseMessages:
			syn.E, syn.G = k.Args[1], k.Dst
			gone = append(gone, ri)
		default:
			return nil, nil, false
		}
	}
	for _, wi := range u.writers[w] {
		k := ks[wi]
		if k.Op != OpOuterAcc || k.Phase != PhaseLearn || syn.A != nil || !k.Args[0].Batched || !k.Args[1].Batched {
			return nil, nil, false
		}
		syn.A, syn.C, syn.Scale = k.Args[0], k.Args[1], k.Scale
		gone = append(gone, wi)
	}
	if len(gone) == 0 {
		return nil, nil, false
	}
	// The operands must be final at fi, and what the merged kernels write
	// must not be read between fi and their own place.
	for _, b := range nonNil(x, syn.E, syn.A, syn.C) {
		for _, wi := range u.writers[b] {
			if wi >= fi {
				return nil, nil, false
			}
		}
	}
	if syn.G != nil && len(u.writers[syn.G]) != 1 {
		return nil, nil, false
	}
	for _, gi := range gone {
		for _, out := range ks[gi].Writes() {
			for _, ri := range u.readers[out] {
				if ri > fi && ri < gi && !contains(gone, ri) {
					return nil, nil, false
				}
			}
		}
	}
	note := "one pass over " + w.Name
	return &Kernel{Op: OpSynapse, Phase: PhasePopulations, Dst: w, Syn: syn, Note: note}, gone, true
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// replaceKernels puts k at index at and drops the kernels gone.
func replaceKernels(ks []*Kernel, at int, k *Kernel, gone []int) []*Kernel {
	out := make([]*Kernel, 0, len(ks))
	for i, old := range ks {
		switch {
		case i == at:
			out = append(out, k)
		case contains(gone, i):
		default:
			out = append(out, old)
		}
	}
	return out
}
