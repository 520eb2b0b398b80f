package linalg

import "fmt"

// Kernel names a micro-kernel path.
type Kernel int

// The kernel paths. Portable runs anywhere; the others need the CPU features
// in their names and exist on amd64 only.
const (
	Portable Kernel = iota + 1
	AVX2
	AVX512
)

func (k Kernel) String() string {
	switch k {
	case Portable:
		return "portable"
	case AVX2:
		return "avx2+fma"
	case AVX512:
		return "avx512"
	}
	return fmt.Sprintf("Kernel(%d)", int(k))
}

// Kernels returns the paths this CPU can run, fastest last.
func Kernels() []Kernel {
	ks := []Kernel{Portable}
	if hasAVX2() {
		ks = append(ks, AVX2)
	}
	if hasAVX512() {
		ks = append(ks, AVX512)
	}
	return ks
}

// Best returns the fastest path this CPU can run.
func Best() Kernel {
	ks := Kernels()
	return ks[len(ks)-1]
}

// micro is an MR×NR micro-kernel: given k, an MR-tall panel of A and an
// NR-wide panel of B, it sets the MR×NR tile at c (row stride ldc) to
// alpha·A·B + beta·c, not reading c when beta is 0. Step p of the panels is
// a[p·lda : p·lda+MR] and b[p·ldb : p·ldb+NR]: lda = MR and ldb = NR for
// packed panels, a row stride for a panel read in place.
type micro struct {
	mr, nr int
	fn     func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32)
	// half, when set, computes the left NR/2 columns of the tile and short
	// the top MR/3 rows, with the same sums as fn: edge tiles that narrow or
	// that short cost a half or a third of a full one.
	half, short func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32)
}

func (k Kernel) micro() micro {
	switch k {
	case Portable:
		return micro{mr: 4, nr: 4, fn: kernelGo}
	case AVX2:
		if hasAVX2() {
			return micro{mr: 6, nr: 16, fn: kernelAVX2}
		}
	case AVX512:
		if hasAVX512() {
			return micro{12, 32, kernelAVX512, kernelAVX512Half, kernelAVX512Short}
		}
	}
	panic(fmt.Sprintf("linalg: kernel %v is not available on this CPU", k))
}

// kernelGo is the portable 4×4 micro-kernel.
func kernelGo(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	a = a[:(k-1)*lda+4]
	b = b[:(k-1)*ldb+4]
	for p := 0; p < k; p++ {
		av := a[lda*p : lda*p+4 : lda*p+4]
		bv := b[ldb*p : ldb*p+4 : ldb*p+4]
		a0, a1, a2, a3 := av[0], av[1], av[2], av[3]
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	for i, acc := range [4][4]float32{{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}} {
		row := c[i*ldc : i*ldc+4]
		for j, v := range acc {
			if beta == 0 {
				row[j] = alpha * v
			} else {
				row[j] = alpha*v + beta*row[j]
			}
		}
	}
}
