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
