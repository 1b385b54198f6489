package schedule_test

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/internal/eqsim"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/runtime"
)

// TestEnergiesEqsimGolden checks the independent stepper of the derived
// equations (internal/eqsim) against the GLE reference runs, so that the
// property tests below compare the step program with something known to be
// right.
func TestEnergiesEqsimGolden(t *testing.T) {
	if _, err := os.Stat(goldenDir); err != nil {
		t.Skipf("golden data not found at %s (it sits beside the repository in CI): %v", goldenDir, err)
	}
	for _, name := range []string{"chain2", "mlp"} {
		t.Run(name, func(t *testing.T) {
			c, src, err := vlec.Compile("../../examples/"+name+".vle", vlec.Options{})
			if err != nil {
				t.Fatal(src.Format(err))
			}
			sim, err := eqsim.New(c.System, eqsim.Options{})
			if err != nil {
				t.Fatal(err)
			}
			header, rows := readCSV(t, filepath.Join(goldenDir, name+".csv"))
			m := c.Model
			get := goldenGetters(t, sim, m, header)
			worst := 0.0
			for k, row := range rows {
				if err := sim.Step(); err != nil {
					t.Fatal(err)
				}
				for col, g := range get {
					want, _ := strconv.ParseFloat(row[col], 64)
					got := g()
					d := math.Abs(got-want) / (1 + math.Abs(want))
					worst = math.Max(worst, d)
					if d > 1e-12 {
						t.Fatalf("step %d, %s: eqsim %.17g, golden %.17g", k, header[col], got, want)
					}
				}
			}
			t.Logf("%d steps, %d columns, worst relative difference %.2g", len(rows), len(get), worst)
		})
	}
}

// goldenGetters maps golden columns (see golden_test.go) to eqsim's
// values: x[b][i], target[b][i], u0[b][i], r0, e0, W0[i][j], b0[i],
// tau_m0[i]; population l is the l-th population of the model.
func goldenGetters(t *testing.T, sim *eqsim.Sim, m *check.Model, header []string) map[int]func() float64 {
	out := map[int]func() float64{}
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
		l, _ := strconv.Atoi(g[2])
		var read func() []float64
		idx := a
		switch g[1] {
		case "x":
			name := m.Inputs[0].Name
			read = func() []float64 { return sim.Input(name) }
			idx = a*m.Inputs[0].Size + b
		case "target":
			var name string
			var size int
			// the one target of the reference models: T.<last population>.r
			last := m.Populations[len(m.Populations)-1]
			name, size = m.Teachers[0].Name+"."+last.Name+".r", last.Size
			read = func() []float64 { return sim.Target(name) }
			idx = a*size + b
		case "W":
			conn := m.Connections[l]
			read = func() []float64 { return sim.Param(conn.Name) }
			idx = a*conn.Src.NodeSize() + b
		case "b", "tau_m", "tau_r":
			name := m.Populations[l].Name + "." + g[1]
			read = func() []float64 { return sim.Param(name) }
		default:
			p := m.Populations[l]
			name := p.Name + "." + g[1]
			read = func() []float64 { return sim.State(name) }
			idx = a*p.Size + b
		}
		if read() == nil {
			t.Fatalf("column %s: eqsim has no such value", h)
		}
		i := idx
		out[c] = func() float64 { return read()[i] }
	}
	return out
}

// # The energy property test
//
// A seeded generator writes models with 2-4 populations, an input,
// feed-forward, lateral, skip and backward connections (plastic or not),
// learnable biases, time constants and params, file and model teachers,
// and energies built from the builtins and the std/gle functions. Each
// model must
//
//  1. compile when the checker accepts it, and its step program (run by
//     the runtime) must agree with eqsim, the naive stepper of the derived
//     equations, on every state and parameter at every step;
//  2. run identically with an added term lam0 * TERM, const lam0 = 0,
//     learning on and off;
//  3. run identically with its weights plastic or not when learning is
//     off.
//
// A failure is diagnosed (see diagnose), shrunk to a minimal model by
// greedy simplification (the first failure of each property and
// diagnosis), and logged with the model's source; the minimal model is
// saved under the system's temporary directory, vlec-energies-seedS-propP-*,
// so that it outlives the test.
//
// A model that diverges (a potential or parameter beyond divergeAt) is
// compared up to that step only: rounding differences grow with the
// values.
//
// Environment: VLEC_ENERGIES=N runs N models (default 60, about 5 s),
// VLEC_ENERGIES_SEED=S starts the seeds at S (default 1),
// VLEC_ENERGIES_SHRINK=K shrinks at most K failures (default 8),
// VLEC_ENERGIES_STRICT=1 fails on the known bugs as well (see knownBugs)
// instead of skipping them, VLEC_ENERGIES_VERBOSE=1 logs the source of
// the models that diverge. For example
//
//	VLEC_ENERGIES=1000 VLEC_ENERGIES_SEED=5000 go test ./ir/schedule -run 'Energies$' -v

// energyTol is the relative tolerance of every comparison.
const energyTol = 1e-12

// knownBugs are failure categories (a tag or a diagnosis, see diagnose)
// known to fail while their fix is under way: a model whose failure is
// put down to one of them is skipped with the category named, unless
// VLEC_ENERGIES_STRICT is set. Add an entry only for a bug being fixed,
// and delete it when the fix lands.
//
// It is empty: the three categories this test was written against, weight
// decay on plastic weights (tagDecayPlastic: did not schedule), products
// of plastic weights inside errors leaking into the membrane input and
// messages holding targets or inputs reading the previous step (both
// tagPlasticInCost), all fail here on commit 518aa70 and were fixed by
// 8db6677. What fails now is new (see diagnose): diagTeacherInputs, a
// runtime bug, and diagMessageInit, a scheduler bug.
var knownBugs = map[string]string{}

// Tags name the term categories the report and the known bugs refer to.
const (
	tagDecayPlastic   = "weight-decay-on-plastic-W"   // 0.5 * lam * sumsq(W), W plastic
	tagPlasticInCost  = "plastic-W-in-cost"           // W @ r or p.I (W plastic into p) inside a cost term
	tagLearnableInErr = "learnable-param-in-error"    // a learnable param or bias inside ebar
	tagTargetInMsg    = "target-in-plastic-W-message" // ... with a target
	tagInputInMsg     = "input-in-plastic-W-message"  // ... with an input
	tagTeacherModel   = "teacher-model"               // a model teacher
	tagFileInput      = "file-input"                  // a CSV input
	tagLateral        = "lateral"                     // h -> h
	tagBackward       = "backward"                    // a later population to an earlier one
	tagSkip           = "skip"                        // skips a population
	tagLearnTau       = "learnable-tau_m"             // tau_m learnable
	tagLearnBias      = "learnable-b"                 // b learnable
	tagRandomWeights  = "random-weights"              // normal(0, s, seed = ...)
	tagPerNeuron      = "per-neuron-lists"            // tau_m, tau_r or b as lists
	tagGamma          = "gamma"                       // gamma given (a value or a list)
	tagGLE            = "gle"                         // method gle
)

type gpop struct {
	name             string
	size             int
	phi              string
	tauM, tauR, b    []float64 // one value, or one per neuron
	gamma            []float64 // nil: the default 1
	learnTau, learnB bool
}

type gconn struct {
	name     string
	src, dst string // "x" or a population
	kind     string // ff, lateral, skip, backward
	plastic  bool
	w        [][]float64 // literal [dst][src], or nil for normal(0, std, seed)
	std      float64
	seed     uint64
}

// gterm is one energy term: kind says how to render it, the fields which
// quantities it reads.
type gterm struct {
	kind  string
	coef  string // name of its const coefficient (or lam0)
	p, q  string // populations
	conn  string
	param string // a param (homeostasis)
	tgt   string // a target: "D_<pop>" (file) or "T.a.r" (model teacher)
}

type gparam struct {
	name      string
	value     float64
	learnable bool
}

type gmodel struct {
	seed       uint64
	method     string
	batch      int
	steps      int
	learnAfter int
	nIn        int
	fileInput  bool
	pops       []*gpop
	conns      []*gconn
	params     []*gparam
	consts     map[string]float64
	terms      []*gterm
	teacherN   int // size of the model teacher's population a; 0: none
	teacherW   [][]float64
	lrs        map[string]float64 // learning rates by group (lr.GROUP)
	// teacherOwnStim gives the teacher model the student's stimulus as its
	// own, so that it sees the same input bound or not (a diagnosis)
	teacherOwnStim bool
}

func (g *gmodel) clone() *gmodel {
	c := *g
	c.pops = nil
	for _, p := range g.pops {
		q := *p
		q.tauM, q.tauR, q.b, q.gamma = slices.Clone(p.tauM), slices.Clone(p.tauR), slices.Clone(p.b), slices.Clone(p.gamma)
		c.pops = append(c.pops, &q)
	}
	c.conns = nil
	for _, x := range g.conns {
		y := *x
		y.w = nil
		for _, row := range x.w {
			y.w = append(y.w, slices.Clone(row))
		}
		c.conns = append(c.conns, &y)
	}
	c.params = nil
	for _, p := range g.params {
		q := *p
		c.params = append(c.params, &q)
	}
	c.consts = maps.Clone(g.consts)
	c.lrs = maps.Clone(g.lrs)
	c.terms = nil
	for _, t := range g.terms {
		u := *t
		c.terms = append(c.terms, &u)
	}
	c.teacherW = nil
	for _, row := range g.teacherW {
		c.teacherW = append(c.teacherW, slices.Clone(row))
	}
	return &c
}

func (g *gmodel) pop(name string) *gpop {
	for _, p := range g.pops {
		if p.name == name {
			return p
		}
	}
	return nil
}

func (g *gmodel) conn(name string) *gconn {
	for _, c := range g.conns {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (g *gmodel) param(name string) *gparam {
	for _, p := range g.params {
		if p.name == name {
			return p
		}
	}
	return nil
}

// size is the size of a node: the input or a population.
func (g *gmodel) size(node string) int {
	if node == "x" {
		return g.nIn
	}
	if p := g.pop(node); p != nil {
		return p.size
	}
	return 0
}

// generate draws a model from seed.
func generate(seed uint64) *gmodel {
	rng := rand.New(rand.NewPCG(seed, 0x0e4e_26e5))
	g := &gmodel{seed: seed, method: "le", batch: 1 + rng.IntN(3), steps: 20 + rng.IntN(21), nIn: 1 + rng.IntN(3),
		consts: map[string]float64{}}
	if rng.IntN(2) == 0 {
		g.method = "gle"
	}
	g.learnAfter = 1 + rng.IntN(6)
	g.fileInput = rng.IntN(5) == 0
	phis := []string{"linear", "tanh", "sigmoid", "softplus"}
	npop := 2 + rng.IntN(3)
	vals := func(n int, lo, hi float64, list bool) []float64 {
		if !list {
			n = 1
		}
		out := make([]float64, n)
		for i := range out {
			out[i] = round4(lo + (hi-lo)*rng.Float64())
		}
		return out
	}
	for i := range npop {
		name := fmt.Sprintf("h%d", i)
		if i == npop-1 {
			name = "y"
		}
		n := 1 + rng.IntN(4)
		p := &gpop{name: name, size: n, phi: phis[rng.IntN(len(phis))],
			tauM: vals(n, 0.08, 0.6, rng.IntN(3) == 0), learnTau: rng.IntN(4) == 0, learnB: rng.IntN(3) == 0}
		// tau_r <= tau_m: the prospective potential looks ahead less than
		// the membrane lags, which keeps the nudged dynamics stable
		// and at most 4 times less, which bounds the gain tau_m/tau_r of
		// gle's error neurons (error loops through lateral and backward
		// connections diverge otherwise)
		lo := math.Max(0.02, 0.25*slices.Max(p.tauM))
		p.tauR = vals(n, lo, math.Max(lo, 0.9*slices.Min(p.tauM)), rng.IntN(3) == 0)
		if rng.IntN(5) == 0 {
			p.gamma = vals(n, 0, 1, rng.IntN(2) == 0)
		}
		switch rng.IntN(3) {
		case 0:
			p.b = vals(n, -0.2, 0.2, true)
		case 1:
			p.b = vals(n, -0.2, 0.2, false)
		default:
			p.b = []float64{0}
		}
		g.pops = append(g.pops, p)
	}
	addConn := func(src, dst, kind string) {
		for _, c := range g.conns {
			if c.src == src && c.dst == dst {
				return
			}
		}
		c := &gconn{name: "W_" + src + "_" + dst, src: src, dst: dst, kind: kind, plastic: rng.IntN(5) < 3}
		m, n := g.size(dst), g.size(src)
		scale := 0.8 / math.Sqrt(float64(n))
		if kind != "ff" {
			scale *= 0.5
		}
		if rng.IntN(4) == 0 {
			c.std, c.seed = round4(0.3*scale/0.8), uint64(1+rng.IntN(1000))
		} else {
			c.w = make([][]float64, m)
			for i := range c.w {
				c.w[i] = make([]float64, n)
				for j := range c.w[i] {
					c.w[i][j] = round4(scale * rng.NormFloat64())
				}
			}
		}
		g.conns = append(g.conns, c)
	}
	addConn("x", g.pops[0].name, "ff")
	for i := 1; i < npop; i++ {
		addConn(g.pops[i-1].name, g.pops[i].name, "ff")
	}
	for _, p := range g.pops {
		if rng.IntN(6) == 0 {
			addConn(p.name, p.name, "lateral")
		}
	}
	if rng.IntN(4) == 0 {
		addConn("x", g.pops[npop-1].name, "skip")
	}
	if npop > 2 && rng.IntN(4) == 0 {
		addConn(g.pops[0].name, g.pops[npop-1].name, "skip")
	}
	if rng.IntN(4) == 0 {
		i := 1 + rng.IntN(npop-1)
		addConn(g.pops[i].name, g.pops[i-1].name, "backward")
	}
	if rng.IntN(3) == 0 {
		g.teacherN = g.pops[npop-1].size
		g.teacherW = make([][]float64, g.teacherN)
		for i := range g.teacherW {
			g.teacherW[i] = make([]float64, g.nIn)
			for j := range g.teacherW[i] {
				g.teacherW[i][j] = round4(0.8 * rng.NormFloat64())
			}
		}
	}
	g.lrs = map[string]float64{}
	for _, p := range g.pops {
		if p.learnTau {
			// learned time constants move fast (their rule has the factor
			// du/dt); at lr = 0.05 they hit the floor within a few steps and
			// the run turns chaotic, amplifying rounding beyond the tolerance
			g.lrs["tau_m"] = 2e-4
		}
	}
	if rng.IntN(4) == 0 {
		c := g.conns[rng.IntN(len(g.conns))]
		g.lrs[c.name] = 0.02
	}
	if g.teacherN > 0 {
		// a model teacher is there to be used: the output learns its rates
		c := fmt.Sprintf("c%d", len(g.consts)+1)
		g.consts[c] = round4(0.05 + 0.3*rng.Float64())
		kinds := []string{"mse", "xent", "meansq"}
		g.terms = append(g.terms, &gterm{kind: kinds[rng.IntN(len(kinds))], coef: c, p: g.pops[npop-1].name, tgt: "T.a.r"})
	}
	for range rng.IntN(4) {
		if t := g.randomTerm(rng, ""); t != nil {
			g.terms = append(g.terms, t)
		}
	}
	return g
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// termKinds are the kinds of generated terms.
var termKinds = []string{"mse", "mse", "xent", "sumsq", "coupling", "dotpq", "lse", "meansq", "homeo", "homeo",
	"decay", "decay", "dotW", "dotW", "sumsqI", "sumsqI", "sumsqID", "tanhsum", "inputdot", "dotb", "deep"}

// randomTerm draws a term; coef names its coefficient ("" draws a new
// const).
func (g *gmodel) randomTerm(rng *rand.Rand, coef string) *gterm {
	if coef == "" {
		coef = fmt.Sprintf("c%d", len(g.consts)+1)
		for g.consts[coef] != 0 {
			coef += "x"
		}
		g.consts[coef] = round4(0.05 + 0.4*rng.Float64())
	}
	out := g.pops[len(g.pops)-1]
	anyPop := func() *gpop { return g.pops[rng.IntN(len(g.pops))] }
	t := &gterm{coef: coef}
	for range 20 {
		t.kind = termKinds[rng.IntN(len(termKinds))]
		switch t.kind {
		case "mse", "xent", "meansq":
			t.p = out.name
			if rng.IntN(3) == 0 {
				t.p = anyPop().name
			}
			t.tgt = "D_" + t.p
			if g.teacherN == g.size(t.p) && rng.IntN(2) == 0 {
				t.tgt = "T.a.r"
			}
		case "deep":
			t.kind, t.p = "mse", anyPop().name
			t.tgt = "D_" + t.p
		case "sumsq", "lse", "tanhsum", "sumsqI":
			t.p = anyPop().name
		case "coupling", "dotpq":
			t.p, t.q = anyPop().name, anyPop().name
			if t.p == t.q {
				continue
			}
		case "homeo":
			t.p = anyPop().name
			t.param = fmt.Sprintf("kappa%d", len(g.params)+1)
			g.params = append(g.params, &gparam{name: t.param, value: round4(0.05 + 0.3*rng.Float64()), learnable: rng.IntN(2) == 0})
			if _, ok := g.consts["rho"]; !ok {
				g.consts["rho"] = 0.2
			}
		case "decay":
			var plastic []*gconn
			for _, c := range g.conns {
				if c.plastic {
					plastic = append(plastic, c)
				}
			}
			if len(plastic) == 0 {
				continue
			}
			t.conn = plastic[rng.IntN(len(plastic))].name
		case "dotW":
			c := g.conns[rng.IntN(len(g.conns))]
			t.conn = c.name
		case "sumsqID":
			t.p = anyPop().name
			t.tgt = "D_" + t.p
		case "inputdot":
			t.p = anyPop().name
		case "dotb":
			t.p = anyPop().name
		}
		return t
	}
	return nil
}

// expr renders a term.
func (t *gterm) expr(g *gmodel) string {
	c := t.coef
	switch t.kind {
	case "mse":
		return fmt.Sprintf("%s * mse(%s.r, %s)", c, t.p, t.tgt)
	case "xent":
		return fmt.Sprintf("%s * cross_entropy(%s.uhat_r, %s)", c, t.p, t.tgt)
	case "meansq":
		return fmt.Sprintf("%s * mean(square(%s.r - %s))", c, t.p, t.tgt)
	case "sumsq":
		return fmt.Sprintf("%s * sumsq(%s.r)", c, t.p)
	case "lse":
		return fmt.Sprintf("%s * logsumexp(%s.uhat_r)", c, t.p)
	case "tanhsum":
		return fmt.Sprintf("%s * sum(tanh(%s.uhat_r))", c, t.p)
	case "coupling":
		if g.size(t.p) == g.size(t.q) {
			return fmt.Sprintf("%s * sumsq(%s.r - %s.r)", c, t.p, t.q)
		}
		return fmt.Sprintf("%s * sum(%s.r) * sum(%s.uhat_r)", c, t.p, t.q)
	case "dotpq":
		if g.size(t.p) == g.size(t.q) {
			return fmt.Sprintf("%s * dot(%s.uhat_r, %s.r)", c, t.p, t.q)
		}
		return fmt.Sprintf("%s * mean(%s.r) * mean(%s.r)", c, t.p, t.q)
	case "homeo":
		return fmt.Sprintf("0.5 * %s * %s * sumsq(%s.r - rho)", c, t.param, t.p)
	case "decay":
		return fmt.Sprintf("0.5 * %s * sumsq(%s)", c, t.conn)
	case "dotW":
		w := g.conn(t.conn)
		src := "x"
		if w.src != "x" {
			src = w.src + ".r"
		}
		return fmt.Sprintf("%s * dot(%s.r, %s @ %s)", c, w.dst, w.name, src)
	case "sumsqI":
		return fmt.Sprintf("0.5 * %s * sumsq(%s.I)", c, t.p)
	case "sumsqID":
		return fmt.Sprintf("%s * mse(%s.I, %s)", c, t.p, t.tgt)
	case "inputdot":
		if g.size(t.p) == g.nIn {
			return fmt.Sprintf("%s * dot(%s.r, x)", c, t.p)
		}
		return fmt.Sprintf("%s * sum(%s.r) * sum(x)", c, t.p)
	case "dotb":
		return fmt.Sprintf("%s * dot(%s.b, %s.r)", c, t.p, t.p)
	}
	panic("term kind " + t.kind)
}

// valid reports whether the populations and connection the term reads
// exist in g.
func (t *gterm) valid(g *gmodel) bool {
	for _, p := range []string{t.p, t.q} {
		if p != "" && g.pop(p) == nil {
			return false
		}
	}
	if t.conn != "" {
		w := g.conn(t.conn)
		return w != nil && g.size(w.src) > 0 && g.size(w.dst) > 0
	}
	if t.tgt == "T.a.r" {
		return g.teacherN == g.size(t.p)
	}
	return true
}

// uses reports whether the term reads a population, connection, param or
// target.
func (t *gterm) uses(g *gmodel, name string) bool {
	if t.p == name || t.q == name || t.conn == name || t.param == name || t.tgt == name {
		return true
	}
	if w := g.conn(t.conn); w != nil {
		return w.src == name || w.dst == name
	}
	if t.tgt == "T.a.r" && name == "T" {
		return true
	}
	return false
}

// tags lists the categories of a model.
func (g *gmodel) tags() []string {
	set := map[string]bool{}
	plasticInto := func(p string) (plastic, fromX bool) {
		for _, c := range g.conns {
			if c.dst == p && c.plastic {
				plastic = true
				fromX = fromX || c.src == "x"
			}
		}
		return
	}
	for _, t := range g.terms {
		switch t.kind {
		case "decay":
			if g.conn(t.conn).plastic {
				set[tagDecayPlastic] = true
			}
		case "dotW":
			if w := g.conn(t.conn); w.plastic {
				set[tagPlasticInCost] = true
				if w.src == "x" {
					set[tagInputInMsg] = true
				}
			}
		case "sumsqI", "sumsqID":
			if plastic, fromX := plasticInto(t.p); plastic {
				set[tagPlasticInCost] = true
				if fromX {
					set[tagInputInMsg] = true
				}
				if t.kind == "sumsqID" {
					set[tagTargetInMsg] = true
				}
			}
			if g.pop(t.p).learnB {
				set[tagLearnableInErr] = true
			}
		case "homeo":
			if g.param(t.param).learnable {
				set[tagLearnableInErr] = true
			}
		case "dotb":
			if g.pop(t.p).learnB {
				set[tagLearnableInErr] = true
			}
		}
		set["term:"+t.kind] = true
	}
	for _, c := range g.conns {
		switch c.kind {
		case "lateral":
			set[tagLateral] = true
		case "backward":
			set[tagBackward] = true
		case "skip":
			set[tagSkip] = true
		}
		if c.w == nil {
			set[tagRandomWeights] = true
		}
	}
	for _, p := range g.pops {
		if p.learnTau {
			set[tagLearnTau] = true
		}
		if p.learnB {
			set[tagLearnBias] = true
		}
		if len(p.tauM) > 1 || len(p.tauR) > 1 || len(p.b) > 1 || len(p.gamma) > 1 {
			set[tagPerNeuron] = true
		}
		if p.gamma != nil {
			set[tagGamma] = true
		}
	}
	if g.teacherN > 0 && g.usesTeacher() {
		set[tagTeacherModel] = true
	}
	if g.fileInput {
		set[tagFileInput] = true
	}
	if g.method == "gle" {
		set[tagGLE] = true
	}
	return slices.Sorted(maps.Keys(set))
}

func (g *gmodel) usesTeacher() bool {
	for _, t := range g.terms {
		if t.tgt == "T.a.r" {
			return true
		}
	}
	return false
}

// targets lists the file teachers the terms read, sorted.
func (g *gmodel) targets() []string {
	set := map[string]bool{}
	for _, t := range g.terms {
		if strings.HasPrefix(t.tgt, "D_") {
			set[t.tgt] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// genVariant says how to render a model for a property.
type genVariant struct {
	learnOff  bool   // learn_after beyond the end
	noPlastic bool   // no weight is plastic
	extra     *gterm // an added term
}

func list(xs []float64) string {
	if len(xs) == 1 {
		return fmtNum(xs[0])
	}
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmtNum(x)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func fmtNum(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// stimulus is the input's value (also written into x.csv for a file
// input).
func stimulus(k, i, b int) float64 {
	t := float64(k) * 0.01
	return math.Sin(2*math.Pi*(0.3+0.17*float64(i)+0.05*float64(b))*t + 0.7*float64(i))
}

// targetValue is a file teacher's value.
func targetValue(name string, k, i, b int) float64 {
	h := 0.0
	for _, c := range name {
		h += float64(c)
	}
	return round4(0.5 + 0.4*math.Sin(0.21*float64(k)+1.3*float64(i)+0.5*float64(b)+h))
}

// write renders the model (and its files) into dir and returns the model
// file's path and source.
func (g *gmodel) write(dir string, v genVariant) (string, string, error) {
	var w strings.Builder
	fmt.Fprintf(&w, "model gen%d\nimport \"std/gle\"\n\n", g.seed)
	after := g.learnAfter
	if v.learnOff {
		after = g.steps + 5
	}
	fmt.Fprintf(&w, "sim { dt = 10ms; duration = %dms; batch = %d; method = %s; learn_after = %dms; seed = 1 }\n\n",
		10*g.steps, g.batch, g.method, 10*after)
	files := map[string]string{}
	if g.fileInput {
		fmt.Fprintf(&w, "input x[%d] = file(\"x.csv\")\n", g.nIn)
		var f strings.Builder
		perBatch := g.batch > 1
		for k := range g.steps {
			var row []string
			nb := 1
			if perBatch {
				nb = g.batch
			}
			for b := range nb {
				for i := range g.nIn {
					row = append(row, fmtNum(round4(stimulus(k, i, b))))
				}
			}
			f.WriteString(strings.Join(row, ",") + "\n")
		}
		files["x.csv"] = f.String()
	} else {
		fmt.Fprintf(&w, "input x[%d] = sin(2 * pi * (0.3 + 0.17 * i + 0.05 * b) * t + 0.7 * i)\n", g.nIn)
	}
	for _, p := range g.pops {
		var args []string
		tm := "tau_m = " + list(p.tauM)
		if p.learnTau {
			tm += " learnable"
		}
		args = append(args, tm, "tau_r = "+list(p.tauR))
		if p.learnB || len(p.b) > 1 || p.b[0] != 0 {
			b := "b = " + list(p.b)
			if p.learnB {
				b += " learnable"
			}
			args = append(args, b)
		}
		if p.gamma != nil {
			args = append(args, "gamma = "+list(p.gamma))
		}
		args = append(args, "phi = "+p.phi)
		fmt.Fprintf(&w, "population %s[%d] : gle(%s)\n", p.name, p.size, strings.Join(args, ", "))
	}
	for _, c := range g.conns {
		var init string
		if c.w == nil {
			init = fmt.Sprintf("normal(0, %s, seed = %d)", fmtNum(c.std), c.seed)
		} else {
			rows := make([]string, len(c.w))
			for i, r := range c.w {
				rows[i] = list(r)
				if len(r) == 1 {
					rows[i] = "[" + rows[i] + "]"
				}
			}
			init = "[" + strings.Join(rows, ", ") + "]"
		}
		plastic := ""
		if c.plastic && !v.noPlastic {
			plastic = " plastic"
		}
		fmt.Fprintf(&w, "connect %s -> %s %s = %s%s\n", c.src, c.dst, c.name, init, plastic)
	}
	terms := slices.Clone(g.terms)
	if v.extra != nil {
		terms = append(terms, v.extra)
	}
	tg := &gmodel{terms: terms}
	for _, name := range tg.targets() {
		n := g.size(strings.TrimPrefix(name, "D_"))
		fmt.Fprintf(&w, "teacher %s[%d] = file(\"%s.csv\")\n", name, n, name)
		var f strings.Builder
		perBatch := g.batch > 1 && len(name)%2 == 0
		for k := range g.steps + 6 {
			var row []string
			nb := 1
			if perBatch {
				nb = g.batch
			}
			for b := range nb {
				for i := range n {
					row = append(row, fmtNum(targetValue(name, k, i, b)))
				}
			}
			f.WriteString(strings.Join(row, ",") + "\n")
		}
		files[name+".csv"] = f.String()
	}
	if g.teacherN > 0 && tg.usesTeacher() {
		fmt.Fprintf(&w, "teacher T = model(\"t.vle\", x = x)\n")
		var rows []string
		for _, r := range g.teacherW {
			rows = append(rows, "["+strings.Trim(list(r), "[]")+"]")
		}
		stim := "sin(2 * pi * 0.3 * t)"
		if g.teacherOwnStim {
			stim = "sin(2 * pi * (0.3 + 0.17 * i + 0.05 * b) * t + 0.7 * i)"
			if g.fileInput {
				stim = `file("x.csv")`
			}
		}
		files["t.vle"] = fmt.Sprintf("model teach\nimport \"std/gle\"\n\nsim { dt = 10ms; duration = %dms; batch = %d }\n\n"+
			"input x[%d] = %s\npopulation a[%d] : gle(tau_m = 0.15, tau_r = 0.05, b = 0.1, phi = tanh)\n"+
			"connect x -> a V = [%s]\n\nenergy {\n  mismatch(a)\n}\n", 10*g.steps, g.batch, g.nIn, stim, g.teacherN, strings.Join(rows, ", "))
	}
	w.WriteString("\n")
	var used strings.Builder
	for _, t := range terms {
		used.WriteString(t.expr(g) + " ")
	}
	uses := func(name string) bool {
		return regexp.MustCompile(`\b` + name + `\b`).MatchString(used.String())
	}
	for _, name := range slices.Sorted(maps.Keys(g.consts)) {
		if uses(name) {
			fmt.Fprintf(&w, "const %s = %s\n", name, fmtNum(g.consts[name]))
		}
	}
	if v.extra != nil {
		fmt.Fprintf(&w, "const lam0 = 0\n")
	}
	for _, p := range g.params {
		if !uses(p.name) {
			continue
		}
		l := ""
		if p.learnable {
			l = " learnable"
		}
		fmt.Fprintf(&w, "param %s = %s%s\n", p.name, fmtNum(p.value), l)
	}
	w.WriteString("\nenergy {\n")
	for _, p := range g.pops {
		fmt.Fprintf(&w, "  mismatch(%s)\n", p.name)
	}
	for _, t := range terms {
		fmt.Fprintf(&w, "  %s;\n", t.expr(g))
	}
	learn := []string{"lr = 0.05"}
	for _, k := range slices.Sorted(maps.Keys(g.lrs)) {
		learn = append(learn, fmt.Sprintf("lr.%s = %s", k, fmtNum(g.lrs[k])))
	}
	fmt.Fprintf(&w, "}\n\nlearn { %s }\n", strings.Join(learn, "; "))
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return "", "", err
		}
	}
	path := filepath.Join(dir, "m.vle")
	src := w.String()
	return path, src, os.WriteFile(path, []byte(src), 0o644)
}

// failure is a property that does not hold for a model.
type failure struct {
	prop      int  // 1, 2 or 3
	compile   bool // the model did not compile (or the runtime refused it)
	step      int  // the first step that differs
	msg       string
	learnOff  bool // property 2: with learning off
	generator bool // the checker refuses the model: a bug of the generator
}

func (f *failure) same(o *failure) bool {
	return o != nil && !o.generator && f.prop == o.prop && f.compile == o.compile
}

func (f *failure) String() string {
	if f.compile {
		return fmt.Sprintf("property %d: does not compile: %s", f.prop, f.msg)
	}
	return fmt.Sprintf("property %d: step %d: %s", f.prop, f.step, f.msg)
}

// harness runs the properties; fatal reports problems of the test itself
// (an invalid generated model, something eqsim does not implement).
type harness struct {
	t        *testing.T
	dir      func() string
	diverged bool // a run left the comparable range (see divergeAt)
}

// built is a compiled model with its runtime.
type built struct {
	c    *vlec.Compiled
	sim  *runtime.Sim
	path string
	src  string
}

// build writes, checks, compiles and instantiates a model variant. A
// model the checker refuses is a bug of the generator; one that compiles
// no further is a failure of property prop.
func (h *harness) build(g *gmodel, v genVariant, prop int) (*built, *failure) {
	h.t.Helper()
	path, src, err := g.write(h.dir(), v)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, sources, err := check.Load(path); err != nil {
		return nil, &failure{prop: prop, compile: true, generator: true, msg: "generator error, the checker refuses the model: " + sources.Format(err) + "\n" + src}
	}
	c, sources, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		return &built{path: path, src: src}, &failure{prop: prop, compile: true, msg: sources.Format(err)}
	}
	sim, err := runtime.New(c.Program, runtime.Options{NoGuard: true})
	if err != nil {
		return &built{path: path, src: src}, &failure{prop: prop, compile: true, msg: "runtime: " + err.Error()}
	}
	return &built{c: c, sim: sim, path: path, src: src}, nil
}

func (b *built) close() {
	if b != nil && b.sim != nil {
		b.sim.Close()
	}
}

// quantities are the names every property compares: per population u, e,
// uhat_r, r, udot (v for gle), then every parameter.
func (g *gmodel) quantities() []string {
	var names []string
	for _, p := range g.pops {
		for _, q := range []string{"u", "uhat_r", "r", "e", "udot", "v"} {
			names = append(names, p.name+"."+q)
		}
	}
	for _, c := range g.conns {
		names = append(names, c.name)
	}
	for _, p := range g.pops {
		names = append(names, p.name+".b", p.name+".tau_m", p.name+".tau_r")
	}
	for _, p := range g.params {
		names = append(names, p.name)
	}
	return names
}

// runtimeValue reads a named state or parameter of a runtime.
func runtimeValue(b *built, name string) []float64 {
	buf := b.c.Program.Named[name]
	if buf == nil {
		return nil
	}
	switch buf.Kind {
	case schedule.State, schedule.Param, schedule.Temp:
		return b.sim.Values(buf)
	}
	return nil
}

// divergeAt is the magnitude beyond which a model counts as diverged:
// rounding differences grow with the values, and the comparison stops.
const divergeAt = 100

// diverged reports whether a reference value left the comparable range.
func diverged(xs []float64) bool {
	for _, x := range xs {
		if !(math.Abs(x) <= divergeAt) {
			return true
		}
	}
	return false
}

// differ compares two value lists entrywise; it describes the first
// difference beyond the tolerance.
func differ(name string, got, want []float64) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%s: %d values vs %d", name, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(got[i] - want[i]); !(d <= energyTol*(1+math.Abs(want[i]))) {
			return fmt.Sprintf("%s[%d]: %.17g vs %.17g (difference %.3g)", name, i, got[i], want[i], got[i]-want[i])
		}
	}
	return ""
}

// prop1 runs the step program and eqsim side by side.
func (h *harness) prop1(g *gmodel) *failure {
	b, f := h.build(g, genVariant{}, 1)
	defer b.close()
	if f != nil {
		return f
	}
	init := map[string][]float64{}
	for _, c := range g.conns {
		if c.w == nil {
			init[c.name] = slices.Clone(runtimeValue(b, c.name))
		}
	}
	es, err := eqsim.New(b.c.System, eqsim.Options{Init: init})
	if err != nil {
		h.t.Fatalf("eqsim: %v\n%s", err, b.src)
	}
	var names []string
	for _, n := range g.quantities() {
		if runtimeValue(b, n) != nil && (es.State(n) != nil || es.Param(n) != nil) {
			names = append(names, n)
		}
	}
	for k := range g.steps {
		if err := b.sim.Step(); err != nil {
			return &failure{prop: 1, step: k, msg: "runtime: " + err.Error()}
		}
		if err := es.Step(); err != nil {
			h.t.Fatalf("eqsim: %v", err)
		}
		for _, n := range names {
			want := es.State(n)
			if want == nil {
				want = es.Param(n)
			}
			if !strings.HasSuffix(n, ".udot") && !strings.HasSuffix(n, ".e") && !strings.HasSuffix(n, ".v") && diverged(want) {
				if !h.diverged {
					h.t.Logf("diverged at step %d: %s = %v; compared until then", k, n, want)
					if os.Getenv("VLEC_ENERGIES_VERBOSE") != "" {
						h.t.Log(b.src)
					}
				}
				h.diverged = true
				return nil
			}
			if d := differ(n, runtimeValue(b, n), want); d != "" {
				return &failure{prop: 1, step: k, msg: "step program vs eqsim: " + d}
			}
		}
	}
	return nil
}

// pair runs two variants side by side and compares what both have.
func (h *harness) pair(prop int, ga *gmodel, va genVariant, gb *gmodel, vb genVariant) *failure {
	a, f := h.build(ga, va, prop)
	defer a.close()
	if f != nil {
		return nil // the base model: property 1 reports it
	}
	b, f := h.build(gb, vb, prop)
	defer b.close()
	if f != nil {
		return f
	}
	var names []string
	for _, n := range gb.quantities() {
		if runtimeValue(a, n) != nil && runtimeValue(b, n) != nil {
			names = append(names, n)
		}
	}
	for k := range ga.steps {
		if err := a.sim.Step(); err != nil {
			return nil
		}
		if err := b.sim.Step(); err != nil {
			return &failure{prop: prop, step: k, msg: "runtime: " + err.Error()}
		}
		for _, n := range names {
			if !strings.HasSuffix(n, ".udot") && !strings.HasSuffix(n, ".e") && !strings.HasSuffix(n, ".v") && diverged(runtimeValue(a, n)) {
				h.diverged = true
				return nil
			}
			if d := differ(n, runtimeValue(b, n), runtimeValue(a, n)); d != "" {
				return &failure{prop: prop, step: k, msg: d}
			}
		}
	}
	return nil
}

// prop2 adds lam0 * TERM with lam0 = 0, learning on and off.
func (h *harness) prop2(g *gmodel, extra *gmodel, term *gterm) *failure {
	for _, off := range []bool{false, true} {
		if f := h.pair(2, g, genVariant{learnOff: off}, extra, genVariant{learnOff: off, extra: term}); f != nil {
			f.learnOff = off
			f.msg = fmt.Sprintf("with %s (learning %s): %s", term.expr(extra), map[bool]string{false: "on", true: "off"}[off], f.msg)
			return f
		}
	}
	return nil
}

// prop3 compares plastic and fixed weights with learning off.
func (h *harness) prop3(g *gmodel) *failure {
	if f := h.pair(3, g, genVariant{learnOff: true}, g, genVariant{learnOff: true, noPlastic: true}); f != nil {
		f.msg = "plastic vs fixed weights, learning off: " + f.msg
		return f
	}
	return nil
}

// without removes the terms that give a model the tag.
func (g *gmodel) without(tag string) *gmodel {
	c := g.clone()
	c.terms = nil
	for _, t := range g.terms {
		one := &gmodel{pops: g.pops, conns: g.conns, params: g.params, terms: []*gterm{t}}
		if !slices.Contains(one.tags(), tag) {
			c.terms = append(c.terms, t)
		}
	}
	return c
}

// The diagnoses of a failure, besides the tags of knownBugs.
const (
	diagTeacherInputs = "teacher-input-binding" // gone when the teacher's own stimulus equals the bound input
	diagMessageInit   = "message-initial-value" // a plastic-W-in-cost model differing at step 0, before any learning
	diagUnclassified  = "unclassified"
)

// diagnose names the cause of a failure: the first change of the model
// that makes the property hold again, or moves its failure to a later
// step or another kind. extra are the tags of the term property 2 adds
// (nil for the others): a failure it causes is put down to them.
func (g *gmodel) diagnose(f *failure, prop func(*gmodel) *failure, extra []string) string {
	tags := g.tags()
	if slices.Contains(tags, tagTeacherModel) {
		c := g.clone()
		c.teacherOwnStim = true
		if prop(c) == nil {
			return diagTeacherInputs
		}
	}
	cured := func(c *gmodel) bool {
		cf := prop(c)
		return cf == nil || !f.same(cf) || cf.step > f.step
	}
	if !f.compile && f.step == 0 && g.learnAfter > 0 {
		if slices.Contains(extra, tagPlasticInCost) || slices.Contains(tags, tagPlasticInCost) && cured(g.without(tagPlasticInCost)) {
			return diagMessageInit
		}
	}
	for _, tag := range []string{tagDecayPlastic, tagPlasticInCost, tagLearnableInErr} {
		if slices.Contains(extra, tag) {
			return tag
		}
	}
	for _, tag := range []string{tagDecayPlastic, tagPlasticInCost, tagLearnableInErr} {
		if slices.Contains(tags, tag) && cured(g.without(tag)) {
			return tag
		}
	}
	return diagUnclassified
}

// mutations are the one-step simplifications of a model the shrinker
// tries, simplest first.
func (g *gmodel) mutations(f *failure) []*gmodel {
	var out []*gmodel
	mut := func(fn func(c *gmodel) bool) {
		c := g.clone()
		if fn(c) {
			out = append(out, c)
		}
	}
	if !f.compile && f.step+1 < g.steps {
		mut(func(c *gmodel) bool { c.steps = f.step + 1; return true })
	}
	for i := range g.terms {
		mut(func(c *gmodel) bool { c.terms = slices.Delete(c.terms, i, i+1); return true })
	}
	for i, p := range g.pops {
		mut(func(c *gmodel) bool {
			if len(c.pops) == 1 {
				return false
			}
			for _, t := range c.terms {
				if t.uses(c, p.name) {
					return false
				}
			}
			c.pops = slices.Delete(c.pops, i, i+1)
			c.conns = slices.DeleteFunc(c.conns, func(x *gconn) bool { return x.src == p.name || x.dst == p.name })
			return true
		})
	}
	for i, x := range g.conns {
		mut(func(c *gmodel) bool {
			for _, t := range c.terms {
				if t.uses(c, x.name) {
					return false
				}
			}
			c.conns = slices.Delete(c.conns, i, i+1)
			return true
		})
	}
	mut(func(c *gmodel) bool { c.batch, c.fileInput = 1, false; return g.batch > 1 || g.fileInput })
	mut(func(c *gmodel) bool { c.method = "le"; return g.method != "le" })
	for i := range g.conns {
		mut(func(c *gmodel) bool { x := c.conns[i]; r := x.plastic; x.plastic = false; return r })
	}
	for i := range g.pops {
		mut(func(c *gmodel) bool {
			p := c.pops[i]
			r := p.learnTau || p.learnB
			p.learnTau, p.learnB = false, false
			return r
		})
		mut(func(c *gmodel) bool {
			p := c.pops[i]
			r := len(p.tauM) > 1 || len(p.tauR) > 1 || len(p.b) > 1 || p.b[0] != 0
			p.tauM, p.tauR, p.b = p.tauM[:1], p.tauR[:1], []float64{0}
			return r
		})
		mut(func(c *gmodel) bool { p := c.pops[i]; r := p.phi != "linear"; p.phi = "linear"; return r })
		mut(func(c *gmodel) bool { p := c.pops[i]; r := p.gamma != nil; p.gamma = nil; return r })
		mut(func(c *gmodel) bool { return c.shrinkPop(i) })
	}
	for i := range g.params {
		mut(func(c *gmodel) bool { p := c.params[i]; r := p.learnable; p.learnable = false; return r })
	}
	mut(func(c *gmodel) bool {
		if c.nIn == 1 {
			return false
		}
		c.nIn--
		for _, x := range c.conns {
			if x.src == "x" && x.w != nil {
				for i := range x.w {
					x.w[i] = x.w[i][:c.nIn]
				}
			}
		}
		for i := range c.teacherW {
			c.teacherW[i] = c.teacherW[i][:c.nIn]
		}
		return true
	})
	for i := range g.conns {
		mut(func(c *gmodel) bool {
			x := c.conns[i]
			if x.w != nil {
				return false
			}
			x.w = make([][]float64, c.size(x.dst))
			for r := range x.w {
				x.w[r] = make([]float64, c.size(x.src))
				for j := range x.w[r] {
					x.w[r][j] = round4(0.3 * math.Sin(float64(3*r+j+1)))
				}
			}
			return true
		})
	}
	return out
}

// shrinkPop removes the last neuron of population i.
func (g *gmodel) shrinkPop(i int) bool {
	p := g.pops[i]
	if p.size == 1 {
		return false
	}
	p.size--
	for _, l := range []*[]float64{&p.tauM, &p.tauR, &p.b, &p.gamma} {
		if len(*l) > 1 {
			*l = (*l)[:p.size]
		}
	}
	for _, x := range g.conns {
		if x.w == nil {
			continue
		}
		if x.dst == p.name {
			x.w = x.w[:p.size]
		}
		if x.src == p.name {
			for r := range x.w {
				x.w[r] = x.w[r][:p.size]
			}
		}
	}
	for _, t := range g.terms {
		if t.tgt == "T.a.r" && t.p == p.name {
			g.teacherN--
			g.teacherW = g.teacherW[:g.teacherN]
			break
		}
	}
	return true
}

// shrink simplifies a failing model while the same property keeps
// failing the same way.
func shrink(g *gmodel, f *failure, run func(*gmodel) *failure) (*gmodel, *failure) {
	for progress := true; progress; {
		progress = false
		for _, c := range g.mutations(f) {
			if cf := run(c); f.same(cf) {
				g, f, progress = c, cf, true
				break
			}
		}
	}
	return g, f
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// TestEnergies is the property test; see the comment above energyTol.
func TestEnergies(t *testing.T) {
	n := envInt("VLEC_ENERGIES", 60)
	seed0 := envInt("VLEC_ENERGIES_SEED", 1)
	strict := os.Getenv("VLEC_ENERGIES_STRICT") != ""
	maxShrink := envInt("VLEC_ENERGIES_SHRINK", 8)
	type result struct {
		seed int
		f    *failure
		diag string
		min  *gmodel
	}
	var results []result
	var generated, compiled, diverged int
	shrunk := map[string]bool{}
	tagCount := map[string]int{}
	for i := range n {
		seed := seed0 + i
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			g := generate(uint64(seed))
			generated++
			for _, tag := range g.tags() {
				tagCount[tag]++
			}
			h := &harness{t: t, dir: t.TempDir}
			rng := rand.New(rand.NewPCG(uint64(seed), 2))
			extra := g.clone()
			term := extra.randomTerm(rng, "lam0")
			props := []func(*gmodel) *failure{
				h.prop1,
				func(g *gmodel) *failure {
					if term == nil || !term.valid(g) {
						return nil // (a shrunk model may lack what the term reads)
					}
					e := g.clone()
					e.params, e.consts = extra.params, extra.consts
					return h.prop2(g, e, term)
				},
				h.prop3,
			}
			fails := make([]*failure, len(props))
			for pi, prop := range props {
				fails[pi] = prop(g)
			}
			if fails[0] == nil || !fails[0].compile {
				compiled++
			}
			if h.diverged {
				diverged++
			}
			var skips []string
			for pi, prop := range props {
				f := fails[pi]
				if f == nil {
					continue
				}
				if f.generator {
					t.Fatalf("seed %d: %s", seed, f.msg)
				}
				var extraTags []string
				if pi == 1 {
					extraTags = (&gmodel{pops: g.pops, conns: g.conns, params: extra.params, terms: []*gterm{term}}).tags()
				}
				diag := g.diagnose(f, prop, extraTags)
				_, src, _ := g.write(t.TempDir(), genVariant{})
				key := fmt.Sprintf("%d/%s", f.prop, diag)
				var min *gmodel
				minSrc := ""
				if !shrunk[key] && len(shrunk) < maxShrink {
					shrunk[key] = true
					min, _ = shrink(g, f, prop)
					minDir, err := os.MkdirTemp("", fmt.Sprintf("vlec-energies-seed%d-prop%d-", seed, f.prop))
					if err == nil {
						_, minSrc, _ = min.write(minDir, genVariant{})
						minSrc = fmt.Sprintf("minimal failing model (saved to %s; %s):\n%s", minDir, prop(min), minSrc)
					}
				}
				results = append(results, result{seed, f, diag, min})
				report := fmt.Sprintf("seed %d: %s\ndiagnosis: %s\ntags: %v\nmodel:\n%s\n%s", seed, f, diag, g.tags(), src, minSrc)
				if why, known := knownBugs[diag]; known && !strict {
					skips = append(skips, fmt.Sprintf("known bug (%s): %s", why, report))
					continue
				}
				t.Errorf("%s", report)
			}
			if len(skips) > 0 {
				t.Skip(strings.Join(skips, "\n"))
			}
		})
	}
	t.Logf("%d models generated, %d compiled, %d diverged (compared until a value passed %g)", generated, compiled, diverged, float64(divergeAt))
	var counts []string
	for _, tag := range slices.Sorted(maps.Keys(tagCount)) {
		counts = append(counts, fmt.Sprintf("%s %d", tag, tagCount[tag]))
	}
	t.Logf("models by category: %s", strings.Join(counts, ", "))
	for _, r := range results {
		kind := "NEW"
		if _, ok := knownBugs[r.diag]; ok {
			kind = "known"
		}
		tags := ""
		if r.min != nil {
			tags = fmt.Sprintf("; minimal model tags %v", r.min.tags())
		}
		t.Logf("seed %d: %s %s: %s%s", r.seed, kind, r.diag, firstLine(r.f.String()), tags)
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
