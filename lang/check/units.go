package check

import (
	"fmt"

	"github.com/vlec-dev/vlec/lang"
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
