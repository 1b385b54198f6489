package kern

// The synapse pass over float32 storage (see Synapse32).

// Synapse32Scratch is the number of float64 values of scratch Synapse32
// needs for a matrix of n columns.
func Synapse32Scratch(n int) int { return 4*n + 3 }

// Synapse32 is Synapse over float32 storage: w, x, y, e, g, a and c hold
// float32 numbers, every operation computes in float64 from them exactly
// as Synapse computes on the same values held as float64, and each value
// written (y[i], g[j], W[i,j]) is rounded to float32 once, when stored:
// g's sums over the rows accumulate in float64 in the scratch and are
// rounded at the end. The results are therefore those of Synapse on the
// float64 copies of the operands, rounded to float32, bit for bit, on
// the path Synapse uses on this CPU (SynapseKernel). The sum returned is
// the sum of the entries of W as stored (after the update, rounded), in
// float64; it is NaN or infinite when one of them is (see Synapse).
// scratch needs Synapse32Scratch(n) values; Synapse32 does not allocate.
//
// On AVX-512 the pass reads and writes W as float32 and widens it in
// registers (half of Synapse's memory traffic, twice its vector
// instructions); on other CPUs it widens each row into the scratch and
// runs Synapse's path on it.
func Synapse32(m, n int, w, x, y, e, g []float32, alpha float64, a, c []float32, scratch []float64) float64 {
	mode := synapseMode(m, n, w, x, y, e, g, alpha, a, c)
	if len(scratch) < Synapse32Scratch(n) {
		synapsePanic("scratch has %d entries, want %d for %d columns", len(scratch), Synapse32Scratch(n), n)
	}
	if m == 0 || n == 0 {
		if mode&partFwd != 0 {
			clear(y[:m])
		}
		if mode&partTr != 0 {
			clear(g[:n])
		}
		return 0
	}
	gs := scratch[3*n : 4*n]
	if mode&partTr != 0 {
		clear(gs)
	}
	var sum float64
	if synapsePath == pathAVX512 {
		// x and c widened once, W widened in registers
		var xw, cw []float64
		if mode&partFwd != 0 {
			xw = scratch[n : 2*n]
			widen(xw, x[:n])
		}
		if mode&partUpd != 0 {
			cw = scratch[2*n : 3*n]
			widen(cw, c[:n])
		}
		sum = synapse32AVX512(mode, m, n, w, xw, y, e, gs, alpha, a, cw)
	} else {
		sum = synapse32Rows(mode, m, n, w, x, y, e, gs, alpha, a, c, scratch)
	}
	if mode&partTr != 0 {
		for j, v := range gs {
			g[j] = float32(v)
		}
	}
	return sum
}

// synapse32Rows runs the pass row by row on Synapse's path: the row, x
// and c widened into the scratch, the row's pass, its results rounded.
// Synapse's paths compute each row as they compute it within a whole
// matrix (the rows' sums of W aside, which this sum replaces), so the
// numbers are Synapse's.
func synapse32Rows(mode, m, n int, w, x, y, e []float32, gs []float64, alpha float64, a, c []float32, scratch []float64) float64 {
	row, xw, cw := scratch[:n], scratch[n:2*n], scratch[2*n:3*n]
	one := scratch[4*n : 4*n+3] // y[i], e[i], a[i]
	var yi, ei, ai, xs, cs []float64
	if mode&partFwd != 0 {
		widen(xw, x[:n])
		xs, yi = xw, one[0:1]
	}
	if mode&partTr != 0 {
		ei = one[1:2]
	}
	if mode&partUpd != 0 {
		widen(cw, c[:n])
		cs, ai = cw, one[2:3]
	}
	var ws float64
	for i := range m {
		wr := w[i*n : i*n+n : i*n+n]
		widen(row, wr)
		if ei != nil {
			ei[0] = float64(e[i])
		}
		if ai != nil {
			ai[0] = float64(a[i])
		}
		synapse(mode, 1, n, row, xs, yi, ei, gs, alpha, ai, cs)
		if yi != nil {
			y[i] = float32(yi[0])
		}
		for j, v := range row {
			r := float32(v)
			if mode&partUpd != 0 {
				wr[j] = r
			}
			ws += float64(r)
		}
	}
	return ws
}

// widen copies the float32 values of src into dst as float64.
func widen(dst []float64, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float64(v)
	}
}
