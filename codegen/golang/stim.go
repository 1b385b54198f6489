package golang

import (
	"fmt"
	"math"
	"strconv"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
)

// Stimuli are inlined: a checked stimulus expression in t, i and b
// becomes one Go expression over the variables t, fi and fb (float64),
// with the arithmetic of runtime/stim.go in the same order; constants
// are folded here in float64 as the interpreter's closures compute them.

// stimMath are the elementwise functions of a stimulus (runtime's
// stimMath) as ir functions; sin and cos are math's.
var stimMath = map[string]ir.Func{
	"exp": ir.Exp, "log": ir.Log, "tanh": ir.Tanh, "sigmoid": ir.Sigmoid, "abs": ir.Abs,
	"softplus": ir.Softplus, "relu": ir.Relu, "square": ir.Square, "linear": ir.Linear,
}

// stimArity are the generators and their numbers of arguments.
var stimArity = map[string]int{"sine": 4, "cosine": 4, "step": 2, "smooth_step": 3, "square_wave": 4}

// stimCompiler emits one input's stimulus.
type stimCompiler struct {
	p     *progGen // the program the input belongs to: its noise fields
	input *check.Input
	// timeDependent: the stimulus changes with the step (t or ou);
	// usesT, usesI and usesB: its source reads t, fi or fb (which the
	// fill then declares).
	timeDependent, usesT, usesI, usesB bool
	nOU                                int       // ou generators so far, numbered as the interpreter numbers them
	noises                             []ouField // the input's ou generators
	// block: the stimulus is compiled for a block of steps (see
	// stimBlock); each math.Sin becomes a read of its slot's array,
	// whose arguments sinArgs are computed first and passed through
	// sinSlice at once
	block   bool
	sinArgs []expr
	slots   []string // the fields of the slots' arrays
}

// ouField is the noise generator of one ou(...) of an input: a field of
// the program's type, holding one state and one random stream per entry.
type ouField struct {
	field  string
	stream string // the stream's name, ou:<input>:<n>
}

// stimPlan is an input's compiled stimulus.
type stimPlan struct {
	e                                  expr
	timeDependent, usesT, usesI, usesB bool
	noises                             []ouField
	block                              *stimBlock // the stimulus computed for blocks of steps, or nil
}

// stimBlock is a stimulus of t (and i, b) alone, no noise, computed for
// blockSteps steps at a time into a field, from which each step copies
// its row: the sines of the whole block go through sinSlice together
// (kern.Sin, math.Sin's bits on eight lanes), instead of one math.Sin
// per value and step, a fifth of a tiny network's step.
type stimBlock struct {
	steps   int    // steps per block
	values  string // the field of the block's values, [step][batch][i]
	base    string // the field of the block's first step
	e       expr   // the value, reading the slots at jj
	sinArgs []expr // the argument of each slot's sine
	slots   []string
}

// stimBlockValues bounds the values of a block (steps x batch x size):
// a block holds at most this many, and a stimulus whose block would have
// fewer than minBlockSteps steps is computed step by step.
const stimBlockValues, minBlockSteps, maxBlockSteps = 1024, 8, 64

// compileStimulus compiles the stimulus of input in of p.
func (p *progGen) compileStimulus(in *check.Input) (*stimPlan, error) {
	c := &stimCompiler{p: p, input: in}
	e, err := c.emit(in.Stimulus)
	if err != nil {
		return nil, err
	}
	sp := &stimPlan{e: e, timeDependent: c.timeDependent, usesT: c.usesT, usesI: c.usesI, usesB: c.usesB, noises: c.noises}
	steps := min(maxBlockSteps, stimBlockValues/max(1, p.prog.Batch*in.Size))
	if !c.usesT || len(c.noises) > 0 || steps < minBlockSteps {
		return sp, nil
	}
	bc := &stimCompiler{p: p, input: in, block: true}
	be, err := bc.emit(in.Stimulus)
	if err != nil {
		return nil, err
	}
	if len(bc.sinArgs) == 0 {
		return sp, nil // nothing a block saves
	}
	name := upperFirst(packageName(in.Name))
	sp.block = &stimBlock{steps: steps, values: p.names.unique("block" + name), base: p.names.unique("blockBase" + name),
		e: be, sinArgs: bc.sinArgs, slots: bc.slots}
	return sp, nil
}

// sinOf is math.Sin of x, or in a block the read of a new slot whose
// argument is x.
func (c *stimCompiler) sinOf(x expr) expr {
	if !c.block {
		return call("math.Sin", x)
	}
	c.sinArgs = append(c.sinArgs, x)
	f := c.p.names.unique(fmt.Sprintf("blockSin%s%d", upperFirst(packageName(c.input.Name)), len(c.sinArgs)))
	c.slots = append(c.slots, f)
	return expr{src: "m." + f + "[jj]"}
}

func (c *stimCompiler) emit(e check.Expr) (expr, error) {
	switch e := e.(type) {
	case *check.Num:
		return constant(e.Value), nil
	case *check.Ref:
		switch {
		case e.Kind == check.RefStim && e.Var == "t":
			c.timeDependent, c.usesT = true, true
			return expr{src: "t"}, nil
		case e.Kind == check.RefStim && e.Var == "i":
			c.usesI = true
			return expr{src: "fi"}, nil
		case e.Kind == check.RefStim && e.Var == "b":
			c.usesB = true
			return expr{src: "fb"}, nil
		case e.Kind == check.RefScalar && e.Param != nil:
			return constant(e.Param.Value), nil
		}
		return expr{}, lang.Errorf(e.Pos(), "a stimulus cannot read %s", e)
	case *check.Unary:
		x, err := c.emit(e.X)
		if err != nil || e.Op != "-" {
			return x, orErr(err, lang.Errorf(e.Pos(), "unknown operator %s in a stimulus", e.Op))
		}
		if x.isConst {
			return constant(-x.value), nil
		}
		return expr{src: "-" + x.operand(0)}, nil
	case *check.Binary:
		return c.binary(e)
	case *check.Call:
		return c.call(e)
	}
	return expr{}, lang.Errorf(e.Pos(), "cannot evaluate %s as a stimulus", e)
}

func orErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

func (c *stimCompiler) binary(e *check.Binary) (expr, error) {
	x, err := c.emit(e.X)
	if err != nil {
		return x, err
	}
	y, err := c.emit(e.Y)
	if err != nil {
		return y, err
	}
	switch e.Op {
	case "+", "-", "*", "/":
		return binary(e.Op[0], x, y), nil
	case "^":
		if x.isConst && y.isConst {
			return constant(mathPow(x.value, y.value)), nil
		}
		return expr{src: fmt.Sprintf("math.Pow(%s, %s)", x.text(), y.text())}, nil
	}
	return expr{}, lang.Errorf(e.Pos(), "operator %s in a stimulus", e.Op)
}

func (c *stimCompiler) call(e *check.Call) (expr, error) {
	args := make([]expr, len(e.Args))
	noisy := make([]bool, len(e.Args)) // argument i holds an ou
	for i, a := range e.Args {
		n := c.nOU
		x, err := c.emit(a)
		if err != nil {
			return x, err
		}
		args[i], noisy[i] = x, c.nOU > n
	}
	if e.Func == "sin" || e.Func == "cos" || e.Func == "sqrt" {
		if len(args) != 1 {
			return expr{}, lang.Errorf(e.Pos(), "%s takes one argument", e.Func)
		}
		if e.Func == "sin" && !args[0].isConst {
			return c.sinOf(args[0]), nil
		}
		return mathCall(e.Func, args[0]), nil
	}
	if f, ok := stimMath[e.Func]; ok {
		if len(args) != 1 {
			return expr{}, lang.Errorf(e.Pos(), "%s takes one argument", e.Func)
		}
		return funcExpr(f, false, args[0])
	}
	if e.Func == "ou" {
		return c.ou(e, args, noisy)
	}
	if e.Func == "step" && len(noisy) == 2 && noisy[1] {
		// the interpreter draws the noise of step's height only from
		// the step's time on; the generated stepAt evaluates it always
		return expr{}, lang.Errorf(e.Args[1].Pos(), "vlec gen go does not support an ou noise in the height of step(...) (use vlec run, or gate a noise that runs from the start: step(at) * ou(...))")
	}
	n, ok := stimArity[e.Func]
	switch {
	case !ok:
		return expr{}, lang.Errorf(e.Pos(), "unknown function %s in a stimulus", e.Func)
	case len(args) != n:
		return expr{}, lang.Errorf(e.Pos(), "%s takes %d arguments, got %d", e.Func, n, len(args))
	}
	c.timeDependent, c.usesT = true, true
	a := make([]string, n)
	for i, x := range args {
		a[i] = x.text()
	}
	switch e.Func {
	case "sine", "cosine":
		// amp * sin(2 pi freq t + phase) + offset, as runtime/stim.go
		// computes it: ((2 pi) * freq) * t with 2 pi rounded first.
		arg := binary('+', binary('*', binary('*', expr{src: "twoPi"}, args[0]), expr{src: "t"}), args[1])
		wave := binary('*', args[2], call("math.Cos", arg))
		if e.Func == "sine" {
			wave = binary('*', args[2], c.sinOf(arg))
		}
		return binary('+', wave, args[3]), nil
	case "step":
		return expr{src: fmt.Sprintf("stepAt(t, %s, %s)", a[0], a[1])}, nil
	case "smooth_step":
		return expr{src: fmt.Sprintf("smoothStep(t, %s, %s, %s)", a[0], a[1], a[2])}, nil
	}
	return expr{src: fmt.Sprintf("squareWave(t, %s, %s, %s, %s)", a[0], a[1], a[2], a[3])}, nil
}

// mathCall is math.Sin, math.Cos or math.Sqrt of x, folded for a constant.
func mathCall(fn string, x expr) expr {
	f := map[string]func(float64) float64{"sin": math.Sin, "cos": math.Cos, "sqrt": math.Sqrt}[fn]
	if x.isConst {
		return constant(f(x.value))
	}
	return call("math."+upperFirst(fn), x)
}

func mathPow(x, y float64) float64 { return math.Pow(x, y) }

// ou is a call of the input's noise generator number c.nOU (counted after
// its arguments, as the interpreter counts them): one Ornstein-Uhlenbeck
// state and one random stream per entry, seeded at step 0 from the
// stream ou:<input>:<n> (newOUNoise and ouNoise.next in data.go copy
// runtime/stim.go). tau, sigma and mean are evaluated at every step, the
// seed at step 0, as the interpreter evaluates them.
func (c *stimCompiler) ou(e *check.Call, args []expr, noisy []bool) (expr, error) {
	if len(args) != 4 {
		return expr{}, lang.Errorf(e.Pos(), "ou takes 4 arguments, got %d", len(args))
	}
	if noisy[3] {
		// the interpreter evaluates the seed once, at step 0
		return expr{}, lang.Errorf(e.Args[3].Pos(), "vlec gen go does not support an ou noise in the seed of ou(...) (use vlec run)")
	}
	c.timeDependent = true
	c.nOU++
	f := ouField{field: c.p.names.unique("ou" + upperFirst(packageName(c.input.Name)) + strconv.Itoa(c.nOU)),
		stream: fmt.Sprintf("ou:%s:%d", c.input.Name, c.nOU)}
	c.noises = append(c.noises, f)
	seed := "uint64(" + args[3].text() + ")"
	if args[3].isConst {
		// converted here: Go refuses to convert a constant with a fraction
		seed = strconv.FormatUint(uint64(args[3].value), 10)
	}
	return expr{src: fmt.Sprintf("m.%s.next(k, b, i, %s, %s, %s, %s)", f.field, args[0].text(), args[1].text(), args[2].text(), seed)}, nil
}
