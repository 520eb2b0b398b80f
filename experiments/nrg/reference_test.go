package nrg

import (
	"math"
	"testing"

	"github.com/kadanoff/kadanoff/experiments/linalg"
)

// legacyCoupling is a coupling's parameters as nrg.train v4 laid them out
// (one network, two hidden layers): the default shape's are still in that order.
type legacyCoupling struct {
	w1, b1, w2, b2, w3, b3, scale []float64 // w1: 2×H, w2: H×H, w3: H×4 (row-major)
}

func legacyView(cp couplingParams) legacyCoupling {
	n := cp.nets[0]
	return legacyCoupling{n.w[0], n.b[0], n.w[1], n.b[1], n.w[2], n.b[2], cp.scale}
}

// referenceNet evaluates the s and t network of a coupling on one
// plaquette's two conditioning values (nrg.train v4's scalar loops), leaving the layers' inputs and outputs in pre1, pre2, h1, h2, the
// output layer in raw and tanh of its s half in th.
func (cp legacyCoupling) referenceNet(a0, a1 float64, H int, pre1, pre2, h1, h2 []float64, raw *[4]float64, th *[2]float64) (s, t [2]float64) {
	pre1, pre2, h1, h2 = pre1[:H:H], pre2[:H:H], h1[:H:H], h2[:H:H]
	b1, w1a, w1b := cp.b1[:H:H], cp.w1[:H:H], cp.w1[H:2*H:2*H]
	for j := range pre1 {
		pre1[j] = b1[j] + a0*w1a[j] + a1*w1b[j]
	}
	linalg.ELU64(h1, pre1)
	// Row by row of w2 (contiguous), each pre2[j] summed over i in order.
	copy(pre2, cp.b2[:H])
	for i, hi := range h1 {
		row := cp.w2[i*H : (i+1)*H : (i+1)*H]
		for j := range pre2 {
			pre2[j] += hi * row[j]
		}
	}
	linalg.ELU64(h2, pre2)
	*raw = [4]float64(cp.b3[:4])
	for i, hi := range h2 {
		o := cp.w3[4*i : 4*i+4 : 4*i+4]
		raw[0] += hi * o[0]
		raw[1] += hi * o[1]
		raw[2] += hi * o[2]
		raw[3] += hi * o[3]
	}
	for k := 0; k < 2; k++ {
		th[k] = math.Tanh(raw[k])
		s[k] = cp.scale[k] * th[k]
		t[k] = raw[2+k]
	}
	return s, t
}

// referenceInfer is Infer plaquette by plaquette, as nrg.train v3 computed it.
func (f *Flow) referenceInfer(x []float64) float64 {
	H := f.Hidden
	pre1, pre2, h1, h2 := make([]float64, H), make([]float64, H), make([]float64, H), make([]float64, H)
	var raw [4]float64
	var th [2]float64
	var logDet float64
	for li := len(f.layers) - 1; li >= 0; li-- {
		ly := f.layers[li]
		for c := f.Couplings - 1; c >= 0; c-- {
			cp := legacyView(f.coupling(li, c))
			ma, mb := masks(c)
			for _, bl := range ly.blocks {
				s, t := cp.referenceNet(x[bl[ma[0]]], x[bl[ma[1]]], H, pre1, pre2, h1, h2, &raw, &th)
				for k := 0; k < 2; k++ {
					x[bl[mb[k]]] = (x[bl[mb[k]]] - t[k]) * math.Exp(-s[k])
					logDet -= s[k]
				}
			}
		}
	}
	return logDet
}

// refWork holds the buffers of the plaquette-by-plaquette reference.
type refWork struct {
	x, g   []float64
	tape   []float64
	gh, gp []float64
}

func (f *Flow) newRefWork() *refWork {
	n := 0
	for _, ly := range f.layers {
		n += len(ly.blocks) * f.Couplings
	}
	H := f.Hidden
	return &refWork{x: make([]float64, f.N), g: make([]float64, f.N), tape: make([]float64, n*(12+4*H)),
		gh: make([]float64, H), gp: make([]float64, H)}
}

// referenceForward is the flow's forward pass plaquette by plaquette, as
// nrg.train v3 computed it (the tape per plaquette: a, yb, raw, tanh, pre1,
// pre2, h1, h2, e^s).
func (f *Flow) referenceForward(x []float64, ws *refWork) float64 {
	H, W := f.Hidden, 12+4*f.Hidden
	var logDet float64
	var raw [4]float64
	var th [2]float64
	pos := 0
	for li, ly := range f.layers {
		for c := 0; c < f.Couplings; c++ {
			cp := legacyView(f.coupling(li, c))
			ma, mb := masks(c)
			for _, bl := range ly.blocks {
				tp := ws.tape[pos : pos+W]
				pos += W
				a0, a1 := x[bl[ma[0]]], x[bl[ma[1]]]
				s, tt := cp.referenceNet(a0, a1, H, tp[10:10+H], tp[10+H:10+2*H], tp[10+2*H:10+3*H], tp[10+3*H:10+4*H], &raw, &th)
				tp[0], tp[1] = a0, a1
				tp[8], tp[9] = th[0], th[1]
				for k := 0; k < 2; k++ {
					yb := x[bl[mb[k]]]
					var es [1]float64
					linalg.Exp64(es[:], s[k:k+1])
					tp[2+k], tp[10+4*H+k] = yb, es[0]
					x[bl[mb[k]]] = yb*es[0] + tt[k]
					logDet += s[k]
				}
				copy(tp[4:8], raw[:])
			}
		}
	}
	return logDet
}

// referenceSample is one sample's loss and gradient plaquette by plaquette,
// as nrg.train v3 computed them.
func (f *Flow) referenceSample(t *Target, z []float64, g []float64, ws *refWork) float64 {
	H, W := f.Hidden, 12+4*f.Hidden
	x := ws.x
	copy(x, z)
	lnN := LogNormal(z)
	logDet := f.referenceForward(x, ws)
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
			cp := legacyView(f.viewCoupling(f.Params[off : off+f.nPer]))
			gc := legacyView(f.viewCoupling(g[off : off+f.nPer]))
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

// TestBatchedMatchesReference checks that the batched passes (every
// plaquette of a coupling through linalg.Dense64 at once) give the loss, the
// gradient and the inverse of the plaquette-by-plaquette code bit for bit, on flows of
// every depth, odd widths and the widest allowed, with gradients summed
// over several samples as Loss does.
func TestBatchedMatchesReference(t *testing.T) {
	for _, cfg := range []Config{
		{L: 8, Levels: 3, Couplings: 3, Hidden: 10},
		{L: 8, Levels: 1, Couplings: 2, Hidden: 7},
		{L: 4, Levels: 2, Couplings: 4, Hidden: 16},
		{L: 16, Levels: 2, Couplings: 2, Hidden: 3},
	} {
		f := randomFlow(t, cfg, 11)
		tg, err := NewTarget(cfg.L, 2.3)
		if err != nil {
			t.Fatal(err)
		}
		ws, rws := f.newWork(), f.newRefWork()
		ws.trans = f.transposes()
		g, rg := make([]float64, len(f.Params)), make([]float64, len(f.Params))
		for i, z := range Prior(newRand(12), 5, f.N) {
			loss, ref := f.sample(tg, z, f.viewAll(g), ws), f.referenceSample(tg, z, rg, rws)
			if math.Float64bits(loss) != math.Float64bits(ref) {
				t.Fatalf("%+v sample %d: loss %v, reference %v", cfg, i, loss, ref)
			}
			for p := range g {
				if math.Float64bits(g[p]) != math.Float64bits(rg[p]) {
					t.Fatalf("%+v sample %d: gradient[%d] %v, reference %v", cfg, i, p, g[p], rg[p])
				}
			}
		}
		x, rx := append([]float64(nil), ws.x...), append([]float64(nil), rws.x...)
		for i := range x {
			if x[i] != rx[i] {
				t.Fatalf("%+v: x[%d] = %v, reference %v", cfg, i, x[i], rx[i])
			}
		}
		// The inverse, through the same batched network.
		ld, rld := f.Infer(x), f.referenceInfer(rx)
		if math.Float64bits(ld) != math.Float64bits(rld) {
			t.Fatalf("%+v: Infer's ln|det| %v, reference %v", cfg, ld, rld)
		}
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(rx[i]) {
				t.Fatalf("%+v: Infer's z[%d] = %v, reference %v", cfg, i, x[i], rx[i])
			}
		}
	}
}
