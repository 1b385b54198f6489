package kern

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// sinModel is the algorithm of sinAVX512 in Go for |x| < 2^29 (not
// NaN), one IEEE operation per statement: the plain variant, or with
// fused the last multiply-add of the polynomial fused (sinAVX512FMA).
// The tests compare the assembly with it, and it with math.Sin, so that
// both variants are checked whichever of them math.Sin is.
func sinModel(x float64, fused bool) float64 {
	c := &sinConst
	a := math.Abs(x)
	j := uint64(float64(a * c[1]))
	j = (j + 1) &^ 1
	y := float64(j)
	z := a - float64(y*c[7])
	z -= float64(y * c[8])
	z -= float64(y * c[9])
	zz := float64(z * z)
	coef := c[13:19]
	s, b := z, z
	if j&2 != 0 {
		coef = c[19:25]
		s, b = 1-float64(0.5*zz), zz
	}
	p := coef[0]
	for _, ci := range coef[1:] {
		p = float64(p*zz) + ci
	}
	bz := float64(b * zz)
	var r float64
	if fused {
		r = math.FMA(bz, p, s)
	} else {
		r = s + float64(bz*p)
	}
	sign := (math.Float64bits(x) ^ j<<61) & (1 << 63)
	return math.Float64frombits(math.Float64bits(r) ^ sign)
}

// sinSpecials returns the edge cases: ±0, subnormals, the smallest and
// largest numbers, NaNs with payloads and signs, ±Inf, the neighbours of
// 2^29 (math's reduceThreshold) and of the multiples of pi/4 (the
// octants' edges, both as k pi/4 rounded and as the least x with x (4/Pi)
// >= k in float64 arithmetic, where j steps), each negated too.
func sinSpecials() []float64 {
	xs := []float64{0, math.SmallestNonzeroFloat64, 2 * math.SmallestNonzeroFloat64,
		math.Float64frombits(0x000fffffffffffff), 0x1p-1022, 0x1p-1000, 1e-300, 1e-20, 1e-9, 1e-8,
		math.MaxFloat64, math.Inf(1), math.NaN(), math.Float64frombits(0x7ff0000000000001),
		math.Float64frombits(0x7ff4000000000000), math.Float64frombits(0x7fffffffffffffff),
		1 << 28, 1 << 30, 1e10, 1e300}
	near := func(x float64, k int) {
		for i := -k; i <= k; i++ {
			xs = append(xs, math.Float64frombits(uint64(int64(math.Float64bits(x))+int64(i))))
		}
	}
	near(sinReduce, 40)
	for k := 0; k <= 4096; k++ {
		near(float64(k)*(math.Pi/4), 3)
		// The least x with x*(4/Pi) >= k (where trunc steps to k).
		x := float64(k) / (4 / math.Pi)
		for x*(4/math.Pi) >= float64(k) && x > 0 {
			x = math.Nextafter(x, 0)
		}
		for x*(4/math.Pi) < float64(k) {
			x = math.Nextafter(x, math.Inf(1))
		}
		near(x, 3)
	}
	for _, k := range []float64{1e5, 1e6, 1e7, 1e8, 6.8e8} { // large octants below 2^29 (4/Pi)
		for i := 0.0; i < 64; i++ {
			near((k+i)*(math.Pi/4), 2)
		}
	}
	r := rand.New(rand.NewPCG(7, 8))
	for range 1000 {
		xs = append(xs, math.Float64frombits(r.Uint64N(1<<52))) // subnormals
	}
	n := len(xs)
	for _, x := range xs[:n] {
		xs = append(xs, -x)
	}
	return xs
}

type sinDist struct {
	name string
	gen  func(r *rand.Rand) float64
}

var sinDists = []sinDist{
	{"uniform ±10", func(r *rand.Rand) float64 { return 20*r.Float64() - 10 }},
	{"uniform ±1e4", func(r *rand.Rand) float64 { return 2e4*r.Float64() - 1e4 }},
	{"uniform ±1e9", func(r *rand.Rand) float64 { return 2e9*r.Float64() - 1e9 }},
	{"log-uniform 1e-10..1e10", func(r *rand.Rand) float64 {
		x := math.Pow(10, 20*r.Float64()-10)
		if r.IntN(2) == 0 {
			x = -x
		}
		return x
	}},
	{"random bits", func(r *rand.Rand) float64 { return math.Float64frombits(r.Uint64()) }},
	{"random bits below 2^30", func(r *rand.Rand) float64 {
		return math.Float64frombits(r.Uint64N(0x41d0000000000000) | r.Uint64()&(1<<63))
	}},
}

// sinCheck runs Sin over xs (in place when inPlace) and compares every
// value with math.Sin, and, on AVX-512, both assembly variants with
// sinModel; it returns the mismatches described, at most 10.
func sinCheck(t *testing.T, xs []float64, inPlace bool) (bad int) {
	t.Helper()
	got := make([]float64, len(xs))
	if inPlace {
		copy(got, xs)
		Sin(got, got)
	} else {
		Sin(got, xs)
	}
	var plain, fused []float64
	if sinAsm && len(xs) > 0 {
		plain, fused = make([]float64, len(xs)), make([]float64, len(xs))
		sinAVX512(&plain[0], &xs[0], len(xs))
		sinAVX512FMA(&fused[0], &xs[0], len(xs))
	}
	report := func(format string, args ...any) {
		if bad++; bad <= 10 {
			t.Errorf(format, args...)
		}
	}
	for i, x := range xs {
		want := math.Sin(x)
		if math.Float64bits(got[i]) != math.Float64bits(want) {
			report("Sin(%v = 0x%x) = %v (0x%x), math.Sin %v (0x%x)", x, math.Float64bits(x),
				got[i], math.Float64bits(got[i]), want, math.Float64bits(want))
		}
		if !(math.Abs(x) < sinReduce) {
			continue
		}
		mp, mf := sinModel(x, false), sinModel(x, true)
		if sinMode != sinModeFMA && math.Float64bits(mp) != math.Float64bits(want) {
			report("sinModel(%v = 0x%x) = %v, math.Sin %v", x, math.Float64bits(x), mp, want)
		}
		if sinMode == sinModeFMA && math.Float64bits(mf) != math.Float64bits(want) {
			report("fused sinModel(%v = 0x%x) = %v, math.Sin %v", x, math.Float64bits(x), mf, want)
		}
		if plain != nil && (math.Float64bits(plain[i]) != math.Float64bits(mp) || math.Float64bits(fused[i]) != math.Float64bits(mf)) {
			report("sinAVX512(%v = 0x%x) = %v, FMA %v, sinModel %v, fused %v", x, math.Float64bits(x), plain[i], fused[i], mp, mf)
		}
	}
	return bad
}

// TestSin requires math.Sin's bits from Sin on the edge cases and on
// millions of random arguments of each distribution (VLEC_ACT_SAMPLES
// per distribution, default 2,000,000; a tenth with -short), in chunks
// of 65,536, every other chunk in place.
func TestSin(t *testing.T) {
	t.Logf("sinMode %d (0: math.Sin, 1: sinAVX512, 2: sinAVX512FMA), AVX-512 %v", sinMode, sinAsm)
	n := actSamples(t, 2000000)
	if testing.Short() {
		n /= 10
	}
	specials := sinSpecials()
	total := len(specials)
	if bad := sinCheck(t, specials, false) + sinCheck(t, specials, true); bad > 0 {
		t.Fatalf("edge cases: %d mismatches", bad)
	}
	r := rand.New(rand.NewPCG(9, 10))
	const chunk = 1 << 16
	xs := make([]float64, chunk)
	for _, d := range sinDists {
		bad := 0
		for done := 0; done < n; done += chunk {
			m := min(chunk, n-done)
			for i := range m {
				xs[i] = d.gen(r)
			}
			bad += sinCheck(t, xs[:m], done/chunk%2 == 1)
			if bad > 0 {
				break
			}
		}
		if bad > 0 {
			t.Fatalf("%s: mismatches", d.name)
		}
		total += n
	}
	t.Logf("%d arguments, math.Sin's bits (and both assembly variants their model's)", total)
}

// TestSinModes checks that the probes tell the two variants apart (so
// that sinMode's choice means something) and that the chosen mode is
// the one whose model gives math.Sin on them.
func TestSinModes(t *testing.T) {
	p := sinProbes()
	differ, plainOK, fusedOK := 0, true, true
	for i, x := range p {
		mp, mf, want := sinModel(x, false), sinModel(x, true), math.Sin(x)
		if mp != mf {
			differ++
		} else if i < 8 {
			t.Errorf("probe %d (%v): the variants do not differ", i, x)
		}
		plainOK = plainOK && math.Float64bits(mp) == math.Float64bits(want)
		fusedOK = fusedOK && math.Float64bits(mf) == math.Float64bits(want)
	}
	t.Logf("the variants differ on %d of %d probes; math.Sin is the plain one: %v, the fused one: %v; sinMode %d",
		differ, len(p), plainOK, fusedOK, sinMode)
	if differ == 0 {
		t.Errorf("the probes do not tell the plain and fused variants apart")
	}
	want := sinModeGo
	switch {
	case !sinAsm:
	case plainOK:
		want = sinModePlain
	case fusedOK:
		want = sinModeFMA
	}
	if sinMode != want {
		t.Errorf("sinMode %d, want %d", sinMode, want)
	}
}

// TestSinLengths checks lengths 0..40 at every alignment, in place and
// not, with guards around dst, on arguments that include lanes redone
// by math.Sin (large, NaN, ±Inf) in various places; dst longer than src
// and a short dst's panic.
func TestSinLengths(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	pool := make([]float64, 4096)
	for i := range pool {
		switch r.IntN(16) {
		case 0:
			pool[i] = []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e10, -3e29, sinReduce, 0, math.Copysign(0, -1)}[r.IntN(8)]
		default:
			pool[i] = 200*r.Float64() - 100
		}
	}
	const guard = 12345.5
	for length := 0; length <= 40; length++ {
		for off := 0; off < 8; off++ {
			for rep := range 4 {
				start := r.IntN(len(pool) - length)
				src := pool[start : start+length]
				if rep == 0 { // all in range
					src = make([]float64, length)
					for i := range src {
						src[i] = 20*r.Float64() - 10
					}
				}
				buf := make([]float64, length+off+9)
				for i := range buf {
					buf[i] = guard
				}
				dst := buf[off : off+length]
				Sin(dst, src)
				inPlace := append([]float64(nil), src...)
				Sin(inPlace, inPlace)
				for i := range buf {
					if i >= off && i < off+length {
						want := math.Float64bits(math.Sin(src[i-off]))
						if math.Float64bits(buf[i]) != want || math.Float64bits(inPlace[i-off]) != want {
							t.Fatalf("length %d offset %d: Sin(%v) = %v, in place %v, math.Sin %v",
								length, off, src[i-off], buf[i], inPlace[i-off], math.Sin(src[i-off]))
						}
					} else if buf[i] != guard {
						t.Fatalf("length %d offset %d: wrote outside dst at %d", length, off, i-off)
					}
				}
			}
		}
	}
	dst := []float64{guard, guard, guard}
	Sin(dst, []float64{1, 2})
	if dst[2] != guard {
		t.Errorf("Sin wrote past len(src)")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("Sin with a short dst did not panic")
			}
		}()
		Sin(make([]float64, 2), make([]float64, 3))
	}()
}

// TestSinAllocs checks that Sin allocates nothing, also when lanes are
// redone by math.Sin.
func TestSinAllocs(t *testing.T) {
	src := benchSinArgs(64)
	src[5], src[40] = 1e12, math.NaN()
	dst := make([]float64, len(src))
	for _, s := range [][]float64{src[:64], src[:7], src[10:40]} {
		if allocs := testing.AllocsPerRun(20, func() { Sin(dst, s) }); allocs != 0 {
			t.Errorf("Sin of %d values: %v allocations", len(s), allocs)
		}
	}
}

// benchSinArgs returns n stimulus arguments 2 pi f t + phase: n steps of
// 0.1 ms of one stimulus after 10 s, f = 7.3 Hz.
func benchSinArgs(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		t := 10 + float64(i)*1e-4
		xs[i] = 2*math.Pi*7.3*t + 0.4
	}
	return xs
}

// BenchmarkSin compares Sin (the assembly where the CPU runs it) with a
// loop of math.Sin, reporting ns per value.
func BenchmarkSin(b *testing.B) {
	for _, n := range []int{64, 1024} {
		for _, c := range []struct {
			name string
			f    func(dst, src []float64)
		}{{"kern", Sin}, {"math", loopOf(math.Sin)}} {
			b.Run(fmt.Sprintf("%s/n=%d", c.name, n), func(b *testing.B) {
				src := benchSinArgs(n)
				dst := make([]float64, n)
				b.ResetTimer()
				for range b.N {
					c.f(dst, src)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
			})
		}
	}
}
