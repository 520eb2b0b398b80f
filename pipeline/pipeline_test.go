package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// countOp outputs [n, draws...]: n from its parameter and draws from a stream.
func countOp() Op {
	return &Func{
		OpName: "test.count", OpVersion: 3, OpDoc: "test", Seeded: true,
		Par: []ParamSpec{{Name: "n", Kind: spec.Int}, {Name: "scale", Kind: spec.Float, Default: FloatValue(1)}},
		In:  []InputSpec{{Name: "in", Many: true}},
		Out: []OutputSpec{{Name: "out", Kind: artifact.KindArray}, {Name: "sum", Kind: artifact.KindScalars}},
		RunFunc: func(ctx context.Context, env *Env) error {
			if len(env.InputSources("in")) > 0 {
				if _, err := env.Inputs("in"); err != nil {
					return err
				}
			}
			rng := env.Rand("draws")
			v := []float64{float64(env.Int("n")) * env.Float("scale")}
			for i := 0; i < 3; i++ {
				v = append(v, rng.Float64())
			}
			if err := env.PutArray("out", artifact.NewFloat64(v, len(v))); err != nil {
				return err
			}
			return env.PutScalars("sum", artifact.Scalars{"n": {Value: v[0]}})
		},
	}
}

func plan(t *testing.T, src, profile string) *Plan {
	t.Helper()
	s, err := spec.Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan([]*spec.Spec{s}, NewRegistry(countOp()), profile)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const twoSteps = `
paper: {id: t, title: T}
steps:
  b: {op: test.count, params: {n: 2}, inputs: {in: [a, a.sum]}}
  a: {op: test.count, params: {n: 1, scale: 0.5}}
profiles: {quick: {a: {n: 5}}, paper: {}}
`

func TestPlanOrderAndLookup(t *testing.T) {
	p := plan(t, twoSteps, "paper")
	if len(p.Nodes) != 2 || p.Nodes[0].Name != "a" || p.Nodes[1].Name != "b" {
		t.Fatalf("order = %v, %v", p.Nodes[0].ID, p.Nodes[1].ID)
	}
	for _, name := range []string{"b", "t/b"} {
		if n, err := p.Lookup(name); err != nil || n.ID != "t/b" {
			t.Errorf("Lookup(%q) = %v, %v", name, n, err)
		}
	}
	if _, err := p.Lookup("c"); err == nil {
		t.Error("Lookup of a missing step: no error")
	}
	b, _ := p.Lookup("b")
	if got := p.Closure([]*Node{b}); len(got) != 2 {
		t.Errorf("closure has %d nodes", len(got))
	}
	if got := b.Deps(); len(got) != 1 {
		t.Errorf("b has %d distinct deps, want 1", len(got))
	}
}

func TestPreimage(t *testing.T) {
	p := plan(t, twoSteps, "paper")
	b, _ := p.Lookup("b")
	d1, d2 := cache.Sum([]byte("x")), cache.Sum([]byte("y"))
	got := Preimage(b, [][]cache.Digest{{d1, d2}})
	want := "kadanoff action v1\nformat 1\nop test.count 3\nseed t/b rep=0 seed=0 build=0\nparam n int 2\nparam scale float 1\n" +
		"input in[0] " + string(d1) + "\ninput in[1] " + string(d2) + "\n"
	if got != want {
		t.Fatalf("preimage:\n%s\nwant:\n%s", got, want)
	}
}

func TestDiff(t *testing.T) {
	old := "kadanoff action v1\nformat 1\nop test.count 3\nparam n int 2\nparam gone int 1\ninput in[0] aaa\n"
	new := "kadanoff action v1\nformat 1\nop test.count 4\nparam n int 5\ninput in[0] bbb\nparam added float 0.5\n"
	got := Diff(old, new)
	want := []Change{
		{What: "op", Old: "test.count 3", New: "test.count 4"},
		{What: "param n", Old: "2", New: "5"},
		{What: "input in[0]", Old: "aaa", New: "bbb"},
		{What: "param added", New: "0.5"},
		{What: "param gone", Old: "1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Diff = %+v\nwant %+v", got, want)
	}
	var lines []string
	for _, c := range got {
		lines = append(lines, c.String())
	}
	if s := strings.Join(lines, "; "); s != "op: test.count 3 -> test.count 4; param n: 2 -> 5; input in[0]: aaa -> bbb; param added added: 0.5; param gone removed (was 1)" {
		t.Errorf("rendered: %s", s)
	}
}

func build(t *testing.T, p *Plan, dir string, jobs int) *Summary {
	t.Helper()
	c, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := &Builder{Cache: c, Executor: &Local{Registry: NewRegistry(countOp()), Store: c}, Jobs: jobs}
	return b.Build(context.Background(), p, p.Nodes)
}

func TestBuildCachesAndSeeds(t *testing.T) {
	dir := t.TempDir()
	p := plan(t, twoSteps, "paper")
	s1 := build(t, p, dir, 2)
	if s1.Line() != "steps: 2 total, 2 ran, 0 cached, 0 failed" {
		t.Fatal(s1.Line())
	}
	s2 := build(t, p, dir, 1)
	if s2.Line() != "steps: 2 total, 0 ran, 2 cached, 0 failed" {
		t.Fatal(s2.Line())
	}
	// The profile changes a's key and so b's input digest.
	q := plan(t, twoSteps, "quick")
	s3 := build(t, q, dir, 1)
	if s3.Line() != "steps: 2 total, 2 ran, 0 cached, 0 failed" {
		t.Fatal(s3.Line())
	}
	// Random draws depend on the key alone: a fresh cache gives the same bytes,
	// and the two steps (different keys) draw different numbers.
	s4 := build(t, p, t.TempDir(), 4)
	for _, n := range p.Nodes {
		if s4.Results[n].Entry.Outputs[0].Digest != s1.Results[n].Entry.Outputs[0].Digest {
			t.Errorf("%s: output differs between builds", n.ID)
		}
	}
	c, _ := cache.Open(dir)
	a, _ := p.Lookup("a")
	b, _ := p.Lookup("b")
	da, _ := c.GetBlob(s1.Results[a].Entry.Outputs[0].Digest)
	db, _ := c.GetBlob(s1.Results[b].Entry.Outputs[0].Digest)
	xa, _ := artifact.DecodeNPY(da)
	xb, _ := artifact.DecodeNPY(db)
	if xa.F64[0] != 0.5 || xb.F64[0] != 2 || xa.F64[1] == xb.F64[1] {
		t.Errorf("outputs a=%v b=%v", xa.F64, xb.F64)
	}
}

// A cache hit checks its outputs' sizes, not their bytes; a step that runs
// checks the bytes of its inputs, and a damaged one makes the build rerun its
// producer and then the step, in the same build.
func TestDamagedInputFoundAtUse(t *testing.T) {
	dir := t.TempDir()
	p := plan(t, twoSteps, "paper")
	s1 := build(t, p, dir, 2)
	a, _ := p.Lookup("a")
	c, _ := cache.Open(dir)
	blob := c.BlobPath(s1.Results[a].Entry.Outputs[0].Digest)
	data, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 0xff
	if err := os.WriteFile(blob, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := build(t, p, dir, 2).Line(); got != "steps: 2 total, 0 ran, 2 cached, 0 failed" {
		t.Fatalf("no-op over a damaged blob of the same size: %s", got)
	}
	// b changes, runs, reads a's damaged output: a reruns, then b.
	q := plan(t, strings.Replace(twoSteps, "{n: 2}", "{n: 3}", 1), "paper")
	s2 := build(t, q, dir, 2)
	if got := s2.Line(); got != "steps: 2 total, 2 ran, 0 cached, 0 failed" {
		for _, r := range s2.Results {
			t.Logf("%s: %v %v", r.Node.ID, r.Status, r.Err)
		}
		t.Fatalf("build over a damaged input: %s", got)
	}
	qa, _ := q.Lookup("a")
	if s2.Results[qa].Entry.Outputs[0].Digest != s1.Results[a].Entry.Outputs[0].Digest {
		t.Error("a's rerun gave other bytes")
	}
	if got, err := c.GetBlob(s1.Results[a].Entry.Outputs[0].Digest); err != nil || len(got) != len(data) {
		t.Errorf("a's output not repaired: %v", err)
	}
}

func TestSeedStreams(t *testing.T) {
	k := "t/a rep=0 seed=0 build=0"
	if Seed(k, "a") == Seed(k, "b") || Seed(k, "a") != Seed(k, "a") || Seed(k, "a") == Seed("t/a rep=1 seed=0 build=0", "a") {
		t.Fatal("seeds must depend on identity and stream, and only on them")
	}
}

func TestTaskIsPlainData(t *testing.T) {
	// A task survives serialisation, so another process could run it.
	dir := t.TempDir()
	p := plan(t, twoSteps, "paper")
	s := build(t, p, dir, 1)
	c, _ := cache.Open(dir)
	b, _ := p.Lookup("b")
	r := s.Results[b]
	a, _ := p.Lookup("a")
	ae := s.Results[a].Entry
	task := &Task{Step: b.ID, Op: "test.count", Version: 3, Key: r.Key, Seed: b.SeedID(), Params: b.Params, Inputs: map[string][]TaskInput{
		"in": {{Step: a.ID, Output: "out", Kind: artifact.KindArray, Digest: ae.Outputs[0].Digest},
			{Step: a.ID, Output: "sum", Kind: artifact.KindScalars, Digest: ae.Outputs[1].Digest}},
	}}
	data, err := jsonRoundTrip(task)
	if err != nil {
		t.Fatal(err)
	}
	res, err := (&Local{Registry: NewRegistry(countOp()), Store: c}).Execute(context.Background(), data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cache.Sum(res.Blobs[0].Data) != r.Entry.Outputs[0].Digest {
		t.Fatal("re-executed task gave different bytes")
	}
}

func jsonRoundTrip(t *Task) (*Task, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	var out Task
	return &out, json.Unmarshal(b, &out)
}

// The scheduler shares a thread budget: concurrent steps never hold more
// threads than the budget, a step alone gets all it can use, and every step
// learns its share through Env.Threads.
func TestThreadBudget(t *testing.T) {
	var mu sync.Mutex
	held, peak := 0, 0
	var grants []int
	wide := &Func{
		OpName: "test.wide", OpVersion: 1, OpDoc: "test",
		Par:         []ParamSpec{{Name: "n", Kind: spec.Int}},
		In:          []InputSpec{{Name: "in", Many: true}},
		Out:         []OutputSpec{{Name: "out", Kind: artifact.KindScalars}},
		ThreadsFunc: func(map[string]spec.Value) int { return 3 },
		RunFunc: func(ctx context.Context, env *Env) error {
			mu.Lock()
			held += env.Threads()
			peak = max(peak, held)
			grants = append(grants, env.Threads())
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			mu.Lock()
			held -= env.Threads()
			mu.Unlock()
			return env.PutScalars("out", artifact.Scalars{"n": {Value: float64(env.Int("n"))}})
		},
	}
	src := "paper: {id: t, title: T}\nsteps:\n"
	for i := 0; i < 6; i++ {
		src += fmt.Sprintf("  s%d: {op: test.wide, params: {n: %d}}\n", i, i)
	}
	src += "  last: {op: test.wide, params: {n: 9}, inputs: {in: [s0, s1, s2, s3, s4, s5]}}\nprofiles: {quick: {}, paper: {}}\n"
	s, err := spec.Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry(wide)
	p, err := NewPlan([]*spec.Spec{s}, reg, "paper")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := cache.Open(t.TempDir())
	b := &Builder{Cache: c, Executor: &Local{Registry: reg, Store: c}, Jobs: 4}
	sum := b.Build(context.Background(), p, p.Nodes)
	if sum.Failed != 0 {
		t.Fatalf("%d failed", sum.Failed)
	}
	if peak > 4 {
		t.Errorf("steps held %d threads at once, budget 4", peak)
	}
	if last := grants[len(grants)-1]; last != 3 {
		t.Errorf("the last step, alone, got %d threads, want 3 (all it can use)", last)
	}
	for _, g := range grants[:6] {
		if g < 1 || g > 3 {
			t.Errorf("a step got %d threads", g)
		}
	}
}

// Threads a finished step gives back go to a running step that can use them:
// a long step started beside a short one sees its share grow while it runs.
func TestThreadBudgetElastic(t *testing.T) {
	var seen atomic.Int32
	long := &Func{
		OpName: "test.long", OpVersion: 1, OpDoc: "test",
		Out:         []OutputSpec{{Name: "out", Kind: artifact.KindScalars}},
		ThreadsFunc: func(map[string]spec.Value) int { return 2 },
		RunFunc: func(ctx context.Context, env *Env) error {
			seen.Store(int32(env.Threads()))
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && env.Threads() < 2; {
				time.Sleep(time.Millisecond)
			}
			seen.Store(int32(env.Threads()))
			return env.PutScalars("out", artifact.Scalars{"n": {Value: 1}})
		},
	}
	short := &Func{
		OpName: "test.short", OpVersion: 1, OpDoc: "test",
		Out:         []OutputSpec{{Name: "out", Kind: artifact.KindScalars}},
		ThreadsFunc: func(map[string]spec.Value) int { return 2 },
		RunFunc: func(ctx context.Context, env *Env) error {
			time.Sleep(30 * time.Millisecond)
			return env.PutScalars("out", artifact.Scalars{"n": {Value: 2}})
		},
	}
	s, err := spec.Parse("t.yaml", []byte("paper: {id: t, title: T}\nsteps:\n  a: {op: test.long}\n  b: {op: test.short}\nprofiles: {quick: {}, paper: {}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry(long, short)
	p, err := NewPlan([]*spec.Spec{s}, reg, "paper")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := cache.Open(t.TempDir())
	sum := (&Builder{Cache: c, Executor: &Local{Registry: reg, Store: c}, Jobs: 2}).Build(context.Background(), p, p.Nodes)
	if sum.Failed != 0 {
		t.Fatalf("%d failed", sum.Failed)
	}
	a, _ := p.Lookup("t/a")
	if seen.Load() != 2 || sum.Results[a].Threads != 2 {
		t.Errorf("the long step ended with %d threads (result says %d), want 2 once the short one ended", seen.Load(), sum.Results[a].Threads)
	}
}

// Steps with the same op, parameters and inputs are reported, also when
// their inputs are duplicates themselves; a different parameter is not, nor
// are steps of an op that draws random numbers (their names seed them).
func TestDuplicates(t *testing.T) {
	s, err := spec.Parse("t.yaml", []byte(`
paper: {id: t, title: T}
steps:
  a: {op: test.fixed, params: {n: 1, scale: 2}}
  b: {op: test.fixed, params: {scale: 2, n: 1}}
  c: {op: test.fixed, params: {n: 2}}
  ga: {op: test.fixed, params: {n: 3}, inputs: {in: [a]}}
  gb: {op: test.fixed, params: {n: 3}, inputs: {in: [b]}}
  gc: {op: test.fixed, params: {n: 3}, inputs: {in: [c]}}
  gs: {op: test.fixed, params: {n: 3}, inputs: {in: [a.sum]}}
  ra: {op: test.count, params: {n: 1}}
  rb: {op: test.count, params: {n: 1}}
profiles: {quick: {}, paper: {}}
`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan([]*spec.Spec{s}, NewRegistry(countOp(), fixedOp()), "paper")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range p.Duplicates() {
		got = append(got, d[0].Name+"="+d[1].Name)
	}
	if strings.Join(got, " ") != "a=b ga=gb" {
		t.Errorf("duplicates %v, want [a=b ga=gb]", got)
	}
}

// fixedOp is countOp without random draws: out is [n·scale].
func fixedOp() Op {
	return &Func{
		OpName: "test.fixed", OpVersion: 1, OpDoc: "test",
		Par: []ParamSpec{{Name: "n", Kind: spec.Int}, {Name: "scale", Kind: spec.Float, Default: FloatValue(1)}},
		In:  []InputSpec{{Name: "in", Many: true}},
		Out: []OutputSpec{{Name: "out", Kind: artifact.KindArray}, {Name: "sum", Kind: artifact.KindScalars}},
		RunFunc: func(ctx context.Context, env *Env) error {
			v := float64(env.Int("n")) * env.Float("scale")
			if err := env.PutArray("out", artifact.NewFloat64([]float64{v}, 1)); err != nil {
				return err
			}
			return env.PutScalars("sum", artifact.Scalars{"n": {Value: v}})
		},
	}
}

// Steps whose estimated peaks would exceed the memory budget together run
// one after another, although threads are free; small ones still run beside.
func TestMemoryBudgetSerializes(t *testing.T) {
	var running, peak atomic.Int32
	mem := &Func{
		OpName: "test.mem", OpVersion: 1, OpDoc: "test",
		Par: []ParamSpec{{Name: "gib", Kind: spec.Float}},
		Out: []OutputSpec{{Name: "out", Kind: artifact.KindScalars}},
		MemoryFunc: func(p map[string]spec.Value, _ map[string][]float64) Sizes {
			return Sizes{Peak: p["gib"].Float * (1 << 30)}
		},
		RunFunc: func(ctx context.Context, env *Env) error {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
			running.Add(-1)
			return env.PutScalars("out", artifact.Scalars{"n": {Value: env.Float("gib")}})
		},
	}
	s, err := spec.Parse("t.yaml", []byte("paper: {id: t, title: T}\nsteps:\n  a: {op: test.mem, params: {gib: 6}}\n  b: {op: test.mem, params: {gib: 5.5}}\n  c: {op: test.mem, params: {gib: 7}}\nprofiles: {quick: {}, paper: {}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry(mem)
	p, err := NewPlan([]*spec.Spec{s}, reg, "paper")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		budget float64
		want   int32
	}{{10 << 30, 1}, {13 << 30, 2}, {20 << 30, 3}} {
		running.Store(0)
		peak.Store(0)
		c, _ := cache.Open(t.TempDir())
		b := &Builder{Cache: c, Executor: &Local{Registry: reg, Store: c}, Jobs: 3, Memory: map[*Node]float64{}, MemoryBudget: tc.budget}
		for n, r := range p.Resources() {
			b.Memory[n] = r.Memory
		}
		if sum := b.Build(context.Background(), p, p.Nodes); sum.Failed != 0 {
			t.Fatalf("%d failed", sum.Failed)
		}
		if peak.Load() != tc.want {
			t.Errorf("budget %s: %d steps ran at once, want %d", FormatBytes(tc.budget), peak.Load(), tc.want)
		}
	}
}

// TestCriticalPathFirst: with one thread, of the steps ready at once the one
// heading the longest estimated chain starts first, whatever the plan order;
// without estimates, plan order.
func TestCriticalPathFirst(t *testing.T) {
	var mu sync.Mutex
	var order []string
	op := &Func{
		OpName: "test.timed", OpVersion: 1, OpDoc: "test",
		In:  []InputSpec{{Name: "in", Kind: artifact.KindScalars, Many: true}},
		Par: []ParamSpec{{Name: "seconds", Kind: spec.Float}},
		Out: []OutputSpec{{Name: "out", Kind: artifact.KindScalars}},
		TimeFunc: func(p map[string]spec.Value, _ map[string][]float64) time.Duration {
			return time.Duration(p["seconds"].Float * float64(time.Second))
		},
		RunFunc: func(ctx context.Context, env *Env) error {
			mu.Lock()
			order = append(order, env.Step())
			mu.Unlock()
			return env.PutScalars("out", artifact.Scalars{"s": {Value: env.Float("seconds")}})
		},
	}
	// short1 and short2 come first in the plan; long heads a chain of 50 s.
	src := "paper: {id: t, title: T}\nsteps:\n" +
		"  short1: {op: test.timed, params: {seconds: 5}}\n" +
		"  short2: {op: test.timed, params: {seconds: 6}}\n" +
		"  long: {op: test.timed, params: {seconds: 20}}\n" +
		"  after: {op: test.timed, inputs: {in: [long.out]}, params: {seconds: 30}}\n" +
		"profiles: {quick: {}, paper: {}}\n"
	s, err := spec.Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry(op)
	p, err := NewPlan([]*spec.Spec{s}, reg, "paper")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		estimates bool
		want      string
	}{{true, "long"}, {false, "short1"}} {
		order = nil
		c, _ := cache.Open(t.TempDir())
		b := &Builder{Cache: c, Executor: &Local{Registry: reg, Store: c}, Jobs: 1, Time: map[*Node]float64{}}
		if tc.estimates {
			for n, r := range p.Resources() {
				b.Time[n] = r.Time.Seconds()
			}
		}
		if sum := b.Build(context.Background(), p, p.Nodes); sum.Failed != 0 {
			t.Fatalf("%d failed", sum.Failed)
		}
		if len(order) != 4 || !strings.HasSuffix(order[0], tc.want) {
			t.Errorf("estimates %v: started in the order %v, want %s first", tc.estimates, order, tc.want)
		}
	}
}

// An entry whose outputs are not those its op declares (a tampered shared
// cache pointing an output at another blob) is not served.
func TestEntryMustMatchDeclaredOutputs(t *testing.T) {
	dir := t.TempDir()
	p := plan(t, twoSteps, "paper")
	s1 := build(t, p, dir, 1)
	a, _ := p.Lookup("a")
	c, _ := cache.Open(dir)
	for name, edit := range map[string]func(e *cache.Entry){
		"kinds swapped":  func(e *cache.Entry) { e.Outputs[0].Kind, e.Outputs[1].Kind = e.Outputs[1].Kind, e.Outputs[0].Kind },
		"renamed output": func(e *cache.Entry) { e.Outputs[1].Name = "total" },
		"missing output": func(e *cache.Entry) { e.Outputs = e.Outputs[:1] },
	} {
		e := *s1.Results[a].Entry
		e.Outputs = append([]cache.Output(nil), e.Outputs...)
		edit(&e)
		if err := c.PutAction(s1.Results[a].Key, &e); err != nil {
			t.Fatal(err)
		}
		s := build(t, p, dir, 1)
		if s.Results[a].Status != Ran {
			t.Errorf("%s: a tampered entry was served (%v)", name, s.Results[a].Status)
		}
	}
}

// Builds sharing a cache compute each step once: the others wait for its
// claim and are served its entry.
func TestConcurrentBuildsComputeOnce(t *testing.T) {
	var runs atomic.Int32
	slow := &Func{
		OpName: "test.slowcount", OpVersion: 1, OpDoc: "test",
		Par: []ParamSpec{{Name: "n", Kind: spec.Int}},
		Out: []OutputSpec{{Name: "out", Kind: artifact.KindScalars}},
		RunFunc: func(ctx context.Context, env *Env) error {
			runs.Add(1)
			time.Sleep(100 * time.Millisecond)
			return env.PutScalars("out", artifact.Scalars{"n": {Value: float64(env.Int("n"))}})
		},
	}
	s, err := spec.Parse("t.yaml", []byte("paper: {id: t, title: T}\nsteps:\n  a: {op: test.slowcount, params: {n: 1}}\n  b: {op: test.slowcount, params: {n: 2}}\nprofiles: {quick: {}, paper: {}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry(slow)
	p, err := NewPlan([]*spec.Spec{s}, reg, "paper")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var wg sync.WaitGroup
	sums := make([]*Summary, 4)
	for i := range sums {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _ := cache.Open(dir) // its own lock files, as another process
			sums[i] = (&Builder{Cache: c, Executor: &Local{Registry: reg, Store: c}, Jobs: 2}).Build(context.Background(), p, p.Nodes)
		}()
	}
	wg.Wait()
	ran := 0
	for _, s := range sums {
		if s.Failed != 0 {
			t.Fatalf("a build failed: %s", s.Line())
		}
		ran += s.Ran
	}
	if runs.Load() != 2 || ran != 2 {
		t.Errorf("4 builds of 2 steps executed the op %d times (%d reported ran), want 2", runs.Load(), ran)
	}
}

// The ETA sums the expected times of the steps not ended (less what a
// running step has run), scaled by how the ended steps compared with theirs,
// spread over the jobs.
func TestETA(t *testing.T) {
	a, b, c := &Node{ID: "a"}, &Node{ID: "b"}, &Node{ID: "c"}
	s := time.Second
	exp := map[*Node]time.Duration{a: 10 * s, b: 20 * s, c: 40 * s}
	tests := []struct {
		name    string
		ended   map[*Node]time.Duration
		running map[*Node]time.Duration
		jobs    int
		want    time.Duration
		ok      bool
	}{
		{"nothing ended", nil, nil, 1, 70 * s, true},
		{"two jobs", nil, nil, 2, 35 * s, true},
		{"a took twice as long", map[*Node]time.Duration{a: 20 * s}, nil, 1, 120 * s, true},
		{"b running for 5 s", map[*Node]time.Duration{a: 10 * s}, map[*Node]time.Duration{b: 5 * s}, 1, 55 * s, true},
		{"b overran", map[*Node]time.Duration{a: 10 * s}, map[*Node]time.Duration{b: 50 * s}, 1, 40 * s, true},
		{"all ended", map[*Node]time.Duration{a: s, b: s, c: s}, nil, 1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ETA(exp, tt.ended, tt.running, tt.jobs)
			if ok != tt.ok || (ok && (got-tt.want).Abs() > time.Millisecond) {
				t.Errorf("ETA = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
