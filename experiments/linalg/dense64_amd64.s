#include "textflag.h"

// MASKS sets K1 to the first min(n, 8) lanes and K2 to the next n − 8 (none
// when n ≤ 8) for n in R11; it uses AX, CX and DX.
#define MASKS \
	MOVQ $8, AX; \
	CMPQ R11, AX; \
	CMOVQLT R11, AX; \
	MOVQ AX, CX; \
	MOVQ $1, DX; \
	SHLQ CX, DX; \
	DECQ DX; \
	KMOVW DX, K1; \
	MOVQ R11, CX; \
	SUBQ AX, CX; \
	MOVQ $1, DX; \
	SHLQ CX, DX; \
	DECQ DX; \
	KMOVW DX, K2

// ELUH multiplies acc by h + 1 in the lanes of mask kin whose pre ≤ 0, pre
// and h at off(base) plus R12 and R13 (Z30 = 0, Z31 = 1; kout a scratch mask).
#define ELUH(off, base, acc, kin, kout) \
	VMOVUPD.Z off(base)(R12*1), kin, Z5; \
	VCMPPD $2, Z30, Z5, kin, kout; \
	VMOVUPD.Z off(base)(R13*1), kin, Z6; \
	VADDPD Z31, Z6, Z6; \
	VMULPD Z6, acc, kout, acc

// W2/W1 load the current row of w (at DX) into Z3 (and Z4: lanes 8–15).
#define W2 \
	VMOVUPD.Z (DX), K1, Z3; \
	VMOVUPD.Z 64(DX), K2, Z4
#define W1 \
	VMOVUPD.Z (DX), K1, Z3

// FIRST2/FIRST1 start a row's sums at the input at src times the row of w.
#define FIRST2(src, acc0, acc1) \
	VBROADCASTSD src, Z2; \
	VMULPD Z2, Z3, acc0; \
	VMULPD Z2, Z4, acc1
#define FIRST1(src, acc0) \
	VBROADCASTSD src, Z2; \
	VMULPD Z2, Z3, acc0

// MAC2/MAC1 add the input at src times the row of w to a row's sums: the
// product rounded, then the addition (t0, t1 scratch).
#define MAC2(src, acc0, acc1, t0, t1) \
	VBROADCASTSD src, Z2; \
	VMULPD Z2, Z3, t0; \
	VMULPD Z2, Z4, t1; \
	VADDPD t0, acc0, acc0; \
	VADDPD t1, acc1, acc1
#define MAC1(src, acc0, t0) \
	VBROADCASTSD src, Z2; \
	VMULPD Z2, Z3, t0; \
	VADDPD t0, acc0, acc0

// NEXTIN moves to the next input (AX) and row of w (DX), counting down R10.
#define NEXTIN \
	ADDQ $8, AX; \
	ADDQ R11, DX; \
	DECQ R10

// STARTROW points AX at the row's inputs, DX at w and R10 at k.
#define STARTROW \
	MOVQ SI, AX; \
	MOVQ w+32(FP), DX; \
	MOVQ k+56(FP), R10

// func dense64AVX512(out *float64, ldo int, in *float64, ldi int, w, bias *float64, rows, k, n int, pre, h *float64)
// Two rows at a time (then one): a row's n outputs sit in two registers
// (lanes 0–7, 8–15; one when n ≤ 8); each input is broadcast, multiplied by
// its row of w (masked loads: lanes past n are zero and never stored) and
// added, a separate multiply and add as in Go. Two rows' sums hide the
// addition's latency and share the loads of w. With pre not nil, lanes whose
// pre ≤ 0 are multiplied by h + 1 (pre and h are addressed as out plus a
// fixed offset, R12 and R13).
TEXT ·dense64AVX512(SB), NOSPLIT, $0-88
	MOVQ n+64(FP), R11
	MASKS
	VPXORQ Z30, Z30, Z30
	MOVQ $0x3ff0000000000000, AX
	VPBROADCASTQ AX, Z31
	MOVQ out+0(FP), DI
	MOVQ ldo+8(FP), R8
	SHLQ $3, R8
	MOVQ in+16(FP), SI
	MOVQ ldi+24(FP), R9
	SHLQ $3, R9
	MOVQ bias+40(FP), BX
	MOVQ pre+72(FP), R12
	MOVQ h+80(FP), R13
	SUBQ DI, R12
	SUBQ DI, R13
	MOVQ rows+48(FP), CX
	SHLQ $3, R11
	CMPQ R11, $64
	JLE one2

two2:	// rows r (Z0, Z1) and r+1 (Z7, Z8)
	CMPQ CX, $2
	JLT two
	STARTROW
	TESTQ BX, BX
	JZ two2_first
	VMOVUPD.Z (BX), K1, Z0
	VMOVUPD.Z 64(BX), K2, Z1
	VMOVAPD Z0, Z7
	VMOVAPD Z1, Z8
	JMP two2_inner
two2_first:
	W2
	FIRST2((AX), Z0, Z1)
	FIRST2((AX)(R9*1), Z7, Z8)
	NEXTIN
	JZ two2_elu
two2_inner:
	W2
	MAC2((AX), Z0, Z1, Z5, Z6)
	MAC2((AX)(R9*1), Z7, Z8, Z9, Z10)
	NEXTIN
	JNZ two2_inner
two2_elu:
	LEAQ (DI)(R8*1), AX
	MOVQ pre+72(FP), DX
	TESTQ DX, DX
	JZ two2_store
	ELUH(0, DI, Z0, K1, K3)
	ELUH(64, DI, Z1, K2, K4)
	ELUH(0, AX, Z7, K1, K3)
	ELUH(64, AX, Z8, K2, K4)
two2_store:
	VMOVUPD Z0, K1, (DI)
	VMOVUPD Z1, K2, 64(DI)
	VMOVUPD Z7, K1, (AX)
	VMOVUPD Z8, K2, 64(AX)
	LEAQ (DI)(R8*2), DI
	LEAQ (SI)(R9*2), SI
	SUBQ $2, CX
	JMP two2

two:	// the last row, when rows is odd
	TESTQ CX, CX
	JZ done
	STARTROW
	TESTQ BX, BX
	JZ two_first
	VMOVUPD.Z (BX), K1, Z0
	VMOVUPD.Z 64(BX), K2, Z1
	JMP two_inner
two_first:
	W2
	FIRST2((AX), Z0, Z1)
	NEXTIN
	JZ two_elu
two_inner:
	W2
	MAC2((AX), Z0, Z1, Z5, Z6)
	NEXTIN
	JNZ two_inner
two_elu:
	MOVQ pre+72(FP), DX
	TESTQ DX, DX
	JZ two_store
	ELUH(0, DI, Z0, K1, K3)
	ELUH(64, DI, Z1, K2, K4)
two_store:
	VMOVUPD Z0, K1, (DI)
	VMOVUPD Z1, K2, 64(DI)
	JMP done

one2:	// n ≤ 8: rows r (Z0) and r+1 (Z7)
	CMPQ CX, $2
	JLT one
	STARTROW
	TESTQ BX, BX
	JZ one2_first
	VMOVUPD.Z (BX), K1, Z0
	VMOVAPD Z0, Z7
	JMP one2_inner
one2_first:
	W1
	FIRST1((AX), Z0)
	FIRST1((AX)(R9*1), Z7)
	NEXTIN
	JZ one2_elu
one2_inner:
	W1
	MAC1((AX), Z0, Z5)
	MAC1((AX)(R9*1), Z7, Z9)
	NEXTIN
	JNZ one2_inner
one2_elu:
	LEAQ (DI)(R8*1), AX
	MOVQ pre+72(FP), DX
	TESTQ DX, DX
	JZ one2_store
	ELUH(0, DI, Z0, K1, K3)
	ELUH(0, AX, Z7, K1, K3)
one2_store:
	VMOVUPD Z0, K1, (DI)
	VMOVUPD Z7, K1, (AX)
	LEAQ (DI)(R8*2), DI
	LEAQ (SI)(R9*2), SI
	SUBQ $2, CX
	JMP one2

one:	// the last row, when rows is odd
	TESTQ CX, CX
	JZ done
	STARTROW
	TESTQ BX, BX
	JZ one_first
	VMOVUPD.Z (BX), K1, Z0
	JMP one_inner
one_first:
	W1
	FIRST1((AX), Z0)
	NEXTIN
	JZ one_elu
one_inner:
	W1
	MAC1((AX), Z0, Z5)
	NEXTIN
	JNZ one_inner
one_elu:
	MOVQ pre+72(FP), DX
	TESTQ DX, DX
	JZ one_store
	ELUH(0, DI, Z0, K1, K3)
one_store:
	VMOVUPD Z0, K1, (DI)
done:
	VZEROUPPER
	RET

// OACC adds broadcast (AX)+off times Z10 (Z11) to acc0 (acc1), with
// temporaries t0 and t1.
#define OACC2(off, acc0, acc1, t0, t1) \
	VBROADCASTSD off(AX), Z2; \
	VMULPD Z2, Z10, t0; \
	VMULPD Z2, Z11, t1; \
	VADDPD t0, acc0, acc0; \
	VADDPD t1, acc1, acc1

#define OACC1(off, acc0, t0) \
	VBROADCASTSD off(AX), Z2; \
	VMULPD Z2, Z10, t0; \
	VADDPD t0, acc0, acc0

// func outerAcc64AVX512(dst, a *float64, lda int, b *float64, ldb int, rows, k, n int)
// Rows of dst (the k×n matrix g) sit in registers, four at a time while four
// are left (then one), while the rows of b, last to first, are multiplied by
// their a[r·lda+i] (broadcast) and added: four independent sums hide the
// addition's latency. With a nil (k = 1) the rows are added as they are.
TEXT ·outerAcc64AVX512(SB), NOSPLIT, $0-64
	MOVQ n+56(FP), R11
	MASKS
	SHLQ $3, R11
	MOVQ dst+0(FP), DI
	MOVQ lda+16(FP), R8
	SHLQ $3, R8
	MOVQ ldb+32(FP), R9
	SHLQ $3, R9
	MOVQ rows+40(FP), CX
	LEAQ -1(CX), AX
	IMULQ R9, AX
	MOVQ b+24(FP), R12
	ADDQ AX, R12            // the last row of b
	LEAQ -1(CX), AX
	IMULQ R8, AX
	MOVQ a+8(FP), SI
	TESTQ SI, SI
	JZ bias
	ADDQ AX, SI             // a[(rows−1)·lda]: the last row's a, then + 8 per i
	MOVQ k+48(FP), R10
	CMPQ R11, $64
	JLE one4

two4:
	CMPQ R10, $4
	JLT two1
	LEAQ (DI)(R11*2), R13
	VMOVUPD.Z (DI), K1, Z0
	VMOVUPD.Z 64(DI), K2, Z1
	VMOVUPD.Z (DI)(R11*1), K1, Z4
	VMOVUPD.Z 64(DI)(R11*1), K2, Z5
	VMOVUPD.Z (R13), K1, Z6
	VMOVUPD.Z 64(R13), K2, Z7
	VMOVUPD.Z (R13)(R11*1), K1, Z8
	VMOVUPD.Z 64(R13)(R11*1), K2, Z9
	MOVQ SI, AX
	MOVQ R12, DX
	MOVQ CX, BX
two4loop:
	VMOVUPD.Z (DX), K1, Z10
	VMOVUPD.Z 64(DX), K2, Z11
	OACC2(0, Z0, Z1, Z12, Z13)
	OACC2(8, Z4, Z5, Z14, Z15)
	OACC2(16, Z6, Z7, Z16, Z17)
	OACC2(24, Z8, Z9, Z18, Z19)
	SUBQ R8, AX
	SUBQ R9, DX
	DECQ BX
	JNZ two4loop
	VMOVUPD Z0, K1, (DI)
	VMOVUPD Z1, K2, 64(DI)
	VMOVUPD Z4, K1, (DI)(R11*1)
	VMOVUPD Z5, K2, 64(DI)(R11*1)
	VMOVUPD Z6, K1, (R13)
	VMOVUPD Z7, K2, 64(R13)
	VMOVUPD Z8, K1, (R13)(R11*1)
	VMOVUPD Z9, K2, 64(R13)(R11*1)
	LEAQ (DI)(R11*4), DI
	ADDQ $32, SI
	SUBQ $4, R10
	JMP two4
two1:
	TESTQ R10, R10
	JZ odone
	VMOVUPD.Z (DI), K1, Z0
	VMOVUPD.Z 64(DI), K2, Z1
	MOVQ SI, AX
	MOVQ R12, DX
	MOVQ CX, BX
two1loop:
	VMOVUPD.Z (DX), K1, Z10
	VMOVUPD.Z 64(DX), K2, Z11
	OACC2(0, Z0, Z1, Z12, Z13)
	SUBQ R8, AX
	SUBQ R9, DX
	DECQ BX
	JNZ two1loop
	VMOVUPD Z0, K1, (DI)
	VMOVUPD Z1, K2, 64(DI)
	ADDQ R11, DI
	ADDQ $8, SI
	DECQ R10
	JMP two1

one4:
	CMPQ R10, $4
	JLT one1
	LEAQ (DI)(R11*2), R13
	VMOVUPD.Z (DI), K1, Z0
	VMOVUPD.Z (DI)(R11*1), K1, Z4
	VMOVUPD.Z (R13), K1, Z6
	VMOVUPD.Z (R13)(R11*1), K1, Z8
	MOVQ SI, AX
	MOVQ R12, DX
	MOVQ CX, BX
one4loop:
	VMOVUPD.Z (DX), K1, Z10
	OACC1(0, Z0, Z12)
	OACC1(8, Z4, Z14)
	OACC1(16, Z6, Z16)
	OACC1(24, Z8, Z18)
	SUBQ R8, AX
	SUBQ R9, DX
	DECQ BX
	JNZ one4loop
	VMOVUPD Z0, K1, (DI)
	VMOVUPD Z4, K1, (DI)(R11*1)
	VMOVUPD Z6, K1, (R13)
	VMOVUPD Z8, K1, (R13)(R11*1)
	LEAQ (DI)(R11*4), DI
	ADDQ $32, SI
	SUBQ $4, R10
	JMP one4
one1:
	TESTQ R10, R10
	JZ odone
	VMOVUPD.Z (DI), K1, Z0
	MOVQ SI, AX
	MOVQ R12, DX
	MOVQ CX, BX
one1loop:
	VMOVUPD.Z (DX), K1, Z10
	OACC1(0, Z0, Z12)
	SUBQ R8, AX
	SUBQ R9, DX
	DECQ BX
	JNZ one1loop
	VMOVUPD Z0, K1, (DI)
	ADDQ R11, DI
	ADDQ $8, SI
	DECQ R10
	JMP one1

bias:
	VMOVUPD.Z (DI), K1, Z0
	VMOVUPD.Z 64(DI), K2, Z1
	MOVQ R12, DX
bloop:
	VMOVUPD.Z (DX), K1, Z3
	VMOVUPD.Z 64(DX), K2, Z4
	VADDPD Z3, Z0, Z0
	VADDPD Z4, Z1, Z1
	SUBQ R9, DX
	DECQ CX
	JNZ bloop
	VMOVUPD Z0, K1, (DI)
	VMOVUPD Z1, K2, 64(DI)
odone:
	VZEROUPPER
	RET
