package nrg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/kadanoff/kadanoff/experiments/linalg"
	"gonum.org/v1/gonum/floats"
)

// Config shapes a flow.
type Config struct {
	L int
	// Levels is the number of MERA levels used (1 … log₂L); each has a
	// disentangler and a decimator layer, so the depth is 2·Levels. Fewer
	// levels leave the coarsest variables untransformed.
	Levels int
	// Couplings is the number of Real NVP coupling layers in each block
	// bijector; Hidden the width of the hidden ELU layers of its s and t
	// networks, at most linalg.MaxDense64.
	Couplings, Hidden int
	// Layers is the number of hidden layers of each network (0 means 2).
	Layers int `json:",omitempty"`
	// Separate gives s and t a network each, 2 → Hidden → … → 2, as Li &
	// Wang's code does; otherwise one network 2 → Hidden → … → 4 computes
	// both.
	Separate bool `json:",omitempty"`
	// Symmetric makes the model's density q_s(x) = ½[q(x) + q(−x)], with q
	// the flow's: symmetric under x → −x, like the dual (Li & Wang's
	// code's -symmetry). Samples are ±g(z), the sign drawn at random.
	Symmetric bool `json:",omitempty"`
}

// hiddenLayers is Layers, 2 when unset.
func (c Config) hiddenLayers() int {
	if c.Layers == 0 {
		return 2
	}
	return c.Layers
}

// nets is the number of networks per coupling (1 or 2) and outs the
// outputs of each (4 or 2).
func (c Config) nets() (nets, outs int) {
	if c.Separate {
		return 2, 2
	}
	return 1, 4
}

// netSize is the number of parameters of one network: the input layer
// (2 → H), the hidden ones (H → H) and the output layer (H → outs).
func (c Config) netSize() int {
	H := c.Hidden
	_, outs := c.nets()
	return 2*H + H + (c.hiddenLayers()-1)*(H*H+H) + H*outs + outs
}

// Flow is a MERA of Real NVP block bijectors over 2×2 plaquettes. Layer k of
// the MERA applies one bijector, shared by all its plaquettes (the flow is
// translation invariant), to every plaquette of its level's lattice.
type Flow struct {
	Config
	N      int
	Params []float64
	layers []layer // generative order: coarsest level first, decimator before disentangler
	nPer   int     // parameters per coupling
	views  []couplingParams
	// works holds *work buffers for Generate and Infer, which may be
	// called from several goroutines at once.
	works sync.Pool
}

// layer is one MERA layer: its plaquettes, each four site indices in the
// order (x, y), (x+d, y), (x, y+d), (x+d, y+d), and where its couplings'
// parameters start.
type layer struct {
	level       int
	disentangle bool
	blocks      [][4]int
	offset      int
}

// Kind names the layer ("decimator 2", "disentangler 0").
func (l layer) kind() string {
	if l.disentangle {
		return fmt.Sprintf("disentangler %d", l.level)
	}
	return fmt.Sprintf("decimator %d", l.level)
}

// MaxLevels is log₂ L, or 0 when L is not a power of two.
func MaxLevels(L int) int {
	n := 0
	for s := 1; s < L; s *= 2 {
		n++
	}
	if 1<<n != L {
		return 0
	}
	return n
}

// NewFlow builds a flow with small random s and t networks whose output
// layers are zero: it starts as the identity map. With r nil every weight is
// zero, for parameters to be copied in.
func NewFlow(cfg Config, r *rand.Rand) (*Flow, error) {
	max := MaxLevels(cfg.L)
	if max == 0 || cfg.L < 2 {
		return nil, fmt.Errorf("nrg: L = %d is not a power of two ≥ 2", cfg.L)
	}
	if cfg.Levels < 1 || cfg.Levels > max {
		return nil, fmt.Errorf("nrg: levels = %d, want 1 … %d for L = %d", cfg.Levels, max, cfg.L)
	}
	if cfg.Couplings < 1 || cfg.Hidden < 1 || cfg.Hidden > linalg.MaxDense64 {
		return nil, fmt.Errorf("nrg: want at least one coupling and 1 … %d hidden units", linalg.MaxDense64)
	}
	if cfg.Layers < 0 {
		return nil, fmt.Errorf("nrg: layers = %d, want at least one hidden layer (0 for the default, 2)", cfg.Layers)
	}
	nets, _ := cfg.nets()
	f := &Flow{Config: cfg, N: cfg.L * cfg.L, nPer: nets*cfg.netSize() + 2}
	L := cfg.L
	block := func(x, y, d int) [4]int {
		at := func(x, y int) int { return ((y+L)%L)*L + (x+L)%L }
		return [4]int{at(x, y), at(x+d, y), at(x, y+d), at(x+d, y+d)}
	}
	for lv := cfg.Levels - 1; lv >= 0; lv-- {
		d := 1 << lv
		for _, dis := range []bool{false, true} {
			ly := layer{level: lv, disentangle: dis, offset: len(f.layers) * cfg.Couplings * f.nPer}
			shift := 0
			if dis {
				shift = d
			}
			for y := 0; y < L; y += 2 * d {
				for x := 0; x < L; x += 2 * d {
					ly.blocks = append(ly.blocks, block(x+shift, y+shift, d))
				}
			}
			f.layers = append(f.layers, ly)
		}
	}
	f.Params = make([]float64, len(f.layers)*cfg.Couplings*f.nPer)
	f.views = f.viewAll(f.Params)
	for _, p := range f.views {
		p.scale[0], p.scale[1] = 1, 1
		if r == nil {
			continue
		}
		// Hidden layers drawn with variance 1/fan-in; the output layer
		// stays zero, so that the coupling starts as the identity.
		for _, n := range p.nets {
			for l, w := range n.w[:len(n.w)-1] {
				fanIn := float64(cfg.Hidden)
				if l == 0 {
					fanIn = 2
				}
				for i := range w {
					w[i] = r.NormFloat64() / math.Sqrt(fanIn)
				}
			}
		}
	}
	return f, nil
}

// netParams views one s or t network's parameters: layer k maps its
// inputs by w[k] (row-major, inputs × outputs) and adds b[k]; the last layer
// is the output layer.
type netParams struct {
	w, b [][]float64
}

// couplingParams views one coupling's parameters: its networks (one, or s
// then t) and the scales of s's tanh.
type couplingParams struct {
	nets  []netParams
	scale []float64
}

// coupling views the parameters of coupling c of layer li.
func (f *Flow) coupling(li, c int) couplingParams {
	return f.views[li*f.Couplings+c]
}

// viewAll views params (f.Params or a gradient of the same layout) coupling
// by coupling, in the order of the layers and their couplings.
func (f *Flow) viewAll(params []float64) []couplingParams {
	out := make([]couplingParams, 0, len(f.layers)*f.Couplings)
	for range f.layers {
		for c := 0; c < f.Couplings; c++ {
			out = append(out, f.viewCoupling(params[:f.nPer:f.nPer]))
			params = params[f.nPer:]
		}
	}
	return out
}

// viewCoupling views one coupling's parameters p: for each network the input
// layer (2 → H), the hidden layers (H → H) and the output layer, weights
// before biases, then the two scales.
func (f *Flow) viewCoupling(p []float64) couplingParams {
	take := func(n int) []float64 {
		s := p[:n:n]
		p = p[n:]
		return s
	}
	H, layers := f.Hidden, f.hiddenLayers()
	nets, outs := f.nets()
	var cp couplingParams
	for range nets {
		var n netParams
		for k := 0; k <= layers; k++ {
			in, out := H, H
			if k == 0 {
				in = 2
			}
			if k == layers {
				out = outs
			}
			n.w = append(n.w, take(in*out))
			n.b = append(n.b, take(out))
		}
		cp.nets = append(cp.nets, n)
	}
	cp.scale = take(2)
	return cp
}

// masks: coupling c updates sites b from sites a of its plaquette.
func masks(c int) (a, b [2]int) {
	if c%2 == 0 {
		return [2]int{0, 3}, [2]int{1, 2}
	}
	return [2]int{1, 2}, [2]int{0, 3}
}

// Generate maps latent z to x = g(z) in place (one configuration) and
// returns ln |det ∂x/∂z|.
func (f *Flow) Generate(x []float64) float64 {
	ws := f.work()
	defer f.works.Put(ws)
	return f.forward(x, ws)
}

// Infer maps x to z = g⁻¹(x) in place and returns ln |det ∂z/∂x|.
func (f *Flow) Infer(x []float64) float64 {
	ws := f.work()
	defer f.works.Put(ws)
	return f.infer(x, ws)
}

// Sample maps latent z, drawn from the prior, to a configuration of the
// model in place and returns the model's ln density there: x = g(z) and
// ln q(x) = ln N(z) − ln |det ∂x/∂z|; for a symmetric flow x = ±g(z), minus
// when flip, and ln q_s(x), whose second term comes from the inverse flow at
// −g(z).
func (f *Flow) Sample(x []float64, flip bool) float64 {
	ws := f.work()
	defer f.works.Put(ws)
	lnq := LogNormal(x) - f.forward(x, ws)
	if !f.Symmetric {
		return lnq
	}
	lnqs := floats.LogSumExp([]float64{lnq, f.mirrorLogQ(x, ws)}) - math.Ln2
	if flip {
		for i := range x {
			x[i] = -x[i]
		}
	}
	return lnqs
}

// mirrorLogQ returns ln q(−x), the flow's density at the mirror image of x,
// by the inverse pass at −x: it leaves g⁻¹(−x) in ws.y and the pass on
// ws.tape2, for inverseBackward.
func (f *Flow) mirrorLogQ(x []float64, ws *work) float64 {
	y := ws.y
	for i, v := range x {
		y[i] = -v
	}
	ld := f.inverse(y, ws.tape2)
	return LogNormal(y) + ld
}

// work returns buffers from the pool, or new ones.
func (f *Flow) work() *work {
	if ws, ok := f.works.Get().(*work); ok {
		return ws
	}
	return f.newWork()
}

// infer is Infer with ws's tape as scratch.
func (f *Flow) infer(x []float64, ws *work) float64 {
	return f.inverse(x, ws.tape)
}

// inverse maps x to g⁻¹(x) in place, recording in tape (of forward's
// length) what inverseBackward needs, and returns ln |det ∂z/∂x|. Its tape
// holds, per layer and coupling in the order they are undone, the same
// fields as forward's, with yb each updated site's new value and es its
// factor e^(−s).
func (f *Flow) inverse(x, tape []float64) float64 {
	W := f.tapeWidth()
	var logDet float64
	pos := 0
	for li := len(f.layers) - 1; li >= 0; li-- {
		ly := f.layers[li]
		R := len(ly.blocks)
		for c := f.Couplings - 1; c >= 0; c-- {
			cp := f.coupling(li, c)
			_, mb := masks(c)
			t := f.net(cp, c, ly.blocks, x, tape[pos:pos+R*W])
			pos += R * W
			for r, bl := range ly.blocks {
				for k := 0; k < 2; k++ {
					th := math.Tanh(t.raw[4*r+k])
					s := cp.scale[k] * th
					em := math.Exp(-s)
					x[bl[mb[k]]] = (x[bl[mb[k]]] - t.raw[4*r+2+k]) * em
					logDet -= s
					t.th[2*r+k], t.es[2*r+k], t.yb[2*r+k] = th, em, x[bl[mb[k]]]
				}
			}
		}
	}
	return logDet
}

// Latents returns, per MERA level from the finest (0), the sites whose
// latent variables that level's decimator leaves behind (the three non-kept
// sites of each plaquette; at the top level all four).
func (f *Flow) Latents() [][]int {
	out := make([][]int, f.Levels)
	for _, ly := range f.layers {
		if ly.disentangle {
			continue
		}
		for _, bl := range ly.blocks {
			if ly.level == f.Levels-1 {
				out[ly.level] = append(out[ly.level], bl[:]...)
			} else {
				out[ly.level] = append(out[ly.level], bl[1:]...)
			}
		}
	}
	return out
}
