package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
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
	Size   string  `json:"size"`
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
	// Ratio is Kadanoff's value over the reference implementation's (named
	// by Reference) on the same measurement, when one ran; above 1 means
	// Kadanoff is faster.
	Ratio     float64 `json:"ratio,omitempty"`
	Reference string  `json:"reference,omitempty"`
}

// benchOptions are the flags shared by the benchmarks.
type benchOptions struct {
	time  time.Duration // per measurement
	quick bool          // small sizes only, for smoke tests
	// python runs a reference script (runPython), or refuses when the
	// comparison is not wanted.
	python func(ctx context.Context, script string, args []string, threads int) (string, error)
}

// benchSuite is a named set of benchmarks.
type benchSuite struct {
	name string
	run  func(context.Context, benchOptions) []benchRow
	note string
}

// benchSuites returns the benchmark suites by name.
func benchSuites() []benchSuite {
	return []benchSuite{
		{"ising", benchIsing, "one core, T = Tc"},
		{"gemm", benchGemm, "C = A·B in float32, and with bfloat16 operands summed in float32 (bf16 products); GFLOP/s"},
		{"rbm", benchRBM, "{0,1} RBM; bf16 products: operands rounded to bfloat16, sums and weights float32; ratio = reference seconds / kadanoff seconds"},
		{"mlp", benchMLP, "the thermometer, Adam, float32; ratio = reference seconds / kadanoff seconds"},
		{"nrg", benchNRG, "NeuralRG flow at Tc, one Adam step (loss, gradient, update), float64; ratio = torch seconds / kadanoff seconds"},
	}
}

// benchNames lists the bench suites.
func benchNames() []string {
	var names []string
	for _, b := range benchSuites() {
		names = append(names, b.name)
	}
	return names
}

func bench(ctx context.Context, args []string, env Env) int {
	fs := newFlags("bench", env)
	asJSON := fs.Bool("json", false, "print JSON")
	dur := fs.Duration("time", time.Second, "time per measurement")
	quick := fs.Bool("quick", false, "small sizes only (a smoke test of the command)")
	noRef := fs.Bool("no-reference", false, "time Kadanoff's kernels only, without the numpy or PyTorch comparison")
	pos, err := parse(fs, args)
	if err != nil {
		return exitForFlags(err)
	}
	var names []string
	var suite *benchSuite
	for _, b := range benchSuites() {
		names = append(names, b.name)
		if len(pos) == 1 && pos[0] == b.name {
			suite = &b
		}
	}
	if suite == nil {
		fmt.Fprintf(env.Stderr, "usage: kadanoff bench [--json] [--time D] [--quick] %s\n", strings.Join(names, "|"))
		return ExitUsage
	}
	o := benchOptions{time: *dur, quick: *quick, python: runPython}
	if *noRef {
		o.python = func(context.Context, string, []string, int) (string, error) {
			return "", errors.New("no reference wanted")
		}
	}
	rows := suite.run(ctx, o)
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rows)
		return ExitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "kernel\tsize\tmetric\tvalue\tratio")
	for _, r := range rows {
		ratio := ""
		if r.Ratio != 0 {
			ratio = fmt.Sprintf("%.2f× %s", r.Ratio, r.Reference)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.4g\t%s\n", r.Kernel, r.Size, r.Metric, r.Value, ratio)
	}
	tw.Flush()
	fmt.Fprintf(env.Stdout, "%s; %s, GOMAXPROCS %d; %s\n", suite.note, cpuName(), runtime.GOMAXPROCS(0), ToolVersion())
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

func benchIsing(ctx context.Context, o benchOptions) []benchRow {
	var rows []benchRow
	beta := 1 / exact.Tc
	rng := rand.New(rand.NewPCG(1, 2))
	d := o.time
	sizes := []int{32, 64}
	if o.quick {
		sizes = []int{16}
	}
	for _, L := range sizes {
		size := strconv.Itoa(L)
		lat := ising.NewLattice(L)
		lat.Randomize(rng)
		m := ising.NewMetropolis(lat, beta, 0, rng)
		for i := 0; i < 200; i++ {
			m.Sweep()
		}
		sweeps := perSecond(d, m.Sweep)
		flips := sweeps * float64(L*L)
		row := benchRow{Kernel: "metropolis (checkerboard)", Size: size, Metric: "attempted flips/s", Value: flips}

		ms, err := ising.NewMultiSpin(L, []float64{exact.Tc}, rng)
		if err != nil {
			panic(err) // L ≥ 4 and one positive temperature: cannot happen
		}
		for i := 0; i < 200; i++ {
			ms.Sweep()
		}
		msFlips := perSecond(d, ms.Sweep) * float64(L*L*ising.Replicas)
		msRow := benchRow{Kernel: "multi-spin metropolis (64 replicas)", Size: size, Metric: "attempted flips/s", Value: msFlips}
		if np := numpyMetropolis(ctx, o, L); np > 0 {
			row.Ratio, msRow.Ratio = flips/np, msFlips/np
			row.Reference, msRow.Reference = "numpy", "numpy"
			rows = append(rows, row, msRow, benchRow{Kernel: "numpy checkerboard metropolis", Size: size, Metric: "attempted flips/s", Value: np})
		} else {
			rows = append(rows, row, msRow)
		}

		w := ising.NewWolff(lat, beta, 0, rng)
		for i := 0; i < 200; i++ {
			w.Step()
		}
		var clusters, spins int
		perSec := perSecond(d, func() { spins += w.Step(); clusters++ })
		rows = append(rows,
			benchRow{Kernel: "wolff", Size: size, Metric: "clusters/s", Value: perSec},
			benchRow{Kernel: "wolff", Size: size, Metric: "spins added/s", Value: perSec * float64(spins) / float64(clusters)})

		// Cost of one independent sample at Tc: 2τ_int sweeps, τ measured here.
		for _, alg := range []string{ising.AlgWolff, ising.AlgMetropolis} {
			start := time.Now()
			run, err := ising.Sample(ctx, ising.Config{L: L, T: exact.Tc, Algorithm: alg, Samples: 200, Equilibrate: 500, Pilot: 2000, MinSpacing: 1}, rng, nil)
			if err != nil {
				continue
			}
			perSweep := time.Since(start).Seconds() / float64(run.Sweeps)
			tau := max(run.TauE.Tau, run.TauM.Tau)
			rows = append(rows, benchRow{Kernel: alg, Size: size, Metric: fmt.Sprintf("seconds per independent sample (2τ = %.1f sweeps)", 2*tau), Value: 2 * tau * perSweep})
		}
		// Multi-spin: 64 replicas share each sweep, so a replica's independent
		// sample costs 2τ sweeps over 64.
		start := time.Now()
		runs, err := ising.SampleReplicas(ctx, ising.Config{L: L, Samples: 20 * ising.Replicas, Equilibrate: 500, Pilot: 1000, MinSpacing: 1}, []float64{exact.Tc}, rng, nil)
		if err == nil {
			run := runs[0]
			perSweep := time.Since(start).Seconds() / float64(run.Sweeps)
			tau := max(run.TauE.Tau, run.TauM.Tau)
			rows = append(rows, benchRow{Kernel: ising.AlgMultiSpin, Size: size,
				Metric: fmt.Sprintf("seconds per independent sample (2τ = %.1f sweeps, 64 replicas)", 2*tau), Value: 2 * tau * perSweep / ising.Replicas})
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
func numpyMetropolis(ctx context.Context, o benchOptions, L int) float64 {
	out, err := o.python(ctx, numpyScript, []string{strconv.Itoa(L), strconv.FormatFloat(o.time.Seconds(), 'g', -1, 64), strconv.FormatFloat(1/exact.Tc, 'g', -1, 64)}, 1)
	if err != nil {
		return 0
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(out), 64)
	if err != nil {
		return 0
	}
	return v
}

// runPython runs a reference script with python3 on the given number of
// threads and returns what it printed. It tries the python3 on PATH, then
// Debian's /usr/bin/python3 (a PATH python may lack the Debian packages the
// scripts import). OPENBLAS_CORETYPE is removed from the environment, so
// OpenBLAS picks the kernel of this CPU (a value set for another machine would
// handicap it).
func runPython(ctx context.Context, script string, args []string, threads int) (string, error) {
	var lastErr error = errors.New("no python3")
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		cmd := exec.CommandContext(ctx, path, append([]string{"-c", script}, args...)...)
		var env []string
		for _, kv := range cmd.Environ() {
			if !strings.HasPrefix(kv, "OPENBLAS_CORETYPE=") {
				env = append(env, kv)
			}
		}
		n := strconv.Itoa(threads)
		cmd.Env = append(env, "OMP_NUM_THREADS="+n, "OPENBLAS_NUM_THREADS="+n, "MKL_NUM_THREADS="+n)
		out, err := cmd.Output()
		if err == nil {
			return string(out), nil
		}
		lastErr = err
	}
	return "", lastErr
}

// cpuName returns the processor's model name from /proc/cpuinfo, or GOARCH.
func cpuName() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}
