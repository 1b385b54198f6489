package kern

import "sync"

// The batched products. Every product is C = beta*C + alpha * A B with
// A (m x k) and B (k x n) read through strides (see View), so W @ x over
// the batch, W^T @ e and the batch-summed outer products A^T C all run
// without transposing anything. The product is blocked in the usual way
// (GotoBLAS): panels of B (kc x 24, 16 or 8) and of A (8 x kc) are
// packed into per-worker scratch buffers allocated once, and a
// micro-kernel computes each 8 x 24 (or 8 x 16, 8 x 8) tile of C from a
// pair of panels with its sums in registers (AVX-512 assembly where the
// CPU has it, see gemmwide_amd64.s; else 8 x 8 tiles as two 4 x 8 ones
// in AVX2/FMA assembly, else pure Go; see gemm_amd64.s). Whatever the
// tile, every entry of C is computed by the same operations in the same
// order (see gemmCols). Operands already in panel layout are read in
// place. Large products are split by columns of C between a
// fixed pool of workers; small ones run on the calling goroutine (on two
// cores a hand-off costs more than it saves below about a million
// multiply-adds). Nothing allocates per step.

// View is a matrix read through strides: entry (i, p) is
// data[i*rs+p*cs]. Build one with RowMajor or ColMajor.
type View struct {
	data   []float64
	rs, cs int
}

// RowMajor is a row-major matrix of cols columns stored in data, as a
// View.
func RowMajor(data []float64, cols int) View { return View{data, cols, 1} }

// ColMajor is the transpose of the row-major matrix of cols columns
// stored in data, as a View: entry (i, p) is data[p*cols+i].
func ColMajor(data []float64, cols int) View { return View{data, 1, cols} }

// Blocking: the micro-tile is mr x nr (or wider, up to mr x nrMax, see
// gemmKernel); the packed A block is at most mc x kc and the packed B
// block kc x nc. kc is part of the results: C is updated once per kc
// block of k.
const (
	mr    = 8
	nr    = 8
	nrMax = 24
	mc    = 128
	kc    = 256
	nc    = 1024
)

// parallelMin is the size (m*n*k) from which a product is split between
// the workers.
const parallelMin = 1 << 20

// gemmScratch is one worker's packing space.
type gemmScratch struct {
	pa   []float64 // packed A block: panels of mr rows, kc x mr each
	pb   []float64 // packed B block: panels of nr columns, kc x nr each
	ea   []float64 // a partial panel of A read in place otherwise
	eb   []float64 // a partial panel of B read in place otherwise
	tile [mr * nrMax]float64
}

// reserve grows the scratch for a product of the given sizes (columns
// ncols at most per worker); it is called when kernels are compiled, so a
// step never allocates.
func (g *gemmScratch) reserve(m, ncols, k int) {
	need := ScratchLen(m, ncols, k)
	for i, buf := range []*[]float64{&g.pa, &g.pb, &g.ea, &g.eb} {
		if len(*buf) < need[i] {
			*buf = make([]float64, need[i])
		}
	}
}

// ScratchLen returns the lengths (in float64s) of the four packing
// buffers one worker needs for an m x n x k product: the packed A block,
// the packed B block and the partial panels of A and B. Memory estimates
// use it to count what Workers.Reserve allocates.
func ScratchLen(m, n, k int) [4]int {
	kb := min(k, kc)
	return [4]int{roundUp(min(m, mc), mr) * kb, roundUp(min(n, nc), nr) * kb, mr * kb, nr * kb}
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// Gemm computes c (m x n, row stride ldc) = beta*c + alpha * a b, with a
// m x k and b k x n. With beta 0, c is only written. The pool's scratch
// must have been reserved for the sizes (see Workers.Reserve).
func Gemm(m, n, k int, alpha float64, a, b View, beta float64, c []float64, ldc int, pool *Workers) {
	if m == 0 || n == 0 {
		return
	}
	if pool.n < 2 || m*n*k < parallelMin || n < 2*nr {
		gemmCols(m, 0, n, k, alpha, a, b, beta, c, ldc, &pool.scratch[0])
		return
	}
	pool.job = gemmJob{m, n, k, alpha, a, b, beta, c, ldc}
	pool.run()
}

type gemmJob struct {
	m, n, k int
	alpha   float64
	a, b    View
	beta    float64
	c       []float64
	ldc     int
}

// share returns worker w's columns of an n-column product: whole
// micro-tiles, as even as they come.
func share(n, w, nw int) (lo, hi int) {
	tiles := (n + nr - 1) / nr
	lo = min(n, tiles*w/nw*nr)
	hi = min(n, tiles*(w+1)/nw*nr)
	return lo, hi
}

// part computes worker w's share of the columns of C.
func (g *gemmJob) part(w int, p *Workers) {
	lo, hi := share(g.n, w, p.n)
	if lo < hi {
		gemmCols(g.m, lo, hi, g.k, g.alpha, g.a, g.b, g.beta, g.c, g.ldc, &p.scratch[w])
	}
}

// gemmCols computes the columns jlo..jhi of C. An operand already laid
// out as the micro-kernel reads it (the mr entries (i..i+mr, p) of A
// contiguous, or the entries (p, j..j+w) of B for a tile w columns wide)
// is read in place with its stride, except for a partial panel at its
// edge; otherwise it is packed.
//
// Every entry of C is computed the same way whatever the tile that
// holds it, bit for bit: one chain of multiply-adds over k in
// increasing order per kc block, scaled by alpha and added to beta*C
// (by one multiply-add in the assembly kernels), except in the partial
// tiles at the bottom and right edges (rows past m/mr*mr, columns past
// n/nr*nr), which the kernel computes with alpha 1 into a scratch tile
// and this function scales and adds in Go. The wide kernels (8 x 16,
// 8 x 24) only change how many full 8-column tiles one call computes.
func gemmCols(m, jlo, jhi, k int, alpha float64, a, b View, beta float64, c []float64, ldc int, sc *gemmScratch) {
	if k == 0 {
		scaleCols(m, jlo, jhi, beta, c, ldc)
		return
	}
	kn := &kernel
	if kn.k8T != nil && b.rs == 1 && b.cs > 1 && (beta == 0 || beta == 1) && m <= mc {
		gemmColsT(m, jlo, jhi, k, alpha, a, b, beta, c, ldc, sc, kn)
		return
	}
	directA, directB := a.rs == 1 && a.cs >= mr, b.cs == 1 && b.rs >= nr
	for jc := jlo; jc < jhi; jc += nc {
		nb := min(nc, jhi-jc)
		nfull := nb / nr * nr // columns in whole 8-column tiles
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			bt := beta
			if pc > 0 {
				bt = 1
			}
			// With one block of rows, each panel of B is packed just
			// before its tiles, into the start of pb: it is still in
			// cache when they read it.
			jit := kn.jit && !directB && m <= mc
			switch {
			case directB && nfull < nb:
				packB(sc.eb, b, pc, kb, jc+nfull, nb-nfull, 0, kn)
			case !directB && !jit:
				packB(sc.pb, b, pc, kb, jc, nb, nfull, kn)
			}
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				mfull := mb
				if directA {
					mfull = mb / mr * mr
					if mfull < mb {
						packA(sc.ea, a, ic+mfull, mb-mfull, pc, kb, kn)
					}
				} else {
					packA(sc.pa, a, ic, mb, pc, kb, kn)
				}
				for jr := 0; jr < nb; {
					w, kern := kn.tile(nfull - jr)
					nj := min(w, nb-jr)
					var pb []float64
					ldb := w
					switch {
					case jit:
						pb = sc.pb
						packB(pb, b, pc, kb, jc+jr, nj, min(w, max(0, nfull-jr)), kn)
					case jr >= nfull:
						pb = sc.eb
						if !directB {
							pb = sc.pb[jr*kb:]
						}
					case directB:
						pb, ldb = b.data[pc*b.rs+jc+jr:], b.rs
					default:
						pb = sc.pb[jr*kb:]
					}
					for ir := 0; ir < mb; ir += mr {
						mi := min(mr, mb-ir)
						var pa []float64
						lda := mr
						switch {
						case ir >= mfull:
							pa = sc.ea
						case directA:
							pa, lda = a.data[ic+ir+pc*a.cs:], a.cs
						default:
							pa = sc.pa[ir*kb:]
						}
						off := (ic+ir)*ldc + jc + jr
						if mi == mr && nj == w {
							kern(kb, pa, lda, pb, ldb, c[off:off+(mr-1)*ldc+w], ldc, alpha, bt)
							continue
						}
						t := sc.tile[:mr*w]
						kern(kb, pa, lda, pb, ldb, t, w, 1, 0)
						for i := range mi {
							cr := c[off+i*ldc : off+i*ldc+nj]
							tr := t[i*w : i*w+nj]
							if bt == 0 {
								for j, v := range tr {
									cr[j] = alpha * v
								}
							} else {
								for j, v := range tr {
									// rounded apart: never fused
									cr[j] = float64(bt*cr[j]) + float64(alpha*v)
								}
							}
						}
					}
					jr += w
				}
			}
		}
	}
}

// gemmColsT computes the columns jlo..jhi of C as gemmCols does, for a
// B read through its transpose (the forward products X W^T, W's rows in
// place) and A of at most mc rows: as C^T = B^T A^T, on the transposed
// kernels (k8T...), which read 8 rows of B^T where they are and write
// their tile of C^T transposed, into C. A^T is packed (it is small:
// the batch), B is not. Every entry of C is computed by the same
// operations as in gemmCols (a product b a is a b); beta must be 0 or 1,
// for which gemmCols computes the partial tiles at the edges the same
// way as the whole ones.
func gemmColsT(m, jlo, jhi, k int, alpha float64, a, b View, beta float64, c []float64, ldc int, sc *gemmScratch, kn *gemmKernel) {
	at := View{a.data, a.cs, a.rs}
	mfull := m / nr * nr
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		bt := beta
		if pc > 0 {
			bt = 1
		}
		packB(sc.pa, at, pc, kb, 0, m, mfull, kn)
		for i0 := jlo; i0 < jhi; i0 += mr {
			ni := min(mr, jhi-i0)
			pa, lda := b.data[pc+i0*b.cs:], b.cs
			if ni < mr {
				// the last rows of B^T, and zero rows
				pa, lda = sc.ea, kb
				for r := range mr {
					row := sc.ea[r*kb : r*kb+kb]
					if r >= ni {
						clear(row)
						continue
					}
					copy(row, b.data[pc+(i0+r)*b.cs:][:kb])
				}
			}
			for jr := 0; jr < m; {
				w, kern := kn.tileT(mfull - jr)
				nj := min(w, m-jr)
				pb := sc.pa[jr*kb:]
				if ni == mr && nj == w {
					kern(kb, pa, lda, pb, w, c[jr*ldc+i0:], ldc, alpha, bt)
					jr += w
					continue
				}
				t := sc.tile[:w*mr]
				kern(kb, pa, lda, pb, w, t, mr, 1, 0)
				for j := range nj {
					cr := c[(jr+j)*ldc+i0 : (jr+j)*ldc+i0+ni]
					tr := t[j*mr : j*mr+ni]
					if bt == 0 {
						for i, v := range tr {
							cr[i] = alpha * v
						}
					} else {
						for i, v := range tr {
							cr[i] = float64(bt*cr[i]) + float64(alpha*v)
						}
					}
				}
				jr += w
			}
		}
	}
}

func scaleCols(m, jlo, jhi int, beta float64, c []float64, ldc int) {
	for i := range m {
		r := c[i*ldc+jlo : i*ldc+jhi]
		for j := range r {
			if beta == 0 {
				r[j] = 0
			} else {
				r[j] *= beta
			}
		}
	}
}

// packA packs rows i0..i0+mb and columns p0..p0+kb of a into panels of mr
// rows: panel q holds, for each p, the mr entries (i0+q*mr+r, p0+p),
// zero past the last row.
func packA(dst []float64, a View, i0, mb, p0, kb int, kn *gemmKernel) {
	for ir := 0; ir < mb; ir += mr {
		panel := dst[ir*kb : ir*kb+mr*kb]
		mi := min(mr, mb-ir)
		if a.cs == 1 && mi == mr {
			interleave8(panel, mr, a.data, (i0+ir)*a.rs+p0, a.rs, kb, kn.t8)
			continue
		}
		for r := range mr {
			if r >= mi {
				for p := range kb {
					panel[p*mr+r] = 0
				}
				continue
			}
			base := (i0+ir+r)*a.rs + p0*a.cs
			if a.cs == 1 {
				src := a.data[base : base+kb]
				for p, v := range src {
					panel[p*mr+r] = v
				}
				continue
			}
			for p := range kb {
				panel[p*mr+r] = a.data[base+p*a.cs]
			}
		}
	}
}

// interleave8 packs 8 rows of kb entries, row r at src[off+r*stride:],
// into panel with row stride ld: panel[p*ld+r] is entry p of row r;
// t8, when not nil, packs the first entries (see gemmKernel).
func interleave8(panel []float64, ld int, src []float64, off, stride, kb int, t8 transposer) {
	if t8 != nil {
		done := t8(panel, ld, src, off, stride, kb)
		if done == kb {
			return
		}
		panel, off, kb = panel[done*ld:], off+done, kb-done
	}
	r0 := src[off : off+kb]
	r1 := src[off+stride : off+stride+kb][:len(r0)]
	r2 := src[off+2*stride : off+2*stride+kb][:len(r0)]
	r3 := src[off+3*stride : off+3*stride+kb][:len(r0)]
	r4 := src[off+4*stride : off+4*stride+kb][:len(r0)]
	r5 := src[off+5*stride : off+5*stride+kb][:len(r0)]
	r6 := src[off+6*stride : off+6*stride+kb][:len(r0)]
	r7 := src[off+7*stride : off+7*stride+kb][:len(r0)]
	for p, v := range r0 {
		d := panel[p*ld : p*ld+8 : p*ld+8]
		d[0], d[1], d[2], d[3] = v, r1[p], r2[p], r3[p]
		d[4], d[5], d[6], d[7] = r4[p], r5[p], r6[p], r7[p]
	}
}

// packB packs rows p0..p0+kb and columns j0..j0+nb of b into panels
// as gemmCols reads them: the first nfull columns (a multiple of nr) in
// panels as wide as kn's tiles (kn.tile), the rest in one panel of nr
// columns, zero past the last column. A panel w columns wide starting at
// column jr holds, at dst[jr*kb:], for each p the w entries (p0+p,
// j0+jr+j).
func packB(dst []float64, b View, p0, kb, j0, nb, nfull int, kn *gemmKernel) {
	for jr := 0; jr < nb; {
		w, _ := kn.tile(nfull - jr)
		panel := dst[jr*kb : jr*kb+w*kb]
		nj := min(w, nb-jr)
		if b.cs == 1 {
			for p := range kb {
				base := (p0+p)*b.rs + j0 + jr
				d := panel[p*w : p*w+w]
				copy(d, b.data[base:base+nj])
				clear(d[nj:])
			}
			jr += w
			continue
		}
		for j8 := 0; j8 < w; j8 += 8 {
			if b.rs == 1 && j8+8 <= nj {
				interleave8(panel[j8:], w, b.data, p0+(j0+jr+j8)*b.cs, b.cs, kb, kn.t8)
				continue
			}
			for j := j8; j < j8+8; j++ {
				if j >= nj {
					for p := range kb {
						panel[p*w+j] = 0
					}
					continue
				}
				base := p0*b.rs + (j0+jr+j)*b.cs
				if b.rs == 1 {
					src := b.data[base : base+kb]
					for p, v := range src {
						panel[p*w+j] = v
					}
					continue
				}
				for p := range kb {
					panel[p*w+j] = b.data[base+p*b.rs]
				}
			}
		}
		jr += w
	}
}

// microKernel computes c (mr x nr, row stride ldc) = beta*c + alpha *
// sum_p a[p*lda:p*lda+mr]^T b[p*ldb:p*ldb+nr], c only written when beta
// is 0.
type microKernel func(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, alpha, beta float64)

// kernelGo is the micro-kernel in Go.
func kernelGo(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, alpha, beta float64) {
	var acc [mr][nr]float64
	for p := range k {
		ap := a[p*lda : p*lda+mr : p*lda+mr]
		bp := b[p*ldb : p*ldb+nr : p*ldb+nr]
		for i, x := range ap {
			r := &acc[i&(mr-1)]
			r[0] += x * bp[0]
			r[1] += x * bp[1]
			r[2] += x * bp[2]
			r[3] += x * bp[3]
			r[4] += x * bp[4]
			r[5] += x * bp[5]
			r[6] += x * bp[6]
			r[7] += x * bp[7]
		}
	}
	for i := range mr {
		cr := c[i*ldc : i*ldc+nr]
		if beta == 0 {
			for j := range cr {
				cr[j] = alpha * acc[i][j]
			}
			continue
		}
		for j := range cr {
			cr[j] = beta*cr[j] + alpha*acc[i][j]
		}
	}
}

// gemmKernel is the set of micro-kernels a product runs on: k8 computes
// tiles of mr x nr; k16 and k24, when not nil, tiles of mr x 16 and mr x
// 24 with the same sums (they load fewer operands per multiply-add); t8,
// when not nil, packs panels faster than interleave8's loop; jit packs
// B's panels one at a time when A has one block of rows (see gemmCols).
type gemmKernel struct {
	k8, k16, k24 microKernel
	t8           transposer
	jit          bool
	// k8T, k16T, k24T, when not nil, are the transposed kernels of
	// gemmColsT (c[j*ldc+i] for entry (i, j) of the tile, A's rows in
	// place), beta 0 or 1 only; the widths are tile's.
	k8T, k16T, k24T microKernel
}

// tileT is tile for the transposed kernels.
func (kn *gemmKernel) tileT(full int) (int, microKernel) {
	w, _ := kn.tile(full)
	switch w {
	case 24:
		return w, kn.k24T
	case 16:
		return w, kn.k16T
	}
	return w, kn.k8T
}

// transposer packs as interleave8 does the first entries of the rows, a
// multiple of 8, and returns how many.
type transposer func(panel []float64, ld int, src []float64, off, stride, kb int) int

// tile returns the width of the next tile and its kernel, given the
// columns left in whole nr-column tiles (none or fewer: a partial tile,
// nr wide).
func (kn *gemmKernel) tile(full int) (int, microKernel) {
	switch {
	case full >= 24 && kn.k24 != nil:
		return 24, kn.k24
	case full >= 16 && kn.k16 != nil:
		return 16, kn.k16
	}
	return nr, kn.k8
}

// kernel is the micro-kernels in use (kernelGo or the assembly ones).
var kernel = gemmKernel{k8: kernelGo}

// Workers is a fixed pool of goroutines that share a product without
// allocating, each with its packing scratch.
type Workers struct {
	n       int
	job     gemmJob
	wg      sync.WaitGroup
	jobs    []chan struct{}
	scratch []gemmScratch
}

// NewWorkers starts a pool of n workers (the caller of Gemm being the
// first, so n-1 goroutines). Close stops them.
func NewWorkers(n int) *Workers {
	n = max(n, 1)
	p := &Workers{n: n, scratch: make([]gemmScratch, n)}
	for w := 1; w < n; w++ {
		ch := make(chan struct{})
		p.jobs = append(p.jobs, ch)
		go func(w int) {
			for range ch {
				p.job.part(w, p)
				p.wg.Done()
			}
		}(w)
	}
	return p
}

// Reserve grows every worker's scratch for an m x n x k product, so that
// Gemm of those sizes does not allocate.
func (p *Workers) Reserve(m, n, k int) {
	for w := range p.scratch {
		cols := n // worker 0 runs the small products whole
		if w > 0 {
			lo, hi := share(n, w, p.n)
			cols = hi - lo
		}
		p.scratch[w].reserve(m, cols, k)
	}
}

// run computes the job on every worker, the caller being worker 0.
func (p *Workers) run() {
	p.wg.Add(len(p.jobs))
	for _, ch := range p.jobs {
		ch <- struct{}{}
	}
	p.job.part(0, p)
	p.wg.Wait()
	p.job.a.data, p.job.b.data, p.job.c = nil, nil, nil
}

// Close stops the pool's goroutines; the pool must not be used
// afterwards.
func (p *Workers) Close() {
	for _, ch := range p.jobs {
		close(ch)
	}
}
