//go:build !amd64

package runtime

// kernelAsm is nil: no assembly micro-kernel on this architecture.
var kernelAsm func(k int, a, b, c []float64, ldc int, alpha, beta float64)
