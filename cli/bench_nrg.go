package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"math/rand/v2"

	"github.com/kadanoff/kadanoff/experiments/exact"
	"github.com/kadanoff/kadanoff/experiments/nrg"
)

// torchNRGScript times one training step of the NeuralRG flow in PyTorch,
// written the way a user would: the MERA's plaquettes gathered into a
// (batch, plaquettes, 4) tensor per layer, each coupling's s and t network an
// nn.Sequential (2 → H → H → 4, ELU) applied to all plaquettes at once, the
// loss ln N(z) − ln|det| + E(x) with E's quadratic form a matrix product,
// autograd and torch.optim.Adam. Arguments: L, levels, couplings, hidden,
// batch, T, threads, dtype (float32 or float64), seconds. It prints seconds
// per step.
const torchNRGScript = `
import sys, math, time, torch
L, levels, couplings, H, B = map(int, sys.argv[1:6])
T, threads, dtype, dur = float(sys.argv[6]), int(sys.argv[7]), sys.argv[8], float(sys.argv[9])
torch.set_num_threads(threads)
torch.set_default_dtype(getattr(torch, dtype))
torch.manual_seed(1)
N = L * L
K = torch.zeros(N, N)
for y in range(L):
    for x in range(L):
        i = y * L + x
        for j in (y * L + (x + 1) % L, ((y + 1) % L) * L + x):
            K[i, j] += 1 / T
            K[j, i] += 1 / T
alpha = 0.1 - torch.linalg.eigvalsh(K)[0]
M = torch.linalg.inv(K + alpha * torch.eye(N))
def energy(x):
    a = x.abs()
    return 0.5 * ((x @ M) * x).sum(1) - (a + torch.nn.functional.softplus(-2 * a) - math.log(2)).sum(1)
class Coupling(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(2, H), torch.nn.ELU(), torch.nn.Linear(H, H), torch.nn.ELU(), torch.nn.Linear(H, 4))
        torch.nn.init.zeros_(self.net[4].weight); torch.nn.init.zeros_(self.net[4].bias)
        self.scale = torch.nn.Parameter(torch.ones(2))
        self.a, self.b = ([0, 3], [1, 2]) if c % 2 == 0 else ([1, 2], [0, 3])
    def forward(self, xb):
        out = self.net(xb[..., self.a])
        s = self.scale * torch.tanh(out[..., :2])
        y = xb[..., self.b] * torch.exp(s) + out[..., 2:]
        xb = xb.clone()
        xb[..., self.b] = y
        return xb, s.sum((1, 2))
class Flow(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.idx, mods = [], []
        for lv in reversed(range(levels)):
            d = 1 << lv
            for shift in (0, d):
                bl = [[((y + dy) % L) * L + (x + dx) % L for dx, dy in ((0, 0), (d, 0), (0, d), (d, d))]
                      for y in range(shift, L + shift, 2 * d) for x in range(shift, L + shift, 2 * d)]
                self.idx.append(torch.tensor(bl))
                mods.append(torch.nn.ModuleList([Coupling(c) for c in range(couplings)]))
        self.layers = torch.nn.ModuleList(mods)
    def forward(self, z):
        x, logdet = z, torch.zeros(z.shape[0])
        for idx, layer in zip(self.idx, self.layers):
            xb = x[:, idx]
            for c in layer:
                xb, ld = c(xb)
                logdet = logdet + ld
            x = x.index_copy(1, idx.reshape(-1), xb.reshape(x.shape[0], -1))
        return x, logdet
flow = Flow()
opt = torch.optim.Adam(flow.parameters(), lr=1e-3)
def step():
    z = torch.randn(B, N)
    x, logdet = flow(z)
    loss = (-0.5 * (z * z).sum(1) - N / 2 * math.log(2 * math.pi) - logdet + energy(x)).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
step()
reps, t0 = 0, time.perf_counter()
while reps < 3 or time.perf_counter() - t0 < dur:
    step(); reps += 1
print((time.perf_counter() - t0) / reps)
`

// benchNRG times one training step of the NeuralRG flow — the batch's loss
// and gradient and the Adam update — at the shapes of the nrg2018 paper
// profile, on one and two threads, beside the same flow in PyTorch (float32,
// its default, and float64, Kadanoff's precision) when it is installed.
func benchNRG(ctx context.Context, o benchOptions) []benchRow {
	type shape struct{ L, levels, couplings, hidden, batch int }
	shapes := []shape{{8, 3, 8, 10, 256}, {16, 4, 8, 10, 512}}
	if o.quick {
		shapes = []shape{{4, 2, 2, 4, 16}}
	}
	var rows []benchRow
	for _, s := range shapes {
		tg, err := nrg.NewTarget(s.L, exact.Tc)
		if err != nil {
			panic(err) // L ≥ 2 and T > 0: cannot happen
		}
		name := fmt.Sprintf("%d×%d, %d levels, %d couplings, hidden %d, batch %d", s.L, s.L, s.levels, s.couplings, s.hidden, s.batch)
		for _, threads := range []int{1, 2} {
			// Steps of a training run: the median of per-step times over
			// runs of a few steps each, until o.time has passed.
			var secs []float64
			start := time.Now()
			for len(secs) < 3 || time.Since(start) < o.time {
				f, err := nrg.NewFlow(nrg.Config{L: s.L, Levels: s.levels, Couplings: s.couplings, Hidden: s.hidden}, rand.New(rand.NewPCG(1, 1)))
				if err != nil {
					panic(err) // a valid shape: cannot happen
				}
				const steps = 3
				t0 := time.Now()
				if _, err := nrg.Train(ctx, f, tg, nrg.TrainConfig{Epochs: steps, Batch: s.batch, LR: 1e-3, Threads: func() int { return threads }}, rand.New(rand.NewPCG(2, 2)), nil); err != nil {
					return rows
				}
				secs = append(secs, time.Since(t0).Seconds()/steps)
			}
			slices.Sort(secs)
			row := benchRow{Kernel: fmt.Sprintf("kadanoff nrg step, %d thread%s", threads, plural(threads)), Size: name, Metric: "seconds/step", Value: secs[len(secs)/2]}
			var refs []benchRow
			for _, dtype := range []string{"float32", "float64"} {
				args := []string{strconv.Itoa(s.L), strconv.Itoa(s.levels), strconv.Itoa(s.couplings), strconv.Itoa(s.hidden), strconv.Itoa(s.batch),
					strconv.FormatFloat(exact.Tc, 'g', -1, 64), strconv.Itoa(threads), dtype, strconv.FormatFloat(o.time.Seconds(), 'g', -1, 64)}
				out, err := o.python(ctx, torchNRGScript, args, threads)
				if err != nil {
					break
				}
				sec, err := strconv.ParseFloat(strings.TrimSpace(out), 64)
				if err != nil || sec <= 0 {
					break
				}
				ref := benchRow{Kernel: fmt.Sprintf("torch %s nrg step, %d thread%s", dtype, threads, plural(threads)), Size: name, Metric: "seconds/step", Value: sec}
				if dtype == "float32" {
					row.Ratio, row.Reference = sec/row.Value, "torch float32"
				} else {
					ref.Ratio, ref.Reference = sec/row.Value, "kadanoff vs torch float64"
				}
				refs = append(refs, ref)
			}
			rows = append(append(rows, row), refs...)
		}
	}
	return rows
}

// plural is "s" unless n is 1.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
