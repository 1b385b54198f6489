package kern

import (
	"fmt"
	"testing"
)

// BenchmarkStream measures the memory bandwidth the synapse pass reaches
// on this machine, for the working sets of the benchmark networks
// (examples/bench: n2's three matrices, 15,000 values, 120 kB; n4's,
// 1,794,000 values, 14.4 MB), with the vector kernel itself, so that the
// figures are what vector loads and stores can move, not what a scalar
// loop issues: a read of every value (the forward product alone), a
// read-modify-write of every value (the update alone), and the fused
// pass (forward product, message and update). MB/s counts 8 bytes per
// value read and 8 per value written. The roofline of a network's step
// is its bytes of weights moved divided by the read-modify-write
// bandwidth (see BENCHMARKS.md).
func BenchmarkStream(b *testing.B) {
	const cols = 1000
	for _, n := range []int{15_000, 1_794_000} {
		rows := n / cols
		w := make([]float64, rows*cols)
		for i := range w {
			w[i] = float64(i%7) * 1e-3
		}
		x, c, g := make([]float64, cols), make([]float64, cols), make([]float64, cols)
		y, e, a := make([]float64, rows), make([]float64, rows), make([]float64, rows)
		for i := range a {
			a[i] = 1e-9
		}
		parts := []struct {
			name  string
			bytes int
			run   func()
		}{
			{"read", 8, func() { Synapse(rows, cols, w, x, y, nil, nil, 0, nil, nil) }},
			{"readwrite", 16, func() { Synapse(rows, cols, w, nil, nil, nil, nil, 1e-12, a, c) }},
			{"fused", 16, func() { Synapse(rows, cols, w, x, y, e, g, 1e-12, a, c) }},
		}
		for _, part := range parts {
			b.Run(fmt.Sprintf("%s/n=%d", part.name, rows*cols), func(b *testing.B) {
				b.SetBytes(int64(part.bytes * rows * cols))
				for b.Loop() {
					part.run()
				}
			})
		}
	}
}
