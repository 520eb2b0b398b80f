package rbm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/kadanoff/kadanoff/experiments/linalg"
)

// modelMagic starts every encoded model.
const modelMagic = "KADANOFF-RBM 1\n"

// header is the JSON line that describes an encoded stack; the float32
// tensors follow in layer order (W, b, c), little-endian.
type header struct {
	Units  Units             `json:"units"`
	Layers []layerShape      `json:"layers"`
	Hyper  map[string]string `json:"hyperparameters,omitempty"`
}

type layerShape struct {
	Visible int `json:"visible"`
	Hidden  int `json:"hidden"`
}

// Marshal encodes a stack with its hyperparameters (free-form, recorded for
// the reader). The encoding is deterministic.
func (s *Stack) Marshal(hyper map[string]string) ([]byte, error) {
	if len(s.Layers) == 0 {
		return nil, fmt.Errorf("rbm: empty stack")
	}
	h := header{Units: s.Layers[0].Units, Hyper: hyper}
	for _, l := range s.Layers {
		h.Layers = append(h.Layers, layerShape{l.NV, l.NH})
	}
	js, err := json.Marshal(h) // map keys are sorted: deterministic
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(modelMagic)
	buf.Write(js)
	buf.WriteByte('\n')
	var scratch []byte
	put := func(xs []float32) {
		scratch = scratch[:0]
		for _, x := range xs {
			scratch = binary.LittleEndian.AppendUint32(scratch, math.Float32bits(x))
		}
		buf.Write(scratch)
	}
	for _, l := range s.Layers {
		for i := 0; i < l.NV; i++ {
			put(l.W.Row(i))
		}
		put(l.B)
		put(l.C)
	}
	return buf.Bytes(), nil
}

// Unmarshal decodes a stack, checking the header, the chain of layer shapes
// and the payload length; it returns the hyperparameters too.
func Unmarshal(data []byte) (*Stack, map[string]string, error) {
	rest, ok := bytes.CutPrefix(data, []byte(modelMagic))
	if !ok {
		return nil, nil, fmt.Errorf("rbm: not a Kadanoff RBM model (bad magic)")
	}
	line, payload, ok := bytes.Cut(rest, []byte("\n"))
	if !ok {
		return nil, nil, fmt.Errorf("rbm: model header is not terminated")
	}
	var h header
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, nil, fmt.Errorf("rbm: model header: %w", err)
	}
	if !h.Units.Valid() {
		return nil, nil, fmt.Errorf("rbm: model has unknown units %q", h.Units)
	}
	if len(h.Layers) == 0 {
		return nil, nil, fmt.Errorf("rbm: model has no layers")
	}
	want := 0
	for k, l := range h.Layers {
		if l.Visible < 1 || l.Hidden < 1 || l.Visible > 1<<24 || l.Hidden > 1<<24 {
			return nil, nil, fmt.Errorf("rbm: layer %d has shape %d×%d", k+1, l.Visible, l.Hidden)
		}
		if k > 0 && l.Visible != h.Layers[k-1].Hidden {
			return nil, nil, fmt.Errorf("rbm: layer %d has %d visible units but layer %d has %d hidden", k+1, l.Visible, k, h.Layers[k-1].Hidden)
		}
		want += 4 * (l.Visible*l.Hidden + l.Visible + l.Hidden)
	}
	if len(payload) != want {
		return nil, nil, fmt.Errorf("rbm: model payload is %d bytes, its shapes need %d", len(payload), want)
	}
	next := func(n int) []float32 {
		xs := make([]float32, n)
		for i := range xs {
			xs[i] = math.Float32frombits(binary.LittleEndian.Uint32(payload))
			payload = payload[4:]
		}
		return xs
	}
	s := &Stack{}
	for _, l := range h.Layers {
		r := &RBM{Units: h.Units, NV: l.Visible, NH: l.Hidden,
			W: linalg.Matrix{Rows: l.Visible, Cols: l.Hidden, Stride: l.Hidden, Data: next(l.Visible * l.Hidden)}}
		r.B, r.C = next(l.Visible), next(l.Hidden)
		s.Layers = append(s.Layers, r)
	}
	return s, h.Hyper, nil
}
