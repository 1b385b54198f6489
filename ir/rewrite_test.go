package ir

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSubst(t *testing.T) {
	f := newFixture()
	b := f.b
	e := b.Mul(b.Const(0.5), b.SumSq(b.Sub(f.uhat, b.MatVec(f.W, f.x))))
	cases := []struct {
		name string
		m    map[*Var]Expr
		want string
	}{
		{"none", nil, "0.5 * sumsq(uhat_m - W @ x)"},
		{"prospective", map[*Var]Expr{f.uhat: b.Add(f.u, b.Mul(f.tau, f.y))},
			"0.5 * sumsq(u + tau_m * y - W @ x)"},
		{"cancel", map[*Var]Expr{f.uhat: b.MatVec(f.W, f.x)}, "0"},
		{"zero input", map[*Var]Expr{f.x: b.Zero(Vec(3))}, "0.5 * sumsq(uhat_m)"},
		{"swap", map[*Var]Expr{f.x: f.u, f.uhat: f.x}, "0.5 * sumsq(x - W @ u)"},
	}
	for _, tc := range cases {
		if got := b.Subst(e, tc.m).String(); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
	if b.Subst(e, nil) != e {
		t.Error("Subst without substitutions must return the same node")
	}
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestExpand(t *testing.T) {
	f := newFixture()
	b := f.b
	cases := []struct {
		e    Expr
		want string
	}{
		{b.Deriv(Tanh, f.x), "1 - tanh(x)^2"},
		{b.Deriv(Sigmoid, f.x), "sigmoid(x) * (1 - sigmoid(x))"},
		{b.Mul(f.y, b.Deriv(Tanh, b.MatVec(f.W, f.x))), "y * (1 - tanh(W @ x)^2)"},
		{b.Deriv(Linear, f.x), "1"},
		{b.Deriv(Step, f.x), "0"},
		{b.Deriv(Log, f.x), "1 / x"},
		{b.Deriv(Square, f.x), "2 * x"},
		{b.Deriv(Abs, f.x), "sign(x)"},
		{b.Deriv(Exp, f.x), "exp(x)"},
		{b.Deriv(Tanh, b.Const(0)), "1"},
	}
	r := rand.New(rand.NewPCG(5, 6))
	env := randomEnv([]*Var{f.x, f.y, f.W}, []string{"x"}, r)
	for _, tc := range cases {
		x := b.Expand(tc.e)
		if x.String() != tc.want {
			t.Errorf("Expand(%v) = %v, want %s", tc.e, x, tc.want)
		}
		got, want := mustEval(t, x, env), mustEval(t, tc.e, env)
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-12 {
				t.Errorf("Expand(%v) changed the value: %v, want %v", tc.e, got, want)
				break
			}
		}
	}
}

func TestTopo(t *testing.T) {
	f := newFixture()
	b := f.b
	wx := b.MatVec(f.W, f.x)
	e := b.Sub(f.uhat, wx)
	energy := b.Add(b.SumSq(e), b.Dot(e, wx))
	order := Topo(energy, wx)
	pos := map[Expr]int{}
	for i, x := range order {
		if _, dup := pos[x]; dup {
			t.Fatalf("%v listed twice", x)
		}
		pos[x] = i
	}
	for _, x := range order {
		if n, ok := x.(*Node); ok {
			for _, a := range n.Args() {
				if pos[a] >= pos[x] {
					t.Errorf("%v comes before its argument %v", x, a)
				}
			}
		}
	}
	if vs := Vars(energy); len(vs) != 3 || vs[0] != f.W || vs[1] != f.uhat || vs[2] != f.x {
		t.Errorf("Vars = %v, want [W uhat_m x]", vs)
	}
	if pos[wx] > pos[e] || order[len(order)-1] != energy {
		t.Errorf("order %v", order)
	}
	// uhat_m, -1, W, x, W @ x, -W @ x, e, dot(e, W @ x), sumsq(e), energy
	if len(order) != 10 {
		t.Errorf("Topo gave %d nodes, want 10: %v", len(order), order)
	}
}

// TestSubstKeepsValues substitutes x := y + 2*z into an expression using
// every operator and checks the value against evaluating the original with
// x bound to the value of y + 2*z.
func TestSubstKeepsValues(t *testing.T) {
	f := newFixture()
	b := f.b
	x, w := f.x, f.W
	var terms []Expr
	for fn := range numFuncs {
		terms = append(terms, b.Dot(f.u, b.Apply(fn, b.Mul(x, x))))
	}
	terms = append(terms,
		b.Dot(f.u, b.Deriv(Tanh, x)), b.Sum(b.Deriv(Sigmoid, x)),
		b.Sum(b.Pow(b.Add(b.Mul(x, x), b.Const(1)), -0.5)),
		b.SumSq(b.MatVec(w, x)), b.Dot(f.u, b.MatTVec(w, x)), b.Sum(b.Mul(w, b.Outer(x, f.u))),
		b.LogSumExp(x), b.Dot(f.u, b.Softmax(x)), b.Div(f.a, b.Add(b.Const(2), b.Apply(Tanh, b.Sum(x)))))
	e := b.Add(terms...)
	img := b.Add(f.y, b.Mul(b.Const(2), f.z))
	s := b.Subst(e, map[*Var]Expr{x: img})
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	env := randomEnv([]*Var{f.a, f.u, f.y, f.z, w}, nil, rand.New(rand.NewPCG(7, 8)))
	env[x] = mustEval(t, img, env)
	got, want := mustEval(t, s, env)[0], mustEval(t, e, env)[0]
	if math.Abs(got-want) > 1e-12*(1+math.Abs(want)) {
		t.Errorf("after Subst: %v, want %v", got, want)
	}
}
