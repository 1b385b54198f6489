#include "textflag.h"

// Conversions between float64 and float32 slices (Narrow, Widen), eight
// numbers per instruction; AVX-512F.

// func narrowAVX512(dst *float32, src *float64, n int)
// n a multiple of 8: dst[i] = float32(src[i]), rounded to nearest even.
TEXT ·narrowAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

loop:
	CMPQ AX, CX
	JGE  done
	VMOVUPD   (SI)(AX*8), Z0
	VCVTPD2PS Z0, Y0
	VMOVUPS   Y0, (DI)(AX*4)
	ADDQ      $8, AX
	JMP       loop

done:
	VZEROUPPER
	RET

// func widenAVX512(dst *float64, src *float32, n int)
// n a multiple of 8: dst[i] = float64(src[i]).
TEXT ·widenAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

loop:
	CMPQ AX, CX
	JGE  done
	VCVTPS2PD (SI)(AX*4), Z0
	VMOVUPD   Z0, (DI)(AX*8)
	ADDQ      $8, AX
	JMP       loop

done:
	VZEROUPPER
	RET
