package kern

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(n int, r *rand.Rand) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = r.NormFloat64()
	}
	return s
}

// kernels returns the micro-kernels to test: the Go one and, where the
// CPU runs it, the assembly one.
func kernels() map[string]microKernel {
	ks := map[string]microKernel{"go": kernelGo}
	if kernelAsm != nil {
		ks["asm"] = kernelAsm
	}
	if kernelAVX2Only != nil {
		ks["avx2"] = kernelAVX2Only
	}
	return ks
}

// withKernel runs f with the given micro-kernel in use.
func withKernel(k microKernel, f func()) {
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
// agree (to rounding: the assembly ones fuse multiply and add).
func TestKernels(t *testing.T) {
	ks := kernels()
	delete(ks, "go")
	if len(ks) == 0 {
		t.Skip("no assembly micro-kernel on this CPU")
	}
	for name, kern := range ks {
		t.Run(name, func(t *testing.T) { testKernel(t, kern) })
	}
}

func testKernel(t *testing.T, kern microKernel) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, k := range []int{0, 1, 2, 3, 5, 8, 40, 100, 256} {
		for _, ab := range [][2]float64{{1, 0}, {0.25, 1}, {-2, 0.5}} {
			const lda, ldb, ldc = mr + 1, nr + 2, nr + 3
			a, b := randSlice(k*lda, r), randSlice(k*ldb, r)
			c0 := randSlice(mr*ldc, r)
			c1, c2 := append([]float64(nil), c0...), append([]float64(nil), c0...)
			kernelGo(k, a, lda, b, ldb, c1, ldc, ab[0], ab[1])
			kern(k, a, lda, b, ldb, c2, ldc, ab[0], ab[1])
			for i := range c1 {
				if math.Abs(c1[i]-c2[i]) > 1e-13*(1+math.Abs(c1[i]))*float64(1+k) {
					t.Fatalf("k %d alpha %g beta %g: entry %d: go %g, asm %g", k, ab[0], ab[1], i, c1[i], c2[i])
				}
			}
		}
	}
}

// BenchmarkGemm times the products of the benchmark networks (m x n x k
// and the layouts of n3 and n5: forward X W^T, transposed E W, update
// A^T C). (gonum's Dgemm, the baseline before this GEMM, is not linked
// here: the package uses the standard library only.)
func BenchmarkGemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	type shape struct {
		name    string
		m, n, k int
		at, bt  bool // A, B read through their transposes
	}
	for _, sh := range []shape{{"fwd", 32, 100, 100, false, true}, {"fwd", 32, 100, 40, false, true},
		{"tr", 32, 100, 100, false, false}, {"upd", 100, 100, 32, true, false}, {"upd", 100, 40, 32, true, false},
		{"fwd", 64, 1000, 1000, false, true}, {"upd", 1000, 1000, 64, true, false}} {
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
				b.Run(fmt.Sprintf("%s-%dx%dx%d-%s-%dw", sh.name, m, n, k, kn, pn), func(b *testing.B) {
					withKernel(kern, func() {
						for b.Loop() {
							Gemm(m, n, k, 1, a, bv, 0, c, n, pool)
						}
					})
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPs")
				})
			}
			pool.Close()
		}
	}
}
