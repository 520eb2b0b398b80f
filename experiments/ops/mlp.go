package ops

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/kadanoff/kadanoff/experiments/linalg"
	"github.com/kadanoff/kadanoff/experiments/mlp"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// The mlp ops: thermometer networks, trained and read.

// mlpOps are the ops of this file, for All.
func mlpOps() []pipeline.Op {
	return []pipeline.Op{mlpTrain(), mlpPredict(), mlpTemperature(), flowTemperature()}
}

type mlpTrainParams struct {
	Hidden     []int64 `param:"hidden" doc:"sizes of the hidden layers" check:"min=1"`
	Activation string  `param:"activation" doc:"tanh or relu" default:"tanh" check:"oneof=tanh,relu"`
	Optimizer  string  `param:"optimizer" doc:"sgd (with momentum) or adam" default:"adam" check:"oneof=sgd,adam"`
	LR         float64 `param:"lr" doc:"learning rate" default:"0.001" check:"min=1e-12"`
	LRFinal    float64 `param:"lr_final" doc:"if positive, the last epoch's learning rate: the rate falls linearly from lr to it" default:"0" check:"min=0"`
	Momentum   float64 `param:"momentum" doc:"SGD momentum" default:"0.9" check:"min=0"`
	Epochs     int     `param:"epochs" doc:"epochs" check:"min=1"`
	Batch      int     `param:"batch" doc:"minibatch size" default:"50" check:"min=1"`
	Validation float64 `param:"validation" doc:"fraction of samples held out for validation, in [0, 1)" default:"0.2"`
	Monitor    int     `param:"monitor" doc:"if positive, the number of validation samples (stratified by class) the curve scores after every epoch but the last, which scores the whole validation set; 0 scores it all every epoch" default:"0" check:"min=0"`
	Augment    bool    `param:"augment" doc:"apply a random symmetry of the periodic Ising lattice (global spin flip, translation) to each training sample as it enters a batch" default:"true"`
}

func mlpTrain() pipeline.Op {
	return pipeline.Define(pipeline.Def[mlpTrainParams]{
		Name:    "mlp.train",
		Seeded:  true,
		Version: 5,
		Threads: pipeline.AllThreadsOf[mlpTrainParams],
		Doc: "Thermometer: a multilayer perceptron (dense tanh or ReLU layers, softmax output, cross-entropy) trained by minibatch SGD " +
			"with momentum or Adam to tell the temperature class (index into the meta table's T) of a configuration. A fraction of " +
			"each temperature's samples, interleaved, validates; the curve has loss and accuracy per epoch, the confusion matrix is the validation set's. " +
			"For reference the summary also scores, on the same split, the classifier that reads only the configuration's energy (a " +
			"sufficient statistic of T in zero field, so no thermometer can do better on average): maximum likelihood over the training " +
			"set's energy histogram per class.",
		In: []pipeline.InputSpec{
			{Name: "spins", Kind: artifact.KindArray, Doc: "configurations [T][sample][L][L]"},
			{Name: "meta", Kind: artifact.KindTable, Doc: "a table with column T, one row per temperature", Check: pipeline.RequireColumns("T")},
		},
		Out: []pipeline.OutputSpec{
			{Name: "model", Kind: artifact.KindModel, Doc: "the network (JSON: format, activation, layer shapes, weights, hyperparameters)"},
			{Name: "curve", Kind: artifact.KindTable, Doc: "epoch, lr, train_loss and train_accuracy (running means over the epoch's batches), valid_loss, valid_accuracy, valid_within_one, valid_samples (how many validation samples that row scored), and energy_loss (the energy classifier's validation loss, the floor, repeated on every row)",
				Columns: []string{"epoch", "lr", "train_loss", "train_accuracy", "valid_loss", "valid_accuracy", "valid_within_one", "valid_samples", "energy_loss"}},
			{Name: "confusion", Kind: artifact.KindTable, Doc: "true, predicted, count (validation set, last epoch)", Columns: []string{"true", "predicted", "count"}},
			{Name: "summary", Kind: artifact.KindScalars, Doc: "train_loss, train_accuracy, valid_accuracy, valid_within_one, valid_loss of the last epoch; energy_accuracy, energy_within_one, energy_loss of the energy classifier on the same validation set"},
		},
		Checks: map[string]func(spec.Value) error{
			"validation": fraction,
		},
		Memory: func(_ *mlpTrainParams, in map[string][]float64) pipeline.Sizes {
			d := pipeline.One(in, "spins")
			// The data as float32, split, shuffled and augmented (measured
			// 22 MiB for 1.4 MB of 64×64 spins).
			return pipeline.Sizes{Out: map[string]float64{"model": tableBytes, "curve": tableBytes, "confusion": tableBytes, "summary": tableBytes}, Peak: 20 * d}
		},
		Time: func(p *mlpTrainParams, in map[string][]float64) time.Duration {
			h := float64(p.Hidden[0])
			flops := 6 * pipeline.One(in, "spins") * h * float64(p.Epochs)
			return seconds(3 * flops / boundFlops)
		},
		Run: func(ctx context.Context, env *pipeline.Env, par *mlpTrainParams) error {
			a, temps, err := spinsByTemperature(env, false)
			if err != nil {
				return err
			}
			nT, ns := a.Shape[0], a.Shape[1]
			x, _, _, err := configurations(a)
			if err != nil {
				return err
			}
			// Interleave the classes, so that the validation split (every
			// k-th row) and the batches see every temperature.
			xi := linalg.NewMatrix(x.Rows, x.Cols)
			labels := make([]int, x.Rows)
			for s := 0; s < ns; s++ {
				for t := 0; t < nT; t++ {
					copy(xi.Row(s*nT+t), x.Row(t*ns+s))
					labels[s*nT+t] = t
				}
			}
			var hidden []int
			for _, h := range par.Hidden {
				hidden = append(hidden, int(h))
			}
			cfg := mlp.Config{Hidden: hidden, Activation: par.Activation, Optimizer: par.Optimizer, LR: par.LR,
				LRFinal: par.LRFinal, Momentum: par.Momentum, Epochs: par.Epochs, Batch: par.Batch, Validation: par.Validation,
				Monitor: par.Monitor}
			if par.Augment {
				cfg.Augment = isingSymmetry(a.Shape[2], a.Shape[3])
			}
			res, err := mlp.Train(ctx, &linalg.Gemm{Limit: env.Threads}, linalg.NewRand(seedOf(env, "train")), xi, labels, nT, cfg,
				func(e int) { env.Progress(e, cfg.Epochs) })
			if err != nil {
				return err
			}
			hyper := map[string]string{"optimizer": cfg.Optimizer, "lr": strconv.FormatFloat(cfg.LR, 'g', -1, 64),
				"epochs": strconv.Itoa(cfg.Epochs), "batch": strconv.Itoa(cfg.Batch)}
			for i, T := range temps {
				hyper[fmt.Sprintf("class %02d T", i)] = strconv.FormatFloat(T, 'g', -1, 64)
			}
			model, err := res.Net.Marshal(hyper)
			if err != nil {
				return err
			}
			if err := env.Put("model", artifact.KindModel, model); err != nil {
				return err
			}
			train, valid := mlp.Split(labels, cfg.Validation)
			eAcc, eWithin, eLoss := energyClassifier(xi, a.Shape[2], a.Shape[3], labels, nT, train, valid)
			names := []string{"epoch", "lr", "train_loss", "train_accuracy", "valid_loss", "valid_accuracy", "valid_within_one", "valid_samples", "energy_loss"}
			cols := map[string][]float64{}
			for _, e := range res.Curve {
				for i, v := range []float64{float64(e.Epoch), e.LR, e.TrainLoss, e.TrainAccuracy, e.ValidLoss, e.ValidAccuracy, e.ValidWithinOne, float64(e.ValidSamples), eLoss} {
					cols[names[i]] = append(cols[names[i]], v)
				}
			}
			if err := env.PutTable("curve", table(names, cols)); err != nil {
				return err
			}
			conf := map[string][]float64{}
			for t, row := range res.Confusion {
				for p, c := range row {
					conf["true"] = append(conf["true"], float64(t))
					conf["predicted"] = append(conf["predicted"], float64(p))
					conf["count"] = append(conf["count"], float64(c))
				}
			}
			if err := env.PutTable("confusion", table([]string{"true", "predicted", "count"}, conf)); err != nil {
				return err
			}
			last := res.Curve[len(res.Curve)-1]
			return env.PutScalars("summary", artifact.Scalars{
				"train_loss":        {Value: last.TrainLoss},
				"train_accuracy":    {Value: last.TrainAccuracy},
				"valid_accuracy":    {Value: last.ValidAccuracy},
				"valid_within_one":  {Value: last.ValidWithinOne},
				"valid_loss":        {Value: last.ValidLoss},
				"energy_accuracy":   {Value: eAcc},
				"energy_within_one": {Value: eWithin},
				"energy_loss":       {Value: eLoss},
			})
		},
	})
}

type mlpPredictParams struct {
}

func mlpPredict() pipeline.Op {
	return pipeline.Define(pipeline.Def[mlpPredictParams]{
		Name:    "mlp.predict",
		Version: 2,
		Threads: pipeline.AllThreadsOf[mlpPredictParams],
		Doc: "Applies a thermometer to sets of configurations (the leading axis: temperatures, flow steps, layers): per set, the " +
			"mean softmax vector and the fraction of configurations whose argmax is each class.",
		In: []pipeline.InputSpec{
			{Name: "model", Kind: artifact.KindModel, Doc: "an mlp.train model"},
			{Name: "data", Kind: artifact.KindArray, Doc: "configurations [set...][sample][L][L] (int8 or float); several leading axes (flow step, temperature) are flattened row-major into the set index"},
		},
		Out: []pipeline.OutputSpec{{Name: "prediction", Kind: artifact.KindTable, Doc: "set, class, mean_prob, argmax_fraction", Columns: []string{"set", "class", "mean_prob", "argmax_fraction"}}},
		Memory: func(_ *mlpPredictParams, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"prediction": tableBytes}, Peak: readingPeak(in, "data")}
		},
		Time: quick[mlpPredictParams],
		Run: func(ctx context.Context, env *pipeline.Env, par *mlpPredictParams) error {
			data, err := env.Input("model")
			if err != nil {
				return err
			}
			net, err := mlp.Unmarshal(data)
			if err != nil {
				return fmt.Errorf("model: %w", err)
			}
			a, err := env.Array("data")
			if err != nil {
				return err
			}
			if len(a.Shape) < 4 {
				return fmt.Errorf("data: want [set...][sample][L][L], got shape %v", a.Shape)
			}
			x, _, _, err := configurations(a)
			if err != nil {
				return err
			}
			p, err := net.Predict(&linalg.Gemm{Limit: env.Threads}, x)
			if err != nil {
				return fmt.Errorf("data: %w", err)
			}
			ns, nc := a.Shape[len(a.Shape)-3], net.Classes()
			sets := x.Rows / ns
			cols := map[string][]float64{}
			for s := 0; s < sets; s++ {
				mean, frac := make([]float64, nc), make([]float64, nc)
				for i := s * ns; i < (s+1)*ns; i++ {
					row := p.Row(i)
					best := 0
					for c, v := range row {
						mean[c] += float64(v) / float64(ns)
						if v > row[best] {
							best = c
						}
					}
					frac[best] += 1 / float64(ns)
				}
				for c := 0; c < nc; c++ {
					cols["set"] = append(cols["set"], float64(s))
					cols["class"] = append(cols["class"], float64(c))
					cols["mean_prob"] = append(cols["mean_prob"], mean[c])
					cols["argmax_fraction"] = append(cols["argmax_fraction"], frac[c])
				}
			}
			return env.PutTable("prediction", table([]string{"set", "class", "mean_prob", "argmax_fraction"}, cols))
		},
	})
}

// energyClassifier scores, on the valid rows of x (±1 configurations of an
// h×w periodic lattice), the maximum-likelihood classifier over the energy
// E = −Σ⟨ij⟩ s_i s_j, with P(E | class) from the train rows' histograms
// (each count plus ½, so an energy unseen in training is unlikely, not
// impossible). It returns the fraction classified exactly and within ±1
// class, and the cross-entropy of its posterior P(class | E) (equal priors)
// against the true classes: the loss floor of a thermometer (all NaN
// without validation rows).
func energyClassifier(x linalg.Matrix, h, w int, labels []int, classes int, train, valid []int) (acc, within, loss float64) {
	if len(valid) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	energy := func(s []float32) int {
		var e float32
		for y := 0; y < h; y++ {
			for xx := 0; xx < w; xx++ {
				v := s[y*w+xx]
				e -= v * (s[y*w+(xx+1)%w] + s[((y+1)%h)*w+xx])
			}
		}
		return int(math.Round(float64(e)))
	}
	hist := make([]map[int]float64, classes)
	total := make([]float64, classes)
	for c := range hist {
		hist[c] = map[int]float64{}
	}
	for _, i := range train {
		hist[labels[i]][energy(x.Row(i))]++
		total[labels[i]]++
	}
	var hits, near int
	like := make([]float64, classes)
	for _, i := range valid {
		e := energy(x.Row(i))
		best, bestL := 0, math.Inf(-1)
		var z float64
		for c := range hist {
			like[c] = (hist[c][e] + 0.5) / (total[c] + 0.5)
			z += like[c]
			if l := math.Log(like[c]); l > bestL {
				best, bestL = c, l
			}
		}
		loss -= math.Log(like[labels[i]] / z)
		if best == labels[i] {
			hits++
		}
		if d := best - labels[i]; d >= -1 && d <= 1 {
			near++
		}
	}
	n := float64(len(valid))
	return float64(hits) / n, float64(near) / n, loss / n
}

// isingSymmetry returns an augmentation that applies a random symmetry of the
// zero-field Ising model on a periodic h×w lattice: a global spin flip (with
// probability ½) and a random translation.
func isingSymmetry(h, w int) func(x []float32, r *linalg.Rand) {
	tmp := make([]float32, h*w)
	return func(x []float32, r *linalg.Rand) {
		u := r.Uint64()
		sign := float32(1 - 2*int(u&1))
		dy, dx := int((u>>1)%uint64(h)), int((u>>33)%uint64(w))
		for y := 0; y < h; y++ {
			for xx := 0; xx < w; xx++ {
				tmp[((y+dy)%h)*w+(xx+dx)%w] = sign * x[y*w+xx]
			}
		}
		copy(x, tmp)
	}
}

// readThermometer loads an mlp.train model and its classes' temperatures.
func readThermometer(env *pipeline.Env) (*mlp.Net, []float64, error) {
	data, err := env.Input("model")
	if err != nil {
		return nil, nil, err
	}
	net, err := mlp.Unmarshal(data)
	if err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}
	classes, err := env.Table("classes")
	if err != nil {
		return nil, nil, err
	}
	ct, err := classes.Col("T")
	if err != nil {
		return nil, nil, err
	}
	if len(ct) != net.Classes() {
		return nil, nil, fmt.Errorf("classes: %d temperatures for a thermometer of %d classes", len(ct), net.Classes())
	}
	return net, ct, nil
}

// configSets reads the "data" input as sets of configurations
// [set...][sample][L][L] and the optional "meta" input's temperature per set
// (NaN without one).
func configSets(env *pipeline.Env) (a *artifact.Array, L, n, sets int, setT []float64, err error) {
	if a, err = env.Array("data"); err != nil {
		return nil, 0, 0, 0, nil, err
	}
	d := len(a.Shape)
	if d < 3 || a.Shape[d-1] != a.Shape[d-2] {
		return nil, 0, 0, 0, nil, fmt.Errorf("data: want [set...][sample][L][L], got shape %v", a.Shape)
	}
	L, n = a.Shape[d-1], a.Shape[d-3]
	sets = a.Len() / (n * L * L)
	setT = make([]float64, sets)
	for i := range setT {
		setT[i] = math.NaN()
	}
	if len(env.InputSources("meta")) == 0 { // an omitted Many input is absent from the task
		return a, L, n, sets, setT, nil
	}
	mb, err := env.Input("meta")
	if err != nil {
		return nil, 0, 0, 0, nil, err
	}
	mt, err := artifact.DecodeCSV(mb)
	if err == nil {
		setT, err = mt.Col("T")
	}
	if err != nil {
		return nil, 0, 0, 0, nil, fmt.Errorf("meta: %w", err)
	}
	if len(setT) != sets {
		return nil, 0, 0, 0, nil, fmt.Errorf("meta: %d temperatures for %d sets", len(setT), sets)
	}
	return a, L, n, sets, setT, nil
}

type mlpTemperatureParams struct {
}

func mlpTemperature() pipeline.Op {
	return pipeline.Define(pipeline.Def[mlpTemperatureParams]{
		Name:    "mlp.temperature",
		Version: 1,
		Threads: pipeline.AllThreadsOf[mlpTemperatureParams],
		Doc: "The temperature a thermometer reads: each configuration of [set...][sample][L][L] gets the temperature of its " +
			"most probable class; per set, the mean, spread and standard error over samples, and the fractions read at the " +
			"coldest and the hottest class (a reading pinned there is a bound, not a measurement). Configurations may be " +
			"±1 spins or values (block averages, mean activations), fed as they are.",
		In: []pipeline.InputSpec{
			{Name: "model", Kind: artifact.KindModel, Doc: "an mlp.train thermometer for L×L lattices"},
			{Name: "classes", Kind: artifact.KindTable, Doc: "the thermometer's classes: a table with column T, one row per class", Check: pipeline.RequireColumns("T")},
			{Name: "data", Kind: artifact.KindArray, Doc: "configurations [set...][sample][L][L], int8 or float"},
			{Name: "meta", Kind: artifact.KindTable, Many: true, Doc: "optional: the sets' temperatures (a table with column T, one row per set), copied into the output",
				Check: pipeline.RequireColumns("T")},
		},
		Out: []pipeline.OutputSpec{{Name: "temperature", Kind: artifact.KindTable,
			Doc:     "set, T (the set's own temperature from meta, NaN without), t_mean, t_sd (spread over samples), t_se (standard error of the mean), at_min, at_max (fractions at the grid's ends)",
			Columns: []string{"set", "T", "t_mean", "t_sd", "t_se", "at_min", "at_max"}}},
		Memory: func(_ *mlpTemperatureParams, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"temperature": tableBytes}, Peak: readingPeak(in, "data")}
		},
		Time: quick[mlpTemperatureParams],
		Run: func(ctx context.Context, env *pipeline.Env, par *mlpTemperatureParams) error {
			net, ct, err := readThermometer(env)
			if err != nil {
				return err
			}
			a, L, n, sets, setT, err := configSets(env)
			if err != nil {
				return err
			}
			x := linalg.Matrix{Rows: sets * n, Cols: L * L, Stride: L * L, Data: float32s(a)}
			p, err := net.Predict(&linalg.Gemm{Limit: env.Threads}, x)
			if err != nil {
				return fmt.Errorf("data: %w", err)
			}
			lo, hi := 0, 0
			for c := range ct {
				if ct[c] < ct[lo] {
					lo = c
				}
				if ct[c] > ct[hi] {
					hi = c
				}
			}
			var cols [7][]float64
			for s := 0; s < sets; s++ {
				var s1, s2, atLo, atHi float64
				for k := 0; k < n; k++ {
					row := p.Row(s*n + k)
					best := 0
					for c, v := range row {
						if v > row[best] {
							best = c
						}
					}
					s1, s2 = s1+ct[best], s2+ct[best]*ct[best]
					if best == lo {
						atLo++
					}
					if best == hi {
						atHi++
					}
				}
				mean := s1 / float64(n)
				sd := math.Sqrt(math.Max(0, s2/float64(n)-mean*mean))
				for j, v := range []float64{float64(s), setT[s], mean, sd, sd / math.Sqrt(float64(n)), atLo / float64(n), atHi / float64(n)} {
					cols[j] = append(cols[j], v)
				}
			}
			t := artifact.NewTable([]string{"set", "T", "t_mean", "t_sd", "t_se", "at_min", "at_max"}, cols[:])
			return env.PutTable("temperature", t)
		},
	})
}

type flowTemperatureParams struct {
	Exact float64 `param:"exact" doc:"the exact Tc, for the summary"`
}

// flowTemperature reads a flow with a thermometer.
func flowTemperature() pipeline.Op {
	return pipeline.Define(pipeline.Def[flowTemperatureParams]{
		Name:    "mlp.flow_temperature",
		Version: 1,
		Threads: pipeline.AllThreadsOf[flowTemperatureParams],
		Doc: "The temperature of a flow as a thermometer reads it: every configuration of [step][T][sample][L][L] is given the " +
			"temperature of its most probable class; per step and starting temperature, the mean and spread over samples.",
		In: []pipeline.InputSpec{
			{Name: "model", Kind: artifact.KindModel, Doc: "an mlp.train thermometer"},
			{Name: "classes", Kind: artifact.KindTable, Doc: "the thermometer's classes: a table with column T, one row per class", Check: pipeline.RequireColumns("T")},
			{Name: "flow", Kind: artifact.KindArray, Doc: "configurations [step][T][sample][L][L]"},
			{Name: "meta", Kind: artifact.KindTable, Doc: "the flow's starting temperatures: a table with column T", Check: pipeline.RequireColumns("T")},
		},
		Out: []pipeline.OutputSpec{
			{Name: "temperature", Kind: artifact.KindTable, Doc: "step, T (starting), t_mean, t_sd (spread over samples), t_se (standard error of the mean)",
				Columns: []string{"step", "T", "t_mean", "t_sd", "t_se"}},
			{Name: "summary", Kind: artifact.KindScalars, Doc: "dist_first, dist_last: the mean over starting temperatures of |t_mean − exact| at the first and last step; ratio: last over first"},
		},
		Memory: func(_ *flowTemperatureParams, in map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"temperature": tableBytes, "summary": tableBytes}, Peak: readingPeak(in, "flow")}
		},
		Time: quick[flowTemperatureParams],
		Run: func(ctx context.Context, env *pipeline.Env, par *flowTemperatureParams) error {
			net, ct, err := readThermometer(env)
			if err != nil {
				return err
			}
			a, temps, err := flowAndTemperatures(env, false)
			if err != nil {
				return err
			}
			x, _, _, err := configurations(a)
			if err != nil {
				return err
			}
			p, err := net.Predict(&linalg.Gemm{Limit: env.Threads}, x)
			if err != nil {
				return fmt.Errorf("flow: %w", err)
			}
			steps, nT, n := a.Shape[0], a.Shape[1], a.Shape[2]
			var cols [5][]float64
			exact := par.Exact
			var first, last float64
			for st := 0; st < steps; st++ {
				for ti := 0; ti < nT; ti++ {
					var s1, s2 float64
					for k := 0; k < n; k++ {
						row := p.Row((st*nT+ti)*n + k)
						best := 0
						for c, v := range row {
							if v > row[best] {
								best = c
							}
						}
						s1, s2 = s1+ct[best], s2+ct[best]*ct[best]
					}
					mean := s1 / float64(n)
					sd := math.Sqrt(math.Max(0, s2/float64(n)-mean*mean))
					for j, v := range []float64{float64(st), temps[ti], mean, sd, sd / math.Sqrt(float64(n))} {
						cols[j] = append(cols[j], v)
					}
					if st == 0 {
						first += math.Abs(mean-exact) / float64(nT)
					}
					if st == steps-1 {
						last += math.Abs(mean-exact) / float64(nT)
					}
				}
			}
			t := artifact.NewTable([]string{"step", "T", "t_mean", "t_sd", "t_se"}, cols[:])
			if err := env.PutTable("temperature", t); err != nil {
				return err
			}
			sc := artifact.Scalars{
				"dist_first": {Value: first, Note: "mean over starting temperatures of |measured T − Tc| at the first step"},
				"dist_last":  {Value: last, Note: "the same at the last step"},
			}
			if first > 0 {
				sc["ratio"] = artifact.Scalar{Value: last / first}
			}
			return env.PutScalars("summary", sc)
		},
	})
}

// readingPeak bounds what an op holds that reads the configurations of
// input name with a thermometer: float32 and float64 copies of the data
// (measured 18 times its int8 bytes at 64×64) and, per configuration, the
// network's activations and class probabilities (float64; a few hundred
// units: 4 KiB). Without the input's units, 32 times its bytes (a lattice of
// 8×8 int8 spins carries 64 bytes a configuration).
func readingPeak(in map[string][]float64, name string) float64 {
	d := pipeline.One(in, name)
	n := d / pipeline.Units(in, name)
	if math.IsNaN(n) {
		return 32 * d
	}
	return 20*d + 4096*n
}
