package kern

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// synapsePaths returns the implementations to test: every one this CPU
// runs.
func synapsePaths() []string { return synapsePathsHere() }

// withSynapsePath runs f with Synapse on the named implementation.
func withSynapsePath(path string, f func()) {
	old := synapsePath
	synapsePath = path
	defer func() { synapsePath = old }()
	f()
}

// The subsets of the parts, with names for messages; the empty one only
// sums W.
var synapseModes = []int{0, partFwd, partTr, partUpd, partFwd | partTr, partFwd | partUpd, partTr | partUpd, partFwd | partTr | partUpd}

func modeName(mode int) string { return partLetters(mode) }

// guarded is a slice inside a larger backing array whose entries before
// and after it hold a sentinel, to catch writes out of the slice.
type guarded struct {
	back []float64
	s    []float64
}

const guardPad = 9 // more than a vector of 8

var sentinel = math.Float64frombits(0x7ff8_dead_beef_0001) // a NaN with a payload

func newGuarded(n int, r *rand.Rand) *guarded {
	back := make([]float64, n+2*guardPad)
	for i := range back {
		back[i] = sentinel
	}
	s := back[guardPad : guardPad+n : guardPad+n]
	for i := range s {
		s[i] = r.NormFloat64()
	}
	return &guarded{back, s}
}

// intact reports whether the sentinels around the slice are untouched.
func (g *guarded) intact() bool {
	for i, v := range g.back {
		if (i < guardPad || i >= guardPad+len(g.s)) && math.Float64bits(v) != math.Float64bits(sentinel) {
			return false
		}
	}
	return true
}

// synapseCase is one call of Synapse: the operands of its mode (nil for
// the parts it skips) with guards, and copies of the inputs.
type synapseCase struct {
	m, n, mode          int
	alpha               float64
	w, x, y, e, g, a, c *guarded
	w0                  []float64 // W before the pass
	sum                 float64   // what Synapse returned
	wantY, wantG, wantW []float64
	magY, magG, magW    []float64
	inputs, inputCopies [][]float64
	guards              []*guarded
}

func newSynapseCase(m, n, mode int, r *rand.Rand) *synapseCase {
	k := &synapseCase{m: m, n: n, mode: mode, alpha: 0.5 + r.Float64()}
	k.w = newGuarded(m*n, r)
	k.w0 = append([]float64(nil), k.w.s...)
	k.guards = []*guarded{k.w}
	vec := func(n int, part int) *guarded {
		if mode&part == 0 {
			return nil
		}
		g := newGuarded(n, r)
		k.guards = append(k.guards, g)
		return g
	}
	k.x, k.y = vec(n, partFwd), vec(m, partFwd)
	k.e, k.g = vec(m, partTr), vec(n, partTr)
	k.a, k.c = vec(m, partUpd), vec(n, partUpd)
	for _, out := range []*guarded{k.y, k.g} {
		if out != nil {
			for i := range out.s {
				out.s[i] = math.NaN() // overwritten, never read
			}
		}
	}
	for _, in := range []*guarded{k.x, k.e, k.a, k.c} {
		if in != nil {
			k.inputs = append(k.inputs, in.s)
			k.inputCopies = append(k.inputCopies, append([]float64(nil), in.s...))
		}
	}
	k.reference()
	return k
}

// slice is g's slice, nil for a nil g.
func slice(g *guarded) []float64 {
	if g == nil {
		return nil
	}
	return g.s
}

// reference computes the results with plain loops from the original W,
// and the magnitudes (sums of |terms|) that bound their rounding.
func (k *synapseCase) reference() {
	m, n, w := k.m, k.n, k.w0
	k.wantY, k.magY = make([]float64, m), make([]float64, m)
	k.wantG, k.magG = make([]float64, n), make([]float64, n)
	k.wantW, k.magW = append([]float64(nil), w...), make([]float64, m*n)
	for i := range m {
		for j := range n {
			v := w[i*n+j]
			if k.mode&partFwd != 0 {
				k.wantY[i] += v * k.x.s[j]
				k.magY[i] += math.Abs(v * k.x.s[j])
			}
			if k.mode&partTr != 0 {
				k.wantG[j] += v * k.e.s[i]
				k.magG[j] += math.Abs(v * k.e.s[i])
			}
			if k.mode&partUpd != 0 {
				d := k.alpha * k.a.s[i] * k.c.s[j]
				k.wantW[i*n+j] = v + d
				k.magW[i*n+j] = math.Abs(v) + math.Abs(d)
			}
		}
	}
}

func (k *synapseCase) run() {
	alpha := k.alpha
	if k.mode&partUpd == 0 {
		alpha = 0
	}
	k.sum = Synapse(k.m, k.n, k.w.s, slice(k.x), slice(k.y), slice(k.e), slice(k.g), alpha, slice(k.a), slice(k.c))
}

// check compares the results with the reference to 1e-13 of the terms'
// magnitudes, the returned sum with a plain sum of the final W to 1e-12
// of the sum of |W| (exactly 0 for an empty W), and checks the guards and
// the inputs. W's guards hold NaN: a masked tail lane past the last row
// that did not add 0 would make the sum NaN, and one of another row a
// value counted twice.
func (k *synapseCase) check() error {
	cmp := func(what string, got, want, mag []float64) error {
		for i := range want {
			if d := math.Abs(got[i] - want[i]); !(d <= 1e-13*mag[i]) {
				return fmt.Errorf("%s[%d] = %v, want %v (difference %.3g, magnitude %.3g)", what, i, got[i], want[i], d, mag[i])
			}
		}
		return nil
	}
	if k.mode&partFwd != 0 {
		if err := cmp("y", k.y.s, k.wantY, k.magY); err != nil {
			return err
		}
	}
	if k.mode&partTr != 0 {
		if err := cmp("g", k.g.s, k.wantG, k.magG); err != nil {
			return err
		}
	}
	if err := cmp("W", k.w.s, k.wantW, k.magW); err != nil {
		return err
	}
	var sum, mag float64
	for _, v := range k.w.s {
		sum += v
		mag += math.Abs(v)
	}
	if d := math.Abs(k.sum - sum); !(d <= 1e-12*mag) {
		return fmt.Errorf("sum of W = %v, want %v (difference %.3g, sum of |W| %.3g)", k.sum, sum, d, mag)
	}
	for i, g := range k.guards {
		if !g.intact() {
			return fmt.Errorf("operand %d: a write outside its slice", i)
		}
	}
	for i, in := range k.inputs {
		for j := range in {
			if math.Float64bits(in[j]) != math.Float64bits(k.inputCopies[i][j]) {
				return fmt.Errorf("input %d written at %d", i, j)
			}
		}
	}
	return nil
}

// synapseRows are the row counts tested against every column count
// 0..67 (every n mod 8 and mod 16, odd and even m, single rows, pairs
// and an odd last row).
var synapseRows = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 32, 33, 66, 67}

// TestSynapse checks every path and subset of the parts against plain
// loops, with sentinels around every operand and NaN in the outputs.
func TestSynapse(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, path := range synapsePaths() {
		withSynapsePath(path, func() {
			for _, mode := range synapseModes {
				for _, m := range synapseRows {
					for n := range 68 {
						k := newSynapseCase(m, n, mode, r)
						k.run()
						if err := k.check(); err != nil {
							t.Fatalf("%s path, %s, %d x %d: %v", path, modeName(mode), m, n, err)
						}
					}
				}
			}
		})
	}
}

// TestSynapseReadsBeforeUpdate: with W = 0 the products must be exactly
// 0 while W becomes s c^T; an update leaking into them would not be.
func TestSynapseReadsBeforeUpdate(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, path := range synapsePaths() {
		withSynapsePath(path, func() {
			for _, sz := range [][2]int{{1, 1}, {2, 9}, {3, 16}, {5, 23}, {8, 67}, {67, 40}} {
				m, n := sz[0], sz[1]
				w := make([]float64, m*n)
				x, y, e, g := randSlice(n, r), randSlice(m, r), randSlice(m, r), randSlice(n, r)
				a, c := randSlice(m, r), randSlice(n, r)
				Synapse(m, n, w, x, y, e, g, 2, a, c)
				for i, v := range y {
					if v != 0 {
						t.Fatalf("%s path %d x %d: y[%d] = %v, want 0: the update leaked into the forward product", path, m, n, i, v)
					}
				}
				for j, v := range g {
					if v != 0 {
						t.Fatalf("%s path %d x %d: g[%d] = %v, want 0: the update leaked into the transposed product", path, m, n, j, v)
					}
				}
				for i := range m {
					for j := range n {
						if want := 2 * a[i] * c[j]; w[i*n+j] != want {
							t.Fatalf("%s path %d x %d: W[%d,%d] = %v, want %v", path, m, n, i, j, w[i*n+j], want)
						}
					}
				}
			}
		})
	}
}

// orderGo is the Go path's documented order of operations, written out.
func orderGo(m, n int, w, x, y, e, g []float64, s []float64, c []float64) {
	clear(g)
	for i := range m {
		var lanes [4]float64
		for j := range n {
			v := w[i*n+j]
			lanes[j%4] += float64(v * x[j])
			g[j] += float64(v * e[i])
			w[i*n+j] = v + float64(s[i]*c[j])
		}
		y[i] = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
	}
}

// orderFMA is the documented order of operations of the assembly paths
// with L lanes (16 for AVX-512, 8 for AVX2).
func orderFMA(lanes int) func(m, n int, w, x, y, e, g, s, c []float64) {
	return func(m, n int, w, x, y, e, g, s, c []float64) {
		clear(g)
		for i := range m {
			l := make([]float64, lanes)
			for j := range n {
				v := w[i*n+j]
				l[j%lanes] = math.FMA(v, x[j], l[j%lanes])
				g[j] = math.FMA(v, e[i], g[j])
				w[i*n+j] = math.FMA(s[i], c[j], v)
			}
			for h := lanes / 2; h >= 1; h /= 2 { // lane k + lane k+h
				for k := range h {
					l[k] += l[k+h]
				}
			}
			y[i] = l[0]
		}
	}
}

// orderSumGo is the Go path's documented order of the sum of W (W after
// the pass): one running sum, four entries of a row at a time, pairwise,
// then the row's last n mod 4 one by one.
func orderSumGo(m, n int, w []float64) float64 {
	s := 0.0
	for i := range m {
		row := w[i*n : i*n+n]
		j := 0
		for ; j+4 <= n; j += 4 {
			s += (row[j] + row[j+1]) + (row[j+2] + row[j+3])
		}
		for ; j < n; j++ {
			s += row[j]
		}
	}
	return s
}

// orderSumFMA is the assembly paths' documented order of the sum of W
// with L lanes (16 for AVX-512, 8 for AVX2): rows in pairs, a pair's two
// entries added first, an odd last row alone, the lanes reduced as the
// forward sums are.
func orderSumFMA(lanes int) func(m, n int, w []float64) float64 {
	return func(m, n int, w []float64) float64 {
		l := make([]float64, lanes)
		i := 0
		for ; i+2 <= m; i += 2 {
			for j := range n {
				l[j%lanes] += w[i*n+j] + w[(i+1)*n+j]
			}
		}
		if i < m {
			for j := range n {
				l[j%lanes] += w[i*n+j]
			}
		}
		for h := lanes / 2; h >= 1; h /= 2 {
			for k := range h {
				l[k] += l[k+h]
			}
		}
		return l[0]
	}
}

// TestSynapseOrder checks that each path computes exactly (bit for bit)
// the order of operations its documentation states: all three parts
// together, and the sum of W for every subset of them.
func TestSynapseOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	orders := map[string]func(m, n int, w, x, y, e, g, s, c []float64){pathGo: orderGo, pathAVX2: orderFMA(8), pathAVX512: orderFMA(16)}
	sumOrders := map[string]func(m, n int, w []float64) float64{pathGo: orderSumGo, pathAVX2: orderSumFMA(8), pathAVX512: orderSumFMA(16)}
	for _, path := range synapsePaths() {
		withSynapsePath(path, func() {
			for _, m := range []int{1, 2, 3, 6, 17} {
				for n := range 41 {
					w, x, e := randSlice(m*n, r), randSlice(n, r), randSlice(m, r)
					a, c := randSlice(m, r), randSlice(n, r)
					const alpha = 0.37
					s := make([]float64, m)
					for i := range s {
						s[i] = alpha * a[i]
					}
					w2 := append([]float64(nil), w...)
					y, g, y2, g2 := make([]float64, m), make([]float64, n), make([]float64, m), make([]float64, n)
					Synapse(m, n, w, x, y, e, g, alpha, a, c)
					orders[path](m, n, w2, x, y2, e, g2, s, c)
					for _, o := range []struct {
						name      string
						got, want []float64
					}{{"y", y, y2}, {"g", g, g2}, {"W", w, w2}} {
						for i := range o.want {
							if math.Float64bits(o.got[i]) != math.Float64bits(o.want[i]) {
								t.Fatalf("%s path %d x %d: %s[%d] = %v, the documented order gives %v", path, m, n, o.name, i, o.got[i], o.want[i])
							}
						}
					}
					for _, mode := range synapseModes {
						k := newSynapseCase(m, n, mode, r)
						k.run()
						if want := sumOrders[path](m, n, k.w.s); math.Float64bits(k.sum) != math.Float64bits(want) {
							t.Fatalf("%s path, %s, %d x %d: sum of W = %v, the documented order gives %v", path, modeName(mode), m, n, k.sum, want)
						}
					}
				}
			}
		})
	}
}

// TestSynapseNonFinite: a NaN or an infinity in W, planted before the
// pass or made by the update, makes the sum NaN or infinite on every path
// and for every subset of the parts, wherever it is: the first entry, the
// middle, the last column of the first row (a masked tail lane unless n
// is a multiple of the vector width), the first and the last entry of the
// last row (an odd one on its own, or the second of a pair). An infinity
// keeps its sign; +Inf and -Inf together give NaN.
func TestSynapseNonFinite(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	inf := math.Inf(1)
	nan := math.NaN()
	for _, path := range synapsePaths() {
		withSynapsePath(path, func() {
			for _, mode := range synapseModes {
				for _, m := range []int{1, 2, 3, 4, 5} {
					for _, n := range []int{1, 3, 4, 7, 8, 9, 15, 16, 17, 23, 24, 33, 37} {
						where := [][2]int{{0, 0}, {m / 2, n / 2}, {0, n - 1}, {m - 1, 0}, {m - 1, n - 1}}
						for _, p := range where {
							for _, v := range []float64{nan, inf, -inf} {
								k := newSynapseCase(m, n, mode, r)
								k.w.s[p[0]*n+p[1]] = v
								k.run()
								if ok := k.sum == v || math.IsNaN(v) && math.IsNaN(k.sum); !ok {
									t.Fatalf("%s path, %s, %d x %d, W[%d,%d] = %v: sum %v", path, modeName(mode), m, n, p[0], p[1], v, k.sum)
								}
							}
							if p == where[0] {
								continue // the same entry
							}
							k := newSynapseCase(m, n, mode, r)
							k.w.s[0], k.w.s[p[0]*n+p[1]] = inf, -inf
							k.run()
							if !math.IsNaN(k.sum) {
								t.Fatalf("%s path, %s, %d x %d, W[0,0] = +Inf, W[%d,%d] = -Inf: sum %v, want NaN", path, modeName(mode), m, n, p[0], p[1], k.sum)
							}
						}
						if mode&partUpd != 0 { // an update that overflows
							for _, i := range []int{0, m - 1} {
								k := newSynapseCase(m, n, mode, r)
								k.a.s[i] = inf
								k.run()
								if !math.IsNaN(k.sum) && !math.IsInf(k.sum, 0) {
									t.Fatalf("%s path, %s, %d x %d, a[%d] = +Inf: sum %v", path, modeName(mode), m, n, i, k.sum)
								}
							}
						}
					}
				}
			}
		})
	}
}

// TestSynapseSumOverflow documents the converse's exception: finite
// entries whose sum overflows make it infinite too.
func TestSynapseSumOverflow(t *testing.T) {
	for _, path := range synapsePaths() {
		withSynapsePath(path, func() {
			w := []float64{math.MaxFloat64, math.MaxFloat64}
			if sum := Synapse(1, 2, w, nil, nil, nil, nil, 0, nil, nil); !math.IsInf(sum, 1) {
				t.Fatalf("%s path: sum of two MaxFloat64 = %v, want +Inf", path, sum)
			}
		})
	}
}

// TestSynapseOperands checks the panics on programmer errors and that an
// update with alpha 0 or a nil a is skipped.
func TestSynapseOperands(t *testing.T) {
	w, v2, v3, v1 := make([]float64, 6), make([]float64, 2), make([]float64, 3), make([]float64, 1)
	for _, tc := range []struct {
		name string
		call func()
		want string // "" for no panic
	}{
		{"negative size", func() { Synapse(-1, 3, w, nil, nil, nil, nil, 0, nil, nil) }, "negative size"},
		{"short w", func() { Synapse(3, 3, w, nil, nil, nil, nil, 0, nil, nil) }, "w has 6 entries"},
		{"x without y", func() { Synapse(2, 3, w, v3, nil, nil, nil, 0, nil, nil) }, "x and y"},
		{"short x", func() { Synapse(2, 3, w, v2, v2, nil, nil, 0, nil, nil) }, "x has 2 entries, want 3"},
		{"g without e", func() { Synapse(2, 3, w, nil, nil, nil, v3, 0, nil, nil) }, "e and g"},
		{"short e", func() { Synapse(2, 3, w, nil, nil, v1, v3, 0, nil, nil) }, "e has 1 entries, want 2"},
		{"a without c", func() { Synapse(2, 3, w, nil, nil, nil, nil, 1, v2, nil) }, "a and c"},
		{"short c", func() { Synapse(2, 3, w, nil, nil, nil, nil, 1, v2, v2) }, "c has 2, want 3"},
		{"alpha 0 skips the update", func() { Synapse(2, 3, w, nil, nil, nil, nil, 0, v2, nil) }, ""},
		{"nil a skips the update", func() { Synapse(2, 3, w, nil, nil, nil, nil, 1, nil, nil) }, ""},
		{"longer slices", func() { Synapse(1, 1, w, v3, v3, v3, v3, 1, v3, v3) }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := func() (msg string) {
				defer func() {
					if r := recover(); r != nil {
						msg = fmt.Sprint(r)
					}
				}()
				tc.call()
				return ""
			}()
			switch {
			case tc.want == "" && got != "":
				t.Fatalf("panic %q, want none", got)
			case tc.want != "" && (!strings.HasPrefix(got, "kern.Synapse: ") || !strings.Contains(got, tc.want)):
				t.Fatalf("panic %q, want kern.Synapse: ...%s...", got, tc.want)
			}
		})
	}
}

func TestSynapseAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const m, n = 10, 37
	w, x, y, e, g, a, c := randSlice(m*n, r), randSlice(n, r), randSlice(m, r), randSlice(m, r), randSlice(n, r), randSlice(m, r), randSlice(n, r)
	for _, path := range synapsePaths() {
		withSynapsePath(path, func() {
			if allocs := testing.AllocsPerRun(10, func() { Synapse(m, n, w, x, y, e, g, 1e-9, a, c) }); allocs != 0 {
				t.Fatalf("%s path: %v allocations per pass", path, allocs)
			}
		})
	}
}

// separatePasses is the baseline of BenchmarkSynapse: the three parts
// as three plain loops over W.
func separatePasses(m, n int, w, x, y, e, g []float64, alpha float64, a, c []float64) {
	for i := range m {
		row := w[i*n : i*n+n]
		s := 0.0
		for j, v := range row {
			s += v * x[j]
		}
		y[i] = s
	}
	clear(g[:n])
	for i := range m {
		row, ei := w[i*n:i*n+n], e[i]
		for j, v := range row {
			g[j] += v * ei
		}
	}
	for i := range m {
		row, si := w[i*n:i*n+n], alpha*a[i]
		for j := range row {
			row[j] += si * c[j]
		}
	}
}

// BenchmarkSynapse times the full pass (forward, transposed, update) on
// the benchmark networks' shapes: the fused kernel on each path against
// three separate plain Go loops. GB/s counts W read and written once
// (16 m n bytes), what a fused pass must move.
func BenchmarkSynapse(b *testing.B) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, sz := range [][2]int{{100, 100}, {100, 40}, {10, 100}, {1000, 784}, {1000, 1000}} {
		m, n := sz[0], sz[1]
		w, x, y, e, g, a, c := randSlice(m*n, r), randSlice(n, r), randSlice(m, r), randSlice(m, r), randSlice(n, r), randSlice(m, r), randSlice(n, r)
		const alpha = 1e-12 // W barely moves over the iterations
		report := func(b *testing.B) {
			b.ReportMetric(float64(16*m*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		}
		for _, path := range synapsePaths() {
			b.Run(fmt.Sprintf("%dx%d/fused-%s", m, n, path), func(b *testing.B) {
				withSynapsePath(path, func() {
					for b.Loop() {
						Synapse(m, n, w, x, y, e, g, alpha, a, c)
					}
				})
				report(b)
			})
		}
		b.Run(fmt.Sprintf("%dx%d/separate", m, n), func(b *testing.B) {
			for b.Loop() {
				separatePasses(m, n, w, x, y, e, g, alpha, a, c)
			}
			report(b)
		})
	}
}
