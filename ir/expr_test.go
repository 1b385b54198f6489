package ir

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/lang"
)

func TestHashConsing(t *testing.T) {
	f := newFixture()
	b := f.b
	same := []struct {
		name string
		x, y Expr
	}{
		{"rebuild", b.MatVec(f.W, b.Apply(Tanh, f.x)), b.MatVec(f.W, b.Apply(Tanh, f.x))},
		{"add commutes", b.Add(f.x, f.y, f.z), b.Add(f.z, f.x, f.y)},
		{"mul commutes", b.Mul(f.a, f.x, f.y), b.Mul(f.y, f.a, f.x)},
		{"dot commutes", b.Dot(f.x, f.y), b.Dot(f.y, f.x)},
		{"associativity", b.Add(b.Add(f.x, f.y), f.z), b.Add(f.x, b.Add(f.y, f.z))},
		{"coefficients", b.Mul(f.c(2), b.Mul(f.c(3), f.x)), b.Mul(f.c(6), f.x)},
		{"sub is add neg", b.Sub(f.x, f.y), b.Add(b.Neg(f.y), f.x)},
		{"div is pow", b.Div(f.x, f.y), b.Mul(f.x, b.Pow(f.y, -1))},
		{"constants", b.Const(0.5), b.Div(f.c(1), f.c(2))},
		{"negative zero", b.Const(math.Copysign(0, -1)), b.Const(0)},
		{"nested reorder", b.SumSq(b.Sub(b.Add(f.bias, b.MatVec(f.W, f.x)), f.u)),
			b.SumSq(b.Add(b.MatVec(f.W, f.x), b.Neg(f.u), f.bias))},
	}
	for _, tc := range same {
		if tc.x != tc.y {
			t.Errorf("%s: %v and %v are different nodes", tc.name, tc.x, tc.y)
		}
	}
	if b.Add(f.x, f.y) == b.Mul(f.x, f.y) || b.MatVec(f.W, f.x) == b.MatTVec(f.W, f.x) {
		t.Error("different operators interned as one node")
	}
	if b.Fill(0, Vec(3)) == b.Fill(0, Vec(2)) || b.Fill(0, Vec(3)) == b.Const(0) {
		t.Error("constants of different shapes interned as one")
	}
}

func TestPositionsAndBatching(t *testing.T) {
	b := NewBuilder()
	p1 := lang.Pos{File: "m.vle", Line: 3, Col: 5}
	p2 := lang.Pos{File: "m.vle", Line: 9, Col: 1}
	u, _ := b.Var(VarSpec{Name: "u", Shape: Vec(2), Batched: true, Pos: p1})
	w, _ := b.Var(VarSpec{Name: "W", Shape: Mat(2, 2), Role: RoleParam})
	n1 := b.At(p1).MatVec(w, u)
	n2 := b.At(p2).MatVec(w, u)
	if n1 != n2 || n2.Pos() != p1 {
		t.Errorf("interned node position = %v, want the first position %v", n2.Pos(), p1)
	}
	if !n1.Batched() || w.Batched() || b.SumSq(w).Batched() {
		t.Error("batching: W @ u must be batched and sumsq(W) not")
	}
	if v, err := b.Var(VarSpec{Name: "u", Shape: Vec(2), Batched: true}); err != nil || v != u {
		t.Errorf("redeclaring u the same way: %v, %v", v, err)
	}
	if _, err := b.Var(VarSpec{Name: "u", Shape: Vec(3), Batched: true, Pos: p2}); err == nil ||
		!strings.HasPrefix(err.Error(), "m.vle:9:1: variable u redeclared") {
		t.Errorf("redeclaring u with another shape: err = %v", err)
	}
	if b.Lookup("W") != w || b.Lookup("nope") != nil {
		t.Error("Lookup")
	}
}

func TestShapeErrors(t *testing.T) {
	pos := lang.Pos{File: "net.vle", Line: 7, Col: 12}
	cases := []struct {
		name  string
		build func(f *fixture, b *Builder) Expr
		want  string
	}{
		{"add", func(f *fixture, b *Builder) Expr { return b.Add(f.x, b.MatVec(f.V, f.y)) },
			"shape mismatch in +: operands have shapes [3], [2]"},
		{"mul", func(f *fixture, b *Builder) Expr { return b.Mul(f.W, f.x) },
			"shape mismatch in *: operands have shapes [3][3], [3]"},
		{"matvec", func(f *fixture, b *Builder) Expr { return b.MatVec(f.V, b.MatVec(f.V, f.x)) },
			"shape mismatch in W @ x: W is [2][3] and x is [2]; need W [m][n] and x [n]"},
		{"matvec of vector", func(f *fixture, b *Builder) Expr { return b.MatVec(f.x, f.y) },
			"shape mismatch in W @ x: W is [3] and x is [3]"},
		{"mattvec", func(f *fixture, b *Builder) Expr { return b.MatTVec(f.V, f.x) },
			"shape mismatch in W^T @ x: W is [2][3] and x is [3]"},
		{"outer", func(f *fixture, b *Builder) Expr { return b.Outer(f.W, f.x) }, "outer needs two vectors"},
		{"dot", func(f *fixture, b *Builder) Expr { return b.Dot(f.x, f.a) }, "shape mismatch in dot: [3] and []"},
		{"logsumexp", func(f *fixture, b *Builder) Expr { return b.LogSumExp(f.W) }, "logsumexp needs a vector"},
		{"softmax", func(f *fixture, b *Builder) Expr { return b.Softmax(f.a) }, "softmax needs a vector"},
		{"pow", func(f *fixture, b *Builder) Expr { return b.Pow(f.x, math.Inf(1)) }, "exponent +Inf is not a finite number"},
		{"fill", func(f *fixture, b *Builder) Expr { return b.Fill(1, Vec(0)) }, "invalid shape"},
		{"subst", func(f *fixture, b *Builder) Expr {
			return b.Subst(b.Sum(f.x), map[*Var]Expr{f.x: f.a})
		}, "substitution for x: shape [], want [3]"},
		{"no operands", func(f *fixture, b *Builder) Expr { return b.Add() }, "+ of no operands"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture()
			bad := tc.build(f, f.b.At(pos))
			// An invalid node passes through later operations silently.
			after := f.b.Mul(f.c(2), f.b.Sum(f.b.Apply(Tanh, bad)))
			err := f.b.Err()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if tc.name != "subst" && !strings.HasPrefix(err.Error(), "net.vle:7:12: ") {
				t.Errorf("err = %v, want the position net.vle:7:12", err)
			}
			if strings.Count(err.Error(), "\n") != 0 {
				t.Errorf("one mistake gave several errors: %v", err)
			}
			if _, evalErr := Eval(after, nil); evalErr == nil {
				t.Error("Eval of an invalid expression succeeded")
			}
		})
	}
}

func TestVarErrors(t *testing.T) {
	b := NewBuilder()
	for _, spec := range []VarSpec{{Name: "", Shape: Vec(2)}, {Name: "x", Shape: Shape{Rank: 3}}, {Name: "y", Shape: Mat(0, 2)}} {
		if _, err := b.Var(spec); err == nil {
			t.Errorf("Var(%+v) succeeded", spec)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	f := newFixture()
	if _, err := Eval(f.b.Sum(f.x), nil); err == nil || !strings.Contains(err.Error(), "no value for x") {
		t.Errorf("missing variable: err = %v", err)
	}
	env := map[*Var][]float64{f.x: {1, 2}}
	if _, err := Eval(f.b.Sum(f.x), env); err == nil || !strings.Contains(err.Error(), "x has 2 values, want 3") {
		t.Errorf("wrong size: err = %v", err)
	}
}

// TestSimplifierKeepsValues builds random expressions twice: through the
// simplifying builder and, alongside, as numbers computed directly from
// the definitions of the operators. The simplified expression must
// evaluate to the same numbers.
func TestSimplifierKeepsValues(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		f := newFixture()
		g := &randExpr{f: f, r: r, env: randomEnv([]*Var{f.a, f.s, f.x, f.y, f.z, f.W}, nil, r)}
		for _, v := range []Expr{f.a, f.s, f.x, f.y, f.z} {
			g.pool = append(g.pool, valued{v, g.env[v.(*Var)]})
		}
		e := g.gen(4)
		got := mustEval(t, e.e, g.env)
		for i := range got {
			if math.Abs(got[i]-e.v[i]) > 1e-9*(1+math.Abs(e.v[i])) {
				t.Fatalf("trial %d: %v = %v, direct computation gives %v", trial, e.e, got, e.v)
			}
		}
		if err := f.b.Err(); err != nil {
			t.Fatal(err)
		}
	}
}

type valued struct {
	e Expr
	v []float64
}

type randExpr struct {
	f    *fixture
	r    *rand.Rand
	env  map[*Var][]float64
	pool []valued // earlier results, reused so that terms cancel and collect
}

func (g *randExpr) gen(depth int) valued {
	if depth == 0 || g.r.IntN(4) == 0 {
		if g.r.IntN(4) == 0 {
			c := []float64{0, 1, -1, 2, 0.5}[g.r.IntN(5)]
			return valued{g.f.c(c), []float64{c}}
		}
		return g.pool[g.r.IntN(len(g.pool))]
	}
	x, y := g.gen(depth-1), g.gen(depth-1)
	out := g.apply(x, y)
	g.pool = append(g.pool, out)
	return out
}

// apply combines x and y with a random operator, computing the value
// directly; scalars broadcast.
func (g *randExpr) apply(x, y valued) valued {
	b, w := g.f.b, g.f.W
	zip := func(e Expr, f func(a, b float64) float64) valued {
		n := max(len(x.v), len(y.v))
		v := make([]float64, n)
		for i := range v {
			v[i] = f(x.v[min(i, len(x.v)-1)], y.v[min(i, len(y.v)-1)])
		}
		return valued{e, v}
	}
	switch g.r.IntN(9) {
	case 0:
		return zip(b.Add(x.e, y.e), func(a, c float64) float64 { return a + c })
	case 1:
		return zip(b.Sub(x.e, y.e), func(a, c float64) float64 { return a - c })
	case 2:
		return zip(b.Mul(x.e, y.e), func(a, c float64) float64 { return a * c })
	case 3: // divide by 1 + y^2, which is never zero
		den := b.Add(b.Const(1), b.Pow(y.e, 2))
		return zip(b.Div(x.e, den), func(a, c float64) float64 { return a / (1 + c*c) })
	case 4:
		p := float64(g.r.IntN(3) + 1)
		return valued{b.Pow(x.e, p), mapf(x.v, func(a float64) float64 { return math.Pow(a, p) })}
	case 5:
		fn := []Func{Tanh, Sigmoid, Softplus, Abs, Linear, Square}[g.r.IntN(6)]
		return valued{b.Apply(fn, x.e), mapf(x.v, fn.Eval)}
	case 6:
		return valued{b.Neg(x.e), mapf(x.v, func(a float64) float64 { return -a })}
	case 7: // W @ x or W^T @ x, broadcasting a scalar x first
		xv, trans := b.Mul(x.e, b.Fill(1, Vec(3))), g.r.IntN(2) == 0
		e := b.MatVec(w, xv)
		if trans {
			e = b.MatTVec(w, xv)
		}
		return valued{e, matVec(g.env[w], fill3(x.v), w.Shape(), trans)}
	}
	return valued{b.Sum(x.e), []float64{sum(x.v)}}
}

func fill3(v []float64) []float64 {
	if len(v) == 3 {
		return v
	}
	return []float64{v[0], v[0], v[0]}
}

func TestAccessors(t *testing.T) {
	b := NewBuilder()
	p := lang.Pos{File: "a.vle", Line: 1, Col: 2}
	w, _ := b.Var(VarSpec{Name: "W", Shape: Mat(2, 3), Role: RoleParam, Ref: "decl", Pos: p})
	if w.Role() != RoleParam || w.Ref() != "decl" || w.Pos() != p || w.Role().String() != "param" {
		t.Errorf("Var accessors: %v %v %v", w.Role(), w.Ref(), w.Pos())
	}
	c := b.Const(2.5).(*Const)
	if c.Value() != 2.5 || c.Batched() || c.Pos().IsValid() {
		t.Error("Const accessors")
	}
	n := b.Pow(w, 3).(*Node)
	if n.Op() != OpPow || n.Exponent() != 3 || len(n.Args()) != 1 || n.GoString() != "W^3 :: [2][3]" {
		t.Errorf("Node accessors: %#v", n)
	}
	if f := b.Apply(Relu, w).(*Node); f.Func() != Relu {
		t.Error("Func accessor")
	}
	for fn := range numFuncs {
		if got, ok := FuncByName(fn.String()); !ok || got != fn {
			t.Errorf("FuncByName(%q) = %v, %v", fn.String(), got, ok)
		}
	}
	if OpMatTVec.String() != "mattvec" || Op(99).String() != "op?" {
		t.Error("Op.String")
	}
	if _, ok := FuncByName("cosh"); ok || Func(99).String() != "func?" || Role(9).String() != "role?" {
		t.Error("unknown names")
	}
	if s := Mat(2, 3); s.Size() != 6 || s.String() != "[2][3]" || Vec(4).String() != "[4]" || Scalar().String() != "[]" {
		t.Error("Shape")
	}
}
