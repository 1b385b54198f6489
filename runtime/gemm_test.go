package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

func randSlice(n int, r *rand.Rand) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = r.NormFloat64()
	}
	return s
}

func TestGemmNT(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pool := newWorkers(2)
	defer pool.close()
	for _, sh := range [][3]int{{1, 1, 1}, {4, 5, 7}, {32, 100, 40}, {64, 301, 129}, {7, 3, 2}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, b, c := randSlice(m*k, r), randSlice(n*k, r), randSlice(m*n, r)
		want := append([]float64(nil), c...)
		blas64.Gemm(blas.NoTrans, blas.Trans, 0.5, blas64.General{Rows: m, Cols: k, Stride: k, Data: a},
			blas64.General{Rows: n, Cols: k, Stride: k, Data: b}, 0.3, blas64.General{Rows: m, Cols: n, Stride: n, Data: want})
		gemmNT(m, n, k, 0.5, a, b, 0.3, c, n, pool)
		for i := range c {
			if math.Abs(c[i]-want[i]) > 1e-12*(1+math.Abs(want[i])) {
				t.Fatalf("%v: entry %d: %g, want %g", sh, i, c[i], want[i])
			}
		}
	}
}

func BenchmarkGemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	pool := newWorkers(2)
	defer pool.close()
	for _, sh := range [][3]int{{32, 100, 100}, {32, 100, 40}, {100, 100, 32}, {64, 1000, 1000}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, bb, c := randSlice(m*k, r), randSlice(n*k, r), randSlice(m*n, r)
		flops := float64(2 * m * n * k)
		b.Run(fmt.Sprintf("ours-%dx%dx%d", m, n, k), func(b *testing.B) {
			for b.Loop() {
				gemmNT(m, n, k, 1, a, bb, 0, c, n, pool)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPs")
		})
		b.Run(fmt.Sprintf("serial-%dx%dx%d", m, n, k), func(b *testing.B) {
			for b.Loop() {
				gemmNT(m, n, k, 1, a, bb, 0, c, n, nil)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPs")
		})
		b.Run(fmt.Sprintf("gonum-%dx%dx%d", m, n, k), func(b *testing.B) {
			for b.Loop() {
				blas64.Gemm(blas.NoTrans, blas.Trans, 1, blas64.General{Rows: m, Cols: k, Stride: k, Data: a},
					blas64.General{Rows: n, Cols: k, Stride: k, Data: bb}, 0, blas64.General{Rows: m, Cols: n, Stride: n, Data: c})
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPs")
		})
	}
}
