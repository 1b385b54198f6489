package kern

import "math"

// Activation functions: Tanh, Sigmoid and Exp over slices (AVX-512
// assembly in act_amd64.s where the CPU runs it, else the Go code) and
// TanhScalar, SigmoidScalar and ExpScalar, the Go code for one value
// (TanhScalar runs scalar assembly where the CPU has AVX and FMA).
// The algorithm and its accuracy are documented on Tanh; expdd holds
// the exponential all three share. Each Go statement below is one IEEE
// operation (math.FMA for a fused one, float64(x*y) for a product that
// must not be fused into a following addition, as the Go compiler may
// do on arm64, ppc64, s390x, riscv64 or with GOAMD64=v3), in the order
// act_amd64.s performs them.

// Constants shared by the Go code and the assembly (act_amd64.s reads
// actConst; the offsets there follow this order).
const (
	actOne        = 1.0
	tanhSmall     = 0.25 // |x| below: the polynomial of Tanh
	tanhBig       = 22   // |x| clamped to: tanh rounds to ±1 from 19.06 on
	actMinusTwo   = -2.0
	invLn2        = 1.4426950408889634     // 1/ln 2 rounded
	ln2Hi         = 0.6931471805599453     // ln 2 rounded
	ln2Lo         = 2.3190468138462996e-17 // ln 2 - ln2Hi rounded
	sigmoidBig    = 746                    // |x| clamped to: e^-746 rounds to 0
	expMax        = 710                    // x clamped to: e^710 overflows
	expMin        = -746                   // x clamped to: e^-746 rounds to 0
	actSignMask   = 1 << 63
	tanhR0Lo      = 2.3263479717084675e-17 // R(0) - tanhR[0]: the constant term in two parts
	actExpTerms   = 10                     // coefficients of P (degree 9) in e^r = 1 + r + r^2/2 + r^3 P(r)
	actTanhDegree = 7                      // degree of R in tanh x = x + x^3 R(x^2)
)

// expP holds 1/2 and then the coefficients of P, constant term first:
// a minimax fit of (e^r - 1 - r - r^2/2)/r^3 weighted by |r|^3 on
// |r| <= ln(2)/2 (Remez exchange in 60-digit arithmetic), absolute error
// of r^3 P(r) below 2^-60 with the coefficients rounded to float64.
var expP = [actExpTerms + 1]float64{
	0.5,
	0.16666666666666682,
	0.0416666666666667,
	0.008333333333316857,
	0.0013888888888865156,
	0.00019841269896821607,
	2.480158736513328e-05,
	2.7557234435864527e-06,
	2.7557238643384694e-07,
	2.5112179901555506e-08,
	2.0925690799729706e-09,
}

// tanhR are the coefficients of R, constant term first: a minimax fit
// of (tanh x - x)/x^3 as a function of s = x^2 on s <= 0.25^2, weighted
// by x^3/tanh x (relative error of the result), below 2^-64 with the
// coefficients rounded and the constant term in two parts (tanhR[0] +
// tanhR0Lo).
var tanhR = [actTanhDegree + 1]float64{
	-0.3333333333333333,
	0.13333333333331165,
	-0.05396825396440329,
	0.021869488205183835,
	-0.008863219771401682,
	0.003591689826973591,
	-0.0014487343440710676,
	0.00052749075810343,
}

// actConst is the table act_amd64.s broadcasts its constants from: the
// constants above, the masks, P and R. Its layout is fixed by the
// #defines at the top of act_amd64.s.
var actConst = func() (c [14 + actExpTerms + 1 + actTanhDegree + 1 + 1]float64) {
	copy(c[:], []float64{actOne, tanhSmall, tanhBig, actMinusTwo, invLn2, ln2Hi, ln2Lo,
		sigmoidBig, expMax, expMin,
		math.Float64frombits(actSignMask - 1), math.Float64frombits(actSignMask), 0, tanhR0Lo})
	copy(c[14:], expP[:])
	copy(c[14+actExpTerms+1:], tanhR[:])
	c[len(c)-1] = actMinusTwo * invLn2 // exact: for tanhFMA
	return c
}()

// actAsmMin is the length from which the slice functions run the
// assembly: for one or two values the Go code is as fast, and it avoids
// the masked store of a partial vector (whose masked-off bytes make a
// later load of a neighbouring buffer wait for it).
const actAsmMin = 3

// Tanh sets dst[i] = tanh(src[i]) for every i < len(src). dst and src
// may be the same slice but must not otherwise overlap. It panics if
// dst is shorter than src.
//
// # Algorithm
//
// For |x| < 0.25: tanh x = x + x^3 R(x^2), R a degree-7 minimax
// polynomial (relative error of the result below 2^-64, its constant
// term in two parts), evaluated by Horner with fused multiply-adds and
// finished by one fused multiply-add, |x| + (|x| x^2) R, so that the
// rounding errors only touch the correction (at most 2% of the result).
//
// For |x| >= 0.25 (clamped to 22, beyond which tanh rounds to ±1, as
// from 19.06 on), T = e^(-2|x|) as a double-double, from the
// exponential every function here shares: e^y = 2^k (1 + r + r^2/2 +
// r^3 P(r)), k = RoundToEven(y/ln 2), r = y - k ln 2 reduced exactly
// (one fused multiply-subtract with ln 2 rounded, then ln 2's next 53
// bits), P a degree-9 minimax polynomial on |r| <= ln(2)/2 (error below
// 2^-60) evaluated by Estrin's scheme, the terms summed with error-free
// transformations into a double-double of about 59 correct bits. Then
// D = 1 + T (a double-double again) and tanh |x| = 2/D - 1: the
// reciprocal 1/D_h, corrected by its residual 1 - D/D_h computed with
// fused multiply-adds, and rounded once at the very end (2/D_h - 1 is
// exact there). The sign of x is copied onto the result; NaN gives NaN
// (x + x), ±0 gives ±0, ±Inf gives ±1.
//
// # Accuracy
//
// Against a double-double reference (about 100 correct bits, from
// Taylor series: TestActAccuracy), on 16 million arguments from
// 1e-300 to 800, uniform and log-uniform, and clustered around 0.25,
// 0.625 and 19.06 (VLEC_ACT_SAMPLES=2000000), the largest error is
// 0.534 ulp (near |x| = 0.25), so every result is the correctly rounded
// value or, for about 1 argument in 1000 (1 in 200 close to 0.25), a
// neighbour of it. math.Tanh errs by up to 1.49 ulp (near 0.625, where
// it switches formulas); Tanh differs from it by one ulp on 4.4% of
// those arguments (12% of uniform ones in [-1, 1], 20% of those near
// 0.625), never by more; both give exactly ±1 from |x| = 19.06 on.
//
// # Paths
//
// On amd64 with AVX-512F (and the operating system saving its
// registers), Tanh runs assembly on eight values per ZMM register: the
// same operations in the same order as TanhScalar, the fused
// multiply-adds of math.FMA as VFMADD/VFNMADD/VFMSUB, RoundToEven as
// VRNDSCALEPD, the scaling by 2^k as VSCALEFPD, the two branches as
// opmask blends (a vector runs the polynomial only if one of its lanes
// is below 0.25, the exponential only if one is not), a last partial
// vector as the last eight values again, fewer than eight values with
// masked loads and stores, one or two with the Go code. Each step
// being one correctly rounded IEEE operation on both paths, the
// results are the same bits on every CPU and architecture
// (TestActPathsAgree compares them on millions of arguments).
// Elsewhere Tanh runs TanhScalar in a loop.
//
// vlec's two back ends are to compute tanh, sigmoid and exp through
// these functions, the interpreter's entrywise tapes and generated code
// alike (Tanh over rows, TanhScalar for single entries), so that they
// agree bit for bit on activations, whichever path each runs.
//
// On the development machine (2-core AMD EPYC with AVX-512, shared with
// other jobs, best of 6 runs of BenchmarkTanh), Tanh takes 1.4 to 1.9
// ns per value from 100 values on, 5 to 7 times less than a loop of
// math.Tanh (9.4 to 13 ns); 2.2 ns for 8 values. TanhScalar, one call
// at a time (BenchmarkTanhScalar, best of 6), takes 9.5 ns with the
// scalar assembly (AVX and FMA), 14 ns as Go code (tanhGo), math.Tanh
// 9.7 ns; in a chain of dependent calls, where the latency of the
// operations rules, 29 and 31 ns.
func Tanh(dst, src []float64) {
	dst = dst[:len(src)]
	if actAVX512 && len(src) >= actAsmMin {
		tanhAVX512(&dst[0], &src[0], len(src))
		return
	}
	for i, x := range src {
		dst[i] = TanhScalar(x)
	}
}

// Sigmoid sets dst[i] = 1/(1 + exp(-src[i])) for every i < len(src).
// dst and src may be the same slice but must not otherwise overlap. It
// panics if dst is shorter than src.
//
// With T = e^-|x| = 2^k E from the exponential of Tanh (|x| clamped to
// 746, beyond which the result is 0 or 1), D = 1 + T as a double-double
// and a quotient rounded once: 1/D for x >= 0, E/D for x < 0, scaled by
// 2^k only after rounding, so nothing overflows and results keep their
// accuracy into the subnormal range. The largest error measured (as
// for Tanh, on 10 million arguments) is 0.533 ulp; where the result is
// subnormal (x < -708.4) the final scaling rounds a second time, 0.756
// ulp at most. sigmoid(-Inf) = 0, sigmoid(+Inf) = 1, NaN gives NaN. On
// AVX-512 it runs assembly with the same bits as SigmoidScalar, as Tanh
// does.
func Sigmoid(dst, src []float64) {
	dst = dst[:len(src)]
	if actAVX512 && len(src) >= actAsmMin {
		sigmoidAVX512(&dst[0], &src[0], len(src))
		return
	}
	for i, x := range src {
		dst[i] = SigmoidScalar(x)
	}
}

// Exp sets dst[i] = exp(src[i]) for every i < len(src). dst and src may
// be the same slice but must not otherwise overlap. It panics if dst is
// shorter than src.
//
// e^x = 2^k (eh + el), the double-double of Tanh's exponential rounded
// once and then scaled (x clamped to [-746, 710], beyond which e^x
// rounds to 0 or overflows to +Inf). The largest error measured (as for
// Tanh, on 10 million arguments) is 0.533 ulp, 0.753 ulp where the
// result is subnormal (x < -708.4, rounded twice). math.Exp errs by up
// to 1.9 ulp, and on amd64 overflows to +Inf from about 709.4 instead of
// 709.78. On AVX-512 it runs assembly with the same bits as ExpScalar,
// as Tanh does.
func Exp(dst, src []float64) {
	dst = dst[:len(src)]
	if actAVX512 && len(src) >= actAsmMin {
		expAVX512(&dst[0], &src[0], len(src))
		return
	}
	for i, x := range src {
		dst[i] = ExpScalar(x)
	}
}

// TanhScalar returns tanh(x), the same bits as Tanh computes for x: the
// Go form of Tanh's algorithm, for one value (generated code calls it
// for single entries, where math.Tanh would differ from the
// interpreter's Tanh in the last bit now and then).
//
// On amd64 with AVX and FMA it runs tanhFMA, the same operations in
// assembly on one XMM register; elsewhere tanhGo.
func TanhScalar(x float64) float64 {
	if actFMA {
		return tanhFMA(x)
	}
	return tanhGo(x)
}

// tanhGo is TanhScalar in Go: the operations of Tanh's algorithm, one
// IEEE operation per statement.
func tanhGo(x float64) float64 {
	a := math.Abs(x)
	if a < tanhSmall {
		s := float64(a * a)
		r := tanhR[actTanhDegree]
		for i := actTanhDegree - 1; i >= 1; i-- {
			r = math.FMA(r, s, tanhR[i])
		}
		r = math.FMA(r, s, tanhR0Lo) + tanhR[0]
		return math.Copysign(math.FMA(float64(a*s), r, a), x)
	}
	if x != x {
		return x + x
	}
	if a > tanhBig {
		a = tanhBig
	}
	k, eh, el := expdd(float64(a * actMinusTwo))
	th, tl := scalef(eh, k), scalef(el, k)
	dh := 1 + th
	dl := ((1 - dh) + th) + tl
	// tanh a = 2/D - 1: 1/D = inv (1 + rho) to second order, and
	// 2 inv - 1 is exact (2 inv is in (1, 2]).
	inv := 1 / dh
	rho := math.FMA(-inv, dl, math.FMA(-inv, dh, 1))
	i2 := inv + inv
	return math.Copysign(math.FMA(rho, i2, i2-1), x)
}

// SigmoidScalar returns 1/(1 + exp(-x)), the same bits as Sigmoid
// computes for x.
//
// On amd64 with AVX and FMA it runs sigmoidFMA for |x| <= sigmoidFMAMax
// (the same operations in assembly), elsewhere sigmoidGo.
func SigmoidScalar(x float64) float64 {
	if actFMA && math.Abs(x) <= sigmoidFMAMax {
		return sigmoidFMA(x)
	}
	return sigmoidGo(x)
}

// sigmoidFMAMax is the largest |x| sigmoidFMA takes: below it, k >=
// -1010 and no scaling by 2^k needs scalef's two steps.
const sigmoidFMAMax = 700

// sigmoidGo is SigmoidScalar in Go.
func sigmoidGo(x float64) float64 {
	if x != x {
		return x + x
	}
	a := math.Abs(x)
	if a > sigmoidBig {
		a = sigmoidBig
	}
	k, eh, el := expdd(-a)
	th, tl := scalef(eh, k), scalef(el, k)
	dh := 1 + th
	dl := ((1 - dh) + th) + tl
	nh, nl, kn := 1.0, 0.0, 0.0
	if x < 0 {
		nh, nl, kn = eh, el, k
	}
	return scalef(quotient(nh, nl, dh, dl), kn)
}

// ExpScalar returns exp(x), the same bits as Exp computes for x.
func ExpScalar(x float64) float64 {
	if x != x {
		return x + x
	}
	if x > expMax {
		x = expMax
	}
	if x < expMin {
		x = expMin
	}
	k, eh, el := expdd(x)
	return scalef(eh+el, k)
}

// expdd returns k (an integer), eh and el with e^y = 2^k (eh + el) to
// about 2^-60 relative, for |y| <= 746: k = RoundToEven(y/ln 2),
// r = y - k ln 2 = rh + rl (|r| <= ln(2)/2 + 2^-40),
// eh + el = 1 + r + r^2/2 + r^3 P(r) with |el| about ulp(eh)/2 at most.
// Each step is one IEEE operation, in the order act_amd64.s follows.
func expdd(y float64) (k, eh, el float64) {
	k = math.RoundToEven(float64(y * invLn2))
	// y - k ln2Hi is exact: a multiple of 2^-54 below 2^-1 in magnitude
	// (or y itself when k = 0).
	sr := math.FMA(-k, ln2Hi, y)
	c := float64(k * ln2Lo)
	rh := sr - c
	rl := (sr - rh) - c
	r2 := float64(rh * rh)
	r2l := math.FMA(rh, rh, -r2) // rh^2 = r2 + r2l exactly
	r3 := float64(r2 * rh)
	r4 := float64(r2 * r2)
	// P(rh) by Estrin's scheme.
	a0 := math.FMA(expP[2], rh, expP[1])
	a1 := math.FMA(expP[4], rh, expP[3])
	a2 := math.FMA(expP[6], rh, expP[5])
	a3 := math.FMA(expP[8], rh, expP[7])
	a4 := math.FMA(expP[10], rh, expP[9])
	b0 := math.FMA(a1, r2, a0)
	b1 := math.FMA(a3, r2, a2)
	p := math.FMA(math.FMA(a4, r4, b1), r4, b0)
	// t = r^3 P(r) + rl (1 + rh) + r2l/2, the terms below 2^-7
	t := math.FMA(r3, p, math.FMA(r2l, expP[0], math.FMA(rh, rl, rl)))
	h := float64(r2 * expP[0])
	s1 := rh + h
	e1 := h - (s1 - rh) // rh + h = s1 + e1 exactly
	s2 := s1 + t
	e2 := t - (s2 - s1) // s1 + t = s2 + e2 exactly
	eh = 1 + s2
	el = ((1 - eh) + s2) + (e1 + e2) // 1 + s2 = eh + (1 - eh + s2) exactly
	return k, eh, el
}

// quotient returns (nh + nl)/(dh + dl) rounded once at the end: q =
// nh/dh (through the reciprocal), then q + (nh - q dh + nl - q dl)/dh.
func quotient(nh, nl, dh, dl float64) float64 {
	inv := 1 / dh
	q := float64(nh * inv)
	rho := math.FMA(-q, dh, nh) + math.FMA(-q, dl, nl)
	return math.FMA(rho, inv, q)
}

// scalef returns v 2^k, rounded once, for an integer k in [-1100, 1100]
// and |v| < 2: what VSCALEFPD computes (the product is exact unless it
// is subnormal or overflows, and v 2^-64 below is exact for the v that
// reach it, which are 0 or above 2^-900).
func scalef(v, k float64) float64 {
	n := int(k)
	switch {
	case n > 1023:
		v = float64(v * 0x1p1023)
		n -= 1023
	case n < -1022:
		v = float64(v * 0x1p-64)
		n += 64
	}
	return v * math.Float64frombits(uint64(n+1023)<<52)
}
