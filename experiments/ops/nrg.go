package ops

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/kadanoff/kadanoff/experiments/exact"
	"github.com/kadanoff/kadanoff/experiments/linalg"
	"github.com/kadanoff/kadanoff/experiments/mcstat"
	"github.com/kadanoff/kadanoff/experiments/nrg"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// The nrg ops: the Neural Network Renormalization Group flow (Li & Wang).

// nrgOps are the ops of this file, for All.
func nrgOps() []pipeline.Op {
	return []pipeline.Op{nrgTrain(), nrgReceptiveFields(), nrgCollective(), nrgSampler(), nrgExact()}
}

// nrgModel is what nrg.train stores: the flow's shape, the temperature it
// was trained at, and its parameters.
type nrgModel struct {
	Format string     `json:"format"`
	Config nrg.Config `json:"config"`
	T      float64    `json:"T"`
	Params []float64  `json:"params"`
}

func loadFlow(env *pipeline.Env) (*nrg.Flow, *nrgModel, error) {
	data, err := env.Input("model")
	if err != nil {
		return nil, nil, err
	}
	var m nrgModel
	if err := json.Unmarshal(data, &m); err != nil || m.Format != "kadanoff-nrg-1" {
		return nil, nil, fmt.Errorf("input model: not an nrg.train model (%v)", err)
	}
	f, err := nrg.NewFlow(m.Config, nil)
	if err != nil {
		return nil, nil, err
	}
	if len(m.Params) != len(f.Params) {
		return nil, nil, fmt.Errorf("input model: %d parameters for a flow of %d", len(m.Params), len(f.Params))
	}
	copy(f.Params, m.Params)
	return f, &m, nil
}

type nrgTrainParams struct {
	Size        int     `param:"size" doc:"lattice side L, a power of two" check:"min=2"`
	T           float64 `param:"T" doc:"temperature (J = 1)" check:"min=1e-6"`
	Levels      int     `param:"levels" doc:"MERA levels, 1 … log₂L (depth 2·levels layers); fewer leave the coarsest variables untransformed" check:"min=1"`
	Couplings   int     `param:"couplings" doc:"coupling layers per block bijector" default:"4" check:"min=1"`
	Hidden      int     `param:"hidden" doc:"width of the hidden layers of the s and t networks (at most 16: two AVX-512 registers)" default:"10"`
	Layers      int     `param:"layers" doc:"hidden layers of each network" default:"2" check:"min=1"`
	Separate    bool    `param:"separate" doc:"a network for s and one for t, each 2 → hidden … → 2 (Li & Wang's code), rather than one 2 → hidden … → 4 for both" default:"false"`
	Epochs      int     `param:"epochs" doc:"optimisation steps, each on a fresh batch" check:"min=1"`
	Batch       int     `param:"batch" doc:"samples per step" default:"256" check:"min=2"`
	LR          float64 `param:"lr" doc:"Adam learning rate" default:"1e-3" check:"min=1e-12"`
	Symmetric   bool    `param:"symmetric" doc:"the model's density ½[q(x) + q(−x)], symmetric under x → −x like the dual (Li & Wang's -symmetry; about twice the arithmetic per step: an inverse pass at −x)" default:"false"`
	Schedule    string  `param:"schedule" doc:"the learning rate: constant, or cosine (annealed from lr to zero over the epochs)" default:"constant" check:"oneof=constant,cosine"`
	WeightDecay float64 `param:"weight_decay" doc:"L2 weight decay added to the gradient" default:"0" check:"min=0"`
	EvalBatch   int     `param:"eval_batch" doc:"samples of the final estimate of the loss" default:"8192" check:"min=2"`
}

func nrgTrain() pipeline.Op {
	return pipeline.Define(pipeline.Def[nrgTrainParams]{
		Name:    "nrg.train",
		Seeded:  true,
		Version: 4,
		Threads: pipeline.AllThreadsOf[nrgTrainParams],
		Doc: "Neural-network RG (Li & Wang): trains a normalizing flow — Real NVP block bijectors (coupling layers whose s and t " +
			"come from one network 2 → hidden … → 4 or from one each, ELU, s through a scaled tanh) shared by all 2×2 plaquettes of a MERA layer, a " +
			"disentangler and a decimator per level — on the continuous dual of the L×L Ising model at T by the reverse KL " +
			"divergence (samples of the flow from a standard normal prior; Adam with L2 weight decay), optionally of the symmetrised " +
			"density ½[q(x) + q(−x)] (symmetric: the flow may cover one of the dual's two magnetized halves and its mirror the other). The loss is a variational " +
			"upper bound of −ln Z, which the op computes exactly (Kaufman's ln Z of the Ising lattice plus the dual's Gaussian " +
			"shift) and, after training, estimates on a large fresh batch.",
		Out: []pipeline.OutputSpec{
			{Name: "model", Kind: artifact.KindModel, Doc: "the flow (JSON: shape, T, parameters)"},
			{Name: "curve", Kind: artifact.KindTable, Doc: "epoch, loss (batch mean), loss_err (its standard error), exact (−ln Z), rel_err ((loss − exact)/|exact|)",
				Columns: []string{"epoch", "loss", "loss_err", "exact", "rel_err"}},
			{Name: "result", Kind: artifact.KindTable, Doc: "one row: T, size, levels, depth, loss and loss_err (final estimate), exact, rel_err and rel_err_err, gap_sigma ((loss − exact)/loss_err), below (share of epochs more than 3 standard errors below exact)",
				Columns: []string{"T", "size", "levels", "depth", "loss", "loss_err", "exact", "rel_err", "rel_err_err", "gap_sigma", "below"}},
			{Name: "summary", Kind: artifact.KindScalars, Doc: "loss (final estimate, with error), exact, rel_err, gap (loss − exact, with error), gap_sigma, below, ln2_share (gap / ln 2: a flow that covers one of the two Z₂-related modes of the dual misses ln 2)"},
		},
		Checks: map[string]func(spec.Value) error{
			"hidden": pipeline.Between(1, linalg.MaxDense64),
		},
		// The batch and the final estimate's samples (float64 x and z per
		// site, and the couplings' activations of a chunk per thread); the
		// parameters are a few thousand floats. Measured 44 MB (the whole
		// process) at L = 16, 4 levels, 8 couplings, eval_batch 8192.
		Memory: func(p *nrgTrainParams, _ map[string][]float64) pipeline.Sizes {
			sites := float64(p.Size) * float64(p.Size)
			samples := float64(max(p.Batch, p.EvalBatch))
			return pipeline.Sizes{Out: map[string]float64{"model": tableBytes, "curve": tableBytes + 64*float64(p.Epochs), "result": tableBytes, "summary": tableBytes},
				Peak: 6*8*samples*sites + 32<<20}
		},
		Time: func(p *nrgTrainParams, _ map[string][]float64) time.Duration {
			L, h := float64(p.Size), float64(p.Hidden)
			var blocks float64
			for l := 0; l < int(p.Levels); l++ {
				side := L / float64(int(2)<<l)
				blocks += 2 * math.Max(side*side, 1)
			}
			// Multiply–adds of a coupling's networks per plaquette, against
			// the default shape's 160 (2 → 10 → 10 → 4).
			nets, outs := 1.0, 4.0
			if p.Separate {
				nets, outs = 2, 2
			}
			macs := nets * (2*h + float64(p.Layers-1)*h*h + h*outs)
			perSample := blocks * float64(p.Couplings) * 5e-6 * math.Max(1, macs/160)
			if p.Symmetric {
				perSample *= 1.9 // measured 1.86 at 16×16 (BenchmarkLossAndGradient)
			}
			samples := float64(p.Epochs)*float64(p.Batch) + float64(p.EvalBatch)
			return seconds(samples * perSample)
		},
		Run: func(ctx context.Context, env *pipeline.Env, p *nrgTrainParams) error {
			L, T := p.Size, p.T
			cfg := nrg.Config{L: L, Levels: p.Levels, Couplings: p.Couplings, Hidden: p.Hidden, Layers: p.Layers, Separate: p.Separate, Symmetric: p.Symmetric}
			tg, err := nrg.NewTarget(L, T)
			if err != nil {
				return err
			}
			f, err := nrg.NewFlow(cfg, env.Rand("init"))
			if err != nil {
				return err
			}
			epochs := p.Epochs
			tc := nrg.TrainConfig{Epochs: epochs, Batch: p.Batch, LR: p.LR, Cosine: p.Schedule == "cosine", WeightDecay: p.WeightDecay, Threads: env.Threads}
			hist, err := nrg.Train(ctx, f, tg, tc, env.Rand("train"), func(ep int) { env.Progress(ep, epochs) })
			if err != nil {
				return err
			}
			exact := -tg.LogZ()
			loss, lossErr := f.Loss(tg, nrg.Prior(env.Rand("eval"), p.EvalBatch, f.N), nil, env.Threads())
			names := []string{"epoch", "loss", "loss_err", "exact", "rel_err"}
			cols := make([][]float64, len(names))
			below := 0
			for i, e := range hist {
				for k, v := range []float64{float64(i + 1), e.Loss, e.Err, exact, (e.Loss - exact) / math.Abs(exact)} {
					cols[k] = append(cols[k], v)
				}
				if e.Loss < exact-3*e.Err {
					below++
				}
			}
			if err := env.PutTable("curve", artifact.NewTable(names, cols)); err != nil {
				return err
			}
			rel := (loss - exact) / math.Abs(exact)
			gapSigma := (loss - exact) / lossErr
			share := float64(below) / float64(len(hist))
			row := []float64{T, float64(L), float64(cfg.Levels), float64(2 * cfg.Levels), loss, lossErr, exact, rel, lossErr / math.Abs(exact), gapSigma, share}
			rnames := []string{"T", "size", "levels", "depth", "loss", "loss_err", "exact", "rel_err", "rel_err_err", "gap_sigma", "below"}
			rcols := make([][]float64, len(row))
			for i, v := range row {
				rcols[i] = []float64{v}
			}
			if err := env.PutTable("result", artifact.NewTable(rnames, rcols)); err != nil {
				return err
			}
			model, err := json.Marshal(nrgModel{Format: "kadanoff-nrg-1", Config: cfg, T: T, Params: f.Params})
			if err != nil {
				return err
			}
			if err := env.Put("model", artifact.KindModel, model); err != nil {
				return err
			}
			return env.PutScalars("summary", artifact.Scalars{
				"loss":      {Value: loss, Err: lossErr, Note: fmt.Sprintf("mean over %d fresh samples of the flow", p.EvalBatch)},
				"exact":     {Value: exact, Note: "−ln Z of the dual: Kaufman's ln Z of the Ising lattice plus the Gaussian shift"},
				"rel_err":   {Value: rel, Err: lossErr / math.Abs(exact)},
				"gap":       {Value: loss - exact, Err: lossErr},
				"gap_sigma": {Value: gapSigma},
				"below":     {Value: share, Note: "share of training epochs whose batch estimate lies more than 3 standard errors below −ln Z"},
				"ln2_share": {Value: (loss - exact) / math.Ln2},
			})
		},
	})
}

type nrgReceptiveFieldsParams struct {
	Samples int `param:"samples" doc:"configurations drawn from the flow" default:"64" check:"min=1"`
}

func nrgReceptiveFields() pipeline.Op {
	return pipeline.Define(pipeline.Def[nrgReceptiveFieldsParams]{
		Name:    "nrg.receptive_fields",
		Seeded:  true,
		Version: 2,
		Threads: pipeline.AllThreadsOf[nrgReceptiveFieldsParams],
		Doc: "Receptive fields of a trained flow's latent variables: |∂z_j/∂x_i| of the inverse flow (central differences) at " +
			"configurations the flow generates, averaged over them and over the latents each MERA level leaves behind, each field " +
			"translated (periodically) so that its latent's site is at the lattice centre (L/2, L/2). The spread of a field is its " +
			"rms distance from the latent's site weighted by |∂z/∂x|.",
		In: []pipeline.InputSpec{{Name: "model", Kind: artifact.KindModel, Doc: "an nrg.train model"}},
		Out: []pipeline.OutputSpec{
			{Name: "fields", Kind: artifact.KindArray, Doc: "float32 [level][L][L], level 0 the finest"},
			{Name: "spread", Kind: artifact.KindTable, Doc: "level, radius (rms distance, lattice units), sites90 (fewest sites holding 90 % of the field)",
				Columns: []string{"level", "radius", "sites90"}},
			{Name: "summary", Kind: artifact.KindScalars, Doc: "radius[level=k] for each level, and growth (the top level's radius over level 0's)"},
		},
		// The lattice side is in the model, unknown until run.
		Memory: func(_ *nrgReceptiveFieldsParams, _ map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"fields": math.NaN(), "spread": tableBytes, "summary": tableBytes}, Peak: math.NaN()}
		},
		Time: quick[nrgReceptiveFieldsParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *nrgReceptiveFieldsParams) error {
			f, _, err := loadFlow(env)
			if err != nil {
				return err
			}
			L, N := f.L, f.N
			n := p.Samples
			xs := nrg.Prior(env.Rand("samples"), n, N)
			jac := make([][]float64, n)
			err = parallel(ctx, env.Threads(), n, func(i int) error {
				f.Generate(xs[i])
				jac[i] = f.Jacobian(xs[i])
				return nil
			})
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			lat := f.Latents()
			fields := make([]float32, len(lat)*N)
			sc := artifact.Scalars{}
			var levels, radii, s90 []float64
			for lv, sites := range lat {
				acc := make([]float64, N)
				for _, j := range sites {
					jx, jy := j%L, j/L
					for _, J := range jac {
						for i := 0; i < N; i++ {
							ix, iy := i%L, i/L
							// Translate so that site j lands on (L/2, L/2).
							tx, ty := (ix-jx+L/2+L)%L, (iy-jy+L/2+L)%L
							acc[ty*L+tx] += math.Abs(J[j*N+i])
						}
					}
				}
				var total, r2 float64
				for i, v := range acc {
					v /= float64(len(sites) * n)
					acc[i] = v
					fields[lv*N+i] = float32(v)
					dx, dy := float64(i%L-L/2), float64(i/L-L/2)
					total += v
					r2 += v * (dx*dx + dy*dy)
				}
				radius := math.Sqrt(r2 / total)
				sorted := append([]float64(nil), acc...)
				slices.SortFunc(sorted, func(a, b float64) int { return cmp.Compare(b, a) })
				k, run := 0, 0.0
				for run < 0.9*total && k < len(sorted) {
					run += sorted[k]
					k++
				}
				levels, radii, s90 = append(levels, float64(lv)), append(radii, radius), append(s90, float64(k))
				sc[fmt.Sprintf("radius[level=%d]", lv)] = artifact.Scalar{Value: radius, Note: "rms distance from the latent's site, weighted by |∂z/∂x|"}
			}
			sc["growth"] = artifact.Scalar{Value: radii[len(radii)-1] / radii[0]}
			if err := env.PutArray("fields", artifact.NewFloat32(fields, len(lat), L, L)); err != nil {
				return err
			}
			if err := env.PutTable("spread", artifact.NewTable([]string{"level", "radius", "sites90"}, [][]float64{levels, radii, s90})); err != nil {
				return err
			}
			return env.PutScalars("summary", sc)
		},
	})
}

type nrgCollectiveParams struct {
	Samples  int `param:"samples" doc:"base configurations (latent draws) the share is averaged over" default:"64" check:"min=2"`
	Variants int `param:"variants" doc:"configurations per base and level: the base, then variants − 1 with that level's latents drawn anew" default:"6" check:"min=2"`
}

func nrgCollective() pipeline.Op {
	return pipeline.Define(pipeline.Def[nrgCollectiveParams]{
		Name:    "nrg.collective",
		Seeded:  true,
		Version: 3,
		Threads: pipeline.AllThreadsOf[nrgCollectiveParams],
		Doc: "The latent variables of each MERA level as collective variables (Li & Wang's \"renormalized collective variables\"): " +
			"from a base latent draw z, configurations x = g(z') where z' redraws only the latents one level leaves behind (the " +
			"coarsest level's few, or the finest level's many) and keeps every other. A level's collective share is the variance, " +
			"over its variants, of the lattice mean of x over the mean of the sites' own variances: 1 when the redrawn latents move " +
			"the whole lattice together, 1/N when they move sites independently. Its block share counts the modes constant over the " +
			"level's own blocks instead (side 2^level, the spacing of the level's plaquette sites: 8×8 for the top level of a " +
			"16×16 flow), 1/side² for independent sites: the level's latents as block variables of an RG step.",
		In: []pipeline.InputSpec{{Name: "model", Kind: artifact.KindModel, Doc: "an nrg.train model"}},
		Out: []pipeline.OutputSpec{
			{Name: "configs", Kind: artifact.KindArray, Doc: "float32 [level][variant][L][L]: x of the first base, variant 0 the base itself, level 0 the finest"},
			{Name: "share", Kind: artifact.KindTable, Doc: "level, latents (how many the level leaves), block (the side of the level's blocks, 2^level), share and block_share (means over bases), with their standard errors",
				Columns: []string{"level", "latents", "block", "share", "share_err", "block_share", "block_share_err"}},
			{Name: "summary", Kind: artifact.KindScalars, Doc: "share[level=k] and block_share[level=k] for each level, top_share and top_block_share (the coarsest level's), bottom_share (the finest level's share)"},
		},
		// The lattice side is in the model, unknown until run.
		Memory: func(_ *nrgCollectiveParams, _ map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"configs": math.NaN(), "share": tableBytes, "summary": tableBytes}, Peak: math.NaN()}
		},
		Time: quick[nrgCollectiveParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *nrgCollectiveParams) error {
			f, _, err := loadFlow(env)
			if err != nil {
				return err
			}
			N, V := f.N, p.Variants
			lat := f.Latents()
			bases := nrg.Prior(env.Rand("bases"), p.Samples, N)
			// The redrawn latents, drawn in a fixed order before any work
			// is shared among threads: [base][level][variant][latent].
			r := env.Rand("variants")
			redraw := make([][][][]float64, p.Samples)
			for b := range redraw {
				redraw[b] = make([][][]float64, len(lat))
				for lv, sites := range lat {
					redraw[b][lv] = nrg.Prior(r, V-1, len(sites))
				}
			}
			shares, blocks := make([][]float64, len(lat)), make([][]float64, len(lat)) // [level][base]
			for lv := range shares {
				shares[lv], blocks[lv] = make([]float64, p.Samples), make([]float64, p.Samples)
			}
			first := make([]float32, len(lat)*V*N)
			err = parallel(ctx, env.Threads(), p.Samples, func(b int) error {
				xs := make([][]float64, V)
				for lv, sites := range lat {
					for v := range xs {
						xs[v] = append(xs[v][:0], bases[b]...)
						if v > 0 {
							for k, j := range sites {
								xs[v][j] = redraw[b][lv][v-1][k]
							}
						}
						f.Generate(xs[v])
						if b == 0 {
							for i, x := range xs[v] {
								first[(lv*V+v)*N+i] = float32(x)
							}
						}
					}
					shares[lv][b] = blockShare(xs, f.L, f.L)
					blocks[lv][b] = blockShare(xs, f.L, 1<<lv)
				}
				return nil
			})
			if err != nil {
				return err
			}
			sc := artifact.Scalars{}
			var levels, counts, sides, means, errs, bmeans, berrs []float64
			for lv := range shares {
				m, se := mcstat.MeanErr(shares[lv], 0.5) // independent bases: τ = ½
				bm, bse := mcstat.MeanErr(blocks[lv], 0.5)
				levels, counts, sides = append(levels, float64(lv)), append(counts, float64(len(lat[lv]))), append(sides, float64(int(1)<<lv))
				means, errs, bmeans, berrs = append(means, m), append(errs, se), append(bmeans, bm), append(berrs, bse)
				note := fmt.Sprintf("%d latents redrawn, mean over %d bases", len(lat[lv]), p.Samples)
				sc[fmt.Sprintf("share[level=%d]", lv)] = artifact.Scalar{Value: m, Err: se, Note: note}
				sc[fmt.Sprintf("block_share[level=%d]", lv)] = artifact.Scalar{Value: bm, Err: bse, Note: note + fmt.Sprintf(", blocks of %d×%d", 1<<lv, 1<<lv)}
			}
			top := len(lat) - 1
			sc["top_share"] = sc[fmt.Sprintf("share[level=%d]", top)]
			sc["top_block_share"] = sc[fmt.Sprintf("block_share[level=%d]", top)]
			sc["bottom_share"] = sc["share[level=0]"]
			if err := env.PutArray("configs", artifact.NewFloat32(first, len(lat), V, f.L, f.L)); err != nil {
				return err
			}
			if err := env.PutTable("share", artifact.NewTable([]string{"level", "latents", "block", "share", "share_err", "block_share", "block_share_err"},
				[][]float64{levels, counts, sides, means, errs, bmeans, berrs})); err != nil {
				return err
			}
			return env.PutScalars("summary", sc)
		},
	})
}

// blockShare is the share of the configurations' variation that is constant
// over the b×b blocks tiling the L×L lattice (b divides L): the sum over
// blocks of the block's size times the variance over configurations of its
// mean, over the sum over sites of each site's variance. It is in [0, 1]: 1
// when every site of a block moves by the same amount, 1/b² when sites move
// independently; with b = L it is the uniform mode's share.
func blockShare(xs [][]float64, L, b int) float64 {
	V := float64(len(xs))
	var num, den float64
	for i := 0; i < L*L; i++ {
		var mu float64
		for _, x := range xs {
			mu += x[i] / V
		}
		for _, x := range xs {
			den += (x[i] - mu) * (x[i] - mu) / V
		}
	}
	means := make([]float64, len(xs))
	for by := 0; by < L; by += b {
		for bx := 0; bx < L; bx += b {
			var grand float64
			for v, x := range xs {
				means[v] = 0
				for y := by; y < by+b; y++ {
					for c := bx; c < bx+b; c++ {
						means[v] += x[y*L+c]
					}
				}
				means[v] /= float64(b * b)
				grand += means[v] / V
			}
			for _, m := range means {
				num += float64(b*b) * (m - grand) * (m - grand) / V
			}
		}
	}
	if den == 0 {
		return 0
	}
	return num / den
}

type nrgSamplerParams struct {
	Proposals int     `param:"proposals" doc:"configurations the flow proposes, one chain step each" default:"20000" check:"min=100"`
	Burn      float64 `param:"burn" doc:"share of the chain dropped at its start" default:"0.1" check:"min=0"`
	Trace     int     `param:"trace" doc:"rows of the running-mean table" default:"200" check:"min=2"`
}

func nrgSampler() pipeline.Op {
	return pipeline.Define(pipeline.Def[nrgSamplerParams]{
		Name:    "nrg.sampler",
		Seeded:  true,
		Version: 2,
		Threads: pipeline.AllThreadsOf[nrgSamplerParams],
		Doc: "Li & Wang's Metropolized independence sampler: a trained flow proposes configurations x = g(z) of the dual (±g(z), " +
			"the sign at random, for a symmetric flow), each accepted from the chain's state x₀ with probability " +
			"min(1, π(x)q(x₀) / (π(x₀)q(x))), π = e^(−E) and q the flow's own density, so that the chain samples the dual exactly however imperfect the flow. Each state is read as the Ising " +
			"energy per site given the field, −(1/N) Σ⟨ij⟩ tanh x_i tanh x_j, whose mean is the Ising model's; the op reports it " +
			"from the chain (error from its integrated autocorrelation time) and from the raw proposals (the flow alone, biased " +
			"by its Kullback–Leibler gap), beside Kaufman's exact energy of the L×L lattice at the flow's T.",
		In: []pipeline.InputSpec{{Name: "model", Kind: artifact.KindModel, Doc: "an nrg.train model"}},
		Out: []pipeline.OutputSpec{
			{Name: "trace", Kind: artifact.KindTable, Doc: "proposal, chain (running mean of the chain's energy after the burn-in), flow (running mean of the proposals'), exact",
				Columns: []string{"proposal", "chain", "flow", "exact"}},
			{Name: "summary", Kind: artifact.KindScalars, Doc: "acceptance, tau (of the chain's energy), energy (the chain's, with error), energy_flow (the proposals', with error), exact, bias_sigma ((energy − exact)/error), flow_bias_sigma, rel_err (the chain's error over |exact|), positive_share (of the proposals with positive magnetization)"},
		},
		// The lattice side is in the model, unknown until run.
		Memory: func(p *nrgSamplerParams, _ map[string][]float64) pipeline.Sizes {
			return pipeline.Sizes{Out: map[string]float64{"trace": tableBytes, "summary": tableBytes}, Peak: math.NaN()}
		},
		Time: quick[nrgSamplerParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *nrgSamplerParams) error {
			f, m, err := loadFlow(env)
			if err != nil {
				return err
			}
			if f.L < 3 {
				return fmt.Errorf("input model: L = %d, the Ising energy needs L ≥ 3", f.L)
			}
			tg, err := nrg.NewTarget(f.L, m.T)
			if err != nil {
				return err
			}
			n := p.Proposals
			z := env.Rand("proposals")
			// A symmetric flow proposes ±g(z), the sign drawn here.
			var flips []bool
			if f.Symmetric {
				sg := env.Rand("sign")
				flips = make([]bool, n)
				for j := range flips {
					flips[j] = sg.IntN(2) == 1
				}
			}
			lw, e, mag := make([]float64, n), make([]float64, n), make([]float64, n)
			// Proposals in blocks: each block's latents drawn in order, then
			// pushed through the flow on every thread.
			const block = 1024
			for b0 := 0; b0 < n; b0 += block {
				zs := nrg.Prior(z, min(block, n-b0), f.N)
				err = parallel(ctx, env.Threads(), len(zs), func(k int) error {
					x := zs[k]
					lnq := f.Sample(x, flips != nil && flips[b0+k])
					lw[b0+k] = -tg.Energy(x, nil) - lnq // ln π − ln q
					e[b0+k] = tg.IsingEnergy(x)
					for _, xi := range x {
						mag[b0+k] += math.Tanh(xi) / float64(len(x))
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			u := env.Rand("accept")
			us := make([]float64, n)
			for j := range us {
				us[j] = u.Float64()
			}
			states, accepted := nrg.Metropolize(lw, us)
			start := int(p.Burn * float64(n))
			if start >= n-50 {
				return fmt.Errorf("burn = %g leaves %d of %d chain steps; want at least 50", p.Burn, n-start, n)
			}
			chain := make([]float64, 0, n-start)
			for _, st := range states[start:] {
				chain = append(chain, e[st])
			}
			tau := mcstat.IntegratedTime(chain, 6)
			energy, energyErr := mcstat.MeanErr(chain, tau.Tau)
			flowE, flowErr := mcstat.MeanErr(e, 0.5)
			want := exact.Energy(f.L, m.T)
			positive := 0
			for _, v := range mag {
				if v > 0 {
					positive++
				}
			}
			if !tau.Reliable {
				env.Logf("the chain of %d steps is shorter than 50 τ (τ = %.1f): its error is a lower bound", len(chain), tau.Tau)
			}
			var cols [4][]float64
			var sumC, sumF float64
			every := max(1, n/p.Trace)
			for j := 0; j < n; j++ {
				sumF += e[j]
				if j >= start {
					sumC += e[states[j]]
				}
				if (j+1)%every == 0 && j >= start {
					cols[0] = append(cols[0], float64(j+1))
					cols[1] = append(cols[1], sumC/float64(j+1-start))
					cols[2] = append(cols[2], sumF/float64(j+1))
					cols[3] = append(cols[3], want)
				}
			}
			if err := env.PutTable("trace", artifact.NewTable([]string{"proposal", "chain", "flow", "exact"}, cols[:])); err != nil {
				return err
			}
			return env.PutScalars("summary", artifact.Scalars{
				"acceptance":      {Value: float64(accepted) / float64(n-1), Note: fmt.Sprintf("of %d proposals", n-1)},
				"tau":             {Value: tau.Tau, Err: tau.Err, Note: "integrated autocorrelation time of the chain's energy, in proposals"},
				"energy":          {Value: energy, Err: energyErr, Note: fmt.Sprintf("Ising energy per site, mean over the chain's last %d states", len(chain))},
				"energy_flow":     {Value: flowE, Err: flowErr, Note: "Ising energy per site, mean over the flow's raw proposals"},
				"exact":           {Value: want, Note: fmt.Sprintf("Kaufman's energy per site of the %d×%d lattice at T = %v", f.L, f.L, m.T)},
				"bias_sigma":      {Value: (energy - want) / energyErr},
				"flow_bias_sigma": {Value: (flowE - want) / flowErr},
				"rel_err":         {Value: energyErr / math.Abs(want), Note: "the chain's error over |exact|"},
				"positive_share":  {Value: float64(positive) / float64(n), Note: "share of the proposals whose magnetization (mean of tanh x) is positive: 1/2 for a flow that covers both Z₂ halves"},
			})
		},
	})
}

type nrgExactParams struct {
	Size int     `param:"size" doc:"the lattice's side L (periodic)" check:"min=2"`
	T    float64 `param:"T" doc:"the temperature" check:"min=0.01"`
}

// nrgExact gives the exact numbers a flow's loss is measured against.
func nrgExact() pipeline.Op {
	return pipeline.Define(pipeline.Def[nrgExactParams]{
		Name:    "nrg.exact",
		Version: 1,
		Doc: "The exact free energies of an L×L periodic Ising lattice at T and of its continuous dual (the model nrg.train's flow " +
			"learns): ln Z of the Ising lattice (Kaufman), the Gaussian shift between the two, and the dual's −ln Z, the floor of the loss. " +
			"A flow's gap (loss − floor) over ln Z_Ising is its error on the Ising model's own free energy.",
		Out: []pipeline.OutputSpec{{Name: "summary", Kind: artifact.KindScalars,
			Doc: "ln_z_ising, shift, ln_z (the dual's: ln_z_ising + shift), floor (−ln_z)"}},
		Memory: func(p *nrgExactParams, _ map[string][]float64) pipeline.Sizes {
			n := float64(p.Size * p.Size)
			return small(16 * n * n)
		},
		Time: quick[nrgExactParams],
		Run: func(ctx context.Context, env *pipeline.Env, p *nrgExactParams) error {
			tg, err := nrg.NewTarget(p.Size, p.T)
			if err != nil {
				return err
			}
			lnZ := tg.LogZ()
			shift := tg.Shift()
			return env.PutScalars("summary", artifact.Scalars{
				"ln_z_ising": {Value: lnZ - shift, Note: fmt.Sprintf("Kaufman's ln Z of the %d×%d periodic lattice at T = %v", p.Size, p.Size, p.T)},
				"shift":      {Value: shift, Note: "ln Z of the dual minus ln Z of the Ising lattice"},
				"ln_z":       {Value: lnZ, Note: "ln Z of the continuous dual"},
				"floor":      {Value: -lnZ, Note: "−ln Z of the dual: the variational loss is bounded below by it"},
			})
		},
	})
}
