#include "textflag.h"

// AVX-512 forms of TanhScalar, SigmoidScalar and ExpScalar (act.go):
// the same IEEE operations in the same order on eight lanes per ZMM
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
// vector; the other constants are broadcast from actConst, whose layout
// is fixed by act.go.

#define C_TAU ·actConst+8(SB)
#define C_TBIG ·actConst+16(SB)
#define C_M2 ·actConst+24(SB)
#define C_INVLN2 ·actConst+32(SB)
#define C_LN2HI ·actConst+40(SB)
#define C_LN2LO ·actConst+48(SB)
#define C_SBIG ·actConst+56(SB)
#define C_EMAX ·actConst+64(SB)
#define C_EMIN ·actConst+72(SB)
#define C_ABS ·actConst+80(SB)
#define C_SIGN ·actConst+88(SB)
#define C_ZERO ·actConst+96(SB)
#define C_R0LO ·actConst+104(SB)
#define C_P(i) ·actConst+(112+8*i)(SB)
#define C_R(i) ·actConst+(200+8*i)(SB)

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

// The small-|x| polynomial of tanh: from a = |x| in Z1, a + (a s) R(s)
// in Z17 (s = a^2, R by Horner, its constant term added in two parts);
// clobbers Z16.
#define TANH_SMALL \
	VMULPD           Z1, Z1, Z16; \
	VBROADCASTSD     C_R(7), Z17; \
	VFMADD213PD.BCST C_R(6), Z16, Z17; \
	VFMADD213PD.BCST C_R(5), Z16, Z17; \
	VFMADD213PD.BCST C_R(4), Z16, Z17; \
	VFMADD213PD.BCST C_R(3), Z16, Z17; \
	VFMADD213PD.BCST C_R(2), Z16, Z17; \
	VFMADD213PD.BCST C_R(1), Z16, Z17; \
	VFMADD213PD.BCST C_R0LO, Z16, Z17; \
	VADDPD.BCST      C_R(0), Z17, Z17; \
	VMULPD           Z1, Z16, Z16; \
	VFMADD213PD      Z1, Z16, Z17

// func tanhAVX512(dst, src *float64, n int)
//
// Per vector: K2 = the lanes with |x| < tanhSmall. If they are all the
// lanes, only the polynomial runs; else the exponential path runs, and
// the polynomial too if K2 is not empty, blended in by K2.
TEXT ·tanhAVX512(SB), NOSPLIT, $0-24
	PROLOGUE

tanhLoop:
	VMOVUPD.Z (SI), K1, Z0

tanhBody:
	VPANDQ      Z30, Z0, Z1
	VCMPPD.BCST $0x11, C_TAU, Z1, K1, K2
	KMOVW       K2, AX
	CMPQ        AX, BX
	JEQ         tanhSmallOnly

	VMINPD.BCST  C_TBIG, Z1, Z2
	VMULPD.BCST  C_M2, Z2, Z2
	EXPDD
	DENOM

	// 2/D - 1: inv = 1/Dh, rho = 1 - inv Dh - inv Dl, then
	// FMA(rho, 2 inv, 2 inv - 1).
	VDIVPD       Z8, Z31, Z12
	VMOVAPD      Z31, Z13
	VFNMADD231PD Z8, Z12, Z13
	VFNMADD231PD Z9, Z12, Z13
	VADDPD       Z12, Z12, Z12
	VSUBPD       Z31, Z12, Z14
	VFMADD231PD  Z13, Z12, Z14
	TESTQ        AX, AX
	JEQ          tanhSign
	TANH_SMALL
	VMOVAPD      Z17, K2, Z14

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
	STORE_LOOP(tanhLoop, tanhBody)

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

// func tanhFMA(x float64) float64
//
// TanhScalar on one value in XMM registers with VEX-encoded scalar
// instructions (AVX and FMA, no AVX-512): the operations of tanhGo in
// its order, the fused ones as VFMADD/VFNMADD/VFMSUB ...SD,
// RoundToEven as VROUNDSD $0, the scaling by 2^k (k in [-63, -1] here,
// where scalef is one exact product) as a product with 2^k built from
// k's bits. Two steps are rewritten into others giving the same bits,
// each shortening the chain of dependent operations by one: k =
// RoundToEven(a (-2/ln 2)) instead of RoundToEven((-2a) (1/ln 2)) (the
// same real product, -2a and -2/ln 2 being exact scalings by 2), and
// Dh = FMA(eh, 2^k, 1) instead of 1 + eh 2^k (the product is exact).
// X15 is left alone.
#define C_ONE ·actConst+0(SB)
#define C_M2INVLN2 ·actConst+264(SB)
TEXT ·tanhFMA(SB), NOSPLIT, $0-16
	VMOVSD   x+0(FP), X0
	VANDPD   C_ABS, X0, X1
	VUCOMISD X0, X0
	JPS      tanhFMANaN
	VANDPD   C_SIGN, X0, X0
	VUCOMISD C_TAU, X1
	JCS      tanhFMASmall

	VMINSD C_TBIG, X1, X1
	VMULSD C_M2, X1, X2

	// expdd: y in X2; k in X3, eh in X4, el in X5.
	VMULSD       C_M2INVLN2, X1, X3
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

	// 2/D - 1.
	VMOVSD       C_ONE, X13
	VDIVSD       X8, X13, X12
	VFNMADD231SD X8, X12, X13
	VFNMADD231SD X9, X12, X13
	VADDSD       X12, X12, X12
	VSUBSD       C_ONE, X12, X14
	VFMADD231SD  X13, X12, X14
	VANDPD       C_ABS, X14, X14
	VORPD        X0, X14, X14
	VMOVSD       X14, ret+8(FP)
	RET

tanhFMASmall:
	VMULSD      X1, X1, X6
	VMOVSD      C_R(7), X7
	VFMADD213SD C_R(6), X6, X7
	VFMADD213SD C_R(5), X6, X7
	VFMADD213SD C_R(4), X6, X7
	VFMADD213SD C_R(3), X6, X7
	VFMADD213SD C_R(2), X6, X7
	VFMADD213SD C_R(1), X6, X7
	VFMADD213SD C_R0LO, X6, X7
	VADDSD      C_R(0), X7, X7
	VMULSD      X1, X6, X6
	VFMADD213SD X1, X6, X7
	VANDPD      C_ABS, X7, X7
	VORPD       X0, X7, X7
	VMOVSD      X7, ret+8(FP)
	RET

tanhFMANaN:
	VADDSD X0, X0, X0
	VMOVSD X0, ret+8(FP)
	RET

// func sigmoidFMA(x float64) float64
//
// SigmoidScalar for |x| <= sigmoidFMAMax (no NaN) in XMM registers,
// as tanhFMA does TanhScalar: the operations of sigmoidGo in its order
// (k in [-1010, 0], where every scalef is one product with 2^k or 1),
// the numerator and scale of x < 0 selected by a mask, and Dh =
// FMA(eh, 2^k, 1) instead of 1 + eh 2^k (the product is exact).
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
