package kern

import "unsafe"

// The assembly micro-kernels: AVX2/FMA and AVX-512 8 x 8 (gemm_amd64.s),
// AVX-512 8 x 16 and 8 x 24 (gemmwide_amd64.s, generated), used when the
// CPU and the operating system support them.

//go:noescape
func kernel4x8(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, alpha, beta float64)

//go:noescape
func kernel8x8(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, alpha, beta float64)

//go:noescape
func kernel8x16(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, alpha, beta float64)

//go:noescape
func kernel8x24(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, alpha, beta float64)

//go:noescape
func transpose8AVX512(dst *float64, ld int, src *float64, stride int, blocks int)

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

// kernelAsm is the assembly micro-kernels, k8 nil when the CPU cannot
// run them.
var kernelAsm gemmKernel

// checkKernel panics unless the operands of an 8 x n tile are in range.
func checkKernel(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc, n int) {
	if k < 0 || lda < 0 || ldb < 0 || ldc < n || len(c) < (mr-1)*ldc+n ||
		k > 0 && (len(a) < (k-1)*lda+mr || len(b) < (k-1)*ldb+n) {
		panic("kern: gemm micro-kernel operands out of range")
	}
}

// kernelAVX2 computes the 8 x 8 tile as two 4 x 8 ones.
func kernelAVX2(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, alpha, beta float64) {
	checkKernel(k, a, lda, b, ldb, c, ldc, nr)
	pa, pb, pc := unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(c)
	kernel4x8(k, pa, lda, pb, ldb, pc, ldc, alpha, beta)
	kernel4x8(k, (*float64)(unsafe.Add(unsafe.Pointer(pa), 4*8)), lda, pb, ldb,
		(*float64)(unsafe.Add(unsafe.Pointer(pc), 4*ldc*8)), ldc, alpha, beta)
}

func kernelAVX512(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, alpha, beta float64) {
	checkKernel(k, a, lda, b, ldb, c, ldc, nr)
	kernel8x8(k, unsafe.SliceData(a), lda, unsafe.SliceData(b), ldb, unsafe.SliceData(c), ldc, alpha, beta)
}

func kernelAVX512x16(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, alpha, beta float64) {
	checkKernel(k, a, lda, b, ldb, c, ldc, 16)
	kernel8x16(k, unsafe.SliceData(a), lda, unsafe.SliceData(b), ldb, unsafe.SliceData(c), ldc, alpha, beta)
}

func kernelAVX512x24(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, alpha, beta float64) {
	checkKernel(k, a, lda, b, ldb, c, ldc, 24)
	kernel8x24(k, unsafe.SliceData(a), lda, unsafe.SliceData(b), ldb, unsafe.SliceData(c), ldc, alpha, beta)
}

// kernelAVX2Only is the AVX2 kernel where the CPU runs it, and
// kernel8x8Only the AVX-512 8 x 8 one alone (tests and benchmarks
// compare them too when the wide AVX-512 kernels are in use).
var kernelAVX2Only, kernel8x8Only gemmKernel

func init() {
	if hasAVX2FMA() {
		kernelAVX2Only = gemmKernel{k8: kernelAVX2}
		kernelAsm = kernelAVX2Only
	}
	if hasAVX512() {
		kernel8x8Only = gemmKernel{k8: kernelAVX512}
		kernelAsm = gemmKernel{k8: kernelAVX512, k16: kernelAVX512x16, k24: kernelAVX512x24, t8: transpose8Asm, jit: true,
			k8T: kernelAVX512T8, k16T: kernelAVX512T16, k24T: kernelAVX512T24}
	}
	if kernelAsm.k8 != nil {
		kernel = kernelAsm
	}
}

// transpose8Asm is interleave8's AVX-512 part: blocks of 8 entries.
func transpose8Asm(panel []float64, ld int, src []float64, off, stride, kb int) int {
	blocks := kb / 8
	if blocks == 0 {
		return 0
	}
	if off < 0 || stride < 0 || ld < 8 || len(src) < off+7*stride+8*blocks || len(panel) < (8*blocks-1)*ld+8 {
		panic("kern: interleave8 operands out of range")
	}
	transpose8AVX512(unsafe.SliceData(panel), ld, &src[off], stride, blocks)
	return 8 * blocks
}

//go:noescape
func kernel8x8T(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, alpha, beta float64)

//go:noescape
func kernel8x16T(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, alpha, beta float64)

//go:noescape
func kernel8x24T(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, alpha, beta float64)

// checkKernelT panics unless the operands of a transposed 8 x n tile
// are in range (see gemmColsT) and beta is 0 or 1.
func checkKernelT(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc, n int, beta float64) {
	if k < 0 || lda < 0 || ldb < 0 || ldc < mr || len(c) < (n-1)*ldc+mr || beta != 0 && beta != 1 ||
		k > 0 && (len(a) < (mr-1)*lda+k || len(b) < (k-1)*ldb+n) {
		panic("kern: gemm transposed micro-kernel operands out of range")
	}
}

func kernelAVX512T8(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, alpha, beta float64) {
	checkKernelT(k, a, lda, b, ldb, c, ldc, 8, beta)
	kernel8x8T(k, unsafe.SliceData(a), lda, unsafe.SliceData(b), ldb, unsafe.SliceData(c), ldc, alpha, beta)
}

func kernelAVX512T16(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, alpha, beta float64) {
	checkKernelT(k, a, lda, b, ldb, c, ldc, 16, beta)
	kernel8x16T(k, unsafe.SliceData(a), lda, unsafe.SliceData(b), ldb, unsafe.SliceData(c), ldc, alpha, beta)
}

func kernelAVX512T24(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, alpha, beta float64) {
	checkKernelT(k, a, lda, b, ldb, c, ldc, 24, beta)
	kernel8x24T(k, unsafe.SliceData(a), lda, unsafe.SliceData(b), ldb, unsafe.SliceData(c), ldc, alpha, beta)
}
