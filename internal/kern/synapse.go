package kern

import "fmt"

// The fused synapse pass (see Synapse). Three implementations compute
// it: synapseGo, in Go, everywhere, and on amd64 CPUs with AVX-512 or
// AVX2/FMA assembly ones (synapse_amd64.s). They differ in the last bits
// only; the summation order of each is documented at Synapse.

// The implementations of the synapse pass (see SynapseKernel).
const (
	pathGo     = "go"
	pathAVX2   = "avx2"
	pathAVX512 = "avx512"
)

// The parts of a synapse pass, as bits of a mode; mode 0 only sums W.
const (
	partFwd = 1 << iota // y = W x
	partTr              // g = W^T e
	partUpd             // W += alpha a c^T
)

// Synapse makes one pass over the row-major m x n matrix w and computes,
// reading every w[i*n+j] once before it is updated, any subset of
//
//	y[i] = sum_j W[i,j] x[j]     forward product (y overwritten)
//	g[j] = sum_i W[i,j] e[i]     transposed product (g overwritten)
//	W[i,j] += alpha a[i] c[j]    rank-one update
//
// where the products read W as it was before the update, and returns
// sum_ij W[i,j], the sum of W as it stands after the call (after the
// update when it runs; 0 for an empty W). A nil x or y skips the
// forward product (both must then be nil), a nil e or g the transposed
// one, and alpha == 0 or a nil a the update (then w is only read; c may
// be nil); with no part left, Synapse only sums W. Only the first m or n
// entries of each vector are used; shorter slices are programmer errors
// and panic, as does a nil partner (x without y, e without g, a without
// c). No slice may overlap another written one (y, g, w): aliasing is
// not checked and gives undefined results. Synapse does not allocate.
//
// The sum is a non-finite check that costs no extra pass over W: it is
// taken from the values the pass holds anyway (one addition per value).
// A NaN in W after the call makes it NaN, an infinity infinite of the
// same sign (+Inf and -Inf together give NaN). The converse does not
// hold: finite entries whose sum overflows give an infinite sum too
// (some |W[i,j]| must then be at least about 1.8e308 / (m n)), so a
// caller that finds the sum non-finite should scan W before reporting
// an entry as NaN or Inf.
//
// Numerics. The update computes s = alpha*a[i] first (rounded), then
// W[i,j] + s*c[j]. The transposed product sums over the rows in order,
// g[j] = (((0 + W[0,j] e[0]) + W[1,j] e[1]) + ...). The forward product
// sums each row in lanes: lane l accumulates the terms with j = l mod L
// in increasing j, starting from 0, then the lanes are added pairwise.
//
//   - Go path (every CPU): no fused multiply-add (every product is
//     rounded, also on architectures where Go would fuse x*y+z); L = 4
//     and y[i] = (lane0 + lane1) + (lane2 + lane3). The sum of W is one
//     running sum from 0 (one register: four more lanes made the three
//     parts spill on amd64): row after row it adds (W[i,j] + W[i,j+1]) +
//     (W[i,j+2] + W[i,j+3]) for j = 0, 4, ... while j+4 <= n, then the
//     last n mod 4 entries of the row one by one.
//   - AVX-512 path (amd64 with AVX-512F): every product is fused with its
//     addition (VFMADD231PD, one rounding), for the update as
//     W + s*c[j]; L = 16, and the lanes are reduced as t_l = lane_l +
//     lane_{l+8} (l < 8), u_l = t_l + t_{l+4} (l < 4), v_l = u_l +
//     u_{l+2} (l < 2), y[i] = v_0 + v_1. The sum of W is taken in 16
//     lanes too, over the whole matrix, from 0: the rows in pairs (2k,
//     2k+1), lane l adds the (W[2k,j] + W[2k+1,j]) with j = l mod 16,
//     pair after pair, in increasing j within a pair, then for an odd m
//     the W[m-1,j]; the lanes are reduced as y[i]'s.
//   - AVX2 path (amd64 with AVX2 and FMA but not AVX-512): fused as the
//     AVX-512 path; L = 8, t_l = lane_l + lane_{l+4} (l < 4), u_l = t_l +
//     t_{l+2} (l < 2), y[i] = u_0 + u_1. The sum of W as the AVX-512
//     path's in 8 lanes (j = l mod 8), reduced as y[i]'s.
//
// The paths therefore agree to rounding (a few ulps of the sum of
// the terms' magnitudes), not bit for bit; each is deterministic.
// SynapseKernel names the path in use.
func Synapse(m, n int, w, x, y, e, g []float64, alpha float64, a, c []float64) float64 {
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
	return synapse(mode, m, n, w, x, y, e, g, alpha, a, c)
}

// SynapseKernel names the implementation Synapse uses on this CPU:
// "avx512", "avx2" or "go".
func SynapseKernel() string { return synapsePath }

// synapse runs a validated pass of mode (m, n > 0, g cleared) on the
// selected implementation and returns the sum of W after it.
func synapse(mode, m, n int, w, x, y, e, g []float64, alpha float64, a, c []float64) float64 {
	if synapsePath != pathGo {
		return synapseAsm(synapsePath, mode, m, n, w, x, y, e, g, alpha, a, c)
	}
	return synapseGo(mode, m, n, w, x, y, e, g, alpha, a, c)
}

// synapseMode checks the operands of Synapse and returns the parts to
// compute; it panics on a programmer error.
func synapseMode[T float32 | float64](m, n int, w, x, y, e, g []T, alpha float64, a, c []T) int {
	if m < 0 || n < 0 {
		synapsePanic("negative size %d x %d", m, n)
	}
	if len(w) < m*n {
		synapsePanic("w has %d entries, want %d x %d", len(w), m, n)
	}
	mode := 0
	if pairOK("x", x, n, "y", y, m) {
		mode |= partFwd
	}
	if pairOK("e", e, m, "g", g, n) {
		mode |= partTr
	}
	if a != nil && alpha != 0 && pairOK("a", a, m, "c", c, n) {
		mode |= partUpd
	}
	return mode
}

// pairOK reports whether the operands u (length nu at least) and v
// (length nv at least) of one part are given; one without the other or a
// short one panics.
func pairOK[T float32 | float64](un string, u []T, nu int, vn string, v []T, nv int) bool {
	if u == nil && v == nil {
		return false
	}
	if u == nil || v == nil {
		synapsePanic("%s and %s must both be given or both be nil", un, vn)
	}
	if len(u) < nu || len(v) < nv {
		synapsePanic("%s has %d entries, want %d; %s has %d, want %d", un, len(u), nu, vn, len(v), nv)
	}
	return true
}

func synapsePanic(format string, args ...any) {
	panic("kern.Synapse: " + fmt.Sprintf(format, args...))
}

// synapseGo is the Go path of Synapse, row by row (see Synapse for its
// order of summation). It returns the sum of W after the pass.
func synapseGo(mode, m, n int, w, x, y, e, g []float64, alpha float64, a, c []float64) float64 {
	var ws float64 // the sum of W
	for i := range m {
		row := w[i*n : i*n+n : i*n+n]
		var s float64
		if mode&partUpd != 0 {
			s = alpha * a[i]
		}
		switch mode {
		case 0:
			sumGo(row, &ws)
		case partFwd:
			y[i] = dotGo(row, x, &ws)
		case partTr:
			axpyGo(row, e[i], g, &ws)
		case partUpd:
			updGo(row, s, c, &ws)
		case partFwd | partTr:
			y[i] = dotAxpyGo(row, x, e[i], g, &ws)
		case partFwd | partUpd:
			y[i] = dotUpdGo(row, x, s, c, &ws)
		case partTr | partUpd:
			axpyUpdGo(row, e[i], g, s, c, &ws)
		case partFwd | partTr | partUpd:
			y[i] = dotAxpyUpdGo(row, x, e[i], g, s, c, &ws)
		}
	}
	return ws
}

// The row kernels of the Go path. Every product is converted to
// float64 so that no architecture fuses it with its addition. The dot
// products keep four lanes (column j in lane j mod 4); the sum of W is
// one running sum (ws, carried from row to row: each kernel adds its
// row's values after the update to it, four at a time as (w0 + w1) +
// (w2 + w3)). The loops take four columns at a time through re-sliced
// windows (one bounds check per window).

// sumGo adds the row w to ws.
func sumGo(w []float64, ws *float64) {
	q := *ws
	j := 0
	for ; j+4 <= len(w); j += 4 {
		ww := w[j : j+4 : j+4]
		q += (ww[0] + ww[1]) + (ww[2] + ww[3])
	}
	for ; j < len(w); j++ {
		q += w[j]
	}
	*ws = q
}

// dotGo returns sum_j w[j] x[j] and adds w to ws.
func dotGo(w, x []float64, ws *float64) float64 {
	x = x[:len(w)]
	var s0, s1, s2, s3 float64
	q := *ws
	j := 0
	for ; j+4 <= len(w); j += 4 {
		ww, xx := w[j:j+4:j+4], x[j:j+4:j+4]
		w0, w1, w2, w3 := ww[0], ww[1], ww[2], ww[3]
		s0 += float64(w0 * xx[0])
		s1 += float64(w1 * xx[1])
		s2 += float64(w2 * xx[2])
		s3 += float64(w3 * xx[3])
		q += (w0 + w1) + (w2 + w3)
	}
	for ; j < len(w); j++ {
		p := float64(w[j] * x[j])
		switch j & 3 {
		case 0:
			s0 += p
		case 1:
			s1 += p
		default:
			s2 += p
		}
		q += w[j]
	}
	*ws = q
	return (s0 + s1) + (s2 + s3)
}

// axpyGo adds e w to g (the transposed product's row) and w to ws.
func axpyGo(w []float64, e float64, g []float64, ws *float64) {
	g = g[:len(w)]
	q := *ws
	j := 0
	for ; j+4 <= len(w); j += 4 {
		ww, gg := w[j:j+4:j+4], g[j:j+4:j+4]
		w0, w1, w2, w3 := ww[0], ww[1], ww[2], ww[3]
		gg[0] += float64(w0 * e)
		gg[1] += float64(w1 * e)
		gg[2] += float64(w2 * e)
		gg[3] += float64(w3 * e)
		q += (w0 + w1) + (w2 + w3)
	}
	for ; j < len(w); j++ {
		g[j] += float64(w[j] * e)
		q += w[j]
	}
	*ws = q
}

// updGo adds s c to w (the update's row) and the updated w to ws.
func updGo(w []float64, s float64, c []float64, ws *float64) {
	c = c[:len(w)]
	q := *ws
	j := 0
	for ; j+4 <= len(w); j += 4 {
		ww, cc := w[j:j+4:j+4], c[j:j+4:j+4]
		w0 := ww[0] + float64(s*cc[0])
		w1 := ww[1] + float64(s*cc[1])
		w2 := ww[2] + float64(s*cc[2])
		w3 := ww[3] + float64(s*cc[3])
		ww[0], ww[1], ww[2], ww[3] = w0, w1, w2, w3
		q += (w0 + w1) + (w2 + w3)
	}
	for ; j < len(w); j++ {
		wj := w[j] + float64(s*c[j])
		w[j] = wj
		q += wj
	}
	*ws = q
}

// dotAxpyGo returns sum_j w[j] x[j], adds e w to g and w to ws.
func dotAxpyGo(w, x []float64, e float64, g []float64, ws *float64) float64 {
	x, g = x[:len(w)], g[:len(w)]
	var s0, s1, s2, s3 float64
	q := *ws
	j := 0
	for ; j+4 <= len(w); j += 4 {
		ww, xx, gg := w[j:j+4:j+4], x[j:j+4:j+4], g[j:j+4:j+4]
		w0, w1, w2, w3 := ww[0], ww[1], ww[2], ww[3]
		s0 += float64(w0 * xx[0])
		s1 += float64(w1 * xx[1])
		s2 += float64(w2 * xx[2])
		s3 += float64(w3 * xx[3])
		gg[0] += float64(w0 * e)
		gg[1] += float64(w1 * e)
		gg[2] += float64(w2 * e)
		gg[3] += float64(w3 * e)
		q += (w0 + w1) + (w2 + w3)
	}
	for ; j < len(w); j++ {
		wj := w[j]
		p := float64(wj * x[j])
		g[j] += float64(wj * e)
		switch j & 3 {
		case 0:
			s0 += p
		case 1:
			s1 += p
		default:
			s2 += p
		}
		q += wj
	}
	*ws = q
	return (s0 + s1) + (s2 + s3)
}

// dotUpdGo returns sum_j w[j] x[j], adds s c to w, reading each w[j]
// before updating it, and the updated w to ws.
func dotUpdGo(w, x []float64, s float64, c []float64, ws *float64) float64 {
	x, c = x[:len(w)], c[:len(w)]
	var s0, s1, s2, s3 float64
	q := *ws
	j := 0
	for ; j+4 <= len(w); j += 4 {
		ww, xx, cc := w[j:j+4:j+4], x[j:j+4:j+4], c[j:j+4:j+4]
		w0, w1, w2, w3 := ww[0], ww[1], ww[2], ww[3]
		s0 += float64(w0 * xx[0])
		s1 += float64(w1 * xx[1])
		s2 += float64(w2 * xx[2])
		s3 += float64(w3 * xx[3])
		w0 += float64(s * cc[0])
		w1 += float64(s * cc[1])
		w2 += float64(s * cc[2])
		w3 += float64(s * cc[3])
		ww[0], ww[1], ww[2], ww[3] = w0, w1, w2, w3
		q += (w0 + w1) + (w2 + w3)
	}
	for ; j < len(w); j++ {
		wj := w[j]
		p := float64(wj * x[j])
		wj += float64(s * c[j])
		w[j] = wj
		switch j & 3 {
		case 0:
			s0 += p
		case 1:
			s1 += p
		default:
			s2 += p
		}
		q += wj
	}
	*ws = q
	return (s0 + s1) + (s2 + s3)
}

// axpyUpdGo adds e w to g and s c to w, reading each w[j] before
// updating it, and the updated w to ws.
func axpyUpdGo(w []float64, e float64, g []float64, s float64, c []float64, ws *float64) {
	g, c = g[:len(w)], c[:len(w)]
	q := *ws
	j := 0
	for ; j+4 <= len(w); j += 4 {
		ww, gg, cc := w[j:j+4:j+4], g[j:j+4:j+4], c[j:j+4:j+4]
		w0, w1, w2, w3 := ww[0], ww[1], ww[2], ww[3]
		gg[0] += float64(w0 * e)
		gg[1] += float64(w1 * e)
		gg[2] += float64(w2 * e)
		gg[3] += float64(w3 * e)
		w0 += float64(s * cc[0])
		w1 += float64(s * cc[1])
		w2 += float64(s * cc[2])
		w3 += float64(s * cc[3])
		ww[0], ww[1], ww[2], ww[3] = w0, w1, w2, w3
		q += (w0 + w1) + (w2 + w3)
	}
	for ; j < len(w); j++ {
		wj := w[j]
		g[j] += float64(wj * e)
		wj += float64(s * c[j])
		w[j] = wj
		q += wj
	}
	*ws = q
}

// dotAxpyUpdGo returns sum_j w[j] x[j], adds e w to g and s c to w,
// reading each w[j] once, before updating it, and the updated w to ws.
func dotAxpyUpdGo(w, x []float64, e float64, g []float64, s float64, c []float64, ws *float64) float64 {
	x, g, c = x[:len(w)], g[:len(w)], c[:len(w)]
	var s0, s1, s2, s3 float64
	q := *ws
	j := 0
	for ; j+4 <= len(w); j += 4 {
		ww, xx, gg, cc := w[j:j+4:j+4], x[j:j+4:j+4], g[j:j+4:j+4], c[j:j+4:j+4]
		w0, w1, w2, w3 := ww[0], ww[1], ww[2], ww[3]
		s0 += float64(w0 * xx[0])
		s1 += float64(w1 * xx[1])
		s2 += float64(w2 * xx[2])
		s3 += float64(w3 * xx[3])
		gg[0] += float64(w0 * e)
		gg[1] += float64(w1 * e)
		gg[2] += float64(w2 * e)
		gg[3] += float64(w3 * e)
		w0 += float64(s * cc[0])
		w1 += float64(s * cc[1])
		w2 += float64(s * cc[2])
		w3 += float64(s * cc[3])
		ww[0], ww[1], ww[2], ww[3] = w0, w1, w2, w3
		q += (w0 + w1) + (w2 + w3)
	}
	for ; j < len(w); j++ {
		wj := w[j]
		p := float64(wj * x[j])
		g[j] += float64(wj * e)
		wj += float64(s * c[j])
		w[j] = wj
		switch j & 3 {
		case 0:
			s0 += p
		case 1:
			s1 += p
		default:
			s2 += p
		}
		q += wj
	}
	*ws = q
	return (s0 + s1) + (s2 + s3)
}
