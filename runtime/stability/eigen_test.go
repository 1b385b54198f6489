package stability

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// matrixMap is a known matrix as a linearMap.
type matrixMap struct {
	a     *mat.Dense
	zeros map[int]bool
}

func (m matrixMap) dim() int { r, _ := m.a.Dims(); return r }

func (m matrixMap) apply(v, out []float64) error {
	mat.NewVecDense(len(out), out).MulVec(m.a, mat.NewVecDense(len(v), v))
	return nil
}

func (m matrixMap) zeroColumn(j int) bool { return m.zeros[j] }

// similar returns Q D Q^-1 for a random well-conditioned Q (identity
// plus a small random part), so that the eigenvalues are those of D.
func similar(d *mat.Dense, seed uint64) *mat.Dense {
	n, _ := d.Dims()
	rng := rand.New(rand.NewPCG(seed, 1))
	q := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			q.Set(i, j, 0.3*rng.NormFloat64()/math.Sqrt(float64(n)))
		}
		q.Set(i, i, q.At(i, i)+1)
	}
	var qi, a mat.Dense
	if err := qi.Inverse(q); err != nil {
		panic(err)
	}
	a.Mul(q, d)
	a.Mul(&a, &qi)
	return &a
}

// blockDiag builds a real matrix with the given eigenvalues: a real one
// on the diagonal, a complex pair (with positive imaginary part given) as
// a 2x2 rotation-scaling block.
func blockDiag(vals []complex128) *mat.Dense {
	n := 0
	for _, v := range vals {
		if imag(v) != 0 {
			n += 2
		} else {
			n++
		}
	}
	d := mat.NewDense(n, n, nil)
	i := 0
	for _, v := range vals {
		if imag(v) == 0 {
			d.Set(i, i, real(v))
			i++
			continue
		}
		d.Set(i, i, real(v))
		d.Set(i+1, i+1, real(v))
		d.Set(i, i+1, imag(v))
		d.Set(i+1, i, -imag(v))
		i += 2
	}
	return d
}

// checkEigenpair verifies A x = lambda x for a mode.
func checkEigenpair(t *testing.T, a *mat.Dense, md mode, tol float64) {
	t.Helper()
	n, _ := a.Dims()
	norm := 0.0
	for _, x := range md.vec {
		norm += real(x)*real(x) + imag(x)*imag(x)
	}
	if norm == 0 {
		t.Fatalf("eigenvalue %v has no vector", md.value)
	}
	res := 0.0
	for i := 0; i < n; i++ {
		var s complex128
		for j := 0; j < n; j++ {
			s += complex(a.At(i, j), 0) * md.vec[j]
		}
		d := s - md.value*md.vec[i]
		res += real(d)*real(d) + imag(d)*imag(d)
	}
	if r := math.Sqrt(res / norm); r > tol {
		t.Errorf("eigenpair %v: residual %g", md.value, r)
	}
}

// TestDenseKnownMatrix: the dense path finds the eigenvalues of a matrix
// built with known ones, sorted by modulus, one member per conjugate
// pair, with eigenvectors; zero columns are skipped and their entries
// restored.
func TestDenseKnownMatrix(t *testing.T) {
	vals := []complex128{0.5, complex(-0.3, 1.2), 0.9, -1.1, 0.2}
	a := similar(blockDiag(vals), 1)
	sp, err := denseSpectrum(matrixMap{a: a})
	if err != nil {
		t.Fatal(err)
	}
	want := []complex128{complex(-0.3, 1.2), -1.1, 0.9, 0.5, 0.2}
	if len(sp.modes) != len(want) {
		t.Fatalf("%d modes, want %d: %v", len(sp.modes), len(want), sp.modes)
	}
	for i, w := range want {
		if cmplx.Abs(sp.modes[i].value-w) > 1e-10 {
			t.Errorf("mode %d = %v, want %v", i, sp.modes[i].value, w)
		}
		checkEigenpair(t, a, sp.modes[i], 1e-9)
	}
	if r := sp.radius(); math.Abs(r-cmplx.Abs(complex(-0.3, 1.2))) > 1e-10 {
		t.Errorf("radius %g", r)
	}

	// A state nobody reads (zero column) and one nothing writes (zero
	// row) add eigenvalues 0 and change nothing else.
	n, _ := a.Dims()
	b := mat.NewDense(n+2, n+2, nil)
	b.Slice(0, n, 0, n).(*mat.Dense).Copy(a)
	for j := 0; j < n; j++ {
		b.Set(n, j, float64(j+1)) // row of the unread state: it depends on the others
		b.Set(j, n+1, 0.5)        // column of the constant state: others read it
	}
	sp, err = denseSpectrum(matrixMap{a: b, zeros: map[int]bool{n: true}})
	if err != nil {
		t.Fatal(err)
	}
	if sp.how != "dense 6x6" {
		t.Errorf("how = %q, want the 6 coupled entries only", sp.how)
	}
	for i, w := range want {
		if cmplx.Abs(sp.modes[i].value-w) > 1e-10 {
			t.Errorf("with extra states: mode %d = %v, want %v", i, sp.modes[i].value, w)
		}
		checkEigenpair(t, b, sp.modes[i], 1e-9)
	}
}

// TestArnoldiKnownMatrix: on a 300-dimensional matrix with a cluster of
// eigenvalues in [0, 0.9] and outliers (-1.3, a pair of modulus 1.03 and
// 0.95), Arnoldi finds the outliers with small residuals and true
// eigenvectors, and its radius of a stable matrix is right.
func TestArnoldiKnownMatrix(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var vals []complex128
	for i := 0; i < 296; i++ {
		vals = append(vals, complex(0.9*rng.Float64(), 0))
	}
	outer := complex(0.6, 0.84) // modulus 1.0323
	vals = append(vals, -1.3, outer, 0.95)
	a := similar(blockDiag(vals), 2)
	set := arnoldiSettings{krylov: 40, restarts: 4, tol: arnoldiTol, seed: 1}
	sp, err := arnoldiSpectrum(matrixMap{a: a}, set)
	if err != nil {
		t.Fatal(err)
	}
	if !sp.converged {
		t.Errorf("did not converge: %s", sp.how)
	}
	if got := sp.modes[0].value; cmplx.Abs(got-(-1.3)) > 1e-6 {
		t.Errorf("dominant Ritz value %v, want -1.3", got)
	}
	checkEigenpair(t, a, sp.modes[0], 1e-5)
	found := false
	for _, md := range sp.modes[:4] {
		if cmplx.Abs(md.value-outer) < 1e-5 {
			found = true
			checkEigenpair(t, a, md, 1e-4)
		}
	}
	if !found {
		t.Errorf("the pair %v is not among the outer Ritz values %v", outer, sp.modes[:4])
	}

	// a stable one: the radius is the outermost of the cluster's edge
	stable := similar(blockDiag(append(vals[:296:296], 0.95, complex(-0.5, 0.7))), 3)
	sp, err = arnoldiSpectrum(matrixMap{a: stable}, set)
	if err != nil {
		t.Fatal(err)
	}
	if r := sp.radius(); math.Abs(r-0.95) > 1e-4 {
		t.Errorf("radius %g, want 0.95", r)
	}

	// dense and Arnoldi agree on the same matrix
	dsp, err := denseSpectrum(matrixMap{a: stable})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(dsp.radius()-sp.radius()) > 1e-4 {
		t.Errorf("dense radius %g, Arnoldi %g", dsp.radius(), sp.radius())
	}
}

// TestArnoldiInvariant: a start vector in a small invariant subspace
// ends the iteration early with exact eigenvalues.
func TestArnoldiInvariant(t *testing.T) {
	a := blockDiag([]complex128{0.5, -0.25, 0.125})
	sp, err := arnoldiSpectrum(matrixMap{a: a}, arnoldiSettings{krylov: 10, restarts: 2, tol: 1e-8, seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !sp.converged || math.Abs(sp.radius()-0.5) > 1e-12 {
		t.Errorf("radius %g (converged %v), want 0.5 exactly", sp.radius(), sp.converged)
	}
}
