//go:build !amd64

package kern

// sinAsm is false: no assembly sine on this architecture; Sin calls
// math.Sin.
const sinAsm = false

func sinAVX512(dst, src *float64, n int) bool    { panic("kern: no AVX-512 on this architecture") }
func sinAVX512FMA(dst, src *float64, n int) bool { panic("kern: no AVX-512 on this architecture") }
