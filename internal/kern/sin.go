package kern

import "math"

// Sine over slices: Sin computes math.Sin of every value, the same bits
// as math.Sin (the interpreter's sine), eight values per instruction
// with AVX-512 (sin_amd64.s).
//
// math.Sin (pure Go on amd64, GOROOT/src/math/sin.go) computes, for
// finite |x| < 2^29 (a = |x|): j = uint64(a * (4/Pi)), made even by
// rounding an odd j up (y = float64(j)); z = ((a - y PI4A) - y PI4B) -
// y PI4C with Pi/4 split into three parts; zz = z z; for j mod 8 in {2,
// 6} the cosine polynomial (1 - 0.5 zz) + (zz zz) C(zz), else the sine
// polynomial z + (z zz) S(zz), C and S of degree 5 by Horner's rule
// (c0 zz + c1) zz + ...; negated if x < 0 xor j mod 8 >= 4. Each
// operation is one IEEE operation, rounded to nearest, in that order.
// It reduces |x| >= 2^29 by Payne-Hanek (trigReduce), returns x for ±0
// and NaN, and NaN for ±Inf.
//
// sinAVX512 does the same operations in the same order on eight lanes,
// with both polynomials merged into one Horner chain whose coefficients
// are chosen per lane (the cosine's or the sine's), the final sum as a
// + (b zz) P with a = 1 - 0.5 zz, b = zz for the cosine and a = z, b =
// z for the sine (products and sums commute exactly), and the sign
// applied as an exclusive or of the sign bit (which is what negation
// does; it also gives sin(±0) = ±0, the polynomial of +0 being +0). It
// takes j from the truncated product as a float64 (VRNDSCALEPD), its
// bits from j + 2^52 (exact below 2^52). Lanes with |x| >= 2^29 or NaN
// (±Inf included) are not stored: Sin redoes them with math.Sin.
//
// When Go is built with GOAMD64=v3 or above, the compiler fuses the
// last multiply-add of each of math.Sin's polynomials (the product of
// zz zz or z zz with the polynomial, and the sum) into one FMA, which
// changes the result's last bit now and then; sinAVX512FMA computes
// that variant. Which of the two math.Sin is, Sin finds out at
// initialisation (sinMode: both are run on sinProbes, and the one that
// gives math.Sin's bits on every probe is used); if neither does, as
// with a compiler that fused other operations, Sin calls math.Sin.

// sinConst is the table sin_amd64.s broadcasts its constants from (the
// offsets there follow this order): masks, 4/Pi, 2^52, the integers 1,
// ^1 and 2 (as bits), the three parts of Pi/4, 0.5, 1, 2^29 and then
// the coefficients of S and of C, the highest degree first.
var sinConst = [13 + 2*6]float64{
	math.Float64frombits(1<<63 - 1), // |x| mask
	4 / math.Pi,
	0x1p52,
	math.Float64frombits(1),
	math.Float64frombits(^uint64(1)),
	math.Float64frombits(2),
	math.Float64frombits(1 << 63),            // sign mask
	math.Float64frombits(0x3fe921fb40000000), // Pi/4: first part
	math.Float64frombits(0x3e64442d00000000), // second part
	math.Float64frombits(0x3ce8469898cc5170), // third part
	0.5,
	1,
	1 << 29, // math's reduceThreshold
	// S: sin z = z + z^3 S(z^2)
	math.Float64frombits(0x3de5d8fd1fd19ccd),
	math.Float64frombits(0xbe5ae5e5a9291f5d),
	math.Float64frombits(0x3ec71de3567d48a1),
	math.Float64frombits(0xbf2a01a019bfdf03),
	math.Float64frombits(0x3f8111111110f7d0),
	math.Float64frombits(0xbfc5555555555548),
	// C: cos z = 1 - z^2/2 + z^4 C(z^2)
	math.Float64frombits(0xbda8fa49a0861a9b),
	math.Float64frombits(0x3e21ee9d7b4e3f05),
	math.Float64frombits(0xbe927e4f7eac4bc6),
	math.Float64frombits(0x3efa01a019c844f5),
	math.Float64frombits(0xbf56c16c16c14f91),
	math.Float64frombits(0x3fa555555555554b),
}

// sinReduce is math's reduceThreshold: from it on math.Sin reduces by
// Payne-Hanek, which sinAVX512 leaves to math.Sin.
const sinReduce = 1 << 29

// Sin sets dst[i] = math.Sin(src[i]) for every i < len(src), the same
// bits as math.Sin for every input. dst and src may be the same slice
// but must not otherwise overlap. It panics if dst is shorter than src.
//
// On amd64 with AVX-512F it runs assembly on eight values at a time
// (see sinAVX512 above), and math.Sin for the values of magnitude 2^29
// or more, NaN and ±Inf; elsewhere it calls math.Sin for each value.
//
// On the development machine (2-core AMD EPYC, Zen 5, AVX-512, shared;
// BenchmarkSin on stimulus arguments 2 pi f t + phase near 460, six
// runs, median) Sin takes 0.78 ns per value for 64 values and 0.76 for
// 1024, a loop of math.Sin 5.99 and 6.36: about 7.7 and 8.3 times
// faster.
func Sin(dst, src []float64) {
	dst = dst[:len(src)]
	if sinMode != 0 && len(src) >= actAsmMin {
		var fix bool
		if sinMode == sinModeFMA {
			fix = sinAVX512FMA(&dst[0], &src[0], len(src))
		} else {
			fix = sinAVX512(&dst[0], &src[0], len(src))
		}
		if fix {
			sinFix(dst, src)
		}
		return
	}
	for i, x := range src {
		dst[i] = math.Sin(x)
	}
}

// sinFix sets dst[i] = math.Sin(src[i]) where |src[i]| >= 2^29 or NaN:
// the lanes the assembly did not store (where dst is src, they still
// hold the argument; elsewhere dst holds |sin| <= 1).
func sinFix(dst, src []float64) {
	for i, x := range src {
		if !(math.Abs(x) < sinReduce) {
			dst[i] = math.Sin(x)
		}
	}
}

// The values of sinMode.
const (
	sinModeGo    = 0 // math.Sin per value
	sinModePlain = 1 // sinAVX512
	sinModeFMA   = 2 // sinAVX512FMA
)

// sinProbes returns the arguments sinMode's choice is tested on: eight
// where the plain and fused variants differ (the first eight of the
// form k/1000 + 0.0005, about one in a hundred such numbers differing;
// TestSinModes checks that they do) and 56 spread over [-100, 100].
func sinProbes() (p [64]float64) {
	copy(p[:], []float64{0.2095, 0.4575, 0.4875, 0.5475, 0.6155, 0.6365, 0.6455, 0.6595})
	for i := 8; i < len(p); i++ {
		p[i] = float64(float64(i-36)*3.5699) + 0.0123
	}
	return p
}

// sinChooseMode returns the mode whose assembly gives math.Sin's bits on
// every probe, sinModeGo if none does or the CPU cannot run it.
func sinChooseMode() int {
	if !sinAsm {
		return sinModeGo
	}
	src := sinProbes()
	var got [len(src)]float64
	for _, mode := range []int{sinModePlain, sinModeFMA} {
		if mode == sinModeFMA {
			sinAVX512FMA(&got[0], &src[0], len(src))
		} else {
			sinAVX512(&got[0], &src[0], len(src))
		}
		ok := true
		for i, x := range src {
			if math.Float64bits(got[i]) != math.Float64bits(math.Sin(x)) {
				ok = false
				break
			}
		}
		if ok {
			return mode
		}
	}
	return sinModeGo
}

// sinMode is how Sin computes: sinModeGo, sinModePlain or sinModeFMA.
var sinMode = sinChooseMode()
