package schedule

import (
	"fmt"

	"github.com/vlec-dev/vlec/ir"
)

// lowerer turns symbolic expressions into kernels of one phase. bind maps
// variables, and expressions already held in buffers, to those buffers.
type lowerer struct {
	s     *scheduler
	phase Phase
	bind  map[ir.Expr]*Buffer
}

func (s *scheduler) lowerer(phase Phase, bind map[ir.Expr]*Buffer) *lowerer {
	return &lowerer{s: s, phase: phase, bind: bind}
}

// with returns a lowerer of the same phase with extra bindings.
func (l *lowerer) with(extra map[ir.Expr]*Buffer) *lowerer {
	b := make(map[ir.Expr]*Buffer, len(l.bind)+len(extra))
	for k, v := range l.bind {
		b[k] = v
	}
	for k, v := range extra {
		b[k] = v
	}
	return &lowerer{s: l.s, phase: l.phase, bind: b}
}

// elementwise reports whether a node is computed entry by entry.
func elementwise(n *ir.Node) bool {
	switch n.Op() {
	case ir.OpAdd, ir.OpMul, ir.OpPow, ir.OpFunc, ir.OpDeriv:
		return true
	}
	return false
}

// buffer returns a buffer holding e, emitting the kernels that compute it
// into a new temporary unless it is bound already.
func (l *lowerer) buffer(e ir.Expr, name string) *Buffer {
	if b, ok := l.bind[e]; ok {
		return b
	}
	if name == "" {
		name = fmt.Sprintf("t%d", len(l.s.p.Buffers))
	}
	tmp := l.s.newBuffer(name, Temp, e.Shape(), e.Batched())
	l.into(e, tmp, "")
	l.bind[e] = tmp
	return tmp
}

// into emits the kernels that write e into dst.
func (l *lowerer) into(e ir.Expr, dst *Buffer, note string) {
	if n, ok := e.(*ir.Node); ok && !elementwise(n) {
		if _, bound := l.bind[e]; !bound {
			l.linalg(n, dst, note)
			return
		}
	}
	var args []*Buffer
	code := l.code(e, &args)
	l.s.emit(&Kernel{Op: OpMap, Phase: l.phase, Dst: dst, Args: args, Code: code, Note: note})
}

// code builds the entrywise code of e; non-entrywise parts become buffers
// loaded by the code.
func (l *lowerer) code(e ir.Expr, args *[]*Buffer) *Code {
	if b, ok := l.bind[e]; ok {
		return load(b, args)
	}
	switch e := e.(type) {
	case *ir.Const:
		return &Code{Op: CodeConst, Value: e.Value()}
	case *ir.Var:
		l.s.fail(e.Pos(), "internal error: %s has no buffer in the %s phase", e.Name(), l.phase)
		return &Code{Op: CodeConst}
	case *ir.Node:
		if !elementwise(e) {
			return load(l.buffer(e, ""), args)
		}
		sub := e.Args()
		c := &Code{Args: make([]*Code, len(sub))}
		for i, a := range sub {
			c.Args[i] = l.code(a, args)
		}
		switch e.Op() {
		case ir.OpAdd:
			c.Op = CodeAdd
		case ir.OpMul:
			c.Op = CodeMul
		case ir.OpPow:
			c.Op, c.Value = CodePow, e.Exponent()
		case ir.OpFunc:
			c.Op, c.Func = CodeFunc, e.Func()
		case ir.OpDeriv:
			c.Op, c.Func = CodeDeriv, e.Func()
		}
		return c
	}
	return &Code{Op: CodeConst}
}

// load is the code that reads buffer b, adding it to args once.
func load(b *Buffer, args *[]*Buffer) *Code {
	for i, a := range *args {
		if a == b {
			return &Code{Op: CodeLoad, Arg: i}
		}
	}
	*args = append(*args, b)
	return &Code{Op: CodeLoad, Arg: len(*args) - 1}
}

// linalg emits a matrix-vector product or a reduction into dst.
func (l *lowerer) linalg(n *ir.Node, dst *Buffer, note string) {
	sub := n.Args()
	args := make([]*Buffer, len(sub))
	for i, a := range sub {
		args[i] = l.buffer(a, "")
	}
	k := &Kernel{Phase: l.phase, Dst: dst, Args: args, Note: note}
	switch n.Op() {
	case ir.OpMatVec:
		k.Op = OpMatVec
	case ir.OpMatTVec:
		k.Op = OpMatTVec
	case ir.OpSum:
		k.Op = OpSum
	case ir.OpSumSq:
		k.Op = OpSumSq
	case ir.OpDot:
		k.Op = OpDot
	case ir.OpLogSumExp:
		k.Op = OpLogSumExp
	case ir.OpSoftmax:
		k.Op = OpSoftmax
	default:
		l.s.fail(n.Pos(), "%s cannot be computed within a step (it is a parameter-shaped quantity); it may only appear in a plasticity rule", n)
		return
	}
	l.s.emit(k)
}
