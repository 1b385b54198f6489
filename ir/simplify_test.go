package ir

import (
	"testing"
)

// fixture declares the variables the snapshot tables use: scalars a, s,
// beta, tau_m; vectors x, y, z, u, uhat_m [3]; a 3x3 matrix W and a 2x3
// matrix V.
type fixture struct {
	b                      *Builder
	a, s, beta, tau        *Var
	x, y, z, u, uhat, bias *Var
	W, V                   *Var
}

func newFixture() *fixture {
	b := NewBuilder()
	d := func(name string, s Shape) *Var {
		v, err := b.Var(VarSpec{Name: name, Shape: s})
		if err != nil {
			panic(err)
		}
		return v
	}
	return &fixture{b: b,
		a: d("a", Scalar()), s: d("s", Scalar()), beta: d("beta", Scalar()), tau: d("tau_m", Scalar()),
		x: d("x", Vec(3)), y: d("y", Vec(3)), z: d("z", Vec(3)), u: d("u", Vec(3)),
		uhat: d("uhat_m", Vec(3)), bias: d("b", Vec(3)),
		W: d("W", Mat(3, 3)), V: d("V", Mat(2, 3)),
	}
}

func (f *fixture) c(v float64) Expr { return f.b.Const(v) }

var simplifyCases = []struct {
	name  string
	build func(f *fixture) Expr
	want  string
}{
	{"fold", func(f *fixture) Expr { return f.b.Add(f.c(1), f.b.Mul(f.c(2), f.c(3))) }, "7"},
	{"fold function", func(f *fixture) Expr { return f.b.Apply(Exp, f.c(0)) }, "1"},
	{"add zero", func(f *fixture) Expr { return f.b.Add(f.x, f.c(0)) }, "x"},
	{"mul one", func(f *fixture) Expr { return f.b.Mul(f.c(1), f.x) }, "x"},
	{"mul zero", func(f *fixture) Expr { return f.b.Mul(f.c(0), f.x) }, "0"},
	{"x - x", func(f *fixture) Expr { return f.b.Sub(f.x, f.x) }, "0"},
	{"x + x", func(f *fixture) Expr { return f.b.Add(f.x, f.x) }, "2 * x"},
	{"like terms", func(f *fixture) Expr {
		return f.b.Add(f.b.Mul(f.c(3), f.x), f.y, f.b.Neg(f.x), f.c(1), f.c(-1))
	}, "2 * x + y"},
	{"coefficients to front", func(f *fixture) Expr { return f.b.Mul(f.x, f.c(2), f.y, f.c(0.25)) }, "0.5 * x * y"},
	{"x * x", func(f *fixture) Expr { return f.b.Mul(f.x, f.x) }, "x^2"},
	{"x / x", func(f *fixture) Expr { return f.b.Div(f.x, f.x) }, "1"},
	{"division", func(f *fixture) Expr { return f.b.Div(f.x, f.b.Mul(f.y, f.z)) }, "x / (y * z)"},
	{"reciprocal", func(f *fixture) Expr { return f.b.Pow(f.x, -1) }, "1 / x"},
	{"neg neg", func(f *fixture) Expr { return f.b.Neg(f.b.Neg(f.x)) }, "x"},
	{"neg sum", func(f *fixture) Expr { return f.b.Neg(f.b.Sub(f.x, f.y)) }, "-(x - y)"},
	{"sub sum", func(f *fixture) Expr {
		return f.b.Sub(f.uhat, f.b.Add(f.b.MatVec(f.W, f.x), f.bias))
	}, "uhat_m - b - W @ x"},
	{"distribute in sums", func(f *fixture) Expr {
		return f.b.Sub(f.x, f.b.Mul(f.c(0.5), f.b.Add(f.x, f.y)))
	}, "0.5 * x - 0.5 * y"},
	{"flatten", func(f *fixture) Expr {
		return f.b.Add(f.x, f.b.Add(f.y, f.b.Add(f.z, f.u)))
	}, "u + x + y + z"},
	{"flatten mul", func(f *fixture) Expr { return f.b.Mul(f.a, f.b.Mul(f.x, f.b.Mul(f.c(2), f.y))) }, "2 * a * x * y"},
	{"pow 1", func(f *fixture) Expr { return f.b.Pow(f.x, 1) }, "x"},
	{"pow 0", func(f *fixture) Expr { return f.b.Pow(f.x, 0) }, "1"},
	{"pow pow", func(f *fixture) Expr { return f.b.Pow(f.b.Pow(f.x, 3), 2) }, "x^6"},
	{"pow product", func(f *fixture) Expr { return f.b.Pow(f.b.Mul(f.c(3), f.x), 2) }, "9 * x^2"},
	{"square", func(f *fixture) Expr { return f.b.Apply(Square, f.x) }, "x^2"},
	{"linear", func(f *fixture) Expr { return f.b.Apply(Linear, f.x) }, "x"},
	{"exp log", func(f *fixture) Expr { return f.b.Apply(Exp, f.b.Apply(Log, f.x)) }, "x"},
	{"abs coefficient", func(f *fixture) Expr { return f.b.Apply(Abs, f.b.Mul(f.c(-2), f.x)) }, "2 * abs(x)"},
	{"matvec zero", func(f *fixture) Expr { return f.b.MatVec(f.W, f.b.Zero(Vec(3))) }, "0"},
	{"matvec coefficient", func(f *fixture) Expr { return f.b.MatVec(f.W, f.b.Mul(f.c(2), f.x)) }, "2 * W @ x"},
	{"matvec chain", func(f *fixture) Expr { return f.b.MatVec(f.V, f.b.MatVec(f.W, f.x)) }, "V @ W @ x"},
	{"outer neg", func(f *fixture) Expr { return f.b.Outer(f.b.Neg(f.x), f.y) }, "-outer(x, y)"},
	{"sumsq neg", func(f *fixture) Expr { return f.b.SumSq(f.b.Neg(f.x)) }, "sumsq(x)"},
	{"sumsq scaled", func(f *fixture) Expr { return f.b.SumSq(f.b.Mul(f.c(3), f.x)) }, "9 * sumsq(x)"},
	{"sumsq scalar", func(f *fixture) Expr { return f.b.SumSq(f.a) }, "a^2"},
	{"dot self", func(f *fixture) Expr { return f.b.Dot(f.x, f.x) }, "sumsq(x)"},
	{"dot order", func(f *fixture) Expr { return f.b.Dot(f.y, f.x) }, "dot(x, y)"},
	{"dot const", func(f *fixture) Expr { return f.b.Dot(f.b.Fill(2, Vec(3)), f.x) }, "2 * sum(x)"},
	{"sum const", func(f *fixture) Expr { return f.b.Sum(f.b.Fill(2, Vec(3))) }, "6"},
	{"sum of squares", func(f *fixture) Expr { return f.b.Sum(f.b.Mul(f.x, f.x)) }, "sumsq(x)"},
	{"sum scalar factor", func(f *fixture) Expr { return f.b.Sum(f.b.Mul(f.c(-1), f.a, f.x)) }, "-a * sum(x)"},
	{"outer matvec", func(f *fixture) Expr { return f.b.MatVec(f.b.Outer(f.x, f.y), f.z) }, "dot(y, z) * x"},
	{"outer mattvec", func(f *fixture) Expr { return f.b.MatTVec(f.b.Outer(f.x, f.y), f.z) }, "dot(x, z) * y"},
	{"matvec scalar factor", func(f *fixture) Expr { return f.b.MatVec(f.W, f.b.Mul(f.beta, f.x)) }, "beta * W @ x"},
	{"sum scalar", func(f *fixture) Expr { return f.b.Sum(f.a) }, "a"},
	{"logsumexp const", func(f *fixture) Expr { return f.b.LogSumExp(f.b.Zero(Vec(3))) }, "1.0986122886681096"},
	{"broadcast", func(f *fixture) Expr { return f.b.Add(f.b.Mul(f.s, f.x), f.a) }, "a + s * x"},
	{"scalars first", func(f *fixture) Expr { return f.b.Mul(f.x, f.b.Sum(f.y), f.beta) }, "beta * sum(y) * x"},
	{"paper product", func(f *fixture) Expr {
		return f.b.Mul(f.b.MatTVec(f.W, f.x), f.b.Deriv(Tanh, f.u))
	}, "tanh'(u) * (W^T @ x)"},
	{"numbers", func(f *fixture) Expr { return f.b.Mul(f.c(1e-8), f.x) }, "1e-08 * x"},
	{"energy", func(f *fixture) Expr {
		e := f.b.Sub(f.uhat, f.b.Add(f.b.MatVec(f.W, f.x), f.bias))
		return f.b.Mul(f.c(0.5), f.b.SumSq(e))
	}, "0.5 * sumsq(uhat_m - b - W @ x)"},
	{"time constant", func(f *fixture) Expr {
		return f.b.Div(f.b.Add(f.b.Neg(f.u), f.b.MatVec(f.W, f.x)), f.tau)
	}, "(W @ x - u) / tau_m"},
}

func TestSimplify(t *testing.T) {
	for _, tc := range simplifyCases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture()
			got := tc.build(f)
			if err := f.b.Err(); err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestSimplifyIsDeterministic checks that the printed forms do not depend
// on the builder instance (no pointer or map order leaks into the
// canonical order).
func TestSimplifyIsDeterministic(t *testing.T) {
	for _, tc := range simplifyCases {
		a, b := newFixture(), newFixture()
		if x, y := tc.build(a).String(), tc.build(b).String(); x != y {
			t.Errorf("%s: two builders print %s and %s", tc.name, x, y)
		}
	}
}
