package linalg

import "testing"

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
