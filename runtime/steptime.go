package runtime

import (
	"strconv"
	"strings"
)

// clock gives the time of a step, k * dt, as the decimal the user would
// write: float64(k) * dt carries rounding noise (0.9500000000000001 for
// k = 95, dt = 0.01 can happen), so the product is rounded to the decimal
// places of dt's shortest representation. The result is the float64
// nearest that decimal, which prints (strconv 'g', -1) without noise.
type clock struct {
	dt     float64
	places int // decimal places of dt; -1: round to 12 significant digits
}

// newClock makes the clock of a step dt.
func newClock(dt float64) clock {
	s := strconv.FormatFloat(dt, 'e', -1, 64) // d.ddde±XX
	mant, exp, _ := strings.Cut(s, "e")
	e, err := strconv.Atoi(exp)
	if err != nil {
		return clock{dt: dt, places: -1}
	}
	frac := 0
	if _, f, ok := strings.Cut(mant, "."); ok {
		frac = len(f)
	}
	places := max(frac-e, 0)
	if frac+1 > 12 { // dt itself has no short decimal (1/3 s)
		places = -1
	}
	return clock{dt: dt, places: places}
}

// at is the time of step k in seconds.
func (c clock) at(k int) float64 {
	t := float64(k) * c.dt
	var s string
	if c.places >= 0 {
		s = strconv.FormatFloat(t, 'f', c.places, 64)
	} else {
		s = strconv.FormatFloat(t, 'g', 12, 64)
	}
	r, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return t
	}
	return r
}

// stepTime is the time of step k, k * dt, without float noise.
func stepTime(k int, dt float64) float64 { return newClock(dt).at(k) }

// StepTime is the time of step k of a step dt in seconds, k * dt computed
// in decimal (0.95, never 0.9500000000000001).
func StepTime(k int, dt float64) float64 { return stepTime(k, dt) }

// FormatTime prints the time of step k of a step dt in seconds, as the
// decimal k * dt ("0.95", never "0.9500000000000001").
func FormatTime(k int, dt float64) string {
	return strconv.FormatFloat(stepTime(k, dt), 'g', -1, 64)
}
