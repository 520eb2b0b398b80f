package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// noopFixture is a cache holding an entry for every step of the paper
// profile of all three papers (the 598 steps of a real build), each output a
// small blob of synthetic bytes, and an output directory whose reports are
// up to date. A cache hit reads no blob, so the blobs' sizes do not matter;
// the number of entries does.
func noopFixture(b *testing.B) (args []string) {
	b.Helper()
	files, err := filepath.Glob(filepath.Join("..", "configs", "*.yaml"))
	if err != nil || len(files) == 0 {
		b.Fatal("no configs", err)
	}
	sort.Strings(files)
	var specs []*spec.Spec
	for _, f := range files {
		s, err := spec.Load(f)
		if err != nil {
			b.Fatal(err)
		}
		specs = append(specs, s)
	}
	plan, err := pipeline.NewPlan(specs, DefaultRegistry(), "paper")
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	cc, err := cache.Open(filepath.Join(dir, "cache"))
	if err != nil {
		b.Fatal(err)
	}
	entries := map[*pipeline.Node]*cache.Entry{}
	for _, n := range plan.Nodes {
		digests := make([][]cache.Digest, len(n.Inputs))
		for i, in := range n.Inputs {
			for _, ref := range in.Refs {
				for _, o := range entries[ref.Node].Outputs {
					if o.Name == ref.Output {
						digests[i] = append(digests[i], o.Digest)
					}
				}
			}
		}
		pre := pipeline.Preimage(n, digests)
		key := cache.Sum([]byte(pre))
		e := &cache.Entry{Step: n.ID, Preimage: pre, Seconds: 1}
		for _, o := range n.Op.Outputs() {
			data := []byte(fmt.Sprintf("synthetic %s %s\n%s", key, o.Name, bytes.Repeat([]byte{'.'}, 4096)))
			d, err := cc.PutBlob(data)
			if err != nil {
				b.Fatal(err)
			}
			e.Outputs = append(e.Outputs, cache.Output{Name: o.Name, Kind: string(o.Kind), Digest: d, Size: int64(len(data))})
		}
		if err := cc.PutAction(key, e); err != nil {
			b.Fatal(err)
		}
		entries[n] = e
	}
	args = append([]string{"--profile", "paper", "--cache", cc.Dir()}, files...)
	if len(plan.Nodes) < 500 {
		b.Fatalf("the paper profile plans %d steps", len(plan.Nodes))
	}
	return args
}

func runQuiet(b *testing.B, args ...string) string {
	b.Helper()
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), args, Env{Stdout: &stdout, Stderr: &stderr, Registry: DefaultRegistry()}); code != ExitOK {
		b.Fatalf("kadanoff %s: exit %d\n%s%s", strings.Join(args[:2], " "), code, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// BenchmarkNoOpBuild is a warm build of the paper profile of all three
// papers with nothing to do (goal: 0.1 s; the process's own start, about
// 40 ms, comes on top).
func BenchmarkNoOpBuild(b *testing.B) {
	args := noopFixture(b)
	build := append([]string{"build", "--out", filepath.Join(b.TempDir(), "out")}, args...)
	runQuiet(b, build...) // writes the reports
	for b.Loop() {
		if out := runQuiet(b, build...); !strings.Contains(out, " 0 ran, ") {
			b.Fatalf("not a no-op:\n%s", out)
		}
	}
}

// BenchmarkStatusCheck is status --check of the same cache (goal: 0.1 s).
func BenchmarkStatusCheck(b *testing.B) {
	args := append([]string{"status", "--check"}, noopFixture(b)...)
	for b.Loop() {
		runQuiet(b, args...)
	}
}
