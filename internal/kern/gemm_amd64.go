package kern

import "unsafe"

// The AVX2/FMA micro-kernel (gemm_amd64.s), used when the CPU and the
// operating system support it.

//go:noescape
func kernel4x8(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, alpha, beta float64)

//go:noescape
func kernel8x8(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, alpha, beta float64)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

// hasAVX2FMA reports whether AVX2 and FMA instructions can run: the CPU
// has them and the OS saves the YMM registers.
func hasAVX2FMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 { // XMM and YMM state
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0 // AVX2
}

// hasAVX512 reports whether AVX-512F instructions can run: the CPU has
// them and the OS saves the opmask and ZMM registers.
func hasAVX512() bool {
	if !hasAVX2FMA() {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&0xe6 != 0xe6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<16) != 0 // AVX512F
}

// kernelAsm is the assembly micro-kernel with the contract of kernelGo,
// or nil when the CPU cannot run it.
var kernelAsm microKernel

func checkKernel(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	if k < 0 || lda < 0 || ldb < 0 || ldc < nr || len(c) < (mr-1)*ldc+nr ||
		k > 0 && (len(a) < (k-1)*lda+mr || len(b) < (k-1)*ldb+nr) {
		panic("kern: gemm micro-kernel operands out of range")
	}
}

// kernelAVX2 computes the 8 x 8 tile as two 4 x 8 ones.
func kernelAVX2(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, alpha, beta float64) {
	checkKernel(k, a, lda, b, ldb, c, ldc)
	pa, pb, pc := unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(c)
	kernel4x8(k, pa, lda, pb, ldb, pc, ldc, alpha, beta)
	kernel4x8(k, (*float64)(unsafe.Add(unsafe.Pointer(pa), 4*8)), lda, pb, ldb,
		(*float64)(unsafe.Add(unsafe.Pointer(pc), 4*ldc*8)), ldc, alpha, beta)
}

func kernelAVX512(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, alpha, beta float64) {
	checkKernel(k, a, lda, b, ldb, c, ldc)
	kernel8x8(k, unsafe.SliceData(a), lda, unsafe.SliceData(b), ldb, unsafe.SliceData(c), ldc, alpha, beta)
}

// kernelAVX2Only is the AVX2 kernel where the CPU runs it (tests
// compare it too when AVX-512 is in use).
var kernelAVX2Only microKernel

func init() {
	if hasAVX2FMA() {
		kernelAsm, kernelAVX2Only = kernelAVX2, kernelAVX2
	}
	if hasAVX512() {
		kernelAsm = kernelAVX512
	}
	if kernelAsm != nil {
		kernel = kernelAsm
	}
}
