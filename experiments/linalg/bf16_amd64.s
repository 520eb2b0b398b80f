// Conversions of float32 to bfloat16 pairs for the BF16 GEMM.

#include "textflag.h"

// VCVTNE2PS2BF16 (AVX512_BF16) is not known to the Go assembler; CVT_Z0_Z1_Z2
// is vcvtne2ps2bf16 zmm2, zmm1, zmm0: the bfloat16 values of Z0 (rounded to
// nearest even) in the lower half of Z2, those of Z1 in the upper half.
#define CVT_Z0_Z1_Z2 BYTE $0x62; BYTE $0xf2; BYTE $0x77; BYTE $0x48; BYTE $0x72; BYTE $0xd0

// func pairsAVX512(dst, src *float32, n int)
// dst[q] = (src[2q], src[2q+1]) as bfloat16 for q < n/2; n is a multiple of 32.
TEXT ·pairsAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $5, CX
	JZ pdone
ploop:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	CVT_Z0_Z1_Z2
	VMOVUPS Z2, (DI)
	ADDQ $128, SI
	ADDQ $64, DI
	DECQ CX
	JNZ ploop
pdone:
	VZEROUPPER
	RET

// func interleaveAVX512(dst, lo, hi *float32, n int, idx *uint16)
// dst[j] = (lo[j], hi[j]) as bfloat16 for j < n; n is a multiple of 16 and
// idx holds the 32 word indices 0, 16, 1, 17, … that interleave the halves.
TEXT ·interleaveAVX512(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ lo+8(FP), SI
	MOVQ hi+16(FP), BX
	MOVQ n+24(FP), CX
	MOVQ idx+32(FP), AX
	VMOVDQU16 (AX), Z3
	SHRQ $4, CX
	JZ idone
iloop:
	VMOVUPS (SI), Z0
	VMOVUPS (BX), Z1
	CVT_Z0_Z1_Z2
	VPERMW Z2, Z3, Z4
	VMOVUPS Z4, (DI)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DI
	DECQ CX
	JNZ iloop
idone:
	VZEROUPPER
	RET
