package spice

import (
	"math"
	"testing"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
)

// The B-source forms of the functions and powers: overflow-safe, and
// integer powers as products (ngspice's ^ raises |x|).
func TestFunctionForms(t *testing.T) {
	cases := []struct {
		got, want string
	}{
		{power("x", 2), "(x*x)"},
		{power("x", 3), "(x*x*x)"},
		{power("x", -1), "(1/(x))"},
		{power("x", -2), "(1/(x*x))"},
		{power("x", 0), "1"},
		{power("x", 0.5), "sqrt(max(x, 0))"},
		{power("x", 1.5), "pow(x, 1.5)"},
		{must(function(ir.Softplus, "x", lang.Pos{})), "(max(x, 0) + ln(1 + exp(-abs(x))))"},
		{must(function(ir.Sigmoid, "x", lang.Pos{})), "(0.5 + 0.5*tanh(0.5*x))"},
		{must(function(ir.Exp, "x", lang.Pos{})), "exp(min(x, 80))"},
		{must(function(ir.Log, "x", lang.Pos{})), "ln(max(x, 1e-300))"},
		{must(function(ir.Relu, "x", lang.Pos{})), "max(x, 0)"},
		{must(function(ir.Step, "x", lang.Pos{})), "(x > 0 ? 1 : 0)"},
		{must(function(ir.Sign, "x", lang.Pos{})), "(x > 0 ? 1 : (x < 0 ? -1 : 0))"},
		{must(function(ir.Linear, "x", lang.Pos{})), "x"},
		{must(derivative(ir.Tanh, "x", lang.Pos{})), "(1 - tanh(x)*tanh(x))"},
		{num(1e-12), "1e-12"},
		{num(0.5), "0.5"},
		{num(-3), "-3"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}

func must(s string, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return s
}

// Stimuli: sums of sinusoids become SIN sources (phase in degrees, cos
// as a phase of 90, a negative frequency folded into the phase), other
// stimuli B-source expressions in time.
func TestStimulusForms(t *testing.T) {
	n := func(v float64) check.Expr { return &check.Num{Value: v} }
	ref := func(v string) check.Expr { return &check.Ref{Kind: check.RefStim, Var: v} }
	bin := func(op string, x, y check.Expr) check.Expr { return &check.Binary{Op: op, X: x, Y: y} }
	call := func(f string, args ...check.Expr) check.Expr { return &check.Call{Func: f, Args: args} }
	// sine(freq = 0.3 + 0.1 i, phase = b, amp = 2, offset = 0.5) - 0.5 cos(-4 t)
	e := bin("-", call("sine", bin("+", n(0.3), bin("*", n(0.1), ref("i"))), ref("b"), n(2), n(0.5)),
		bin("*", n(0.5), call("cos", bin("*", n(-4), ref("t")))))
	sig, ok := stimEntry{i: 2, b: 1}.sines(e)
	if !ok || len(sig.sines) != 2 || sig.offset != 0.5 {
		t.Fatalf("sines: %v %v", sig, ok)
	}
	if got, want := spiceSIN(sig.offset, sig.sines[0]), "SIN(0.5 2 0.5 0 0 57.29577951308232)"; got != want {
		t.Errorf("first sinusoid %s, want %s", got, want)
	}
	// -0.5 cos(-4t) = -0.5 sin(-4t + pi/2) = -0.5 sin(4t + pi/2): 4/(2 pi) Hz, 90 degrees
	if got, want := spiceSIN(0, sig.sines[1]), "SIN(0 -0.5 "+num(4/(2*math.Pi))+" 0 0 90)"; got != want {
		t.Errorf("second sinusoid %s, want %s", got, want)
	}
	steps := bin("+", call("step", n(1), n(2)), call("square_wave", n(0.5), n(0.3), n(0.2), n(0)))
	if _, ok := (stimEntry{}).sines(steps); ok {
		t.Errorf("a step taken for sinusoids")
	}
	got, err := stimEntry{}.timeExpr(steps)
	want := "((time >= 1 ? 2 : 0) + ((0.5*time - floor(0.5*time)) < 0.3 ? 0 + 0.2 : 0 - 0.2))"
	if err != nil || got != want {
		t.Errorf("timeExpr = %q, %v\nwant %q", got, err, want)
	}
	if _, err := (stimEntry{}).timeExpr(call("ou", n(0.01), n(0.1), n(0), n(7))); err == nil {
		t.Errorf("ou noise exported")
	}
}
