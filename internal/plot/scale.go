package plot

import (
	"math"
	"strconv"

	gplot "gonum.org/v1/plot"
)

// logDecades is how many decades the positive values of a cost or an
// energy must span for its panel to get a logarithmic axis: two, so a
// cost that falls by a factor of 100 or more during learning is read on
// a log scale and one that only wobbles stays linear.
const logDecades = 2

// useLog reports whether values whose smallest positive value is lo and
// whose largest is hi span at least logDecades decades.
func useLog(lo, hi float64) bool {
	if !(lo > 0) || !(hi > 0) || math.IsInf(hi, 0) {
		return false
	}
	return math.Log10(hi/lo) >= logDecades
}

// smoothWindow is the width of the running mean drawn over a cost or an
// energy: a fiftieth of the span shown, so the stimulus' periods average
// out in long runs and the trend stays visible in short ones.
func smoothWindow(span float64) float64 { return span / 50 }

// niceTicks marks a linear axis at 1, 2 or 5 times a power of ten, about
// six labels over the range, written with the digits the spacing needs
// (0, 25000, 0.05), with four unlabelled ticks between labels. Whole
// marks labels only whole numbers (epochs).
type niceTicks struct{ whole bool }

// Ticks implements plot.Ticker.
func (n niceTicks) Ticks(lo, hi float64) []gplot.Tick {
	step := niceStep(hi - lo)
	if n.whole && step < 1 {
		step = 1
	}
	if step == 0 || math.IsNaN(step) || math.IsInf(step, 0) {
		return []gplot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 6, 64)}}
	}
	var out []gplot.Tick
	per := 5.0 // minor ticks per label
	if n.whole && step == 1 {
		per = 1 // no ticks between epochs
	}
	minor := step / per
	first := math.Ceil(lo/minor - 1e-9)
	for k := first; k*minor <= hi+minor*1e-9 && len(out) < 1000; k++ {
		v := k * minor
		if math.Mod(k, per) == 0 {
			out = append(out, gplot.Tick{Value: v, Label: tickLabel(v, step)})
		} else {
			out = append(out, gplot.Tick{Value: v})
		}
	}
	return out
}

// niceStep is the label spacing for a range: 1, 2 or 5 times a power of
// ten, the one that gives closest to six intervals.
func niceStep(span float64) float64 {
	if !(span > 0) {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(span/6)))
	best := 0.0
	for _, step := range []float64{p, 2 * p, 5 * p, 10 * p} {
		if best == 0 || math.Abs(span/step-6) < math.Abs(span/best-6) {
			best = step
		}
	}
	return best
}

// tickLabel writes v rounded to the step's precision, as short as it
// reads back.
func tickLabel(v, step float64) string {
	if math.Abs(v) < step*1e-9 {
		return "0"
	}
	digits := max(0, -int(math.Floor(math.Log10(step))))
	s := strconv.FormatFloat(v, 'f', digits, 64)
	if math.Abs(v) >= 1e6 || math.Abs(v) < 1e-4 {
		s = strconv.FormatFloat(v, 'g', 3, 64)
	}
	return s
}

// logTicks marks a log axis at powers of ten, every n-th labelled so
// that about six labels show, with unlabelled ticks at the other powers
// and, over at most four decades, at 2..9 times each.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []gplot.Tick {
	if !(lo > 0) || !(hi >= lo) {
		return nil
	}
	a, b := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	every := max(1, (b-a+5)/6)
	var out []gplot.Tick
	for e := a; e <= b; e++ {
		v := math.Pow(10, float64(e))
		if v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
			t := gplot.Tick{Value: v}
			if e%every == 0 {
				t.Label = powLabel(e)
			}
			out = append(out, t)
		}
		if b-a <= 4 {
			for m := 2.0; m < 10; m++ {
				if w := m * v; w >= lo && w <= hi {
					out = append(out, gplot.Tick{Value: w})
				}
			}
		}
	}
	return out
}

// powLabel writes 10^e as a plain number from 0.001 to 1000 and as 1e-05
// beyond.
func powLabel(e int) string {
	if e >= -3 && e <= 3 {
		return strconv.FormatFloat(math.Pow(10, float64(e)), 'f', max(0, -e), 64)
	}
	return "1e" + strconv.Itoa(e)
}
