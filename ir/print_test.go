package ir

import "testing"

var printCases = []struct {
	name  string
	build func(f *fixture) Expr
	ascii string
	latex string
}{
	{"energy", func(f *fixture) Expr {
		e := f.b.Sub(f.uhat, f.b.Add(f.b.MatVec(f.W, f.x), f.bias))
		return f.b.Mul(f.c(0.5), f.b.SumSq(e))
	}, "0.5 * sumsq(uhat_m - b - W @ x)", `0.5 \, \lVert \hat{u}_{m} - b - W x \rVert^2`},
	{"transpose", func(f *fixture) Expr { return f.b.MatTVec(f.W, f.u) }, "W^T @ u", `W^\top u`},
	{"outer", func(f *fixture) Expr { return f.b.Outer(f.u, f.x) }, "outer(u, x)", `u x^\top`},
	{"outer of sums", func(f *fixture) Expr { return f.b.Outer(f.b.Sub(f.u, f.y), f.b.Add(f.x, f.z)) },
		"outer(u - y, x + z)", `(u - y) (x + z)^\top`},
	{"prime", func(f *fixture) Expr {
		return f.b.Mul(f.b.Deriv(Tanh, f.uhat), f.b.MatTVec(f.W, f.u))
	}, "tanh'(uhat_m) * (W^T @ u)", `\tanh'(\hat{u}_{m}) \odot (W^\top u)`},
	{"sigmoid prime", func(f *fixture) Expr { return f.b.Deriv(Sigmoid, f.x) }, "sigmoid'(x)", `\sigma'(x)`},
	{"softplus prime", func(f *fixture) Expr { return f.b.Deriv(Softplus, f.x) }, "sigmoid(x)", `\sigma(x)`},
	{"relu prime", func(f *fixture) Expr { return f.b.Deriv(Relu, f.x) }, "step(x)", `\Theta(x)`},
	{"abs", func(f *fixture) Expr { return f.b.Apply(Abs, f.b.Sub(f.x, f.y)) }, "abs(x - y)", `\lvert x - y \rvert`},
	{"fraction", func(f *fixture) Expr {
		return f.b.Div(f.b.Add(f.b.Neg(f.u), f.b.MatVec(f.W, f.x)), f.tau)
	}, "(W @ x - u) / tau_m", `\frac{W x - u}{\tau_{m}}`},
	{"negative fraction", func(f *fixture) Expr { return f.b.Div(f.b.Neg(f.x), f.b.Mul(f.y, f.z)) },
		"-x / (y * z)", `-\frac{x}{y \odot z}`},
	{"power base", func(f *fixture) Expr { return f.b.Pow(f.b.Add(f.x, f.y), 3) }, "(x + y)^3", `(x + y)^{3}`},
	{"sqrt", func(f *fixture) Expr { return f.b.Pow(f.x, 0.5) }, "x^0.5", `x^{0.5}`},
	{"squared norm squared", func(f *fixture) Expr { return f.b.Pow(f.b.SumSq(f.x), 2) },
		"sumsq(x)^2", `(\lVert x \rVert^2)^{2}`},
	{"leading minus", func(f *fixture) Expr { return f.b.Sub(f.b.Neg(f.x), f.y) }, "-x - y", `-x - y`},
	{"minus product", func(f *fixture) Expr { return f.b.Mul(f.c(-2), f.beta, f.x) }, "-2 * beta * x", `-2 \, \beta \, x`},
	{"small number", func(f *fixture) Expr { return f.b.Add(f.x, f.c(1e-8)) }, "x + 1e-08", `x + 10^{-8}`},
	{"scaled number", func(f *fixture) Expr { return f.b.Mul(f.x, f.c(2.5e-7)) }, "2.5e-07 * x", `2.5 \times 10^{-7} \, x`},
	{"dot", func(f *fixture) Expr { return f.b.Dot(f.x, f.y) }, "dot(x, y)", `\langle x, y \rangle`},
	{"cross-entropy", func(f *fixture) Expr { return f.b.Sub(f.b.LogSumExp(f.z), f.b.Dot(f.y, f.z)) },
		"logsumexp(z) - dot(y, z)", `\operatorname{logsumexp}(z) - \langle y, z \rangle`},
	{"softmax", func(f *fixture) Expr { return f.b.Softmax(f.z) }, "softmax(z)", `\operatorname{softmax}(z)`},
	{"sum", func(f *fixture) Expr { return f.b.Sum(f.b.Apply(Log, f.x)) }, "sum(log(x))", `\operatorname{sum}(\log(x))`},
	{"matvec of product", func(f *fixture) Expr { return f.b.MatVec(f.W, f.b.Mul(f.x, f.y)) },
		"W @ (x * y)", `W (x \odot y)`},
	{"matvec after vector", func(f *fixture) Expr { return f.b.Mul(f.b.Apply(Tanh, f.x), f.b.MatVec(f.W, f.y)) },
		"tanh(x) * (W @ y)", `\tanh(x) \odot (W y)`},
	{"matvec after scalar", func(f *fixture) Expr { return f.b.Mul(f.beta, f.b.MatVec(f.W, f.y)) },
		"beta * W @ y", `\beta \, W y`},
	{"broadcast scalar", func(f *fixture) Expr { return f.b.MatVec(f.W, f.b.Mul(f.a, f.b.Fill(1, Vec(3)))) },
		"W @ a", `W a`},
	{"zero vector", func(f *fixture) Expr { return f.b.Zero(Vec(3)) }, "0", `0`},
	{"names", func(f *fixture) Expr {
		d := func(n string) Expr { v, _ := f.b.Var(VarSpec{Name: n, Shape: Scalar()}); return v }
		return f.b.Mul(d("tau_r"), d("W10"), d("r_prev"), d("kappa"), d("ubar_h"), d("eta_tau"), d("Lambda"))
	}, "Lambda * W10 * eta_tau * kappa * r_prev * tau_r * ubar_h",
		`\Lambda \, W_{10} \, \eta_{\tau} \, \kappa \, r_{\mathrm{prev}} \, \tau_{r} \, \bar{u}_{h}`},
}

func TestPrint(t *testing.T) {
	for _, tc := range printCases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture()
			e := tc.build(f)
			if err := f.b.Err(); err != nil {
				t.Fatal(err)
			}
			if got := e.String(); got != tc.ascii {
				t.Errorf("String:\n got %s\nwant %s", got, tc.ascii)
			}
			if got := Latex(e); got != tc.latex {
				t.Errorf("Latex:\n got %s\nwant %s", got, tc.latex)
			}
		})
	}
}

func TestPrintGradients(t *testing.T) {
	f := newFixture()
	b := f.b
	// A layer e0 = uhat_m - (W @ x + b) feeding a tanh population into a
	// second cost; the rules must come out in their textbook form.
	rh := b.Apply(Tanh, f.uhat)
	e0 := b.Sub(f.uhat, b.Add(b.MatVec(f.W, f.x), f.bias))
	e1 := b.Sub(f.y, b.MatTVec(f.V, b.MatVec(f.V, rh)))
	energy := b.Add(b.Mul(b.Const(0.5), b.SumSq(e0)), b.Mul(b.Const(0.5), b.SumSq(e1)))
	grads, err := Grad(b, energy, f.uhat, f.W, f.bias, f.x)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"uhat_m - b - W @ x - tanh'(uhat_m) * (V^T @ V @ (y - V^T @ V @ tanh(uhat_m)))",
		"-outer(uhat_m - b - W @ x, x)",
		"-(uhat_m - b - W @ x)",
		"-W^T @ (uhat_m - b - W @ x)",
	}
	for i, g := range grads {
		if g.String() != want[i] {
			t.Errorf("gradient %d:\n got %s\nwant %s", i, g, want[i])
		}
	}
}
