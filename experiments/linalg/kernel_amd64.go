package linalg

import "golang.org/x/sys/cpu"

func hasAVX2() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

func hasAVX512() bool { return cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL }

// The assembly kernels take pointers; these wrappers check the slice lengths
// the kernels will touch, so a packing bug panics instead of corrupting memory.

func kernelAVX2(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	_ = a[(k-1)*lda+5]
	_ = b[(k-1)*ldb+15]
	_ = c[5*ldc+15]
	sgemm6x16(k, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta)
}

func kernelAVX512(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	_ = a[(k-1)*lda+11]
	_ = b[(k-1)*ldb+31]
	_ = c[11*ldc+31]
	sgemm12x32(k, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta)
}

//go:noescape
func sgemm6x16(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemm12x32(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
