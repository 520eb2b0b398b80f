package rbm

import (
	"context"
	"fmt"

	"github.com/kadanoff/kadanoff/experiments/linalg"
)

// Stack is a deep belief network: layer k's visible units are layer k−1's
// hidden units.
type Stack struct {
	Layers []*RBM
}

// Feed says what the next layer of a stack (or the next step of a flow) sees:
// the mean activations or a sample of them.
type Feed string

// The feeds.
const (
	Mean   Feed = "mean"
	Sample Feed = "sample"
)

// TrainStack trains a stack greedily: layer k is trained on layer k−1's
// hidden units of the data, fed as means or samples. hidden lists the hidden
// sizes; cfg.Hidden is ignored. progress is called with (layer, epoch).
func TrainStack(ctx context.Context, t *Trainer, data, held linalg.Matrix, hidden []int, feed Feed, progress func(layer, epoch int)) (*Stack, [][]Epoch, error) {
	if feed != Mean && feed != Sample {
		return nil, nil, fmt.Errorf("rbm: unknown feed %q (mean or sample)", feed)
	}
	s := &Stack{}
	var curves [][]Epoch
	for k, nh := range hidden {
		lt := *t
		lt.Config.Hidden = nh
		r, curve, err := lt.Train(ctx, data, held, func(e int) {
			if progress != nil {
				progress(k, e)
			}
		})
		if err != nil {
			return nil, nil, fmt.Errorf("layer %d: %w", k+1, err)
		}
		s.Layers = append(s.Layers, r)
		curves = append(curves, curve)
		if k < len(hidden)-1 {
			m := &Machine{RBM: r, Gemm: t.Gemm, Rand: t.Rand}
			data = m.up(data, feed)
			if held.Rows > 0 {
				held = m.up(held, feed)
			}
		}
	}
	return s, curves, nil
}

// up returns the hidden layer of v, as means or a sample.
func (m *Machine) up(v linalg.Matrix, feed Feed) linalg.Matrix {
	mean := linalg.NewMatrix(v.Rows, m.NH)
	if feed == Sample {
		s := linalg.NewMatrix(v.Rows, m.NH)
		m.Hidden(v, mean, s)
		return s
	}
	m.Hidden(v, mean, linalg.Matrix{})
	return mean
}

// Activations returns the hidden layers of data through the stack: element k
// is layer k's hidden units (means, or samples, as feed says), each computed
// from the previous one.
func (s *Stack) Activations(g *linalg.Gemm, r *linalg.Rand, data linalg.Matrix, feed Feed) ([]linalg.Matrix, error) {
	if len(s.Layers) == 0 {
		return nil, fmt.Errorf("rbm: empty stack")
	}
	if err := s.Layers[0].check(data); err != nil {
		return nil, err
	}
	var out []linalg.Matrix
	for _, l := range s.Layers {
		data = (&Machine{RBM: l, Gemm: g, Rand: r}).up(data, feed)
		out = append(out, data)
	}
	return out, nil
}

// Flow runs the RBM flow v → h → v′ of the first layer `steps` times from
// data, feeding means or samples, and returns every step's visible layer
// (element 0 is the data itself). The lattice never changes size.
func (s *Stack) Flow(g *linalg.Gemm, r *linalg.Rand, data linalg.Matrix, steps int, feed Feed) ([]linalg.Matrix, error) {
	if len(s.Layers) == 0 {
		return nil, fmt.Errorf("rbm: empty stack")
	}
	l := s.Layers[0]
	if err := l.check(data); err != nil {
		return nil, err
	}
	m := &Machine{RBM: l, Gemm: g, Rand: r}
	out := []linalg.Matrix{data}
	v := data
	for i := 0; i < steps; i++ {
		h := m.up(v, feed)
		mean := linalg.NewMatrix(v.Rows, l.NV)
		if feed == Sample {
			smp := linalg.NewMatrix(v.Rows, l.NV)
			m.Visible(h, mean, smp)
			v = smp
		} else {
			m.Visible(h, mean, linalg.Matrix{})
			v = mean
		}
		out = append(out, v)
	}
	return out, nil
}

// ReceptiveFields returns W₁W₂⋯W_k of the first k layers (visible × hidden of
// layer k): column j is hidden unit j's receptive field on the visible layer.
func (s *Stack) ReceptiveFields(g *linalg.Gemm, k int) (linalg.Matrix, error) {
	if k < 1 || k > len(s.Layers) {
		return linalg.Matrix{}, fmt.Errorf("rbm: receptive fields of layer %d in a stack of %d", k, len(s.Layers))
	}
	p := s.Layers[0].W
	for _, l := range s.Layers[1:k] {
		q := linalg.NewMatrix(p.Rows, l.NH)
		g.Mul(linalg.NoTrans, linalg.NoTrans, 1, p, l.W, 0, q)
		p = q
	}
	return p, nil
}

// Reconstruct passes data up through the first k layers of the stack and back
// down, with mean activations both ways (the deterministic reconstruction of
// a deep belief network): element i of the result is the visible means of
// data row i, in the first layer's units.
func (s *Stack) Reconstruct(g *linalg.Gemm, data linalg.Matrix, k int) (linalg.Matrix, error) {
	if k < 1 || k > len(s.Layers) {
		return linalg.Matrix{}, fmt.Errorf("rbm: reconstruction through %d layers of a stack of %d", k, len(s.Layers))
	}
	if err := s.Layers[0].check(data); err != nil {
		return linalg.Matrix{}, err
	}
	x := data
	for _, l := range s.Layers[:k] {
		x = (&Machine{RBM: l, Gemm: g}).up(x, Mean)
	}
	for i := k - 1; i >= 0; i-- {
		l := s.Layers[i]
		mean := linalg.NewMatrix(x.Rows, l.NV)
		(&Machine{RBM: l, Gemm: g}).Visible(x, mean, linalg.Matrix{})
		x = mean
	}
	return x, nil
}
