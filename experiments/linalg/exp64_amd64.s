#include "textflag.h"

// Constants of exp64AVX512: the clamp, log₂e, ln 2 in two parts (Cody–Waite)
// and the Taylor coefficients 1/k! of e^r for k = 13 … 0.
DATA exp64const<>+0(SB)/8, $0xc086200000000000   // -708.0 (clamp)
DATA exp64const<>+8(SB)/8, $0x4086280000000000   // 709.0 (clamp)
DATA exp64const<>+16(SB)/8, $0x3ff71547652b82fe   // log2(e)
DATA exp64const<>+24(SB)/8, $0x3fe62e42fee00000   // ln2 hi
DATA exp64const<>+32(SB)/8, $0x3dea39ef35793c76   // ln2 lo
DATA exp64const<>+40(SB)/8, $0x3de6124613a86d09   // 1/13!
DATA exp64const<>+48(SB)/8, $0x3e21eed8eff8d898   // 1/12!
DATA exp64const<>+56(SB)/8, $0x3e5ae64567f544e4   // 1/11!
DATA exp64const<>+64(SB)/8, $0x3e927e4fb7789f5c   // 1/10!
DATA exp64const<>+72(SB)/8, $0x3ec71de3a556c734   // 1/9!
DATA exp64const<>+80(SB)/8, $0x3efa01a01a01a01a   // 1/8!
DATA exp64const<>+88(SB)/8, $0x3f2a01a01a01a01a   // 1/7!
DATA exp64const<>+96(SB)/8, $0x3f56c16c16c16c17   // 1/6!
DATA exp64const<>+104(SB)/8, $0x3f81111111111111   // 1/5!
DATA exp64const<>+112(SB)/8, $0x3fa5555555555555   // 1/4!
DATA exp64const<>+120(SB)/8, $0x3fc5555555555555   // 1/3!
DATA exp64const<>+128(SB)/8, $0x3fe0000000000000   // 1/2!
DATA exp64const<>+136(SB)/8, $0x3ff0000000000000   // 1/1!
DATA exp64const<>+144(SB)/8, $0x3ff0000000000000   // 1/0!
GLOBL exp64const<>(SB), RODATA|NOPTR, $152

// EXPCONSTS points AX at the constants and broadcasts the first five into
// Z16 … Z20, as EXPBODY wants them.
#define EXPCONSTS \
	LEAQ exp64const<>(SB), AX; \
	VBROADCASTSD 0(AX), Z16; \
	VBROADCASTSD 8(AX), Z17; \
	VBROADCASTSD 16(AX), Z18; \
	VBROADCASTSD 24(AX), Z19; \
	VBROADCASTSD 32(AX), Z20

// EXPBODY sets Z1 = e^Z0 with the constants in Z16 … Z20 and at AX+40 ….
#define EXPBODY \
	VMAXPD Z16, Z0, Z0; \
	VMINPD Z17, Z0, Z0; \
	VMULPD Z18, Z0, Z2; \
	VRNDSCALEPD $0, Z2, Z2; \
	VFNMADD231PD Z19, Z2, Z0; \
	VFNMADD231PD Z20, Z2, Z0; \
	VBROADCASTSD 40(AX), Z1; \
	VFMADD213PD.BCST 48(AX), Z0, Z1; \
	VFMADD213PD.BCST 56(AX), Z0, Z1; \
	VFMADD213PD.BCST 64(AX), Z0, Z1; \
	VFMADD213PD.BCST 72(AX), Z0, Z1; \
	VFMADD213PD.BCST 80(AX), Z0, Z1; \
	VFMADD213PD.BCST 88(AX), Z0, Z1; \
	VFMADD213PD.BCST 96(AX), Z0, Z1; \
	VFMADD213PD.BCST 104(AX), Z0, Z1; \
	VFMADD213PD.BCST 112(AX), Z0, Z1; \
	VFMADD213PD.BCST 120(AX), Z0, Z1; \
	VFMADD213PD.BCST 128(AX), Z0, Z1; \
	VFMADD213PD.BCST 136(AX), Z0, Z1; \
	VFMADD213PD.BCST 144(AX), Z0, Z1; \
	VSCALEFPD Z2, Z1, Z1

// func exp64AVX512(dst, src *float64, n int)
// dst[i] = e^(src[i]) for i < n, to about 2 ulp, for src in [−708, 709]
// (clamped there): x = m·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor series
// to r¹³ (Horner), times 2ᵐ by VSCALEFPD. The last n mod 8 values go through
// a masked load and store.
TEXT ·exp64AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	EXPCONSTS
	MOVQ CX, DX
	SHRQ $3, CX
	JZ tail
loop:
	VMOVUPD (SI), Z0
	EXPBODY
	VMOVUPD Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ loop
tail:
	ANDQ $7, DX
	JZ done
	MOVQ $1, BX
	MOVQ DX, CX
	SHLQ CX, BX
	DECQ BX
	KMOVW BX, K1
	VMOVUPD.Z (SI), K1, Z0
	EXPBODY
	VMOVUPD Z1, K1, (DI)
done:
	VZEROUPPER
	RET


// ELUBODY sets Z1 = ELU(Z5): e^Z5 − 1 (EXPBODY, then a separate subtraction,
// as Go's e^x then −1), replaced by Z5 itself where Z5 > 0 (Z21 = 1, Z22 = 0).
#define ELUBODY \
	VMOVAPD Z5, Z0; \
	EXPBODY; \
	VSUBPD Z21, Z1, Z1; \
	VCMPPD $0x1e, Z22, Z5, K2; \
	VMOVAPD Z5, K2, Z1

// func elu64AVX512(dst, src *float64, n int)
// dst[i] = src[i] where src[i] > 0, e^(src[i]) − 1 otherwise, the exponential
// as exp64AVX512's.
TEXT ·elu64AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	EXPCONSTS
	VBROADCASTSD 144(AX), Z21
	VPXORQ Z22, Z22, Z22
	MOVQ CX, DX
	SHRQ $3, CX
	JZ etail
eloop:
	VMOVUPD (SI), Z5
	ELUBODY
	VMOVUPD Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ eloop
etail:
	ANDQ $7, DX
	JZ edone
	MOVQ $1, BX
	MOVQ DX, CX
	SHLQ CX, BX
	DECQ BX
	KMOVW BX, K1
	VMOVUPD.Z (SI), K1, Z5
	ELUBODY
	VMOVUPD Z1, K1, (DI)
edone:
	VZEROUPPER
	RET
