#include "textflag.h"

// Constants of expf (activation.go), broadcast from memory.
DATA expconst<>+0(SB)/4, $0xc2aecccd   // -87.3
DATA expconst<>+4(SB)/4, $0x42b16666   // 88.7
DATA expconst<>+8(SB)/4, $0x3fb8aa3b   // log2(e)
DATA expconst<>+12(SB)/4, $0x4b400000  // 1.5·2²³
DATA expconst<>+16(SB)/4, $0x3f317200  // ln2 hi
DATA expconst<>+20(SB)/4, $0x35bfbe8e  // ln2 lo
DATA expconst<>+24(SB)/4, $0x3ab60b61  // 1/720
DATA expconst<>+28(SB)/4, $0x3c088889  // 1/120
DATA expconst<>+32(SB)/4, $0x3d2aaaab  // 1/24
DATA expconst<>+36(SB)/4, $0x3e2aaaab  // 1/6
DATA expconst<>+40(SB)/4, $0x3f000000  // 1/2
DATA expconst<>+44(SB)/4, $0x3f800000  // 1
GLOBL expconst<>(SB), RODATA|NOPTR, $48

// func sigmoidAVX512(dst, src *float32, n int, scale float32)
// dst[i] = 1/(1 + e^(−scale·src[i])) for i < n, n a multiple of 16.
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-28
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS scale+24(FP), Z20
	LEAQ expconst<>(SB), AX
	VBROADCASTSS 0(AX), Z21
	VBROADCASTSS 4(AX), Z22
	VBROADCASTSS 8(AX), Z23
	VBROADCASTSS 12(AX), Z24
	VBROADCASTSS 16(AX), Z25
	VBROADCASTSS 20(AX), Z26
	VBROADCASTSS 24(AX), Z27
	VBROADCASTSS 28(AX), Z28
	VBROADCASTSS 32(AX), Z29
	VBROADCASTSS 36(AX), Z30
	VBROADCASTSS 40(AX), Z31
	VBROADCASTSS 44(AX), Z19
	SHRQ $4, CX
	JZ done
loop:
	VMOVUPS (SI), Z0
	VMULPS Z20, Z0, Z0          // x = −scale·src (scale carries the sign)
	VMAXPS Z21, Z0, Z0
	VMINPS Z22, Z0, Z0
	VMOVAPS Z24, Z1
	VFMADD231PS Z23, Z0, Z1     // t = x·log2e + magic
	VSUBPS Z24, Z1, Z2          // nf = t − magic
	VPSUBD Z24, Z1, Z1          // n (integer) = bits(t) − bits(magic)
	VFNMADD231PS Z25, Z2, Z0    // r = x − nf·ln2hi
	VFNMADD231PS Z26, Z2, Z0    // r −= nf·ln2lo
	VMOVAPS Z27, Z3
	VFMADD213PS Z28, Z0, Z3     // p = p·r + c
	VFMADD213PS Z29, Z0, Z3
	VFMADD213PS Z30, Z0, Z3
	VFMADD213PS Z31, Z0, Z3
	VFMADD213PS Z19, Z0, Z3
	VFMADD213PS Z19, Z0, Z3
	VPSLLD $23, Z1, Z1
	VPADDD Z1, Z3, Z3           // e^x = p·2ⁿ
	VADDPS Z19, Z3, Z3
	VDIVPS Z3, Z19, Z3          // 1/(1 + e^x)
	VMOVUPS Z3, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ loop
done:
	VZEROUPPER
	RET

// func bernoulliAVX512(dst, p *float32, u *uint64, n int, low float32)
// dst[i] = 1 if uint32 word i of u < clamp(p[i], 0, 1)·2³² (always when
// p[i] ≥ 1), else low, for i < n, n a multiple of 16: the Go bernoulli on
// the same random words, bit for bit.
TEXT ·bernoulliAVX512(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ u+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS low+32(FP), Z20
	MOVL $0x3f800000, AX        // 1
	VPBROADCASTD AX, Z21
	MOVL $0x4f800000, AX        // 2³²
	VPBROADCASTD AX, Z22
	VPXORD Z23, Z23, Z23
	SHRQ $4, CX
	JZ bdone
bloop:
	VMOVUPS (SI), Z0
	VMAXPS Z23, Z0, Z0
	VMINPS Z21, Z0, Z0
	VCMPPS $0x0d, Z21, Z0, K2   // p ≥ 1
	VMULPS Z22, Z0, Z1
	VCVTTPS2UDQ Z1, Z1          // threshold t = ⌊p·2³²⌋ (saturates at p = 1)
	VMOVDQU32 (DX), Z2
	VPCMPUD $1, Z1, Z2, K1      // u < t
	KORW K1, K2, K1
	VBLENDMPS Z21, Z20, K1, Z3  // K1 ? 1 : low
	VMOVUPS Z3, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, DX
	DECQ CX
	JNZ bloop
bdone:
	VZEROUPPER
	RET

// func expAVX512(dst, src *float32, n int)
// dst[i] = e^src[i] for i < n, n a multiple of 16: the exponential of
// sigmoidAVX512, clamped to [−87.3, 88.7].
TEXT ·expAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	LEAQ expconst<>(SB), AX
	VBROADCASTSS 0(AX), Z21
	VBROADCASTSS 4(AX), Z22
	VBROADCASTSS 8(AX), Z23
	VBROADCASTSS 12(AX), Z24
	VBROADCASTSS 16(AX), Z25
	VBROADCASTSS 20(AX), Z26
	VBROADCASTSS 24(AX), Z27
	VBROADCASTSS 28(AX), Z28
	VBROADCASTSS 32(AX), Z29
	VBROADCASTSS 36(AX), Z30
	VBROADCASTSS 40(AX), Z31
	VBROADCASTSS 44(AX), Z19
	SHRQ $4, CX
	JZ expdone
exploop:
	VMOVUPS (SI), Z0
	VMAXPS Z21, Z0, Z0
	VMINPS Z22, Z0, Z0
	VMOVAPS Z24, Z1
	VFMADD231PS Z23, Z0, Z1     // t = x·log2e + magic
	VSUBPS Z24, Z1, Z2          // nf = t − magic
	VPSUBD Z24, Z1, Z1          // n (integer) = bits(t) − bits(magic)
	VFNMADD231PS Z25, Z2, Z0    // r = x − nf·ln2hi
	VFNMADD231PS Z26, Z2, Z0    // r −= nf·ln2lo
	VMOVAPS Z27, Z3
	VFMADD213PS Z28, Z0, Z3     // p = p·r + c
	VFMADD213PS Z29, Z0, Z3
	VFMADD213PS Z30, Z0, Z3
	VFMADD213PS Z31, Z0, Z3
	VFMADD213PS Z19, Z0, Z3
	VFMADD213PS Z19, Z0, Z3
	VPSLLD $23, Z1, Z1
	VPADDD Z1, Z3, Z3           // e^x = p·2ⁿ
	VMOVUPS Z3, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ exploop
expdone:
	VZEROUPPER
	RET

// func affineAVX512(dst *float32, n int, a, b float32)
// dst[i] = a·dst[i] + b for i < n (a multiple of 16): a multiply, then an
// addition, each rounded, as Go computes it.
TEXT ·affineAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS a+16(FP), Z1
	VBROADCASTSS b+20(FP), Z2
	SHRQ $4, CX
	JZ affdone
affloop:
	VMULPS (DI), Z1, Z0
	VADDPS Z2, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	DECQ CX
	JNZ affloop
affdone:
	VZEROUPPER
	RET

// func tanhGradAVX512(d, a *float32, n int)
// d[i] = d[i]·(1 − a[i]·a[i]) for i < n (a multiple of 16), each operation
// rounded as Go computes it.
TEXT ·tanhGradAVX512(SB), NOSPLIT, $0-24
	MOVQ d+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ n+16(FP), CX
	MOVL $0x3f800000, AX
	VPBROADCASTD AX, Z1
	SHRQ $4, CX
	JZ tgdone
tgloop:
	VMOVUPS (SI), Z0
	VMULPS Z0, Z0, Z0
	VSUBPS Z0, Z1, Z0
	VMULPS (DI), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ tgloop
tgdone:
	VZEROUPPER
	RET
