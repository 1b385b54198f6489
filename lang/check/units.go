package check

import (
	"fmt"
	"math"
	"strings"

	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/parser"
)

// dim is the physical dimension of a value as a power of seconds. Bare
// numbers are untyped (known == false): they adopt whatever unit their
// context needs, so `tau_m = 0.5` means 0.5 s and `sin(2*pi*0.3*t)` is fine.
type dim struct {
	known bool
	time  int // power of seconds: 1 for a time, -1 for a frequency
}

var (
	untyped       = dim{}
	dimensionless = dim{known: true}
	timeDim       = dim{known: true, time: 1}
	freqDim       = dim{known: true, time: -1}
)

// String names a dimension the way an error message needs it.
func (d dim) String() string {
	switch {
	case !d.known:
		return "a plain number"
	case d.time == 0:
		return "a dimensionless number"
	case d.time == 1:
		return "a time"
	case d.time == -1:
		return "a frequency"
	}
	return fmt.Sprintf("a quantity in s^%d", d.time)
}

// unitTable maps a unit suffix to its scale in SI units and its dimension.
var unitTable = map[string]struct {
	scale float64
	dim   dim
}{
	"":    {1, untyped},
	"ns":  {1e-9, timeDim},
	"us":  {1e-6, timeDim},
	"ms":  {1e-3, timeDim},
	"s":   {1, timeDim},
	"min": {60, timeDim},
	"Hz":  {1, freqDim},
	"kHz": {1e3, freqDim},
}

// numberValue converts a literal to SI units.
func numberValue(n *lang.NumberLit) (float64, dim, error) {
	u, ok := unitTable[n.Unit]
	if !ok {
		return 0, untyped, fmt.Errorf("unknown unit %q in %s; units are ns, us, ms, s, min, Hz, kHz", n.Unit, n.Text)
	}
	return n.Value * u.scale, u.dim, nil
}

// addDims is the dimension of a sum, or an error when both sides have
// known, different dimensions.
func addDims(a, b dim) (dim, bool) {
	switch {
	case !a.known:
		return b, true
	case !b.known:
		return a, true
	}
	return a, a == b
}

// mulDims is the dimension of a product (div: of a quotient). A product
// with an untyped factor is untyped.
func mulDims(a, b dim, div bool) dim {
	if !a.known || !b.known {
		return untyped
	}
	if div {
		return dim{known: true, time: a.time - b.time}
	}
	return dim{known: true, time: a.time + b.time}
}

// wantDim checks that a value of dimension got may be used where want is
// needed; untyped values always may.
func wantDim(got, want dim) bool { return !got.known || got == want }

// ParseTime reads a time written as a .vle file writes one, for the
// command line: a number with a unit (`5s`, `100ms`, `1.5e3ms`, `2min`),
// a bare number of seconds (as `duration = 30` is in a sim block), or a
// constant expression of them (`2 * 5s`, `1s + 500ms`). It goes through
// the language's lexer, unit table and constant evaluation, so it accepts
// exactly what a file accepts there, with no constants of the file to
// name: `2m` is an unknown unit, not minutes, and a frequency is not a
// time. It returns seconds; whether 0 or a negative time is acceptable is
// up to the caller, as it is up to the setting in a file.
func ParseTime(s string) (float64, error) {
	f, err := parser.Parse("-", []byte("const t = "+s))
	if err != nil {
		msg := lang.Diagnostics(err)[0].Msg
		if !strings.HasPrefix(msg, "unknown unit") && !strings.HasPrefix(msg, "number ") {
			msg = "" // about the made-up declaration around s, not about s
		}
		return 0, timeError(s, msg)
	}
	if len(f.Decls) != 1 || f.Model != nil {
		return 0, timeError(s, "")
	}
	d, ok := f.Decls[0].(*lang.ConstDecl)
	if !ok {
		return 0, timeError(s, "")
	}
	l := &loader{sources: lang.Sources{}, units: map[string]*unit{}, loading: map[string]bool{}}
	c := newChecker(l, &unit{file: f})
	v, ok := c.scalar(d.Value)
	switch {
	case !ok:
		return 0, timeError(s, l.errs[0].Msg)
	case !wantDim(v.d, timeDim):
		return 0, fmt.Errorf("%s is %s, not a time", strings.TrimSpace(s), v.d)
	case math.IsInf(v.v, 0) || math.IsNaN(v.v):
		return 0, fmt.Errorf("%s is not a finite time", strings.TrimSpace(s))
	}
	return v.v, nil
}

// timeError explains why s is not a time: the language's own message when
// there is one, and in every case what a time looks like.
func timeError(s, msg string) error {
	if msg == "" {
		return fmt.Errorf("%q is not a time: write one as 30s, 500ms, 1.5e3ms or 2min", s)
	}
	return fmt.Errorf("%s (a time is written 30s, 500ms, 1.5e3ms or 2min)", msg)
}

// TimeSteps converts a time t, named what in messages, to a number of
// steps of dt, with the rule a sim block's duration follows: a positive
// whole number of steps (to a relative 1e-9, forgiving decimal rounding
// such as 0.3s / 0.1s). Its messages are the checker's: "duration 1.0005s
// is not a whole number of steps of dt = 0.001s".
func TimeSteps(what string, t, dt float64) (int, error) {
	if t/dt > 1<<53 {
		return 0, fmt.Errorf("%s %gs is %.3g steps of dt = %gs, more than can be counted", what, t, t/dt, dt)
	}
	n, exact := stepsOf(t, dt)
	switch {
	case t <= 0:
		return 0, fmt.Errorf("%s must be positive, got %gs", what, t)
	case !exact:
		return 0, fmt.Errorf("%s %gs is not a whole number of steps of dt = %gs", what, t, dt)
	case n < 1:
		return 0, fmt.Errorf("%s %gs is shorter than one step (dt = %gs)", what, t, dt)
	}
	return n, nil
}
