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
	"time"

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

// batch holds the matrices of a pass over up to rows samples, reused from
// batch to batch: the training loop allocates nothing per step.
type batch struct {
	rows   int
	outs   []linalg.Matrix // each layer's output, after the activation
	deltas []linalg.Matrix // each layer's back-propagated error
	pred   []int           // each row's predicted class
	sums   []float64       // each row's sum of exponentials
}

func (n *Net) newBatch(rows int) *batch {
	b := &batch{rows: rows, pred: make([]int, rows), sums: make([]float64, rows)}
	for _, l := range n.Layers {
		b.outs = append(b.outs, linalg.NewMatrix(rows, l.W.Cols))
		b.deltas = append(b.deltas, linalg.NewMatrix(rows, l.W.Cols))
	}
	return b
}

// view returns b's matrices cut to the first r rows.
func (b *batch) view(r int) (outs, deltas []linalg.Matrix) {
	outs, deltas = make([]linalg.Matrix, len(b.outs)), make([]linalg.Matrix, len(b.deltas))
	for k := range b.outs {
		outs[k] = linalg.Matrix{Rows: r, Cols: b.outs[k].Cols, Stride: b.outs[k].Stride, Data: b.outs[k].Data[:r*b.outs[k].Stride]}
		deltas[k] = linalg.Matrix{Rows: r, Cols: b.deltas[k].Cols, Stride: b.deltas[k].Stride, Data: b.deltas[k].Data[:r*b.deltas[k].Stride]}
	}
	return outs, deltas
}

// forward runs x through the net into outs (one matrix per layer with
// x.Rows rows): each layer's output after the activation, the last the softmax.
func (n *Net) forward(g *linalg.Gemm, x linalg.Matrix, outs []linalg.Matrix) {
	n.logits(g, x, outs)
	softmax(outs[len(outs)-1])
}

// logits is forward without the final softmax: the last matrix holds the
// output layer's pre-activations.
func (n *Net) logits(g *linalg.Gemm, x linalg.Matrix, outs []linalg.Matrix) {
	in := x
	for k, l := range n.Layers {
		y := outs[k]
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
		}
		in = y
	}
}

// shiftRows subtracts each row's maximum from it and records the argmax of
// each row (the first index of the maximum). A new maximum is rare after the
// first few values, so the compare is well predicted.
func shiftRows(z linalg.Matrix, argmax []int) {
	for i := 0; i < z.Rows; i++ {
		row := z.Row(i)
		m, best := row[0], 0
		for j, v := range row {
			if v > m {
				m, best = v, j
			}
		}
		for j := range row {
			row[j] -= m
		}
		argmax[i] = best
	}
}

// expRows replaces z by e^z (z holds rows shifted by their maximum).
func expRows(z linalg.Matrix) {
	if z.Stride == z.Cols {
		linalg.Exp(z.Data[:z.Rows*z.Cols], z.Data[:z.Rows*z.Cols])
		return
	}
	for i := 0; i < z.Rows; i++ {
		linalg.Exp(z.Row(i), z.Row(i))
	}
}

// rowSum is the float64 sum of a row, first to last.
func rowSum(row []float32) float64 {
	var s float64
	for _, v := range row {
		s += float64(v)
	}
	return s
}

// rowSums sets sums[i] to rowSum of row i of z, four rows at a time: each
// row's sum is still taken first to last (the same bits), but four
// independent sums keep the adder busy where one waits on each addition.
func rowSums(z linalg.Matrix, sums []float64) {
	i := 0
	for ; i+4 <= z.Rows; i += 4 {
		r0, r1, r2, r3 := z.Row(i), z.Row(i+1), z.Row(i+2), z.Row(i+3)
		r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
		var s0, s1, s2, s3 float64
		for j, v := range r0 {
			s0 += float64(v)
			s1 += float64(r1[j])
			s2 += float64(r2[j])
			s3 += float64(r3[j])
		}
		sums[i], sums[i+1], sums[i+2], sums[i+3] = s0, s1, s2, s3
	}
	for ; i < z.Rows; i++ {
		sums[i] = rowSum(z.Row(i))
	}
}

// softmax replaces each row by its softmax, computed stably in float32 (the
// exponentials to a relative 2·10⁻⁷, summed in float64).
func softmax(y linalg.Matrix) {
	shiftRows(y, make([]int, y.Rows))
	expRows(y)
	for i := 0; i < y.Rows; i++ {
		row := y.Row(i)
		inv := float32(1 / rowSum(row))
		for j := range row {
			row[j] *= inv
		}
	}
}

// Predict returns the class probabilities of each row of x.
func (n *Net) Predict(g *linalg.Gemm, x linalg.Matrix) (linalg.Matrix, error) {
	if x.Cols != n.Inputs() {
		return linalg.Matrix{}, fmt.Errorf("mlp: input has %d features, the net takes %d", x.Cols, n.Inputs())
	}
	b := n.newBatch(x.Rows)
	n.forward(g, x, b.outs)
	return b.outs[len(b.outs)-1], nil
}

// loss returns the mean cross-entropy of probabilities p against labels.
func loss(p linalg.Matrix, labels []int) float64 {
	var l float64
	for i, c := range labels {
		l -= math.Log(math.Max(float64(p.At(i, c)), 1e-30))
	}
	return l / float64(len(labels))
}

// grads computes, with b's buffers, the gradient of the mean cross-entropy of
// the batch with respect to every weight and bias, returning the loss and
// the number of samples whose argmax is their label.
func (n *Net) grads(g *linalg.Gemm, b *batch, x linalg.Matrix, labels []int, gw []linalg.Matrix, gb [][]float32) (l float64, hits int) {
	outs, deltas := b.view(x.Rows)
	n.logits(g, x, outs)
	// The softmax, the loss and δ of the last layer, (p − onehot)/batch, in
	// one sweep over the exponentials.
	z, delta := outs[len(outs)-1], deltas[len(deltas)-1]
	pred := b.pred[:x.Rows]
	shiftRows(z, pred)
	expRows(z)
	invB := 1 / float32(x.Rows)
	sums := b.sums[:x.Rows]
	rowSums(z, sums)
	for i, c := range labels {
		row, d := z.Row(i), delta.Row(i)
		s := sums[i]
		l -= math.Log(math.Max(float64(row[c])/s, 1e-30))
		if pred[i] == c {
			hits++
		}
		scale := float32(1/s) * invB
		for j, v := range row {
			d[j] = v * scale
		}
		d[c] -= invB
	}
	l /= float64(len(labels))
	for k := len(n.Layers) - 1; k >= 0; k-- {
		in := x
		if k > 0 {
			in = outs[k-1]
		}
		g.Mul(linalg.Trans, linalg.NoTrans, 1, in, delta, 0, gw[k])
		clear(gb[k])
		for i := 0; i < delta.Rows; i++ {
			linalg.Axpy(1, delta.Row(i), gb[k])
		}
		if k == 0 {
			break
		}
		prev := deltas[k-1]
		g.Mul(linalg.NoTrans, linalg.Trans, 1, delta, n.Layers[k].W, 0, prev)
		a := outs[k-1]
		if n.Activation == "tanh" {
			linalg.TanhGrad(prev.Data, a.Data)
		} else {
			for i, v := range a.Data {
				if v <= 0 {
					prev.Data[i] = 0
				}
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
	// Monitor, if positive and smaller than the validation set, is the number
	// of validation samples (a subset stratified by class) scored after every
	// epoch but the last, which scores them all: the curve's validation pass
	// then costs a fixed share of an epoch however large the set.
	Monitor int
	// Augment, if not nil, transforms each training sample in place every
	// time it enters a batch (a symmetry of the data, say).
	Augment func(x []float32, r *linalg.Rand)
	// Timing, if not nil, receives the time spent training and validating.
	Timing *Timing
}

// Timing splits a training run's time between the passes.
type Timing struct {
	Train, Validate time.Duration
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
	case c.Monitor < 0:
		return fmt.Errorf("monitor must not be negative, got %d", c.Monitor)
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
	ValidSamples             int     // how many validation samples were scored
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
	// gather copies the samples idx[:m.Rows] of x and their labels into m
	// and l; idx may run on (linalg.GatherRows prefetches the next rows).
	gather := func(idx []int, m linalg.Matrix, l []int) {
		linalg.GatherRows(m, x, idx)
		for k, i := range idx[:m.Rows] {
			l[k] = labels[i]
		}
	}
	opt := newOptimizer(net, cfg)
	gw := make([]linalg.Matrix, len(net.Layers))
	gb := make([][]float32, len(net.Layers))
	for k, l := range net.Layers {
		gw[k] = linalg.NewMatrix(l.W.Rows, l.W.Cols)
		gb[k] = make([]float32, len(l.B))
	}
	res := &Result{Net: net}
	validX, validL := linalg.NewMatrix(len(validIdx), x.Cols), make([]int, len(validIdx))
	gather(validIdx, validX, validL)
	// The training rows, contiguous: an epoch's random batches then gather
	// from a matrix that holds nothing else (a smaller working set).
	trainX, trainL := linalg.NewMatrix(len(trainIdx), x.Cols), make([]int, len(trainIdx))
	gather(trainIdx, trainX, trainL)
	x, labels = trainX, trainL
	for i := range trainIdx {
		trainIdx[i] = i
	}
	bx, bl := linalg.NewMatrix(cfg.Batch, x.Cols), make([]int, cfg.Batch)
	work := net.newBatch(cfg.Batch)
	eval := net.newEvaluator(validX, validL)
	monitor := eval
	if cfg.Monitor > 0 && cfg.Monitor < len(validIdx) {
		_, sub := Split(validL, float64(cfg.Monitor)/float64(len(validIdx)))
		mx, ml := linalg.NewMatrix(len(sub), x.Cols), make([]int, len(sub))
		for k, i := range sub {
			copy(mx.Row(k), validX.Row(i))
			ml[k] = validL[i]
		}
		monitor = net.newEvaluator(mx, ml)
	}
	clock := time.Now()
	lap := func(d *time.Duration) {
		now := time.Now()
		*d += now.Sub(clock)
		clock = now
	}
	var timing Timing
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
			gather(trainIdx[b:], bx, bl)

			if cfg.Augment != nil {
				for i := 0; i < bx.Rows; i++ {
					cfg.Augment(bx.Row(i), r)
				}
			}
			l, h := net.grads(g, work, bx, bl, gw, gb)
			opt.step(net, gw, gb)
			sumLoss += l * float64(bx.Rows)
			hits += h
			seen += bx.Rows
		}
		// As Keras reports it: the training loss and accuracy are running
		// means over the epoch's batches (as the weights were then), which
		// costs no extra pass over the training set.
		e := Epoch{Epoch: epoch, LR: opt.lr, TrainLoss: sumLoss / float64(seen), TrainAccuracy: float64(hits) / float64(seen)}
		lap(&timing.Train)
		ev := monitor
		if epoch == cfg.Epochs {
			ev = eval
		}
		var conf [][]int
		e.ValidLoss, e.ValidAccuracy, e.ValidWithinOne, conf = net.evaluate(g, ev, classes)
		e.ValidSamples = len(ev.labels)
		lap(&timing.Validate)
		res.Curve = append(res.Curve, e)
		res.Confusion = conf
		if progress != nil {
			progress(epoch)
		}
	}
	if cfg.Timing != nil {
		*cfg.Timing = timing
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

// evalCols is how many validation samples go through the net at once.
const evalCols = 2000

// evaluator scores the validation set every epoch. It keeps the samples as
// columns (features × samples), so that every product of the pass, W^T·X^T,
// reads both operands in the order the GEMM packs them (no transposing), and
// computes only what the curve shows: the loss, the argmax and the confusion
// matrix, without normalising the softmax.
type evaluator struct {
	xt     linalg.Matrix   // validation samples as columns
	labels []int           // their classes
	outs   []linalg.Matrix // each layer's output, transposed: units × evalCols
	max    []float32
	pred   []int
	shift  []float32 // z_c − max of each column
	sum    []float64 // Σ e^(z − max) of each column
}

func (n *Net) newEvaluator(x linalg.Matrix, labels []int) *evaluator {
	e := &evaluator{xt: linalg.NewMatrix(x.Cols, x.Rows), labels: labels}
	for i := 0; i < x.Rows; i++ {
		for j, v := range x.Row(i) {
			e.xt.Data[j*e.xt.Stride+i] = v
		}
	}
	cols := min(evalCols, max(x.Rows, 1))
	for _, l := range n.Layers {
		e.outs = append(e.outs, linalg.NewMatrix(l.W.Cols, cols))
	}
	e.max, e.pred, e.shift, e.sum = make([]float32, cols), make([]int, cols), make([]float32, cols), make([]float64, cols)
	return e
}

// cols returns the first r columns of m.
func cols(m linalg.Matrix, at, r int) linalg.Matrix {
	return linalg.Matrix{Rows: m.Rows, Cols: r, Stride: m.Stride, Data: m.Data[at:]}
}

// evaluate returns the loss, accuracy, fraction within ±1 class and the
// confusion matrix of the validation set (NaN loss and accuracy when it is empty).
func (n *Net) evaluate(g *linalg.Gemm, e *evaluator, classes int) (l, acc, within float64, conf [][]int) {
	conf = make([][]int, classes)
	for i := range conf {
		conf[i] = make([]int, classes)
	}
	total := len(e.labels)
	if total == 0 {
		return math.NaN(), math.NaN(), math.NaN(), conf
	}
	hits, near := 0, 0
	var sum float64
	for at := 0; at < total; at += evalCols {
		r := min(evalCols, total-at)
		in := cols(e.xt, at, r)
		var z linalg.Matrix
		for k, layer := range n.Layers {
			y := cols(e.outs[k], 0, r)
			for j := 0; j < y.Rows; j++ {
				fill(y.Row(j), layer.B[j])
			}
			g.Mul(linalg.Trans, linalg.NoTrans, 1, layer.W, in, 1, y)
			if k < len(n.Layers)-1 {
				for j := 0; j < y.Rows; j++ {
					row := y.Row(j)
					if n.Activation == "tanh" {
						linalg.Tanh(row, row)
					} else {
						for c, v := range row {
							row[c] = max(v, 0)
						}
					}
				}
			}
			in, z = y, y
		}
		// Per column: the maximum, its first index, and Σ e^(z − max).
		m, pred, shift, s := e.max[:r], e.pred[:r], e.shift[:r], e.sum[:r]
		copy(m, z.Row(0))
		for j := 1; j < z.Rows; j++ {
			for c, v := range z.Row(j) {
				m[c] = max(m[c], v)
			}
		}
		labels := e.labels[at : at+r]
		for c, label := range labels {
			pred[c] = -1
			s[c] = 0
			shift[c] = z.At(label, c) - m[c]
		}
		for j := 0; j < z.Rows; j++ {
			row := z.Row(j)
			for c, v := range row {
				if v == m[c] && pred[c] < 0 {
					pred[c] = j
				}
				row[c] = v - m[c]
			}
			linalg.Exp(row, row)
			for c, v := range row {
				s[c] += float64(v)
			}
		}
		for c, label := range labels {
			// −log p_c = log Σ e^(z − max) − (z_c − max)
			sum += math.Log(s[c]) - float64(shift[c])
			p := pred[c]
			conf[label][p]++
			if p == label {
				hits++
			}
			if p-label <= 1 && label-p <= 1 {
				near++
			}
		}
	}
	k := float64(total)
	return sum / k, float64(hits) / k, float64(near) / k, conf
}

// fill sets every element of row to v, doubling copies (memmove) instead of
// storing one element at a time.
func fill(row []float32, v float32) {
	if len(row) == 0 {
		return
	}
	row[0] = v
	for k := 1; k < len(row); k *= 2 {
		copy(row[k:], row[:k])
	}
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
	adam := linalg.NewAdamConsts(0.9, 0.999, o.lr, 1e-8, o.t)
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
			linalg.Adam(p, g, m1, m2, &adam)
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
