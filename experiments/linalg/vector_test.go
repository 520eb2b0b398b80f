package linalg

import (
	"math"
	"testing"
)

// TestAxpy checks both paths on lengths around the vector width, and that y
// beyond len(x) is untouched.
func TestAxpy(t *testing.T) {
	r := NewRand(3)
	for _, n := range []int{0, 1, 15, 31, 32, 33, 64, 100, 1027} {
		for _, vector := range []bool{false, true} {
			x, y := make([]float32, n), make([]float32, n+1)
			for i := range x {
				x[i], y[i] = float32(r.Normal()), float32(r.Normal())
			}
			y[n] = 42
			want := append([]float32(nil), y...)
			for i := range x {
				want[i] += -0.75 * x[i]
			}
			axpy(-0.75, x, y[:n], vector)
			for i := range want {
				// FMA rounds once, the reference twice: allow an ulp or so.
				if d := y[i] - want[i]; d > 1e-6 || d < -1e-6 {
					t.Fatalf("n=%d vector=%v: y[%d] = %v, want %v", n, vector, i, y[i], want[i])
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Axpy with a short y did not panic")
		}
	}()
	Axpy(1, make([]float32, 3), make([]float32, 2))
}

func BenchmarkAxpy(b *testing.B) {
	x, y := make([]float32, 1024*256), make([]float32, 1024*256)
	b.SetBytes(int64(12 * len(x)))
	for b.Loop() {
		Axpy(0.5, x, y)
	}
}

// The AVX-512 Adam step gives the Go loop's bits, over several steps and a
// length that leaves a tail.
func TestAdamVectorMatchesGo(t *testing.T) {
	const n = 16*7 + 5
	r := NewRand(3)
	mk := func() []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.Normal())
		}
		return v
	}
	p1, m11, m21 := mk(), make([]float32, n), make([]float32, n)
	p2, m12, m22 := append([]float32(nil), p1...), make([]float32, n), make([]float32, n)
	for step := 1; step <= 5; step++ {
		g := mk()
		c := NewAdamConsts(0.9, 0.999, 1e-3, 1e-8, step)
		adam(p1, g, m11, m21, &c, true)
		adam(p2, g, m12, m22, &c, false)
	}
	for i := range p1 {
		if math.Float32bits(p1[i]) != math.Float32bits(p2[i]) || m11[i] != m12[i] || m21[i] != m22[i] {
			t.Fatalf("element %d: vector %v %v %v, Go %v %v %v", i, p1[i], m11[i], m21[i], p2[i], m12[i], m22[i])
		}
	}
}

// Exp agrees with math.Exp to 3·10⁻⁷ relative, vector and scalar paths alike.
func TestExpVector(t *testing.T) {
	src := make([]float32, 16*5+3)
	for i := range src {
		src[i] = -30 + 40*float32(i)/float32(len(src))
	}
	for _, vector := range []bool{true, false} {
		dst := make([]float32, len(src))
		exp(dst, src, vector)
		for i, x := range src {
			want := math.Exp(float64(x))
			if rel := math.Abs(float64(dst[i])-want) / want; rel > 3e-7 {
				t.Fatalf("vector=%v: exp(%v) = %v, want %v (rel %g)", vector, x, dst[i], want, rel)
			}
		}
	}
}

// The AVX-512 transpose moves the same values as the Go loops, for row and
// column counts around the 4×16 blocks and strides wider than the rows.
func TestTransposeVectorMatchesGo(t *testing.T) {
	r := NewRand(9)
	for _, rows := range []int{1, 3, 4, 5, 8, 12, 13, 32} {
		for _, cols := range []int{1, 15, 16, 17, 40, 256} {
			stride, ld := cols+3, rows+2
			src := make([]float32, rows*stride)
			for i := range src {
				src[i] = float32(r.Normal())
			}
			want := make([]float32, cols*ld)
			got := make([]float32, cols*ld)
			transposeWith(want, ld, src, stride, rows, cols, false)
			transposeWith(got, ld, src, stride, rows, cols, true)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("rows %d cols %d: element %d is %v, want %v", rows, cols, i, got[i], want[i])
				}
			}
			for k := 0; k < cols; k++ {
				for i := 0; i < rows; i++ {
					if want[k*ld+i] != src[i*stride+k] {
						t.Fatalf("Go transpose wrong at (%d, %d)", i, k)
					}
				}
			}
		}
	}
}

// TestGatherRows copies chosen rows (repeats and a strided source
// included), leaves the rows past idx's first dst.Rows alone, and refuses
// mismatched shapes.
func TestGatherRows(t *testing.T) {
	src := NewMatrix(20, 40).Slice(0, 20, 3, 37) // stride 40, 34 columns
	for i := 0; i < src.Rows; i++ {
		for j := range src.Row(i) {
			src.Row(i)[j] = float32(100*i + j)
		}
	}
	dst := NewMatrix(4, 34)
	idx := []int{19, 0, 7, 7, 3, 11, 2, 5, 6, 8, 9, 1, 4}
	GatherRows(dst, src, idx)
	for k := 0; k < dst.Rows; k++ {
		for j, v := range dst.Row(k) {
			if want := float32(100*idx[k] + j); v != want {
				t.Fatalf("row %d column %d = %v, want %v", k, j, v, want)
			}
		}
	}
	for _, bad := range []func(){
		func() { GatherRows(NewMatrix(4, 33), src, idx) },
		func() { GatherRows(dst, src, idx[:3]) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("mismatched shapes: no panic")
				}
			}()
			bad()
		}()
	}
}
