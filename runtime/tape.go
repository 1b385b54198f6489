package runtime

import (
	"fmt"

	"github.com/vlec-dev/vlec/internal/kern"
	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/ir/schedule"
)

// A Map kernel's entrywise Code is compiled once into a flat tape of
// row operations. The tape runs once per batch row (or once for an
// unbatched destination): every instruction computes a whole row of n
// entries into a preallocated register, or a single number when all its
// operands are per-sample scalars. No tree walk, no interface calls and no
// allocation happen while a step runs.

// operand kinds.
const (
	oVecArg = iota // a row of argument Arg
	oSclArg        // the scalar of argument Arg
	oVecReg        // register Reg (a row)
	oSclReg        // scalar register Reg
	oConst         // the constant Value
)

type operand struct {
	kind  int
	idx   int
	value float64
}

func (o operand) scalar() bool { return o.kind == oSclArg || o.kind == oSclReg || o.kind == oConst }

// instruction codes.
const (
	iAdd   = iota // dst = a + b
	iMul          // dst = a * b
	iPow          // dst = a ^ Value
	iFunc         // dst = f(a)
	iDeriv        // dst = f'(a)
)

type instr struct {
	code  int
	fn    ir.Func
	value float64
	dst   operand // oVecReg or oSclReg
	a, b  operand
}

// tape is a compiled Map kernel.
type tape struct {
	dst   int // buffer ID
	n     int // entries per row
	dstB  bool
	args  []tapeArg
	ins   []instr
	out   operand
	vregs [][]float64
	sregs []float64
	// per-row resolved argument rows and scalars
	rows [][]float64
	scl  []float64
}

type tapeArg struct {
	id      int
	size    int
	batched bool
	scalar  bool // size 1: broadcast
}

// compileMap compiles a Map kernel.
func compileMap(k *schedule.Kernel) (*tape, error) {
	t := &tape{dst: k.Dst.ID, n: k.Dst.Size(), dstB: k.Dst.Batched}
	for _, a := range k.Args {
		ta := tapeArg{id: a.ID, size: a.Size(), batched: a.Batched, scalar: a.Size() == 1}
		if !ta.scalar && ta.size != t.n {
			return nil, fmt.Errorf("map kernel %s: argument %s has %d entries, destination %d", k, a, a.Size(), t.n)
		}
		if ta.batched && !t.dstB {
			return nil, fmt.Errorf("map kernel %s: batched argument %s into a shared destination", k, a)
		}
		t.args = append(t.args, ta)
	}
	t.rows = make([][]float64, len(t.args))
	t.scl = make([]float64, len(t.args))
	var err error
	t.out, err = t.emit(k.Code)
	if err != nil {
		return nil, fmt.Errorf("map kernel %s: %v", k, err)
	}
	return t, nil
}

func (t *tape) newReg(scalar bool) operand {
	if scalar {
		t.sregs = append(t.sregs, 0)
		return operand{kind: oSclReg, idx: len(t.sregs) - 1}
	}
	t.vregs = append(t.vregs, make([]float64, t.n))
	return operand{kind: oVecReg, idx: len(t.vregs) - 1}
}

func (t *tape) emit(c *schedule.Code) (operand, error) {
	switch c.Op {
	case schedule.CodeConst:
		return operand{kind: oConst, value: c.Value}, nil
	case schedule.CodeLoad:
		if c.Arg < 0 || c.Arg >= len(t.args) {
			return operand{}, fmt.Errorf("load of argument %d of %d", c.Arg, len(t.args))
		}
		if t.args[c.Arg].scalar {
			return operand{kind: oSclArg, idx: c.Arg}, nil
		}
		return operand{kind: oVecArg, idx: c.Arg}, nil
	case schedule.CodeAdd, schedule.CodeMul:
		if len(c.Args) == 0 {
			v := 0.0
			if c.Op == schedule.CodeMul {
				v = 1
			}
			return operand{kind: oConst, value: v}, nil
		}
		acc, err := t.emit(c.Args[0])
		if err != nil {
			return acc, err
		}
		code := iAdd
		if c.Op == schedule.CodeMul {
			code = iMul
		}
		for _, sub := range c.Args[1:] {
			b, err := t.emit(sub)
			if err != nil {
				return b, err
			}
			acc = t.binary(code, acc, b)
		}
		return acc, nil
	case schedule.CodePow, schedule.CodeFunc, schedule.CodeDeriv:
		if len(c.Args) != 1 {
			return operand{}, fmt.Errorf("%d arguments to a unary code", len(c.Args))
		}
		a, err := t.emit(c.Args[0])
		if err != nil {
			return a, err
		}
		code := map[schedule.CodeOp]int{schedule.CodePow: iPow, schedule.CodeFunc: iFunc, schedule.CodeDeriv: iDeriv}[c.Op]
		if c.Op == schedule.CodeDeriv && c.Func != ir.Tanh && c.Func != ir.Sigmoid {
			return a, fmt.Errorf("no derivative kernel for %s", c.Func)
		}
		if a.kind == oConst {
			return operand{kind: oConst, value: unary(code, c.Func, c.Value, a.value)}, nil
		}
		dst := t.newReg(a.scalar())
		t.ins = append(t.ins, instr{code: code, fn: c.Func, value: c.Value, dst: dst, a: a})
		return dst, nil
	}
	return operand{}, fmt.Errorf("unknown code op %d", c.Op)
}

func (t *tape) binary(code int, a, b operand) operand {
	if a.kind == oConst && b.kind == oConst {
		if code == iAdd {
			return operand{kind: oConst, value: a.value + b.value}
		}
		return operand{kind: oConst, value: a.value * b.value}
	}
	// keep a vector operand first
	if a.scalar() && !b.scalar() {
		a, b = b, a
	}
	dst := t.newReg(a.scalar() && b.scalar())
	t.ins = append(t.ins, instr{code: code, dst: dst, a: a, b: b})
	return dst
}

// unary evaluates a unary instruction on one number.
func unary(code int, f ir.Func, p, x float64) float64 {
	switch code {
	case iPow:
		return ir.Power(x, p)
	case iFunc:
		return f.Eval(x)
	}
	return f.EvalDeriv(x)
}

// run executes the tape for every row of the destination.
func (t *tape) run(vals [][]float64, batch int) {
	nb := 1
	if t.dstB {
		nb = batch
	}
	n := t.n
	dst := vals[t.dst]
	for b := 0; b < nb; b++ {
		for j, a := range t.args {
			off := 0
			if a.batched {
				off = b * a.size
			}
			if a.scalar {
				t.scl[j] = vals[a.id][off]
			} else {
				t.rows[j] = vals[a.id][off : off+n]
			}
		}
		for i := range t.ins {
			t.exec(&t.ins[i])
		}
		row := dst[b*n : b*n+n]
		switch t.out.kind {
		case oVecArg, oVecReg:
			copy(row, t.vec(t.out))
		default:
			v := t.num(t.out)
			for i := range row {
				row[i] = v
			}
		}
	}
}

func (t *tape) vec(o operand) []float64 {
	if o.kind == oVecArg {
		return t.rows[o.idx]
	}
	return t.vregs[o.idx]
}

func (t *tape) num(o operand) float64 {
	switch o.kind {
	case oSclArg:
		return t.scl[o.idx]
	case oSclReg:
		return t.sregs[o.idx]
	}
	return o.value
}

func (t *tape) exec(in *instr) {
	if in.dst.kind == oSclReg {
		a := t.num(in.a)
		var v float64
		switch in.code {
		case iAdd:
			v = a + t.num(in.b)
		case iMul:
			v = a * t.num(in.b)
		default:
			v = unary(in.code, in.fn, in.value, a)
		}
		t.sregs[in.dst.idx] = v
		return
	}
	d := t.vregs[in.dst.idx]
	a := t.vec(in.a)
	a = a[:len(d)]
	switch in.code {
	case iAdd:
		if in.b.scalar() {
			s := t.num(in.b)
			for i, x := range a {
				d[i] = x + s
			}
		} else {
			b := t.vec(in.b)[:len(d)]
			for i, x := range a {
				d[i] = x + b[i]
			}
		}
	case iMul:
		if in.b.scalar() {
			s := t.num(in.b)
			for i, x := range a {
				d[i] = x * s
			}
		} else {
			b := t.vec(in.b)[:len(d)]
			for i, x := range a {
				d[i] = x * b[i]
			}
		}
	case iPow:
		switch in.value {
		case 2:
			for i, x := range a {
				d[i] = x * x
			}
		case -1:
			for i, x := range a {
				d[i] = 1 / x
			}
		default:
			for i, x := range a {
				d[i] = ir.Power(x, in.value)
			}
		}
	case iFunc:
		switch in.fn {
		case ir.Tanh:
			kern.Tanh(d, a)
		case ir.Sigmoid:
			kern.Sigmoid(d, a)
		case ir.Linear:
			copy(d, a)
		default:
			for i, x := range a {
				d[i] = in.fn.Eval(x)
			}
		}
	case iDeriv:
		for i, x := range a {
			d[i] = in.fn.EvalDeriv(x)
		}
	}
}
