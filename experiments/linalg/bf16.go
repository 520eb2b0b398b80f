package linalg

import (
	"math"
	"sync"
)

// BF16Round returns x rounded to the nearest bfloat16 (ties to even), as a
// float32. NaNs stay NaNs.
func BF16Round(x float32) float32 {
	return math.Float32frombits(uint32(bf16Bits(x)) << 16)
}

// bf16Bits returns the bfloat16 nearest x (ties to even), with subnormals
// flushed to a signed zero as VCVTNE2PS2BF16 does.
func bf16Bits(x float32) uint16 {
	b := math.Float32bits(x)
	switch {
	case b&0x7fffffff > 0x7f800000:
		return uint16(b>>16) | 0x40 // a quiet NaN
	case b&0x7f800000 == 0:
		return uint16(b>>16) & 0x8000
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

// pairWord packs the bfloat16 values of lo and hi into one 32-bit element,
// lo in the lower half, as VDPBF16PS reads a pair.
func pairWord(lo, hi float32) float32 {
	return math.Float32frombits(uint32(bf16Bits(lo)) | uint32(bf16Bits(hi))<<16)
}

// bfOperands holds the rounded operands of one BF16 multiply.
type bfOperands struct {
	a, b []float32
}

// bf16 rewrites p for bfloat16 operands. With the BF16 kernel, op(A) and
// op(B) become matrices of pairs — element (i, q) of op(A)'s holds op(A)[i,
// 2q] and op(A)[i, 2q+1], element (q, j) of op(B)'s holds op(B)[2q, j] and
// op(B)[2q+1, j] (a zero pads an odd k) — stored so that the float32 packing
// (which moves 32-bit elements) and in-place reading serve them unchanged,
// and k counts pairs. Otherwise the operands are replaced by their rounded
// copies. It returns the buffers that hold them, for the pool once the
// multiply is done.
func (g *Gemm) bf16(p *problem, kern Kernel, threads int) *bfOperands {
	ops, _ := g.bfPool.Get().(*bfOperands)
	if ops == nil {
		ops = &bfOperands{}
	}
	grow := func(buf *[]float32, n int) []float32 {
		if cap(*buf) < n {
			*buf = make([]float32, n)
		}
		return (*buf)[:n]
	}
	if kern != AVX512 || !hasAVX512BF16() {
		round := func(x Matrix, buf *[]float32) Matrix {
			y := Matrix{Rows: x.Rows, Cols: x.Cols, Stride: x.Cols, Data: grow(buf, x.Rows*x.Cols)}
			for i := 0; i < x.Rows; i++ {
				dst := y.Row(i)
				for j, v := range x.Row(i) {
					dst[j] = BF16Round(v)
				}
			}
			return y
		}
		p.a, p.b = round(p.a, &ops.a), round(p.b, &ops.b)
		return ops
	}
	kp := (p.k + 1) / 2
	// pairsAlongRows: element (i, q) = x[i][2q], x[i][2q+1]; x's rows run along k.
	pairsAlongRows := func(x Matrix, buf *[]float32) Matrix {
		y := Matrix{Rows: x.Rows, Cols: kp, Stride: kp, Data: grow(buf, x.Rows*kp)}
		inParallel(x.Rows, x.Cols, threads, func(i0, i1 int) {
			for i := i0; i < i1; i++ {
				toPairs(y.Row(i), x.Row(i))
			}
		})
		return y
	}
	// pairsOfRows: element (q, j) = x[2q][j], x[2q+1][j]; x's columns run along k.
	pairsOfRows := func(x Matrix, buf *[]float32) Matrix {
		y := Matrix{Rows: kp, Cols: x.Cols, Stride: x.Cols, Data: grow(buf, kp*x.Cols)}
		inParallel(kp, 2*x.Cols, threads, func(q0, q1 int) {
			for q := q0; q < q1; q++ {
				var hi []float32
				if 2*q+1 < x.Rows {
					hi = x.Row(2*q + 1)
				}
				interleave(y.Row(q), x.Row(2*q), hi)
			}
		})
		return y
	}
	if p.ta == NoTrans {
		p.a = pairsAlongRows(p.a, &ops.a)
	} else {
		p.a = pairsOfRows(p.a, &ops.a)
	}
	if p.tb == NoTrans {
		p.b = pairsOfRows(p.b, &ops.b)
	} else {
		p.b = pairsAlongRows(p.b, &ops.b)
	}
	p.k = kp
	p.mk = micro{mr: 12, nr: 32, fn: kernelAVX512BF16}
	return ops
}

// inParallel calls f on ranges of [0, n) over up to threads goroutines, each
// range at least 64 Ki values of work (n items of `per` values each).
func inParallel(n, per, threads int, f func(lo, hi int)) {
	parts := min(threads, max(1, n*per/(1<<16)))
	if parts <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for t := 0; t < parts; t++ {
		lo, hi := t*n/parts, (t+1)*n/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}

// toPairs sets dst[q] to the pair (src[2q], src[2q+1]), zero past src's end.
func toPairs(dst, src []float32) {
	done := pairsVector(dst, src)
	dst, src = dst[done/2:], src[done:]
	n := len(src) / 2
	for q := 0; q < n; q++ {
		dst[q] = pairWord(src[2*q], src[2*q+1])
	}
	if len(src)%2 == 1 {
		dst[n] = pairWord(src[2*n], 0)
	}
}

// interleave sets dst[j] to the pair (lo[j], hi[j]), with zeros when hi is nil.
func interleave(dst, lo, hi []float32) {
	if hi == nil {
		for j, v := range lo {
			dst[j] = pairWord(v, 0)
		}
		return
	}
	hi = hi[:len(lo)]
	done := interleaveVector(dst, lo, hi)
	for j := done; j < len(lo); j++ {
		dst[j] = pairWord(lo[j], hi[j])
	}
}
