package kern

import "math"

// The synapse pass in float32 arithmetic (see Synapse32).

// Synapse32Scratch is the number of float64 values of scratch Synapse32
// needs for a matrix of n columns: none (the argument is kept for the
// callers written when Synapse32 summed g in float64).
func Synapse32Scratch(n int) int { return 0 }

// Synapse32 is Synapse over float32 numbers, computed in float32: the
// same parts, operands and checks, every operation a float32 one. The
// update computes s = alpha*a[i] in float64 and rounds it to float32
// (one rounding of alpha*a[i] to float64 first: s is a float32 number,
// the same on every path), then W[i,j] + s*c[j]. The products and sums
// are float32 fused multiply-adds, each rounded once to float32: y[i] =
// sum_j W[i,j] x[j] accumulates in 32 lanes (column j in lane j mod 32,
// in increasing j, from 0), reduced as t_l = lane_l + lane_{l+16} (l <
// 16), then 8, 4, 2 and 1 apart as Synapse's AVX-512 path does; g[j] =
// (((0 + W[0,j] e[0]) + W[1,j] e[1]) + ...) in row order; W[i,j] =
// fma(s, c[j], W[i,j]). The sum returned is the sum of W after the pass
// in float32 lanes as Synapse's AVX-512 path takes it (rows in pairs,
// (W[2k,j] + W[2k+1,j]) into lane j mod 32, an odd last row alone,
// reduced as y[i]), widened to float64. It is a guard: NaN or infinite
// when an entry of W is; also infinite when finite entries add up
// beyond float32's range (some |W[i,j]| at least about 3.4e38 / (m n)),
// so that a caller finding it non-finite scans W (see Synapse).
//
// Every path gives the same bits: AVX-512 (16 float32 lanes per vector,
// VFMADD231PS) and the Go path, which follows its order lane by lane and
// computes each fused multiply-add exactly rounded (fma32): Synapse32 is
// deterministic across CPUs, unlike Synapse. scratch is not used (see
// Synapse32Scratch; it may be nil). Synapse32 does not allocate.
func Synapse32(m, n int, w, x, y, e, g []float32, alpha float64, a, c []float32, scratch []float64) float64 {
	mode := synapseMode(m, n, w, x, y, e, g, alpha, a, c)
	if mode&partTr != 0 {
		clear(g[:n])
	}
	if m == 0 || n == 0 {
		if mode&partFwd != 0 {
			clear(y[:m])
		}
		return 0
	}
	if synapsePath == pathAVX512 {
		return synapse32AVX512(mode, m, n, w, x, y, e, g, alpha, a, c)
	}
	return synapse32Go(mode, m, n, w, x, y, e, g, alpha, a, c)
}

// Synapse32WideScratch is the number of float32 values of scratch
// Synapse32Wide needs for an m x n matrix.
func Synapse32WideScratch(m, n int) int { return m*n + 3*m + 3*n }

// Synapse32Wide is Synapse32 on float32 numbers held in float64 slices
// (the interpreter's buffers under precision float32): it copies the
// operands it reads into the float32 scratch, runs Synapse32 there and
// writes y, g and (when the update runs) W back, widened, so that it
// computes Synapse32's bits. Values that are not float32 numbers are
// rounded to float32 as they are read. scratch needs
// Synapse32WideScratch(m, n) values; Synapse32Wide does not allocate.
func Synapse32Wide(m, n int, w, x, y, e, g []float64, alpha float64, a, c []float64, scratch []float32) float64 {
	mode := synapseMode(m, n, w, x, y, e, g, alpha, a, c)
	if len(scratch) < Synapse32WideScratch(m, n) {
		synapsePanic("scratch has %d entries, want %d for %d x %d", len(scratch), Synapse32WideScratch(m, n), m, n)
	}
	ws, rest := scratch[:m*n:m*n], scratch[m*n:]
	take := func(k int) []float32 {
		s := rest[:k:k]
		rest = rest[k:]
		return s
	}
	var xs, ys, es, gs, as, cs []float32
	if mode&partFwd != 0 {
		xs, ys = take(n), take(m)
		Narrow(xs, x[:n])
	}
	if mode&partTr != 0 {
		es, gs = take(m), take(n)
		Narrow(es, e[:m])
	}
	if mode&partUpd != 0 {
		as, cs = take(m), take(n)
		Narrow(as, a[:m])
		Narrow(cs, c[:n])
	} else {
		alpha = 0
	}
	Narrow(ws, w[:m*n])
	sum := Synapse32(m, n, ws, xs, ys, es, gs, alpha, as, cs, nil)
	if ys != nil {
		Widen(y[:m], ys)
	}
	if gs != nil {
		Widen(g[:n], gs)
	}
	if mode&partUpd != 0 {
		Widen(w[:m*n], ws)
	}
	return sum
}

// Narrow rounds the float64 values of src to the float32 values of dst
// (ties to even), len(src) of them.
func Narrow(dst []float32, src []float64) {
	dst = dst[:len(src)]
	k := narrowAsm(dst, src)
	for i := k; i < len(src); i++ {
		dst[i] = float32(src[i])
	}
}

// Widen copies the float32 values of src into dst as float64, len(src)
// of them.
func Widen(dst []float64, src []float32) {
	dst = dst[:len(src)]
	k := widenAsm(dst, src)
	for i := k; i < len(src); i++ {
		dst[i] = float64(src[i])
	}
}

// fma32 is the float32 fused multiply-add a*b + c rounded once to
// float32 (round to nearest, ties to even), as VFMADD231PS computes it.
// The product of two float32 numbers is exact in float64 and the sum of
// two float64 numbers is s + t exactly (TwoSum); s rounded to float64
// and then to float32 could round twice the wrong way (when s lands on a
// tie between float32 numbers that the exact sum is not on: 1 +
// 641*6700417*2^-56 = 1 + 2^-24 + 2^-56), so s is rounded to odd first
// (to its odd float64 neighbour towards s + t when t != 0): a number
// rounded to odd with 53 bits rounds to float32's 24 as the exact sum
// would (round to odd needs p + 2 bits: 53 >= 26).
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b) // exact
	q := float64(c)
	s := p + q
	if s-s != 0 {
		return float32(s) // an infinity or NaN: no error term
	}
	v := s - p
	t := (p - (s - v)) + (q - v) // p + q = s + t exactly
	if bits := math.Float64bits(s); t != 0 && bits&1 == 0 {
		if (t > 0) == (s > 0) {
			bits++ // away from zero, towards s + t
		} else {
			bits--
		}
		s = math.Float64frombits(bits)
	}
	return float32(s)
}

// synapse32Go is the Go path of Synapse32 (m, n > 0, g cleared): the
// AVX-512 path's order lane by lane, the rows in pairs, then an odd last
// one, each row in vectors of 16 columns, vector k into accumulator half
// k mod 2, the lanes past n of the last vector computed on zeros (as the
// zeroing loads: they add +0 to their lane).
func synapse32Go(mode, m, n int, w, x, y, e, g []float32, alpha float64, a, c []float32) float64 {
	var ws [32]float32 // the sum of W, column j in lane j mod 32
	i := 0
	for ; i+2 <= m; i += 2 {
		synapse32RowsGo(mode, 2, i, n, w, x, y, e, g, alpha, a, c, &ws)
	}
	if i < m {
		synapse32RowsGo(mode, 1, i, n, w, x, y, e, g, alpha, a, c, &ws)
	}
	return float64(reduce32(&ws))
}

// synapse32RowsGo runs nr (1 or 2) rows from row i0 (see synapse32Go).
func synapse32RowsGo(mode, nr, i0, n int, w, x, y, e, g []float32, alpha float64, a, c []float32, ws *[32]float32) {
	var fwd [2][32]float32
	var ev, sv [2]float32
	var rows [2][]float32
	for r := range nr {
		i := i0 + r
		rows[r] = w[i*n : i*n+n : i*n+n]
		if mode&partTr != 0 {
			ev[r] = e[i]
		}
		if mode&partUpd != 0 {
			sv[r] = float32(alpha * float64(a[i]))
		}
	}
	for j0 := 0; j0 < n; j0 += 16 {
		half := (j0 / 16 % 2) * 16
		for l := range 16 {
			j, lane := j0+l, half+l
			in := j < n
			var wv [2]float32
			var xj, gj, cj float32
			if in {
				for r := range nr {
					wv[r] = rows[r][j]
				}
				if mode&partFwd != 0 {
					xj = x[j]
				}
				if mode&partTr != 0 {
					gj = g[j]
				}
				if mode&partUpd != 0 {
					cj = c[j]
				}
			}
			for r := range nr {
				if mode&partFwd != 0 {
					fwd[r][lane] = fma32(wv[r], xj, fwd[r][lane])
				}
				if mode&partTr != 0 {
					gj = fma32(wv[r], ev[r], gj)
				}
				if mode&partUpd != 0 {
					wv[r] = fma32(cj, sv[r], wv[r])
				}
			}
			if in {
				if mode&partTr != 0 {
					g[j] = gj
				}
				if mode&partUpd != 0 {
					for r := range nr {
						rows[r][j] = wv[r]
					}
				}
			}
			sum := wv[0]
			if nr == 2 {
				sum = float32(wv[0] + wv[1])
			}
			ws[lane] = float32(ws[lane] + sum)
		}
	}
	if mode&partFwd != 0 {
		for r := range nr {
			y[i0+r] = reduce32(&fwd[r])
		}
	}
}

// reduce32 adds the 32 lanes of v as the AVX-512 path reduces them: 16
// apart, then 8, 4, 2 and 1.
func reduce32(v *[32]float32) float32 {
	var t [16]float32
	for l := range 16 {
		t[l] = float32(v[l] + v[l+16])
	}
	for h := 8; h >= 1; h /= 2 {
		for l := range h {
			t[l] = float32(t[l] + t[l+h])
		}
	}
	return t[0]
}
