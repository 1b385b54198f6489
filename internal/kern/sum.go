package kern

// Sum is the sum of x's entries, for the NaN/Inf guards of both back
// ends: it is NaN or infinite exactly when an entry is, or when finite
// entries overflow it (a guard then scans the entries one by one). The
// order of the additions is unspecified (eight or more lanes on
// AVX-512), so the value is for that test only.
func Sum(x []float64) float64 {
	if sumAVX512 && len(x) >= 32 {
		return sumAsm(&x[0], len(x))
	}
	return sumValuesGo(x)
}

// sumValuesGo adds x in four interleaved partial sums.
func sumValuesGo(x []float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		x4 := x[i : i+4 : i+4]
		s0 += x4[0]
		s1 += x4[1]
		s2 += x4[2]
		s3 += x4[3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}
