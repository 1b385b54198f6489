// Package adjoint derives the discrete adjoint of a step program: the
// reverse sweep that gives exact gradients of the loss
// L = dt * sum_k sum_batch loss_k through the simulation (the adjoint
// method, backpropagation through time).
//
// The reverse program is made mechanically from the forward one, kernel by
// kernel in reverse order, so it is the exact derivative of the scheme that
// runs (not of the continuous equations). Each kernel y = f(x...) adds
// (df/dx)^T adj_y to the adjoint of every input x and then clears adj_y:
//
//   - an entrywise kernel differentiates its code symbolically with the IR
//     (ir.Grad on the code written as a scalar expression), giving one
//     accumulate kernel per input;
//   - y = W x gives adj_W += sum_batch outer(adj_y, x), adj_x += W^T adj_y,
//     and likewise for W^T x, sums, squared norms, dot products, logsumexp
//     and softmax.
//
// States carry their adjoint across steps: at the start of the reverse
// step k, the adjoint of the states read by step k+1 becomes the adjoint of
// the states step k wrote. Parameter adjoints accumulate over the window
// and are the gradients.
//
// References: the adjoint method for discrete-time systems, e.g.
// Griewank & Walther, Evaluating Derivatives (2008), ch. 3 and 12.
package adjoint

import (
	"fmt"
	"slices"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang"
)

// Program is the reverse sweep of a forward (free) step program.
type Program struct {
	Forward *schedule.Program
	// Buffers are the adjoint buffers, one for each state, temporary and
	// parameter buffer of the forward program. Their IDs continue the
	// forward program's and are provisional: an executor that adds buffers
	// of its own numbers these afresh.
	Buffers []*schedule.Buffer
	// Adj maps a forward buffer to its adjoint.
	Adj map[*schedule.Buffer]*schedule.Buffer
	// Reverse are the kernels of one reverse step, to run after the
	// forward step has been recomputed from the states saved at its start.
	Reverse []*schedule.Kernel
	// Grads are the adjoints of the parameters, by name: after the sweep,
	// the gradient of the loss.
	Grads map[string]*schedule.Buffer
	// Saved are the forward buffers that define a step's starting point:
	// the previous-step halves of the states, the inputs and the targets.
	Saved []*schedule.Buffer
}

// Reverse derives the reverse sweep of a forward program, which must have
// a loss (Program.Cost) and no learning kernels.
func Reverse(fwd *schedule.Program) (*Program, error) {
	if fwd.Cost == nil {
		return nil, lang.ErrorList{lang.Errorf(fwd.Model.Sim.Pos, "model %s has no cost terms (terms without a mismatch), so there is no loss to differentiate", fwd.Model.Name)}
	}
	r := &reverser{p: &Program{Forward: fwd, Adj: map[*schedule.Buffer]*schedule.Buffer{}, Grads: map[string]*schedule.Buffer{}},
		written: map[*schedule.Buffer]bool{}}
	for _, k := range fwd.Kernels {
		r.written[k.Dst] = true
	}
	r.declare()
	r.boundary()
	for i := len(fwd.Kernels) - 1; i >= 0; i-- {
		if err := r.kernel(fwd.Kernels[i]); err != nil {
			return nil, err
		}
	}
	return r.p, nil
}

type reverser struct {
	p       *Program
	temp    int
	written map[*schedule.Buffer]bool // buffers some forward kernel writes
}

// declare makes the adjoint buffers.
func (r *reverser) declare() {
	fwd := r.p.Forward
	for _, b := range fwd.Buffers {
		switch b.Kind {
		case schedule.State, schedule.Next, schedule.Temp, schedule.Param:
		case schedule.Input, schedule.Target:
			r.p.Saved = append(r.p.Saved, b)
			continue
		default:
			continue
		}
		if b.Kind == schedule.Next && !r.written[b] || b.Kind == schedule.State && !r.written[b.Next] {
			continue // a state nothing writes (none in a free program) carries nothing back
		}
		if b.Kind == schedule.State {
			r.p.Saved = append(r.p.Saved, b)
		}
		a := r.buffer("adj "+b.String(), b.Shape, b.Batched)
		r.p.Adj[b] = a
		if b.Kind == schedule.Param {
			r.p.Grads[b.Name] = a
		}
	}
}

func (r *reverser) buffer(name string, shape ir.Shape, batched bool) *schedule.Buffer {
	b := &schedule.Buffer{ID: len(r.p.Forward.Buffers) + len(r.p.Buffers), Name: name, Kind: schedule.Temp, Shape: shape, Batched: batched}
	r.p.Buffers = append(r.p.Buffers, b)
	return b
}

func (r *reverser) tempLike(shape ir.Shape) *schedule.Buffer {
	r.temp++
	return r.buffer(fmt.Sprintf("adj t%d", r.temp), shape, true)
}

func (r *reverser) emit(k *schedule.Kernel) { r.p.Reverse = append(r.p.Reverse, k) }

// boundary emits the start of a reverse step: the adjoint of the states
// read by the next step becomes that of the states this step wrote, and
// the loss of this step seeds the adjoint of the cost.
func (r *reverser) boundary() {
	fwd := r.p.Forward
	for _, b := range fwd.Buffers {
		if b.Kind != schedule.State || r.p.Adj[b] == nil {
			continue
		}
		prev, next := r.p.Adj[b], r.p.Adj[b.Next]
		r.emit(&schedule.Kernel{Op: schedule.OpMap, Dst: next, Args: []*schedule.Buffer{prev}, Code: &schedule.Code{Op: schedule.CodeLoad}, Note: "from the next step"})
		r.emit(&schedule.Kernel{Op: schedule.OpZero, Dst: prev})
	}
	r.emit(&schedule.Kernel{Op: schedule.OpMap, Dst: r.p.Adj[fwd.Cost], Code: &schedule.Code{Op: schedule.CodeConst, Value: fwd.Dt}, Note: "dL/dloss_k = dt"})
}

// acc emits adj[x] += code(args) over space, if x has an adjoint.
func (r *reverser) acc(x, space *schedule.Buffer, code *schedule.Code, args ...*schedule.Buffer) {
	a, ok := r.p.Adj[x]
	if !ok {
		return
	}
	if !space.Batched && slices.ContainsFunc(args, func(b *schedule.Buffer) bool { return b.Batched }) {
		// A shared parameter's adjoint gathers a batched product (the
		// dot of a bias with a batched vector): evaluate per sample.
		space = r.batchedSpace(space.Shape)
	}
	r.emit(&schedule.Kernel{Op: schedule.OpMapAcc, Dst: a, Args: args, Code: code, Space: space})
}

// batchedSpace is a batched buffer of the given shape that only serves as
// the Space of map_acc kernels (it is never read or written).
func (r *reverser) batchedSpace(shape ir.Shape) *schedule.Buffer {
	name := "space " + shape.String()
	for _, b := range r.p.Buffers {
		if b.Name == name {
			return b
		}
	}
	return r.buffer(name, shape, true)
}

func load(i int) *schedule.Code { return &schedule.Code{Op: schedule.CodeLoad, Arg: i} }

func mul(cs ...*schedule.Code) *schedule.Code { return &schedule.Code{Op: schedule.CodeMul, Args: cs} }

// kernel emits the reverse of one forward kernel.
func (r *reverser) kernel(k *schedule.Kernel) error {
	g, ok := r.p.Adj[k.Dst]
	if !ok {
		return nil // inputs, targets, constants: nothing flows back
	}
	B := float64(r.p.Forward.Batch)
	switch k.Op {
	case schedule.OpMap:
		if err := r.mapKernel(k, g); err != nil {
			return err
		}
	case schedule.OpMatVec, schedule.OpMatTVec:
		w, x := k.Args[0], k.Args[1]
		if aw, ok := r.p.Adj[w]; ok {
			a, b := g, x // y = W x: adj_W += outer(adj_y, x)
			if k.Op == schedule.OpMatTVec {
				a, b = x, g // y = W^T x: adj_W += outer(x, adj_y)
			}
			r.emit(&schedule.Kernel{Op: schedule.OpOuterAcc, Dst: aw, Args: []*schedule.Buffer{a, b}, Scale: B})
		}
		if _, ok := r.p.Adj[x]; ok {
			t := r.tempLike(x.Shape)
			op := schedule.OpMatTVec
			if k.Op == schedule.OpMatTVec {
				op = schedule.OpMatVec
			}
			r.emit(&schedule.Kernel{Op: op, Dst: t, Args: []*schedule.Buffer{w, g}})
			r.acc(x, x, load(0), t)
		}
	case schedule.OpSum:
		r.acc(k.Args[0], k.Args[0], load(0), g)
	case schedule.OpSumSq:
		x := k.Args[0]
		r.acc(x, x, mul(&schedule.Code{Op: schedule.CodeConst, Value: 2}, load(0), load(1)), x, g)
	case schedule.OpDot:
		a, b := k.Args[0], k.Args[1]
		r.acc(a, a, mul(load(0), load(1)), b, g)
		r.acc(b, b, mul(load(0), load(1)), a, g)
	case schedule.OpLogSumExp:
		x := k.Args[0]
		s := r.tempLike(x.Shape)
		r.emit(&schedule.Kernel{Op: schedule.OpSoftmax, Dst: s, Args: []*schedule.Buffer{x}})
		r.acc(x, x, mul(load(0), load(1)), s, g)
	case schedule.OpSoftmax:
		x, y := k.Args[0], k.Dst
		d := r.tempLike(ir.Scalar())
		r.emit(&schedule.Kernel{Op: schedule.OpDot, Dst: d, Args: []*schedule.Buffer{g, y}})
		minus := mul(&schedule.Code{Op: schedule.CodeConst, Value: -1}, load(2))
		r.acc(x, x, mul(load(0), &schedule.Code{Op: schedule.CodeAdd, Args: []*schedule.Code{load(1), minus}}), y, g, d)
	default:
		return fmt.Errorf("adjoint: kernel %q (%s) has no reverse; exact gradients need the free dynamics without learning", k, k.Op)
	}
	r.emit(&schedule.Kernel{Op: schedule.OpZero, Dst: g})
	return nil
}

// mapKernel differentiates an entrywise kernel y = f(a_0, ..., a_n) and
// emits adj_{a_j} += adj_y * df/da_j for every input with an adjoint.
func (r *reverser) mapKernel(k *schedule.Kernel, g *schedule.Buffer) error {
	b := ir.NewBuilder()
	vars := make([]*ir.Var, len(k.Args))
	for i := range k.Args {
		v, err := b.Var(ir.VarSpec{Name: fmt.Sprintf("a%d", i), Shape: ir.Scalar()})
		if err != nil {
			return err
		}
		vars[i] = v
	}
	f := toExpr(b, k.Code, vars)
	for j, x := range k.Args {
		if _, ok := r.p.Adj[x]; !ok {
			continue
		}
		d, err := ir.Grad(b, f, vars[j])
		if err != nil {
			return fmt.Errorf("adjoint: differentiating %s: %v", k, err)
		}
		if c, ok := d[0].(*ir.Const); ok && c.Value() == 0 {
			continue
		}
		args := append(append([]*schedule.Buffer(nil), k.Args...), g)
		code := mul(toCode(d[0], vars), load(len(k.Args)))
		r.acc(x, k.Dst, code, args...)
	}
	return b.Err()
}

// toExpr writes entrywise code as a scalar expression in vars.
func toExpr(b *ir.Builder, c *schedule.Code, vars []*ir.Var) ir.Expr {
	args := make([]ir.Expr, len(c.Args))
	for i, a := range c.Args {
		args[i] = toExpr(b, a, vars)
	}
	switch c.Op {
	case schedule.CodeConst:
		return b.Const(c.Value)
	case schedule.CodeLoad:
		return vars[c.Arg]
	case schedule.CodeAdd:
		return b.Add(args...)
	case schedule.CodeMul:
		return b.Mul(args...)
	case schedule.CodePow:
		return b.Pow(args[0], c.Value)
	case schedule.CodeFunc:
		return b.Apply(c.Func, args[0])
	case schedule.CodeDeriv:
		return b.Deriv(c.Func, args[0])
	}
	panic(fmt.Sprintf("adjoint: code op %d", c.Op))
}

// toCode writes a scalar expression in vars as entrywise code.
func toCode(e ir.Expr, vars []*ir.Var) *schedule.Code {
	switch e := e.(type) {
	case *ir.Const:
		return &schedule.Code{Op: schedule.CodeConst, Value: e.Value()}
	case *ir.Var:
		for i, v := range vars {
			if v == e {
				return load(i)
			}
		}
	case *ir.Node:
		sub := e.Args()
		c := &schedule.Code{Args: make([]*schedule.Code, len(sub))}
		for i, a := range sub {
			c.Args[i] = toCode(a, vars)
		}
		switch e.Op() {
		case ir.OpAdd:
			c.Op = schedule.CodeAdd
		case ir.OpMul:
			c.Op = schedule.CodeMul
		case ir.OpPow:
			c.Op, c.Value = schedule.CodePow, e.Exponent()
		case ir.OpFunc:
			c.Op, c.Func = schedule.CodeFunc, e.Func()
		case ir.OpDeriv:
			c.Op, c.Func = schedule.CodeDeriv, e.Func()
		default:
			panic(fmt.Sprintf("adjoint: %s is not entrywise", e))
		}
		return c
	}
	panic(fmt.Sprintf("adjoint: unexpected %s", e))
}

// String lists the reverse step.
func (p *Program) String() string {
	s := "reverse step\n"
	for _, k := range p.Reverse {
		s += "  " + k.String() + "\n"
	}
	return s
}
