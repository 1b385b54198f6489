package kern

import "sync"

// The batched products. Every product is C = beta*C + alpha * A B with
// A (m x k) and B (k x n) read through strides (see View), so W @ x over
// the batch, W^T @ e and the batch-summed outer products A^T C all run
// without transposing anything. The product is blocked in the usual way
// (GotoBLAS): panels of B (kc x 8) and of A (8 x kc) are packed into
// per-worker scratch buffers allocated once, and a micro-kernel computes
// each 8 x 8 tile of C from a pair of panels with its 64 sums in
// registers (AVX-512 assembly where the CPU has it, else two 4 x 8 tiles
// in AVX2/FMA assembly, else pure Go; see gemm_amd64.s). Operands
// already in panel layout are read in place (see gemmCols). Large products are split by columns of C between a
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

// Blocking: the micro-tile is mr x nr; the packed A block is at most
// mc x kc and the packed B block kc x nc.
const (
	mr = 8
	nr = 8
	mc = 128
	kc = 256
	nc = 1024
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
	tile [mr * nr]float64
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
// contiguous, or the nr entries (p, j..j+nr) of B) is read in place with
// its stride, except for a partial panel at its edge; otherwise it is
// packed.
func gemmCols(m, jlo, jhi, k int, alpha float64, a, b View, beta float64, c []float64, ldc int, sc *gemmScratch) {
	if k == 0 {
		scaleCols(m, jlo, jhi, beta, c, ldc)
		return
	}
	directA, directB := a.rs == 1 && a.cs >= mr, b.cs == 1 && b.rs >= nr
	for jc := jlo; jc < jhi; jc += nc {
		nb := min(nc, jhi-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			bt := beta
			if pc > 0 {
				bt = 1
			}
			nfull := nb // columns in whole panels read in place
			if directB {
				nfull = nb / nr * nr
				if nfull < nb {
					packB(sc.eb, b, pc, kb, jc+nfull, nb-nfull)
				}
			} else {
				packB(sc.pb, b, pc, kb, jc, nb)
			}
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				mfull := mb
				if directA {
					mfull = mb / mr * mr
					if mfull < mb {
						packA(sc.ea, a, ic+mfull, mb-mfull, pc, kb)
					}
				} else {
					packA(sc.pa, a, ic, mb, pc, kb)
				}
				for jr := 0; jr < nb; jr += nr {
					nj := min(nr, nb-jr)
					var pb []float64
					ldb := nr
					switch {
					case jr >= nfull:
						pb = sc.eb
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
						if mi == mr && nj == nr {
							kernel(kb, pa, lda, pb, ldb, c[off:off+(mr-1)*ldc+nr], ldc, alpha, bt)
							continue
						}
						t := sc.tile[:]
						kernel(kb, pa, lda, pb, ldb, t, nr, 1, 0)
						for i := range mi {
							cr := c[off+i*ldc : off+i*ldc+nj]
							tr := t[i*nr : i*nr+nj]
							if bt == 0 {
								for j, v := range tr {
									cr[j] = alpha * v
								}
							} else {
								for j, v := range tr {
									cr[j] = bt*cr[j] + alpha*v
								}
							}
						}
					}
				}
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
func packA(dst []float64, a View, i0, mb, p0, kb int) {
	for ir := 0; ir < mb; ir += mr {
		panel := dst[ir*kb : ir*kb+mr*kb]
		mi := min(mr, mb-ir)
		if a.cs == 1 && mi == mr {
			interleave8(panel, a.data, (i0+ir)*a.rs+p0, a.rs, kb)
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
// into panel: panel[p*8+r] is entry p of row r.
func interleave8(panel, src []float64, off, stride, kb int) {
	r0 := src[off : off+kb]
	r1 := src[off+stride : off+stride+kb][:len(r0)]
	r2 := src[off+2*stride : off+2*stride+kb][:len(r0)]
	r3 := src[off+3*stride : off+3*stride+kb][:len(r0)]
	r4 := src[off+4*stride : off+4*stride+kb][:len(r0)]
	r5 := src[off+5*stride : off+5*stride+kb][:len(r0)]
	r6 := src[off+6*stride : off+6*stride+kb][:len(r0)]
	r7 := src[off+7*stride : off+7*stride+kb][:len(r0)]
	for p, v := range r0 {
		d := panel[p*8 : p*8+8 : p*8+8]
		d[0], d[1], d[2], d[3] = v, r1[p], r2[p], r3[p]
		d[4], d[5], d[6], d[7] = r4[p], r5[p], r6[p], r7[p]
	}
}

// packB packs rows p0..p0+kb and columns j0..j0+nb of b into panels of nr
// columns: panel q holds, for each p, the nr entries (p0+p, j0+q*nr+j),
// zero past the last column.
func packB(dst []float64, b View, p0, kb, j0, nb int) {
	for jr := 0; jr < nb; jr += nr {
		panel := dst[jr*kb : jr*kb+nr*kb]
		nj := min(nr, nb-jr)
		if b.cs == 1 {
			for p := range kb {
				base := (p0+p)*b.rs + j0 + jr
				d := panel[p*nr : p*nr+nr]
				copy(d, b.data[base:base+nj])
				clear(d[nj:])
			}
			continue
		}
		if b.rs == 1 && nj == nr {
			interleave8(panel, b.data, p0+(j0+jr)*b.cs, b.cs, kb)
			continue
		}
		for j := range nr {
			if j >= nj {
				for p := range kb {
					panel[p*nr+j] = 0
				}
				continue
			}
			base := p0*b.rs + (j0+jr+j)*b.cs
			if b.rs == 1 {
				src := b.data[base : base+kb]
				for p, v := range src {
					panel[p*nr+j] = v
				}
				continue
			}
			for p := range kb {
				panel[p*nr+j] = b.data[base+p*b.rs]
			}
		}
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

// kernel is the micro-kernel in use (kernelGo or the assembly one).
var kernel microKernel = kernelGo

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
