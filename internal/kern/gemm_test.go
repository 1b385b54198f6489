package kern

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func randSlice(n int, r *rand.Rand) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = r.NormFloat64()
	}
	return s
}

// kernels returns the micro-kernel sets to test: the Go one and, where
// the CPU runs them, the assembly ones ("asm" is the default: the wide
// AVX-512 kernels where the CPU has AVX-512; "avx512x8" the 8 x 8
// AVX-512 kernel alone, as before the wide ones).
func kernels() map[string]gemmKernel {
	ks := map[string]gemmKernel{"go": {k8: kernelGo}}
	if kernelAsm.k8 != nil {
		ks["asm"] = kernelAsm
	}
	if kernelAVX2Only.k8 != nil {
		ks["avx2"] = kernelAVX2Only
	}
	if kernel8x8Only.k8 != nil {
		ks["avx512x8"] = kernel8x8Only
	}
	return ks
}

// withKernel runs f with the given micro-kernels in use.
func withKernel(k gemmKernel, f func()) {
	old := kernel
	kernel = k
	defer func() { kernel = old }()
	f()
}

// TestGemm checks gemm against the naive sum for every micro-kernel,
// every layout of the operands, edge tiles, blocking over k, beta 0 (c
// only written: NaN in c must not leak), 1 and other, serial and split.
func TestGemm(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{{1, 1, 1}, {4, 8, 1}, {4, 5, 7}, {32, 100, 40}, {100, 40, 32}, {10, 100, 32},
		{7, 3, 2}, {64, 301, 129}, {5, 17, 600}, {130, 1030, 9}, {64, 256, 70}, {3, 4, 0}}
	for name, kern := range kernels() {
		for _, pn := range []int{1, 2, 3} {
			pool := NewWorkers(pn)
			for _, sh := range shapes {
				m, n, k := sh[0], sh[1], sh[2]
				pool.Reserve(m, n, k)
				for _, ab := range [][2]float64{{0.5, 0.3}, {1, 0}, {-0.7, 1}} {
					alpha, beta := ab[0], ab[1]
					for lay := range 4 {
						ad, bd, c := randSlice(m*k, r), randSlice(k*n, r), randSlice(m*n, r)
						a, b := RowMajor(ad, k), RowMajor(bd, n)
						if lay&1 != 0 {
							a = ColMajor(ad, m)
						}
						if lay&2 != 0 {
							b = ColMajor(bd, k)
						}
						want := make([]float64, m*n)
						for i := range m {
							for j := range n {
								s := 0.0
								for p := range k {
									s += a.data[i*a.rs+p*a.cs] * b.data[p*b.rs+j*b.cs]
								}
								want[i*n+j] = alpha * s
								if beta != 0 {
									want[i*n+j] += beta * c[i*n+j]
								}
							}
						}
						if beta == 0 {
							for i := range c {
								c[i] = math.NaN()
							}
						}
						// a split product must run split: force it
						if pn > 1 && m*n*k < parallelMin && n >= 2*nr {
							pool.job = gemmJob{m, n, k, alpha, a, b, beta, c, n}
							withKernel(kern, pool.run)
						} else {
							withKernel(kern, func() { Gemm(m, n, k, alpha, a, b, beta, c, n, pool) })
						}
						for i := range c {
							if math.Abs(c[i]-want[i]) > 1e-12*(1+math.Abs(want[i]))*float64(1+k) {
								t.Fatalf("%s kernel, %d workers, %v, alpha %g beta %g layout %d: entry %d: %g, want %g",
									name, pn, sh, alpha, beta, lay, i, c[i], want[i])
							}
						}
					}
				}
			}
			pool.Close()
		}
	}
}

// TestKernels checks that the assembly micro-kernels and the Go one
// agree (to rounding: the assembly ones fuse multiply and add), and that
// the wide AVX-512 kernels compute each 8-column part of their tile bit
// for bit as the 8 x 8 one does.
func TestKernels(t *testing.T) {
	ks := kernels()
	delete(ks, "go")
	if len(ks) == 0 {
		t.Skip("no assembly micro-kernel on this CPU")
	}
	for name, kn := range ks {
		t.Run(name, func(t *testing.T) {
			testKernel(t, kn.k8, nr, kernelGo, false)
			if kn.k16 != nil {
				testKernel(t, kn.k16, 16, kernelGo, false)
				testKernel(t, kn.k16, 16, kn.k8, true)
			}
			if kn.k24 != nil {
				testKernel(t, kn.k24, 24, kernelGo, false)
				testKernel(t, kn.k24, 24, kn.k8, true)
			}
		})
	}
}

// TestKernelsT checks the transposed kernels against the 8 x 8 one, bit
// for bit.
func TestKernelsT(t *testing.T) {
	kn := kernelAsm
	if kn.k8T == nil {
		t.Skip("no transposed kernels on this CPU")
	}
	r := rand.New(rand.NewPCG(9, 10))
	for w, kern := range map[int]microKernel{8: kn.k8T, 16: kn.k16T, 24: kn.k24T} {
		for _, k := range []int{0, 1, 2, 3, 4, 5, 7, 9, 100, 256} {
			for _, ab := range [][2]float64{{1, 0}, {0.25, 1}, {-2, 0}, {0.3, math.Copysign(0, -1)}} {
				lda, ldb, ldc := k+3, w+2, mr+5
				a, b := randSlice(mr*lda, r), randSlice(max(k, 1)*ldb, r)
				c := randSlice(w*ldc, r)
				if ab[1] == 0 {
					for i := range c {
						c[i] = math.NaN()
					}
				}
				// the same tile the usual way: A packed, C (8 x w) not transposed
				ap := make([]float64, max(k, 1)*mr)
				for i := range mr {
					for p := range k {
						ap[p*mr+i] = a[i*lda+p]
					}
				}
				cn := make([]float64, mr*w)
				for i := range mr {
					for j := range w {
						cn[i*w+j] = c[j*ldc+i]
					}
				}
				for j := 0; j < w; j += nr {
					kn.k8(k, ap, mr, b[j:], ldb, cn[j:], w, ab[0], ab[1])
				}
				c0 := append([]float64(nil), c...)
				kern(k, a, lda, b, ldb, c, ldc, ab[0], ab[1])
				for j := range w {
					for i := range ldc {
						got, want := c[j*ldc+i], c0[j*ldc+i]
						if i < mr {
							want = cn[i*w+j]
						}
						if math.Float64bits(got) != math.Float64bits(want) {
							t.Fatalf("%d columns, k %d alpha %g beta %g: entry (%d, %d) at c[%d]: %v, want %v", w, k, ab[0], ab[1], i, j, j*ldc+i, got, want)
						}
					}
				}
			}
		}
	}
}

// testKernel compares the kernel of 8 x w tiles with ref, an 8 x 8 one
// run on each 8 columns, to rounding or, if exact, bit for bit.
func testKernel(t *testing.T, kern microKernel, w int, ref microKernel, exact bool) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, k := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 40, 100, 255, 256} {
		for _, ab := range [][2]float64{{1, 0}, {0.25, 1}, {-2, 0.5}, {0.3, math.Copysign(0, -1)}} {
			lda, ldb, ldc := mr+1, w+2, w+3
			a, b := randSlice(max(k, 1)*lda, r), randSlice(max(k, 1)*ldb, r)
			c0 := randSlice(mr*ldc, r)
			if ab[1] == 0 {
				for i := range c0 {
					c0[i] = math.NaN() // only written
				}
			}
			c1, c2 := append([]float64(nil), c0...), append([]float64(nil), c0...)
			for j := 0; j < w; j += nr {
				ref(k, a, lda, b[j:], ldb, c1[j:], ldc, ab[0], ab[1])
			}
			kern(k, a, lda, b, ldb, c2, ldc, ab[0], ab[1])
			for i := range c1 {
				same := math.Float64bits(c1[i]) == math.Float64bits(c2[i]) // NaN past the tile
				if !same && (exact || !(math.Abs(c1[i]-c2[i]) <= 1e-13*(1+math.Abs(c1[i]))*float64(1+k))) {
					t.Fatalf("%d columns, k %d alpha %g beta %g: entry %d: ref %g, kernel %g", w, k, ab[0], ab[1], i, c1[i], c2[i])
				}
			}
		}
	}
}

// refGemm computes what Gemm computes with the assembly kernels, bit for
// bit, one entry at a time: per kc block of k, the chain of fused
// multiply-adds over p in increasing order from 0, times alpha, added to
// bt*c by one fused multiply-add (bt is beta for the first block, 1
// after), except in the partial tiles of the bottom and right edges,
// where alpha*sum and bt*c are rounded apart and added.
func refGemm(m, n, k int, alpha float64, a, b View, beta float64, c []float64, ldc int) {
	m8, n8 := m/mr*mr, n/nr*nr
	for i := range m {
		for j := range n {
			x := &c[i*ldc+j]
			if k == 0 {
				if beta == 0 {
					*x = 0
				} else {
					*x *= beta
				}
				continue
			}
			for pc := 0; pc < k; pc += kc {
				bt := beta
				if pc > 0 {
					bt = 1
				}
				s := 0.0
				for p := pc; p < min(k, pc+kc); p++ {
					s = math.FMA(a.data[i*a.rs+p*a.cs], b.data[p*b.rs+j*b.cs], s)
				}
				switch {
				case bt == 0:
					*x = alpha * s
				case i < m8 && j < n8:
					*x = math.FMA(bt, *x, alpha*s)
				default:
					*x = float64(bt**x) + float64(alpha*s)
				}
			}
		}
	}
}

// TestGemmExact checks that the assembly kernels (the wide AVX-512 ones
// where the CPU has them, and the 8 x 8 one alone) compute every entry
// of C bit for bit as refGemm does, on random shapes with ragged edges,
// several kc blocks, every layout of the operands, beta 0, 1 and other,
// one and two workers.
func TestGemmExact(t *testing.T) {
	ks := kernels()
	delete(ks, "go")
	delete(ks, "avx2") // fuses the same way, but is checked by TestGemm
	if len(ks) == 0 {
		t.Skip("no AVX-512 micro-kernel on this CPU")
	}
	r := rand.New(rand.NewPCG(5, 6))
	shapes := [][3]int{{8, 24, 5}, {64, 1000, 300}, {32, 100, 100}, {100, 100, 32}, {13, 61, 513}, {57, 47, 257}, {150, 70, 300}, {128, 9, 260}}
	for range 30 {
		shapes = append(shapes, [3]int{1 + r.IntN(80), 1 + r.IntN(140), r.IntN(600)})
	}
	for name, kern := range ks {
		for _, pn := range []int{1, 2} {
			pool := NewWorkers(pn)
			for _, sh := range shapes {
				m, n, k := sh[0], sh[1], sh[2]
				pool.Reserve(m, n, k)
				for _, ab := range [][2]float64{{0.5, 0.3}, {1, 0}, {-0.7, 1}} {
					alpha, beta := ab[0], ab[1]
					for lay := range 4 {
						ad, bd, c := randSlice(m*k, r), randSlice(k*n, r), randSlice(m*n, r)
						a, b := RowMajor(ad, k), RowMajor(bd, n)
						if lay&1 != 0 {
							a = ColMajor(ad, m)
						}
						if lay&2 != 0 {
							b = ColMajor(bd, k)
						}
						want := append([]float64(nil), c...)
						refGemm(m, n, k, alpha, a, b, beta, want, n)
						if pn > 1 && n >= 2*nr {
							pool.job = gemmJob{m, n, k, alpha, a, b, beta, c, n}
							withKernel(kern, pool.run)
						} else {
							withKernel(kern, func() { Gemm(m, n, k, alpha, a, b, beta, c, n, pool) })
						}
						for i := range c {
							if math.Float64bits(c[i]) != math.Float64bits(want[i]) {
								t.Fatalf("%s kernels, %d workers, %v, alpha %g beta %g layout %d: entry (%d, %d): %v, want %v",
									name, pn, sh, alpha, beta, lay, i/n, i%n, c[i], want[i])
							}
						}
					}
				}
			}
			pool.Close()
		}
	}
}

// BenchmarkGemm times the products of the benchmark networks (m x n x k
// and the layouts of n3 and n5 as the runtime calls them: forward X W^T,
// transposed E W, update C += alpha A^T E) on every micro-kernel set:
// "asm" is the default one (on AVX-512, the wide kernels), "avx512x8"
// the 8 x 8 AVX-512 kernel alone, as before them. Compare them with
//
//	go test -run - -bench Gemm -count 5 ./internal/kern
//
// (gonum's Dgemm, the baseline before this GEMM, is not linked here: the
// package uses the standard library only.)
func BenchmarkGemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	type shape struct {
		name    string
		m, n, k int
		at, bt  bool    // A, B read through their transposes
		beta    float64 // 1 for the updates
	}
	for _, sh := range []shape{
		// n3
		{"fwd", 32, 100, 100, false, true, 0}, {"fwd", 32, 100, 40, false, true, 0},
		{"tr", 32, 100, 100, false, false, 0}, {"upd", 100, 100, 32, true, false, 1}, {"upd", 100, 40, 32, true, false, 1},
		// n5
		{"fwd", 64, 1000, 784, false, true, 0}, {"fwd", 64, 1000, 1000, false, true, 0},
		{"tr", 64, 1000, 1000, false, false, 0},
		{"upd", 1000, 784, 64, true, false, 1}, {"upd", 1000, 1000, 64, true, false, 1}} {
		m, n, k := sh.m, sh.n, sh.k
		ad, bd, c := randSlice(m*k, r), randSlice(n*k, r), randSlice(m*n, r)
		a, bv := RowMajor(ad, k), RowMajor(bd, n)
		if sh.at {
			a = ColMajor(ad, m)
		}
		if sh.bt {
			bv = ColMajor(bd, k)
		}
		flops := float64(2 * m * n * k)
		for _, pn := range []int{1, 2} {
			pool := NewWorkers(pn)
			pool.Reserve(m, n, k)
			for kn, kern := range kernels() {
				if kn == "go" {
					continue
				}
				b.Run(fmt.Sprintf("%s-%dx%dx%d-%s-%dw", sh.name, m, n, k, kn, pn), func(b *testing.B) {
					withKernel(kern, func() {
						for b.Loop() {
							Gemm(m, n, k, 1e-9, a, bv, sh.beta, c, n, pool)
						}
					})
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPs")
				})
			}
			pool.Close()
		}
	}
}

// TestGemmCompare times the default kernels against the 8 x 8 AVX-512
// one alone, interleaved round by round in one process (for a shared,
// noisy machine), when VLEC_GEMM_COMPARE is set (to the number of
// rounds); it prints GFLOP/s max/median of each and the ratios of the
// maxima and of the medians. With one worker the time is the thread's
// CPU time (Linux), without the time other processes take; with two,
// wall time.
func TestGemmCompare(t *testing.T) {
	rounds, _ := strconv.Atoi(os.Getenv("VLEC_GEMM_COMPARE"))
	if rounds == 0 || kernel8x8Only.k8 == nil {
		t.Skip("set VLEC_GEMM_COMPARE=rounds to time the kernels (AVX-512 only)")
	}
	r := rand.New(rand.NewPCG(1, 2))
	type shape struct {
		name    string
		m, n, k int
		at, bt  bool
		beta    float64
	}
	shapes := []shape{
		{"n3 fwd", 32, 100, 100, false, true, 0}, {"n3 fwd", 32, 100, 40, false, true, 0},
		{"n3 tr", 32, 100, 100, false, false, 0}, {"n3 upd", 100, 100, 32, true, false, 1}, {"n3 upd", 100, 40, 32, true, false, 1},
		{"n5 fwd", 64, 1000, 784, false, true, 0}, {"n5 fwd", 64, 1000, 1000, false, true, 0},
		{"n5 tr", 64, 1000, 1000, false, false, 0},
		{"n5 upd", 1000, 784, 64, true, false, 1}, {"n5 upd", 1000, 1000, 64, true, false, 1}}
	if s := os.Getenv("VLEC_GEMM_SHAPES"); s != "" {
		var keep []shape
		for _, sh := range shapes {
			if strings.Contains(fmt.Sprintf("%s %dx%dx%d", sh.name, sh.m, sh.n, sh.k), s) {
				keep = append(keep, sh)
			}
		}
		shapes = keep
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, pn := range []int{1, 2} {
		pool := NewWorkers(pn)
		for _, sh := range shapes {
			m, n, k := sh.m, sh.n, sh.k
			pool.Reserve(m, n, k)
			ad, bd, c := randSlice(m*k, r), randSlice(n*k, r), randSlice(m*n, r)
			a, bv := RowMajor(ad, k), RowMajor(bd, n)
			if sh.at {
				a = ColMajor(ad, m)
			}
			if sh.bt {
				bv = ColMajor(bd, k)
			}
			flops := float64(2 * m * n * k)
			reps := max(1, int(5e6/flops)) // about 1 ms per timing at 5 GFLOP/s
			var times [2][]float64
			for round := range rounds {
				for i, kn := range []gemmKernel{kernel8x8Only, kernelAsm} {
					if round%2 == 1 {
						kn = []gemmKernel{kernelAsm, kernel8x8Only}[i]
						i = 1 - i
					}
					withKernel(kn, func() {
						Gemm(m, n, k, 1e-9, a, bv, sh.beta, c, n, pool)
						t0, c0 := time.Now(), threadCPU()
						for range reps {
							Gemm(m, n, k, 1e-9, a, bv, sh.beta, c, n, pool)
						}
						d := time.Since(t0)
						if pn == 1 {
							d = threadCPU() - c0
						}
						times[i] = append(times[i], flops*float64(reps)/d.Seconds()/1e9)
					})
				}
			}
			for i := range times {
				slices.Sort(times[i])
			}
			best := func(i int) float64 { return times[i][len(times[i])-1] }
			med := func(i int) float64 { return times[i][len(times[i])/2] }
			t.Logf("%-7s %4dx%4dx%4d %dw  GFLOP/s old max %5.1f med %5.1f  new max %5.1f med %5.1f  new/old max %.2f med %.2f",
				sh.name, m, n, k, pn, best(0), med(0), best(1), med(1), best(1)/best(0), med(1)/med(0))
		}
		pool.Close()
	}
}

// TestInterleave8 checks that the assembly transposer packs panels as
// interleave8's loop does, bit for bit.
func TestInterleave8(t *testing.T) {
	t8 := kernelAsm.t8
	if t8 == nil {
		t.Skip("no assembly transposer on this CPU")
	}
	r := rand.New(rand.NewPCG(7, 8))
	for _, kb := range []int{0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 255, 256} {
		for _, ld := range []int{8, 16, 24} {
			for _, stride := range []int{kb, kb + 3, 1000} {
				src := randSlice(3+8*stride+kb, r)
				want, got := randSlice(max(kb, 1)*ld, r), make([]float64, max(kb, 1)*ld)
				copy(got, want)
				interleave8(want, ld, src, 3, stride, kb, nil)
				interleave8(got, ld, src, 3, stride, kb, t8)
				for i := range want {
					if math.Float64bits(want[i]) != math.Float64bits(got[i]) {
						t.Fatalf("kb %d ld %d stride %d: entry %d: %v, want %v", kb, ld, stride, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// BenchmarkPackB times packing the forward product's B (W read through
// its transpose) for n5's 1000 x 1000 W, one kc block at a time.
func BenchmarkPackB(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const n, k = 1000, 1000
	w := randSlice(n*k, r)
	bv := ColMajor(w, k)
	dst := make([]float64, roundUp(n, nr)*kc)
	for name, kn := range kernels() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				for pc := 0; pc < k; pc += kc {
					packB(dst, bv, pc, min(kc, k-pc), 0, n, n/nr*nr, &kn)
				}
			}
			b.ReportMetric(float64(2*8*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
