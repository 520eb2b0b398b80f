package linalg

import "fmt"

// MaxDense64 is the widest layer Dense64 and OuterAcc64 take: two AVX-512
// registers of float64.
const MaxDense64 = 16

// Dense64 applies a small dense layer to rows rows of float64: for r < rows
// and j < n,
//
//	out[r·ldo+j] = bias[j] + in[r·ldi+0]·w[0·n+j] + … + in[r·ldi+k−1]·w[(k−1)·n+j]
//
// with w row-major k×n and n ≤ MaxDense64. With bias nil the sum starts at
// the first product. Each product is rounded before it is added, in order of
// i (no fused multiply–add), so every value is the plain loop's bit for bit,
// with or without AVX-512: callers may batch rows that a scalar loop did one
// at a time and keep their results. With pre and h not nil (laid out as out),
// a value whose pre ≤ 0 is then multiplied by h + 1 — the chain rule through
// h = ELU(pre), whose derivative there is e^pre = h + 1.
func Dense64(out []float64, ldo int, in []float64, ldi int, w, bias []float64, rows, k, n int, pre, h []float64) {
	if rows == 0 {
		return
	}
	if n < 1 || n > MaxDense64 || k < 1 || n > ldo || k > ldi || len(w) < k*n || (bias != nil && len(bias) < n) {
		panic(fmt.Sprintf("linalg: Dense64 with k=%d n=%d ldo=%d ldi=%d len(w)=%d len(bias)=%d", k, n, ldo, ldi, len(w), len(bias)))
	}
	last := (rows-1)*ldo + n
	_, _ = out[last-1], in[(rows-1)*ldi+k-1]
	if (pre == nil) != (h == nil) {
		panic("linalg: Dense64 with only one of pre and h")
	}
	if pre != nil {
		_, _ = pre[last-1], h[last-1]
	}
	dense64(out, ldo, in, ldi, w, bias, rows, k, n, pre, h, true)
}

// dense64Go is the portable Dense64.
func dense64Go(out []float64, ldo int, in []float64, ldi int, w, bias []float64, rows, k, n int, pre, h []float64) {
	for r := 0; r < rows; r++ {
		o := out[r*ldo : r*ldo+n : r*ldo+n]
		x := in[r*ldi : r*ldi+k : r*ldi+k]
		for j := range o {
			var s float64
			i := 0
			if bias != nil {
				s = bias[j]
			} else {
				s = x[0] * w[j]
				i = 1
			}
			for ; i < k; i++ {
				s += x[i] * w[i*n+j]
			}
			if pre != nil && pre[r*ldo+j] <= 0 {
				s *= h[r*ldo+j] + 1
			}
			o[j] = s
		}
	}
}

// OuterAcc64 adds the outer products of rows of a and b to the k×n matrix g
// (row-major, n ≤ MaxDense64), taking the rows from the last to the first —
// the order of a backward pass over rows a forward pass took first to last:
//
//	for r = rows−1 … 0:  g[i·n+j] += a[r·lda+i]·b[r·ldb+j]
//
// With a nil, k must be 1 and g[j] += b[r·ldb+j] (a bias gradient). As for
// Dense64, products are rounded before they are added, so the sums are the
// plain loop's bit for bit.
func OuterAcc64(g, a []float64, lda int, b []float64, ldb int, rows, k, n int) {
	if rows == 0 {
		return
	}
	if n < 1 || n > MaxDense64 || k < 1 || n > ldb || len(g) < k*n || (a == nil && k != 1) || (a != nil && k > lda) {
		panic(fmt.Sprintf("linalg: OuterAcc64 with k=%d n=%d lda=%d ldb=%d len(g)=%d", k, n, lda, ldb, len(g)))
	}
	_ = b[(rows-1)*ldb+n-1]
	if a != nil {
		_ = a[(rows-1)*lda+k-1]
	}
	outerAcc64(g, a, lda, b, ldb, rows, k, n, true)
}

// outerAcc64Go is the portable OuterAcc64.
func outerAcc64Go(g, a []float64, lda int, b []float64, ldb int, rows, k, n int) {
	for r := rows - 1; r >= 0; r-- {
		y := b[r*ldb : r*ldb+n : r*ldb+n]
		if a == nil {
			gr := g[:n:n]
			for j, v := range y {
				gr[j] += v
			}
			continue
		}
		for i := 0; i < k; i++ {
			ai := a[r*lda+i]
			gr := g[i*n : i*n+n : i*n+n]
			for j, v := range y {
				gr[j] += ai * v
			}
		}
	}
}
