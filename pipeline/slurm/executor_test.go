package slurm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// fakeSlurm answers sbatch by running the array's tasks in-process (as
// exec-task would on a node) and records every command it was given.
type fakeSlurm struct {
	t   *testing.T
	reg *pipeline.Registry

	mu    sync.Mutex
	calls []string
	next  int
}

func (f *fakeSlurm) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	f.mu.Lock()
	f.calls = append(f.calls, name+" "+strings.Join(args, " "))
	f.next++
	id := f.next
	f.mu.Unlock()
	switch name {
	case "sbatch":
		var n int
		var prefix string
		for _, a := range args {
			if m := regexp.MustCompile(`^--array=0-(\d+)$`).FindStringSubmatch(a); m != nil {
				fmt.Sscan(m[1], &n)
			}
			if m := regexp.MustCompile(`'([^']*-)'"\$SLURM_ARRAY_TASK_ID"\.json$`).FindStringSubmatch(a); m != nil {
				prefix = m[1]
			}
		}
		for i := 0; i <= n; i++ {
			go RunTask(context.Background(), fmt.Sprintf("%s%d.json", prefix, i), f.reg, "test node")
		}
		return []byte(fmt.Sprintf("%d;cluster\n", id)), nil
	case "squeue":
		return nil, errors.New("squeue: error: Invalid job id specified")
	}
	return nil, nil
}

func (f *fakeSlurm) count(prefix string) (n int, lines []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
			lines = append(lines, c)
		}
	}
	return n, lines
}

func TestExecutorArraysAndSizes(t *testing.T) {
	square := &pipeline.Func{OpName: "t.square", OpVersion: 1,
		Par: []pipeline.ParamSpec{{Name: "x", Kind: spec.Float}},
		Out: []pipeline.OutputSpec{{Name: "out", Kind: artifact.KindArray}},
		RunFunc: func(ctx context.Context, env *pipeline.Env) error {
			x := env.Float("x")
			return env.PutArray("out", artifact.NewFloat64([]float64{x * x}, 1))
		}}
	reg := pipeline.NewRegistry(square)
	c, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeSlurm{t: t, reg: reg}
	ex := &Executor{Dir: t.TempDir(), CacheDir: c.Dir(), Command: []string{"/opt/kadanoff", "exec-task"},
		Partition: "short", MaxCPUs: 4, Poll: 50 * time.Millisecond, Run: fake.run,
		Needs: func(step string) pipeline.Resources {
			if step == "p/big" {
				return pipeline.Resources{Threads: math.MaxInt32, Memory: 4 << 30, Time: 90 * time.Minute}
			}
			return pipeline.Resources{Threads: 1, Memory: math.NaN()}
		}}
	defer ex.Close()

	steps := []string{"p/a", "p/b", "p/c", "p/big"}
	outs := make([]*pipeline.Outcome, len(steps))
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	for i, s := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			task := &pipeline.Task{Step: s, Op: "t.square", Version: 1, Key: cache.Sum([]byte(s)),
				Params: map[string]spec.Value{"x": {Kind: spec.Float, Float: float64(i + 1)}}}
			outs[i], errs[i] = ex.Execute(context.Background(), task, nil)
		}()
	}
	wg.Wait()
	for i := range steps {
		if errs[i] != nil {
			t.Fatalf("%s: %v", steps[i], errs[i])
		}
		b := outs[i].Blobs[0]
		data, err := c.GetBlob(b.Digest)
		if err != nil || b.Data != nil {
			t.Fatalf("%s: output not in the cache: %v", steps[i], err)
		}
		a, _ := artifact.DecodeNPY(data)
		if got := a.Float64s()[0]; got != float64((i+1)*(i+1)) {
			t.Errorf("%s = %v", steps[i], got)
		}
	}
	n, sb := fake.count("sbatch")
	if n != 2 {
		t.Fatalf("%d sbatch calls, want 2 (one array of the three alike steps, one job for the big one):\n%s", n, strings.Join(sb, "\n"))
	}
	want := map[string][]string{
		"--array=0-2": {"--cpus-per-task=1", "--mem=2816M", "--time=61", "--partition=short", "'/opt/kadanoff' 'exec-task'"},
		"--array=0-0": {"--cpus-per-task=4", "--mem=5376M", "--time=91", "--partition=short"},
	}
	for _, line := range sb {
		for arr, flags := range want {
			if !strings.Contains(line, arr) {
				continue
			}
			for _, f := range flags {
				if !strings.Contains(line, f) {
					t.Errorf("sbatch %s lacks %s:\n%s", arr, f, line)
				}
			}
		}
	}
	// Polls ask Slurm once per interval for all jobs, never once per job.
	if n, lines := fake.count("squeue"); n > 0 && !strings.Contains(lines[0], "--jobs=") {
		t.Errorf("squeue call: %s", lines[0])
	}
}

func TestExecutorRecordsFailures(t *testing.T) {
	failing := &pipeline.Func{OpName: "t.fail", OpVersion: 1,
		Out:     []pipeline.OutputSpec{{Name: "out", Kind: artifact.KindArray}},
		RunFunc: func(ctx context.Context, env *pipeline.Env) error { return errors.New("out of luck") }}
	c, _ := cache.Open(t.TempDir())
	fake := &fakeSlurm{t: t, reg: pipeline.NewRegistry(failing)}
	ex := &Executor{Dir: t.TempDir(), CacheDir: c.Dir(), Command: []string{"k", "exec-task"}, Poll: 50 * time.Millisecond, Run: fake.run}
	defer ex.Close()
	_, err := ex.Execute(context.Background(), &pipeline.Task{Step: "p/f", Op: "t.fail", Version: 1, Key: cache.Sum([]byte("f"))}, nil)
	if err == nil || !regexp.MustCompile(`^slurm job \d+_0 on \S+: out of luck$`).MatchString(err.Error()) {
		t.Fatalf("err = %v", err)
	}
}
