#include "textflag.h"

// func axpyAVX512(alpha float32, x, y *float32, n int)
// y[i] += alpha·x[i] for i < n, n a multiple of 32.
TEXT ·axpyAVX512(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Z31
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	SHRQ $5, CX
	JZ done
loop:
	VMOVUPS (DI), Z0
	VMOVUPS 64(DI), Z1
	VFMADD231PS (SI), Z31, Z0
	VFMADD231PS 64(SI), Z31, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ CX
	JNZ loop
done:
	VZEROUPPER
	RET

// func adamAVX512(p, grad, m1, m2 *float32, n int, c *AdamConsts)
// The Adam update of adamGo for i < n, n a multiple of 16, with the same
// operations in the same order (no fused multiply-adds), so the results are
// bit for bit those of the Go loop.
TEXT ·adamAVX512(SB), NOSPLIT, $0-48
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m1+16(FP), R8
	MOVQ m2+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), AX
	VBROADCASTSS 0(AX), Z20     // b1
	VBROADCASTSS 4(AX), Z21     // 1 − b1
	VBROADCASTSS 8(AX), Z22     // b2
	VBROADCASTSS 12(AX), Z23    // 1 − b2
	VBROADCASTSS 16(AX), Z24    // c1
	VBROADCASTSS 20(AX), Z25    // c2
	VBROADCASTSS 24(AX), Z26    // lr
	VBROADCASTSS 28(AX), Z27    // eps
	SHRQ $4, CX
	JZ adamdone
adamloop:
	VMOVUPS (SI), Z0            // g
	VMULPS (R8), Z20, Z1        // b1·m1
	VMULPS Z0, Z21, Z2          // (1−b1)·g
	VADDPS Z2, Z1, Z1           // m1
	VMOVUPS Z1, (R8)
	VMULPS (R9), Z22, Z3        // b2·m2
	VMULPS Z0, Z23, Z4          // (1−b2)·g
	VMULPS Z0, Z4, Z4           // ·g
	VADDPS Z4, Z3, Z3           // m2
	VMOVUPS Z3, (R9)
	VDIVPS Z24, Z1, Z1          // m1/c1
	VMULPS Z1, Z26, Z1          // lr·(m1/c1)
	VDIVPS Z25, Z3, Z3          // m2/c2
	VSQRTPS Z3, Z3
	VADDPS Z27, Z3, Z3          // + eps
	VDIVPS Z3, Z1, Z1
	VMOVUPS (DI), Z5
	VSUBPS Z1, Z5, Z5
	VMOVUPS Z5, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $64, R9
	DECQ CX
	JNZ adamloop
adamdone:
	VZEROUPPER
	RET

// func transpose4AVX512(dst *float32, ld int, src *float32, stride int, blocks int)
// Transposes 4 rows × 16·blocks columns: dst[k*ld+i] = src[i*stride+k] for
// i < 4, k < 16·blocks. Each 4×16 block is four 4×4 transposes inside the
// 128-bit lanes (unpack low/high of singles, then of doubles); lane L of
// result j holds column 4L+j, stored as 4 contiguous floats.
TEXT ·transpose4AVX512(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ ld+8(FP), R8
	SHLQ $2, R8                 // ld in bytes
	MOVQ src+16(FP), SI
	MOVQ stride+24(FP), R9
	SHLQ $2, R9                 // stride in bytes
	LEAQ (R9)(R9*2), R11        // 3·stride
	MOVQ blocks+32(FP), CX
	TESTQ CX, CX
	JZ trdone
trloop:
	VMOVUPS (SI), Z0
	VMOVUPS (SI)(R9*1), Z1
	VMOVUPS (SI)(R9*2), Z2
	VMOVUPS (SI)(R11*1), Z3
	VUNPCKLPS Z1, Z0, Z4        // a0 b0 a1 b1 (per lane)
	VUNPCKHPS Z1, Z0, Z5        // a2 b2 a3 b3
	VUNPCKLPS Z3, Z2, Z6        // c0 d0 c1 d1
	VUNPCKHPS Z3, Z2, Z7        // c2 d2 c3 d3
	VUNPCKLPD Z6, Z4, Z0        // column 4L+0
	VUNPCKHPD Z6, Z4, Z1        // column 4L+1
	VUNPCKLPD Z7, Z5, Z2        // column 4L+2
	VUNPCKHPD Z7, Z5, Z3        // column 4L+3
	MOVQ DI, DX
	VEXTRACTF32X4 $0, Z0, (DX)
	ADDQ R8, DX
	VEXTRACTF32X4 $0, Z1, (DX)
	ADDQ R8, DX
	VEXTRACTF32X4 $0, Z2, (DX)
	ADDQ R8, DX
	VEXTRACTF32X4 $0, Z3, (DX)
	ADDQ R8, DX
	VEXTRACTF32X4 $1, Z0, (DX)
	ADDQ R8, DX
	VEXTRACTF32X4 $1, Z1, (DX)
	ADDQ R8, DX
	VEXTRACTF32X4 $1, Z2, (DX)
	ADDQ R8, DX
	VEXTRACTF32X4 $1, Z3, (DX)
	ADDQ R8, DX
	VEXTRACTF32X4 $2, Z0, (DX)
	ADDQ R8, DX
	VEXTRACTF32X4 $2, Z1, (DX)
	ADDQ R8, DX
	VEXTRACTF32X4 $2, Z2, (DX)
	ADDQ R8, DX
	VEXTRACTF32X4 $2, Z3, (DX)
	ADDQ R8, DX
	VEXTRACTF32X4 $3, Z0, (DX)
	ADDQ R8, DX
	VEXTRACTF32X4 $3, Z1, (DX)
	ADDQ R8, DX
	VEXTRACTF32X4 $3, Z2, (DX)
	ADDQ R8, DX
	VEXTRACTF32X4 $3, Z3, (DX)
	ADDQ R8, DX
	MOVQ DX, DI                 // the next block's first column
	ADDQ $64, SI
	DECQ CX
	JNZ trloop
trdone:
	VZEROUPPER
	RET

// func prefetch(p *float32, n int)
// Asks for every 64-byte line of p[:n] to be brought into the caches
// (PREFETCHT0: a hint, nothing waits for it).
TEXT ·prefetch(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), AX
	MOVQ n+8(FP), CX
	LEAQ (AX)(CX*4), CX
pf:
	PREFETCHT0 (AX)
	ADDQ $64, AX
	CMPQ AX, CX
	JLT pf
	RET
