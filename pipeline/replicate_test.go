package pipeline

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// collectOp sums the first value of every array it reads (a reduction over
// replicates).
func collectOp() Op {
	return &Func{
		OpName: "test.collect", OpVersion: 1, OpDoc: "test",
		In:  []InputSpec{{Name: "in", Many: true, Collect: true, Kind: artifact.KindArray}},
		Out: []OutputSpec{{Name: "out", Kind: artifact.KindArray}},
		RunFunc: func(ctx context.Context, env *Env) error {
			return env.PutArray("out", artifact.NewFloat64([]float64{float64(len(env.InputSources("in")))}, 1))
		},
	}
}

// versioned is countOp under another version number.
type versioned struct {
	Op
	v int
}

func (o versioned) Version() int { return o.v }
func (o versioned) Random() bool { return true }

func planWith(t *testing.T, src, profile string, ops ...Op) *Plan {
	t.Helper()
	s, err := spec.Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan([]*spec.Spec{s}, NewRegistry(ops...), profile)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// buildPlan builds p with the plan's own ops.
func buildPlan(t *testing.T, p *Plan, dir string) *Summary {
	t.Helper()
	c, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]Op{}
	for _, n := range p.Nodes {
		ops[n.Op.Name()] = n.Op
	}
	var list []Op
	for _, op := range ops {
		list = append(list, op)
	}
	b := &Builder{Cache: c, Executor: &Local{Registry: NewRegistry(list...), Store: c}, Jobs: 2}
	sum := b.Build(context.Background(), p, p.Nodes)
	if sum.Failed != 0 {
		for _, r := range sum.Results {
			if r.Err != nil {
				t.Fatalf("%s: %v", r.Node.ID, r.Err)
			}
		}
	}
	return sum
}

// drawsOf builds p and returns the random draws of the named step.
func drawsOf(t *testing.T, p *Plan, dir, step string) []float64 {
	t.Helper()
	sum := buildPlan(t, p, dir)
	n, err := p.Lookup(step)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := cache.Open(dir)
	data, err := c.GetBlob(sum.Results[n].Entry.Outputs[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	a, err := artifact.DecodeNPY(data)
	if err != nil {
		t.Fatal(err)
	}
	return a.F64[1:]
}

// A step's streams follow from its identity in the spec: a new op version,
// a changed upstream step or another build of the same spec draw the same
// numbers; another name, replicate, seed parameter or build seed draw others.
func TestStableSeeds(t *testing.T) {
	const base = `
paper: {id: t, title: T}
steps:
  a: {op: test.count, params: {n: 1}}
  b: {op: test.count, params: {n: 2}, inputs: {in: [a]}}
profiles: {quick: {}, paper: {}}
`
	dir := t.TempDir()
	want := drawsOf(t, planWith(t, base, "paper", countOp()), dir, "b")
	same := []struct {
		name, src string
		op        Op
	}{
		{"op version bumped", base, versioned{countOp(), 9}},
		{"upstream step changed", strings.Replace(base, "{n: 1}", "{n: 7}", 1), countOp()},
		{"replicate 0", strings.Replace(base, "{n: 2}, inputs", "{n: 2}, replicates: 3, inputs", 1), countOp()},
	}
	for _, c := range same {
		p := planWith(t, c.src, "paper", c.op)
		step := "b"
		if strings.Contains(c.src, "replicates") {
			step = "b[rep=0]"
		}
		if got := drawsOf(t, p, dir, step); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: draws %v, want %v", c.name, got, want)
		}
	}
	other := []struct {
		name, src, step string
		seed            int64
	}{
		{"renamed", strings.Replace(base, "  b:", "  c:", 1), "c", 0},
		{"replicate 1", strings.Replace(base, "{n: 2}, inputs", "{n: 2}, replicates: 3, inputs", 1), "b[rep=1]", 0},
		{"seed parameter", strings.Replace(base, "{n: 2}, inputs", "{n: 2, seed: 1}, inputs", 1), "b", 0},
		{"build seed", base, "b", 1},
	}
	for _, c := range other {
		p := planWith(t, c.src, "paper", countOp())
		p.Seed = c.seed
		if got := drawsOf(t, p, dir, c.step); reflect.DeepEqual(got, want) {
			t.Errorf("%s: draws %v, the same as b's", c.name, got)
		}
	}
	p := planWith(t, base, "paper", countOp())
	b, _ := p.Lookup("b")
	if pre := Preimage(b, [][]cache.Digest{{"x"}}); !strings.Contains(pre, "\nseed t/b rep=0 seed=0 build=0\n") {
		t.Errorf("preimage holds no seed identity:\n%s", pre)
	}
	a := planWith(t, strings.ReplaceAll(base, "test.count", "test.fixed"), "paper", fixedOp())
	if id, _ := a.Lookup("a"); id.SeedID() != "" {
		t.Errorf("a step of an op that draws no random numbers has seed %q", id.SeedID())
	}
}

// Replicates multiply a step and the steps reading it, zipped by replicate,
// until an input that collects them; a profile sets the count.
func TestReplicatesPropagate(t *testing.T) {
	const src = `
paper: {id: t, title: T}
steps:
  a: {op: test.count, params: {n: 1}, replicates: 3}
  b: {op: test.fixed, params: {n: 2}, inputs: {in: [a]}}
  c: {op: test.collect, inputs: {in: [b]}}
  d: {op: test.fixed, params: {n: 2}}
  e: {op: test.count, replicates: 2, params: {n: 3}}
  g:
    foreach: {k: [1, 2]}
    replicates: 2
    steps:
      x: {op: test.count, params: {n: $k}}
      y: {op: test.fixed, params: {n: 1}, inputs: {in: [x, d]}}
profiles: {quick: {a: {replicates: 2}}, paper: {}}
`
	ops := []Op{countOp(), fixedOp(), collectOp()}
	p := planWith(t, src, "paper", ops...)
	var names []string
	for _, n := range p.Nodes {
		names = append(names, n.Name)
	}
	for _, want := range []string{"a[rep=2]", "b[rep=0]", "b[rep=2]", "c", "d", "g[k=1,rep=0].x", "g[k=2,rep=1].y"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Errorf("no step %s in %v", want, names)
		}
	}
	if len(names) != 3+3+1+1+2+2*2*2 {
		t.Errorf("%d steps: %v", len(names), names)
	}
	b2, _ := p.Lookup("b[rep=2]")
	if got := b2.Inputs[0].Refs[0].Node.Name; got != "a[rep=2]" {
		t.Errorf("b[rep=2] reads %s", got)
	}
	y, _ := p.Lookup("g[k=2,rep=1].y")
	if got := y.Inputs[0].Refs[0].Node.Name + " " + y.Inputs[0].Refs[1].Node.Name; got != "g[k=2,rep=1].x d" {
		t.Errorf("y reads %s", got)
	}
	c, _ := p.Lookup("c")
	if len(c.Inputs[0].Refs) != 3 || c.Reps != 0 {
		t.Errorf("c collects %d inputs, replicated %d", len(c.Inputs[0].Refs), c.Reps)
	}
	for _, c := range []struct{ ref, node, output string }{
		{"b[rep=2].out", "b[rep=2]", "out"},
		{"b[rep=1]", "b[rep=1]", ""},
		{"b.out", "b[rep=0]", "out"},
		{"g[k=2,rep=1].y.out", "g[k=2,rep=1].y", "out"},
		{"g[k=2,rep=1].y", "g[k=2,rep=1].y", ""},
	} {
		n, out, err := p.LookupOutput(c.ref)
		if err != nil || n.Name != c.node || out != c.output {
			t.Errorf("LookupOutput(%q) = %v, %q, %v; want %s, %q", c.ref, n, out, err, c.node, c.output)
		}
	}
	if all, _ := p.LookupAll("b"); len(all) != 3 {
		t.Errorf("LookupAll(b) = %d nodes", len(all))
	}
	if d, _ := p.Lookup("d"); d.Reps != 0 {
		t.Error("d, of a deterministic op in no group, is replicated")
	}
	q := planWith(t, src, "quick", ops...)
	if all, _ := q.LookupAll("b"); len(all) != 2 {
		t.Errorf("quick profile: b has %d replicates, want 2", len(all))
	}
	buildPlan(t, p, t.TempDir())
}

func TestReplicateErrors(t *testing.T) {
	cases := []struct{ name, steps, want string }{
		{"mismatch", `
  a: {op: test.count, params: {n: 1}, replicates: 3}
  e: {op: test.count, params: {n: 1}, replicates: 2}
  b: {op: test.fixed, params: {n: 2}, inputs: {in: [a, e]}}`, "t.yaml:5:56: steps.b.inputs.in[1]: e is replicated 2 times and a 3 times"},
		{"declared against input", `
  a: {op: test.count, params: {n: 1}, replicates: 3}
  b: {op: test.count, params: {n: 2}, replicates: 2, inputs: {in: [a]}}`, "replicates: 2, but the step reads a, which is replicated 3 times"},
		{"deterministic", `
  d: {op: test.fixed, params: {n: 2}, replicates: 2}`, "op test.fixed draws no random numbers and this step reads no replicated step"},
		{"zero", `
  a: {op: test.count, params: {n: 1}, replicates: 0}`, "replicates must be between 1 and 100, got 0"},
		{"seed of a deterministic op", `
  d: {op: test.fixed, params: {n: 2, seed: 3}}`, "op test.fixed draws no random numbers: a seed has no effect"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := spec.Parse("t.yaml", []byte("paper: {id: t, title: T}\nsteps:"+c.steps+"\nprofiles: {quick: {}, paper: {}}\n"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = NewPlan([]*spec.Spec{s}, NewRegistry(countOp(), fixedOp()), "paper")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}
