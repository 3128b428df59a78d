//go:build !purego

#include "textflag.h"

// func maskAsm(b []byte, k uint64)
//
// XORs the first n = len(b)&^15 bytes of b in place with the masking key k
// (the four key bytes repeated, the first for b[0], little-endian) and
// leaves the rest of b alone.
//
// Loads and stores that straddle a cache line cost about twice as much, so
// the loops work on aligned blocks: from the first 16-byte (SSE2) or
// 32-byte (AVX2) boundary in b to the last whole block before b[n]. The
// bytes before and after them are covered by one unaligned block at each
// end, b[0:16] and b[n-16:n] (or 32 bytes with AVX2). These overlap the
// aligned blocks, so both are loaded and masked before the loop stores
// anything and stored after it: the overlapping bytes are then written
// twice with the same value, and every byte is masked exactly once.
//
// Every block starts a multiple of four bytes from b[0], except the
// aligned ones, whose key is rotated by the distance to the first
// boundary.
//
// Registers:
//	DI	next aligned block
//	SI	bytes from DI to b[n]
//	BX	&b[0]
//	DX	&b[n]
//	AX	key for b[0], then for the byte at the first boundary
//	X0/Y0	key for b[0], repeated
//	X1/Y1	key for the aligned blocks, repeated
//	X5/Y5	masked first block
//	X6/Y6	masked last block
TEXT ·maskAsm(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), DI
	MOVQ b_len+8(FP), SI
	MOVQ k+24(FP), AX
	ANDQ $-16, SI
	JZ   done
	MOVQ DI, BX
	LEAQ (DI)(SI*1), DX
	CMPQ SI, $64
	JB   sse
	CMPB ·useAVX2(SB), $0
	JNE  avx2

sse:
	MOVQ       AX, X0
	PUNPCKLQDQ X0, X0
	MOVOU      (DI), X5
	MOVOU      -16(DX), X6
	PXOR       X0, X5
	PXOR       X0, X6

	// CX = bytes to the first 16-byte boundary. Rotate the key by as
	// many bytes; RORQ takes the count mod 64, which is fine because
	// the key repeats every 32 bits.
	MOVQ       DI, CX
	NEGQ       CX
	ANDQ       $15, CX
	ADDQ       CX, DI
	SUBQ       CX, SI
	SHLQ       $3, CX
	RORQ       CX, AX
	MOVQ       AX, X1
	PUNPCKLQDQ X1, X1

	CMPQ SI, $64
	JB   sse16

	// 64 bytes per iteration. DI is aligned, so PXOR could take the
	// memory operand; MOVOU keeps the code valid either way.
sse64:
	MOVOU (DI), X2
	MOVOU 16(DI), X3
	MOVOU 32(DI), X4
	MOVOU 48(DI), X7
	PXOR  X1, X2
	PXOR  X1, X3
	PXOR  X1, X4
	PXOR  X1, X7
	MOVOU X2, (DI)
	MOVOU X3, 16(DI)
	MOVOU X4, 32(DI)
	MOVOU X7, 48(DI)
	ADDQ  $64, DI
	SUBQ  $64, SI
	CMPQ  SI, $64
	JAE   sse64

sse16:
	CMPQ SI, $16
	JB   ssedone

sse16loop:
	MOVOU (DI), X2
	PXOR  X1, X2
	MOVOU X2, (DI)
	ADDQ  $16, DI
	SUBQ  $16, SI
	CMPQ  SI, $16
	JAE   sse16loop

ssedone:
	MOVOU X5, (BX)
	MOVOU X6, -16(DX)

done:
	RET

	// At least 64 bytes. VEX-encoded instructions accept unaligned
	// memory operands. Everything up to VZEROUPPER must be VEX-encoded
	// (VMOVQ, not MOVQ): a legacy SSE instruction while the upper halves
	// of the YMM registers are in use makes the CPU save and restore them,
	// which cost more than the whole call in the benchmarks.
avx2:
	VMOVQ        AX, X0
	VPBROADCASTQ X0, Y0
	VPXOR        (DI), Y0, Y5
	VPXOR        -32(DX), Y0, Y6

	// CX = bytes to the first 32-byte boundary; rotate the key to match.
	MOVQ         DI, CX
	NEGQ         CX
	ANDQ         $31, CX
	ADDQ         CX, DI
	SUBQ         CX, SI
	SHLQ         $3, CX
	RORQ         CX, AX
	VMOVQ        AX, X1
	VPBROADCASTQ X1, Y1

	CMPQ SI, $128
	JB   avx32

	// 128 bytes per iteration.
avx128:
	VPXOR   (DI), Y1, Y2
	VPXOR   32(DI), Y1, Y3
	VPXOR   64(DI), Y1, Y4
	VPXOR   96(DI), Y1, Y7
	VMOVDQU Y2, (DI)
	VMOVDQU Y3, 32(DI)
	VMOVDQU Y4, 64(DI)
	VMOVDQU Y7, 96(DI)
	ADDQ    $128, DI
	SUBQ    $128, SI
	CMPQ    SI, $128
	JAE     avx128

avx32:
	CMPQ SI, $32
	JB   avxdone

avx32loop:
	VPXOR   (DI), Y1, Y2
	VMOVDQU Y2, (DI)
	ADDQ    $32, DI
	SUBQ    $32, SI
	CMPQ    SI, $32
	JAE     avx32loop

avxdone:
	VMOVDQU Y5, (BX)
	VMOVDQU Y6, -32(DX)
	VZEROUPPER
	RET
