#include "textflag.h"

// func sumAsm(x *float64, n int) float64
TEXT ·sumAsm(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	VXORPD Z2, Z2, Z2
	VXORPD Z3, Z3, Z3

loop32:
	CMPQ CX, $32
	JL   loop8
	VADDPD (SI), Z0, Z0
	VADDPD 64(SI), Z1, Z1
	VADDPD 128(SI), Z2, Z2
	VADDPD 192(SI), Z3, Z3
	ADDQ $256, SI
	SUBQ $32, CX
	JMP  loop32

loop8:
	CMPQ CX, $8
	JL   reduce
	VADDPD (SI), Z0, Z0
	ADDQ $64, SI
	SUBQ $8, CX
	JMP  loop8

reduce:
	VADDPD Z1, Z0, Z0
	VADDPD Z3, Z2, Z2
	VADDPD Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPD Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VPERMILPD $1, X0, X1
	VADDSD X1, X0, X0

scalar:
	TESTQ CX, CX
	JZ    done
	VADDSD (SI), X0, X0
	ADDQ  $8, SI
	DECQ  CX
	JMP   scalar

done:
	VZEROUPPER
	MOVSD X0, ret+16(FP)
	RET
