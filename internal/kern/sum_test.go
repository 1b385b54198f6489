package kern

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSum: the assembly and the Go sums agree with a plain sum to
// rounding, and are NaN or infinite exactly when an entry is (anywhere:
// first, in the vector part, in the scalar tail, last).
func TestSum(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := 0; n <= 300; n++ {
		x := make([]float64, n)
		want, mag := 0.0, 0.0
		for i := range x {
			x[i] = r.NormFloat64()
			want += x[i]
			mag += math.Abs(x[i])
		}
		for _, f := range []struct {
			name string
			sum  func([]float64) float64
		}{{"Sum", Sum}, {"go", sumValuesGo}} {
			if got := f.sum(x); math.Abs(got-want) > 1e-13*(1+mag) {
				t.Fatalf("%s of %d values = %v, want %v", f.name, n, got, want)
			}
			for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				for _, at := range []int{0, n / 2, n - 1, n - n%8, n - 1 - n%32} {
					if at < 0 || at >= n {
						continue
					}
					y := append([]float64(nil), x...)
					y[at] = bad
					if s := f.sum(y); !math.IsNaN(s) && !math.IsInf(s, 0) {
						t.Fatalf("%s of %d values with %v at %d = %v, want non-finite", f.name, n, bad, at, s)
					}
				}
			}
		}
	}
}

func BenchmarkSum(b *testing.B) {
	x := make([]float64, 1<<16)
	for i := range x {
		x[i] = float64(i % 7)
	}
	b.SetBytes(8 << 16)
	b.Run("Sum", func(b *testing.B) {
		for b.Loop() {
			Sum(x)
		}
	})
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			sumValuesGo(x)
		}
	})
}
