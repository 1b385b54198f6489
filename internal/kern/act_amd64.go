package kern

// The AVX-512 activation functions (act_amd64.s): n > 0 values from src
// to dst, the same operations as tanhGo, SigmoidScalar and ExpScalar on
// eight lanes at a time.

//go:noescape
func tanhAVX512(dst, src *float64, n int)

//go:noescape
func sigmoidAVX512(dst, src *float64, n int)

//go:noescape
func expAVX512(dst, src *float64, n int)

// actAVX512 reports whether Tanh, Sigmoid and Exp run the assembly:
// the CPU has AVX-512F and the operating system saves its registers.
var actAVX512 = hasAVX512()

// actAsm reports whether this build has the assembly at all (tests
// compare it with the Go code where the CPU runs it).
const actAsm = true

// sigmoidFMA is SigmoidScalar in assembly on one XMM register (AVX and
// FMA), for |x| <= sigmoidFMAMax.
//
//go:noescape
func sigmoidFMA(x float64) float64

// actFMA reports whether SigmoidScalar runs sigmoidFMA: the CPU has AVX
// and FMA and the operating system saves the YMM registers.
var actFMA = hasAVX2FMA()
