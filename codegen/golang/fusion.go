package golang

import "github.com/vlec-dev/vlec/ir/schedule"

// fusion are the parameter changes applied directly, decided as the
// interpreter decides them at load time (runtime's Sim.fuse), so that
// both round alike: a change buffer D that is zeroed, accumulated and
// applied once to a parameter P without a mask or a floor, when no
// learning kernel reads P and nothing else reads D. The accumulators then
// add rate * scale * their term to P, and the zero and apply kernels go.
// (Issue 10 moves this decision into ir/schedule, for both back ends.)
type fusion struct {
	skip   map[int]bool         // kernels replaced by the direct accumulations
	direct map[int]directTarget // accumulators writing into their parameter
}

type directTarget struct {
	target *schedule.Buffer
	rate   float64
}

func planFusion(prog *schedule.Program, masks map[*schedule.Buffer]string) *fusion {
	f := &fusion{skip: map[int]bool{}, direct: map[int]directTarget{}}
	ks := prog.Kernels
	readers := map[*schedule.Buffer][]int{}
	writers := map[*schedule.Buffer][]int{}
	for i, k := range ks {
		for _, a := range k.Args {
			readers[a] = append(readers[a], i)
		}
		writers[k.Dst] = append(writers[k.Dst], i)
	}
	for ai, ap := range ks {
		if ap.Op != schedule.OpApply || ap.Phase != schedule.PhaseLearn || len(ap.Args) != 1 {
			continue
		}
		p, d := ap.Dst, ap.Args[0]
		if _, masked := masks[p]; p.Floor > 0 || masked || len(readers[d]) != 1 {
			continue
		}
		zero, accs, ok := fusable(ks, ai, p, d, readers, writers)
		if !ok || zero < 0 {
			continue
		}
		f.skip[zero], f.skip[ai] = true, true
		for _, wi := range accs {
			f.direct[wi] = directTarget{target: p, rate: ap.Scale}
		}
	}
	return f
}

// fusable checks the writers of the change d of parameter p (applied by
// kernel ai): one zero, then accumulations, all in the learning phase.
func fusable(ks []*schedule.Kernel, ai int, p, d *schedule.Buffer, readers, writers map[*schedule.Buffer][]int) (int, []int, bool) {
	for _, ri := range readers[p] {
		if ks[ri].Phase == schedule.PhaseLearn {
			return -1, nil, false
		}
	}
	for _, wi := range writers[p] {
		if wi != ai {
			return -1, nil, false
		}
	}
	zero := -1
	var accs []int
	for _, wi := range writers[d] {
		switch w := ks[wi]; {
		case w.Phase != schedule.PhaseLearn:
			return -1, nil, false
		case w.Op == schedule.OpZero && zero < 0 && len(accs) == 0:
			zero = wi
		case (w.Op == schedule.OpOuterAcc || w.Op == schedule.OpMeanAcc) && zero >= 0 && !w.Dst.Batched:
			accs = append(accs, wi)
		default:
			return -1, nil, false
		}
	}
	return zero, accs, true
}
