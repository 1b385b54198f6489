package kern

import (
	"bytes"
	"fmt"
	"go/format"
	"math"
	"math/big"
	"os"
	"strconv"
	"testing"
)

// The coefficients of TanhScalar's polynomials (act_table.go) are
// computed here, in 320-bit arithmetic (math/big), from tanh's Taylor
// series; TestActTable checks that the file is what this generator
// writes, and
//
//	go test ./internal/kern -run TestActTable -update
//
// rewrites it. The method, for each of the 128 grid points c of the
// table path (the numbers with 5 significant bits from 0.125 to 31,
// k 2^(e-4) for k = 16..31 and e = -3..4):
//
//  1. The Taylor coefficients of tanh at c, y_0 = tanh c (from e^(-2c),
//     a Taylor series after halving the argument and squaring back) and
//     y_(k+1) = ([k = 0] - sum_(i=0..k) y_i y_(k-i))/(k+1) from tanh' =
//     1 - tanh^2, to order tanhTaylorTerms: the series converges on
//     |R| < pi/2, so on the intervals below (|R| <= 1/2) its truncation
//     is far below 2^-300.
//  2. c0hi = tanh c rounded to float64, and the degree-9 polynomial q
//     interpolating tanh(c + R) - c0hi at the 10 Chebyshev nodes of the
//     interval of R that rounds to c (half the spacing of the grid on
//     either side, the spacing below being half as large at a power of
//     two): near-minimax, its error at most a few times the minimax one.
//  3. The coefficients rounded to float64, q_1 first to 6 significant
//     bits (c1hi, so that c1hi R is exact, R having at most 47) and its
//     remainder rounded (c1lo).
//
// The polynomial P of the small arguments is the degree-5 polynomial
// interpolating (tanh x - x)/x^3 as a function of s = x^2 at the 6
// Chebyshev nodes of [0, 1/64], from the same series at 0.
//
// The generator also reports, for each binade, the largest error of the
// rounded polynomials against the series (on 401 points per interval),
// in ulps of the result: tanhApproxErr is the test's bound on it.

const (
	tanhTaylorTerms = 60
	tanhPrec        = 320
	// tanhApproxErr bounds the error of the rounded polynomials against
	// tanh, in ulps of the result (evaluated exactly; the rounding of the
	// evaluation comes on top): the generator fails above it.
	tanhApproxErr = 0.005
)

func bf(x float64) *big.Float { return new(big.Float).SetPrec(tanhPrec).SetFloat64(x) }
func bz() *big.Float          { return new(big.Float).SetPrec(tanhPrec) }

// bigExp returns e^x for |x| <= 100.
func bigExp(x *big.Float) *big.Float {
	y := bz().Set(x)
	n := 0
	for {
		f, _ := y.Float64()
		if math.Abs(f) < 0x1p-10 {
			break
		}
		y.Quo(y, bf(2))
		n++
	}
	sum, term := bf(1), bf(1)
	for k := 1; k < 40; k++ {
		term.Mul(term, y)
		term.Quo(term, bf(float64(k)))
		sum.Add(sum, term)
	}
	for ; n > 0; n-- {
		sum.Mul(sum, sum)
	}
	return sum
}

// bigTaylorTanh returns the Taylor coefficients of tanh at c.
func bigTaylorTanh(c float64) []*big.Float {
	y := make([]*big.Float, tanhTaylorTerms+1)
	e := bigExp(bf(-2 * c))
	y[0] = bz().Quo(bz().Sub(bf(1), e), bz().Add(bf(1), e))
	for k := 0; k < tanhTaylorTerms; k++ {
		s := bz()
		for i := 0; i <= k; i++ {
			s.Add(s, bz().Mul(y[i], y[k-i]))
		}
		s.Neg(s)
		if k == 0 {
			s.Add(s, bf(1))
		}
		y[k+1] = s.Quo(s, bf(float64(k+1)))
	}
	return y
}

// bigPoly evaluates sum p_k r^k.
func bigPoly(p []*big.Float, r *big.Float) *big.Float {
	s := bz()
	for k := len(p) - 1; k >= 0; k-- {
		s.Mul(s, r)
		s.Add(s, p[k])
	}
	return s
}

// bigInterp returns the coefficients (constant first) of the degree-d
// polynomial interpolating f at the d+1 Chebyshev nodes of [lo, hi].
func bigInterp(f func(*big.Float) *big.Float, lo, hi float64, d int) []*big.Float {
	n := d + 1
	a := make([][]*big.Float, n)
	b := make([]*big.Float, n)
	for i := range n {
		u := math.Cos(math.Pi * (float64(i) + 0.5) / float64(n))
		r := bf((lo+hi)/2 + (hi-lo)/2*u)
		a[i] = make([]*big.Float, n)
		p := bf(1)
		for k := range n {
			a[i][k] = bz().Set(p)
			p.Mul(p, r)
		}
		b[i] = f(r)
	}
	// Gaussian elimination with partial pivoting.
	for i := range n {
		p := i
		for j := i + 1; j < n; j++ {
			if bz().Abs(a[j][i]).Cmp(bz().Abs(a[p][i])) > 0 {
				p = j
			}
		}
		a[i], a[p], b[i], b[p] = a[p], a[i], b[p], b[i]
		for j := i + 1; j < n; j++ {
			m := bz().Quo(a[j][i], a[i][i])
			for k := i; k < n; k++ {
				a[j][k].Sub(a[j][k], bz().Mul(m, a[i][k]))
			}
			b[j].Sub(b[j], bz().Mul(m, b[i]))
		}
	}
	x := make([]*big.Float, n)
	for i := n - 1; i >= 0; i-- {
		s := bz().Set(b[i])
		for k := i + 1; k < n; k++ {
			s.Sub(s, bz().Mul(a[i][k], x[k]))
		}
		x[i] = s.Quo(s, a[i][i])
	}
	return x
}

func f64(x *big.Float) float64 { f, _ := x.Float64(); return f }

// roundBits rounds v to n significant bits (to nearest, ties to even).
func roundBits(v float64, n int) float64 {
	if v == 0 {
		return 0
	}
	_, e := math.Frexp(v)
	sc := math.Ldexp(1, n-e)
	return math.RoundToEven(v*sc) / sc
}

// ulpOf returns the ulp of the binade of v (> 0).
func ulpOf(v float64) float64 {
	_, e := math.Frexp(v)
	return math.Ldexp(1, e-53)
}

// tanhGridPoint returns the grid point of table entry j (the layout of
// tanhIndex: bits 48..54 of the grid point's bits).
func tanhGridPoint(j int) float64 {
	top := 0x4000 + j // [2, 32)
	if j >= tanhEntries/2 {
		top = 0x3F80 + j // [0.125, 2)
	}
	return math.Float64frombits(uint64(top) << 48)
}

// genActTable returns the source of act_table.go and the largest
// approximation error per binade (report).
func genActTable() ([]byte, string) {
	var a [tanhEntries * tanhWidthA]float64
	var b [tanhEntries * tanhWidthB]float64
	var report bytes.Buffer
	worst := map[int]float64{}
	var worstAll float64
	for j := range tanhEntries {
		c := tanhGridPoint(j)
		_, e := math.Frexp(c)
		e-- // c in [2^e, 2^(e+1))
		spacing := math.Ldexp(1, e-4)
		lo, hi := -spacing/2, spacing/2
		if c == math.Ldexp(1, e) {
			lo = -spacing / 4
		}
		y := bigTaylorTanh(c)
		c0hi := f64(y[0])
		g := func(r *big.Float) *big.Float {
			v := bigPoly(y, r)
			return v.Sub(v, bf(c0hi))
		}
		q := bigInterp(g, lo, hi, tanhDegree)
		c1 := f64(q[1])
		c1hi := roundBits(c1, 6)
		c1lo := f64(bz().Sub(q[1], bf(c1hi)))
		coef := []float64{c0hi, f64(q[0]), c1hi, c1lo}
		for k := 2; k <= tanhDegree; k++ {
			coef = append(coef, f64(q[k]))
		}
		copy(a[j*tanhWidthA:], coef[:tanhWidthA])
		copy(b[j*tanhWidthB:], coef[tanhWidthA:])
		// The rounded polynomial against the series.
		rp := []*big.Float{bf(coef[1]), bz().Add(bf(c1hi), bf(c1lo))}
		for k := 2; k <= tanhDegree; k++ {
			rp = append(rp, bf(coef[k+2]))
		}
		for i := 0; i <= 400; i++ {
			r := lo + (hi-lo)*float64(i)/400
			rb := bf(r)
			exact := bigPoly(y, rb)
			d := bz().Sub(bz().Add(bf(c0hi), bigPoly(rp, rb)), exact)
			err := math.Abs(f64(d)) / ulpOf(f64(exact))
			worst[e] = max(worst[e], err)
			worstAll = max(worstAll, err)
		}
	}
	for e := -3; e <= 4; e++ {
		fmt.Fprintf(&report, "[%g, %g): %.2e ulp; ", math.Ldexp(1, e), math.Ldexp(1, e+1), worst[e])
	}

	// P for the small arguments.
	y0 := bigTaylorTanh(0)
	fs := func(s *big.Float) *big.Float {
		v := bz()
		for k := tanhTaylorTerms/2 - 1; k >= 1; k-- {
			v.Mul(v, s)
			v.Add(v, y0[2*k+1])
		}
		return v
	}
	pq := bigInterp(fs, 0, tanhSmall*tanhSmall, tanhSmallDegree)
	var p [tanhSmallDegree + 1]float64
	for k := range p {
		p[k] = f64(pq[k])
	}
	smallWorst := 0.0
	for i := 0; i <= 2000; i++ {
		x := tanhSmall * float64(i+1) / 2001
		s := bf(x * x)
		s.Mul(bf(x), bf(x))
		pp := make([]*big.Float, len(p))
		for k := range p {
			pp[k] = bf(p[k])
		}
		d := bz().Sub(bigPoly(pp, s), fs(s))
		d.Mul(d, bf(x))
		d.Mul(d, bf(x))
		d.Mul(d, bf(x))
		th := f64(bz().Add(bf(x), bz().Mul(bz().Mul(bf(x), s), fs(s))))
		smallWorst = max(smallWorst, math.Abs(f64(d))/ulpOf(th))
	}
	fmt.Fprintf(&report, "small: %.2e ulp", smallWorst)
	worstAll = max(worstAll, smallWorst)
	if worstAll > tanhApproxErr {
		fmt.Fprintf(&report, " ABOVE the bound %g", tanhApproxErr)
	}

	var src bytes.Buffer
	src.WriteString(`// Code generated by go test -run TestActTable -update (act_gen_test.go); DO NOT EDIT.

package kern

`)
	hexf := func(v float64) string { return strconv.FormatFloat(v, 'x', -1, 64) }
	// The entries of negative arguments: the even coefficients negated.
	evenA := [tanhWidthA]bool{true, true, false, false, true, false, true, false}
	evenB := [tanhWidthB]bool{true, false, true, false}
	table := func(name, doc string, v []float64, width int, widthName string, even []bool) {
		fmt.Fprintf(&src, "%s\nvar %s = [2 * tanhEntries * %s]float64{\n", doc, name, widthName)
		for sign := 1.0; sign >= -1; sign -= 2 {
			for j := range tanhEntries {
				src.WriteString("\t")
				for k := range width {
					c := v[j*width+k]
					if even[k] {
						c *= sign
					}
					fmt.Fprintf(&src, "%s, ", hexf(c))
				}
				fmt.Fprintf(&src, "// %v\n", sign*tanhGridPoint(j))
			}
		}
		src.WriteString("}\n\n")
	}
	table("tanhTabA", `// tanhTabA holds c0hi, c0lo, c1hi, c1lo, c2, c3, c4, c5 of each grid
// point (see Tanh), in the order of tanhIndex, for positive arguments,
// then the same for negative ones with the even coefficients negated
// (c0hi, c0lo, c2, c4: tanh(-c + R) = -tanh(c - R)), so that TanhScalar
// computes tanh x from x, R = x - c and the entry of -c with no sign of
// its own.`, a[:], tanhWidthA, "tanhWidthA", evenA[:])
	table("tanhTabB", "// tanhTabB holds c6, c7, c8, c9 likewise (c6 and c8 negated).", b[:], tanhWidthB, "tanhWidthB", evenB[:])
	fmt.Fprintf(&src, "// tanhP holds the coefficients of P, constant term first.\nvar tanhP = [tanhSmallDegree + 1]float64{")
	for k := range p {
		fmt.Fprintf(&src, "%s, ", hexf(p[k]))
	}
	src.WriteString("}\n")
	out, err := format.Source(src.Bytes())
	if err != nil {
		panic(err)
	}
	return out, report.String()
}

// TestActTable checks that act_table.go is what genActTable writes and
// that the polynomials' approximation errors are within tanhApproxErr
// (-update rewrites the file).
func TestActTable(t *testing.T) {
	want, report := genActTable()
	t.Logf("approximation errors: %s", report)
	if bytes.Contains([]byte(report), []byte("ABOVE")) {
		t.Errorf("approximation error above %g ulp", tanhApproxErr)
	}
	if *update {
		if err := os.WriteFile("act_table.go", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile("act_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("act_table.go differs from its generator (act_gen_test.go); run go test -run TestActTable -update")
	}
	// The layout: entry j is the grid point whose bits 48..54 are j.
	for j := range tanhEntries {
		if got := tanhIndex(math.Float64bits(tanhGridPoint(j))); got != uint64(j) {
			t.Fatalf("tanhIndex(grid point %d = %v) = %d", j, tanhGridPoint(j), got)
		}
	}
}

// TestTanhConstants checks the bit patterns TanhScalar compares with and
// that tanhBig is the least double whose tanh rounds to 1: 1 - tanh x =
// 2/(e^(2x) + 1) is below 2^-54 (half an ulp below 1) at tanhBig and
// above it at the double before.
func TestTanhConstants(t *testing.T) {
	if math.Float64bits(tanhSmall) != tanhSmallBits || math.Float64bits(tanhBig) != tanhBigBits ||
		math.Float64bits(math.Inf(1)) != tanhInfBits {
		t.Fatalf("tanhSmallBits, tanhBigBits or tanhInfBits are not the bits of their numbers")
	}
	dev := func(x float64) int { // the sign of (1 - tanh x) - 2^-54
		e := bigExp(bf(-2 * x))
		d := bz().Quo(bz().Mul(bf(2), e), bz().Add(bf(1), e))
		return d.Cmp(bf(0x1p-54))
	}
	if dev(tanhBig) >= 0 || dev(math.Nextafter(tanhBig, 0)) <= 0 {
		t.Errorf("tanhBig = %v is not the least double whose tanh rounds to 1", tanhBig)
	}
}
