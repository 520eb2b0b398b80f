package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run runs the command line and returns its exit status, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), args, Env{Stdout: &stdout, Stderr: &stderr, Registry: testRegistry()})
	return code, stdout.String(), stderr.String()
}

func writeSpec(t *testing.T, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// Command-line mistakes exit 2 with a message naming the fix, and touch no cache.
func TestBuildRefusals(t *testing.T) {
	huge := writeSpec(t, "paper: {id: t, title: T}\nsteps:\n  big: {op: ising.sample, params: {size: 100000000, temperatures: [2.0], samples: 10}}\n"+
		"  noise: {op: pattern.white_noise, params: {size: 100000}}\nprofiles: {quick: {}, paper: {}}\n")
	ok := filepath.Join(repoRoot(t), "configs", "dmk2020.yaml")
	// A flow's size follows from its input's: 4,000 configurations of 100 spins flowed 10,000 steps.
	flow := filepath.Join(t.TempDir(), "f.yaml")
	os.WriteFile(flow, []byte("paper: {id: f, title: F}\nsteps:\n  mc: {op: ising.sample, params: {size: 10, temperatures: [2.0, 2.5], samples: 2000}}\n"+
		"  rbm: {op: rbm.train, inputs: {data: mc.spins}, params: {hidden: [16], epochs: 1}}\n"+
		"  flow: {op: rbm.flow, inputs: {model: rbm.model, data: mc.spins}, params: {steps: 10000}}\nprofiles: {quick: {}, paper: {}}\n"), 0o644)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"memory", []string{"build", "--max-memory", "1GiB", huge}, []string{
			"s.yaml:3:3: steps.big: needs about 1.37 EiB of memory (estimated from its parameters and inputs), more than the budget of 1 GiB (--max-memory)",
			"s.yaml:4:3: steps.noise: needs about 149 GiB of memory"}},
		{"memory flag", []string{"build", "--max-memory", "lots", huge}, []string{"--max-memory: want a size such as 16GiB"}},
		{"memory downstream", []string{"build", "--max-memory", "1GiB", flow}, []string{
			"f.yaml:5:3: steps.flow: needs about 18.6 GiB of memory"}},
		{"profile", []string{"build", "--profile", "nosuch", ok}, []string{`unknown profile "nosuch" (this spec declares: paper, quick)`}},
		{"out", []string{"build", "--out", "", ok}, []string{"--out must name a directory"}},
		{"dev zero", []string{"build", "/dev/zero"}, []string{"/dev/zero:1:1: spec is larger than 4 MiB: not read"}},
		// A 4096→4096 RBM trained for 10⁶ epochs on 100 lattices of 64×64.
		{"time", []string{"build", "--max-time", "1h", "--jobs", "2", writeSpec(t, "paper: {id: t, title: T}\nsteps:\n"+
			"  mc: {op: ising.sample, params: {size: 64, temperatures: [2.0], samples: 100}}\n"+
			"  rbm: {op: rbm.train, inputs: {data: mc.spins}, params: {hidden: [4096], epochs: 1000000}}\nprofiles: {quick: {}, paper: {}}\n")}, []string{
			"s.yaml:4:3: steps.rbm: t/rbm may run for up to ", "on 2 thread(s) (bounded from its parameters and inputs), more than --max-time 1h0m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cacheDir := filepath.Join(t.TempDir(), "cache")
			code, stdout, stderr := run(t, append(tt.args, "--cache", cacheDir)...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d\n%s%s", code, ExitUsage, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if tt.name == "profile" && strings.Count(stderr, "\n") != 1 {
				t.Errorf("want one line naming the profiles, got:\n%s", stderr)
			}
			if _, err := os.Stat(cacheDir); !os.IsNotExist(err) {
				t.Error("a refused build touched the cache")
			}
		})
	}
}

func TestMemoryBudget(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
	}{{"16GiB", 16 << 30}, {"512M", 512e6}, {"2e9", 2e9}, {"1.5 GiB", 1.5 * (1 << 30)}, {"100KiB", 100 << 10}, {"100MB", 100e6}, {"2gb", 2e9}, {"64mib", 64 << 20}} {
		if got, err := memoryBudget(c.in); err != nil || got != c.want {
			t.Errorf("memoryBudget(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"-1G", "lots", "0", "GiB", "MB", "1 PB"} {
		if _, err := memoryBudget(bad); err == nil {
			t.Errorf("memoryBudget(%q) accepted", bad)
		}
	}
	if got, _ := memoryBudget(""); got < 1<<30 {
		t.Errorf("default budget %v is below 1 GiB", got)
	}
}
