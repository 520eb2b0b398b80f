package nrg

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/kadanoff/kadanoff/experiments/linalg"
	"gonum.org/v1/gonum/floats"
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
				var gv []couplingParams
				if grad != nil {
					g := make([]float64, len(f.Params))
					grads[c] = g
					gv = f.viewAll(g)
				}
				for s := c * chunk; s < min(B, (c+1)*chunk); s++ {
					losses[s] = f.sample(t, z[s], gv, ws)
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
// the tape of the forward pass, for a symmetric flow also the mirrored
// configuration, its gradient and the inverse pass's tape, the backward
// passes' per-row gradients (gO of
// the output layer, gp and gh of the hidden layers' inputs, ga and ga2 of
// the conditioning values), H zeros, and the transposed weights (shared).
type work struct {
	x, g, y, gy         []float64
	tape, tape2         []float64
	gO, gp, gh, ga, ga2 []float64
	zeros               []float64
	trans               []float64
}

// tapeWidth is what the forward pass keeps per plaquette and coupling:
// a (2), yb (2), raw (4), tanh of raw s (2), e^s (2), and each network's
// hidden layers' inputs and outputs (H each), so that the backward pass
// computes no transcendental the forward did.
func (f *Flow) tapeWidth() int {
	nets, _ := f.nets()
	return 12 + nets*2*f.hiddenLayers()*f.Hidden
}

func (f *Flow) newWork() *work {
	n, rows := 0, 0
	for _, ly := range f.layers {
		n += len(ly.blocks) * f.Couplings
		rows = max(rows, len(ly.blocks))
	}
	H := f.Hidden
	ws := &work{x: make([]float64, f.N), g: make([]float64, f.N), tape: make([]float64, n*f.tapeWidth()),
		gO: make([]float64, 4*rows), gp: make([]float64, H*rows), gh: make([]float64, H*rows),
		ga: make([]float64, 2*rows), ga2: make([]float64, 2*rows), zeros: make([]float64, H)}
	if f.Symmetric {
		ws.y, ws.gy, ws.tape2 = make([]float64, f.N), make([]float64, f.N), make([]float64, len(ws.tape))
	}
	return ws
}

// tape views one layer and coupling's part of the tape, R plaquettes (rows)
// each field's rows together, so the layers of the s and t networks run over
// all plaquettes in one call: pre[n][k] and h[n][k] are network n's hidden
// layer k's input and output.
type tape struct {
	a, yb, raw, th, es []float64
	pre, h             [][][]float64
}

func (f *Flow) viewTape(sec []float64, R int) tape {
	take := func(n int) []float64 {
		s := sec[:n:n]
		sec = sec[n:]
		return s
	}
	var t tape
	t.a, t.yb, t.raw, t.th, t.es = take(2*R), take(2*R), take(4*R), take(2*R), take(2*R)
	nets, _ := f.nets()
	t.pre, t.h = make([][][]float64, nets), make([][][]float64, nets)
	for n := range nets {
		for range f.hiddenLayers() {
			t.pre[n] = append(t.pre[n], take(f.Hidden*R))
			t.h[n] = append(t.h[n], take(f.Hidden*R))
		}
	}
	return t
}

// transSize is the length of one coupling's transposed weights: for each
// network, those of its layers from the output layer down to the input
// layer, which the backward pass multiplies rows by.
func (f *Flow) transSize() int {
	nets, outs := f.nets()
	H := f.Hidden
	return nets * (outs*H + (f.hiddenLayers()-1)*H*H + 2*H)
}

// transposes returns every coupling's transposed weights, in the order of
// the parameters.
func (f *Flow) transposes() []float64 {
	out := make([]float64, 0, len(f.layers)*f.Couplings*f.transSize())
	for _, cp := range f.views {
		for _, n := range cp.nets {
			for k := len(n.w) - 1; k >= 0; k-- {
				w := n.w[k]
				cols := len(n.b[k])
				rows := len(w) / cols
				for j := 0; j < cols; j++ {
					for i := 0; i < rows; i++ {
						out = append(out, w[i*cols+j])
					}
				}
			}
		}
	}
	return out
}

// net evaluates coupling c's s and t networks on every plaquette of a layer
// at once: it gathers the conditioning values of blocks from x and leaves
// them, the hidden layers' inputs and outputs and the output layer (s
// before tanh and scale, then t) in the tape section sec, which it returns
// viewed. A layer's plaquettes are disjoint, so linalg.Dense64 runs a layer
// over all of them, with the bits of one plaquette at a time.
func (f *Flow) net(cp couplingParams, c int, blocks [][4]int, x, sec []float64) tape {
	H, R := f.Hidden, len(blocks)
	ma, _ := masks(c)
	t := f.viewTape(sec, R)
	for r, bl := range blocks {
		t.a[2*r], t.a[2*r+1] = x[bl[ma[0]]], x[bl[ma[1]]]
	}
	for ni, n := range cp.nets {
		in, ldi, k := t.a, 2, 2
		for l := range t.pre[ni] {
			linalg.Dense64(t.pre[ni][l], H, in, ldi, n.w[l], n.b[l], R, k, H, nil, nil)
			linalg.ELU64(t.h[ni][l], t.pre[ni][l])
			in, ldi, k = t.h[ni][l], H, H
		}
		last := len(n.w) - 1
		outs := len(n.b[last])
		linalg.Dense64(t.raw[ni*outs:], 4, in, H, n.w[last], n.b[last], R, H, outs, nil, nil)
	}
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

// LogNormal is ln N(z) of the standard normal prior.
func LogNormal(z []float64) float64 {
	var l float64
	for _, v := range z {
		l -= 0.5 * v * v
	}
	return l - float64(len(z))/2*math.Log(2*math.Pi)
}

// sample computes one sample's loss and, when g is not nil, adds its
// gradient with respect to the parameters to g, viewed by gv (ws.trans must
// then hold the transposed weights). For a symmetric flow the density is
// q_s(x) = ½[q(x) + q(−x)], whose second term is the inverse flow's at −x.
func (f *Flow) sample(t *Target, z []float64, gv []couplingParams, ws *work) float64 {
	x := ws.x
	copy(x, z)
	lnN := LogNormal(z)
	logDet := f.forward(x, ws)
	gx := ws.g
	energy := t.Energy(x, gx)
	if !f.Symmetric {
		loss := lnN - logDet + energy
		if gv != nil {
			f.backward(gx, -1, gv, ws) // −1: the loss has −ln|det|
		}
		return loss
	}
	a, b := lnN-logDet, f.mirrorLogQ(x, ws) // ln q(x), ln q(−x)
	lse := floats.LogSumExp([]float64{a, b})
	loss := lse - math.Ln2 + energy
	if gv == nil {
		return loss
	}
	// ∂ ln q_s = w_a ∂a + w_b ∂b with w = e^(a − lse), e^(b − lse): b's
	// part back through the inverse pass to −x, then with ∂E and a's part
	// back through the forward pass.
	wa, wb := math.Exp(a-lse), math.Exp(b-lse)
	gy := ws.gy
	for i, v := range ws.y { // g⁻¹(−x)
		gy[i] = -wb * v
	}
	f.inverseBackward(gy, wb, gv, ws)
	for i, v := range gy {
		gx[i] -= v
	}
	f.backward(gx, -wa, gv, ws)
	return loss
}

// backward takes gx, the gradient of the loss with respect to the forward
// pass's output, back through the couplings in reverse, reading the tape
// from its end, into the parameter gradients gv; the loss holds the pass's
// ln|det| with coefficient cDet. Within a coupling the plaquettes are taken
// last to first (linalg.OuterAcc64), the order of the sums of the parameter
// gradients.
func (f *Flow) backward(gx []float64, cDet float64, gv []couplingParams, ws *work) {
	W := f.tapeWidth()
	pos := len(ws.tape)
	for li := len(f.layers) - 1; li >= 0; li-- {
		ly := f.layers[li]
		R := len(ly.blocks)
		for c := f.Couplings - 1; c >= 0; c-- {
			cp := f.coupling(li, c)
			gc := gv[li*f.Couplings+c]
			_, mb := masks(c)
			pos -= R * W
			tp := f.viewTape(ws.tape[pos:pos+R*W], R)
			gO := ws.gO[:4*R]
			for r := R - 1; r >= 0; r-- {
				bl := ly.blocks[r]
				for k := 0; k < 2; k++ {
					th, es := tp.th[2*r+k], tp.es[2*r+k]
					gxb := gx[bl[mb[k]]]
					gs := gxb*tp.yb[2*r+k]*es + cDet
					gx[bl[mb[k]]] = gxb * es
					gc.scale[k] += gs * th
					gO[4*r+k] = gs * cp.scale[k] * (1 - th*th)
					gO[4*r+2+k] = gxb
				}
			}
			f.netsBackward(li, c, tp, gx, gv, ws)
		}
	}
}

// inverseBackward takes gz, the gradient of the loss with respect to the
// inverse pass's output, back through the couplings in the order the pass
// undid them last, reading ws.tape2 from its end, into the parameter
// gradients gv and, in place, the gradient with respect to the pass's
// input; the loss holds the pass's ln|det| with coefficient cDet.
func (f *Flow) inverseBackward(gz []float64, cDet float64, gv []couplingParams, ws *work) {
	W := f.tapeWidth()
	pos := len(ws.tape2)
	for li := range f.layers {
		ly := f.layers[li]
		R := len(ly.blocks)
		for c := 0; c < f.Couplings; c++ {
			cp := f.coupling(li, c)
			gc := gv[li*f.Couplings+c]
			_, mb := masks(c)
			pos -= R * W
			tp := f.viewTape(ws.tape2[pos:pos+R*W], R)
			gO := ws.gO[:4*R]
			// z_b = (x_b − t)·e^(−s), ln|det| gains −s.
			for r := R - 1; r >= 0; r-- {
				bl := ly.blocks[r]
				for k := 0; k < 2; k++ {
					th, em := tp.th[2*r+k], tp.es[2*r+k]
					gzb := gz[bl[mb[k]]]
					gs := -gzb*tp.yb[2*r+k] - cDet
					gin := gzb * em
					gz[bl[mb[k]]] = gin
					gc.scale[k] += gs * th
					gO[4*r+k] = gs * cp.scale[k] * (1 - th*th)
					gO[4*r+2+k] = -gin
				}
			}
			f.netsBackward(li, c, tp, gz, gv, ws)
		}
	}
}

// netsBackward takes the gradient gO of coupling c of layer li's network
// outputs (s before tanh and scale, then t, per plaquette, in ws.gO) back
// through its networks, whose activations tp holds: into the parameter
// gradients gv and, added to gx, the conditioning sites'.
func (f *Flow) netsBackward(li, c int, tp tape, gx []float64, gv []couplingParams, ws *work) {
	H, ts := f.Hidden, f.transSize()
	ly := f.layers[li]
	R := len(ly.blocks)
	cp := f.coupling(li, c)
	gc := gv[li*f.Couplings+c]
	tr := ws.trans[(li*f.Couplings+c)*ts:][:ts]
	ma, _ := masks(c)
	gO := ws.gO[:4*R]
	gas := [2][]float64{ws.ga[:2*R], ws.ga2[:2*R]}
	for ni, n := range cp.nets {
		gn := gc.nets[ni]
		last := len(n.w) - 1
		outs := len(n.b[last])
		gOn := gO[ni*outs:]
		hs, pres := tp.h[ni], tp.pre[ni]
		// The output layer, then ∂/∂pre of the last hidden layer.
		linalg.OuterAcc64(gn.b[last], nil, 1, gOn, 4, R, 1, outs)
		linalg.OuterAcc64(gn.w[last], hs[last-1], H, gOn, 4, R, H, outs)
		wt := tr[:outs*H]
		tr = tr[outs*H:]
		cur, next := ws.gp[:H*R], ws.gh[:H*R]
		linalg.Dense64(cur, H, gOn, 4, wt, nil, R, outs, H, pres[last-1], hs[last-1])
		for l := last - 1; l >= 1; l-- {
			linalg.OuterAcc64(gn.w[l], hs[l-1], H, cur, H, R, H, H)
			linalg.OuterAcc64(gn.b[l], nil, 1, cur, H, R, 1, H)
			wt = tr[:H*H]
			tr = tr[H*H:]
			linalg.Dense64(next, H, cur, H, wt, ws.zeros, R, H, H, pres[l-1], hs[l-1])
			cur, next = next, cur
		}
		linalg.OuterAcc64(gn.b[0], nil, 1, cur, H, R, 1, H)
		linalg.OuterAcc64(gn.w[0], tp.a, 2, cur, H, R, 2, H)
		linalg.Dense64(gas[ni], 2, cur, H, tr[:2*H], ws.zeros, R, H, 2, nil, nil)
		tr = tr[2*H:]
	}
	for ni := range cp.nets {
		for r, bl := range ly.blocks {
			gx[bl[ma[0]]] += gas[ni][2*r]
			gx[bl[ma[1]]] += gas[ni][2*r+1]
		}
	}
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
	ws := f.newWork()
	for i := 0; i < N; i++ {
		copy(p, x0)
		copy(m, x0)
		p[i] += h
		m[i] -= h
		f.infer(p, ws)
		f.infer(m, ws)
		for j := 0; j < N; j++ {
			J[j*N+i] = (p[j] - m[j]) / (2 * h)
		}
	}
	return J
}
