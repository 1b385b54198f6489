package spice

import (
	"fmt"
	"math"
	"strings"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/runtime"
)

// Stimuli. An input's stimulus is an expression in t, i (neuron index)
// and b (batch index); for one entry (i, b) it is a function of t alone.
// When that function is a sum of sinusoids and a constant (sine, cosine,
// and sin or cos of an affine function of t, times constants) each
// sinusoid becomes an independent SIN source, chained in series so that
// the input node's voltage is their sum; any other deterministic
// stimulus (step, smooth_step, square_wave, a product of sines, ...) is a
// B-source whose expression in ngspice's `time` is the stimulus itself.
// Noise (ou) is refused: its samples depend on vlec's step and seed.

// A sinusoid is amp * sin(2 pi freq t + phase).
type sinusoid struct{ amp, freq, phase float64 }

// signal is a stimulus entry as an offset plus sinusoids.
type signal struct {
	offset float64
	sines  []sinusoid
}

// stimEntry is the stimulus expression with i and b fixed.
type stimEntry struct{ i, b int }

// constant evaluates e when it does not depend on t.
func (s stimEntry) constant(e check.Expr) (float64, bool) {
	switch e := e.(type) {
	case *check.Num:
		return e.Value, true
	case *check.Ref:
		if e.Kind != check.RefStim {
			return 0, false
		}
		switch e.Var {
		case "i":
			return float64(s.i), true
		case "b":
			return float64(s.b), true
		}
		return 0, false
	case *check.Unary:
		x, ok := s.constant(e.X)
		return -x, ok && e.Op == "-"
	case *check.Binary:
		x, ok1 := s.constant(e.X)
		y, ok2 := s.constant(e.Y)
		if !ok1 || !ok2 {
			return 0, false
		}
		switch e.Op {
		case "+":
			return x + y, true
		case "-":
			return x - y, true
		case "*":
			return x * y, true
		case "/":
			return x / y, true
		case "^":
			return math.Pow(x, y), true
		}
	case *check.Call:
		f, ok := runtime.StimFunc(e.Func)
		if !ok || len(e.Args) != 1 {
			return 0, false
		}
		x, ok := s.constant(e.Args[0])
		return f(x), ok
	}
	return 0, false
}

// affine returns a and c when e = a t + c.
func (s stimEntry) affine(e check.Expr) (a, c float64, ok bool) {
	if v, ok := s.constant(e); ok {
		return 0, v, true
	}
	switch e := e.(type) {
	case *check.Ref:
		if e.Kind == check.RefStim && e.Var == "t" {
			return 1, 0, true
		}
	case *check.Unary:
		a, c, ok := s.affine(e.X)
		return -a, -c, ok && e.Op == "-"
	case *check.Binary:
		switch e.Op {
		case "+", "-":
			a1, c1, ok1 := s.affine(e.X)
			a2, c2, ok2 := s.affine(e.Y)
			if e.Op == "-" {
				a2, c2 = -a2, -c2
			}
			return a1 + a2, c1 + c2, ok1 && ok2
		case "*":
			if k, ok := s.constant(e.X); ok {
				a, c, ok := s.affine(e.Y)
				return k * a, k * c, ok
			}
			if k, ok := s.constant(e.Y); ok {
				a, c, ok := s.affine(e.X)
				return k * a, k * c, ok
			}
		case "/":
			if k, ok := s.constant(e.Y); ok {
				a, c, ok := s.affine(e.X)
				return a / k, c / k, ok
			}
		}
	}
	return 0, 0, false
}

// sines decomposes e into an offset and sinusoids; false when it is not
// such a sum.
func (s stimEntry) sines(e check.Expr) (signal, bool) {
	if v, ok := s.constant(e); ok {
		return signal{offset: v}, true
	}
	switch e := e.(type) {
	case *check.Unary:
		g, ok := s.sines(e.X)
		return g.scale(-1), ok && e.Op == "-"
	case *check.Binary:
		switch e.Op {
		case "+", "-":
			x, ok1 := s.sines(e.X)
			y, ok2 := s.sines(e.Y)
			if e.Op == "-" {
				y = y.scale(-1)
			}
			return signal{offset: x.offset + y.offset, sines: append(x.sines, y.sines...)}, ok1 && ok2
		case "*":
			if k, ok := s.constant(e.X); ok {
				g, ok := s.sines(e.Y)
				return g.scale(k), ok
			}
			if k, ok := s.constant(e.Y); ok {
				g, ok := s.sines(e.X)
				return g.scale(k), ok
			}
		case "/":
			if k, ok := s.constant(e.Y); ok {
				g, ok := s.sines(e.X)
				return g.scale(1 / k), ok
			}
		}
	case *check.Call:
		return s.sineCall(e)
	}
	return signal{}, false
}

func (s stimEntry) sineCall(e *check.Call) (signal, bool) {
	switch e.Func {
	case "sin", "cos":
		a, c, ok := s.affine(e.Args[0])
		if !ok {
			return signal{}, false
		}
		if e.Func == "cos" {
			c += math.Pi / 2
		}
		return signal{sines: []sinusoid{{amp: 1, freq: a / (2 * math.Pi), phase: c}}}, true
	case "sine", "cosine":
		var v [4]float64
		for k, a := range e.Args {
			x, ok := s.constant(a)
			if !ok || k >= 4 {
				return signal{}, false
			}
			v[k] = x
		}
		ph := v[1]
		if e.Func == "cosine" {
			ph += math.Pi / 2
		}
		return signal{offset: v[3], sines: []sinusoid{{amp: v[2], freq: v[0], phase: ph}}}, true
	}
	return signal{}, false
}

func (g signal) scale(k float64) signal {
	out := signal{offset: g.offset * k, sines: make([]sinusoid, len(g.sines))}
	for i, sn := range g.sines {
		sn.amp *= k
		out.sines[i] = sn
	}
	return out
}

// spiceSIN prints the SIN(...) of a sinusoid: SIN(VO VA FREQ TD THETA
// PHASE) with the phase in degrees, a negative frequency folded into the
// phase (sin(-w t + c) = sin(w t + pi - c)).
func spiceSIN(offset float64, sn sinusoid) string {
	if sn.freq < 0 {
		sn.freq, sn.phase = -sn.freq, math.Pi-sn.phase
	}
	return fmt.Sprintf("SIN(%s %s %s 0 0 %s)", num(offset), num(sn.amp), num(sn.freq), num(sn.phase*180/math.Pi))
}

// timeExpr prints the stimulus as a B-source expression in `time`.
func (s stimEntry) timeExpr(e check.Expr) (string, error) {
	if v, ok := s.constant(e); ok {
		return num(v), nil
	}
	switch e := e.(type) {
	case *check.Ref:
		if e.Kind == check.RefStim && e.Var == "t" {
			return "time", nil
		}
		return "", refusal(e.At, "%s in a stimulus has no circuit form", e)
	case *check.Unary:
		x, err := s.timeExpr(e.X)
		return "(-" + x + ")", err
	case *check.Binary:
		x, err := s.timeExpr(e.X)
		if err != nil {
			return "", err
		}
		y, err := s.timeExpr(e.Y)
		if err != nil {
			return "", err
		}
		if e.Op == "^" {
			if k, ok := s.constant(e.Y); ok {
				return power(x, k), nil
			}
			return "pow(" + x + ", " + y + ")", nil
		}
		return "(" + x + " " + e.Op + " " + y + ")", nil
	case *check.Call:
		return s.timeCall(e)
	}
	return "", refusal(e.Pos(), "%s in a stimulus has no circuit form", e)
}

func (s stimEntry) timeCall(e *check.Call) (string, error) {
	args := make([]string, len(e.Args))
	for k, a := range e.Args {
		x, err := s.timeExpr(a)
		if err != nil {
			return "", err
		}
		args[k] = x
	}
	switch e.Func {
	case "sin", "cos", "tanh", "abs":
		return e.Func + "(" + args[0] + ")", nil
	case "sqrt":
		return power(args[0], 0.5), nil
	case "exp", "log", "sigmoid", "softplus", "relu", "square", "linear":
		f, _ := ir.FuncByName(e.Func)
		return function(f, args[0], e.At)
	case "sine", "cosine":
		fn := "sin"
		if e.Func == "cosine" {
			fn = "cos"
		}
		return fmt.Sprintf("(%s*%s(2*pi*%s*time + %s) + %s)", args[2], fn, args[0], args[1], args[3]), nil
	case "step":
		return fmt.Sprintf("(time >= %s ? %s : 0)", args[0], args[1]), nil
	case "smooth_step":
		at, w, h := args[0], args[1], args[2]
		sv := fmt.Sprintf("((time - %s)/%s)", at, w)
		return fmt.Sprintf("(time <= %s ? 0 : (time >= %s + %s ? %s : %s*%s*%s*(3 - 2*%s)))", at, at, w, h, h, sv, sv, sv), nil
	case "square_wave":
		f, duty, amp, off := args[0], args[1], args[2], args[3]
		ph := fmt.Sprintf("(%s*time - floor(%s*time))", f, f)
		return fmt.Sprintf("(%s < %s ? %s + %s : %s - %s)", ph, duty, off, amp, off, amp), nil
	case "ou":
		return "", refusal(e.At, "ou noise has no circuit form: its samples depend on vlec's step and seed; record the input with `vlec run` and give it to the model as a file input")
	}
	return "", refusal(e.At, "%s in a stimulus has no circuit form", e.Func)
}

// describe prints a stimulus's source text for a comment.
func describe(e check.Expr) string {
	return strings.Join(strings.Fields(e.String()), " ")
}
