package nrg

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
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

// work holds one goroutine's buffers.
type work struct {
	x, g   []float64
	tape   []float64
	gh, gp []float64 // gradients of the two hidden layers' inputs
}

// tapeWidth is what the forward pass keeps per plaquette and coupling:
// ya (2), yb (2), raw (4), tanh of raw s (2), pre1, pre2, h1, h2 (H each),
// e^s (2), so that the backward pass computes no transcendental the forward did.
func (f *Flow) tapeWidth() int { return 12 + 4*f.Hidden }

func (f *Flow) newWork() *work {
	n := 0
	for _, ly := range f.layers {
		n += len(ly.blocks) * f.Couplings
	}
	H := f.Hidden
	return &work{x: make([]float64, f.N), g: make([]float64, f.N), tape: make([]float64, n*f.tapeWidth()),
		gh: make([]float64, H), gp: make([]float64, H)}
}

// forward maps x to g(x) in place, recording in ws's tape what the backward
// pass needs, and returns ln |det ∂g/∂x|.
func (f *Flow) forward(x []float64, ws *work) float64 {
	H, W := f.Hidden, f.tapeWidth()
	var logDet float64
	var raw [4]float64
	var th [2]float64
	pos := 0
	for li, ly := range f.layers {
		for c := 0; c < f.Couplings; c++ {
			cp := f.coupling(li, c)
			ma, mb := masks(c)
			for _, bl := range ly.blocks {
				tp := ws.tape[pos : pos+W]
				pos += W
				a0, a1 := x[bl[ma[0]]], x[bl[ma[1]]]
				s, tt := cp.net(a0, a1, H, tp[10:10+H], tp[10+H:10+2*H], tp[10+2*H:10+3*H], tp[10+3*H:10+4*H], &raw, &th)
				tp[0], tp[1] = a0, a1
				tp[8], tp[9] = th[0], th[1]
				for k := 0; k < 2; k++ {
					yb := x[bl[mb[k]]]
					es := math.Exp(s[k])
					tp[2+k], tp[10+4*H+k] = yb, es
					x[bl[mb[k]]] = yb*es + tt[k]
					logDet += s[k]
				}
				copy(tp[4:8], raw[:])
			}
		}
	}
	return logDet
}

// sample computes one sample's loss and, when g is not nil, adds its
// gradient with respect to the parameters to g.
func (f *Flow) sample(t *Target, z []float64, g []float64, ws *work) float64 {
	H, W := f.Hidden, f.tapeWidth()
	x := ws.x
	copy(x, z)
	var lnN float64
	for _, v := range z {
		lnN -= 0.5 * v * v
	}
	lnN -= float64(f.N) / 2 * math.Log(2*math.Pi)
	logDet := f.forward(x, ws)
	gx := ws.g
	loss := lnN - logDet + t.Energy(x, gx)
	if g == nil {
		return loss
	}
	// Backward through the couplings in reverse, reading the tape from its end.
	pos := len(ws.tape)
	for li := len(f.layers) - 1; li >= 0; li-- {
		ly := f.layers[li]
		for c := f.Couplings - 1; c >= 0; c-- {
			off := ly.offset + c*f.nPer
			cp := viewCoupling(f.Params[off:off+f.nPer], H)
			gc := viewCoupling(g[off:off+f.nPer], H)
			ma, mb := masks(c)
			for bi := len(ly.blocks) - 1; bi >= 0; bi-- {
				bl := ly.blocks[bi]
				pos -= W
				tp := ws.tape[pos : pos+W]
				pre1, pre2 := tp[10:10+H], tp[10+H:10+2*H]
				h1, h2 := tp[10+2*H:10+3*H], tp[10+3*H:10+4*H]
				var gO [4]float64
				for k := 0; k < 2; k++ {
					th, es := tp[8+k], tp[10+4*H+k]
					gxb := gx[bl[mb[k]]]
					gs := gxb*tp[2+k]*es - 1 // −1: the loss has −ln|det|
					gx[bl[mb[k]]] = gxb * es
					gc.scale[k] += gs * th
					gO[k] = gs * cp.scale[k] * (1 - th*th)
					gO[2+k] = gxb
				}
				for k := 0; k < 4; k++ {
					gc.b3[k] += gO[k]
				}
				gp, gh := ws.gp[:H:H], ws.gh[:H:H]
				w3, gw3 := cp.w3[:4*H:4*H], gc.w3[:4*H:4*H]
				for i := range gp {
					o := w3[4*i : 4*i+4 : 4*i+4]
					go3 := gw3[4*i : 4*i+4 : 4*i+4]
					hi := h2[i]
					go3[0] += hi * gO[0]
					go3[1] += hi * gO[1]
					go3[2] += hi * gO[2]
					go3[3] += hi * gO[3]
					s := o[0]*gO[0] + o[1]*gO[1] + o[2]*gO[2] + o[3]*gO[3]
					if pre2[i] <= 0 {
						s *= hi + 1 // ELU′ = e^x = ELU + 1 for x ≤ 0
					}
					gp[i] = s // ∂/∂pre2
				}
				for i := range gh {
					row := cp.w2[i*H : (i+1)*H : (i+1)*H]
					grow := gc.w2[i*H : (i+1)*H : (i+1)*H]
					hi := h1[i]
					var s float64
					for j, g := range gp {
						grow[j] += hi * g
						s += row[j] * g
					}
					if pre1[i] <= 0 {
						s *= hi + 1
					}
					gh[i] = s // ∂/∂pre1
				}
				var ga0, ga1 float64
				b1, b2 := gc.b1[:H:H], gc.b2[:H:H]
				w1a, w1b := cp.w1[:H:H], cp.w1[H:2*H:2*H]
				gw1a, gw1b := gc.w1[:H:H], gc.w1[H:2*H:2*H]
				t0, t1 := tp[0], tp[1]
				for j, g := range gh {
					b2[j] += gp[j]
					b1[j] += g
					gw1a[j] += t0 * g
					gw1b[j] += t1 * g
					ga0 += w1a[j] * g
					ga1 += w1b[j] * g
				}
				gx[bl[ma[0]]] += ga0
				gx[bl[ma[1]]] += ga1
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
		for i, gi := range grad {
			gi += cfg.WeightDecay * f.Params[i]
			m[i] = b1*m[i] + (1-b1)*gi
			v[i] = b2*v[i] + (1-b2)*gi*gi
			f.Params[i] -= cfg.LR * (m[i] / c1) / (math.Sqrt(v[i]/c2) + eps)
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
