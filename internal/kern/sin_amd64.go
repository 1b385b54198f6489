package kern

// The AVX-512 sine (sin_amd64.s): n > 0 values from src to dst, the
// operations of math.Sin on eight lanes at a time for |x| < 2^29; the
// other lanes (|x| >= 2^29, NaN, ±Inf) are left unstored, and the
// result reports whether there were any. sinAVX512FMA fuses the last
// multiply-add of each polynomial, as math.Sin is compiled with
// GOAMD64=v3 and above.

//go:noescape
func sinAVX512(dst, src *float64, n int) (fix bool)

//go:noescape
func sinAVX512FMA(dst, src *float64, n int) (fix bool)

// sinAsm reports whether the CPU runs sinAVX512: AVX-512F, with the
// operating system saving its registers.
var sinAsm = hasAVX512()
