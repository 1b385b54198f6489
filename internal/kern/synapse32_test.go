package kern

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// f32Guarded is a float32 slice inside a larger array whose entries
// around it hold a sentinel, to catch writes out of the slice.
type f32Guarded struct {
	back []float32
	s    []float32
}

const guardPad32 = 17 // more than a vector of 16

var sentinel32 = math.Float32frombits(0x7fc0_beef) // a NaN with a payload

func newF32Guarded(n int, r *rand.Rand) *f32Guarded {
	back := make([]float32, n+2*guardPad32)
	for i := range back {
		back[i] = sentinel32
	}
	s := back[guardPad32 : guardPad32+n : guardPad32+n]
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return &f32Guarded{back, s}
}

func (g *f32Guarded) intact() bool {
	for i, v := range g.back {
		if (i < guardPad32 || i >= guardPad32+len(g.s)) && math.Float32bits(v) != math.Float32bits(sentinel32) {
			return false
		}
	}
	return true
}

func (g *f32Guarded) clone() *f32Guarded {
	if g == nil {
		return nil
	}
	back := append([]float32(nil), g.back...)
	return &f32Guarded{back, back[guardPad32 : guardPad32+len(g.s) : guardPad32+len(g.s)]}
}

func (g *f32Guarded) slice() []float32 {
	if g == nil {
		return nil
	}
	return g.s
}

func wide(v []float32) []float64 {
	if v == nil {
		return nil
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// synapse32Case is one pass's operands (nil for a part not computed).
type synapse32Case struct {
	m, n                int
	alpha               float64
	w, x, y, e, g, a, c *f32Guarded
}

func newSynapse32Case(mode, m, n int, r *rand.Rand) *synapse32Case {
	vec := func(n, part int) *f32Guarded {
		if mode&part == 0 {
			return nil
		}
		return newF32Guarded(n, r)
	}
	return &synapse32Case{m: m, n: n, alpha: 0.5 + r.Float64(), w: newF32Guarded(m*n, r),
		x: vec(n, partFwd), y: vec(m, partFwd), e: vec(m, partTr), g: vec(n, partTr), a: vec(m, partUpd), c: vec(n, partUpd)}
}

func (k *synapse32Case) clone() *synapse32Case {
	return &synapse32Case{k.m, k.n, k.alpha, k.w.clone(), k.x.clone(), k.y.clone(), k.e.clone(), k.g.clone(), k.a.clone(), k.c.clone()}
}

func (k *synapse32Case) run() float64 {
	return Synapse32(k.m, k.n, k.w.s, k.x.slice(), k.y.slice(), k.e.slice(), k.g.slice(), k.alpha, k.a.slice(), k.c.slice(), nil)
}

func (k *synapse32Case) operands() []*f32Guarded {
	return []*f32Guarded{k.w, k.x, k.y, k.e, k.g, k.a, k.c}
}

// TestSynapse32Paths checks that every path this CPU runs gives the Go
// path's bits (y, g, W and the sum), and writes nothing outside the
// outputs; sizes around the vectors of 16 and the blocks of 32 columns,
// even and odd rows.
func TestSynapse32Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 32))
	for _, mode := range synapseModes {
		for _, m := range []int{1, 2, 3, 5, 8} {
			for _, n := range []int{1, 3, 7, 8, 15, 16, 17, 24, 31, 32, 33, 47, 48, 49, 64, 100} {
				ref := newSynapse32Case(mode, m, n, r)
				var want *synapse32Case
				var wantSum float64
				withSynapsePath(pathGo, func() {
					want = ref.clone()
					wantSum = want.run()
				})
				for _, path := range synapsePaths() {
					got := ref.clone()
					var sum float64
					withSynapsePath(path, func() { sum = got.run() })
					name := fmt.Sprintf("%s %s %dx%d", path, modeName(mode), m, n)
					if math.Float64bits(sum) != math.Float64bits(wantSum) {
						t.Fatalf("%s: sum %v, Go path %v", name, sum, wantSum)
					}
					for o, v := range got.operands() {
						if v == nil {
							continue
						}
						if !v.intact() {
							t.Fatalf("%s: a write outside operand %d", name, o)
						}
						for i := range v.s {
							if math.Float32bits(v.s[i]) != math.Float32bits(want.operands()[o].s[i]) {
								t.Fatalf("%s: operand %d [%d] = %v, Go path %v", name, o, i, v.s[i], want.operands()[o].s[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestSynapse32Accuracy compares Synapse32 with Synapse on the same
// float32 numbers held as float64: every result within a few float32
// rounding errors of the terms' magnitudes.
func TestSynapse32Accuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const u = 0x1p-24 // float32's unit roundoff
	for _, path := range synapsePaths() {
		withSynapsePath(path, func() {
			for _, mode := range synapseModes {
				for _, sz := range [][2]int{{1, 1}, {3, 17}, {8, 100}, {33, 257}, {200, 1000}} {
					m, n := sz[0], sz[1]
					k := newSynapse32Case(mode, m, n, r)
					ww, wx, wy, we, wg, wa, wc := wide(k.w.s), wide(k.x.slice()), wide(k.y.slice()), wide(k.e.slice()), wide(k.g.slice()), wide(k.a.slice()), wide(k.c.slice())
					w0 := wide(k.w.s)
					Synapse(m, n, ww, wx, wy, we, wg, k.alpha, wa, wc)
					sum := k.run()
					name := fmt.Sprintf("%s %s %dx%d", path, modeName(mode), m, n)
					if y := k.y.slice(); y != nil {
						for i := range m {
							mag := 0.0
							for j := range n {
								mag += math.Abs(w0[i*n+j] * wx[j])
							}
							if d := math.Abs(float64(y[i]) - wy[i]); d > float64(n+2)*u*mag {
								t.Fatalf("%s: y[%d] = %v, float64 %v (%g apart, magnitude %g)", name, i, y[i], wy[i], d, mag)
							}
						}
					}
					if g := k.g.slice(); g != nil {
						for j := range n {
							mag := 0.0
							for i := range m {
								mag += math.Abs(w0[i*n+j] * we[i])
							}
							if d := math.Abs(float64(g[j]) - wg[j]); d > float64(m+2)*u*mag {
								t.Fatalf("%s: g[%d] = %v, float64 %v (%g apart, magnitude %g)", name, j, g[j], wg[j], d, mag)
							}
						}
					}
					plain, mag := 0.0, 0.0
					for i, v := range k.w.s {
						if d := math.Abs(float64(v) - ww[i]); d > 3*u*(math.Abs(ww[i])+math.Abs(ww[i]-w0[i])) {
							t.Fatalf("%s: W[%d] = %v, float64 %v", name, i, v, ww[i])
						}
						plain += float64(v)
						mag += math.Abs(float64(v))
					}
					if math.Abs(sum-plain) > float64(m+n+2)*u*mag {
						t.Fatalf("%s: sum %v, the stored W sums to %v", name, sum, plain)
					}
				}
			}
		})
	}
}

// exactFMA32 is a*b + c rounded to float32 through exact arithmetic.
func exactFMA32(a, b, c float32) float32 {
	p := new(big.Float).SetPrec(0).SetMode(big.ToNearestEven)
	p.SetFloat64(float64(a))
	q := new(big.Float).SetFloat64(float64(b))
	p.SetPrec(200).Mul(p, q)
	p.Add(p, new(big.Float).SetFloat64(float64(c)))
	f, _ := p.Float32()
	return f
}

// fma32Cases are inputs where rounding the float64 sum to float32 would
// round twice the wrong way, and signed zeros, overflow and
// non-finite inputs.
var fma32Cases = [][3]float32{
	{641 * 0x1p-32, 6700417 * 0x1p-24, 1}, // 1 + 2^-24 + 2^-56: above the tie
	{-641 * 0x1p-32, 6700417 * 0x1p-24, -1},
	{641 * 0x1p-32, -6700417 * 0x1p-24, 1 + 0x1p-23}, // just below a tie
	{1 + 0x1p-23, 1 - 0x1p-24, -1},
	{0, -1, 0}, {0, 1, float32(math.Copysign(0, -1))}, {float32(math.Copysign(0, -1)), 1, float32(math.Copysign(0, -1))},
	{3e38, 3, 0}, {3e38, 1, 3e38}, {1e-45, 0.5, 0}, {1e-45, 1e-45, 1e-45}, {1.5e-45, 0.5, 1e-45},
	{float32(math.Inf(1)), 0, 1}, {float32(math.Inf(1)), 1, float32(math.Inf(-1))}, {float32(math.NaN()), 1, 1},
}

// TestFMA32 checks fma32 against exact arithmetic and, where the CPU
// has AVX-512, against VFMADD231PS (through Synapse32's update on a 1 x 1
// W: W + s c with s = c's partner).
func TestFMA32(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	cases := append([][3]float32(nil), fma32Cases...)
	rnd := func() float32 {
		// mantissas near powers of two and wide exponents: ties and
		// cancellations are common
		m := float32(1 + float64(r.IntN(16)-8)*0x1p-23)
		if r.IntN(2) == 0 {
			m = float32(r.Float64() + 0.5)
		}
		if r.IntN(2) == 0 {
			m = -m
		}
		return float32(math.Ldexp(float64(m), r.IntN(80)-40))
	}
	for range 200000 {
		cases = append(cases, [3]float32{rnd(), rnd(), rnd()})
	}
	same := func(a, b float32) bool {
		return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
	}
	for _, k := range cases {
		a, b, c := k[0], k[1], k[2]
		got := fma32(a, b, c)
		if !isFinite32(a) || !isFinite32(b) || !isFinite32(c) {
			if want := float32(float64(a)*float64(b) + float64(c)); !same(got, want) {
				t.Fatalf("fma32(%v, %v, %v) = %v, want %v", a, b, c, got, want)
			}
		} else if want := exactFMA32(a, b, c); !same(got, want) {
			t.Fatalf("fma32(%v, %v, %v) = %v, exactly rounded %v", a, b, c, got, want)
		}
		if synapsePath != pathAVX512 {
			continue
		}
		// W' = fma(c, s, W) with s = float32(1 * float64(b)) = b
		w, cc, aa := []float32{c}, []float32{a}, []float32{b}
		Synapse32(1, 1, w, nil, nil, nil, nil, 1, aa, cc, nil)
		if !same(w[0], got) {
			t.Fatalf("VFMADD231PS(%v, %v, %v) = %v, fma32 %v", a, b, c, w[0], got)
		}
	}
	// the double rounding fma32 avoids does happen
	k := fma32Cases[0]
	if twice := float32(float64(k[0])*float64(k[1]) + float64(k[2])); twice == fma32(k[0], k[1], k[2]) {
		t.Errorf("float32(float64 a*b + c) = %v: not the double rounding case", twice)
	}
}

func isFinite32(v float32) bool { return !math.IsInf(float64(v), 0) && v == v }

// TestSynapse32NonFinite: a NaN or an overflow to infinity in W shows in
// the sum.
func TestSynapse32NonFinite(t *testing.T) {
	for _, path := range synapsePaths() {
		withSynapsePath(path, func() {
			m, n := 3, 19
			w, x, y := make([]float32, m*n), make([]float32, n), make([]float32, m)
			a, c := make([]float32, m), make([]float32, n)
			w[17] = float32(math.NaN())
			if s := Synapse32(m, n, w, x, y, nil, nil, 0, nil, nil, nil); !math.IsNaN(s) {
				t.Errorf("%s: NaN in W, sum %v", path, s)
			}
			w[17] = 3e38
			a[0], c[17] = 1, 1
			if s := Synapse32(m, n, w, x, y, nil, nil, 1e38, a, c, nil); !math.IsInf(s, 1) || !math.IsInf(float64(w[17]), 1) {
				t.Errorf("%s: W beyond float32: sum %v, W %v", path, s, w[17])
			}
		})
	}
}

func TestSynapse32NoAlloc(t *testing.T) {
	m, n := 7, 45
	r := rand.New(rand.NewPCG(1, 2))
	v := func(k int) []float32 { return newF32Guarded(k, r).s }
	w, x, y, e, g, a, c := v(m*n), v(n), v(m), v(m), v(n), v(m), v(n)
	if allocs := testing.AllocsPerRun(20, func() { Synapse32(m, n, w, x, y, e, g, 1e-3, a, c, nil) }); allocs != 0 {
		t.Errorf("Synapse32 allocates %v times per call", allocs)
	}
	w64, x64, y64, e64, g64, a64, c64 := wide(w), wide(x), wide(y), wide(e), wide(g), wide(a), wide(c)
	scratch := make([]float32, Synapse32WideScratch(m, n))
	if allocs := testing.AllocsPerRun(20, func() { Synapse32Wide(m, n, w64, x64, y64, e64, g64, 1e-3, a64, c64, scratch) }); allocs != 0 {
		t.Errorf("Synapse32Wide allocates %v times per call", allocs)
	}
}

// TestSynapse32Wide: Synapse32Wide computes Synapse32's bits.
func TestSynapse32Wide(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, path := range synapsePaths() {
		withSynapsePath(path, func() {
			for _, mode := range synapseModes {
				for _, sz := range [][2]int{{1, 1}, {2, 9}, {5, 33}, {16, 100}} {
					m, n := sz[0], sz[1]
					k := newSynapse32Case(mode, m, n, r)
					ww, wx, wy, we, wg, wa, wc := wide(k.w.s), wide(k.x.slice()), wide(k.y.slice()), wide(k.e.slice()), wide(k.g.slice()), wide(k.a.slice()), wide(k.c.slice())
					scratch := make([]float32, Synapse32WideScratch(m, n))
					got := Synapse32Wide(m, n, ww, wx, wy, we, wg, k.alpha, wa, wc, scratch)
					want := k.run()
					name := fmt.Sprintf("%s %s %dx%d", path, modeName(mode), m, n)
					if math.Float64bits(got) != math.Float64bits(want) {
						t.Fatalf("%s: sum %v, Synapse32 %v", name, got, want)
					}
					for _, p := range []struct {
						got  []float64
						want []float32
					}{{ww, k.w.s}, {wy, k.y.slice()}, {wg, k.g.slice()}} {
						for i, v := range p.want {
							if p.got[i] != float64(v) {
								t.Fatalf("%s: %v, Synapse32 %v", name, p.got, p.want)
							}
						}
					}
				}
			}
		})
	}
}

func TestNarrowWiden(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for n := range 40 {
		src := make([]float64, n)
		for i := range src {
			src[i] = r.NormFloat64() * math.Ldexp(1, r.IntN(300)-150)
		}
		if n > 5 {
			src[1], src[2], src[3] = math.NaN(), math.Inf(-1), 1+0x1p-24 // a tie: to even, 1
			src[4], src[5] = 1e300, math.Copysign(0, -1)
		}
		dst := make([]float32, n+1)
		dst[n] = 7
		Narrow(dst[:n], src)
		back := make([]float64, n+1)
		back[n] = 7
		Widen(back[:n], dst[:n])
		for i, v := range src {
			want := float32(v)
			if math.Float32bits(dst[i]) != math.Float32bits(want) && !(v != v && dst[i] != dst[i]) {
				t.Fatalf("n %d: Narrow [%d] %v = %v, want %v", n, i, v, dst[i], want)
			}
			if math.Float64bits(back[i]) != math.Float64bits(float64(dst[i])) && v == v {
				t.Fatalf("n %d: Widen [%d] %v = %v", n, i, dst[i], back[i])
			}
		}
		if dst[n] != 7 || back[n] != 7 {
			t.Fatalf("n %d: a write past the end", n)
		}
	}
}

// BenchmarkSynapse32 times the full pass (forward, transposed, update)
// over float32 storage against Synapse over float64, side by side; GB/s
// counts W read and written at the storage's width.
func BenchmarkSynapse32(b *testing.B) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, sz := range [][2]int{{100, 100}, {1000, 784}, {1000, 1000}, {4000, 4000}} {
		m, n := sz[0], sz[1]
		v := func(k int) []float32 { return newF32Guarded(k, r).s }
		w, x, y, e, g, a, c := v(m*n), v(n), v(m), v(m), v(n), v(m), v(n)
		w64, x64, y64, e64, g64, a64, c64 := wide(w), wide(x), wide(y), wide(e), wide(g), wide(a), wide(c)
		const alpha = 1e-12
		b.Run(fmt.Sprintf("%dx%d/float64", m, n), func(b *testing.B) {
			for b.Loop() {
				Synapse(m, n, w64, x64, y64, e64, g64, alpha, a64, c64)
			}
			b.ReportMetric(float64(16*m*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
		b.Run(fmt.Sprintf("%dx%d/float32", m, n), func(b *testing.B) {
			for b.Loop() {
				Synapse32(m, n, w, x, y, e, g, alpha, a, c, nil)
			}
			b.ReportMetric(float64(8*m*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
		if m*n > 1e6 {
			continue
		}
		scratch := make([]float32, Synapse32WideScratch(m, n))
		b.Run(fmt.Sprintf("%dx%d/float32-wide", m, n), func(b *testing.B) {
			for b.Loop() {
				Synapse32Wide(m, n, w64, x64, y64, e64, g64, alpha, a64, c64, scratch)
			}
		})
	}
}
