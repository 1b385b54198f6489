package kern

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// f32Guarded is a float32 slice inside a larger array whose entries
// around it hold a sentinel, to catch writes out of the slice.
type f32Guarded struct {
	back []float32
	s    []float32
}

var sentinel32 = math.Float32frombits(0x7fc0_beef) // a NaN with a payload

func newF32Guarded(n int, r *rand.Rand) *f32Guarded {
	back := make([]float32, n+2*guardPad)
	for i := range back {
		back[i] = sentinel32
	}
	s := back[guardPad : guardPad+n : guardPad+n]
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return &f32Guarded{back, s}
}

func (g *f32Guarded) intact() bool {
	for i, v := range g.back {
		if (i < guardPad || i >= guardPad+len(g.s)) && math.Float32bits(v) != math.Float32bits(sentinel32) {
			return false
		}
	}
	return true
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

// TestSynapse32 checks Synapse32 against Synapse on the widened
// operands, rounded: the same bits for y, g and W on every path this CPU
// runs, no write outside the outputs, and the sum of W as stored.
func TestSynapse32(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 32))
	for _, path := range synapsePaths() {
		withSynapsePath(path, func() {
			for _, mode := range synapseModes {
				for _, m := range []int{1, 2, 3, 5, 16} {
					for _, n := range []int{1, 3, 7, 8, 9, 15, 16, 17, 24, 33, 100} {
						checkSynapse32(t, path, mode, m, n, r)
					}
				}
			}
		})
	}
}

func checkSynapse32(t *testing.T, path string, mode, m, n int, r *rand.Rand) {
	t.Helper()
	alpha := 0.5 + r.Float64()
	w := newF32Guarded(m*n, r)
	vec := func(n, part int) *f32Guarded {
		if mode&part == 0 {
			return nil
		}
		return newF32Guarded(n, r)
	}
	x, y, e, g, a, c := vec(n, partFwd), vec(m, partFwd), vec(m, partTr), vec(n, partTr), vec(m, partUpd), vec(n, partUpd)
	s := func(v *f32Guarded) []float32 {
		if v == nil {
			return nil
		}
		return v.s
	}
	// the reference: Synapse on float64 copies, on the same path
	ww, wx, wy, we, wg, wa, wc := wide(w.s), wide(s(x)), wide(s(y)), wide(s(e)), wide(s(g)), wide(s(a)), wide(s(c))
	Synapse(m, n, ww, wx, wy, we, wg, alpha, wa, wc)
	scratch := make([]float64, Synapse32Scratch(n))
	for i := range scratch {
		scratch[i] = math.NaN() // never read before written
	}
	sum := Synapse32(m, n, w.s, s(x), s(y), s(e), s(g), alpha, s(a), s(c), scratch)
	name := func() string { return path + " " + modeName(mode) }
	same := func(what string, got []float32, want []float64) {
		t.Helper()
		for i, v := range want {
			if math.Float32bits(got[i]) != math.Float32bits(float32(v)) {
				t.Fatalf("%s %dx%d: %s[%d] = %v, Synapse's rounded %v", name(), m, n, what, i, got[i], float32(v))
			}
		}
	}
	same("W", w.s, ww)
	if y != nil {
		same("y", y.s, wy)
	}
	if g != nil {
		same("g", g.s, wg)
	}
	// the sum is a guard: float32 lanes with the update (a few float32
	// ulps of the sum of magnitudes), float64 lanes without
	plain, mag := 0.0, 0.0
	for _, v := range w.s {
		plain += float64(v)
		mag += math.Abs(float64(v))
	}
	if math.Abs(sum-plain) > 1e-6*float64(m+n)*mag {
		t.Fatalf("%s %dx%d: sum %v, the stored W sums to %v", name(), m, n, sum, plain)
	}
	for _, v := range []*f32Guarded{w, x, y, e, g, a, c} {
		if v != nil && !v.intact() {
			t.Fatalf("%s %dx%d: a write outside an operand", name(), m, n)
		}
	}
}

// TestSynapse32NonFinite: a NaN or an overflow to infinity when W is
// rounded shows in the sum.
func TestSynapse32NonFinite(t *testing.T) {
	for _, path := range synapsePaths() {
		withSynapsePath(path, func() {
			m, n := 3, 19
			w, x, y := make([]float32, m*n), make([]float32, n), make([]float32, m)
			a, c := make([]float32, m), make([]float32, n)
			scratch := make([]float64, Synapse32Scratch(n))
			w[17] = float32(math.NaN())
			if s := Synapse32(m, n, w, x, y, nil, nil, 0, nil, nil, scratch); !math.IsNaN(s) {
				t.Errorf("%s: NaN in W, sum %v", path, s)
			}
			w[17] = 3e38
			a[0], c[17] = 1, 1
			if s := Synapse32(m, n, w, x, y, nil, nil, 1e38, a, c, scratch); !math.IsInf(s, 1) || !math.IsInf(float64(w[17]), 1) {
				t.Errorf("%s: W rounded beyond float32: sum %v, W %v", path, s, w[17])
			}
		})
	}
}

func TestSynapse32NoAlloc(t *testing.T) {
	m, n := 7, 45
	r := rand.New(rand.NewPCG(1, 2))
	v := func(k int) []float32 { return newF32Guarded(k, r).s }
	w, x, y, e, g, a, c := v(m*n), v(n), v(m), v(m), v(n), v(m), v(n)
	scratch := make([]float64, Synapse32Scratch(n))
	if allocs := testing.AllocsPerRun(20, func() { Synapse32(m, n, w, x, y, e, g, 1e-3, a, c, scratch) }); allocs != 0 {
		t.Errorf("Synapse32 allocates %v times per call", allocs)
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
		scratch := make([]float64, Synapse32Scratch(n))
		const alpha = 1e-12
		b.Run(fmt.Sprintf("%dx%d/float64", m, n), func(b *testing.B) {
			for b.Loop() {
				Synapse(m, n, w64, x64, y64, e64, g64, alpha, a64, c64)
			}
			b.ReportMetric(float64(16*m*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
		b.Run(fmt.Sprintf("%dx%d/float32", m, n), func(b *testing.B) {
			for b.Loop() {
				Synapse32(m, n, w, x, y, e, g, alpha, a, c, scratch)
			}
			b.ReportMetric(float64(8*m*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
