//go:build !amd64

package kern

// kernelAsm is nil: no assembly micro-kernel on this architecture.
var kernelAsm microKernel

// kernelAVX2Only is nil likewise.
var kernelAVX2Only microKernel
