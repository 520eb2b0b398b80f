package cli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/kadanoff/kadanoff/experiments/linalg"
)

// numpyGemmScript times numpy.matmul on float32 operands of the shapes given
// as "m,k,n,ta,tb" arguments (ta, tb = 1 for a transposed view) and prints the
// BLAS library numpy loaded, then GFLOP/s per shape.
const numpyGemmScript = `
import sys, time, numpy as np
dur = float(sys.argv[1])
out = []
for spec in sys.argv[2:]:
    m, k, n, ta, tb = spec.split(",")
    m, k, n = int(m), int(k), int(n)
    rng = np.random.default_rng(1)
    a = rng.random((k, m) if ta == "1" else (m, k), dtype=np.float32)
    b = rng.random((n, k) if tb == "1" else (k, n), dtype=np.float32)
    A = a.T if ta == "1" else a
    B = b.T if tb == "1" else b
    c = np.empty((m, n), dtype=np.float32)
    for _ in range(3): np.matmul(A, B, out=c)
    it, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < dur:
        np.matmul(A, B, out=c); it += 1
    out.append(2.0 * m * n * k * it / (time.perf_counter() - t0) / 1e9)
lib = "unknown BLAS"
for line in open("/proc/self/maps"):
    if "blas" in line.lower() or "mkl" in line.lower():
        lib = line.split()[-1]; break
print(lib)
print(" ".join("%.6g" % x for x in out))
`

// numpyGemm returns the GFLOP/s numpy reaches on shapes with the given thread
// count, and the name of its BLAS; nil when numpy is not available.
func numpyGemm(ctx context.Context, o benchOptions, shapes []linalg.Shape, threads int) ([]float64, string) {
	args := []string{strconv.FormatFloat(o.time.Seconds(), 'g', -1, 64)}
	b2i := func(o linalg.Op) int {
		if o {
			return 1
		}
		return 0
	}
	for _, s := range shapes {
		args = append(args, fmt.Sprintf("%d,%d,%d,%d,%d", s.M, s.K, s.N, b2i(s.TA), b2i(s.TB)))
	}
	out, err := o.python(ctx, numpyGemmScript, args, threads)
	if err != nil {
		return nil, ""
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		return nil, ""
	}
	var vals []float64
	for _, f := range strings.Fields(lines[1]) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, ""
		}
		vals = append(vals, v)
	}
	if len(vals) != len(shapes) {
		return nil, ""
	}
	lib := "numpy"
	switch l := strings.ToLower(lines[0]); {
	case strings.Contains(l, "openblas"):
		lib = "numpy/OpenBLAS"
	case strings.Contains(l, "mkl"):
		lib = "numpy/MKL"
	case strings.Contains(l, "blas"):
		lib = "numpy/reference BLAS"
	}
	return vals, lib
}

// benchGemm measures the float32 multiply on the shapes of RBM training, on 1
// and 2 threads, beside numpy's BLAS on the same shapes and thread counts.
func benchGemm(ctx context.Context, o benchOptions) []benchRow {
	shapes := linalg.BenchShapes()
	if o.quick {
		shapes = []linalg.Shape{{Name: "64x128x96", M: 64, K: 128, N: 96}}
	}
	kern := linalg.Best()
	gflops := func(g *linalg.Gemm, s linalg.Shape) float64 {
		a, b, c := s.Operands(rand.New(rand.NewPCG(1, 2)))
		mul := func() { g.Mul(s.TA, s.TB, 1, a, b, 0, c) }
		mul()
		return perSecond(o.time, mul) * 2 * float64(s.M*s.N*s.K) / 1e9
	}
	var rows []benchRow
	oneThread := map[string]float64{} // float32 GFLOP/s on one thread, by shape
	for _, threads := range []int{1, 2} {
		ref, lib := numpyGemm(ctx, o, shapes, threads)
		g := &linalg.Gemm{Kernel: kern, Threads: threads}
		for i, s := range shapes {
			v := gflops(g, s)
			if threads == 1 {
				oneThread[s.Name] = v
			}
			row := benchRow{Kernel: fmt.Sprintf("kadanoff %v, %d thread(s)", kern, threads), Size: s.Name, Metric: "GFLOP/s", Value: v}
			if ref != nil {
				row.Ratio, row.Reference = v/ref[i], lib
				rows = append(rows, row, benchRow{Kernel: fmt.Sprintf("%s, %d thread(s)", lib, threads), Size: s.Name, Metric: "GFLOP/s", Value: ref[i]})
			} else {
				rows = append(rows, row)
			}
		}
	}
	// The bfloat16 products (float32 sums) that RBM training may use, on one
	// thread, against the float32 multiply measured above.
	g := &linalg.Gemm{Kernel: kern, Threads: 1, BF16: true}
	for _, s := range shapes {
		v := gflops(g, s)
		rows = append(rows, benchRow{Kernel: fmt.Sprintf("kadanoff %v bf16 products, 1 thread(s)", kern), Size: s.Name, Metric: "GFLOP/s", Value: v,
			Ratio: v / oneThread[s.Name], Reference: "kadanoff float32"})
	}
	return rows
}
