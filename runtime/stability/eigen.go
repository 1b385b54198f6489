package stability

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// linearMap is a square linear map given by its action: the Jacobian of
// the step restricted to some state entries, or a known matrix in tests.
type linearMap interface {
	// dim is the dimension.
	dim() int
	// apply writes A v into out.
	apply(v, out []float64) error
	// zeroColumn reports whether column j is known to be zero (an entry
	// the step does not read); the dense path skips it.
	zeroColumn(j int) bool
}

// mode is an eigenvalue with its (right) eigenvector.
type mode struct {
	value    complex128
	vec      []complex128
	residual float64 // ||A y - value y|| / ||y||: Arnoldi's estimate, 0 when computed densely
}

// spectrum is the outer part of the spectrum of a linear map.
type spectrum struct {
	// modes are sorted by decreasing modulus; of a conjugate pair only
	// the member with a non-negative imaginary part is kept.
	modes []mode
	// how says how it was computed.
	how string
	// converged is false when Arnoldi's dominant Ritz value did not
	// converge within the restarts.
	converged bool
}

// radius is the modulus of the dominant eigenvalue.
func (s spectrum) radius() float64 {
	if len(s.modes) == 0 {
		return 0
	}
	return cmplx.Abs(s.modes[0].value)
}

// sortModes orders modes by decreasing modulus and drops the lower
// member of every conjugate pair.
func sortModes(ms []mode) []mode {
	out := ms[:0]
	for _, m := range ms {
		if imag(m.value) >= 0 || !hasConjugate(ms, m.value) {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b mode) int {
		return -cmpFloat(cmplx.Abs(a.value), cmplx.Abs(b.value))
	})
	return out
}

func hasConjugate(ms []mode, v complex128) bool {
	c := cmplx.Conj(v)
	for _, m := range ms {
		if cmplx.Abs(m.value-c) <= 1e-12*math.Max(1, cmplx.Abs(v)) {
			return true
		}
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// denseSpectrum builds the matrix of a column by column (skipping the
// columns known to be zero), removes the entries whose row or column is
// zero within the rest (each adds an eigenvalue 0 and changes no other),
// and computes every eigenpair of what remains with LAPACK's Dgeev
// (gonum mat.Eigen). Eigenvector entries of the removed states are filled
// in from their rows: x_j = (A x)_j / lambda.
func denseSpectrum(a linearMap) (spectrum, error) {
	n := a.dim()
	full := mat.NewDense(max(n, 1), max(n, 1), nil)
	col := make([]float64, n)
	unit := make([]float64, n)
	for j := 0; j < n; j++ {
		if a.zeroColumn(j) {
			continue
		}
		unit[j] = 1
		if err := a.apply(unit, col); err != nil {
			return spectrum{}, err
		}
		unit[j] = 0
		for i, x := range col {
			full.Set(i, j, x)
		}
	}
	keep := make([]bool, n)
	for j := range keep {
		keep[j] = true
	}
	for changed := true; changed; {
		changed = false
		for j := 0; j < n; j++ {
			if !keep[j] {
				continue
			}
			rowZero, colZero := true, true
			for i := 0; i < n && (rowZero || colZero); i++ {
				if !keep[i] {
					continue
				}
				rowZero = rowZero && full.At(j, i) == 0
				colZero = colZero && full.At(i, j) == 0
			}
			if rowZero || colZero {
				keep[j], changed = false, true
			}
		}
	}
	var idx []int
	for j, k := range keep {
		if k {
			idx = append(idx, j)
		}
	}
	how := fmt.Sprintf("dense %dx%d", len(idx), len(idx))
	if len(idx) == 0 {
		return spectrum{modes: []mode{{vec: make([]complex128, n)}}, how: how, converged: true}, nil
	}
	sub := mat.NewDense(len(idx), len(idx), nil)
	for r, i := range idx {
		for c, j := range idx {
			sub.Set(r, c, full.At(i, j))
		}
	}
	var eig mat.Eigen
	if !eig.Factorize(sub, mat.EigenRight) {
		return spectrum{}, errors.New("the eigenvalue decomposition did not converge")
	}
	vals := eig.Values(nil)
	var vecs mat.CDense
	eig.VectorsTo(&vecs)
	modes := make([]mode, len(vals))
	for c, lambda := range vals {
		vec := make([]complex128, n)
		for r, i := range idx {
			vec[i] = vecs.At(r, c)
		}
		if cmplx.Abs(lambda) > 1e-12 {
			for i, k := range keep {
				if k {
					continue
				}
				var s complex128
				for _, j := range idx {
					s += complex(full.At(i, j), 0) * vec[j]
				}
				vec[i] = s / lambda
			}
		}
		modes[c] = mode{value: lambda, vec: vec}
	}
	return spectrum{modes: sortModes(modes), how: how, converged: true}, nil
}

// arnoldiSettings are the sizes of the restarted Arnoldi iteration.
type arnoldiSettings struct {
	krylov   int     // dimension of the Krylov space
	restarts int     // explicit restarts at most
	tol      float64 // the dominant Ritz pair has converged when its residual is below tol * max(1, |theta|)
	seed     uint64  // of the random start vector
}

// arnoldiSpectrum estimates the outer eigenvalues of a by the Arnoldi
// iteration (Saad, Numerical Methods for Large Eigenvalue Problems, ch. 6):
// an orthonormal basis V of the Krylov space span{v, Av, ..., A^(k-1) v}
// (classical Gram-Schmidt, orthogonalised twice) and the Hessenberg
// matrix H = V^T A V, whose eigenvalues (Ritz values, gonum mat.Eigen)
// approximate those of a with the largest modulus first. The residual of
// a Ritz pair (theta, V s) is |h_{k+1,k}| |s_k| / |s|. While the dominant
// pair has not converged the iteration restarts from the sum of the real
// and imaginary parts of the leading Ritz vectors.
func arnoldiSpectrum(a linearMap, set arnoldiSettings) (spectrum, error) {
	n := a.dim()
	if n == 0 {
		return spectrum{modes: []mode{{}}, how: "empty", converged: true}, nil
	}
	rng := rand.New(rand.NewPCG(set.seed, 0x57ab))
	v0 := make([]float64, n)
	for i := range v0 {
		v0[i] = rng.NormFloat64()
	}
	var sp spectrum
	runs := 0
	for r := 0; r <= set.restarts; r++ {
		runs++
		modes, exact, err := arnoldi(a, v0, min(set.krylov, n))
		if err != nil {
			return spectrum{}, err
		}
		sp = spectrum{modes: modes, converged: exact}
		if len(modes) == 0 {
			break
		}
		top := modes[0]
		if exact || top.residual <= set.tol*math.Max(1, cmplx.Abs(top.value)) {
			sp.converged = true
			break
		}
		// restart from the leading Ritz vectors
		clear(v0)
		for i := 0; i < min(3, len(modes)); i++ {
			m := modes[i]
			norm := 0.0
			for _, x := range m.vec {
				norm += real(x)*real(x) + imag(x)*imag(x)
			}
			norm = math.Sqrt(norm)
			if norm == 0 {
				continue
			}
			for j, x := range m.vec {
				v0[j] += (real(x) + imag(x)) / norm
			}
		}
	}
	sp.how = fmt.Sprintf("Arnoldi, %d-dimensional Krylov space, %d run(s)", min(set.krylov, n), runs)
	return sp, nil
}

// ritzVectors is the number of outer Ritz pairs whose vectors are
// formed.
const ritzVectors = 12

// arnoldi runs k Arnoldi steps on a from v0 and returns the Ritz pairs
// (vectors in a's coordinates), sorted, and whether the Krylov space
// became invariant (then the Ritz values are eigenvalues).
func arnoldi(a linearMap, v0 []float64, k int) ([]mode, bool, error) {
	n := a.dim()
	norm0 := floats.Norm(v0, 2)
	if norm0 == 0 || math.IsNaN(norm0) {
		return nil, false, errors.New("Arnoldi: zero start vector")
	}
	V := [][]float64{make([]float64, n)}
	floats.ScaleTo(V[0], 1/norm0, v0)
	H := mat.NewDense(k+1, k, nil)
	scale := 0.0
	m := k
	exact := false
	for j := 0; j < k; j++ {
		w := make([]float64, n)
		if err := a.apply(V[j], w); err != nil {
			return nil, false, err
		}
		scale = math.Max(scale, floats.Norm(w, 2))
		for pass := 0; pass < 2; pass++ {
			for i := 0; i <= j; i++ {
				c := floats.Dot(V[i], w)
				H.Set(i, j, H.At(i, j)+c)
				floats.AddScaled(w, -c, V[i])
			}
		}
		h := floats.Norm(w, 2)
		H.Set(j+1, j, h)
		if h <= 1e-12*math.Max(scale, 1e-300) {
			m, exact = j+1, true
			break
		}
		floats.Scale(1/h, w)
		V = append(V, w)
	}
	hm := H.Slice(0, m, 0, m)
	var eig mat.Eigen
	if !eig.Factorize(hm, mat.EigenRight) {
		return nil, false, errors.New("Arnoldi: the eigenvalue decomposition of the Hessenberg matrix did not converge")
	}
	vals := eig.Values(nil)
	var S mat.CDense
	eig.VectorsTo(&S)
	beta := H.At(m, m-1)
	if exact {
		beta = 0
	}
	// Ritz vectors only for the outer Ritz values: the rest are not
	// reported.
	order := make([]int, len(vals))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return -cmpFloat(cmplx.Abs(vals[x]), cmplx.Abs(vals[y])) })
	modes := make([]mode, len(vals))
	for rank, c := range order {
		theta := vals[c]
		sn := 0.0
		for r := 0; r < m; r++ {
			sn += cmplx.Abs(S.At(r, c)) * cmplx.Abs(S.At(r, c))
		}
		sn = math.Sqrt(sn)
		res := 0.0
		if sn > 0 {
			res = math.Abs(beta) * cmplx.Abs(S.At(m-1, c)) / sn
		}
		modes[c] = mode{value: theta, residual: res}
		if rank >= ritzVectors {
			continue
		}
		vec := make([]complex128, n)
		for r := 0; r < m; r++ {
			s := S.At(r, c)
			for i, x := range V[r] {
				vec[i] += s * complex(x, 0)
			}
		}
		modes[c].vec = vec
	}
	return sortModes(modes), exact, nil
}
