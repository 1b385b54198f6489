//go:build !amd64

package runtime

// kernelAsm is nil: no assembly micro-kernel on this architecture.
var kernelAsm microKernel
