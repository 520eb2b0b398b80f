// Package linalg provides the float32 dense kernels of network training: a
// general matrix multiply (GEMM) with assembly micro-kernels for amd64
// (AVX-512 or AVX2+FMA, chosen at run time) and a portable Go path, and
// branch-free element-wise activations and Bernoulli sampling.
//
// The GEMM follows the BLIS design: B is packed into kc×nc blocks of NR-wide
// column panels, A into mc×kc blocks of MR-tall row panels, and an MR×NR
// micro-kernel accumulates a tile of C in registers over kc. Work is split over
// threads by column (or row) ranges of C, each thread packing its own blocks,
// so results do not depend on the thread count: every element of C is the
// same sum in the same order whatever the split.
package linalg

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// Matrix is a row-major view of float32 values: element (i, j) is
// Data[i*Stride+j]. Views of a larger matrix share its Data.
type Matrix struct {
	Rows, Cols, Stride int
	Data               []float32
}

// NewMatrix returns a zeroed rows×cols matrix.
func NewMatrix(rows, cols int) Matrix {
	return Matrix{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
}

// At returns element (i, j).
func (m Matrix) At(i, j int) float32 { return m.Data[i*m.Stride+j] }

// Set sets element (i, j).
func (m Matrix) Set(i, j int, v float32) { m.Data[i*m.Stride+j] = v }

// Row returns row i.
func (m Matrix) Row(i int) []float32 { return m.Data[i*m.Stride : i*m.Stride+m.Cols] }

// Slice returns the view of rows [r0, r1) and columns [c0, c1).
func (m Matrix) Slice(r0, r1, c0, c1 int) Matrix {
	if r0 < 0 || r1 > m.Rows || c0 < 0 || c1 > m.Cols || r0 > r1 || c0 > c1 {
		panic(fmt.Sprintf("linalg: slice [%d:%d, %d:%d] of %d×%d", r0, r1, c0, c1, m.Rows, m.Cols))
	}
	if r0 == r1 || c0 == c1 {
		return Matrix{Rows: r1 - r0, Cols: c1 - c0, Stride: m.Stride}
	}
	return Matrix{Rows: r1 - r0, Cols: c1 - c0, Stride: m.Stride, Data: m.Data[r0*m.Stride+c0 : (r1-1)*m.Stride+c1]}
}

func (m Matrix) check(name string) {
	if m.Rows < 0 || m.Cols < 0 || (m.Rows > 1 && m.Stride < m.Cols) {
		panic(fmt.Sprintf("linalg: %s is %d×%d with stride %d", name, m.Rows, m.Cols, m.Stride))
	}
	if m.Rows > 0 && m.Cols > 0 && len(m.Data) < (m.Rows-1)*m.Stride+m.Cols {
		panic(fmt.Sprintf("linalg: %s is %d×%d with stride %d but holds %d values", name, m.Rows, m.Cols, m.Stride, len(m.Data)))
	}
}

// Op says whether an operand is used as stored or transposed.
type Op bool

// The operand forms.
const (
	NoTrans Op = false
	Trans   Op = true
)

// Gemm is a configured matrix multiplier. The zero value uses the fastest
// kernel the CPU supports and every core.
type Gemm struct {
	// Kernel is the micro-kernel path; the zero value means Best().
	Kernel Kernel
	// Threads is the most goroutines one multiply uses; 0 means GOMAXPROCS.
	Threads int
	// Limit, when set, replaces Threads and is read at every multiply, so a
	// long computation follows a thread share that changes while it runs.
	// Results do not depend on the thread count.
	Limit func() int

	// BF16, when set, rounds op(A) and op(B) to bfloat16 (8 significant
	// bits, round to nearest even) and sums their products in float32: with
	// the AVX-512 BF16 dot product, where the CPU has it and Kernel is
	// AVX512, at about twice the float32 rate; elsewhere the rounded operands
	// go through the float32 kernel. Operands that are exact in bfloat16
	// (0 and ±1, say) lose nothing.
	BF16 bool

	pool   sync.Pool // *workspace
	bfPool sync.Pool // *bfOperands
	// plain packs every panel and computes edge tiles with the full kernel:
	// tests compare it with reading in place and the edge kernels.
	plain bool
}

// Float32 returns a multiplier with g's kernel and threads and float32
// operands.
func (g *Gemm) Float32() *Gemm {
	return &Gemm{Kernel: g.Kernel, Threads: g.Threads, Limit: g.Limit}
}

// workspace holds one thread's packing buffers.
type workspace struct {
	a, b []float32
	tile []float32
}

// Mul computes C = alpha·op(A)·op(B) + beta·C, where op(X) is X or Xᵀ. op(A)
// must be m×k, op(B) k×n and C m×n; it panics otherwise. When beta is 0, C is
// not read (NaNs in it do not propagate).
func (g *Gemm) Mul(ta, tb Op, alpha float32, a, b Matrix, beta float32, c Matrix) {
	a.check("A")
	b.check("B")
	c.check("C")
	m, k := a.Rows, a.Cols
	if ta {
		m, k = k, m
	}
	kb, n := b.Rows, b.Cols
	if tb {
		kb, n = n, kb
	}
	if kb != k || c.Rows != m || c.Cols != n {
		panic(fmt.Sprintf("linalg: Mul of op(A) %d×%d by op(B) %d×%d into C %d×%d", m, k, kb, n, c.Rows, c.Cols))
	}
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scale(c, beta)
		return
	}
	kern := g.Kernel
	if kern == 0 {
		kern = Best()
	}
	mk := kern.micro()
	if g.plain {
		mk.half, mk.short = nil, nil
	}
	threads := g.Threads
	if g.Limit != nil {
		threads = g.Limit()
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	p := problem{ta: ta, tb: tb, alpha: alpha, beta: beta, a: a, b: b, c: c, m: m, n: n, k: k, mk: mk}
	if g.BF16 {
		defer g.bfPool.Put(g.bf16(&p, kern, threads))
	}
	// Split the longer side of C into thread ranges of whole panels, so that
	// each thread has at least minWork multiply-adds.
	const minWork = 1 << 18
	var parts int
	if n >= m {
		parts = min(threads, (n+mk.nr-1)/mk.nr, max(1, m*n*k/minWork))
	} else {
		parts = min(threads, (m+mk.mr-1)/mk.mr, max(1, m*n*k/minWork))
	}
	if parts <= 1 {
		g.run(&p, 0, m, 0, n)
		return
	}
	var wg sync.WaitGroup
	var panicked atomic.Pointer[workerPanic]
	for t := 0; t < parts; t++ {
		var i0, i1, j0, j1 int
		if n >= m {
			panels := (n + mk.nr - 1) / mk.nr
			i0, i1 = 0, m
			j0, j1 = min(n, t*panels/parts*mk.nr), min(n, (t+1)*panels/parts*mk.nr)
		} else {
			panels := (m + mk.mr - 1) / mk.mr
			i0, i1 = min(m, t*panels/parts*mk.mr), min(m, (t+1)*panels/parts*mk.mr)
			j0, j1 = 0, n
		}
		if i0 == i1 || j0 == j1 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					panicked.CompareAndSwap(nil, &workerPanic{r, debug.Stack()})
				}
			}()
			g.run(&p, i0, i1, j0, j1)
		}()
	}
	wg.Wait()
	if wp := panicked.Load(); wp != nil {
		// On the caller's goroutine, where the step that called us recovers it.
		panic(fmt.Sprintf("linalg: GEMM worker: %v\n%s", wp.value, wp.stack))
	}
}

// workerPanic is a panic caught in a GEMM worker goroutine.
type workerPanic struct {
	value any
	stack []byte
}

// problem is one multiply.
type problem struct {
	ta, tb      Op
	alpha, beta float32
	a, b, c     Matrix
	m, n, k     int
	mk          micro
}

// Block sizes: a kc×NR panel of B stays in L1, an mc×kc block of A in L2, a
// kc×nc block of B in L3.
const (
	kc = 256
	mc = 192
	nc = 4096
)

// run computes rows [i0, i1) × columns [j0, j1) of C.
func (g *Gemm) run(p *problem, i0, i1, j0, j1 int) {
	mk := p.mk
	ws, _ := g.pool.Get().(*workspace)
	if ws == nil {
		ws = &workspace{}
	}
	defer g.pool.Put(ws)
	mcb := mc / mk.mr * mk.mr
	kmax := min(kc, p.k)
	if need := min(mcb, i1-i0+mk.mr) * kmax; len(ws.a) < need {
		ws.a = make([]float32, need)
	}
	if need := kmax * min(nc+mk.nr, j1-j0+mk.nr); len(ws.b) < need {
		ws.b = make([]float32, need)
	}
	if need := mk.mr * mk.nr; len(ws.tile) < need {
		ws.tile = make([]float32, need)
	}
	// Small operands whose panels already lie as the kernel reads them (rows
	// of B; columns of A stored transposed) are read in place, their full
	// panels unpacked: the same products in the same order, without the copy
	// that dominates small multiplies. Large ones are packed for the caches
	// and the TLB.
	directB := p.tb == NoTrans && (kmax*p.b.Stride*4 <= directBytes || i1-i0 <= directRows) && !g.plain
	directA := p.ta == Trans && kmax*p.a.Stride*4 <= directBytes && !g.plain
	for jc := j0; jc < j1; jc += nc {
		nb := min(nc, j1-jc)
		for pc := 0; pc < p.k; pc += kc {
			kb := min(kc, p.k-pc)
			beta := p.beta
			if pc > 0 {
				beta = 1
			}
			packB(ws.b, p.b, p.tb, pc, kb, jc, nb, mk.nr, directB)
			for ic := i0; ic < i1; ic += mcb {
				mb := min(mcb, i1-ic)
				packA(ws.a, p.a, p.ta, ic, mb, pc, kb, mk.mr, directA)
				for jr := 0; jr < nb; jr += mk.nr {
					nr := min(mk.nr, nb-jr)
					bp, ldb := ws.b[jr*kb:], mk.nr
					if directB && nr == mk.nr {
						bp, ldb = p.b.Data[pc*p.b.Stride+jc+jr:], p.b.Stride
					}
					for ir := 0; ir < mb; ir += mk.mr {
						mr := min(mk.mr, mb-ir)
						ap, lda := ws.a[ir*kb:], mk.mr
						if directA && mr == mk.mr {
							ap, lda = p.a.Data[pc*p.a.Stride+ic+ir:], p.a.Stride
						}
						ci, cj := ic+ir, jc+jr
						if mr == mk.mr && nr == mk.nr {
							mk.fn(kb, ap, lda, bp, ldb, p.c.Data[ci*p.c.Stride+cj:], p.c.Stride, p.alpha, beta)
							continue
						}
						// An edge tile that a narrower or shorter kernel covers
						// exactly is written in place when the kernel's
						// α·acc + β·C rounds as the merge below does (β·C
						// exact: β is 0 or ±1).
						cd := p.c.Data[ci*p.c.Stride+cj:]
						if exactBeta(beta) && !g.plain {
							if mk.half != nil && mr == mk.mr && nr == mk.nr/2 {
								mk.half(kb, ap, lda, bp, ldb, cd, p.c.Stride, p.alpha, beta)
								continue
							}
							if mk.short != nil && mr == mk.mr/3 && nr == mk.nr {
								mk.short(kb, ap, lda, bp, ldb, cd, p.c.Stride, p.alpha, beta)
								continue
							}
						}
						// Otherwise compute it aside (with a narrower or
						// shorter kernel when one covers it), then merge.
						t := ws.tile[:mk.mr*mk.nr]
						switch {
						case mk.half != nil && nr <= mk.nr/2:
							mk.half(kb, ap, lda, bp, ldb, t, mk.nr, 1, 0)
						case mk.short != nil && mr <= mk.mr/3:
							mk.short(kb, ap, lda, bp, ldb, t, mk.nr, 1, 0)
						default:
							mk.fn(kb, ap, lda, bp, ldb, t, mk.nr, 1, 0)
						}
						for i := 0; i < mr; i++ {
							row := p.c.Data[(ci+i)*p.c.Stride+cj:][:nr]
							tr := t[i*mk.nr:][:nr]
							if beta == 0 {
								for j := range row {
									row[j] = p.alpha * tr[j]
								}
							} else {
								for j := range row {
									row[j] = p.alpha*tr[j] + beta*row[j]
								}
							}
						}
					}
				}
			}
		}
	}
}

// exactBeta says whether β·C is exact (β is ±0 or ±1), so that the
// kernels' fused α·acc + β·C and the edge merge's separate products round
// the same.
func exactBeta(beta float32) bool { return beta == 0 || beta == 1 || beta == -1 }

// directBytes is the largest span of operand rows (k steps times the row
// stride) that the kernels read in place instead of packing.
const directBytes = 128 << 10

// directRows is the most rows of C for which B is read in place whatever its
// size: packing would be used by too few row panels to pay for its copy.
const directRows = 128

// packB packs rows [pc, pc+kb) × columns [jc, jc+nb) of op(B) into NR-wide
// column panels, each kb rows of nr contiguous values, zero-padded; with
// partialOnly, only a last panel narrower than nr.
func packB(dst []float32, b Matrix, tb Op, pc, kb, jc, nb, nr int, partialOnly bool) {
	for jr := 0; jr < nb; jr += nr {
		w := min(nr, nb-jr)
		if partialOnly && w == nr {
			continue
		}
		panel := dst[jr*kb : jr*kb+kb*nr]
		if !tb {
			for k := 0; k < kb; k++ {
				src := b.Data[(pc+k)*b.Stride+jc+jr:][:w]
				d := panel[k*nr : k*nr+nr]
				copy(d, src)
				clear(d[w:])
			}
			continue
		}
		// op(B) = Bᵀ: column j of op(B) is row j of B. Blocks of 8 rows of
		// B are transposed into the panel, reading 8 streams at once.
		if w < nr {
			clear(panel)
		}
		transposeInto(panel, nr, b.Data[(jc+jr)*b.Stride+pc:], b.Stride, w, kb)
	}
}

// packA packs rows [ic, ic+mb) × columns [pc, pc+kb) of op(A) into MR-tall
// row panels, each kb columns of mr contiguous values, zero-padded; with
// partialOnly, only a last panel shorter than mr.
func packA(dst []float32, a Matrix, ta Op, ic, mb, pc, kb, mr int, partialOnly bool) {
	for ir := 0; ir < mb; ir += mr {
		h := min(mr, mb-ir)
		if partialOnly && h == mr {
			continue
		}
		panel := dst[ir*kb : ir*kb+kb*mr]
		if ta {
			// op(A) = Aᵀ: column k of op(A)'s rows is row k of A, contiguous.
			for k := 0; k < kb; k++ {
				src := a.Data[(pc+k)*a.Stride+ic+ir:][:h]
				d := panel[k*mr : k*mr+mr]
				copy(d, src)
				clear(d[h:])
			}
			continue
		}
		if h < mr {
			clear(panel)
		}
		transposeInto(panel, mr, a.Data[(ic+ir)*a.Stride+pc:], a.Stride, h, kb)
	}
}

// scale sets C = beta·C (C = 0 when beta is 0, whatever C held).
func scale(c Matrix, beta float32) {
	for i := 0; i < c.Rows; i++ {
		row := c.Row(i)
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// transposeInto sets dst[k*ld+i] = src[i*stride+k] for i < rows, k < cols:
// 4 rows at a time in 4×16 blocks with AVX-512 where the CPU has it, the
// rest 8 streams at a time in Go.
func transposeInto(dst []float32, ld int, src []float32, stride, rows, cols int) {
	transposeWith(dst, ld, src, stride, rows, cols, true)
}

func transposeWith(dst []float32, ld int, src []float32, stride, rows, cols int, vector bool) {
	i := 0
	for ; i+4 <= rows; i += 4 {
		done := transpose4(dst[i:], ld, src[i*stride:], stride, cols, vector)
		if done == 0 {
			break
		}
		for r := i; r < i+4; r++ {
			row := src[r*stride:][:cols]
			for k := done; k < cols; k++ {
				dst[k*ld+r] = row[k]
			}
		}
	}
	for ; i+8 <= rows; i += 8 {
		r0 := src[i*stride:][:cols]
		r1 := src[(i+1)*stride:][:cols]
		r2 := src[(i+2)*stride:][:cols]
		r3 := src[(i+3)*stride:][:cols]
		r4 := src[(i+4)*stride:][:cols]
		r5 := src[(i+5)*stride:][:cols]
		r6 := src[(i+6)*stride:][:cols]
		r7 := src[(i+7)*stride:][:cols]
		for k := 0; k < cols; k++ {
			d := (*[8]float32)(dst[k*ld+i:])
			d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = r0[k], r1[k], r2[k], r3[k], r4[k], r5[k], r6[k], r7[k]
		}
	}
	for ; i < rows; i++ {
		r := src[i*stride:][:cols]
		for k, v := range r {
			dst[k*ld+i] = v
		}
	}
}
