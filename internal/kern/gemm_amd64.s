#include "textflag.h"

// func kernel4x8(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, alpha, beta float64)
//
// c (4 x 8, row stride ldc) = beta*c + alpha * sum_p a[p*lda:p*lda+4]^T b[p*ldb:p*ldb+8],
// c only written when beta is 0. The 32 sums live in Y0-Y7 (row i in
// Y(2i), Y(2i+1)).
TEXT ·kernel4x8(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	SHLQ $3, R9
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R10
	SHLQ $3, R10
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $3, R8

	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7

	CMPQ CX, $2
	JLT  tail

loop2:
	VMOVUPD      (DI), Y8
	VMOVUPD      32(DI), Y9
	VBROADCASTSD (SI), Y10
	VBROADCASTSD 8(SI), Y11
	VFMADD231PD  Y8, Y10, Y0
	VFMADD231PD  Y9, Y10, Y1
	VFMADD231PD  Y8, Y11, Y2
	VFMADD231PD  Y9, Y11, Y3
	VBROADCASTSD 16(SI), Y10
	VBROADCASTSD 24(SI), Y11
	VFMADD231PD  Y8, Y10, Y4
	VFMADD231PD  Y9, Y10, Y5
	VFMADD231PD  Y8, Y11, Y6
	VFMADD231PD  Y9, Y11, Y7
	ADDQ         R9, SI
	ADDQ         R10, DI

	VMOVUPD      (DI), Y12
	VMOVUPD      32(DI), Y13
	VBROADCASTSD (SI), Y14
	VBROADCASTSD 8(SI), Y15
	VFMADD231PD  Y12, Y14, Y0
	VFMADD231PD  Y13, Y14, Y1
	VFMADD231PD  Y12, Y15, Y2
	VFMADD231PD  Y13, Y15, Y3
	VBROADCASTSD 16(SI), Y14
	VBROADCASTSD 24(SI), Y15
	VFMADD231PD  Y12, Y14, Y4
	VFMADD231PD  Y13, Y14, Y5
	VFMADD231PD  Y12, Y15, Y6
	VFMADD231PD  Y13, Y15, Y7
	ADDQ         R9, SI
	ADDQ         R10, DI

	SUBQ $2, CX
	CMPQ CX, $2
	JGE  loop2

tail:
	TESTQ CX, CX
	JE    store
	VMOVUPD      (DI), Y8
	VMOVUPD      32(DI), Y9
	VBROADCASTSD (SI), Y10
	VBROADCASTSD 8(SI), Y11
	VFMADD231PD  Y8, Y10, Y0
	VFMADD231PD  Y9, Y10, Y1
	VFMADD231PD  Y8, Y11, Y2
	VFMADD231PD  Y9, Y11, Y3
	VBROADCASTSD 16(SI), Y10
	VBROADCASTSD 24(SI), Y11
	VFMADD231PD  Y8, Y10, Y4
	VFMADD231PD  Y9, Y10, Y5
	VFMADD231PD  Y8, Y11, Y6
	VFMADD231PD  Y9, Y11, Y7

store:
	VBROADCASTSD alpha+56(FP), Y12
	VMULPD       Y12, Y0, Y0
	VMULPD       Y12, Y1, Y1
	VMULPD       Y12, Y2, Y2
	VMULPD       Y12, Y3, Y3
	VMULPD       Y12, Y4, Y4
	VMULPD       Y12, Y5, Y5
	VMULPD       Y12, Y6, Y6
	VMULPD       Y12, Y7, Y7

	VMOVSD    beta+64(FP), X13
	VXORPD    X14, X14, X14
	VUCOMISD  X14, X13
	JNE       general
	JPS       general

	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	ADDQ    R8, DX
	VMOVUPD Y2, (DX)
	VMOVUPD Y3, 32(DX)
	ADDQ    R8, DX
	VMOVUPD Y4, (DX)
	VMOVUPD Y5, 32(DX)
	ADDQ    R8, DX
	VMOVUPD Y6, (DX)
	VMOVUPD Y7, 32(DX)
	VZEROUPPER
	RET

general:
	VBROADCASTSD beta+64(FP), Y13
	VFMADD231PD  (DX), Y13, Y0
	VFMADD231PD  32(DX), Y13, Y1
	VMOVUPD      Y0, (DX)
	VMOVUPD      Y1, 32(DX)
	ADDQ         R8, DX
	VFMADD231PD  (DX), Y13, Y2
	VFMADD231PD  32(DX), Y13, Y3
	VMOVUPD      Y2, (DX)
	VMOVUPD      Y3, 32(DX)
	ADDQ         R8, DX
	VFMADD231PD  (DX), Y13, Y4
	VFMADD231PD  32(DX), Y13, Y5
	VMOVUPD      Y4, (DX)
	VMOVUPD      Y5, 32(DX)
	ADDQ         R8, DX
	VFMADD231PD  (DX), Y13, Y6
	VFMADD231PD  32(DX), Y13, Y7
	VMOVUPD      Y6, (DX)
	VMOVUPD      Y7, 32(DX)
	VZEROUPPER
	RET

// func kernel8x8(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, alpha, beta float64)
//
// As kernel4x8 for an 8 x 8 tile with AVX-512: the 64 sums live in Z0-Z7
// (row i in Zi), A's entries are broadcast by the multiply-adds.
TEXT ·kernel8x8(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	SHLQ $3, R9
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R10
	SHLQ $3, R10
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $3, R8

	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7

	CMPQ CX, $2
	JLT  tail512

loop512:
	VMOVUPD          (DI), Z8
	VFMADD231PD.BCST (SI), Z8, Z0
	VFMADD231PD.BCST 8(SI), Z8, Z1
	VFMADD231PD.BCST 16(SI), Z8, Z2
	VFMADD231PD.BCST 24(SI), Z8, Z3
	VFMADD231PD.BCST 32(SI), Z8, Z4
	VFMADD231PD.BCST 40(SI), Z8, Z5
	VFMADD231PD.BCST 48(SI), Z8, Z6
	VFMADD231PD.BCST 56(SI), Z8, Z7
	ADDQ             R9, SI
	ADDQ             R10, DI
	VMOVUPD          (DI), Z9
	VFMADD231PD.BCST (SI), Z9, Z0
	VFMADD231PD.BCST 8(SI), Z9, Z1
	VFMADD231PD.BCST 16(SI), Z9, Z2
	VFMADD231PD.BCST 24(SI), Z9, Z3
	VFMADD231PD.BCST 32(SI), Z9, Z4
	VFMADD231PD.BCST 40(SI), Z9, Z5
	VFMADD231PD.BCST 48(SI), Z9, Z6
	VFMADD231PD.BCST 56(SI), Z9, Z7
	ADDQ             R9, SI
	ADDQ             R10, DI
	SUBQ             $2, CX
	CMPQ             CX, $2
	JGE              loop512

tail512:
	TESTQ            CX, CX
	JE               store512
	VMOVUPD          (DI), Z8
	VFMADD231PD.BCST (SI), Z8, Z0
	VFMADD231PD.BCST 8(SI), Z8, Z1
	VFMADD231PD.BCST 16(SI), Z8, Z2
	VFMADD231PD.BCST 24(SI), Z8, Z3
	VFMADD231PD.BCST 32(SI), Z8, Z4
	VFMADD231PD.BCST 40(SI), Z8, Z5
	VFMADD231PD.BCST 48(SI), Z8, Z6
	VFMADD231PD.BCST 56(SI), Z8, Z7

store512:
	VBROADCASTSD alpha+56(FP), Z12
	VMULPD       Z12, Z0, Z0
	VMULPD       Z12, Z1, Z1
	VMULPD       Z12, Z2, Z2
	VMULPD       Z12, Z3, Z3
	VMULPD       Z12, Z4, Z4
	VMULPD       Z12, Z5, Z5
	VMULPD       Z12, Z6, Z6
	VMULPD       Z12, Z7, Z7

	VMOVSD   beta+64(FP), X13
	VXORPD   X14, X14, X14
	VUCOMISD X14, X13
	JNE      general512
	JPS      general512

	VMOVUPD Z0, (DX)
	ADDQ    R8, DX
	VMOVUPD Z1, (DX)
	ADDQ    R8, DX
	VMOVUPD Z2, (DX)
	ADDQ    R8, DX
	VMOVUPD Z3, (DX)
	ADDQ    R8, DX
	VMOVUPD Z4, (DX)
	ADDQ    R8, DX
	VMOVUPD Z5, (DX)
	ADDQ    R8, DX
	VMOVUPD Z6, (DX)
	ADDQ    R8, DX
	VMOVUPD Z7, (DX)
	VZEROUPPER
	RET

general512:
	VBROADCASTSD beta+64(FP), Z13
	VFMADD231PD  (DX), Z13, Z0
	VMOVUPD      Z0, (DX)
	ADDQ         R8, DX
	VFMADD231PD  (DX), Z13, Z1
	VMOVUPD      Z1, (DX)
	ADDQ         R8, DX
	VFMADD231PD  (DX), Z13, Z2
	VMOVUPD      Z2, (DX)
	ADDQ         R8, DX
	VFMADD231PD  (DX), Z13, Z3
	VMOVUPD      Z3, (DX)
	ADDQ         R8, DX
	VFMADD231PD  (DX), Z13, Z4
	VMOVUPD      Z4, (DX)
	ADDQ         R8, DX
	VFMADD231PD  (DX), Z13, Z5
	VMOVUPD      Z5, (DX)
	ADDQ         R8, DX
	VFMADD231PD  (DX), Z13, Z6
	VMOVUPD      Z6, (DX)
	ADDQ         R8, DX
	VFMADD231PD  (DX), Z13, Z7
	VMOVUPD      Z7, (DX)
	VZEROUPPER
	RET

// func transpose8AVX512(dst *float64, ld int, src *float64, stride int, blocks int)
//
// Packs blocks*8 entries of 8 rows, row r at src[r*stride:], into dst
// with row stride ld: dst[p*ld+r] = src[r*stride+p] (a panel of A or B,
// see interleave8). One 8 x 8 block per iteration: the 8 rows' next 8
// entries are loaded into Z0-Z7 and transposed in three rounds of
// shuffles, pairs of doubles, pairs of 128-bit lanes, then 256-bit
// halves. Only moves: the values are copied bit for bit.
TEXT ·transpose8AVX512(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ ld+8(FP), R9
	SHLQ $3, R9
	MOVQ src+16(FP), SI
	MOVQ stride+24(FP), R8
	SHLQ $3, R8
	MOVQ blocks+32(FP), CX
	LEAQ (R8)(R8*2), R10   // 3 rows of src
	LEAQ (SI)(R8*4), R11   // src row 4
	LEAQ (R9)(R9*2), R12   // 3 rows of dst
	LEAQ (DI)(R9*4), R13   // dst row 4
	MOVQ R9, R14
	SHLQ $3, R14           // 8 rows of dst
	TESTQ CX, CX
	JE    tdone

tloop:
	VMOVUPD (SI), Z0
	VMOVUPD (SI)(R8*1), Z1
	VMOVUPD (SI)(R8*2), Z2
	VMOVUPD (SI)(R10*1), Z3
	VMOVUPD (R11), Z4
	VMOVUPD (R11)(R8*1), Z5
	VMOVUPD (R11)(R8*2), Z6
	VMOVUPD (R11)(R10*1), Z7

	// pairs: Z8 = r0[0] r1[0] r0[2] r1[2] ..., Z9 = r0[1] r1[1] r0[3] r1[3] ...
	VUNPCKLPD Z1, Z0, Z8
	VUNPCKHPD Z1, Z0, Z9
	VUNPCKLPD Z3, Z2, Z10
	VUNPCKHPD Z3, Z2, Z11
	VUNPCKLPD Z5, Z4, Z12
	VUNPCKHPD Z5, Z4, Z13
	VUNPCKLPD Z7, Z6, Z14
	VUNPCKHPD Z7, Z6, Z15

	// lanes (128 bits: one pair): $0x88 takes lanes 0, 2 of each
	// operand, $0xdd lanes 1, 3. Z16 = (r0 r1)[0] (r0 r1)[4] (r2 r3)[0] (r2 r3)[4]
	VSHUFF64X2 $0x88, Z10, Z8, Z16
	VSHUFF64X2 $0xdd, Z10, Z8, Z17
	VSHUFF64X2 $0x88, Z14, Z12, Z18
	VSHUFF64X2 $0xdd, Z14, Z12, Z19
	VSHUFF64X2 $0x88, Z11, Z9, Z20
	VSHUFF64X2 $0xdd, Z11, Z9, Z21
	VSHUFF64X2 $0x88, Z15, Z13, Z22
	VSHUFF64X2 $0xdd, Z15, Z13, Z23

	// halves: entry p of the 8 rows
	VSHUFF64X2 $0x88, Z18, Z16, Z0 // p = 0
	VSHUFF64X2 $0xdd, Z18, Z16, Z4 // p = 4
	VSHUFF64X2 $0x88, Z19, Z17, Z2 // p = 2
	VSHUFF64X2 $0xdd, Z19, Z17, Z6 // p = 6
	VSHUFF64X2 $0x88, Z22, Z20, Z1 // p = 1
	VSHUFF64X2 $0xdd, Z22, Z20, Z5 // p = 5
	VSHUFF64X2 $0x88, Z23, Z21, Z3 // p = 3
	VSHUFF64X2 $0xdd, Z23, Z21, Z7 // p = 7

	VMOVUPD Z0, (DI)
	VMOVUPD Z1, (DI)(R9*1)
	VMOVUPD Z2, (DI)(R9*2)
	VMOVUPD Z3, (DI)(R12*1)
	VMOVUPD Z4, (R13)
	VMOVUPD Z5, (R13)(R9*1)
	VMOVUPD Z6, (R13)(R9*2)
	VMOVUPD Z7, (R13)(R12*1)

	ADDQ $64, SI
	ADDQ $64, R11
	ADDQ R14, DI
	ADDQ R14, R13
	DECQ CX
	JNE  tloop

tdone:
	VZEROUPPER
	RET

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET
