package kern

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
)

// The activation functions are checked three ways: against a
// double-double reference (about 100 correct bits, independent of the
// algorithm under test: Taylor series and doubling, no polynomial fit),
// against the standard library, and the assembly against the Go code,
// bit for bit. The samples have a fixed seed; VLEC_ACT_SAMPLES=N runs N
// per distribution instead of the default.

// actSamples returns the number of samples per distribution: def, or
// VLEC_ACT_SAMPLES.
func actSamples(t testing.TB, def int) int {
	if s := os.Getenv("VLEC_ACT_SAMPLES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("VLEC_ACT_SAMPLES=%q: want a positive integer", s)
		}
		return n
	}
	return def
}

// ---- double-double reference ----

type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func fastTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) dd {
	p := a * b
	return dd{p, math.FMA(a, b, -p)}
}

func ddAdd(a, b dd) dd {
	s := twoSum(a.hi, b.hi)
	t := twoSum(a.lo, b.lo)
	s = fastTwoSum(s.hi, s.lo+t.hi)
	return fastTwoSum(s.hi, s.lo+t.lo)
}

func ddNeg(a dd) dd { return dd{-a.hi, -a.lo} }

func ddMul(a, b dd) dd {
	p := twoProd(a.hi, b.hi)
	return fastTwoSum(p.hi, p.lo+(float64(a.hi*b.lo)+float64(a.lo*b.hi)))
}

func ddDiv(a, b dd) dd {
	q1 := a.hi / b.hi
	r := ddAdd(a, ddNeg(ddMul(b, dd{q1, 0})))
	q2 := r.hi / b.hi
	r = ddAdd(r, ddNeg(ddMul(b, dd{q2, 0})))
	q3 := r.hi / b.hi
	return ddAdd(fastTwoSum(q1, q2), dd{q3, 0})
}

// invFact[n] = 1/n! as a double-double.
var invFact = func() (f [12]dd) {
	fact := 1.0
	for n := range f {
		if n > 0 {
			fact *= float64(n)
		}
		f[n] = ddDiv(dd{1, 0}, dd{fact, 0})
	}
	return f
}()

// expm1Ref returns e^z - 1 for |z| <= 1 to about 2^-100 relative:
// Taylor series at z 2^-j (|z 2^-j| <= 2^-12), then j doublings
// m <- m (m + 2).
func expm1Ref(z dd) dd {
	j := 0
	for math.Abs(z.hi) > 0x1p-12 {
		z = dd{z.hi / 2, z.lo / 2}
		j++
	}
	s := invFact[11]
	for n := 10; n >= 1; n-- {
		s = ddAdd(ddMul(s, z), invFact[n])
	}
	m := ddMul(s, z)
	for ; j > 0; j-- {
		m = ddMul(m, ddAdd(m, dd{2, 0}))
	}
	return m
}

// ln 2 in three parts.
const (
	refLn2a = 0x1.62e42fefa39efp-1
	refLn2b = 0x1.abc9e3b39803fp-56
	refLn2c = 0x1.7b57a079a1934p-111
)

// expRef returns m and k with e^x = m 2^k, |x| <= 1500.
func expRef(x float64) (dd, int) {
	k := math.RoundToEven(x / refLn2a)
	r := ddAdd(dd{x, 0}, ddNeg(twoProd(k, refLn2a)))
	r = ddAdd(r, ddNeg(twoProd(k, refLn2b)))
	r = ddAdd(r, dd{-k * refLn2c, 0})
	return ddAdd(dd{1, 0}, expm1Ref(r)), int(k)
}

// ddScale returns a 2^k (exact while a.lo 2^k stays normal).
func ddScale(a dd, k int) dd { return dd{math.Ldexp(a.hi, k), math.Ldexp(a.lo, k)} }

// tanhRef returns tanh x.
func tanhRef(x float64) dd {
	a := math.Abs(x)
	var t dd
	switch {
	case a < 0x1p-20: // x - x^3/3 + 2x^5/15 - 17x^7/315
		s := ddMul(dd{a, 0}, dd{a, 0})
		p := ddDiv(dd{-17, 0}, dd{315, 0})
		p = ddAdd(ddMul(p, s), ddDiv(dd{2, 0}, dd{15, 0}))
		p = ddAdd(ddMul(p, s), ddDiv(dd{-1, 0}, dd{3, 0}))
		t = ddAdd(dd{a, 0}, ddMul(ddMul(p, s), dd{a, 0}))
	case a < 0.5:
		m := expm1Ref(dd{-2 * a, 0})
		t = ddNeg(ddDiv(m, ddAdd(m, dd{2, 0})))
	case a < 50:
		m, k := expRef(-2 * a)
		tt := ddScale(m, k)
		t = ddDiv(ddAdd(dd{1, 0}, ddNeg(tt)), ddAdd(dd{1, 0}, tt))
	default: // 1 - 2 e^-2a, far below an ulp
		t = dd{1, -0x1p-200}
	}
	if x < 0 {
		t = ddNeg(t)
	}
	return t
}

// sigmoidRef returns v and e with 1/(1 + e^-x) = v 2^e.
func sigmoidRef(x float64) (dd, int) {
	if x > 800 {
		return dd{1, -0x1p-200}, 0
	}
	if x < -1400 {
		return dd{0, 0}, 0
	}
	m, k := expRef(-math.Abs(x))
	tt := dd{0, 0}
	if k > -900 {
		tt = ddScale(m, k)
	}
	d := ddAdd(dd{1, 0}, tt)
	if x >= 0 {
		return ddDiv(dd{1, 0}, d), 0
	}
	return ddDiv(m, d), k
}

// ulpErr returns |got - v 2^e| in ulps of v 2^e (the ulp of the
// binade of the exact value; 2^-1074 in the subnormal range).
func ulpErr(got float64, v dd, e int) float64 {
	if math.IsNaN(got) {
		return math.Inf(1)
	}
	if v.hi == 0 {
		return math.Abs(got) / 0x1p-1074
	}
	d := (math.Ldexp(got, -e) - v.hi) - v.lo
	f, ex := math.Frexp(v.hi)
	if math.Abs(f) == 0.5 && (v.lo < 0) != (v.hi < 0) && v.lo != 0 {
		ex--
	}
	ue := max(ex-53+e, -1074)
	return math.Abs(d) / math.Ldexp(1, ue-e)
}

// ulpDist returns the number of floats between a and b (0 when equal).
func ulpDist(a, b float64) int64 {
	key := func(x float64) int64 {
		i := int64(math.Float64bits(x))
		if i < 0 {
			i = math.MinInt64 - i
		}
		return i
	}
	d := key(a) - key(b)
	if d < 0 {
		d = -d
	}
	return d
}

func TestActReference(t *testing.T) {
	// The reference against math/big-free identities and known values.
	for _, x := range []float64{1e-30, 1e-7, 0.1, 0.3, 0.49, 0.5, 0.7, 1, 2, 5, 10, 19, 30} {
		r := tanhRef(x)
		// tanh x = (e^2x - 1)/(e^2x + 1) through expRef of +2x.
		m, k := expRef(2 * x)
		e := ddScale(m, k)
		alt := ddDiv(ddAdd(e, dd{-1, 0}), ddAdd(e, dd{1, 0}))
		if x > 0.01 && math.Abs(r.hi-alt.hi) > 1e-15*r.hi {
			t.Errorf("tanhRef(%g) = %v, via e^2x %v", x, r, alt)
		}
		if d := ulpDist(r.hi, math.Tanh(x)); d > 2 {
			t.Errorf("tanhRef(%g) = %v, math.Tanh %v", x, r.hi, math.Tanh(x))
		}
	}
	for _, x := range []float64{-745, -700, -1, 0, 1, 700, 709} {
		m, k := expRef(x)
		if got := math.Ldexp(m.hi, k); ulpDist(got, math.Exp(x)) > 1 {
			t.Errorf("expRef(%g) = %v, math.Exp %v", x, got, math.Exp(x))
		}
	}
	// e and tanh(1/2) to 40 digits, through math/big.
	for _, c := range []struct {
		v      dd
		digits string
	}{
		{func() dd { m, k := expRef(1); return ddScale(m, k) }(), "2.7182818284590452353602874713526624977572"},
		{tanhRef(0.5), "0.46211715726000975850231848364367254873029"},
		{tanhRef(-3), "-0.99505475368673045133188018525548847509781"},
	} {
		want, _, err := big.ParseFloat(c.digits, 10, 200, big.ToNearestEven)
		if err != nil {
			t.Fatal(err)
		}
		got := new(big.Float).SetPrec(200).SetFloat64(c.v.hi)
		got.Add(got, new(big.Float).SetFloat64(c.v.lo))
		diff, _ := got.Sub(got, want).Float64()
		if wf, _ := want.Float64(); math.Abs(diff) > 0x1p-100*math.Abs(wf) {
			t.Errorf("reference %v: off by %g from %s", c.v, diff, c.digits)
		}
	}
}

// ---- samples ----

// actDist is a distribution of arguments.
type actDist struct {
	name string
	gen  func(r *rand.Rand) float64
}

func logUniform(r *rand.Rand, lo, hi float64) float64 {
	x := math.Exp(math.Log(lo) + r.Float64()*(math.Log(hi)-math.Log(lo)))
	if r.IntN(2) == 0 {
		x = -x
	}
	return x
}

func uniform(lo, hi float64) func(r *rand.Rand) float64 {
	return func(r *rand.Rand) float64 { return lo + r.Float64()*(hi-lo) }
}

// near returns arguments within a few thousand ulps (and within 1e-3
// relative) of ±c.
func near(c float64) func(r *rand.Rand) float64 {
	return func(r *rand.Rand) float64 {
		x := c
		if r.IntN(2) == 0 {
			x = math.Float64frombits(math.Float64bits(c) + uint64(r.IntN(4000)) - 2000)
		} else {
			x = c * (1 + (r.Float64()-0.5)*2e-3)
		}
		if r.IntN(2) == 0 {
			x = -x
		}
		return x
	}
}

var tanhDists = []actDist{
	{"log-uniform 1e-300..800", func(r *rand.Rand) float64 { return logUniform(r, 1e-300, 800) }},
	{"log-uniform 1e-8..30", func(r *rand.Rand) float64 { return logUniform(r, 1e-8, 30) }},
	{"log-uniform 0.1..22", func(r *rand.Rand) float64 { return logUniform(r, 0.1, 22) }},
	{"uniform -1..1", uniform(-1, 1)},
	{"uniform -25..25", uniform(-25, 25)},
	{"near tanhSmall", near(tanhSmall)},
	{"near 0.25", near(0.25)},
	{"near 0.625", near(0.625)},
	{"near the grid's ties and powers of two", nearGrid},
	{"near tanhBig (19.06)", near(tanhBig)},
	{"near 22", near(22)},
}

// nearGrid returns arguments near the points where the table path of
// Tanh changes entries (halfway between two grid points, ties included)
// or binades (the powers of two from 0.125 to 16), either sign.
func nearGrid(r *rand.Rand) float64 {
	j := r.IntN(tanhEntries)
	c := tanhGridPoint(j)
	_, e := math.Frexp(c)
	x := c + math.Ldexp(1, e-6) // halfway to the next grid point
	if r.IntN(4) == 0 {
		x = math.Ldexp(1, e-1) // the power of two of c's binade
	}
	if x >= tanhBig {
		x = tanhBig
	}
	if k := r.IntN(3); k > 0 {
		x = math.Float64frombits(math.Float64bits(x) + uint64(r.IntN(2000*k)) - uint64(1000*k))
	}
	if r.IntN(2) == 0 {
		x = -x
	}
	return x
}

var sigmoidDists = []actDist{
	{"log-uniform 1e-300..800", func(r *rand.Rand) float64 { return logUniform(r, 1e-300, 800) }},
	{"log-uniform 1e-8..40", func(r *rand.Rand) float64 { return logUniform(r, 1e-8, 40) }},
	{"uniform -40..40", uniform(-40, 40)},
	{"uniform -800..800", uniform(-800, 800)},
	{"uniform -746..-700 (subnormal)", uniform(-746, -700)},
}

var expDists = []actDist{
	{"uniform -746..709.7", uniform(-746, 709.7)},
	{"uniform -1..1", uniform(-1, 1)},
	{"log-uniform 1e-300..709", func(r *rand.Rand) float64 { return logUniform(r, 1e-300, 709) }},
	{"uniform -746..-700 (subnormal)", uniform(-746, -700)},
	{"uniform -20..20", uniform(-20, 20)},
}

// actSpecials are arguments every function is checked on: zeros,
// infinities, NaNs, subnormals, the extremes, the thresholds of the
// algorithms and their neighbours.
func actSpecials() []float64 {
	xs := []float64{0, math.Inf(1), math.NaN(), math.Float64frombits(0x7ff0000000000001),
		math.Float64frombits(0x7ff8dead0000beef), 5e-324, 1e-310, 2.2250738585072014e-308,
		1e-300, 1e-200, 1e-20, 1e-8, 0x1p-26, 0.1, 0.5, 1, 2, 0.625, tanhSmall, tanhBig,
		19.061547465398498, 36.7, 37.5, 40, 100, 700, 708.39, 709.78, 709.79, 710, 745.1,
		745.2, 746, 800, 1e300, math.MaxFloat64, ln2Hi / 2, 3 * ln2Hi / 2, 1e-4}
	var out []float64
	for _, x := range xs {
		for _, y := range []float64{x, math.Nextafter(x, 0), math.Nextafter(x, math.Inf(1))} {
			out = append(out, y, -y)
		}
	}
	return out
}

// actFunc describes one function under test.
type actFunc struct {
	name           string
	slice          func(dst, src []float64)
	scalar         func(float64) float64
	twin           func(float64) float64 // the Go code of scalar where it runs assembly, Tanh's as written
	ref            func(float64) (dd, int)
	std            func(float64) float64 // the standard library's, for comparison
	dists          []actDist
	bound          float64 // the documented bound in ulps, for normal results
	subnormalBound float64 // likewise for results below 2^-1022
}

var actFuncs = []actFunc{
	{"Tanh", Tanh, TanhScalar, tanhGo, func(x float64) (dd, int) { return tanhRef(x), 0 }, math.Tanh, tanhDists, 0.54, 0.5},
	{"Sigmoid", Sigmoid, SigmoidScalar, sigmoidGo, sigmoidRef, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, sigmoidDists, 0.54, 0.76},
	{"Exp", Exp, ExpScalar, ExpScalar, expRef, math.Exp, expDists, 0.54, 0.76},
}

// actStats accumulates errors.
type actStats struct {
	n, notRounded int
	worst         [2]float64 // normal, subnormal results
	worstX        [2]float64
	worstStd      float64
	worstStdX     float64
	stdDiff       [4]int // ulps between our result and the standard library's: 0, 1, 2, more
}

func (st *actStats) String() string {
	return fmt.Sprintf("%d values: max error %.4f ulp (at %v), %.4f ulp where subnormal (at %v), %d not correctly rounded; "+
		"standard library: max %.4f ulp (at %v), differs by 0/1/2/more ulps on %v",
		st.n, st.worst[0], st.worstX[0], st.worst[1], st.worstX[1], st.notRounded, st.worstStd, st.worstStdX, st.stdDiff)
}

// measure adds the errors of f on xs to st.
func (f actFunc) measure(t *testing.T, st *actStats, xs []float64) {
	got := make([]float64, len(xs))
	f.slice(got, xs)
	for i, x := range xs {
		if math.IsNaN(x) {
			if !math.IsNaN(got[i]) {
				t.Errorf("%s(NaN) = %v", f.name, got[i])
			}
			continue
		}
		std := f.std(x)
		if math.IsInf(std, 1) && math.IsInf(got[i], 1) {
			continue // exp overflow
		}
		v, e := f.ref(x)
		st.n++
		err := ulpErr(got[i], v, e)
		sub := 0
		if math.Abs(math.Ldexp(v.hi, e)) < 0x1p-1022 {
			sub = 1
		}
		if err > st.worst[sub] {
			st.worst[sub], st.worstX[sub] = err, x
		}
		if err > 0.5 {
			st.notRounded++
		}
		if err := ulpErr(std, v, e); err > st.worstStd {
			st.worstStd, st.worstStdX = err, x
		}
		st.stdDiff[min(ulpDist(got[i], std), 3)]++
	}
}

// TestActAccuracy measures the error of each function against the
// reference on the special values and a fixed-seed sample (100000
// values per distribution, or VLEC_ACT_SAMPLES), fails above the
// documented bounds, and logs how often the standard library's result
// differs.
func TestActAccuracy(t *testing.T) {
	n := actSamples(t, 100000)
	if testing.Short() {
		n /= 10
	}
	for _, f := range actFuncs {
		t.Run(f.name, func(t *testing.T) {
			var all actStats
			f.measure(t, &all, actSpecials())
			r := rand.New(rand.NewPCG(1, 2))
			for _, d := range f.dists {
				xs := make([]float64, n)
				for i := range xs {
					xs[i] = d.gen(r)
				}
				var st actStats
				f.measure(t, &st, xs)
				t.Logf("%s, %s: %v", f.name, d.name, &st)
				f.measure(t, &all, xs)
			}
			t.Logf("%s, all: %v", f.name, &all)
			if all.worst[0] > f.bound {
				t.Errorf("%s: max error %.4f ulp at %v (bits 0x%x), above the documented %.2f",
					f.name, all.worst[0], all.worstX[0], math.Float64bits(all.worstX[0]), f.bound)
			}
			if all.worst[1] > f.subnormalBound {
				t.Errorf("%s: max error %.4f ulp at %v (bits 0x%x) on a subnormal result, above the documented %.2f",
					f.name, all.worst[1], all.worstX[1], math.Float64bits(all.worstX[1]), f.subnormalBound)
			}
		})
	}
}

// TestActSpecialValues checks the values the functions must give
// exactly.
func TestActSpecialValues(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	negZero := math.Copysign(0, -1)
	same := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
	}
	for _, c := range []struct {
		name string
		f    func(float64) float64
		x    float64
		want float64
	}{
		{"Tanh", TanhScalar, 0, 0}, {"Tanh", TanhScalar, negZero, negZero},
		{"Tanh", TanhScalar, inf, 1}, {"Tanh", TanhScalar, -inf, -1}, {"Tanh", TanhScalar, nan, nan},
		{"Tanh", TanhScalar, 5e-324, 5e-324}, {"Tanh", TanhScalar, -1e-310, -1e-310},
		{"Tanh", TanhScalar, 1e300, 1}, {"Tanh", TanhScalar, -800, -1},
		{"Sigmoid", SigmoidScalar, inf, 1}, {"Sigmoid", SigmoidScalar, -inf, 0},
		{"Sigmoid", SigmoidScalar, 0, 0.5}, {"Sigmoid", SigmoidScalar, negZero, 0.5},
		{"Sigmoid", SigmoidScalar, 800, 1}, {"Sigmoid", SigmoidScalar, -800, 0}, {"Sigmoid", SigmoidScalar, nan, nan},
		{"Exp", ExpScalar, 0, 1}, {"Exp", ExpScalar, negZero, 1}, {"Exp", ExpScalar, inf, inf},
		{"Exp", ExpScalar, -inf, 0}, {"Exp", ExpScalar, 710, inf}, {"Exp", ExpScalar, -800, 0},
		{"Exp", ExpScalar, nan, nan}, {"Exp", ExpScalar, 1e-300, 1},
	} {
		if got := c.f(c.x); !same(got, c.want) {
			t.Errorf("%sScalar(%v) = %v, want %v", c.name, c.x, got, c.want)
		}
	}
	// Saturation: tanh is exactly ±1 wherever math.Tanh is, and the
	// sign of tiny arguments survives.
	for x := 18.0; x < 25; x += 1.0 / 1024 {
		for _, y := range []float64{x, -x} {
			if got, want := TanhScalar(y), math.Tanh(y); (math.Abs(want) == 1) != (math.Abs(got) == 1) {
				t.Errorf("TanhScalar(%v) = %v, math.Tanh %v: saturation differs", y, got, want)
			}
		}
	}
	for _, x := range []float64{5e-324, 1e-320, 2.2250738585072014e-308, 1e-200, 1e-20} {
		if got := TanhScalar(-x); got != -x {
			t.Errorf("TanhScalar(%v) = %v, want the argument", -x, got)
		}
	}
	// Sigmoid is monotone across the subnormal range and its exponent
	// changes.
	prev := 0.0
	for x := -746.0; x < -700; x += 0.01 {
		if got := SigmoidScalar(x); got < prev {
			t.Fatalf("SigmoidScalar(%v) = %v < %v at the previous argument", x, got, prev)
		} else {
			prev = got
		}
	}
	// NaN payloads survive.
	p := math.Float64frombits(0x7ff8dead0000beef)
	for _, f := range actFuncs {
		if got := f.scalar(p); math.Float64bits(got) != math.Float64bits(p) {
			t.Errorf("%sScalar(NaN 0x%x) = 0x%x", f.name, math.Float64bits(p), math.Float64bits(got))
		}
	}
}

// TestTanhGrid checks the table path of Tanh where it changes entries:
// every grid point, the ties halfway between two (where Veltkamp's
// splitting must round to even, as tanhIndex of the integer rounding
// the assembly and tanhGo rely on does not see), their neighbours and
// the powers of two, either sign. Tanh (the assembly, on a whole slice
// of them), TanhScalar (which leaves the ties to tanhGo) and tanhGo must
// give the same bits, within the documented error of the reference.
func TestTanhGrid(t *testing.T) {
	var xs []float64
	for j := range tanhEntries {
		c := tanhGridPoint(j)
		if c > tanhBig {
			continue
		}
		_, e := math.Frexp(c)
		h := math.Ldexp(1, e-6) // half the spacing above c
		for _, y := range []float64{c, c + h, c - h/2, c + h/2, c + h/4, c - h/4} {
			for d := -3; d <= 3; d++ {
				x := math.Float64frombits(math.Float64bits(y) + uint64(d))
				xs = append(xs, x, -x)
			}
		}
		// Veltkamp's splitting at the tie above c: to even.
		tie := c + h
		g := float64(tie * tanhSplit) // not fused into the next line
		hi := g + (tie - g)
		k := int(math.Float64bits(c) >> 48 & 15) // c's last significant bit
		want := c
		if k&1 == 1 {
			want = c + 2*h
		}
		if hi != want {
			t.Errorf("Veltkamp's splitting of %v (halfway above %v) = %v, want %v", tie, c, hi, want)
		}
	}
	got := make([]float64, len(xs))
	Tanh(got, xs)
	bad := 0
	worst, worstX := 0.0, 0.0
	for i, x := range xs {
		s, g := TanhScalar(x), tanhGo(x)
		if math.Float64bits(s) != math.Float64bits(got[i]) || math.Float64bits(g) != math.Float64bits(got[i]) {
			if bad++; bad <= 10 {
				t.Errorf("x = %v (0x%x): Tanh %v, TanhScalar %v, tanhGo %v", x, math.Float64bits(x), got[i], s, g)
			}
		}
		if err := ulpErr(got[i], tanhRef(x), 0); err > worst {
			worst, worstX = err, x
		}
	}
	t.Logf("%d arguments near the grid: max error %.4f ulp (at %v)", len(xs), worst, worstX)
	if worst > actFuncs[0].bound {
		t.Errorf("max error %.4f ulp at %v, above the documented %.2f", worst, worstX, actFuncs[0].bound)
	}
}

// TestActPathsAgree runs the slice functions (the assembly where the CPU
// runs it) and the scalar Go code on the same arguments, millions of
// them, and requires the same bits. It also checks lengths 0..40 at
// every alignment, in place and not, with guards around dst.
func TestActPathsAgree(t *testing.T) {
	if !actAVX512 {
		t.Logf("no AVX-512 here (asm built: %v): the slice functions run the Go code; checking lengths only", actAsm)
	}
	n := actSamples(t, 400000)
	if testing.Short() {
		n /= 10
	}
	for _, f := range actFuncs {
		t.Run(f.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			var xs []float64
			xs = append(xs, actSpecials()...)
			for _, dists := range [][]actDist{tanhDists, sigmoidDists, expDists} {
				for _, d := range dists {
					for range n / len(dists) {
						xs = append(xs, d.gen(r))
					}
				}
			}
			for range n {
				xs = append(xs, math.Float64frombits(r.Uint64())) // any bits
			}
			got := make([]float64, len(xs))
			f.slice(got, xs)
			bad := 0
			for i, x := range xs {
				want := f.scalar(x)
				if math.Float64bits(got[i]) != math.Float64bits(want) {
					if bad++; bad <= 10 {
						t.Errorf("%s(%v = 0x%x) = %v (0x%x), %sScalar %v (0x%x)", f.name, x, math.Float64bits(x),
							got[i], math.Float64bits(got[i]), f.name, want, math.Float64bits(want))
					}
				}
				if tw := f.twin(x); math.Float64bits(tw) != math.Float64bits(want) {
					if bad++; bad <= 10 {
						t.Errorf("%sScalar(%v = 0x%x) = %v (0x%x), its Go code %v (0x%x)", f.name, x, math.Float64bits(x),
							want, math.Float64bits(want), tw, math.Float64bits(tw))
					}
				}
			}
			if bad > 0 {
				t.Fatalf("%s: %d of %d values differ from %sScalar", f.name, bad, len(xs), f.name)
			}
			t.Logf("%s: %d values, the same bits as %sScalar and its Go code (assembly: %v, scalar assembly for Sigmoid: %v)",
				f.name, len(xs), f.name, actAVX512, actFMA)

			// Lengths, alignments, in place, guards.
			const guard = 12345.5
			for length := 0; length <= 40; length++ {
				for off := 0; off < 8; off++ {
					src := xs[1000*length+off : 1000*length+off+length]
					buf := make([]float64, length+off+9)
					for i := range buf {
						buf[i] = guard
					}
					dst := buf[off : off+length]
					f.slice(dst, src)
					inPlace := append([]float64(nil), src...)
					f.slice(inPlace, inPlace)
					for i := range buf {
						if i >= off && i < off+length {
							want := f.scalar(src[i-off])
							if math.Float64bits(buf[i]) != math.Float64bits(want) || math.Float64bits(inPlace[i-off]) != math.Float64bits(want) {
								t.Fatalf("%s, length %d offset %d: dst[%d] = %v, in place %v, want %v", f.name, length, off, i-off, buf[i], inPlace[i-off], want)
							}
						} else if buf[i] != guard {
							t.Fatalf("%s, length %d offset %d: wrote outside dst at %d", f.name, length, off, i-off)
						}
					}
				}
			}
			// dst longer than src: only len(src) values written; shorter: panic.
			dst := []float64{guard, guard, guard}
			f.slice(dst, xs[:2])
			if dst[2] != guard {
				t.Errorf("%s wrote past len(src)", f.name)
			}
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s with a short dst did not panic", f.name)
					}
				}()
				f.slice(make([]float64, 2), xs[:3])
			}()
		})
	}
}

// ---- benchmarks ----

// benchArgs returns n arguments of a network's activations: normal with
// standard deviation 1.5 (about a fifth of them below tanhSmall).
func benchArgs(n int) []float64 {
	r := rand.New(rand.NewPCG(5, 6))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = 1.5 * r.NormFloat64()
	}
	return xs
}

var benchSizes = []int{1, 8, 100, 1000, 32 * 100}

// benchAct runs f over n arguments and reports ns per element.
func benchAct(b *testing.B, n int, f func(dst, src []float64)) {
	src := benchArgs(n)
	dst := make([]float64, n)
	b.ResetTimer()
	for range b.N {
		f(dst, src)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
}

func loopOf(f func(float64) float64) func(dst, src []float64) {
	return func(dst, src []float64) {
		for i, x := range src {
			dst[i] = f(x)
		}
	}
}

// BenchmarkTanh compares Tanh (the assembly where the CPU runs it), a
// loop of TanhScalar (the Go path) and a loop of math.Tanh.
func BenchmarkTanh(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("kern/n=%d", n), func(b *testing.B) { benchAct(b, n, Tanh) })
		b.Run(fmt.Sprintf("go/n=%d", n), func(b *testing.B) { benchAct(b, n, loopOf(TanhScalar)) })
		b.Run(fmt.Sprintf("math/n=%d", n), func(b *testing.B) { benchAct(b, n, loopOf(math.Tanh)) })
	}
}

// BenchmarkSigmoid compares Sigmoid with 1/(1 + math.Exp(-x)).
func BenchmarkSigmoid(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("kern/n=%d", n), func(b *testing.B) { benchAct(b, n, Sigmoid) })
		b.Run(fmt.Sprintf("go/n=%d", n), func(b *testing.B) { benchAct(b, n, loopOf(SigmoidScalar)) })
		b.Run(fmt.Sprintf("math/n=%d", n), func(b *testing.B) {
			benchAct(b, n, loopOf(func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }))
		})
	}
}

// BenchmarkExp compares Exp with math.Exp.
func BenchmarkExp(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("kern/n=%d", n), func(b *testing.B) { benchAct(b, n, Exp) })
		b.Run(fmt.Sprintf("go/n=%d", n), func(b *testing.B) { benchAct(b, n, loopOf(ExpScalar)) })
		b.Run(fmt.Sprintf("math/n=%d", n), func(b *testing.B) { benchAct(b, n, loopOf(math.Exp)) })
	}
}

var benchSink float64

// BenchmarkTanhScalar compares TanhScalar, tanhGo (Tanh's algorithm as
// written) and math.Tanh, one call at a time (the size-1 loops of
// generated code).
func BenchmarkTanhScalar(b *testing.B) {
	xs := benchArgs(1024)
	for _, c := range []struct {
		name string
		f    func(float64) float64
	}{{"kern", TanhScalar}, {"go", tanhGo}, {"math", math.Tanh}} {
		b.Run(c.name, func(b *testing.B) {
			s := 0.0
			for i := range b.N {
				s += c.f(xs[i&1023])
			}
			benchSink = s
		})
	}
}

// BenchmarkSigmoidScalar compares SigmoidScalar (sigmoidFMA where the
// CPU runs it), its Go code sigmoidGo and 1/(1 + math.Exp(-x)), one call
// at a time.
func BenchmarkSigmoidScalar(b *testing.B) {
	xs := benchArgs(1024)
	for _, c := range []struct {
		name string
		f    func(float64) float64
	}{{"kern", SigmoidScalar}, {"go", sigmoidGo}, {"math", func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }}} {
		b.Run(c.name, func(b *testing.B) {
			s := 0.0
			for i := range b.N {
				s += c.f(xs[i&1023])
			}
			benchSink = s
		})
	}
}

// BenchmarkTanhScalarLatency measures TanhScalar, tanhGo and math.Tanh
// on a chain of dependent calls, each argument computed from the
// previous result, as in a network's step (tanh, error, membrane, tanh
// of the next step): ns/op is the latency of one call, a product and a
// sum. "steady": x = f(0.9 x + 0.3)
// settles at a fixed point (x = 0.75: one branch, one table entry, as a
// slowly moving membrane); "small": x = f(0.5 x + 0.05) settles at
// 0.099, below tanhSmall; "varied": x = f(0.5 x + xs[i]) with xs normal
// of standard deviation 1.5, about one argument in fifteen below
// tanhSmall (the branches mispredicted now and then).
func BenchmarkTanhScalarLatency(b *testing.B) {
	xs := benchArgs(1024)
	for _, c := range []struct {
		name string
		f    func(float64) float64
	}{{"kern", TanhScalar}, {"go", tanhGo}, {"math", math.Tanh}} {
		b.Run("steady/"+c.name, func(b *testing.B) {
			x := 0.3
			for range b.N {
				x = c.f(float64(x*0.9) + 0.3)
			}
			benchSink = x
		})
		b.Run("small/"+c.name, func(b *testing.B) {
			x := 0.3
			for range b.N {
				x = c.f(float64(x*0.5) + 0.05)
			}
			benchSink = x
		})
		b.Run("varied/"+c.name, func(b *testing.B) {
			x := 0.3
			for i := range b.N {
				x = c.f(float64(x*0.5) + xs[i&1023])
			}
			benchSink = x
		})
	}
}
