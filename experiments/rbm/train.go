package rbm

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/kadanoff/kadanoff/experiments/linalg"
)

// Config holds the training hyperparameters.
type Config struct {
	Hidden int
	Units  Units
	Epochs int
	Batch  int
	// LR is the learning rate; with LRFinal > 0 it decays linearly from LR
	// to LRFinal over the epochs.
	LR, LRFinal float64
	Momentum    float64
	WeightDecay float64 // L2 penalty on W
	L1          float64 // L1 penalty on W
	K           int     // Gibbs steps of CD-k
	Persistent  bool    // persistent CD: negative chains carry over between batches
	InitStd     float64 // std of the initial weights
	// Monitor is the number of training samples (and at most as many
	// held-out ones), spread evenly over the rows, on which the per-epoch
	// curve is measured.
	Monitor int
}

// Validate reports the first bad hyperparameter.
func (c Config) Validate() error {
	switch {
	case c.Hidden < 1:
		return fmt.Errorf("rbm: hidden units %d < 1", c.Hidden)
	case !c.Units.Valid():
		return fmt.Errorf("rbm: unknown units %q (spin or binary)", c.Units)
	case c.Epochs < 1 || c.Batch < 1 || c.K < 1:
		return fmt.Errorf("rbm: epochs %d, batch %d and k %d must be at least 1", c.Epochs, c.Batch, c.K)
	case !(c.LR > 0) || c.LRFinal < 0 || c.Momentum < 0 || c.Momentum >= 1 || c.WeightDecay < 0 || c.L1 < 0 || c.InitStd < 0:
		return fmt.Errorf("rbm: bad rates (lr %v, lr_final %v, momentum %v, weight decay %v, l1 %v, init std %v)",
			c.LR, c.LRFinal, c.Momentum, c.WeightDecay, c.L1, c.InitStd)
	}
	return nil
}

// Epoch is the monitoring of one epoch.
type Epoch struct {
	Epoch int
	LR    float64
	// Recon is the mean squared difference between data and its mean-field
	// reconstruction v → ⟨h⟩ → ⟨v⟩, per unit.
	Recon float64
	// PseudoLL is the pseudo-log-likelihood per visible unit, log P(v_i |
	// v_−i) = log σ(F(v with i flipped) − F(v)) for one random unit i per sample.
	PseudoLL float64
	// FreeEnergyGap is mean F(held-out) − mean F(training): it grows when the
	// machine over-fits (NaN without held-out data).
	FreeEnergyGap float64
}

// Trainer trains one RBM by contrastive divergence.
type Trainer struct {
	Config Config
	Gemm   *linalg.Gemm
	Rand   *linalg.Rand
	// Timing, if not nil, receives the time spent training and monitoring.
	Timing *Timing
}

// Timing splits a training run's time between the passes.
type Timing struct {
	Train, Monitor time.Duration
}

// Train trains an RBM on the rows of data (n×NV), monitoring on held (which
// may have no rows), and returns it with its per-epoch curve. progress, if not
// nil, is called after every epoch.
func (t *Trainer) Train(ctx context.Context, data, held linalg.Matrix, progress func(epoch int)) (*RBM, []Epoch, error) {
	cfg := t.Config
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	n, nv, nh := data.Rows, data.Cols, cfg.Hidden
	if n < cfg.Batch {
		return nil, nil, fmt.Errorf("rbm: %d samples, fewer than a batch of %d", n, cfg.Batch)
	}
	if held.Rows > 0 && held.Cols != nv {
		return nil, nil, fmt.Errorf("rbm: held-out data has %d units, training data %d", held.Cols, nv)
	}
	m := &Machine{RBM: New(nv, nh, cfg.Units, cfg.InitStd, t.Rand), Gemm: t.Gemm, Rand: t.Rand}
	// The curve is measured in float32 whatever the training's precision.
	mon := m
	if t.Gemm.BF16 {
		mon = &Machine{RBM: m.RBM, Gemm: t.Gemm.Float32(), Rand: t.Rand}
	}
	// Visible biases start at the data's log-odds (Hinton's practical guide),
	// which removes the first epochs' work of learning the marginals.
	for j := 0; j < nv; j++ {
		var mean float64
		for i := 0; i < n; i++ {
			mean += float64(data.At(i, j))
		}
		mean /= float64(n)
		p := mean
		if cfg.Units == Spin {
			p = (mean + 1) / 2
		}
		p = math.Min(math.Max(p, 0.01), 0.99)
		b := math.Log(p / (1 - p))
		if cfg.Units == Spin {
			b /= 2
		}
		m.B[j] = float32(b)
	}
	bs := cfg.Batch
	st := newState(bs, nv, nh)
	vel := newVelocity(nv, nh)
	var chains linalg.Matrix // persistent chains (visible states)
	if cfg.Persistent {
		chains = linalg.NewMatrix(bs, nv)
		copy(chains.Data, data.Data[:bs*nv])
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	batches := n / bs
	// The monitored rows are spread evenly over the data, not its first
	// rows: data stored temperature by temperature (D10) would otherwise be
	// monitored at its first temperature only.
	size := min(max(cfg.Monitor, 1), n)
	monTrain, monHeld := spread(data, size), spread(held, min(size, held.Rows))
	curve := make([]Epoch, 0, cfg.Epochs)
	var timing Timing
	clock := time.Now()
	lap := func(d *time.Duration) {
		now := time.Now()
		*d += now.Sub(clock)
		clock = now
	}
	for epoch := 0; epoch < cfg.Epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		lr := cfg.LR
		if cfg.LRFinal > 0 && cfg.Epochs > 1 {
			lr = cfg.LR + (cfg.LRFinal-cfg.LR)*float64(epoch)/float64(cfg.Epochs-1)
		}
		shuffle(order, t.Rand)
		for b := 0; b < batches; b++ {
			for i := 0; i < bs; i++ {
				copy(st.v0.Row(i), data.Row(order[b*bs+i]))
			}
			m.gradient(st, cfg.K, chains, float32(lr), float32(cfg.Momentum), vel)
			m.step(vel, cfg, lr)
		}
		lap(&timing.Train)
		curve = append(curve, mon.monitor(monTrain, monHeld, lr, epoch+1))
		lap(&timing.Monitor)
		if progress != nil {
			progress(epoch + 1)
		}
	}
	if t.Timing != nil {
		*t.Timing = timing
	}
	return m.RBM, curve, nil
}

// state is the scratch of one minibatch. The data batch and the negative
// chain's visible states are the two halves of vv, their hidden means the two
// halves of hh, so that the weight gradient is one product over both.
type state struct {
	vv, hh                     linalg.Matrix // 2·batch rows: [v0; vk], [h0; hk]
	v0, h0, hs, vk, vkMean, hk linalg.Matrix
}

func newState(bs, nv, nh int) *state {
	st := &state{vv: linalg.NewMatrix(2*bs, nv), hh: linalg.NewMatrix(2*bs, nh),
		hs: linalg.NewMatrix(bs, nh), vkMean: linalg.NewMatrix(bs, nv)}
	st.v0, st.vk = st.vv.Slice(0, bs, 0, nv), st.vv.Slice(bs, 2*bs, 0, nv)
	st.h0, st.hk = st.hh.Slice(0, bs, 0, nh), st.hh.Slice(bs, 2*bs, 0, nh)
	return st
}

// velocity is a parameter update of an RBM: the gradient step with momentum.
type velocity struct {
	W    linalg.Matrix
	B, C []float32
}

func newVelocity(nv, nh int) velocity {
	return velocity{W: linalg.NewMatrix(nv, nh), B: make([]float32, nv), C: make([]float32, nh)}
}

// gradient sets g to beta·g + alpha·(the CD-k estimate of the log-likelihood
// gradient per sample) on the batch st.v0: ⟨v hᵀ⟩_data − ⟨v hᵀ⟩_k, with the
// hidden means (not samples) in both terms. The negative chain starts at the
// data, or at the persistent chains when chains has rows (which it updates).
// Training passes the learning rate and the momentum, so the GEMMs write the
// new velocity directly.
func (m *Machine) gradient(st *state, k int, chains linalg.Matrix, alpha, beta float32, g velocity) {
	m.Hidden(st.v0, st.h0, st.hs)
	if chains.Rows > 0 {
		m.Hidden(chains, st.hk, st.hs)
	}
	for step := 0; step < k; step++ {
		m.Visible(st.hs, st.vkMean, st.vk)
		if step < k-1 {
			m.Hidden(st.vk, st.hk, st.hs)
		}
	}
	m.Hidden(st.vk, st.hk, linalg.Matrix{})
	if chains.Rows > 0 {
		copy(chains.Data, st.vk.Data)
	}
	a := alpha / float32(st.v0.Rows)
	// ⟨v hᵀ⟩_data − ⟨v hᵀ⟩_k = [v0; vk]ᵀ·[h0; −hk] / batch: one product with
	// twice the depth, which reads and writes the velocity once.
	for i := 0; i < st.hk.Rows; i++ {
		row := st.hk.Row(i)
		for j, x := range row {
			row[j] = -x
		}
	}
	m.Gemm.Mul(linalg.Trans, linalg.NoTrans, a, st.vv, st.hh, beta, g.W)
	colSumDiff(g.B, st.v0, st.vk, a, beta)
	colSum(g.C, st.hh, a, beta)
}

// colSum sets dst[j] = beta·dst[j] + alpha·Σ_i a[i][j].
func colSum(dst []float32, a linalg.Matrix, alpha, beta float32) {
	for j := range dst {
		dst[j] *= beta
	}
	for i := 0; i < a.Rows; i++ {
		linalg.Axpy(alpha, a.Row(i), dst)
	}
}

// colSumDiff sets dst[j] = beta·dst[j] + alpha·Σ_i (a[i][j] − b[i][j]).
func colSumDiff(dst []float32, a, b linalg.Matrix, alpha, beta float32) {
	for j := range dst {
		dst[j] *= beta
	}
	for i := 0; i < a.Rows; i++ {
		linalg.Axpy(alpha, a.Row(i), dst)
		linalg.Axpy(-alpha, b.Row(i), dst)
	}
}

// step finishes the update whose gradient part gradient wrote into vel: it
// adds the weight decay and L1 terms (at learning rate lr) to the weights'
// velocity and moves the parameters by vel.
func (m *Machine) step(vel velocity, cfg Config, lr float64) {
	eta := float32(lr)
	if cfg.WeightDecay != 0 {
		linalg.Axpy(-eta*float32(cfg.WeightDecay), m.W.Data, vel.W.Data)
	}
	if cfg.L1 != 0 {
		d := eta * float32(cfg.L1)
		for i, w := range m.W.Data {
			switch {
			case w > 0:
				vel.W.Data[i] -= d
			case w < 0:
				vel.W.Data[i] += d
			}
		}
	}
	linalg.Axpy(1, vel.W.Data, m.W.Data)
	linalg.Axpy(1, vel.B, m.B)
	linalg.Axpy(1, vel.C, m.C)
}

// spread returns k rows of a spread evenly over it (rows i·n/k), in order: a
// systematic sample that is stratified by however the rows are stored.
func spread(a linalg.Matrix, k int) linalg.Matrix {
	if k <= 0 || a.Rows == 0 {
		return linalg.Matrix{}
	}
	out := linalg.NewMatrix(k, a.Cols)
	for i := 0; i < k; i++ {
		copy(out.Row(i), a.Row(i*a.Rows/k))
	}
	return out
}

// monitor measures the curve on the monitored training rows and held-out
// rows (spread over the data).
func (m *Machine) monitor(train, held linalg.Matrix, lr float64, epoch int) Epoch {
	size := train.Rows
	e := Epoch{Epoch: epoch, LR: lr, FreeEnergyGap: math.NaN()}
	h := linalg.NewMatrix(size, m.NH)
	v := linalg.NewMatrix(size, m.NV)
	m.Hidden(train, h, linalg.Matrix{})
	m.Visible(h, v, linalg.Matrix{})
	var se float64
	for i := 0; i < size; i++ {
		for j, x := range train.Row(i) {
			d := float64(x - v.At(i, j))
			se += d * d
		}
	}
	e.Recon = se / float64(size*m.NV)
	// Pseudo-log-likelihood: flip one random unit per sample.
	flipped := linalg.NewMatrix(size, m.NV)
	for i := 0; i < size; i++ {
		copy(flipped.Row(i), train.Row(i))
		j := int(m.Rand.Uint64() % uint64(m.NV))
		x := flipped.At(i, j)
		if m.Units == Spin {
			flipped.Set(i, j, -x)
		} else {
			flipped.Set(i, j, 1-x)
		}
	}
	f, ff := m.FreeEnergy(train), m.FreeEnergy(flipped)
	var pl float64
	for i := range f {
		d := ff[i] - f[i]
		pl += -logPartition(Binary, -d) // log σ(d) = −softplus(−d)
	}
	e.PseudoLL = pl / float64(size)
	if held.Rows > 0 {
		hs := held.Rows
		fh := m.FreeEnergy(held)
		e.FreeEnergyGap = mean(fh) - mean(f[:hs])
	}
	return e
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// shuffle permutes order (Fisher–Yates).
func shuffle(order []int, r *linalg.Rand) {
	for i := len(order) - 1; i > 0; i-- {
		j := int(r.Uint64() % uint64(i+1))
		order[i], order[j] = order[j], order[i]
	}
}
