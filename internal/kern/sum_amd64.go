package kern

// sumAsm adds n >= 32 values from x (sum_amd64.s): four zmm
// accumulators of eight lanes, then the last n mod 8 values one by one.
//
//go:noescape
func sumAsm(x *float64, n int) float64

// sumAVX512 reports whether Sum runs the assembly.
var sumAVX512 = hasAVX512()
