package mlp

import (
	"context"
	"math"
	"reflect"
	"testing"

	"github.com/kadanoff/kadanoff/experiments/linalg"
)

// Back-propagated gradients agree with central finite differences of the loss.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	for _, act := range []string{"tanh", "relu"} {
		r := linalg.NewRand(1)
		net, err := New([]int{5, 4, 3}, act, r)
		if err != nil {
			t.Fatal(err)
		}
		g := &linalg.Gemm{}
		x := linalg.NewMatrix(6, 5)
		for i := range x.Data {
			x.Data[i] = float32(r.Normal())
		}
		labels := []int{0, 1, 2, 1, 0, 2}
		gw := []linalg.Matrix{linalg.NewMatrix(5, 4), linalg.NewMatrix(4, 3)}
		gb := [][]float32{make([]float32, 4), make([]float32, 3)}
		net.grads(g, net.newBatch(x.Rows), x, labels, gw, gb)
		lossAt := func() float64 {
			p, _ := net.Predict(g, x)
			return loss(p, labels)
		}
		for k, l := range net.Layers {
			for _, c := range []struct {
				p    []float32
				grad []float32
			}{{l.W.Data, gw[k].Data}, {l.B, gb[k]}} {
				for i := range c.p {
					const h = 1e-2
					old := c.p[i]
					c.p[i] = old + h
					up := lossAt()
					c.p[i] = old - h
					down := lossAt()
					c.p[i] = old
					fd := (up - down) / (2 * h)
					if math.Abs(fd-float64(c.grad[i])) > 2e-3+0.02*math.Abs(fd) {
						t.Fatalf("%s layer %d param %d: backprop %v, finite difference %v", act, k, i, c.grad[i], fd)
					}
				}
			}
		}
	}
}

// A linearly separable three-class problem is learnt by both optimizers.
func TestTrainSeparable(t *testing.T) {
	r := linalg.NewRand(2)
	n := 600
	x := linalg.NewMatrix(n, 2)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		c := i % 3
		labels[i] = c
		x.Set(i, 0, float32(c)+float32(0.2*r.Normal()))
		x.Set(i, 1, float32(r.Normal()))
	}
	for _, opt := range []string{"sgd", "adam"} {
		res, err := Train(context.Background(), &linalg.Gemm{}, linalg.NewRand(3), x, labels, 3,
			Config{Hidden: []int{8}, Activation: "tanh", Optimizer: opt, LR: 0.05, Momentum: 0.9, Epochs: 30, Batch: 20, Validation: 0.2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		last := res.Curve[len(res.Curve)-1]
		if last.ValidAccuracy < 0.95 || last.TrainLoss > res.Curve[0].TrainLoss {
			t.Errorf("%s: %+v", opt, last)
		}
		total := 0
		for _, row := range res.Confusion {
			for _, v := range row {
				total += v
			}
		}
		if total != n/5 {
			t.Errorf("%s: confusion counts %d validation samples, want %d", opt, total, n/5)
		}
	}
}

// TestMonitorSubset scores a stratified subset of the validation set after
// every epoch but the last, which scores it all; training is unchanged, so
// the last epoch and the confusion matrix equal those of a run that scores
// everything every epoch.
func TestMonitorSubset(t *testing.T) {
	r := linalg.NewRand(4)
	n := 900
	x := linalg.NewMatrix(n, 2)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		c := i % 3
		labels[i] = c
		x.Set(i, 0, float32(c)+float32(0.5*r.Normal()))
		x.Set(i, 1, float32(r.Normal()))
	}
	run := func(monitor int) *Result {
		res, err := Train(context.Background(), &linalg.Gemm{}, linalg.NewRand(3), x, labels, 3,
			Config{Hidden: []int{8}, Activation: "tanh", Optimizer: "adam", LR: 0.01, Epochs: 5, Batch: 20, Validation: 0.4, Monitor: monitor}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	full, sub := run(0), run(90)
	for i, e := range sub.Curve {
		want := 90
		if i == len(sub.Curve)-1 {
			want = 360
		}
		if e.ValidSamples != want || full.Curve[i].ValidSamples != 360 {
			t.Errorf("epoch %d scored %d samples (full run %d), want %d", e.Epoch, e.ValidSamples, full.Curve[i].ValidSamples, want)
		}
		if e.TrainLoss != full.Curve[i].TrainLoss {
			t.Errorf("epoch %d: training changed with the monitor: loss %v, want %v", e.Epoch, e.TrainLoss, full.Curve[i].TrainLoss)
		}
	}
	if a, b := sub.Curve[4], full.Curve[4]; a != b || !reflect.DeepEqual(sub.Confusion, full.Confusion) {
		t.Errorf("last epoch %+v, want %+v (confusion %v, want %v)", a, b, sub.Confusion, full.Confusion)
	}
	if sub.Curve[0].ValidAccuracy == full.Curve[0].ValidAccuracy && sub.Curve[1].ValidAccuracy == full.Curve[1].ValidAccuracy {
		t.Errorf("the subset scored what the whole set scores: %+v", sub.Curve[:2])
	}
}

func TestTrainErrors(t *testing.T) {
	x := linalg.NewMatrix(10, 2)
	for _, c := range []Config{
		{Activation: "sigmoid", Optimizer: "sgd", LR: 0.1, Epochs: 1, Batch: 2},
		{Activation: "tanh", Optimizer: "rmsprop", LR: 0.1, Epochs: 1, Batch: 2},
		{Activation: "tanh", Optimizer: "sgd", LR: 0, Epochs: 1, Batch: 2},
		{Activation: "tanh", Optimizer: "sgd", LR: 0.1, Epochs: 1, Batch: 20},
	} {
		if _, err := Train(context.Background(), &linalg.Gemm{}, linalg.NewRand(1), x, make([]int, 10), 2, c, nil); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

// Split holds out exactly ⌊n_c·f⌋ samples of every class, whatever the
// period with which the classes are interleaved, and partitions 0…n−1.
func TestSplit(t *testing.T) {
	for _, c := range []struct {
		classes, perClass int
		f                 float64
		validPerClass     int
	}{{1, 10, 0, 0}, {1, 10, 0.4, 4}, {60, 100, 0.4, 40}, {5, 100, 0.4, 40}, {7, 7, 0.5, 3}, {3, 200, 0.2, 40}, {2, 3, 0.9, 2}} {
		n := c.classes * c.perClass
		labels := make([]int, n)
		for i := range labels {
			labels[i] = i % c.classes // interleaved, as mlp.train orders them
		}
		train, valid := Split(labels, c.f)
		if len(train)+len(valid) != n {
			t.Fatalf("%+v: %d + %d indices for %d samples", c, len(train), len(valid), n)
		}
		perClass := map[int]int{}
		seen := make([]bool, n)
		for _, i := range valid {
			perClass[labels[i]]++
		}
		for _, i := range append(train, valid...) {
			if seen[i] {
				t.Fatalf("%+v: index %d twice", c, i)
			}
			seen[i] = true
		}
		for k := 0; k < c.classes; k++ {
			if perClass[k] != c.validPerClass {
				t.Errorf("%+v: class %d has %d validation samples, want %d", c, k, perClass[k], c.validPerClass)
			}
		}
	}
}

// With LRFinal the rate falls linearly to it: a run whose final rate is tiny
// ends with (nearly) the weights of the epoch before, a constant rate does not.
func TestLRDecay(t *testing.T) {
	r := linalg.NewRand(2)
	x := linalg.NewMatrix(200, 2)
	labels := make([]int, 200)
	for i := range labels {
		labels[i] = i % 2
		x.Set(i, 0, float32(labels[i])+float32(r.Normal()))
		x.Set(i, 1, float32(r.Normal()))
	}
	change := func(final float64) float64 {
		cfg := Config{Hidden: []int{4}, Activation: "tanh", Optimizer: "sgd", LR: 0.5, LRFinal: final, Epochs: 20, Batch: 10}
		a, err := Train(context.Background(), &linalg.Gemm{}, linalg.NewRand(3), x, labels, 2, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Epochs = 19
		cfg.LRFinal = 0
		if final > 0 {
			cfg.LRFinal = 0.5 + (final-0.5)*18/19 // the 19th epoch's rate of the 20-epoch schedule
		}
		b, err := Train(context.Background(), &linalg.Gemm{}, linalg.NewRand(3), x, labels, 2, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		var d float64
		for k, l := range a.Net.Layers {
			for i, w := range l.W.Data {
				d = max(d, math.Abs(float64(w-b.Net.Layers[k].W.Data[i])))
			}
		}
		return d
	}
	if slow, fast := change(1e-6), change(0); !(slow < 1e-3 && fast > 10*slow) {
		t.Errorf("last-epoch weight change: %.3g with lr_final 1e-6, %.3g without decay", slow, fast)
	}
}

// thermometerData is the thermometer's training problem at paper scale: 60
// classes of ±1 configurations of 100 spins, 1000 each.
func thermometerData() (linalg.Matrix, []int) {
	x := linalg.NewMatrix(60000, 100)
	r := linalg.NewRand(1)
	labels := make([]int, x.Rows)
	for i := range x.Data {
		x.Data[i] = float32(2*int(r.Uint64()&1) - 1)
	}
	for i := range labels {
		labels[i] = i % 60
	}
	return x, labels
}

// BenchmarkEpoch is five epochs of the paper's thermometer (100 → 80 tanh → 60,
// Adam, batch 50, 36,000 training and 24,000 validation samples), one thread.
func BenchmarkEpoch(b *testing.B) {
	x, labels := thermometerData()
	cfg := Config{Hidden: []int{80}, Activation: "tanh", Optimizer: "adam", LR: 0.001, Epochs: 5, Batch: 50, Validation: 0.4}
	g := &linalg.Gemm{Threads: 1}
	for b.Loop() {
		if _, err := Train(context.Background(), g, linalg.NewRand(5), x, labels, 60, cfg, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRowSums checks that summing four rows at a time gives every row's
// first-to-last sum bit for bit, remainders included.
func TestRowSums(t *testing.T) {
	r := linalg.NewRand(8)
	for _, rows := range []int{1, 3, 4, 7, 50} {
		z := linalg.NewMatrix(rows, 61)
		for i := range z.Data {
			z.Data[i] = float32(math.Exp(3 * r.Normal()))
		}
		sums := make([]float64, rows)
		rowSums(z, sums)
		for i, s := range sums {
			if want := rowSum(z.Row(i)); math.Float64bits(s) != math.Float64bits(want) {
				t.Fatalf("rows=%d: row %d sums to %v, want %v", rows, i, s, want)
			}
		}
	}
}
