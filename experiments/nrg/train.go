package nrg

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/kadanoff/kadanoff/experiments/linalg"
)

// chunk is the number of samples whose gradients are summed together; chunks
// are then summed in order, so results do not depend on the thread count.
const chunk = 16

// Loss draws nothing: it evaluates the reverse-KL loss of the flow on the
// given latent batch (B configurations of N values, drawn from the standard
// normal prior), ℓ = ln q(x) − ln π(x) = ln N(z) − ln|det ∂x/∂z| + E(x) per
// sample with x = g(z), and returns the batch mean and its standard error.
// When grad is not nil it receives ∂(mean ℓ)/∂θ. Work is spread over
// threads goroutines.
func (f *Flow) Loss(t *Target, z [][]float64, grad []float64, threads int) (mean, stderr float64) {
	B := len(z)
	nChunks := (B + chunk - 1) / chunk
	losses := make([]float64, B)
	var grads [][]float64
	if grad != nil {
		grads = make([][]float64, nChunks)
	}
	var trans []float64
	if grad != nil {
		trans = f.transposes()
	}
	var wg sync.WaitGroup
	next := make(chan int, nChunks)
	for c := 0; c < nChunks; c++ {
		next <- c
	}
	close(next)
	for w := 0; w < max(1, min(threads, nChunks)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws := f.newWork()
			ws.trans = trans
			for c := range next {
				var g []float64
				if grad != nil {
					g = make([]float64, len(f.Params))
					grads[c] = g
				}
				for s := c * chunk; s < min(B, (c+1)*chunk); s++ {
					losses[s] = f.sample(t, z[s], g, ws)
				}
			}
		}()
	}
	wg.Wait()
	var sum, sum2 float64
	for _, l := range losses {
		sum += l
	}
	mean = sum / float64(B)
	for _, l := range losses {
		sum2 += (l - mean) * (l - mean)
	}
	if B > 1 {
		stderr = math.Sqrt(sum2 / float64(B-1) / float64(B))
	}
	if grad != nil {
		clear(grad)
		for _, g := range grads {
			for i, v := range g {
				grad[i] += v
			}
		}
		for i := range grad {
			grad[i] /= float64(B)
		}
	}
	return mean, stderr
}

// work holds one goroutine's buffers: the configuration and its gradient,
// the tape of the forward pass, the backward pass's per-row gradients (gO of
// the output layer, gp and gh of the two hidden layers' inputs, ga of the
// conditioning values), H zeros, and the transposed weights (shared).
type work struct {
	x, g           []float64
	tape           []float64
	gO, gp, gh, ga []float64
	zeros          []float64
	trans          []float64
}

// tapeWidth is what the forward pass keeps per plaquette and coupling:
// a (2), yb (2), raw (4), tanh of raw s (2), e^s (2), pre1, pre2, h1, h2 (H
// each), so that the backward pass computes no transcendental the forward did.
func (f *Flow) tapeWidth() int { return 12 + 4*f.Hidden }

func (f *Flow) newWork() *work {
	n, rows := 0, 0
	for _, ly := range f.layers {
		n += len(ly.blocks) * f.Couplings
		rows = max(rows, len(ly.blocks))
	}
	H := f.Hidden
	return &work{x: make([]float64, f.N), g: make([]float64, f.N), tape: make([]float64, n*f.tapeWidth()),
		gO: make([]float64, 4*rows), gp: make([]float64, H*rows), gh: make([]float64, H*rows), ga: make([]float64, 2*rows),
		zeros: make([]float64, H)}
}

// tape views one layer and coupling's part of the tape, R plaquettes (rows)
// each field's rows together, so the layers of the s and t network run over
// all plaquettes in one call.
type tape struct {
	a, yb, raw, th, es []float64
	pre1, pre2, h1, h2 []float64
}

func viewTape(sec []float64, R, H int) tape {
	take := func(n int) []float64 {
		s := sec[:n:n]
		sec = sec[n:]
		return s
	}
	var t tape
	t.a, t.yb, t.raw, t.th, t.es = take(2*R), take(2*R), take(4*R), take(2*R), take(2*R)
	t.pre1, t.pre2, t.h1, t.h2 = take(H*R), take(H*R), take(H*R), take(H*R)
	return t
}

// transSize is the length of one coupling's transposed weights: w3ᵀ (4×H),
// w2ᵀ (H×H), w1ᵀ (H×2), which the backward pass multiplies rows by.
func (f *Flow) transSize() int { return 4*f.Hidden + f.Hidden*f.Hidden + 2*f.Hidden }

// transposes returns every coupling's transposed weights, in the order of
// the parameters.
func (f *Flow) transposes() []float64 {
	H, ts := f.Hidden, f.transSize()
	out := make([]float64, len(f.layers)*f.Couplings*ts)
	for li := range f.layers {
		for c := 0; c < f.Couplings; c++ {
			cp := f.coupling(li, c)
			tr := out[(li*f.Couplings+c)*ts:][:ts]
			w3t, w2t, w1t := tr[:4*H], tr[4*H:4*H+H*H], tr[4*H+H*H:]
			for i := 0; i < H; i++ {
				for k := 0; k < 4; k++ {
					w3t[k*H+i] = cp.w3[i*4+k]
				}
				for j := 0; j < H; j++ {
					w2t[j*H+i] = cp.w2[i*H+j]
				}
				w1t[2*i], w1t[2*i+1] = cp.w1[i], cp.w1[H+i]
			}
		}
	}
	return out
}

// net evaluates coupling c's s and t network on every plaquette of a layer
// at once: it gathers the conditioning values of blocks from x and leaves
// them, the hidden layers' inputs and outputs and the output layer (s
// before tanh and scale, then t) in the tape section sec, which it returns
// viewed. A layer's plaquettes are disjoint, so linalg.Dense64 runs a layer
// over all of them, with the bits of one plaquette at a time.
func (f *Flow) net(cp couplingParams, c int, blocks [][4]int, x, sec []float64) tape {
	H, R := f.Hidden, len(blocks)
	ma, _ := masks(c)
	t := viewTape(sec, R, H)
	for r, bl := range blocks {
		t.a[2*r], t.a[2*r+1] = x[bl[ma[0]]], x[bl[ma[1]]]
	}
	linalg.Dense64(t.pre1, H, t.a, 2, cp.w1, cp.b1, R, 2, H, nil, nil)
	linalg.ELU64(t.h1, t.pre1)
	linalg.Dense64(t.pre2, H, t.h1, H, cp.w2, cp.b2, R, H, H, nil, nil)
	linalg.ELU64(t.h2, t.pre2)
	linalg.Dense64(t.raw, 4, t.h2, H, cp.w3, cp.b3, R, H, 4, nil, nil)
	return t
}

// forward maps x to g(x) in place, recording in ws's tape what the backward
// pass needs, and returns ln |det ∂g/∂x|.
func (f *Flow) forward(x []float64, ws *work) float64 {
	W := f.tapeWidth()
	var logDet float64
	pos := 0
	for li, ly := range f.layers {
		R := len(ly.blocks)
		for c := 0; c < f.Couplings; c++ {
			cp := f.coupling(li, c)
			_, mb := masks(c)
			t := f.net(cp, c, ly.blocks, x, ws.tape[pos:pos+R*W])
			pos += R * W
			// s of every plaquette first, then their exponentials at once.
			for r := range ly.blocks {
				for k := 0; k < 2; k++ {
					th := math.Tanh(t.raw[4*r+k])
					s := cp.scale[k] * th
					t.th[2*r+k], t.es[2*r+k] = th, s
					logDet += s
				}
			}
			linalg.Exp64(t.es, t.es)
			for r, bl := range ly.blocks {
				for k := 0; k < 2; k++ {
					yb := x[bl[mb[k]]]
					t.yb[2*r+k] = yb
					x[bl[mb[k]]] = yb*t.es[2*r+k] + t.raw[4*r+2+k]
				}
			}
		}
	}
	return logDet
}

// logNormal is ln N(z) of the standard normal prior.
func logNormal(z []float64) float64 {
	var l float64
	for _, v := range z {
		l -= 0.5 * v * v
	}
	return l - float64(len(z))/2*math.Log(2*math.Pi)
}

// sample computes one sample's loss and, when g is not nil, adds its
// gradient with respect to the parameters to g (ws.trans must then hold the
// transposed weights).
func (f *Flow) sample(t *Target, z []float64, g []float64, ws *work) float64 {
	H, W, ts := f.Hidden, f.tapeWidth(), f.transSize()
	x := ws.x
	copy(x, z)
	lnN := logNormal(z)
	logDet := f.forward(x, ws)
	gx := ws.g
	loss := lnN - logDet + t.Energy(x, gx)
	if g == nil {
		return loss
	}
	// Backward through the couplings in reverse, reading the tape from its
	// end; within a coupling the plaquettes are taken last to first
	// (linalg.OuterAcc64), the order of the sums of the parameter gradients.
	pos := len(ws.tape)
	for li := len(f.layers) - 1; li >= 0; li-- {
		ly := f.layers[li]
		R := len(ly.blocks)
		for c := f.Couplings - 1; c >= 0; c-- {
			off := ly.offset + c*f.nPer
			cp := viewCoupling(f.Params[off:off+f.nPer], H)
			gc := viewCoupling(g[off:off+f.nPer], H)
			tr := ws.trans[(li*f.Couplings+c)*ts:][:ts]
			w3t, w2t, w1t := tr[:4*H], tr[4*H:4*H+H*H], tr[4*H+H*H:]
			ma, mb := masks(c)
			pos -= R * W
			tp := viewTape(ws.tape[pos:pos+R*W], R, H)
			gO, gp, gh, ga := ws.gO[:4*R], ws.gp[:H*R], ws.gh[:H*R], ws.ga[:2*R]
			for r := R - 1; r >= 0; r-- {
				bl := ly.blocks[r]
				for k := 0; k < 2; k++ {
					th, es := tp.th[2*r+k], tp.es[2*r+k]
					gxb := gx[bl[mb[k]]]
					gs := gxb*tp.yb[2*r+k]*es - 1 // −1: the loss has −ln|det|
					gx[bl[mb[k]]] = gxb * es
					gc.scale[k] += gs * th
					gO[4*r+k] = gs * cp.scale[k] * (1 - th*th)
					gO[4*r+2+k] = gxb
				}
			}
			linalg.OuterAcc64(gc.b3, nil, 1, gO, 4, R, 1, 4)
			linalg.OuterAcc64(gc.w3, tp.h2, H, gO, 4, R, H, 4)
			linalg.Dense64(gp, H, gO, 4, w3t, nil, R, 4, H, tp.pre2, tp.h2) // ∂/∂pre2
			linalg.OuterAcc64(gc.w2, tp.h1, H, gp, H, R, H, H)
			linalg.OuterAcc64(gc.b2, nil, 1, gp, H, R, 1, H)
			linalg.Dense64(gh, H, gp, H, w2t, ws.zeros, R, H, H, tp.pre1, tp.h1) // ∂/∂pre1
			linalg.OuterAcc64(gc.b1, nil, 1, gh, H, R, 1, H)
			linalg.OuterAcc64(gc.w1, tp.a, 2, gh, H, R, 2, H)
			linalg.Dense64(ga, 2, gh, H, w1t, ws.zeros, R, H, 2, nil, nil)
			for r, bl := range ly.blocks {
				gx[bl[ma[0]]] += ga[2*r]
				gx[bl[ma[1]]] += ga[2*r+1]
			}
		}
	}
	return loss
}

// TrainConfig sets the optimisation: Adam (β = 0.9, 0.999) with L2 weight
// decay added to the gradient, a fresh batch from the prior every epoch.
type TrainConfig struct {
	Epochs, Batch   int
	LR, WeightDecay float64
	// Cosine anneals the learning rate from LR at the first epoch to zero
	// after the last, LR·½(1 + cos(π(epoch − 1)/Epochs)); otherwise it is
	// constant.
	Cosine bool
	// Threads says how many goroutines may compute, read at every epoch
	// (a build's share may change); nil means one.
	Threads func() int
}

// Epoch is one optimisation step's batch estimate of the loss.
type Epoch struct {
	Loss, Err float64
}

// Prior draws a batch of latent configurations from the standard normal.
func Prior(r *rand.Rand, batch, n int) [][]float64 {
	z := make([][]float64, batch)
	for i := range z {
		z[i] = make([]float64, n)
		for j := range z[i] {
			z[i][j] = r.NormFloat64()
		}
	}
	return z
}

// Train minimises the loss by Adam, reporting each epoch's loss; progress,
// when not nil, is told after each epoch.
func Train(ctx context.Context, f *Flow, t *Target, cfg TrainConfig, r *rand.Rand, progress func(epoch int)) ([]Epoch, error) {
	if f.N != t.N {
		return nil, fmt.Errorf("nrg: flow of %d sites, target of %d", f.N, t.N)
	}
	if cfg.Epochs < 1 || cfg.Batch < 2 || cfg.LR <= 0 {
		return nil, fmt.Errorf("nrg: want epochs ≥ 1, batch ≥ 2 and lr > 0")
	}
	P := len(f.Params)
	grad, m, v := make([]float64, P), make([]float64, P), make([]float64, P)
	const b1, b2, eps = 0.9, 0.999, 1e-8
	hist := make([]Epoch, 0, cfg.Epochs)
	for ep := 1; ep <= cfg.Epochs; ep++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		z := Prior(r, cfg.Batch, f.N)
		threads := 1
		if cfg.Threads != nil {
			threads = cfg.Threads()
		}
		loss, se := f.Loss(t, z, grad, threads)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return nil, fmt.Errorf("nrg: loss diverged at epoch %d", ep)
		}
		hist = append(hist, Epoch{Loss: loss, Err: se})
		c1, c2 := 1-math.Pow(b1, float64(ep)), 1-math.Pow(b2, float64(ep))
		lr := cfg.LR
		if cfg.Cosine {
			lr *= 0.5 * (1 + math.Cos(math.Pi*float64(ep-1)/float64(cfg.Epochs)))
		}
		for i, gi := range grad {
			gi += cfg.WeightDecay * f.Params[i]
			m[i] = b1*m[i] + (1-b1)*gi
			v[i] = b2*v[i] + (1-b2)*gi*gi
			f.Params[i] -= lr * (m[i] / c1) / (math.Sqrt(v[i]/c2) + eps)
		}
		if progress != nil {
			progress(ep)
		}
	}
	return hist, nil
}

// Jacobian returns ∂z/∂x of the inverse flow at x, row j holding ∂z_j/∂x_i
// (central finite differences, step 1e-5: the flow is smooth).
func (f *Flow) Jacobian(x0 []float64) []float64 {
	const h = 1e-5
	N := f.N
	J := make([]float64, N*N)
	p, m := make([]float64, N), make([]float64, N)
	for i := 0; i < N; i++ {
		copy(p, x0)
		copy(m, x0)
		p[i] += h
		m[i] -= h
		f.Infer(p)
		f.Infer(m)
		for j := 0; j < N; j++ {
			J[j*N+i] = (p[j] - m[j]) / (2 * h)
		}
	}
	return J
}
