package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"github.com/kadanoff/kadanoff/pipeline/cache"
)

// Status is the outcome of a step in a build.
type Status int

// The outcomes of a step.
const (
	Cached Status = iota + 1
	Ran
	Failed
)

func (s Status) String() string {
	switch s {
	case Cached:
		return "cached"
	case Ran:
		return "ran"
	case Failed:
		return "failed"
	}
	return "?"
}

// Result is what became of one node.
type Result struct {
	Node     *Node
	Status   Status
	Key      cache.Digest
	Preimage string
	Entry    *cache.Entry // set unless Failed
	Err      error
	Elapsed  time.Duration
	// Threads is the most threads of the build's budget the step held (its
	// share may grow while it runs, when other steps end).
	Threads int
}

// StateReporter is a Reporter that is also told what a step is doing in an
// executor that queues work ("queued (slurm job 12_3)", "running on n01").
type StateReporter interface {
	Reporter
	State(n *Node, state string)
}

// Reporter is told about steps as they start, progress and finish. Calls come
// from several goroutines.
type Reporter interface {
	Start(n *Node)
	Progress(n *Node, done, total int)
	Finish(r *Result)
}

// Builder builds nodes of a plan.
type Builder struct {
	Cache    *cache.Cache
	Executor Executor
	// Jobs is the build's budget of CPU threads, shared by the steps that run
	// at once (each op says how many it can use); 0 means the number of CPUs.
	Jobs     int
	Reporter Reporter
	// Force names steps that run even when cached (with what depends on them).
	Force map[*Node]bool
	// Machine describes what computes the steps (OS, CPU, kernels), recorded
	// on each cache entry so that differing bytes can be explained.
	Machine string
	// Memory holds steps' estimated peaks in bytes (Plan.Resources); with a
	// MemoryBudget, a step waits while the steps running would exceed it
	// (a step always starts when nothing else runs).
	Memory       map[*Node]float64
	MemoryBudget float64
	// Time holds steps' estimated running times in seconds (Plan.Resources;
	// bounds are fine, only their ratios matter). Of the steps ready at once,
	// the one heading the longest estimated chain of steps still to run
	// starts first, so that a long training does not wait behind short steps
	// listed before it and then run alone at the end. Without estimates steps
	// start in plan order.
	Time map[*Node]float64
	// StepsAtOnce, when positive, is for executors that size their own jobs
	// (a cluster): up to this many steps run at once, whatever they declare,
	// and Jobs is not used.
	StepsAtOnce int

	profile string
}

// LatestName is the name under which the cache remembers a step's most
// recent build under a profile, for explaining what changed since.
func LatestName(profile string, n *Node) string { return profile + ":" + n.ID }

// Summary counts the outcomes of a build. Failed counts the steps that
// failed or were skipped because an input failed; NotRun those an interrupt
// stopped or kept from starting (their results are Failed, ErrInterrupted).
type Summary struct {
	Results                     map[*Node]*Result
	Order                       []*Node
	Ran, Cached, Failed, NotRun int
}

// Line is the build's last line: "steps: T total, R ran, C cached, F
// failed", and ", N not run" after an interrupt.
func (s *Summary) Line() string {
	line := fmt.Sprintf("steps: %d total, %d ran, %d cached, %d failed", len(s.Order), s.Ran, s.Cached, s.Failed)
	if s.NotRun > 0 {
		line += fmt.Sprintf(", %d not run", s.NotRun)
	}
	return line
}

// count adds r's outcome to the counts.
func (s *Summary) count(r *Result) {
	switch {
	case r.Status == Ran:
		s.Ran++
	case r.Status == Cached:
		s.Cached++
	case errors.Is(r.Err, ErrInterrupted):
		s.NotRun++
	default:
		s.Failed++
	}
}

// Build brings the given nodes and their dependencies up to date. A failing step
// fails the steps that depend on it; the others still run. When ctx is
// cancelled, running steps are abandoned (nothing partial reaches the cache) and
// steps not yet started are reported as failed with ErrInterrupted.
//
// A cache hit checks that its outputs' files are there at their sizes; their
// digests are checked when a step that runs reads them. A step that finds an
// input lost (ErrInputLost: the damaged blob is discarded) fails, and the
// build makes another pass, in which the producer is no longer a hit and
// reruns (at most maxPasses passes).
func (b *Builder) Build(ctx context.Context, plan *Plan, targets []*Node) *Summary {
	sum := b.pass(ctx, plan, targets)
	for range maxPasses - 1 {
		if ctx.Err() != nil || !sum.lostInputs() {
			break
		}
		sum.Merge(b.pass(ctx, plan, targets))
	}
	return sum
}

// maxPasses bounds the passes of a build repairing lost inputs: each pass
// reruns the producers of the blobs the previous one found damaged.
const maxPasses = 3

func (s *Summary) lostInputs() bool {
	for _, r := range s.Results {
		if r.Status == Failed && errors.Is(r.Err, ErrInputLost) {
			return true
		}
	}
	return false
}

// Merge takes the results of a later build of the same nodes (another pass,
// after repairing the cache): a step that ran in either ran, with its
// earlier time when the later build found it cached.
func (s *Summary) Merge(next *Summary) {
	for n, r := range next.Results {
		if old := s.Results[n]; old != nil && old.Status == Ran && r.Status == Cached {
			continue
		}
		s.Results[n] = r
	}
	for _, n := range next.Order {
		if _, ok := s.Results[n]; ok && !slices.Contains(s.Order, n) {
			s.Order = append(s.Order, n)
		}
	}
	s.Ran, s.Cached, s.Failed, s.NotRun = 0, 0, 0, 0
	for _, n := range s.Order {
		s.count(s.Results[n])
	}
}

// pass is one pass of Build.
func (b *Builder) pass(ctx context.Context, plan *Plan, targets []*Node) *Summary {
	b.profile = plan.Profile
	return newScheduler(ctx, b, plan.Closure(targets)).run()
}

// grant is a running step's share of the thread budget. Grants are elastic:
// threads a finished step gives back go to running steps that can use more
// while nothing waits, and are taken back when steps become ready. Ops read
// their share at every multiply (Env.Threads), and their outputs do not
// depend on it.
type grant struct {
	base, want, max int
	cur             *atomic.Int32
}

// scheduler runs one pass of a build: it starts ready steps while threads
// and memory allow, the one heading the longest chain first, and collects
// their results as they end.
type scheduler struct {
	ctx context.Context
	b   *Builder
	sum *Summary

	in      map[*Node]bool    // the nodes of this pass
	waiting map[*Node]int     // inputs not yet built, per node
	chain   map[*Node]float64 // estimated time of a node and the longest chain of its users
	ready   []*Node

	budget, used, running int // threads: the build's, granted, steps running
	usedMem               float64
	grants                map[*Node]*grant
	started               []*Node // running steps, in start order
	results               chan *Result
}

func newScheduler(ctx context.Context, b *Builder, nodes []*Node) *scheduler {
	s := &scheduler{ctx: ctx, b: b, sum: &Summary{Results: map[*Node]*Result{}, Order: nodes},
		in: map[*Node]bool{}, waiting: map[*Node]int{}, chain: map[*Node]float64{},
		grants: map[*Node]*grant{}, results: make(chan *Result)}
	s.budget = b.Jobs
	if s.budget <= 0 {
		s.budget = runtime.NumCPU()
	}
	if b.StepsAtOnce > 0 {
		s.budget = b.StepsAtOnce
	}
	for _, n := range nodes {
		s.in[n] = true
	}
	for _, n := range nodes {
		s.waiting[n] = len(n.deps)
		if s.waiting[n] == 0 {
			s.ready = append(s.ready, n)
		}
	}
	// chain is a step's estimated time plus the longest chain of its users:
	// the critical path from it to the end of the build. nodes are in
	// dependency order, so users come after.
	for i := len(nodes) - 1; i >= 0; i-- {
		n := nodes[i]
		longest := 0.0
		for _, u := range n.users {
			if s.in[u] {
				longest = max(longest, s.chain[u])
			}
		}
		s.chain[n] = b.Time[n] + longest
	}
	return s
}

// run starts and collects steps until none is ready or running, and marks
// what never started as interrupted.
func (s *scheduler) run() *Summary {
	for s.running > 0 || len(s.ready) > 0 {
		s.rebalance()
		for len(s.ready) > 0 && s.used < s.budget && s.ctx.Err() == nil {
			i := s.next()
			if i < 0 {
				break
			}
			s.start(i)
		}
		s.rebalance()
		if s.running == 0 {
			break // interrupted with nothing running
		}
		s.collect(<-s.results)
	}
	for _, n := range s.sum.Order {
		if _, done := s.sum.Results[n]; !done {
			s.finish(&Result{Node: n, Status: Failed, Err: ErrInterrupted})
		}
	}
	return s.sum
}

// memOf is a step's estimated peak, when the build has a memory budget.
func (s *scheduler) memOf(n *Node) float64 {
	if m, ok := s.b.Memory[n]; ok && m > 0 && s.b.MemoryBudget > 0 {
		return m
	}
	return 0
}

// next picks the ready step to start: among those whose memory fits beside
// the steps running, the one with the longest chain (the first on ties); -1
// when none fits.
func (s *scheduler) next() int {
	best := -1
	for i, n := range s.ready {
		if s.running > 0 && s.usedMem+s.memOf(n) > s.b.MemoryBudget {
			continue
		}
		if best < 0 || s.chain[n] > s.chain[s.ready[best]] {
			best = i
		}
	}
	return best
}

// start runs ready step i with its grant: a step alone gets what it can use,
// steps ready at once share.
func (s *scheduler) start(i int) {
	n := s.ready[i]
	s.ready = slices.Delete(s.ready, i, i+1)
	s.usedMem += s.memOf(n)
	want := 1
	if tu, ok := n.Op.(ThreadUser); ok && s.b.StepsAtOnce == 0 {
		want = max(tu.Threads(n.Params), 1)
	}
	free := s.budget - s.used
	share := (free + len(s.ready)) / (len(s.ready) + 1) // ⌈free / steps waiting⌉
	g := &grant{base: max(1, min(want, free, share)), want: want, cur: new(atomic.Int32)}
	g.max = g.base
	g.cur.Store(int32(g.base))
	s.grants[n] = g
	s.started = append(s.started, n)
	s.used += g.base
	s.running++
	digests, _ := inputDigests(n, s.entry)
	go func() { s.results <- s.b.step(s.ctx, n, digests, g.cur) }()
}

func (s *scheduler) entry(d *Node) *cache.Entry { return s.sum.Results[d].Entry }

// collect takes a step's result: it frees its threads and memory, and makes
// ready the users it was the last input of (or fails them).
func (s *scheduler) collect(r *Result) {
	s.running--
	s.usedMem -= s.memOf(r.Node)
	g := s.grants[r.Node]
	s.used -= int(g.cur.Load())
	r.Threads = g.max
	s.started = slices.DeleteFunc(s.started, func(n *Node) bool { return n == r.Node })
	if r.Status == Failed {
		s.fail(r.Node, r.Err)
		return
	}
	s.finish(r)
	for _, u := range r.Node.users {
		if !s.in[u] {
			continue
		}
		s.waiting[u]--
		if s.waiting[u] == 0 {
			if _, failed := s.sum.Results[u]; !failed {
				s.ready = append(s.ready, u)
			}
		}
	}
}

// finish records a result and tells the reporter.
func (s *scheduler) finish(r *Result) {
	s.sum.Results[r.Node] = r
	s.sum.count(r)
	if s.b.Reporter != nil {
		s.b.Reporter.Finish(r)
	}
}

// fail marks n and, transitively, its users as failed.
func (s *scheduler) fail(n *Node, err error) {
	if _, done := s.sum.Results[n]; done {
		return
	}
	s.finish(&Result{Node: n, Status: Failed, Err: err})
	for _, u := range n.users {
		if s.in[u] {
			s.fail(u, fmt.Errorf("%w: input %s failed", ErrNotRun, n.Name))
		}
	}
}

// rebalance takes back the threads lent beyond their base shares when steps
// wait, and lends the free ones to running steps that can use more when
// none waits.
func (s *scheduler) rebalance() {
	if len(s.ready) > 0 && s.used >= s.budget {
		for _, n := range s.started {
			g := s.grants[n]
			if extra := int(g.cur.Load()) - g.base; extra > 0 {
				g.cur.Store(int32(g.base))
				s.used -= extra
			}
		}
		return
	}
	if len(s.ready) > 0 {
		return
	}
	for _, n := range s.started {
		g := s.grants[n]
		if add := min(g.want-int(g.cur.Load()), s.budget-s.used); add > 0 {
			g.cur.Add(int32(add))
			s.used += add
			g.max = max(g.max, int(g.cur.Load()))
		}
	}
}

// hit serves n from the cache when its key r.Key has an intact entry and n
// is not forced, recording the key as the step's latest.
func (b *Builder) hit(n *Node, r *Result) bool {
	if b.Force[n] {
		return false
	}
	e, err := b.Cache.GetAction(r.Key)
	if err != nil || !entryIntact(b.Cache, n, e) {
		return false
	}
	r.Status, r.Entry = Cached, e
	b.Cache.SetLatest(LatestName(b.profile, n), r.Key)
	return true
}

// step brings one node up to date given the output digests of its inputs.
func (b *Builder) step(ctx context.Context, n *Node, digests [][]cache.Digest, share *atomic.Int32) *Result {
	start := time.Now()
	r := &Result{Node: n, Threads: int(share.Load())}
	r.Preimage = Preimage(n, digests)
	r.Key = cache.Sum([]byte(r.Preimage))
	if b.hit(n, r) {
		return r
	}
	// Of several builds sharing the cache, one computes the step; the others
	// wait for it and are then served its entry.
	sr, _ := b.Reporter.(StateReporter)
	release, err := b.Cache.Claim(ctx, r.Key, func() {
		if sr != nil {
			sr.State(n, "waiting for another build computing it")
		}
	})
	if err != nil {
		r.Status, r.Err = Failed, ErrInterrupted
		return r
	}
	defer release()
	if b.hit(n, r) { // computed by another build meanwhile
		return r
	}
	if b.Reporter != nil {
		b.Reporter.Start(n)
	}
	task := newTask(n, r.Key, digests, int(share.Load()))
	task.Share = share
	if sr != nil {
		task.OnState = func(state string) { sr.State(n, state) }
	}
	progress := func(d, t int) {
		if b.Reporter != nil {
			b.Reporter.Progress(n, d, t)
		}
	}
	outcome, err := b.Executor.Execute(ctx, task, progress)
	r.Elapsed = time.Since(start)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			err = ErrInterrupted
		}
		r.Status, r.Err = Failed, err
		return r
	}
	machine := b.Machine
	if outcome.Machine != "" {
		machine = outcome.Machine
	}
	e := &cache.Entry{Step: n.ID, Preimage: r.Preimage, Created: b.Cache.Now().UTC(), Seconds: r.Elapsed.Seconds(), Log: outcome.Log, Machine: machine}
	for _, blob := range outcome.Blobs {
		d, size := blob.Digest, blob.Size
		if blob.Data != nil || d == "" {
			d, err = b.Cache.PutBlob(blob.Data)
			size = int64(len(blob.Data))
		} else if !b.Cache.HasFile(d, size) {
			err = fmt.Errorf("output %s: blob %s is not in the cache", blob.Name, d.Short())
		}
		if err != nil {
			r.Status, r.Err = Failed, err
			return r
		}
		e.Outputs = append(e.Outputs, cache.Output{Name: blob.Name, Kind: string(blob.Kind), Digest: d, Size: size})
	}
	if err := b.Cache.PutAction(r.Key, e); err != nil {
		r.Status, r.Err = Failed, err
		return r
	}
	b.Cache.SetLatest(LatestName(b.profile, n), r.Key)
	r.Status, r.Entry = Ran, e
	return r
}

// newTask describes node n's computation given its key and the digests of its inputs.
func newTask(n *Node, key cache.Digest, digests [][]cache.Digest, threads int) *Task {
	task := &Task{Step: n.ID, Op: n.Op.Name(), Version: n.Op.Version(), Key: key, Seed: n.SeedID(), Params: n.Params, Inputs: map[string][]TaskInput{}, Threads: threads}
	if n.Spec != nil {
		if dir, err := filepath.Abs(filepath.Dir(n.Spec.File)); err == nil {
			task.Dir = dir
		}
	}
	for i, in := range n.Inputs {
		for j, ref := range in.Refs {
			task.Inputs[in.Name] = append(task.Inputs[in.Name], TaskInput{Step: ref.Node.ID, Output: ref.Output, Kind: ref.Kind, Digest: digests[i][j]})
		}
	}
	return task
}

// TaskFor returns the task that recomputes a resolved node from its cached
// inputs (for verification), or an error when an input is not cached.
func TaskFor(n *Node, res map[*Node]*Resolution, threads int) (*Task, error) {
	digests, missing := inputDigests(n, func(d *Node) *cache.Entry {
		if r := res[d]; r != nil {
			return r.Entry
		}
		return nil
	})
	if missing != nil {
		return nil, fmt.Errorf("input %s is not cached", missing.ID)
	}
	return newTask(n, res[n].Key, digests, threads), nil
}
