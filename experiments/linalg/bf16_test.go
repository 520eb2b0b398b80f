package linalg

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestBF16Round(t *testing.T) {
	for _, c := range []struct{ in, want float32 }{
		{1, 1}, {-1, -1}, {0, 0},
		{1 + 0x1p-8, 1},                    // a tie: to even (down)
		{1 + 3*0x1p-8, 1 + 0x1p-6},         // a tie: to even (up)
		{1 + 0x1p-8 + 0x1p-20, 1 + 0x1p-7}, // above the tie
		{3.14159265, 3.140625},
		{float32(math.Inf(1)), float32(math.Inf(1))},
		{math.MaxFloat32, float32(math.Inf(1))}, // rounds past the largest bfloat16
	} {
		if got := BF16Round(c.in); got != c.want {
			t.Errorf("BF16Round(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if got := BF16Round(float32(math.NaN())); got == got {
		t.Errorf("BF16Round(NaN) = %v, want NaN", got)
	}
}

// TestMulBF16 compares BF16 multiplies, on every kernel path, with the
// float64 product of the operands rounded to bfloat16: the rounding of the
// operands is the only loss beyond float32 summation.
func TestMulBF16(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, s := range []struct{ m, n, k int }{{1, 1, 1}, {7, 33, 5}, {50, 80, 100}, {100, 64, 301}, {29, 45, 260}, {130, 70, 513}} {
		for _, ta := range []Op{NoTrans, Trans} {
			for _, tb := range []Op{NoTrans, Trans} {
				ar, ac := s.m, s.k
				if ta {
					ar, ac = s.k, s.m
				}
				br, bc := s.k, s.n
				if tb {
					br, bc = s.n, s.k
				}
				a, b, c0 := random(r, ar, ac, 2), random(r, br, bc, 1), random(r, s.m, s.n, 3)
				ra, rb := roundedCopy(a), roundedCopy(b)
				want, mag := reference(ta, tb, 0.75, ra, rb, 0.5, c0)
				eps := 2 * float64(s.k+2) * 0x1p-24
				for _, kern := range Kernels() {
					for _, threads := range []int{1, 2} {
						c := Matrix{Rows: c0.Rows, Cols: c0.Cols, Stride: c0.Stride, Data: append([]float32(nil), c0.Data...)}
						(&Gemm{Kernel: kern, Threads: threads, BF16: true}).Mul(ta, tb, 0.75, a, b, 0.5, c)
						for i := 0; i < s.m; i++ {
							for j := 0; j < s.n; j++ {
								if d := math.Abs(float64(c.At(i, j)) - want[i][j]); !(d <= eps*mag[i][j]+1e-30) {
									t.Fatalf("%v threads=%d %dx%dx%d ta=%v tb=%v: C[%d][%d] = %v, want %v", kern, threads, s.m, s.n, s.k, ta, tb, i, j, c.At(i, j), want[i][j])
								}
							}
						}
					}
				}
			}
		}
	}
}

func roundedCopy(x Matrix) Matrix {
	y := Matrix{Rows: x.Rows, Cols: x.Cols, Stride: x.Stride, Data: append([]float32(nil), x.Data...)}
	for i := 0; i < y.Rows; i++ {
		row := y.Row(i)
		for j, v := range row {
			row[j] = BF16Round(v)
		}
	}
	return y
}

// TestPairsVectorMatchesScalar checks the vector conversions against
// pairWord, on values that round both ways, ties, subnormals, infinities and
// NaNs, for lengths around the vector widths.
func TestPairsVectorMatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	special := []float32{0, float32(math.Copysign(0, -1)), 1 + 0x1p-8, 1 + 3*0x1p-8, 0x1p-130, -0x1p-140, float32(math.Inf(-1)), float32(math.NaN()), math.MaxFloat32}
	value := func(i int) float32 {
		if i%7 == 0 {
			return special[(i/7)%len(special)]
		}
		return float32(r.NormFloat64() * math.Exp(4*r.NormFloat64()))
	}
	for _, n := range []int{1, 15, 16, 31, 32, 33, 64, 100, 257} {
		lo, hi := make([]float32, n), make([]float32, n)
		for i := range lo {
			lo[i], hi[i] = value(2*i), value(2*i+1)
		}
		got := make([]float32, n)
		interleave(got, lo, hi)
		for j := range lo {
			if w := pairWord(lo[j], hi[j]); math.Float32bits(got[j]) != math.Float32bits(w) {
				t.Fatalf("interleave n=%d: word %d is %#x, want %#x (%v, %v)", n, j, math.Float32bits(got[j]), math.Float32bits(w), lo[j], hi[j])
			}
		}
		pairs := make([]float32, (n+1)/2)
		toPairs(pairs, lo)
		for q := range pairs {
			h := float32(0)
			if 2*q+1 < n {
				h = lo[2*q+1]
			}
			if w := pairWord(lo[2*q], h); math.Float32bits(pairs[q]) != math.Float32bits(w) {
				t.Fatalf("toPairs n=%d: word %d is %#x, want %#x", n, q, math.Float32bits(pairs[q]), math.Float32bits(w))
			}
		}
	}
}
