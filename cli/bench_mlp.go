package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kadanoff/kadanoff/experiments/linalg"
	"github.com/kadanoff/kadanoff/experiments/mlp"
)

// torchMLPScript times one epoch of the thermometer in PyTorch on one thread,
// the way a user would write it: nn.Sequential, CrossEntropyLoss, Adam, a
// shuffled pass over the training set in minibatches, then the validation
// loss and accuracy. Arguments: inputs, hidden, classes, training samples,
// validation samples, batch, seconds.
const torchMLPScript = `
import sys, time, torch
torch.set_num_threads(1)
nin, nh, nc, ntr, nva, bs = map(int, sys.argv[1:7])
g = torch.Generator().manual_seed(1)
xtr = torch.randint(0, 2, (ntr, nin), generator=g).float() * 2 - 1
ytr = torch.arange(ntr) % nc
xva = torch.randint(0, 2, (nva, nin), generator=g).float() * 2 - 1
yva = torch.arange(nva) % nc
model = torch.nn.Sequential(torch.nn.Linear(nin, nh), torch.nn.Tanh(), torch.nn.Linear(nh, nc))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
lossf = torch.nn.CrossEntropyLoss()
def epoch():
    perm = torch.randperm(ntr, generator=g)
    for i in range(0, ntr - bs + 1, bs):
        idx = perm[i:i+bs]
        opt.zero_grad()
        loss = lossf(model(xtr[idx]), ytr[idx])
        loss.backward()
        opt.step()
    with torch.no_grad():
        out = model(xva)
        vl = lossf(out, yva).item()
        acc = (out.argmax(1) == yva).float().mean().item()
epoch()
reps, t0 = 0, time.perf_counter()
while reps < 3 or time.perf_counter() - t0 < float(sys.argv[7]):
    epoch(); reps += 1
print((time.perf_counter() - t0) / reps)
`

// benchMonitor is the number of validation samples the paper profile's
// thermometers score per epoch (mlp.train's monitor in configs/dmk2020.yaml).
const benchMonitor = 8000

// benchMLP times one epoch of the paper's thermometer (100 → 80 tanh → 60,
// Adam, batch 50, 36,000 training and 24,000 validation samples, one thread)
// beside the same epoch in PyTorch when it is installed, and the share of the
// epoch its validation pass takes, scoring every validation sample (as torch
// does) and scoring benchMonitor of them (as the paper profile does).
func benchMLP(ctx context.Context, o benchOptions) []benchRow {
	in, hidden, classes, train, valid, batch, monitor := 100, 80, 60, 36000, 24000, 50, benchMonitor
	if o.quick {
		train, valid, monitor = 600, 400, 100
	}
	x := linalg.NewMatrix(train+valid, in)
	r := linalg.NewRand(1)
	for i := range x.Data {
		x.Data[i] = float32(2*int(r.Uint64()&1) - 1)
	}
	labels := make([]int, x.Rows)
	for i := range labels {
		labels[i] = i % classes
	}
	epochs := func(e, monitor int) (time.Duration, mlp.Timing) {
		var timing mlp.Timing
		cfg := mlp.Config{Hidden: []int{hidden}, Activation: "tanh", Optimizer: "adam", LR: 0.001, Epochs: e, Batch: batch,
			Validation: float64(valid) / float64(train+valid), Monitor: monitor, Timing: &timing}
		start := time.Now()
		mlp.Train(ctx, &linalg.Gemm{Threads: 1}, linalg.NewRand(2), x, labels, classes, cfg, nil)
		return time.Since(start), timing
	}
	// The difference of 5 and 1 epochs is four epochs without the setup; the
	// last epoch scores the whole validation set, so with a monitor the
	// difference holds four monitored epochs. The median of three such
	// differences (one with --quick) steadies the figure, as torch's is a
	// mean over several epochs.
	perEpoch := func(monitor int) (seconds, share float64) {
		reps := 3
		if o.quick {
			reps = 1
		}
		var secs, shares []float64
		for range reps {
			one, t1 := epochs(1, monitor)
			five, t5 := epochs(5, monitor)
			secs = append(secs, (five-one).Seconds()/4)
			shares = append(shares, (t5.Validate-t1.Validate).Seconds()/((t5.Train-t1.Train)+(t5.Validate-t1.Validate)).Seconds())
		}
		slices.Sort(secs)
		slices.Sort(shares)
		return secs[reps/2], shares[reps/2]
	}
	name := fmt.Sprintf("%d→%d→%d, %d + %d samples, batch %d", in, hidden, classes, train, valid, batch)
	full, fullShare := perEpoch(0)
	row := benchRow{Kernel: "kadanoff thermometer epoch, 1 thread", Size: name, Metric: "seconds/epoch", Value: full}
	rows := []benchRow{row}
	args := []string{strconv.Itoa(in), strconv.Itoa(hidden), strconv.Itoa(classes), strconv.Itoa(train), strconv.Itoa(valid), strconv.Itoa(batch),
		strconv.FormatFloat(o.time.Seconds(), 'g', -1, 64)}
	if out, err := o.python(ctx, torchMLPScript, args, 1); err == nil {
		if ref, err := strconv.ParseFloat(strings.TrimSpace(out), 64); err == nil && ref > 0 {
			rows[0].Ratio, rows[0].Reference = ref/full, "torch"
			rows = append(rows, benchRow{Kernel: "torch thermometer epoch, 1 thread", Size: name, Metric: "seconds/epoch", Value: ref})
		}
	}
	mon, monShare := perEpoch(monitor)
	return append(rows,
		benchRow{Kernel: "kadanoff validation pass, all samples", Size: name, Metric: "% of epoch", Value: 100 * fullShare},
		benchRow{Kernel: fmt.Sprintf("kadanoff thermometer epoch, monitor %d", monitor), Size: name, Metric: "seconds/epoch", Value: mon},
		benchRow{Kernel: fmt.Sprintf("kadanoff validation pass, monitor %d", monitor), Size: name, Metric: "% of epoch", Value: 100 * monShare})
}
