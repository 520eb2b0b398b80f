package linalg

import "golang.org/x/sys/cpu"

func hasAVX2() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

func hasAVX512() bool { return cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL }

func hasAVX512BF16() bool { return hasAVX512() && cpu.X86.HasAVX512BF16 }

// The assembly kernels take pointers; their wrappers check the slice lengths
// an mr×nr kernel will touch, so a packing bug panics instead of corrupting
// memory.
func checkTile(k int, a []float32, lda, mr int, b []float32, ldb, nr int, c []float32, ldc int) {
	_ = a[(k-1)*lda+mr-1]
	_ = b[(k-1)*ldb+nr-1]
	_ = c[(mr-1)*ldc+nr-1]
}

func kernelAVX2(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	checkTile(k, a, lda, 6, b, ldb, 16, c, ldc)
	sgemm6x16(k, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta)
}

func kernelAVX512(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	checkTile(k, a, lda, 12, b, ldb, 32, c, ldc)
	sgemm12x32(k, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta)
}

func kernelAVX512BF16(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	checkTile(k, a, lda, 12, b, ldb, 32, c, ldc)
	sbgemm12x32(k, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta)
}

func kernelAVX512Half(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	checkTile(k, a, lda, 12, b, ldb, 16, c, ldc)
	sgemm12x16(k, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta)
}

func kernelAVX512Short(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	checkTile(k, a, lda, 4, b, ldb, 32, c, ldc)
	sgemm4x32(k, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta)
}

//go:noescape
func sgemm12x16(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemm4x32(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sbgemm12x32(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemm6x16(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemm12x32(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// pairsVector converts the longest prefix of src that the vector loop takes
// (a multiple of 32 values) into pairs in dst, returning its length.
func pairsVector(dst, src []float32) int {
	n := len(src) &^ 31
	if n == 0 || !hasAVX512BF16() {
		return 0
	}
	_ = dst[n/2-1]
	pairsAVX512(&dst[0], &src[0], n)
	return n
}

// interleaveVector interleaves the longest prefix of lo and hi that the
// vector loop takes (a multiple of 16 values) into dst, returning its length.
func interleaveVector(dst, lo, hi []float32) int {
	n := len(lo) &^ 15
	if n == 0 || !hasAVX512BF16() {
		return 0
	}
	_, _ = dst[n-1], hi[n-1]
	// The words of (lo[j], hi[j]) among the 16 bfloat16 of lo followed by
	// the 16 of hi.
	idx := [32]uint16{0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31}
	interleaveAVX512(&dst[0], &lo[0], &hi[0], n, &idx[0])
	return n
}

//go:noescape
func pairsAVX512(dst, src *float32, n int)

//go:noescape
func interleaveAVX512(dst, lo, hi *float32, n int, idx *uint16)
