package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// random returns a rows×cols view with the given extra stride padding, its
// padding filled with NaN so that reading outside the view shows.
func random(r *rand.Rand, rows, cols, pad int) Matrix {
	m := Matrix{Rows: rows, Cols: cols, Stride: cols + pad, Data: make([]float32, rows*(cols+pad))}
	for i := range m.Data {
		m.Data[i] = float32(math.NaN())
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			m.Set(i, j, float32(r.NormFloat64()))
		}
	}
	return m
}

// reference computes alpha·op(A)·op(B) + beta·C in float64, with the sum of
// |terms| for the error bound.
func reference(ta, tb Op, alpha float32, a, b Matrix, beta float32, c Matrix) (want, mag [][]float64) {
	at := func(x Matrix, t Op, i, j int) float64 {
		if t {
			return float64(x.At(j, i))
		}
		return float64(x.At(i, j))
	}
	k := a.Cols
	if ta {
		k = a.Rows
	}
	want, mag = make([][]float64, c.Rows), make([][]float64, c.Rows)
	for i := 0; i < c.Rows; i++ {
		want[i], mag[i] = make([]float64, c.Cols), make([]float64, c.Cols)
		for j := 0; j < c.Cols; j++ {
			var s, m float64
			for p := 0; p < k; p++ {
				t := at(a, ta, i, p) * at(b, tb, p, j)
				s += t
				m += math.Abs(t)
			}
			want[i][j] = float64(alpha) * s
			mag[i][j] = math.Abs(float64(alpha)) * m
			if beta != 0 {
				want[i][j] += float64(beta) * float64(c.At(i, j))
				mag[i][j] += math.Abs(float64(beta) * float64(c.At(i, j)))
			}
		}
	}
	return want, mag
}

// check multiplies with every kernel path and thread count and compares with
// the float64 reference within float32 rounding: |err| ≤ 2(k+2)·ε·Σ|terms|.
func check(t *testing.T, r *rand.Rand, m, n, k int, ta, tb Op, alpha, beta float32, pad int) {
	t.Helper()
	ar, ac := m, k
	if ta {
		ar, ac = k, m
	}
	br, bc := k, n
	if tb {
		br, bc = n, k
	}
	a, b := random(r, ar, ac, pad), random(r, br, bc, pad)
	c0 := random(r, m, n, pad)
	want, mag := reference(ta, tb, alpha, a, b, beta, c0)
	eps := 2 * float64(k+2) * 0x1p-24
	for _, kern := range Kernels() {
		for _, threads := range []int{1, 2, 3} {
			c := Matrix{Rows: m, Cols: n, Stride: c0.Stride, Data: append([]float32(nil), c0.Data...)}
			if beta == 0 {
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						c.Set(i, j, float32(math.NaN())) // must not be read
					}
				}
			}
			g := &Gemm{Kernel: kern, Threads: threads}
			g.Mul(ta, tb, alpha, a, b, beta, c)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					got := float64(c.At(i, j))
					if d := math.Abs(got - want[i][j]); !(d <= eps*mag[i][j]+1e-30) {
						t.Fatalf("%v threads=%d m=%d n=%d k=%d ta=%v tb=%v α=%v β=%v pad=%d: C[%d][%d] = %v, want %v",
							kern, threads, m, n, k, ta, tb, alpha, beta, pad, i, j, got, want[i][j])
					}
				}
				// Padding of C is untouched.
				for j := n; j < c.Stride && i < m-1; j++ {
					if v := c.Data[i*c.Stride+j]; !math.IsNaN(float64(v)) {
						t.Fatalf("%v: padding C[%d][%d] written", kern, i, j)
					}
				}
			}
		}
	}
}

func TestMulAwkwardSizes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := []int{1, 7, 17, 33, 255}
	for _, m := range sizes {
		for _, n := range sizes {
			for _, k := range []int{1, 7, 300} {
				for _, ta := range []Op{NoTrans, Trans} {
					for _, tb := range []Op{NoTrans, Trans} {
						if m*n*k > 255*255*7 && (ta || tb) {
							continue // the large ones once, untransposed
						}
						check(t, r, m, n, k, ta, tb, 1, 0, 0)
					}
				}
			}
		}
	}
}

func TestMulAlphaBetaStrided(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		alpha, beta float32
		pad         int
	}{{1, 1, 0}, {-0.5, 2, 3}, {2, 0, 5}, {1, -1, 1}, {0.25, 0.5, 16}} {
		for _, ta := range []Op{NoTrans, Trans} {
			for _, tb := range []Op{NoTrans, Trans} {
				check(t, r, 29, 45, 260, ta, tb, c.alpha, c.beta, c.pad)
			}
		}
	}
}

// Sizes that cross the cache blocks (kc = 256, mc = 192, nc = 4096 is not
// crossed here: that needs a 4097-wide C).
func TestMulLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	r := rand.New(rand.NewPCG(5, 6))
	check(t, r, 1000, 70, 600, NoTrans, NoTrans, 1, 0, 0)
	check(t, r, 200, 1000, 513, Trans, Trans, 1, 0.5, 2)
	check(t, r, 3, 4100, 5, NoTrans, Trans, 1, 0, 0)
}

// alpha = 0 or k = 0 scales C by beta without reading A or B.
func TestMulDegenerate(t *testing.T) {
	c := NewMatrix(2, 3)
	for i := range c.Data {
		c.Data[i] = 2
	}
	g := &Gemm{}
	g.Mul(NoTrans, NoTrans, 1, NewMatrix(2, 0), NewMatrix(0, 3), 0.5, c)
	for _, v := range c.Data {
		if v != 1 {
			t.Fatalf("k = 0: C = %v, want 0.5·2", c.Data)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("mismatched shapes did not panic")
		}
	}()
	g.Mul(NoTrans, NoTrans, 1, NewMatrix(2, 4), NewMatrix(3, 3), 0, c)
}

// Results do not depend on the thread count: bit-identical.
func TestMulDeterministicAcrossThreads(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	a, b := random(r, 300, 520, 0), random(r, 520, 700, 0)
	var first []float32
	for _, threads := range []int{1, 2, 5} {
		c := NewMatrix(300, 700)
		(&Gemm{Threads: threads}).Mul(NoTrans, NoTrans, 1, a, b, 0, c)
		if first == nil {
			first = c.Data
			continue
		}
		for i := range first {
			if first[i] != c.Data[i] {
				t.Fatalf("threads=%d: element %d differs", threads, i)
			}
		}
	}
}

func FuzzMul(f *testing.F) {
	f.Add(uint8(5), uint8(9), uint8(13), false, true, uint8(0), uint64(1))
	f.Add(uint8(1), uint8(33), uint8(1), true, false, uint8(2), uint64(2))
	f.Fuzz(func(t *testing.T, m, n, k uint8, ta, tb bool, pad uint8, seed uint64) {
		if m == 0 || n == 0 || k == 0 {
			return
		}
		r := rand.New(rand.NewPCG(seed, 1))
		check(t, r, int(m)%70+1, int(n)%70+1, int(k)%300+1, Op(ta), Op(tb), 1.5, float32(seed%3)-1, int(pad)%5)
	})
}

func BenchmarkMul(b *testing.B) {
	for _, s := range BenchShapes() {
		for _, kern := range Kernels() {
			if kern == Portable && s.M*s.N*s.K > 1<<28 {
				continue
			}
			for _, v := range []struct {
				threads int
				bf16    bool
			}{{1, false}, {2, false}, {1, true}} {
				name := kern.String()
				if v.bf16 {
					name += "-bf16"
				}
				b.Run(fmt.Sprintf("%s/%s/threads=%d", s.Name, name, v.threads), func(b *testing.B) {
					r := rand.New(rand.NewPCG(1, 1))
					x, y, c := s.Operands(r)
					g := &Gemm{Kernel: kern, Threads: v.threads, BF16: v.bf16}
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						g.Mul(s.TA, s.TB, 1, x, y, 0, c)
					}
					b.ReportMetric(2*float64(s.M*s.N*s.K)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// TestMulInPlaceMatchesPacked checks that reading operands' panels in place
// and computing edge tiles with the narrower kernels give the bits that
// packing and the full kernel give.
func TestMulInPlaceMatchesPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range []struct{ m, n, k int }{{50, 80, 100}, {100, 64, 50}, {13, 97, 33}, {24, 64, 256}, {100, 96, 600}, {300, 64, 300}, {3, 16, 40}, {50, 60, 80}} {
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
				a, b := random(r, ar, ac, 3), random(r, br, bc, 5)
				for _, kern := range Kernels() {
					for _, ab := range [][2]float32{{0.5, 0}, {1, 1}, {0.5, 1}, {1, -1}, {0.7, 0.3}} {
						direct := random(r, s.m, s.n, 7)
						packed := direct
						packed.Data = append([]float32(nil), direct.Data...)
						(&Gemm{Kernel: kern, Threads: 1}).Mul(ta, tb, ab[0], a, b, ab[1], direct)
						(&Gemm{Kernel: kern, Threads: 1, plain: true}).Mul(ta, tb, ab[0], a, b, ab[1], packed)
						for i, v := range direct.Data {
							if math.Float32bits(v) != math.Float32bits(packed.Data[i]) {
								t.Fatalf("%v %dx%dx%d ta=%v tb=%v α=%v β=%v: element %d is %v in place, %v packed", kern, s.m, s.n, s.k, ta, tb, ab[0], ab[1], i, v, packed.Data[i])
							}
						}
					}
				}
			}
		}
	}
}
