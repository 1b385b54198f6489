//go:build !amd64

package kern

// kernelAsm is empty: no assembly micro-kernel on this architecture.
var kernelAsm gemmKernel

// kernelAVX2Only and kernel8x8Only are empty likewise.
var kernelAVX2Only, kernel8x8Only gemmKernel
