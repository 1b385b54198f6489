package runtime

import (
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// The batched products. Every product is brought to the form
// C = beta*C + alpha * A B^T with A (m x k) and B (n x k) row-major (k
// contiguous), the form in which gonum's kernel runs on dot products in
// assembly (2-3x faster here than its axpy-based forms), packing
// transposed operands into scratch buffers allocated once. The columns of
// C are split between a fixed pool of workers, so nothing allocates.

// gemmNT computes c (m x n, row stride ldc) = beta*c + alpha * a b^T.
func gemmNT(m, n, k int, alpha float64, a []float64, b []float64, beta float64, c []float64, ldc int, pool *workers) {
	if pool == nil || pool.n < 2 || m*n*k < 1<<20 {
		gemmNTRange(m, 0, n, k, alpha, a, b, beta, c, ldc)
		return
	}
	pool.job = gemmJob{m, n, k, alpha, a, b, beta, c, ldc}
	pool.run()
}

type gemmJob struct {
	m, n, k int
	alpha   float64
	a, b    []float64
	beta    float64
	c       []float64
	ldc     int
}

// part computes worker w's share of the columns of C.
func (g *gemmJob) part(w, nw int) {
	per := (g.n/64 + nw - 1) / nw * 64
	lo := min(g.n, w*per)
	hi := min(g.n, lo+per)
	if w == nw-1 {
		hi = g.n
	}
	if lo < hi {
		gemmNTRange(g.m, lo, hi, g.k, g.alpha, g.a, g.b, g.beta, g.c, g.ldc)
	}
}

// gemmNTRange computes the columns jlo..jhi of C with gonum's serial
// kernel (dot products in assembly), in tiles small enough that gonum does
// not start goroutines of its own (which would allocate).
func gemmNTRange(m, jlo, jhi, k int, alpha float64, a, b []float64, beta float64, c []float64, ldc int) {
	const ti, tj = 64, 192
	for i := 0; i < m; i += ti {
		mi := min(ti, m-i)
		for j := jlo; j < jhi; j += tj {
			nj := min(tj, jhi-j)
			blas64.Gemm(blas.NoTrans, blas.Trans, alpha,
				blas64.General{Rows: mi, Cols: k, Stride: k, Data: a[i*k:]},
				blas64.General{Rows: nj, Cols: k, Stride: k, Data: b[j*k:]},
				beta, blas64.General{Rows: mi, Cols: nj, Stride: ldc, Data: c[i*ldc+j:]})
		}
	}
}

// transpose writes the transpose of src (rows x cols) into dst (cols x
// rows), in cache blocks.
func transpose(dst, src []float64, rows, cols int) {
	const bs = 32
	for i0 := 0; i0 < rows; i0 += bs {
		i1 := min(rows, i0+bs)
		for j0 := 0; j0 < cols; j0 += bs {
			j1 := min(cols, j0+bs)
			for i := i0; i < i1; i++ {
				row := src[i*cols : i*cols+cols]
				for j := j0; j < j1; j++ {
					dst[j*rows+i] = row[j]
				}
			}
		}
	}
}

// workers is a fixed pool of goroutines that share a product without
// allocating.
type workers struct {
	n    int
	job  gemmJob
	wg   sync.WaitGroup
	jobs []chan struct{}
}

func newWorkers(n int) *workers {
	p := &workers{n: n}
	for w := 1; w < n; w++ {
		ch := make(chan struct{})
		p.jobs = append(p.jobs, ch)
		go func(w int) {
			for range ch {
				p.job.part(w, p.n)
				p.wg.Done()
			}
		}(w)
	}
	return p
}

// run computes the job on every worker, the caller being worker 0.
func (p *workers) run() {
	p.wg.Add(len(p.jobs))
	for _, ch := range p.jobs {
		ch <- struct{}{}
	}
	p.job.part(0, p.n)
	p.wg.Wait()
	p.job.a, p.job.b, p.job.c = nil, nil, nil
}

// close stops the pool's goroutines.
func (p *workers) close() {
	for _, ch := range p.jobs {
		close(ch)
	}
}
