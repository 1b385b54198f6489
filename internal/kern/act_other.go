//go:build !amd64

package kern

// actAVX512 is false: no assembly activation functions on this
// architecture; Tanh, Sigmoid and Exp run the Go code.
const actAVX512 = false

// actAsm is false likewise.
const actAsm = false

func tanhAVX512(dst, src *float64, n int)    { panic("kern: no AVX-512 on this architecture") }
func sigmoidAVX512(dst, src *float64, n int) { panic("kern: no AVX-512 on this architecture") }
func expAVX512(dst, src *float64, n int)     { panic("kern: no AVX-512 on this architecture") }

// actFMA is false likewise: SigmoidScalar runs sigmoidGo.
const actFMA = false

func sigmoidFMA(x float64) float64 { panic("kern: no FMA assembly on this architecture") }
