package ir

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fdStep and fdTol follow gonum's optimize/functions validation: a central
// difference with h = 1e-6 has truncation error O(h^2) ~ 1e-12 and
// round-off ~ 1e-16/h ~ 1e-10 relative to f, far below the tolerance.
const (
	fdStep = 1e-6
	fdTol  = 1e-6
)

// gradCase is an energy to differentiate; positive names variables that
// must be sampled in [0.5, 1.5] (log arguments, denominators, fractional
// powers), and all other values are drawn from ±[0.2, 1] so that relu,
// abs, step and sign are evaluated away from their kinks.
type gradCase struct {
	name     string
	build    func(b *Builder, v vars) Expr
	positive []string
}

// vars declares variables on demand: v.vec("u", 3), v.mat("W", 3, 4).
type vars struct {
	b    *Builder
	list *[]*Var
}

func (v vars) decl(name string, s Shape, batched bool) *Var {
	if x := v.b.Lookup(name); x != nil {
		return x
	}
	x, err := v.b.Var(VarSpec{Name: name, Shape: s, Batched: batched})
	if err != nil {
		panic(err)
	}
	*v.list = append(*v.list, x)
	return x
}

func (v vars) sc(name string) *Var            { return v.decl(name, Scalar(), false) }
func (v vars) vec(name string, n int) *Var    { return v.decl(name, Vec(n), true) }
func (v vars) mat(name string, m, n int) *Var { return v.decl(name, Mat(m, n), false) }

// half returns 0.5 * sumsq(x).
func half(b *Builder, x Expr) Expr { return b.Mul(b.Const(0.5), b.SumSq(x)) }

// gle is the default GLE energy of a two-layer network with activation
// phi: 1/2 |uh - (W0 r0 + b0)|^2 + 1/2 |uo - (W1 phi(uh) + b1)|^2 +
// beta/2 |phi(uo) - t|^2.
func gle(phi Func) func(b *Builder, v vars) Expr {
	return func(b *Builder, v vars) Expr {
		uh, uo := v.vec("uh", 3), v.vec("uo", 2)
		e0 := b.Sub(uh, b.Add(b.MatVec(v.mat("W0", 3, 4), v.vec("r0", 4)), v.vec("b0", 3)))
		e1 := b.Sub(uo, b.Add(b.MatVec(v.mat("W1", 2, 3), b.Apply(phi, uh)), v.vec("b1", 2)))
		cost := b.Mul(v.sc("beta"), half(b, b.Sub(b.Apply(phi, uo), v.vec("t", 2))))
		return b.Add(half(b, e0), half(b, e1), cost)
	}
}

var gradCases = []gradCase{
	{name: "gle/tanh", build: gle(Tanh)},
	{name: "gle/sigmoid", build: gle(Sigmoid)},
	{name: "gle/softplus", build: gle(Softplus)},
	{name: "gle/linear", build: gle(Linear)},
	{name: "weight decay", build: func(b *Builder, v vars) Expr {
		w := v.mat("W", 3, 4)
		decay := b.Mul(b.Div(v.sc("lambda"), b.Const(2)), b.SumSq(w))
		return b.Add(half(b, b.Sub(v.vec("u", 3), b.MatVec(w, v.vec("r", 4)))), decay)
	}},
	{name: "softmax cross-entropy", build: func(b *Builder, v vars) Expr {
		z := b.Add(b.MatVec(v.mat("W", 4, 3), v.vec("x", 3)), v.vec("b", 4))
		return b.Sub(b.LogSumExp(z), b.Dot(v.vec("t", 4), z))
	}},
	{name: "homeostatic", build: func(b *Builder, v vars) Expr {
		dev := b.Sub(b.Apply(Sigmoid, v.vec("u", 4)), v.sc("rho"))
		return b.Mul(b.Div(v.sc("kappa"), b.Const(2)), b.SumSq(dev))
	}},
	{name: "recurrent", build: func(b *Builder, v vars) Expr {
		u := v.vec("u", 3)
		rh := b.Apply(Tanh, u)
		in := b.Add(b.MatVec(v.mat("Whh", 3, 3), rh), b.MatVec(v.mat("Win", 3, 2), v.vec("x", 2)))
		return half(b, b.Sub(u, in))
	}},
	{name: "two populations", build: func(b *Builder, v vars) Expr {
		in := b.Add(b.MatVec(v.mat("Wa", 2, 3), b.Apply(Tanh, v.vec("ua", 3))),
			b.MatVec(v.mat("Wb", 2, 4), b.Apply(Sigmoid, v.vec("ub", 4))), v.vec("b", 2))
		return half(b, b.Sub(v.vec("u", 2), in))
	}},
	{name: "time constants", build: func(b *Builder, v vars) Expr {
		u := v.vec("u", 3)
		uhat := b.Add(u, b.Mul(v.vec("tau_m", 3), v.vec("du", 3)))
		rhat := b.Add(u, b.Mul(v.vec("tau_r", 3), v.vec("du", 3)))
		e := b.Sub(uhat, b.MatVec(v.mat("W", 3, 3), b.Apply(Tanh, rhat)))
		return half(b, e)
	}},
	{name: "elementwise functions", build: func(b *Builder, v vars) Expr {
		x, c := v.vec("x", 4), v.vec("c", 4)
		var terms []Expr
		for f := range numFuncs {
			terms = append(terms, b.Dot(c, b.Apply(f, x)))
		}
		return b.Add(terms...)
	}, positive: []string{"x"}},
	{name: "kinked functions", build: func(b *Builder, v vars) Expr {
		x, c := v.vec("x", 5), v.vec("c", 5)
		return b.Add(b.Dot(c, b.Apply(Relu, x)), b.Dot(c, b.Apply(Abs, x)),
			b.Sum(b.Mul(b.Apply(Step, x), b.Apply(Sign, x), x)))
	}},
	{name: "pow and div", build: func(b *Builder, v vars) Expr {
		x, y, z := v.vec("x", 3), v.vec("y", 3), v.vec("z", 3)
		return b.Add(b.Sum(b.Div(b.Pow(x, 3), y)), b.Sum(b.Pow(y, 0.5)),
			b.Sum(b.Div(x, b.Mul(y, z))), b.Sum(b.Pow(b.Add(x, y), -2)), b.Div(b.Sum(x), v.sc("s")))
	}, positive: []string{"y", "z", "s"}},
	{name: "scalar broadcast", build: func(b *Builder, v vars) Expr {
		s, x := v.sc("s"), v.vec("x", 3)
		return b.Add(b.Sum(b.Add(b.Mul(s, x), s)), b.SumSq(b.Mul(s, s, x)), b.Mul(s, b.Sum(b.Pow(x, 2))))
	}},
	{name: "linear algebra", build: func(b *Builder, v vars) Expr {
		w, a, x := v.mat("W", 3, 2), v.vec("a", 3), v.vec("x", 2)
		return b.Add(b.Dot(b.MatTVec(w, a), x), b.SumSq(b.Outer(a, x)),
			b.Sum(b.Mul(w, b.Outer(b.Apply(Tanh, a), x))), b.Dot(b.Softmax(a), b.Apply(Exp, a)),
			b.SumSq(b.MatVec(w, b.MatTVec(w, a))))
	}},
	{name: "second order", build: func(b *Builder, v vars) Expr {
		u, w := v.vec("u", 3), v.mat("W", 2, 3)
		e := b.Sub(v.vec("y", 2), b.MatVec(w, b.Apply(Tanh, u)))
		s := b.Sum(b.Apply(Sigmoid, u))
		g, err := Grad(b, b.Add(half(b, e), s), u)
		if err != nil {
			panic(err)
		}
		return half(b, g[0])
	}},
}

func TestGradFiniteDifferences(t *testing.T) {
	for _, tc := range gradCases {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBuilder()
			var list []*Var
			f := tc.build(b, vars{b, &list})
			if err := b.Err(); err != nil {
				t.Fatal(err)
			}
			env := randomEnv(list, tc.positive, rand.New(rand.NewPCG(1, 2)))
			grads, err := Grad(b, f, list...)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range list {
				checkGrad(t, f, v, grads[i], env)
			}
		})
	}
}

func randomEnv(list []*Var, positive []string, r *rand.Rand) map[*Var][]float64 {
	env := map[*Var][]float64{}
	for _, v := range list {
		x := make([]float64, v.Shape().Size())
		for i := range x {
			if slices.Contains(positive, v.Name()) {
				x[i] = 0.5 + r.Float64()
			} else {
				x[i] = (0.2 + 0.8*r.Float64()) * float64(1-2*r.IntN(2))
			}
		}
		env[v] = x
	}
	return env
}

// checkGrad compares the symbolic gradient g of f with respect to v with
// central differences, entry by entry.
func checkGrad(t *testing.T, f Expr, v *Var, g Expr, env map[*Var][]float64) {
	t.Helper()
	if g.Shape() != v.Shape() {
		t.Fatalf("d/d%s has shape %v, want %v", v.Name(), g.Shape(), v.Shape())
	}
	got := mustEval(t, g, env)
	x := env[v]
	for i := range x {
		x0 := x[i]
		x[i] = x0 + fdStep
		fp := mustEval(t, f, env)[0]
		x[i] = x0 - fdStep
		fm := mustEval(t, f, env)[0]
		x[i] = x0
		want := (fp - fm) / (2 * fdStep)
		if math.Abs(got[i]-want) > fdTol*(1+math.Abs(want)) {
			t.Errorf("d/d%s[%d] = %.10g, finite difference %.10g\n  gradient: %v", v.Name(), i, got[i], want, g)
		}
	}
}

func mustEval(t testing.TB, e Expr, env map[*Var][]float64) []float64 {
	t.Helper()
	v, err := Eval(e, env)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestGradRandomExpressions differentiates random expressions (see
// randExpr: sums, products, quotients, powers, functions and matvecs that
// share subexpressions) and checks them against finite differences.
func TestGradRandomExpressions(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for range 300 {
		f := newFixture()
		vs := []*Var{f.a, f.s, f.x, f.y, f.z, f.W}
		g := &randExpr{f: f, r: r, env: randomEnv(vs, nil, r)}
		for _, v := range []Expr{f.a, f.s, f.x, f.y, f.z} {
			g.pool = append(g.pool, valued{v, g.env[v.(*Var)]})
		}
		e := f.b.Sum(g.gen(4).e)
		grads, err := Grad(f.b, e, vs...)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vs {
			checkGrad(t, e, v, grads[i], g.env)
		}
		if t.Failed() {
			t.Fatalf("f = %v", e)
		}
	}
}

func TestGradErrors(t *testing.T) {
	b := NewBuilder()
	x, _ := b.Var(VarSpec{Name: "x", Shape: Vec(3)})
	if _, err := Grad(b, b.Apply(Tanh, x), x); err == nil || !strings.Contains(err.Error(), "non-scalar") {
		t.Errorf("Grad of a vector: err = %v, want a non-scalar error", err)
	}
	y, _ := b.Var(VarSpec{Name: "y", Shape: Vec(4)})
	b.Add(x, y)
	if _, err := Grad(b, b.Sum(x), x); err == nil {
		t.Error("Grad after a shape error: want the recorded error")
	}
}

func TestGradUnusedVarIsZero(t *testing.T) {
	b := NewBuilder()
	x, _ := b.Var(VarSpec{Name: "x", Shape: Vec(3)})
	w, _ := b.Var(VarSpec{Name: "W", Shape: Mat(2, 3)})
	g, err := Grad(b, b.SumSq(x), w)
	if err != nil {
		t.Fatal(err)
	}
	if g[0] != b.Zero(Mat(2, 3)) {
		t.Errorf("gradient of an unused variable = %v, want the zero matrix", g[0])
	}
}

// threeLayer builds the GLE energy of a 3-layer network (sizes 784-256-128-10)
// with a tanh hidden activation and a softmax cross-entropy cost, and
// returns it with its states and parameters.
func threeLayer(b *Builder) (Expr, []*Var) {
	var list []*Var
	v := vars{b, &list}
	sizes := []int{784, 256, 128, 10}
	r := Expr(v.vec("x", sizes[0]))
	terms := []Expr{}
	var u Expr
	for l := 1; l < len(sizes); l++ {
		n := strconv.Itoa(l)
		u = v.vec("uhat"+n, sizes[l])
		in := b.Add(b.MatVec(v.mat("W"+n, sizes[l], sizes[l-1]), r), v.vec("b"+n, sizes[l]))
		terms = append(terms, half(b, b.Sub(u, in)))
		r = b.Apply(Tanh, u)
	}
	t := v.vec("t", sizes[len(sizes)-1])
	ce := b.Sub(b.LogSumExp(u), b.Dot(t, u))
	terms = append(terms, b.Mul(v.sc("beta"), ce))
	return b.Add(terms...), list
}

func BenchmarkGrad3Layer(b *testing.B) {
	for b.Loop() {
		bld := NewBuilder()
		f, list := threeLayer(bld)
		if _, err := Grad(bld, f, list...); err != nil {
			b.Fatal(err)
		}
	}
}

func TestGrad3LayerEquations(t *testing.T) {
	b := NewBuilder()
	f, list := threeLayer(b)
	grads, err := Grad(b, f, list...)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"uhat2": "uhat2 - b2 - W2 @ tanh(uhat1) - tanh'(uhat2) * (W3^T @ (uhat3 - b3 - W3 @ tanh(uhat2)))",
		"uhat3": "uhat3 + beta * softmax(uhat3) - b3 - W3 @ tanh(uhat2) - beta * t",
		"W2":    "-outer(uhat2 - b2 - W2 @ tanh(uhat1), tanh(uhat1))",
		"beta":  "logsumexp(uhat3) - dot(t, uhat3)",
	}
	for i, v := range list {
		if w, ok := want[v.Name()]; ok && grads[i].String() != w {
			t.Errorf("dE/d%s:\n got %s\nwant %s", v.Name(), grads[i], w)
		}
	}
}
