package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kadanoff/kadanoff/experiments/exact"
	"github.com/kadanoff/kadanoff/experiments/ising"
)

// benchRow is one measurement of `kadanoff bench`.
type benchRow struct {
	Kernel string  `json:"kernel"`
	L      int     `json:"L"`
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
	// Ratio is Kadanoff's value over the reference implementation's, when one ran.
	Ratio float64 `json:"ratio,omitempty"`
}

func bench(ctx context.Context, args []string, env Env) int {
	fs := newFlags("bench", env)
	asJSON := fs.Bool("json", false, "print JSON")
	dur := fs.Duration("time", time.Second, "time per measurement")
	pos, err := parse(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 1 || pos[0] != "ising" {
		fmt.Fprintln(env.Stderr, "usage: kadanoff bench [--json] [--time D] ising")
		return ExitUsage
	}
	rows := benchIsing(ctx, *dur)
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rows)
		return ExitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "kernel\tL\tmetric\tvalue\tratio to numpy")
	for _, r := range rows {
		ratio := ""
		if r.Ratio != 0 {
			ratio = fmt.Sprintf("%.1f×", r.Ratio)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.4g\t%s\n", r.Kernel, r.L, r.Metric, r.Value, ratio)
	}
	tw.Flush()
	fmt.Fprintf(env.Stdout, "one core, T = Tc = %.6f; %s\n", exact.Tc, ToolVersion())
	return ExitOK
}

// perSecond calls f until d has passed and returns calls per second.
func perSecond(d time.Duration, f func()) float64 {
	start := time.Now()
	calls := 0
	for time.Since(start) < d {
		f()
		calls++
	}
	return float64(calls) / time.Since(start).Seconds()
}

func benchIsing(ctx context.Context, d time.Duration) []benchRow {
	var rows []benchRow
	beta := 1 / exact.Tc
	rng := rand.New(rand.NewPCG(1, 2))
	for _, L := range []int{32, 64} {
		lat := ising.NewLattice(L)
		lat.Randomize(rng)
		m := ising.NewMetropolis(lat, beta, 0, rng)
		for i := 0; i < 200; i++ {
			m.Sweep()
		}
		sweeps := perSecond(d, m.Sweep)
		flips := sweeps * float64(L*L)
		row := benchRow{Kernel: "metropolis (checkerboard)", L: L, Metric: "attempted flips/s", Value: flips}
		if np := numpyMetropolis(ctx, L, d); np > 0 {
			row.Ratio = flips / np
			rows = append(rows, row, benchRow{Kernel: "numpy checkerboard metropolis", L: L, Metric: "attempted flips/s", Value: np})
		} else {
			rows = append(rows, row)
		}

		w := ising.NewWolff(lat, beta, 0, rng)
		for i := 0; i < 200; i++ {
			w.Step()
		}
		var clusters, spins int
		perSec := perSecond(d, func() { spins += w.Step(); clusters++ })
		rows = append(rows,
			benchRow{Kernel: "wolff", L: L, Metric: "clusters/s", Value: perSec},
			benchRow{Kernel: "wolff", L: L, Metric: "spins added/s", Value: perSec * float64(spins) / float64(clusters)})

		// Cost of one independent sample at Tc: 2τ_int sweeps, τ measured here.
		for _, alg := range []string{ising.AlgWolff, ising.AlgMetropolis} {
			start := time.Now()
			run, err := ising.Sample(ctx, ising.Config{L: L, T: exact.Tc, Algorithm: alg, Samples: 200, Equilibrate: 500, Pilot: 2000, MinSpacing: 1}, rng, nil)
			if err != nil {
				continue
			}
			perSweep := time.Since(start).Seconds() / float64(run.Sweeps)
			tau := max(run.TauE.Tau, run.TauM.Tau)
			rows = append(rows, benchRow{Kernel: alg, L: L, Metric: fmt.Sprintf("seconds per independent sample (2τ = %.1f sweeps)", 2*tau), Value: 2 * tau * perSweep})
		}
	}
	return rows
}

// numpyScript is the checkerboard Metropolis a user would write with numpy; it
// prints attempted flips per second.
const numpyScript = `
import sys, time, numpy as np
L, dur, beta = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
rng = np.random.default_rng(1)
s = rng.choice(np.array([-1, 1], dtype=np.int8), size=(L, L))
mask = (np.add.outer(np.arange(L), np.arange(L)) % 2).astype(bool)
def sweep():
    for m in (mask, ~mask):
        nn = np.roll(s, 1, 0) + np.roll(s, -1, 0) + np.roll(s, 1, 1) + np.roll(s, -1, 1)
        dE = 2 * s * nn
        acc = (rng.random((L, L)) < np.exp(-beta * dE)) & m
        s[acc] *= -1
for _ in range(20): sweep()
n, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < dur:
    sweep(); n += 1
print(n * L * L / (time.perf_counter() - t0))
`

// numpyMetropolis runs numpyScript on one thread and returns its flips per
// second, or 0 when python3 with numpy is not available.
func numpyMetropolis(ctx context.Context, L int, d time.Duration) float64 {
	// The python3 on PATH may lack numpy where Debian's python3-numpy is installed.
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		cmd := exec.CommandContext(ctx, path, "-c", numpyScript, strconv.Itoa(L), strconv.FormatFloat(d.Seconds(), 'g', -1, 64), strconv.FormatFloat(1/exact.Tc, 'g', -1, 64))
		cmd.Env = append(cmd.Environ(), "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1")
		out, err := cmd.Output()
		if err != nil {
			continue // no numpy here
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64); err == nil {
			return v
		}
	}
	return 0
}
