#include "textflag.h"

// sinAVX512 and sinAVX512FMA (sin.go): math.Sin's operations on eight
// lanes per ZMM register. (dst, src *float64, n int) with n > 0, one
// loop body over vectors of eight values, Z0 in and Z14 out, as the
// activation functions of act_amd64.s: n >= 8 the n/8 full vectors and,
// if n%8 != 0, the last eight values once more as a full vector loaded
// before anything is stored (dst == src works, the values stored twice
// are the same bits); n < 8 one vector under K1 = 2^n - 1. Only the
// lanes with |x| < 2^29 (K2, no NaN) are stored; fix reports whether
// any other lane was seen (K5 collects them).
//
// Registers: Z16-Z21 the sine coefficients S0..S5, Z22-Z27 the cosine
// ones C0..C5, Z28 the |x| mask, Z29 2^52, Z30 1.0, Z31 the last
// vector; CX the vectors left, R8 = 1 if the last vector is to follow.

#define S_ABS ·sinConst+0(SB)
#define S_4PI ·sinConst+8(SB)
#define S_2P52 ·sinConst+16(SB)
#define S_ONEI ·sinConst+24(SB)
#define S_EVEN ·sinConst+32(SB)
#define S_TWOI ·sinConst+40(SB)
#define S_SIGN ·sinConst+48(SB)
#define S_PI4A ·sinConst+56(SB)
#define S_PI4B ·sinConst+64(SB)
#define S_PI4C ·sinConst+72(SB)
#define S_HALF ·sinConst+80(SB)
#define S_ONE ·sinConst+88(SB)
#define S_BIG ·sinConst+96(SB)
#define S_S(i) ·sinConst+(104+8*i)(SB)
#define S_C(i) ·sinConst+(152+8*i)(SB)

#define SIN_PROLOGUE \
	MOVQ         dst+0(FP), DI; \
	MOVQ         src+8(FP), SI; \
	MOVQ         n+16(FP), CX; \
	VBROADCASTSD S_S(0), Z16; \
	VBROADCASTSD S_S(1), Z17; \
	VBROADCASTSD S_S(2), Z18; \
	VBROADCASTSD S_S(3), Z19; \
	VBROADCASTSD S_S(4), Z20; \
	VBROADCASTSD S_S(5), Z21; \
	VBROADCASTSD S_C(0), Z22; \
	VBROADCASTSD S_C(1), Z23; \
	VBROADCASTSD S_C(2), Z24; \
	VBROADCASTSD S_C(3), Z25; \
	VBROADCASTSD S_C(4), Z26; \
	VBROADCASTSD S_C(5), Z27; \
	VBROADCASTSD S_ABS, Z28; \
	VBROADCASTSD S_2P52, Z29; \
	VBROADCASTSD S_ONE, Z30; \
	KXORW        K5, K5, K5; \
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
	VMOVUPD      -64(SI)(CX*8), Z31; \
	MOVQ         $1, R8; \
whole: \
	SHRQ         $3, CX; \
ready: \
	KMOVW        BX, K1

// From x in Z0 (lanes K1): a = |x| in Z1, K2 = the lanes with a < 2^29
// (added to K5 if not all of K1), y = j made even in Z2 and 2^52 + y in
// Z3, K3 = the lanes of the cosine polynomial (y mod 8 in {2, 6}), the
// result's sign bit (x's xor bit 2 of y) in Z15, z in Z5, zz in Z6, P
// (Horner with each lane's coefficients, blended by K3) in Z7, a in Z8 (1 - 0.5 zz or
// z) and b zz in Z9 (zz zz or z zz). Clobbers Z4, K4.
#define SIN_BODY \
	VPANDQ           Z28, Z0, Z1; \
	VCMPPD.BCST      $0x11, S_BIG, Z1, K1, K2; \
	KANDNW           K1, K2, K4; \
	KORW             K4, K5, K5; \
	VMULPD.BCST      S_4PI, Z1, Z2; \
	VRNDSCALEPD      $3, Z2, Z2; \
	VADDPD           Z29, Z2, Z3; \
	VPADDQ.BCST      S_ONEI, Z3, Z3; \
	VPANDQ.BCST      S_EVEN, Z3, Z3; \
	VSUBPD           Z29, Z3, Z2; \
	VPTESTMQ.BCST    S_TWOI, Z3, K3; \
	VPSLLQ           $61, Z3, Z15; \
	VPXORQ           Z0, Z15, Z15; \
	VPANDQ.BCST      S_SIGN, Z15, Z15; \
	VMULPD.BCST      S_PI4A, Z2, Z4; \
	VSUBPD           Z4, Z1, Z5; \
	VMULPD.BCST      S_PI4B, Z2, Z4; \
	VSUBPD           Z4, Z5, Z5; \
	VMULPD.BCST      S_PI4C, Z2, Z4; \
	VSUBPD           Z4, Z5, Z5; \
	VMULPD           Z5, Z5, Z6; \
	VBLENDMPD        Z22, Z16, K3, Z7; \
	VMULPD           Z6, Z7, Z7; \
	VBLENDMPD        Z23, Z17, K3, Z4; \
	VADDPD           Z4, Z7, Z7; \
	VMULPD           Z6, Z7, Z7; \
	VBLENDMPD        Z24, Z18, K3, Z4; \
	VADDPD           Z4, Z7, Z7; \
	VMULPD           Z6, Z7, Z7; \
	VBLENDMPD        Z25, Z19, K3, Z4; \
	VADDPD           Z4, Z7, Z7; \
	VMULPD           Z6, Z7, Z7; \
	VBLENDMPD        Z26, Z20, K3, Z4; \
	VADDPD           Z4, Z7, Z7; \
	VMULPD           Z6, Z7, Z7; \
	VBLENDMPD        Z27, Z21, K3, Z4; \
	VADDPD           Z4, Z7, Z7; \
	VMULPD.BCST      S_HALF, Z6, Z4; \
	VSUBPD           Z4, Z30, Z4; \
	VBLENDMPD        Z4, Z5, K3, Z8; \
	VBLENDMPD        Z6, Z5, K3, Z9; \
	VMULPD           Z6, Z9, Z9

// Stores Z14 under K2, advances, loops while vectors are left, then runs
// body once more on Z31 if R8 says so, then returns fix.
#define SIN_STORE_LOOP(top, body) \
	VMOVUPD    Z14, K2, (DI); \
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
	VMOVAPD    Z31, Z0; \
	MOVQ       $1, CX; \
	JMP        body; \
done: \
	KMOVW      K5, AX; \
	TESTQ      AX, AX; \
	SETNE      ret+24(FP); \
	VZEROUPPER; \
	RET

// func sinAVX512(dst, src *float64, n int) (fix bool)
//
// The result a + (b zz) P rounded twice (a product, a sum).
TEXT ·sinAVX512(SB), NOSPLIT, $0-25
	SIN_PROLOGUE

sinLoop:
	VMOVUPD.Z (SI), K1, Z0

sinBody:
	SIN_BODY
	VMULPD Z7, Z9, Z9
	VADDPD Z9, Z8, Z14
	VPXORQ Z15, Z14, Z14
	SIN_STORE_LOOP(sinLoop, sinBody)

// func sinAVX512FMA(dst, src *float64, n int) (fix bool)
//
// The result a + (b zz) P rounded once (a fused multiply-add).
TEXT ·sinAVX512FMA(SB), NOSPLIT, $0-25
	SIN_PROLOGUE

sinFMALoop:
	VMOVUPD.Z (SI), K1, Z0

sinFMABody:
	SIN_BODY
	VFMADD231PD Z7, Z9, Z8
	VPXORQ      Z15, Z8, Z14
	SIN_STORE_LOOP(sinFMALoop, sinFMABody)
