package ir_test

import (
	"fmt"

	"github.com/vlec-dev/vlec/ir"
)

// Differentiate the energy E = 1/2 |u - W x|^2 of one layer: the gradient
// with respect to u is the mismatch e = u - W x, and the gradient with
// respect to W is -e x^T, whose negative is the familiar local learning
// rule.
func Example() {
	b := ir.NewBuilder()
	u, _ := b.Var(ir.VarSpec{Name: "u", Shape: ir.Vec(2), Role: ir.RoleState, Batched: true})
	w, _ := b.Var(ir.VarSpec{Name: "W", Shape: ir.Mat(2, 3), Role: ir.RoleParam})
	x, _ := b.Var(ir.VarSpec{Name: "x", Shape: ir.Vec(3), Role: ir.RoleInput, Batched: true})

	energy := b.Mul(b.Const(0.5), b.SumSq(b.Sub(u, b.MatVec(w, x))))
	grads, err := ir.Grad(b, energy, w, u)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("E     =", energy)
	fmt.Println("dE/dW =", grads[0])
	fmt.Println("dE/du =", grads[1])
	fmt.Println("LaTeX:", ir.Latex(grads[0]))
	// Output:
	// E     = 0.5 * sumsq(u - W @ x)
	// dE/dW = -outer(u - W @ x, x)
	// dE/du = u - W @ x
	// LaTeX: -(u - W x) x^\top
}

// Values of an expression for one sample, row-major.
func ExampleEval() {
	b := ir.NewBuilder()
	w, _ := b.Var(ir.VarSpec{Name: "W", Shape: ir.Mat(2, 2)})
	x, _ := b.Var(ir.VarSpec{Name: "x", Shape: ir.Vec(2)})
	y, err := ir.Eval(b.MatTVec(w, x), map[*ir.Var][]float64{
		w: {1, 2, 3, 4},
		x: {1, 1},
	})
	fmt.Println(y, err)
	// Output:
	// [4 6] <nil>
}
