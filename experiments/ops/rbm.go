package ops

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/kadanoff/kadanoff/experiments/linalg"
	"github.com/kadanoff/kadanoff/experiments/rbm"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
)

// The rbm ops: restricted Boltzmann machines and their stacks, trained, flowed,
// read out (receptive fields, activations, reconstructions).

// rbmOps are the ops of this file, for All.
func rbmOps() []pipeline.Op {
	return []pipeline.Op{rbmTrain(), rbmFlow(), rbmReceptiveFields(), rbmActivations(), rbmReconstruct()}
}

// configurations flattens an array of configurations [...][L][L] (or [...][n])
// into rows: the last two axes (or the last, when the array is 2-D) are the
// units. It returns the rows, the leading shape and the unit shape.
func configurations(a *artifact.Array) (linalg.Matrix, []int, []int, error) {
	if len(a.Shape) < 2 {
		return linalg.Matrix{}, nil, nil, fmt.Errorf("want configurations [...][L][L] or [n][units], got shape %v", a.Shape)
	}
	unitAxes := 2
	if len(a.Shape) == 2 {
		unitAxes = 1
	}
	lead, units := a.Shape[:len(a.Shape)-unitAxes], a.Shape[len(a.Shape)-unitAxes:]
	nu := 1
	for _, d := range units {
		nu *= d
	}
	data := float32s(a)
	if a.DType == artifact.Float32 {
		data = slices.Clone(data) // the caller may change it
	}
	return linalg.Matrix{Rows: a.Len() / nu, Cols: nu, Stride: nu, Data: data}, lead, units, nil
}

// toUnits maps ±1 spins to the convention of the machine: unchanged for spin
// units, (s+1)/2 for binary ones. Any other value is an error.
func toUnits(m linalg.Matrix, u rbm.Units) error {
	for i, v := range m.Data {
		if v != 1 && v != -1 {
			return fmt.Errorf("data value %v at element %d is not a ±1 spin", v, i)
		}
		if u == rbm.Binary {
			m.Data[i] = (v + 1) / 2
		}
	}
	return nil
}

func seedOf(env *pipeline.Env, stream string) uint64 { return env.Rand(stream).Uint64() }

// modelAndData loads the "model" input and the "data" input's configurations
// in the model's units, with the data's leading axes and unit shape.
func modelAndData(env *pipeline.Env) (*rbm.Stack, linalg.Matrix, []int, []int, error) {
	s, err := loadStack(env, "model")
	if err != nil {
		return nil, linalg.Matrix{}, nil, nil, err
	}
	a, err := env.Array("data")
	if err != nil {
		return nil, linalg.Matrix{}, nil, nil, err
	}
	v, lead, unitShape, err := configurations(a)
	if err == nil {
		err = toUnits(v, s.Layers[0].Units)
	}
	if err != nil {
		return nil, linalg.Matrix{}, nil, nil, fmt.Errorf("data: %w", err)
	}
	return s, v, lead, unitShape, nil
}

// spins maps units of a machine back to the ±1 convention: {0,1} values
// (means or samples) become 2x − 1, spins stay.
func spins(x float32, u rbm.Units) float32 {
	if u == rbm.Binary {
		return 2*x - 1
	}
	return x
}

type rbmTrainParams struct {
	Hidden      []int64 `param:"hidden" doc:"hidden units of each layer (one entry: a single RBM)" check:"min=1"`
	Units       string  `param:"units" doc:"spin (±1) or binary ({0,1})" default:"spin" check:"oneof=spin,binary"`
	Feed        string  `param:"feed" doc:"what the next layer trains on: mean or sample of the hidden units" default:"mean" check:"oneof=mean,sample"`
	Epochs      int     `param:"epochs" doc:"epochs per layer" check:"min=1"`
	Batch       int     `param:"batch" doc:"minibatch size" default:"100" check:"min=1"`
	LR          float64 `param:"lr" doc:"learning rate" default:"0.01" check:"min=1e-12"`
	LRFinal     float64 `param:"lr_final" doc:"final learning rate of a linear decay; 0 keeps lr constant" default:"0" check:"min=0"`
	Momentum    float64 `param:"momentum" doc:"momentum in [0, 1)" default:"0.5" check:"min=0"`
	WeightDecay float64 `param:"weight_decay" doc:"L2 penalty on the weights" default:"0" check:"min=0"`
	L1          float64 `param:"l1" doc:"L1 penalty on the weights" default:"0" check:"min=0"`
	K           int     `param:"k" doc:"Gibbs steps of CD-k" default:"1" check:"min=1"`
	Persistent  bool    `param:"persistent" doc:"persistent CD" default:"false"`
	InitStd     float64 `param:"init_std" doc:"standard deviation of the initial weights" default:"0.01" check:"min=0"`
	Monitor     int     `param:"monitor" doc:"samples on which the per-epoch curve is measured, spread evenly over the training (and held-out) rows so that data stored temperature by temperature are monitored at every temperature" default:"500" check:"min=1"`
	HeldOut     int     `param:"held_out" doc:"every held_out-th sample is held out (0: none)" default:"10" check:"min=0"`
	Seed        int     `param:"seed" doc:"names an independent training (initial weights and batches); trainings differing only in seed are repetitions" default:"0"`
	Precision   string  `param:"precision" doc:"float32, or bf16: the training products in bfloat16 with float32 sums" default:"float32" check:"oneof=float32,bf16"`
}

func rbmTrain() pipeline.Op {
	return pipeline.Define(pipeline.Def[rbmTrainParams]{
		Name:    "rbm.train",
		Seeded:  true,
		Version: 4,
		Threads: pipeline.AllThreadsOf[rbmTrainParams],
		Doc: "Trains an RBM, or a stack of them layer by layer (a deep belief network), on ±1 spin configurations by contrastive " +
			"divergence (CD-k or persistent CD), minibatch SGD with momentum, weight decay and L1. Units are ±1 spins (mean tanh) or " +
			"{0,1} (mean sigmoid; data mapped by (s+1)/2). Every held_out-th sample is kept out of training for the free-energy gap. " +
			"float32 on the linalg GEMM; with precision bf16 the products of training (the Gibbs step's fields and the weight gradient) " +
			"round their operands to bfloat16 and sum in float32 (±1 and {0,1} units are exact; weights, updates and the curve stay " +
			"float32), about 1.7× faster with AVX-512 BF16. Deterministic given the step's seed identity and inputs.",
		In: []pipeline.InputSpec{{Name: "data", Kind: artifact.KindArray, Doc: "±1 configurations [...][L][L] (int8 or float)"}},
		Out: []pipeline.OutputSpec{
			{Name: "model", Kind: artifact.KindModel, Doc: "the stack: shapes, units, hyperparameters, float32 weights"},
			{Name: "curve", Kind: artifact.KindTable, Doc: "layer, epoch, lr, recon (mean squared error per unit), pseudo_ll (per unit), free_energy_gap (held-out − training)",
				Columns: []string{"layer", "epoch", "lr", "recon", "pseudo_ll", "free_energy_gap"}},
		},
		// The data as float32 and its copies, and per layer the weights: the
		// matrix, its velocity, the GEMM's packed and bfloat16 operands and
		// the encoded model, about 6 float32 copies (a 4096→4096 RBM on 100
		// configurations peaked at 340 MB, 20 bytes a weight), and the next
		// layer's data. The visible units come from the input's estimate;
		// where it has none, the weights are left out.
		Memory: func(p *rbmTrainParams, in map[string][]float64) pipeline.Sizes {
			d := pipeline.One(in, "data") // int8 spins: one byte per unit, four as float32
			peak, model := 6*4*d, math.NaN()
			if v := pipeline.Units(in, "data"); v > 0 {
				n := d / v // configurations
				weights := 0.0
				for _, h := range p.Hidden {
					weights += v * float64(h)
					peak += 2 * 4 * n * float64(h)
					v = float64(h)
				}
				peak += 6 * 4 * weights
				model = 4*weights + tableBytes
			}
			return pipeline.Sizes{Out: map[string]float64{"model": model, "curve": tableBytes}, Peak: peak}
		},
		Time: func(p *rbmTrainParams, in map[string][]float64) time.Duration {
			var h float64
			for _, x := range p.Hidden {
				h += float64(x)
			}
			flops := 8 * float64(p.K+1) * pipeline.One(in, "data") * h * float64(p.Epochs)
			return seconds(flops / boundFlops)
		},
		Run: func(ctx context.Context, env *pipeline.Env, p *rbmTrainParams) error {
			a, err := env.Array("data")
			if err != nil {
				return err
			}
			all, _, _, err := configurations(a)
			if err != nil {
				return fmt.Errorf("data: %w", err)
			}
			units := rbm.Units(p.Units)
			if err := toUnits(all, units); err != nil {
				return fmt.Errorf("data: %w", err)
			}
			every := p.HeldOut
			var trainRows, heldRows []int
			for i := 0; i < all.Rows; i++ {
				if every > 0 && i%every == every-1 {
					heldRows = append(heldRows, i)
				} else {
					trainRows = append(trainRows, i)
				}
			}
			pick := func(rows []int) linalg.Matrix {
				m := linalg.NewMatrix(len(rows), all.Cols)
				for k, i := range rows {
					copy(m.Row(k), all.Row(i))
				}
				return m
			}
			var hidden []int
			for _, h := range p.Hidden {
				hidden = append(hidden, int(h))
			}
			cfg := rbm.Config{Units: units, Epochs: p.Epochs, Batch: p.Batch, LR: p.LR, LRFinal: p.LRFinal,
				Momentum: p.Momentum, WeightDecay: p.WeightDecay, L1: p.L1, K: p.K,
				Persistent: p.Persistent, InitStd: p.InitStd, Monitor: p.Monitor, Hidden: 1}
			if err := cfg.Validate(); err != nil {
				return err
			}
			// The seed parameter enters the step's seed identity, and so the streams.
			tr := &rbm.Trainer{Config: cfg, Gemm: &linalg.Gemm{Limit: env.Threads, BF16: p.Precision == "bf16"},
				Rand: linalg.NewRand(seedOf(env, "train"))}
			total := len(hidden) * cfg.Epochs
			stack, curves, err := rbm.TrainStack(ctx, tr, pick(trainRows), pick(heldRows), hidden, rbm.Feed(p.Feed),
				func(layer, epoch int) { env.Progress(layer*cfg.Epochs+epoch, total) })
			if err != nil {
				return err
			}
			hyper := map[string]string{}
			for _, name := range []string{"units", "feed", "precision"} {
				hyper[name] = env.String(name)
			}
			for _, name := range []string{"epochs", "batch", "k", "held_out"} {
				hyper[name] = strconv.Itoa(env.Int(name))
			}
			for _, name := range []string{"lr", "lr_final", "momentum", "weight_decay", "l1", "init_std"} {
				hyper[name] = strconv.FormatFloat(env.Float(name), 'g', -1, 64)
			}
			hyper["persistent"] = strconv.FormatBool(p.Persistent)
			model, err := stack.Marshal(hyper)
			if err != nil {
				return err
			}
			if err := env.Put("model", artifact.KindModel, model); err != nil {
				return err
			}
			cols := map[string][]float64{}
			names := []string{"layer", "epoch", "lr", "recon", "pseudo_ll", "free_energy_gap"}
			for k, curve := range curves {
				for _, e := range curve {
					for i, v := range []float64{float64(k + 1), float64(e.Epoch), e.LR, e.Recon, e.PseudoLL, e.FreeEnergyGap} {
						cols[names[i]] = append(cols[names[i]], v)
					}
				}
			}
			return env.PutTable("curve", table(names, cols))
		},
	})
}

// loadStack reads an RBM model input.
func loadStack(env *pipeline.Env, name string) (*rbm.Stack, error) {
	data, err := env.Input(name)
	if err != nil {
		return nil, err
	}
	s, _, err := rbm.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

type rbmFlowParams struct {
	Steps int    `param:"steps" doc:"flow steps" check:"min=1"`
	Feed  string `param:"feed" doc:"mean (mean-field) or sample" default:"sample" check:"oneof=mean,sample"`
}

func rbmFlow() pipeline.Op {
	return pipeline.Define(pipeline.Def[rbmFlowParams]{
		Name:    "rbm.flow",
		Seeded:  true,
		Version: 2,
		Threads: pipeline.AllThreadsOf[rbmFlowParams],
		Doc: "RBM flow: v → h → v′ through the first layer of a model, repeated `steps` times from each configuration of the data, " +
			"feeding means or samples; every step is stored, and the lattice keeps its size. Values are in the ±1 convention " +
			"(binary machines' {0,1} means are mapped back by 2v − 1).",
		In: []pipeline.InputSpec{
			{Name: "model", Kind: artifact.KindModel, Doc: "an rbm.train model"},
			{Name: "data", Kind: artifact.KindArray, Doc: "±1 configurations [...][L][L]"},
		},
		Out: []pipeline.OutputSpec{{Name: "flow", Kind: artifact.KindArray, Doc: "[steps+1][...][L][L], int8 ±1 when sampled, float32 means when mean-field; step 0 is the data"}},
		Memory: func(p *rbmFlowParams, in map[string][]float64) pipeline.Sizes {
			d := pipeline.One(in, "data")
			steps := float64(p.Steps) + 1
			out := steps * d // int8 when sampled
			if p.Feed == "mean" {
				out *= 4
			}
			// Every step is kept as a float32 matrix until the end.
			return pipeline.Sizes{Out: map[string]float64{"flow": out, pipeline.UnitsKey("flow"): pipeline.Units(in, "data")}, Peak: 4*steps*d + out}
		},
		Time: func(p *rbmFlowParams, in map[string][]float64) time.Duration {
			return gemmTime(in, 2*float64(p.Steps+1))
		},
		Run: func(ctx context.Context, env *pipeline.Env, p *rbmFlowParams) error {
			s, v, lead, unitShape, err := modelAndData(env)
			if err != nil {
				return err
			}
			u := s.Layers[0].Units
			steps, err := s.Flow(&linalg.Gemm{Limit: env.Threads}, linalg.NewRand(seedOf(env, "flow")), v, p.Steps, rbm.Feed(p.Feed))
			if err != nil {
				return err
			}
			shape := append(append([]int{len(steps)}, lead...), unitShape...)
			if p.Feed == "sample" {
				// Sampled flows are ±1 spins: int8, a quarter of the bytes.
				out := make([]int8, 0, len(steps)*len(v.Data))
				for _, m := range steps {
					for _, x := range m.Data {
						out = append(out, int8(spins(x, u)))
					}
				}
				return env.PutArray("flow", artifact.NewInt8(out, shape...))
			}
			out := make([]float32, 0, len(steps)*len(v.Data))
			for _, m := range steps {
				for _, x := range m.Data {
					out = append(out, spins(x, u))
				}
			}
			return env.PutArray("flow", artifact.NewFloat32(out, shape...))
		},
	})
}

type rbmReceptiveFieldsParams struct {
	Layer int `param:"layer" doc:"layer k (1 = first)" default:"1" check:"min=1"`
}

func rbmReceptiveFields() pipeline.Op {
	return pipeline.Define(pipeline.Def[rbmReceptiveFieldsParams]{
		Name:    "rbm.receptive_fields",
		Version: 1,
		Threads: pipeline.AllThreadsOf[rbmReceptiveFieldsParams],
		Doc:     "Receptive fields of layer `layer` of a model: the columns of W₁W₂⋯W_k, one per hidden unit, reshaped to the L×L lattice when the visible layer is square.",
		In:      []pipeline.InputSpec{{Name: "model", Kind: artifact.KindModel, Doc: "an rbm.train model"}},
		Out:     []pipeline.OutputSpec{{Name: "fields", Kind: artifact.KindArray, Doc: "float32 [hidden][L][L] (or [hidden][visible])"}},
		Memory: func(_ *rbmReceptiveFieldsParams, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"fields": math.NaN()}, Peak: math.NaN()}
		},
		Time: func(_ *rbmReceptiveFieldsParams, in map[string][]float64) time.Duration {
			// The product W₁⋯W_k: at most visible × weights multiply-adds.
			w := (pipeline.One(in, "model") - tableBytes) / 4
			return estimate(1 + 2*math.Sqrt(w)*w/boundFlops)
		},
		Run: func(ctx context.Context, env *pipeline.Env, par *rbmReceptiveFieldsParams) error {
			s, err := loadStack(env, "model")
			if err != nil {
				return err
			}
			p, err := s.ReceptiveFields(&linalg.Gemm{Limit: env.Threads}, par.Layer)
			if err != nil {
				return err
			}
			out := make([]float32, 0, p.Rows*p.Cols)
			for j := 0; j < p.Cols; j++ {
				for i := 0; i < p.Rows; i++ {
					out = append(out, p.At(i, j))
				}
			}
			if L := int(math.Round(math.Sqrt(float64(p.Rows)))); L*L == p.Rows {
				return env.PutArray("fields", artifact.NewFloat32(out, p.Cols, L, L))
			}
			return env.PutArray("fields", artifact.NewFloat32(out, p.Cols, p.Rows))
		},
	})
}

type rbmActivationsParams struct {
	Layer  int    `param:"layer" doc:"layer k (1 = first)" default:"1" check:"min=1"`
	Feed   string `param:"feed" doc:"mean activations or samples" default:"mean" check:"oneof=mean,sample"`
	Square bool   `param:"square" doc:"store the units as an l×l lattice (their count must be a square), so they can be the visible layer of a correlator" default:"false"`
	// Permute lays the units out in a random order (the same for every
	// configuration): hidden units have no positions, so a reading that
	// depends on their layout measures the layout.
	Permute bool `param:"permute" doc:"lay the units out in a random order, the same for every configuration (drawn from the step's seed), rather than the weight matrix's column order: a check that what is read of them does not depend on their layout" default:"false"`
}

func rbmActivations() pipeline.Op {
	return pipeline.Define(pipeline.Def[rbmActivationsParams]{
		Name:    "rbm.activations",
		Seeded:  true,
		Version: 1,
		Threads: pipeline.AllThreadsOf[rbmActivationsParams],
		Doc: "The hidden units of layer `layer` of a model for each configuration of the data, up through the stack: mean " +
			"activations (tanh(Wᵀv + b) for ±1 units, mapped from sigmoid by 2p − 1 for {0,1} units) or samples, each layer fed " +
			"the previous one's.",
		In: []pipeline.InputSpec{
			{Name: "model", Kind: artifact.KindModel, Doc: "an rbm.train model"},
			{Name: "data", Kind: artifact.KindArray, Doc: "±1 configurations [...][L][L]"},
		},
		Out: []pipeline.OutputSpec{{Name: "hidden", Kind: artifact.KindArray, Doc: "float32 [...][hidden units of layer k] (or [...][l][l] when square), in the ±1 convention"}},
		Memory: func(_ *rbmActivationsParams, in map[string][]float64) pipeline.Sizes {
			// Every layer's activations, each at most the data's float32 size.
			return pipeline.Sizes{Out: map[string]float64{"hidden": math.NaN()}, Peak: math.NaN()}
		},
		Time: func(_ *rbmActivationsParams, in map[string][]float64) time.Duration { return gemmTime(in, 1) },
		Run: func(ctx context.Context, env *pipeline.Env, p *rbmActivationsParams) error {
			s, v, lead, _, err := modelAndData(env)
			if err != nil {
				return err
			}
			k := p.Layer
			if k > len(s.Layers) {
				return fmt.Errorf("layer %d of a stack of %d", k, len(s.Layers))
			}
			acts, err := s.Activations(&linalg.Gemm{Limit: env.Threads}, linalg.NewRand(seedOf(env, "activations")), v, rbm.Feed(p.Feed))
			if err != nil {
				return err
			}
			h := acts[k-1]
			order := make([]int, h.Cols)
			for j := range order {
				order[j] = j
			}
			if p.Permute {
				env.Rand("layout").Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
			}
			out := make([]float32, 0, h.Rows*h.Cols)
			for i := 0; i < h.Rows; i++ {
				row := h.Row(i)
				for _, j := range order {
					out = append(out, spins(row[j], s.Layers[k-1].Units))
				}
			}
			shape := append(append([]int{}, lead...), h.Cols)
			if p.Square {
				l := int(math.Round(math.Sqrt(float64(h.Cols))))
				if l*l != h.Cols {
					return fmt.Errorf("square: layer %d has %d units, not a square number", k, h.Cols)
				}
				shape = append(shape[:len(shape)-1], l, l)
			}
			return env.PutArray("hidden", artifact.NewFloat32(out, shape...))
		},
	})
}

type rbmReconstructParams struct {
	Layers int `param:"layers" doc:"layers gone through (default all: 0)" default:"0" check:"min=0"`
}

func rbmReconstruct() pipeline.Op {
	return pipeline.Define(pipeline.Def[rbmReconstructParams]{
		Name:    "rbm.reconstruct",
		Version: 1,
		Threads: pipeline.AllThreadsOf[rbmReconstructParams],
		Doc: "Reconstructions of configurations through the first `layers` layers of a stack: up with mean activations, " +
			"then back down with visible means, in the ±1 convention (binary means p mapped to 2p − 1).",
		In: []pipeline.InputSpec{
			{Name: "model", Kind: artifact.KindModel, Doc: "an rbm.train model"},
			{Name: "data", Kind: artifact.KindArray, Doc: "±1 configurations [...][L][L]"},
		},
		Out: []pipeline.OutputSpec{{Name: "reconstruction", Kind: artifact.KindArray, Doc: "float32, the data's shape"}},
		Memory: func(_ *rbmReconstructParams, in map[string][]float64) pipeline.Sizes {
			d := pipeline.One(in, "data")
			return pipeline.Sizes{Out: map[string]float64{"reconstruction": 4 * d}, Peak: 16 * d}
		},
		Time: func(_ *rbmReconstructParams, in map[string][]float64) time.Duration { return gemmTime(in, 2) },
		Run: func(ctx context.Context, env *pipeline.Env, par *rbmReconstructParams) error {
			s, v, lead, unitShape, err := modelAndData(env)
			if err != nil {
				return err
			}
			u := s.Layers[0].Units
			k := par.Layers
			if k == 0 {
				k = len(s.Layers)
			}
			r, err := s.Reconstruct(&linalg.Gemm{Limit: env.Threads}, v, k)
			if err != nil {
				return err
			}
			out := make([]float32, 0, len(r.Data))
			for i := 0; i < r.Rows; i++ {
				for _, x := range r.Row(i) {
					out = append(out, spins(x, u))
				}
			}
			return env.PutArray("reconstruction", artifact.NewFloat32(out, append(append([]int{}, lead...), unitShape...)...))
		},
	})
}
