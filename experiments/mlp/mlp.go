// Package mlp trains small multilayer perceptron classifiers in float32 on
// the linalg GEMM: dense layers with tanh or ReLU, a softmax output and the
// cross-entropy loss (the KL divergence from one-hot labels), minibatch SGD
// with momentum or Adam. The thermometer of the papers is one: it maps an
// Ising configuration to a temperature class.
package mlp

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/kadanoff/kadanoff/experiments/linalg"
)

// Layer is a dense layer y = xW + b.
type Layer struct {
	W linalg.Matrix // in×out
	B []float32
}

// Net is a classifier: hidden layers with Activation, then a linear layer
// whose softmax gives class probabilities.
type Net struct {
	Activation string // "tanh" or "relu"
	Layers     []Layer
}

// New returns a net with the given layer sizes (input first, classes last),
// weights drawn from N(0, 1/fan_in) (Glorot-like scale; He for ReLU) and zero
// biases.
func New(sizes []int, activation string, r *linalg.Rand) (*Net, error) {
	if activation != "tanh" && activation != "relu" {
		return nil, fmt.Errorf("mlp: unknown activation %q (tanh or relu)", activation)
	}
	if len(sizes) < 2 {
		return nil, fmt.Errorf("mlp: need at least input and output sizes, got %v", sizes)
	}
	n := &Net{Activation: activation}
	for k := 0; k+1 < len(sizes); k++ {
		in, out := sizes[k], sizes[k+1]
		if in < 1 || out < 1 {
			return nil, fmt.Errorf("mlp: layer sizes %v", sizes)
		}
		scale := 1 / math.Sqrt(float64(in))
		if activation == "relu" {
			scale *= math.Sqrt2
		}
		l := Layer{W: linalg.NewMatrix(in, out), B: make([]float32, out)}
		for i := range l.W.Data {
			l.W.Data[i] = float32(scale * r.Normal())
		}
		n.Layers = append(n.Layers, l)
	}
	return n, nil
}

// Inputs returns the input size.
func (n *Net) Inputs() int { return n.Layers[0].W.Rows }

// Classes returns the number of classes.
func (n *Net) Classes() int { return n.Layers[len(n.Layers)-1].W.Cols }

// forward runs a batch and returns every layer's output (after the
// activation; the last is the softmax).
func (n *Net) forward(g *linalg.Gemm, x linalg.Matrix) []linalg.Matrix {
	outs := make([]linalg.Matrix, len(n.Layers))
	in := x
	for k, l := range n.Layers {
		y := linalg.NewMatrix(x.Rows, l.W.Cols)
		for i := 0; i < y.Rows; i++ {
			copy(y.Row(i), l.B)
		}
		g.Mul(linalg.NoTrans, linalg.NoTrans, 1, in, l.W, 1, y)
		if k < len(n.Layers)-1 {
			if n.Activation == "tanh" {
				linalg.Tanh(y.Data, y.Data)
			} else {
				for i, v := range y.Data {
					y.Data[i] = max(v, 0)
				}
			}
		} else {
			softmax(y)
		}
		outs[k] = y
		in = y
	}
	return outs
}

// softmax replaces each row by its softmax, computed stably.
func softmax(y linalg.Matrix) {
	for i := 0; i < y.Rows; i++ {
		row := y.Row(i)
		m := row[0]
		for _, v := range row {
			m = max(m, v)
		}
		var s float64
		for j, v := range row {
			e := math.Exp(float64(v - m))
			row[j] = float32(e)
			s += e
		}
		for j := range row {
			row[j] = float32(float64(row[j]) / s)
		}
	}
}

// Predict returns the class probabilities of each row of x.
func (n *Net) Predict(g *linalg.Gemm, x linalg.Matrix) (linalg.Matrix, error) {
	if x.Cols != n.Inputs() {
		return linalg.Matrix{}, fmt.Errorf("mlp: input has %d features, the net takes %d", x.Cols, n.Inputs())
	}
	outs := n.forward(g, x)
	return outs[len(outs)-1], nil
}

// loss returns the mean cross-entropy of probabilities p against labels.
func loss(p linalg.Matrix, labels []int) float64 {
	var l float64
	for i, c := range labels {
		l -= math.Log(math.Max(float64(p.At(i, c)), 1e-30))
	}
	return l / float64(len(labels))
}

// grads computes the gradient of the mean cross-entropy of the batch with
// respect to every weight and bias, returning the loss and the number of
// samples whose argmax is their label.
func (n *Net) grads(g *linalg.Gemm, x linalg.Matrix, labels []int, gw []linalg.Matrix, gb [][]float32) (l float64, hits int) {
	outs := n.forward(g, x)
	p := outs[len(outs)-1]
	l = loss(p, labels)
	for i, c := range labels {
		if argmax(p.Row(i)) == c {
			hits++
		}
	}
	// δ of the last layer: (p − onehot)/batch.
	delta := linalg.NewMatrix(p.Rows, p.Cols)
	copy(delta.Data, p.Data)
	for i, c := range labels {
		delta.Set(i, c, delta.At(i, c)-1)
	}
	inv := 1 / float32(p.Rows)
	for i := range delta.Data {
		delta.Data[i] *= inv
	}
	for k := len(n.Layers) - 1; k >= 0; k-- {
		in := x
		if k > 0 {
			in = outs[k-1]
		}
		g.Mul(linalg.Trans, linalg.NoTrans, 1, in, delta, 0, gw[k])
		clear(gb[k])
		for i := 0; i < delta.Rows; i++ {
			for j, v := range delta.Row(i) {
				gb[k][j] += v
			}
		}
		if k == 0 {
			break
		}
		prev := linalg.NewMatrix(delta.Rows, n.Layers[k].W.Rows)
		g.Mul(linalg.NoTrans, linalg.Trans, 1, delta, n.Layers[k].W, 0, prev)
		a := outs[k-1]
		for i, v := range a.Data {
			if n.Activation == "tanh" {
				prev.Data[i] *= 1 - v*v
			} else if v <= 0 {
				prev.Data[i] = 0
			}
		}
		delta = prev
	}
	return l, hits
}

// Config holds the training settings.
type Config struct {
	Hidden     []int
	Activation string
	Optimizer  string // "sgd" (with momentum) or "adam"
	LR         float64
	// LRFinal, if positive, is the learning rate of the last epoch: the rate
	// falls linearly from LR to it, so the final weights do not carry the
	// noise of the early, large steps.
	LRFinal  float64
	Momentum float64 // SGD momentum
	Epochs   int
	Batch    int
	// Validation is the fraction of samples held out for validation.
	Validation float64
	// Augment, if not nil, transforms each training sample in place every
	// time it enters a batch (a symmetry of the data, say).
	Augment func(x []float32, r *linalg.Rand)
}

// check names the first setting out of range.
func (c *Config) check() error {
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("epochs must be at least 1, got %d", c.Epochs)
	case c.Batch < 1:
		return fmt.Errorf("batch must be at least 1, got %d", c.Batch)
	case !(c.LR > 0):
		return fmt.Errorf("learning rate must be positive, got %v", c.LR)
	case c.LRFinal < 0:
		return fmt.Errorf("final learning rate must not be negative, got %v", c.LRFinal)
	case c.Momentum < 0 || c.Momentum >= 1:
		return fmt.Errorf("momentum must be in [0, 1), got %v", c.Momentum)
	case c.Validation < 0 || c.Validation >= 1:
		return fmt.Errorf("validation fraction must be in [0, 1), got %v", c.Validation)
	}
	return nil
}

// Epoch is one line of the training curve.
type Epoch struct {
	Epoch                    int
	LR                       float64 // the epoch's learning rate
	TrainLoss, TrainAccuracy float64 // running means over the epoch's batches

	ValidLoss, ValidAccuracy float64
	ValidWithinOne           float64 // fraction of validation samples within ±1 class
}

// Result is a trained classifier with its curve and the confusion matrix on
// the validation set (rows: true class, columns: predicted).
type Result struct {
	Net       *Net
	Curve     []Epoch
	Confusion [][]int
}

// Train trains a classifier on the rows of x with labels in [0, classes).
// The validation set is every sample whose index is ≡ 0 mod round(1/fraction)
// (an interleaved split, so every class is represented), the rest trains.
func Train(ctx context.Context, g *linalg.Gemm, r *linalg.Rand, x linalg.Matrix, labels []int, classes int, cfg Config, progress func(epoch int)) (*Result, error) {
	if len(labels) != x.Rows {
		return nil, fmt.Errorf("mlp: %d labels for %d samples", len(labels), x.Rows)
	}
	for _, c := range labels {
		if c < 0 || c >= classes {
			return nil, fmt.Errorf("mlp: label %d outside [0, %d)", c, classes)
		}
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("mlp: %w", err)
	}
	if cfg.Optimizer != "sgd" && cfg.Optimizer != "adam" {
		return nil, fmt.Errorf("mlp: unknown optimizer %q (sgd or adam)", cfg.Optimizer)
	}
	sizes := append(append([]int{x.Cols}, cfg.Hidden...), classes)
	net, err := New(sizes, cfg.Activation, r)
	if err != nil {
		return nil, err
	}
	trainIdx, validIdx := Split(labels, cfg.Validation)
	if len(trainIdx) < cfg.Batch {
		return nil, fmt.Errorf("mlp: %d training samples, fewer than a batch of %d", len(trainIdx), cfg.Batch)
	}
	gather := func(idx []int) (linalg.Matrix, []int) {
		m := linalg.NewMatrix(len(idx), x.Cols)
		l := make([]int, len(idx))
		for k, i := range idx {
			copy(m.Row(k), x.Row(i))
			l[k] = labels[i]
		}
		return m, l
	}
	opt := newOptimizer(net, cfg)
	gw := make([]linalg.Matrix, len(net.Layers))
	gb := make([][]float32, len(net.Layers))
	for k, l := range net.Layers {
		gw[k] = linalg.NewMatrix(l.W.Rows, l.W.Cols)
		gb[k] = make([]float32, len(l.B))
	}
	res := &Result{Net: net}
	validX, validL := gather(validIdx)
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		opt.lr = cfg.LR
		if cfg.LRFinal > 0 && cfg.Epochs > 1 {
			opt.lr = cfg.LR + (cfg.LRFinal-cfg.LR)*float64(epoch-1)/float64(cfg.Epochs-1)
		}
		for i := len(trainIdx) - 1; i > 0; i-- {
			j := int(r.Uint64() % uint64(i+1))
			trainIdx[i], trainIdx[j] = trainIdx[j], trainIdx[i]
		}
		var sumLoss float64
		var hits, seen int
		for b := 0; b+cfg.Batch <= len(trainIdx); b += cfg.Batch {
			bx, bl := gather(trainIdx[b : b+cfg.Batch])
			if cfg.Augment != nil {
				for i := 0; i < bx.Rows; i++ {
					cfg.Augment(bx.Row(i), r)
				}
			}
			l, h := net.grads(g, bx, bl, gw, gb)
			opt.step(net, gw, gb)
			sumLoss += l * float64(bx.Rows)
			hits += h
			seen += bx.Rows
		}
		// As Keras reports it: the training loss and accuracy are running
		// means over the epoch's batches (as the weights were then), which
		// costs no extra pass over the training set.
		e := Epoch{Epoch: epoch, LR: opt.lr, TrainLoss: sumLoss / float64(seen), TrainAccuracy: float64(hits) / float64(seen)}
		var conf [][]int
		e.ValidLoss, e.ValidAccuracy, e.ValidWithinOne, conf = net.evaluate(g, validX, validL, classes)
		res.Curve = append(res.Curve, e)
		res.Confusion = conf
		if progress != nil {
			progress(epoch)
		}
	}
	return res, nil
}

// Split returns the training and validation indices of samples with the
// given labels when the fraction f validates, stratified by class: the k-th
// sample of a class validates when ⌊(k+1)f⌋ > ⌊k·f⌋, so each class puts
// exactly ⌊n_c·f⌋ of its n_c samples, interleaved, into validation. (An
// unstratified rule on the row index would send whole classes to one side
// when the classes are interleaved with a period that shares a factor with
// 1/f.)
func Split(labels []int, f float64) (train, valid []int) {
	seen := map[int]int{}
	for i, c := range labels {
		k := seen[c]
		seen[c]++
		if math.Floor(float64(k+1)*f) > math.Floor(float64(k)*f) {
			valid = append(valid, i)
		} else {
			train = append(train, i)
		}
	}
	return train, valid
}

// evaluate returns the loss, accuracy, fraction within ±1 class and the
// confusion matrix of x (NaN loss and accuracy when x is empty).
func (n *Net) evaluate(g *linalg.Gemm, x linalg.Matrix, labels []int, classes int) (l, acc, within float64, conf [][]int) {
	conf = make([][]int, classes)
	for i := range conf {
		conf[i] = make([]int, classes)
	}
	if x.Rows == 0 {
		return math.NaN(), math.NaN(), math.NaN(), conf
	}
	p := n.forward(g, x)
	probs := p[len(p)-1]
	hits, near := 0, 0
	for i, c := range labels {
		pred := argmax(probs.Row(i))
		conf[c][pred]++
		if pred == c {
			hits++
		}
		if pred-c <= 1 && c-pred <= 1 {
			near++
		}
	}
	k := float64(len(labels))
	return loss(probs, labels), float64(hits) / k, float64(near) / k, conf
}

func argmax(row []float32) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// optimizer updates the weights from gradients.
type optimizer struct {
	cfg    Config
	lr     float64 // this epoch's learning rate
	t      int
	m1, m2 [][]float32 // per parameter tensor: velocity (SGD) or Adam moments
}

func newOptimizer(n *Net, cfg Config) *optimizer {
	o := &optimizer{cfg: cfg, lr: cfg.LR}
	for _, l := range n.Layers {
		for _, p := range [][]float32{l.W.Data, l.B} {
			o.m1 = append(o.m1, make([]float32, len(p)))
			o.m2 = append(o.m2, make([]float32, len(p)))
		}
	}
	return o
}

func (o *optimizer) step(n *Net, gw []linalg.Matrix, gb [][]float32) {
	o.t++
	lr := float32(o.lr)
	k := 0
	for li, l := range n.Layers {
		for pi, p := range [][]float32{l.W.Data, l.B} {
			g := gw[li].Data
			if pi == 1 {
				g = gb[li]
			}
			m1, m2 := o.m1[k], o.m2[k]
			k++
			if o.cfg.Optimizer == "sgd" {
				mom := float32(o.cfg.Momentum)
				for i := range p {
					m1[i] = mom*m1[i] - lr*g[i]
					p[i] += m1[i]
				}
				continue
			}
			const b1, b2, eps = 0.9, 0.999, 1e-8
			c1 := float32(1 - math.Pow(b1, float64(o.t)))
			c2 := float32(1 - math.Pow(b2, float64(o.t)))
			for i := range p {
				m1[i] = b1*m1[i] + (1-b1)*g[i]
				m2[i] = b2*m2[i] + (1-b2)*g[i]*g[i]
				p[i] -= lr * (m1[i] / c1) / (float32(math.Sqrt(float64(m2[i]/c2))) + eps)
			}
		}
	}
}

// encoded is the JSON form of a Net.
type encoded struct {
	Format     string            `json:"format"`
	Activation string            `json:"activation"`
	Layers     []encodedLayer    `json:"layers"`
	Hyper      map[string]string `json:"hyperparameters,omitempty"`
}

type encodedLayer struct {
	In, Out int
	W, B    []float32
}

const format = "kadanoff-mlp 1"

// Marshal encodes the net with free-form hyperparameters (deterministic JSON).
func (n *Net) Marshal(hyper map[string]string) ([]byte, error) {
	e := encoded{Format: format, Activation: n.Activation, Hyper: hyper}
	for _, l := range n.Layers {
		e.Layers = append(e.Layers, encodedLayer{In: l.W.Rows, Out: l.W.Cols, W: l.W.Data, B: l.B})
	}
	return json.Marshal(e)
}

// Unmarshal decodes a net, checking the format and every shape.
func Unmarshal(data []byte) (*Net, error) {
	var e encoded
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("mlp: model: %w", err)
	}
	if e.Format != format {
		return nil, fmt.Errorf("mlp: model format %q, want %q", e.Format, format)
	}
	if e.Activation != "tanh" && e.Activation != "relu" || len(e.Layers) == 0 {
		return nil, fmt.Errorf("mlp: model has activation %q and %d layers", e.Activation, len(e.Layers))
	}
	n := &Net{Activation: e.Activation}
	for k, l := range e.Layers {
		if l.In < 1 || l.Out < 1 || len(l.W) != l.In*l.Out || len(l.B) != l.Out {
			return nil, fmt.Errorf("mlp: model layer %d: %d×%d with %d weights and %d biases", k+1, l.In, l.Out, len(l.W), len(l.B))
		}
		if k > 0 && l.In != e.Layers[k-1].Out {
			return nil, fmt.Errorf("mlp: model layer %d takes %d inputs, layer %d gives %d", k+1, l.In, k, e.Layers[k-1].Out)
		}
		n.Layers = append(n.Layers, Layer{W: linalg.Matrix{Rows: l.In, Cols: l.Out, Stride: l.Out, Data: l.W}, B: l.B})
	}
	return n, nil
}
