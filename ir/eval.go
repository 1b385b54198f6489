package ir

import (
	"fmt"
	"math"
)

// Eval computes the value of e for one sample, given the values of its
// variables as flat row-major slices (a scalar is a slice of length one).
// It is a straightforward reference, used by tests and as the meaning of
// the IR, not a fast path. The error names a missing or wrongly sized
// variable, or an invalid node.
func Eval(e Expr, env map[*Var][]float64) ([]float64, error) {
	ev := evaluator{env: env, memo: map[Expr][]float64{}}
	return ev.eval(e)
}

type evaluator struct {
	env  map[*Var][]float64
	memo map[Expr][]float64
}

func (ev *evaluator) eval(e Expr) ([]float64, error) {
	if v, ok := ev.memo[e]; ok {
		return v, nil
	}
	var v []float64
	var err error
	switch e := e.(type) {
	case *Const:
		v = fill(e.val, e.shape.Size())
	case *Var:
		v, err = ev.leaf(e)
	case *Node:
		v, err = ev.node(e)
	}
	if err != nil {
		return nil, err
	}
	ev.memo[e] = v
	return v, nil
}

func (ev *evaluator) leaf(v *Var) ([]float64, error) {
	x, ok := ev.env[v]
	switch {
	case !ok:
		return nil, fmt.Errorf("eval: no value for %s", v.spec.Name)
	case len(x) != v.spec.Shape.Size():
		return nil, fmt.Errorf("eval: %s has %d values, want %d for shape %v",
			v.spec.Name, len(x), v.spec.Shape.Size(), v.spec.Shape)
	}
	return x, nil
}

func (ev *evaluator) node(n *Node) ([]float64, error) {
	if n.op == OpInvalid {
		return nil, fmt.Errorf("eval: invalid expression")
	}
	args := make([][]float64, len(n.args))
	for i, a := range n.args {
		v, err := ev.eval(a)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	return evalOp(n, args), nil
}

// evalOp applies n's operator to argument values of the right sizes.
func evalOp(n *Node, args [][]float64) []float64 {
	size := n.shape.Size()
	x := args[0]
	switch n.op {
	case OpAdd:
		return elementwise(size, args, 0, func(a, b float64) float64 { return a + b })
	case OpMul:
		return elementwise(size, args, 1, func(a, b float64) float64 { return a * b })
	case OpPow:
		return mapf(x, func(v float64) float64 { return Power(v, n.exp) })
	case OpFunc:
		return mapf(x, n.fn.Eval)
	case OpDeriv:
		return mapf(x, n.fn.EvalDeriv)
	case OpMatVec:
		return matVec(x, args[1], n.args[0].Shape(), false)
	case OpMatTVec:
		return matVec(x, args[1], n.args[0].Shape(), true)
	case OpOuter:
		return outer(x, args[1])
	case OpSum:
		return []float64{sum(x)}
	case OpDot:
		return []float64{dot(x, args[1])}
	case OpSumSq:
		return []float64{dot(x, x)}
	case OpLogSumExp:
		return []float64{logSumExp(x)}
	case OpSoftmax:
		l := logSumExp(x)
		return mapf(x, func(v float64) float64 { return math.Exp(v - l) })
	}
	panic(fmt.Sprintf("ir: eval of unknown operator %d", n.op))
}

func fill(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// elementwise folds args with f, broadcasting length-one (scalar) values.
func elementwise(size int, args [][]float64, unit float64, f func(a, b float64) float64) []float64 {
	out := fill(unit, size)
	for _, a := range args {
		for i := range out {
			if len(a) == 1 {
				out[i] = f(out[i], a[0])
			} else {
				out[i] = f(out[i], a[i])
			}
		}
	}
	return out
}

func mapf(x []float64, f func(float64) float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = f(v)
	}
	return out
}

// matVec computes W x, or W^T x when trans, for row-major W of shape s.
func matVec(w, x []float64, s Shape, trans bool) []float64 {
	m, n := s.Rows(), s.Cols()
	if trans {
		out := make([]float64, n)
		for i := range m {
			for j := range n {
				out[j] += w[i*n+j] * x[i]
			}
		}
		return out
	}
	out := make([]float64, m)
	for i := range m {
		out[i] = dot(w[i*n:(i+1)*n], x)
	}
	return out
}

func outer(a, b []float64) []float64 {
	out := make([]float64, 0, len(a)*len(b))
	for _, ai := range a {
		for _, bj := range b {
			out = append(out, ai*bj)
		}
	}
	return out
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

func dot(x, y []float64) float64 {
	s := 0.0
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// logSumExp is log(sum(exp(x))), shifted by max(x) to avoid overflow.
func logSumExp(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	if math.IsInf(m, 0) {
		return m
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}
