package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/vlec-dev/vlec/ir/adjoint"
	"github.com/vlec-dev/vlec/ir/schedule"
)

// Gradient checks: how close do the local rules (le, gle) come to the
// exact gradient of the objective, and is the exact gradient right?
//
// A local rule changes a parameter every learning step by rate * delta_k,
// where delta_k is the batch mean of the direction -dE/dtheta its learn
// phase computes. E holds the cost, beta times the objective C (the task
// loss plus the regularisers over beta; derive.System.Objective, beta the
// program's nudging strength), so over a window the rule's summed
// direction estimates the gradient of L = dt * sum_k sum_batch C_k as
//
//	dL/dtheta ~ -(Batch / beta) * sum_k dt * delta_k
//
// (Batch because L sums over the batch where delta averages).

// LocalGradient runs prog, a step program of method le or gle, for from
// steps and then K more with learning off, computing its learn phase's changes
// every step without applying them, and returns, over the K steps, the estimate above for
// every parameter the learn phase changes, by name. beta is the program's
// nudging strength (Program.Beta).
func LocalGradient(prog *schedule.Program, from, K int, opts Options) (map[string][]float64, error) {
	p := *prog
	p.LearnAfter = 0
	p.Kernels = nil
	deltas := map[string]*schedule.Buffer{}
	for param, d := range prog.Deltas {
		deltas[param.Name] = d
	}
	for _, k := range prog.Kernels {
		if k.Op != schedule.OpApply && k.Op != schedule.OpAdam {
			p.Kernels = append(p.Kernels, k)
		}
	}
	if len(deltas) == 0 {
		return nil, fmt.Errorf("model %s: the step program changes no parameter", prog.Model.Name)
	}
	steps := prog.Steps
	if opts.Steps > 0 {
		steps = opts.Steps
	}
	if from+K > steps {
		return nil, fmt.Errorf("model %s: window of steps %d to %d, the run has %d", prog.Model.Name, from, from+K, steps)
	}
	sim, err := New(&p, opts)
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	beta := prog.Beta
	sums := map[string][]float64{}
	for name, d := range deltas {
		sums[name] = make([]float64, d.Size())
	}
	for range from {
		if err := sim.Step(); err != nil {
			return nil, err
		}
	}
	for range K {
		if err := sim.Step(); err != nil {
			return nil, err
		}
		for name, d := range deltas {
			s := sums[name]
			for i, v := range sim.Values(d)[:len(s)] {
				s[i] += v
			}
		}
	}
	f := -float64(prog.Batch) * prog.Dt / beta
	for _, s := range sums {
		for i := range s {
			s[i] *= f
		}
	}
	return sums, nil
}

// FreeLoss runs the free program fwd for from steps, lets perturb (if not
// nil) change the simulator (its parameters), runs K more steps and
// returns their loss dt * sum_k sum_batch C_k.
func FreeLoss(fwd *schedule.Program, from, K int, opts Options, perturb func(*Sim)) (float64, error) {
	sim, err := New(fwd, opts)
	if err != nil {
		return 0, err
	}
	defer sim.Close()
	for range from {
		if err := sim.Step(); err != nil {
			return 0, err
		}
	}
	if perturb != nil {
		perturb(sim)
	}
	if sim.costBuf == nil {
		return 0, fmt.Errorf("model %s has no loss", fwd.Model.Name)
	}
	loss := 0.0
	for range K {
		k := sim.k
		sim.begin(k)
		sim.runKernels(k)
		c := 0.0
		for _, v := range sim.costBuf {
			c += v
		}
		loss += fwd.Dt * c // summed as Sweep.Run sums
		sim.finish(k)
		if err := sim.check(k); err != nil {
			return 0, err
		}
	}
	return loss, nil
}

// Alignment compares an estimate g of a gradient with the exact one.
type Alignment struct {
	Cosine    float64 `json:"cosine"`     // cos(g, exact); NaN when either is zero
	NormRatio float64 `json:"norm_ratio"` // |g| / |exact|
}

// Align compares est with exact.
func Align(est, exact []float64) Alignment {
	var dot, ne, nx float64
	for i, x := range exact {
		dot += est[i] * x
		ne += est[i] * est[i]
		nx += x * x
	}
	return Alignment{Cosine: dot / math.Sqrt(ne*nx), NormRatio: math.Sqrt(ne / nx)}
}

// FDCheck is a central finite-difference check of one gradient entry.
type FDCheck struct {
	Param  string  `json:"param"`
	Index  int     `json:"index"` // flat, row-major
	Entry  string  `json:"entry"` // "[i]" or "[i][j]"
	Value  float64 `json:"value"`
	Step   float64 `json:"step"`    // the perturbation h
	Exact  float64 `json:"exact"`   // the sweep's gradient
	FD     float64 `json:"fd"`      // (L(theta + h) - L(theta - h)) / 2h
	RelErr float64 `json:"rel_err"` // |FD - Exact| / max(|FD|, |Exact|)
}

// FDOptions configure FiniteDifferences.
type FDOptions struct {
	Entries int     // how many random entries (all when there are fewer)
	Seed    uint64  // of the choice
	RelStep float64 // h = RelStep * max(|theta|, 0.1): default 1e-6
}

// FiniteDifferences checks the gradient of sw's last sweep (steps from to
// from+K of a fresh simulator of fwd with opts) against central finite
// differences of the loss on random entries of params (entries off a
// connectivity mask are not parameters and are not drawn).
func FiniteDifferences(fwd *schedule.Program, sw *Sweep, params []string, from, K int, opts Options, fo FDOptions) ([]FDCheck, error) {
	if fo.RelStep <= 0 {
		fo.RelStep = 1e-6
	}
	type entry struct {
		b *schedule.Buffer
		i int
	}
	var pool []entry
	for _, name := range params {
		b := fwd.Named[name]
		if b == nil || sw.Grad(name) == nil {
			return nil, fmt.Errorf("model %s has no parameter %s", fwd.Model.Name, name)
		}
		mask := sw.sim.masks[b.ID]
		for i := 0; i < b.Size(); i++ {
			if mask == nil || mask[i] {
				pool = append(pool, entry{b, i})
			}
		}
	}
	r := rand.New(rand.NewPCG(fo.Seed, 0x9c_ec_4))
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	if fo.Entries < len(pool) {
		pool = pool[:fo.Entries]
	}
	var out []FDCheck
	for _, e := range pool {
		theta := sw.sim.Values(e.b)[e.i]
		h := fo.RelStep * math.Max(math.Abs(theta), 0.1)
		loss := func(d float64) (float64, error) {
			return FreeLoss(fwd, from, K, opts, func(s *Sim) { s.Values(e.b)[e.i] = theta + d })
		}
		lp, err := loss(h)
		if err != nil {
			return nil, err
		}
		lm, err := loss(-h)
		if err != nil {
			return nil, err
		}
		c := FDCheck{Param: e.b.Name, Index: e.i, Entry: EntryName(e.b, e.i), Value: theta, Step: h,
			Exact: sw.Grad(e.b.Name)[e.i], FD: (lp - lm) / (2 * h)}
		if d := math.Max(math.Abs(c.FD), math.Abs(c.Exact)); d > 0 {
			c.RelErr = math.Abs(c.FD-c.Exact) / d
		}
		out = append(out, c)
	}
	return out, nil
}

// EntryName is "[i]" or "[i][j]" for flat entry i of b ("" for a scalar).
func EntryName(b *schedule.Buffer, i int) string {
	switch b.Shape.Rank {
	case 0:
		return ""
	case 2:
		return fmt.Sprintf("[%d][%d]", i/b.Shape.Cols(), i%b.Shape.Cols())
	}
	return fmt.Sprintf("[%d]", i)
}

// ExactGradient runs a fresh simulator of fwd for from steps and sweeps
// the K steps after them; the caller closes sw.Sim().
func ExactGradient(fwd *schedule.Program, rev *adjoint.Program, from, K int, checkpoint bool, opts Options) (*Sweep, error) {
	sim, err := New(fwd, opts)
	if err != nil {
		return nil, err
	}
	for range from {
		if err = sim.Step(); err != nil {
			sim.Close()
			return nil, err
		}
	}
	sw, err := NewSweep(sim, rev, SweepOptions{Window: K, Checkpoint: checkpoint})
	if err == nil {
		err = sw.Run(K)
	}
	if err != nil {
		sim.Close()
		return nil, err
	}
	return sw, nil
}
