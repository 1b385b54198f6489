#include "textflag.h"

// AVX-512 forms of tanhGo, SigmoidScalar and ExpScalar (act.go): the
// same IEEE operations in the same order on eight lanes per ZMM
// register, so that the results are the same bits. Each function takes
// (dst, src *float64, n int) with n > 0 and runs one loop body over
// vectors of eight values, Z0 in and Z14 out:
//
//   - n >= 8: the n/8 full vectors, loads and stores under an all-ones
//     K1, then, if n%8 != 0, the last eight values src[n-8:n] once more
//     as one full vector, loaded before anything is stored (so that
//     dst == src works) and stored over dst[n-8:n]: the values it
//     stores twice are the same bits. No access reaches past the slices
//     (a masked store whose masked-off bytes cover another buffer makes
//     later loads of that buffer wait).
//   - n < 8: one vector under K1 = 2^n - 1, zero-masked load, masked
//     store.
//
// Z31 holds 1.0, Z30 the mask clearing the sign bit, Z29 the last
// vector; the other constants are broadcast from actConst and
// tanhConst, whose layouts are fixed by act.go.

#define C_INVLN2 ·actConst+8(SB)
#define C_LN2HI ·actConst+16(SB)
#define C_LN2LO ·actConst+24(SB)
#define C_SBIG ·actConst+32(SB)
#define C_EMAX ·actConst+40(SB)
#define C_EMIN ·actConst+48(SB)
#define C_ABS ·actConst+56(SB)
#define C_SIGN ·actConst+64(SB)
#define C_ZERO ·actConst+72(SB)
#define C_P(i) ·actConst+(80+8*i)(SB)
#define C_ONE ·actConst+0(SB)

#define T_SMALL ·tanhConst+0(SB)
#define T_BIG ·tanhConst+8(SB)
#define T_SPLIT ·tanhConst+16(SB)
#define T_IDX ·tanhConst+24(SB)
#define T_P(i) ·tanhConst+(32+8*i)(SB)

// Arguments, constant registers, K1, CX = the vectors of the loop, R8 =
// 1 if the overlapping last vector (in Z29) is to follow.
#define PROLOGUE \
	MOVQ         dst+0(FP), DI; \
	MOVQ         src+8(FP), SI; \
	MOVQ         n+16(FP), CX; \
	VBROADCASTSD ·actConst+0(SB), Z31; \
	VBROADCASTSD C_ABS, Z30; \
	XORQ         R8, R8; \
	MOVQ         $0xff, BX; \
	CMPQ         CX, $8; \
	JGE          long; \
	MOVQ         $1, BX; \
	SHLQ         CX, BX; \
	DECQ         BX; \
	MOVQ         $1, CX; \
	JMP          ready; \
long: \
	TESTQ        $7, CX; \
	JEQ          whole; \
	VMOVUPD      -64(SI)(CX*8), Z29; \
	MOVQ         $1, R8; \
whole: \
	SHRQ         $3, CX; \
ready: \
	KMOVW        BX, K1

// Stores Z14, advances, loops while vectors are left, then runs body
// once more on Z29 if R8 says so, then returns.
#define STORE_LOOP(top, body) \
	VMOVUPD    Z14, K1, (DI); \
	ADDQ       $64, SI; \
	ADDQ       $64, DI; \
	DECQ       CX; \
	JGT        top; \
	TESTQ      R8, R8; \
	JEQ        done; \
	XORQ       R8, R8; \
	MOVQ       n+16(FP), AX; \
	MOVQ       dst+0(FP), DI; \
	LEAQ       -64(DI)(AX*8), DI; \
	VMOVAPD    Z29, Z0; \
	MOVQ       $1, CX; \
	JMP        body; \
done: \
	VZEROUPPER; \
	RET

// NaN lanes of Z0 give Z0 + Z0 in Z14.
#define NAN_FIX \
	VCMPPD $3, Z0, Z0, K3; \
	VADDPD Z0, Z0, K3, Z14

// expdd: from y in Z2, k in Z3, eh in Z4, el in Z5 (e^y = 2^k (eh + el));
// clobbers Z6-Z13, Z18-Z22.
#define EXPDD \
	VMULPD.BCST       C_INVLN2, Z2, Z3; \
	VRNDSCALEPD       $0, Z3, Z3; \
	VMOVAPD           Z2, Z8; \
	VFNMADD231PD.BCST C_LN2HI, Z3, Z8; \
	VMULPD.BCST       C_LN2LO, Z3, Z7; \
	VSUBPD            Z7, Z8, Z9; \
	VSUBPD            Z9, Z8, Z10; \
	VSUBPD            Z7, Z10, Z10; \
	VMULPD            Z9, Z9, Z11; \
	VMOVAPD           Z11, Z13; \
	VFMSUB231PD       Z9, Z9, Z13; \
	VMULPD            Z9, Z11, Z6; \
	VMULPD            Z11, Z11, Z12; \
	VBROADCASTSD      C_P(2), Z18; \
	VFMADD213PD.BCST  C_P(1), Z9, Z18; \
	VBROADCASTSD      C_P(4), Z19; \
	VFMADD213PD.BCST  C_P(3), Z9, Z19; \
	VBROADCASTSD      C_P(6), Z20; \
	VFMADD213PD.BCST  C_P(5), Z9, Z20; \
	VBROADCASTSD      C_P(8), Z21; \
	VFMADD213PD.BCST  C_P(7), Z9, Z21; \
	VBROADCASTSD      C_P(10), Z22; \
	VFMADD213PD.BCST  C_P(9), Z9, Z22; \
	VFMADD231PD       Z19, Z11, Z18; \
	VFMADD231PD       Z21, Z11, Z20; \
	VFMADD231PD       Z22, Z12, Z20; \
	VFMADD231PD       Z20, Z12, Z18; \
	VFMADD213PD       Z10, Z9, Z10; \
	VFMADD231PD.BCST  C_P(0), Z13, Z10; \
	VFMADD231PD       Z18, Z6, Z10; \
	VMULPD.BCST       C_P(0), Z11, Z11; \
	VADDPD            Z11, Z9, Z13; \
	VSUBPD            Z9, Z13, Z6; \
	VSUBPD            Z6, Z11, Z6; \
	VADDPD            Z10, Z13, Z11; \
	VSUBPD            Z13, Z11, Z12; \
	VSUBPD            Z12, Z10, Z12; \
	VADDPD            Z12, Z6, Z6; \
	VADDPD            Z11, Z31, Z4; \
	VSUBPD            Z4, Z31, Z5; \
	VADDPD            Z11, Z5, Z5; \
	VADDPD            Z6, Z5, Z5

// Scales eh, el by 2^k into Z6, Z7; D = 1 + T into Z8 (high), Z9 (low).
#define DENOM \
	VSCALEFPD Z3, Z4, Z6; \
	VSCALEFPD Z3, Z5, Z7; \
	VADDPD    Z6, Z31, Z8; \
	VSUBPD    Z8, Z31, Z9; \
	VADDPD    Z6, Z9, Z9; \
	VADDPD    Z7, Z9, Z9

// quotient: (Z10 + Z11)/(Z8 + Z9) into Z14; clobbers Z11-Z13.
#define QUOTIENT \
	VDIVPD       Z8, Z31, Z12; \
	VMULPD       Z12, Z10, Z13; \
	VMOVAPD      Z10, Z14; \
	VFNMADD231PD Z8, Z13, Z14; \
	VFNMADD231PD Z9, Z13, Z11; \
	VADDPD       Z11, Z14, Z14; \
	VFMADD213PD  Z13, Z12, Z14

// The small-|x| polynomial of tanh: from a = |x| in Z1, a + (a s) P(s)
// in Z17 (s = a^2, P by Estrin's scheme); clobbers Z16, Z18-Z22.
#define TANH_SMALL \
	VMULPD      Z1, Z1, Z16; \
	VMULPD      Z16, Z16, Z18; \
	VMULPD      Z18, Z18, Z19; \
	VMULPD      Z16, Z1, Z20; \
	VMULPD.BCST T_P(1), Z16, Z21; \
	VADDPD.BCST T_P(0), Z21, Z21; \
	VMULPD.BCST T_P(3), Z16, Z22; \
	VADDPD.BCST T_P(2), Z22, Z22; \
	VMULPD.BCST T_P(5), Z16, Z17; \
	VADDPD.BCST T_P(4), Z17, Z17; \
	VMULPD      Z22, Z18, Z22; \
	VADDPD      Z22, Z21, Z21; \
	VMULPD      Z17, Z19, Z17; \
	VADDPD      Z17, Z21, Z21; \
	VMULPD      Z21, Z20, Z21; \
	VADDPD      Z21, Z1, Z17

// Four coefficients of the eight lanes' grid points, from the entries
// at base + off + scale * (lane's offset at 8*lane(R13)), transposed:
// four half rows, lanes (0, 2), (1, 3), (4, 6), (5, 7) (Z16-Z19), their
// even and odd elements interleaved (Z20-Z23), and the 128-bit pairs
// gathered into c0, c1, c2, c3 (lane i in element i). Clobbers R11,
// R12, Z16-Z23.
#define TANH_COEF4(base, off, scale, c0, c1, c2, c3) \
	MOVQ          0(R13), R11; \
	MOVQ          16(R13), R12; \
	VMOVUPD       off(base)(R11*scale), Y16; \
	VINSERTF64X4  $1, off(base)(R12*scale), Z16, Z16; \
	MOVQ          8(R13), R11; \
	MOVQ          24(R13), R12; \
	VMOVUPD       off(base)(R11*scale), Y17; \
	VINSERTF64X4  $1, off(base)(R12*scale), Z17, Z17; \
	MOVQ          32(R13), R11; \
	MOVQ          48(R13), R12; \
	VMOVUPD       off(base)(R11*scale), Y18; \
	VINSERTF64X4  $1, off(base)(R12*scale), Z18, Z18; \
	MOVQ          40(R13), R11; \
	MOVQ          56(R13), R12; \
	VMOVUPD       off(base)(R11*scale), Y19; \
	VINSERTF64X4  $1, off(base)(R12*scale), Z19, Z19; \
	VUNPCKLPD     Z17, Z16, Z20; \
	VUNPCKHPD     Z17, Z16, Z21; \
	VUNPCKLPD     Z19, Z18, Z22; \
	VUNPCKHPD     Z19, Z18, Z23; \
	VSHUFF64X2    $0x88, Z22, Z20, c0; \
	VSHUFF64X2    $0x88, Z23, Z21, c1; \
	VSHUFF64X2    $0xdd, Z22, Z20, c2; \
	VSHUFF64X2    $0xdd, Z23, Z21, c3

// The entries' byte offsets in tanhTabB (index * 32) of the vector in
// Z0, stored at dst: c by Veltkamp's splitting of |x|, its bits 48..54.
// Clobbers Z1, Z3, Z4.
#define TANH_OFFSETS(dst) \
	VPANDQ      Z30, Z0, Z1; \
	VMULPD.BCST T_SPLIT, Z1, Z3; \
	VSUBPD      Z3, Z1, Z4; \
	VADDPD      Z4, Z3, Z3; \
	VPSRLQ      $43, Z3, Z4; \
	VPANDQ.BCST T_IDX, Z4, Z4; \
	VMOVDQU64   Z4, dst

// func tanhAVX512(dst, src *float64, n int)
//
// tanhGo on eight lanes, in chunks of up to eight vectors: a first pass
// stores the vectors' entry offsets at 0(SP) + 64 i, and a second
// computes the values, so that the loads of the coefficients do not wait
// for a chain of operations on the same vector (the last overlapping
// vector, taken before anything was stored, is a chunk of its own, from
// a copy at 512(SP)). Per vector of the second pass: a = |x| in Z1; K2
// = the lanes with a < tanhSmall, K3 those with tanhSmall <= a <
// tanhBig (NaN in neither), K4 the others (a >= tanhBig or NaN). If K2
// is every lane, only the polynomial runs. Else Z14 = 1.0, and if K3 is
// not empty the table path computes every lane into Z14 (lanes outside
// its range with some entry) and K4's lanes get 1.0 back; then the
// polynomial if K2 is not empty, blended in by K2; then x's sign, and
// NaN lanes x + x. The table path: c by Veltkamp's splitting, r = a -
// c, Z5-Z8 = c0hi, c0lo, c1hi, c1lo, Z9-Z12 = c2..c5 (the second half
// of tanhTabA's rows), Z13-Z15, Z24 = c6..c9 (tanhTabB); Z25-Z28 =
// r^2, r^4, r^6, r^8. Registers: CX the vectors left, DX those left in
// the chunk, R13 their offsets, R9 and R10 the tables.
TEXT ·tanhAVX512(SB), NOSPLIT, $576-24
	PROLOGUE
	LEAQ ·tanhTabA(SB), R9
	LEAQ ·tanhTabB(SB), R10

tanhChunk:
	MOVQ CX, DX
	CMPQ DX, $8
	JLE  tanhChunkN
	MOVQ $8, DX

tanhChunkN:
	SUBQ DX, CX
	XORQ AX, AX
	MOVQ DX, R11

tanhPass1:
	VMOVUPD.Z (SI)(AX*1), K1, Z0
	TANH_OFFSETS((SP)(AX*1))
	ADDQ      $64, AX
	DECQ      R11
	JNZ       tanhPass1
	MOVQ      SP, R13

tanhPass2:
	VMOVUPD.Z   (SI), K1, Z0
	VPANDQ      Z30, Z0, Z1
	VCMPPD.BCST $0x11, T_SMALL, Z1, K1, K2
	VCMPPD.BCST $0x11, T_BIG, Z1, K1, K3
	KANDNW      K3, K2, K3
	KORW        K2, K3, K4
	KANDNW      K1, K4, K4
	KMOVW       K2, AX
	CMPQ        AX, BX
	JEQ         tanhSmallOnly

	VMOVAPD  Z31, Z14
	KORTESTW K3, K3
	JEQ      tanhNoTable

	TANH_COEF4(R9, 0, 2, Z5, Z6, Z7, Z8)
	TANH_COEF4(R9, 32, 2, Z9, Z10, Z11, Z12)
	TANH_COEF4(R10, 0, 1, Z13, Z14, Z15, Z24)
	VMULPD.BCST T_SPLIT, Z1, Z2
	VSUBPD      Z2, Z1, Z3
	VADDPD      Z3, Z2, Z3
	VSUBPD      Z3, Z1, Z2
	VMULPD      Z2, Z2, Z25
	VMULPD      Z25, Z25, Z26
	VMULPD      Z25, Z26, Z27
	VMULPD      Z26, Z26, Z28
	VMULPD      Z2, Z8, Z8
	VADDPD      Z8, Z6, Z6
	VMULPD      Z2, Z10, Z10
	VADDPD      Z10, Z9, Z9
	VMULPD      Z2, Z12, Z12
	VADDPD      Z12, Z11, Z11
	VMULPD      Z2, Z14, Z14
	VADDPD      Z14, Z13, Z13
	VMULPD      Z2, Z24, Z24
	VADDPD      Z24, Z15, Z15
	VMULPD      Z25, Z9, Z9
	VADDPD      Z9, Z6, Z6
	VMULPD      Z26, Z11, Z11
	VADDPD      Z11, Z6, Z6
	VMULPD      Z27, Z13, Z13
	VMULPD      Z28, Z15, Z15
	VADDPD      Z15, Z13, Z13
	VADDPD      Z13, Z6, Z6
	VMULPD      Z2, Z7, Z7
	VADDPD      Z6, Z7, Z7
	VADDPD      Z7, Z5, Z14
	VMOVAPD     Z31, K4, Z14

tanhNoTable:
	KORTESTW K2, K2
	JEQ      tanhSign
	TANH_SMALL
	VMOVAPD  Z17, K2, Z14

tanhSign:
	VPANDNQ Z0, Z30, Z15
	VPORQ   Z15, Z14, Z14
	NAN_FIX
	JMP     tanhStore

tanhSmallOnly:
	TANH_SMALL
	VPANDNQ Z0, Z30, Z15
	VPORQ   Z15, Z17, Z14

tanhStore:
	VMOVUPD Z14, K1, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	ADDQ    $64, R13
	DECQ    DX
	JNZ     tanhPass2
	TESTQ   CX, CX
	JNZ     tanhChunk
	TESTQ   R8, R8
	JEQ     tanhDone
	XORQ    R8, R8
	VMOVUPD Z29, 512(SP)
	LEAQ    512(SP), SI
	MOVQ    n+16(FP), AX
	MOVQ    dst+0(FP), DI
	LEAQ    -64(DI)(AX*8), DI
	MOVQ    $1, CX
	JMP     tanhChunk

tanhDone:
	VZEROUPPER
	RET

// func sigmoidAVX512(dst, src *float64, n int)
//
// The numerator is 1 (scale 0) in the lanes with x >= 0 and eh + el
// (scale k) in those with x < 0 (K3), selected by zero- and
// merge-masking.
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-24
	PROLOGUE

sigmoidLoop:
	VMOVUPD.Z (SI), K1, Z0

sigmoidBody:
	VPANDQ      Z30, Z0, Z1
	VMINPD.BCST C_SBIG, Z1, Z2
	VPXORQ.BCST C_SIGN, Z2, Z2
	EXPDD
	DENOM
	VCMPPD.BCST $0x11, C_ZERO, Z0, K3
	VMOVAPD     Z31, Z10
	VMOVAPD     Z4, K3, Z10
	VMOVAPD.Z   Z5, K3, Z11
	VMOVAPD.Z   Z3, K3, Z15
	QUOTIENT
	VSCALEFPD   Z15, Z14, Z14
	NAN_FIX
	STORE_LOOP(sigmoidLoop, sigmoidBody)

// func expAVX512(dst, src *float64, n int)
TEXT ·expAVX512(SB), NOSPLIT, $0-24
	PROLOGUE

expLoop:
	VMOVUPD.Z (SI), K1, Z0

expBody:
	VMINPD.BCST C_EMAX, Z0, Z2
	VMAXPD.BCST C_EMIN, Z2, Z2
	EXPDD
	VADDPD      Z5, Z4, Z14
	VSCALEFPD   Z3, Z14, Z14
	NAN_FIX
	STORE_LOOP(expLoop, expBody)

// func sigmoidFMA(x float64) float64
//
// SigmoidScalar for |x| <= sigmoidFMAMax (no NaN) in XMM registers with
// VEX-encoded scalar instructions (AVX and FMA, no AVX-512): the
// operations of sigmoidGo in its order, the fused ones as
// VFMADD/VFNMADD/VFMSUB ...SD, RoundToEven as VROUNDSD $0, the scaling
// by 2^k (k in [-1010, 0], where every scalef is one product with 2^k
// or 1) as a product with 2^k built from k's bits, the numerator and
// scale of x < 0 selected by a mask, and Dh = FMA(eh, 2^k, 1) instead of
// 1 + eh 2^k (the product is exact, so the bits are the same). X15 is
// left alone.
TEXT ·sigmoidFMA(SB), NOSPLIT, $0-16
	VMOVSD x+0(FP), X0
	VANDPD C_ABS, X0, X1
	VXORPD C_SIGN, X1, X2

	// expdd: y in X2; k in X3, eh in X4, el in X5.
	VMULSD       C_INVLN2, X2, X3
	VROUNDSD     $0, X3, X3, X3
	VMOVAPD      X2, X8
	VFNMADD231SD C_LN2HI, X3, X8
	VMULSD       C_LN2LO, X3, X7
	VSUBSD       X7, X8, X9
	VSUBSD       X9, X8, X10
	VSUBSD       X7, X10, X10
	VMULSD       X9, X9, X11
	VMOVAPD      X11, X13
	VFMSUB231SD  X9, X9, X13
	VMULSD       X9, X11, X6
	VMULSD       X11, X11, X12
	VMOVSD       C_P(2), X2
	VFMADD213SD  C_P(1), X9, X2
	VMOVSD       C_P(4), X4
	VFMADD213SD  C_P(3), X9, X4
	VMOVSD       C_P(6), X5
	VFMADD213SD  C_P(5), X9, X5
	VMOVSD       C_P(8), X7
	VFMADD213SD  C_P(7), X9, X7
	VMOVSD       C_P(10), X8
	VFMADD213SD  C_P(9), X9, X8
	VFMADD231SD  X4, X11, X2
	VFMADD231SD  X7, X11, X5
	VFMADD231SD  X8, X12, X5
	VFMADD231SD  X5, X12, X2
	VFMADD213SD  X10, X9, X10
	VFMADD231SD  C_P(0), X13, X10
	VFMADD231SD  X2, X6, X10
	VMULSD       C_P(0), X11, X11
	VADDSD       X11, X9, X13
	VSUBSD       X9, X13, X6
	VSUBSD       X6, X11, X6
	VADDSD       X10, X13, X11
	VSUBSD       X13, X11, X12
	VSUBSD       X12, X10, X12
	VADDSD       X12, X6, X6
	VADDSD       C_ONE, X11, X4
	VMOVSD       C_ONE, X5
	VSUBSD       X4, X5, X5
	VADDSD       X11, X5, X5
	VADDSD       X6, X5, X5

	// 2^k in X14; T = 2^k (eh + el) in X6, X7; D = 1 + T in X8, X9.
	VCVTTSD2SIQ X3, AX
	ADDQ        $1023, AX
	SHLQ        $52, AX
	VMOVQ       AX, X14
	VMOVSD      C_ONE, X8
	VFMADD231SD X14, X4, X8
	VMULSD      X14, X4, X6
	VMULSD      X14, X5, X7
	VMOVSD      C_ONE, X9
	VSUBSD      X8, X9, X9
	VADDSD      X6, X9, X9
	VADDSD      X7, X9, X9

	// Numerator and scale: eh, el, 2^k where x < 0 (mask X2), else 1,
	// 0, 1; into X10, X11, X1.
	VCMPSD  $1, C_ZERO, X0, X2
	VANDPD  X2, X4, X10
	VANDNPD C_ONE, X2, X11
	VORPD   X11, X10, X10
	VANDPD  X2, X14, X1
	VORPD   X11, X1, X1
	VANDPD  X2, X5, X11

	// quotient, then the scale.
	VMOVSD       C_ONE, X12
	VDIVSD       X8, X12, X12
	VMULSD       X12, X10, X13
	VMOVAPD      X10, X14
	VFNMADD231SD X8, X13, X14
	VFNMADD231SD X9, X13, X11
	VADDSD       X11, X14, X14
	VFMADD213SD  X13, X12, X14
	VMULSD       X1, X14, X14
	VMOVSD       X14, ret+8(FP)
	RET
