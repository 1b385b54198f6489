package nir

import "fmt"

// A linmap is a linear map from one node's values to another's, as the
// importer composes them along a chain of Affine, Linear and Scale nodes:
// the identity (diag and dense nil), a diagonal, or a dense matrix of
// rows x cols, row-major. Composing with the identity and with a diagonal
// of ones copies the values exactly, so that the weights of a graph in
// vlec's own pattern come back bit for bit.
type linmap struct {
	rows, cols  int
	diag, dense []float64
}

// maxComposed bounds the entries of a matrix the importer composes (a
// Linear of n x 1 after one of 1 x n makes n x n from 2n weights).
const maxComposed = 1 << 25

func identity(n int) linmap { return linmap{rows: n, cols: n} }

// isIdentity tells whether a is the identity, kept as such.
func (a linmap) isIdentity() bool { return a.diag == nil && a.dense == nil }

// leftDense returns w (rows x a.rows, row-major) times a.
func (a linmap) leftDense(w []float64, rows int) (linmap, error) {
	out := linmap{rows: rows, cols: a.cols}
	switch {
	case a.isIdentity():
		out.dense = append([]float64(nil), w...)
	case a.diag != nil:
		out.dense = make([]float64, len(w))
		for i := range rows {
			for j := range a.cols {
				out.dense[i*a.cols+j] = w[i*a.rows+j] * a.diag[j]
			}
		}
	default:
		if rows*a.cols > maxComposed {
			return linmap{}, fmt.Errorf("composing the chain makes a %d x %d matrix, more than vlec imports (%d entries)", rows, a.cols, maxComposed)
		}
		out.dense = make([]float64, rows*a.cols)
		for i := range rows {
			for k := range a.rows {
				wik := w[i*a.rows+k]
				if wik == 0 {
					continue
				}
				row := a.dense[k*a.cols : (k+1)*a.cols]
				for j, x := range row {
					out.dense[i*a.cols+j] += wik * x
				}
			}
		}
	}
	return out, nil
}

// leftDiag returns diag(s) times a.
func (a linmap) leftDiag(s []float64) linmap {
	out := linmap{rows: a.rows, cols: a.cols}
	switch {
	case a.isIdentity():
		out.diag = append([]float64(nil), s...)
	case a.diag != nil:
		out.diag = make([]float64, len(s))
		for i := range s {
			out.diag[i] = s[i] * a.diag[i]
		}
	default:
		out.dense = make([]float64, len(a.dense))
		for i := range a.rows {
			for j := range a.cols {
				out.dense[i*a.cols+j] = s[i] * a.dense[i*a.cols+j]
			}
		}
	}
	return out
}

// plus returns a + b (same shape).
func (a linmap) plus(b linmap) linmap {
	if a.dense == nil && b.dense == nil {
		da, db := a.diagonal(), b.diagonal()
		s := make([]float64, len(da))
		for i := range s {
			s[i] = da[i] + db[i]
		}
		return linmap{rows: a.rows, cols: a.cols, diag: s}
	}
	da, db := a.matrix(), b.matrix()
	for i := range da {
		da[i] += db[i]
	}
	return linmap{rows: a.rows, cols: a.cols, dense: da}
}

// diagonal returns the diagonal of a map that is not dense.
func (a linmap) diagonal() []float64 {
	if a.diag != nil {
		return append([]float64(nil), a.diag...)
	}
	d := make([]float64, a.rows)
	for i := range d {
		d[i] = 1
	}
	return d
}

// matrix returns a as a dense matrix (a copy).
func (a linmap) matrix() []float64 {
	if a.dense != nil {
		return append([]float64(nil), a.dense...)
	}
	m := make([]float64, a.rows*a.cols)
	for i, x := range a.diagonal() {
		m[i*a.cols+i] = x
	}
	return m
}

// mulVec returns w (rows x len(v)) times v.
func mulVec(w []float64, rows int, v []float64) []float64 {
	out := make([]float64, rows)
	for i := range rows {
		for j, x := range v {
			out[i] += w[i*len(v)+j] * x
		}
	}
	return out
}
