package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/cache/s3store"
	"github.com/kadanoff/kadanoff/reports"
)

func build(ctx context.Context, args []string, env Env) int {
	var f buildFlags
	fs := newFlags("build", env)
	f.register(fs)
	var err error
	if f.specs, err = parse(fs, args); err != nil {
		return exitForFlags(err)
	}
	if f.from != "" {
		if len(f.specs) > 0 {
			fmt.Fprintln(env.Stderr, "kadanoff build: --from takes the specs from the archive; give no SPEC")
			return ExitUsage
		}
		if f.out == "" {
			fmt.Fprintln(env.Stderr, "kadanoff build: --out must name a directory")
			return ExitUsage
		}
		return buildFrom(ctx, f.from, f.out, f.computeMissing, env)
	}
	r, code := f.prepare(ctx, env)
	if code != ExitOK {
		return code
	}
	if f.dryRun {
		return dryRunBuild(env, r.cc, r.plan, r.targets, r.force)
	}
	// Hold the cache's lock shared for the whole build: gc takes it
	// exclusively, so it never removes what a build is using.
	unlock, err := r.cc.LockShared()
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return ExitFailed
	}
	defer unlock()
	return r.run(ctx, env)
}

// buildFlags are build's flags.
type buildFlags struct {
	common
	jobs                     int
	out, only, force, from   string
	dryRun, computeMissing   bool
	jsonFile, maxMem, remote string
	maxTime                  time.Duration
	remoteRO                 bool
	slurm                    slurmFlags
}

func (f *buildFlags) register(fs *flag.FlagSet) {
	f.common.register(fs)
	fs.IntVar(&f.jobs, "jobs", runtime.NumCPU(), "CPU threads the build may use, shared by the steps that run at once")
	fs.StringVar(&f.out, "out", "out", "directory for reports")
	fs.StringVar(&f.only, "only", "", "build only these steps or figures (comma-separated) and their inputs")
	fs.StringVar(&f.force, "force", "", "rerun these steps or figures (comma-separated) and everything that depends on them, even when cached")
	fs.BoolVar(&f.dryRun, "dry-run", false, "list the steps that would run, and why, without running anything")
	fs.StringVar(&f.from, "from", "", "serve the report of a kadanoff pack archive, with nothing recomputed (its specs, profile and cache)")
	fs.BoolVar(&f.computeMissing, "compute-missing", false, "with --from: compute the steps the archive does not hold (refused otherwise)")
	fs.StringVar(&f.jsonFile, "json", "", "write a JSON summary to FILE (every step's status, seconds, threads and key; every claim's verdict and number); - prints it instead of the progress lines")
	fs.DurationVar(&f.maxTime, "max-time", 0, "refuse steps whose time bound, on the threads they may use, exceeds this (e.g. 2h; default none)")
	fs.StringVar(&f.maxMem, "max-memory", "", "refuse steps estimated to need more memory than this (e.g. 16GiB; default 3/4 of this machine's)")
	fs.StringVar(&f.remote, "remote", "", "share the cache through an S3-compatible store, s3://BUCKET/PREFIX (endpoint, region and credentials from the standard AWS variables and files; default $KADANOFF_REMOTE)")
	fs.BoolVar(&f.remoteRO, "remote-read-only", false, "only read from --remote, never write to it (CI on pull requests)")
	f.slurm.register(fs)
}

// buildRun is a build ready to run: its plan, targets and cache.
type buildRun struct {
	*buildFlags
	plan    *pipeline.Plan
	targets []*pipeline.Node
	force   map[*pipeline.Node]bool
	cc      *cache.Cache
	budget  float64 // bytes of memory
}

// prepare checks the flags, plans the specs and opens the cache (and the
// remote), printing what is wrong: a bad flag or spec exits with
// ExitUsage before anything runs.
func (f *buildFlags) prepare(ctx context.Context, env Env) (*buildRun, int) {
	if f.out == "" {
		fmt.Fprintln(env.Stderr, "kadanoff build: --out must name a directory")
		return nil, ExitUsage
	}
	if f.jobs < 1 {
		fmt.Fprintln(env.Stderr, "kadanoff build: --jobs must be at least 1")
		return nil, ExitUsage
	}
	if err := f.slurm.check(); err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff build:", err)
		return nil, ExitUsage
	}
	r := &buildRun{buildFlags: f}
	var err error
	if r.budget, err = memoryBudget(f.maxMem); err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff build: --max-memory:", err)
		return nil, ExitUsage
	}
	var ok bool
	if r.plan, ok = f.load(env); !ok {
		return nil, ExitUsage
	}
	if err := r.plan.CheckMemory(r.budget); err != nil {
		fmt.Fprintln(env.Stderr, err)
		return nil, ExitUsage
	}
	if f.maxTime > 0 {
		if err := r.plan.CheckTime(f.maxTime, f.jobs); err != nil {
			fmt.Fprintln(env.Stderr, err)
			return nil, ExitUsage
		}
	} else if f.maxTime < 0 {
		fmt.Fprintln(env.Stderr, "kadanoff build: --max-time must be positive")
		return nil, ExitUsage
	}
	for _, d := range r.plan.Duplicates() {
		fmt.Fprintf(env.Stderr, "kadanoff: note: %s computes the same as %s (same op, parameters and inputs): it is served from that step's cache entry; write the step once\n", d[1].ID, d[0].ID)
	}
	if r.targets, err = resolveTargets(r.plan, f.only); err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff build: --only:", err)
		return nil, ExitUsage
	}
	// Check narratives before running anything: a bad name is a spec error.
	for _, s := range r.plan.Specs {
		if err := reports.Check(&reports.Paper{Spec: s, Profile: f.profile, Params: reports.StepParams(r.plan, s)}); err != nil {
			fmt.Fprintln(env.Stderr, err)
			return nil, ExitUsage
		}
	}
	var forced []*pipeline.Node
	if f.force != "" {
		if forced, err = resolveTargets(r.plan, f.force); err != nil {
			fmt.Fprintln(env.Stderr, "kadanoff build: --force:", err)
			return nil, ExitUsage
		}
	}
	r.force = dependents(r.plan, forced)
	if r.cc, err = f.openCache(env); err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return nil, ExitFailed
	}
	if f.remote == "" {
		f.remote = env.Getenv("KADANOFF_REMOTE")
	}
	if f.remote != "" {
		store, err := s3store.Open(ctx, f.remote)
		if err == nil {
			err = store.Check(ctx)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "kadanoff build: --remote %s: %v\n", f.remote, err)
			return nil, ExitUsage
		}
		r.cc.SetRemote(store, f.remoteRO)
	} else if f.remoteRO {
		fmt.Fprintln(env.Stderr, "kadanoff build: --remote-read-only needs --remote")
		return nil, ExitUsage
	}
	return r, ExitOK
}

// builder makes the build's Builder, with the plan's estimates and the
// executor the flags ask for; close releases the executor.
func (r *buildRun) builder(env Env, rep pipeline.Reporter) (b *pipeline.Builder, close func(), err error) {
	res := r.plan.Resources()
	b = &pipeline.Builder{
		Cache:        r.cc,
		Executor:     &pipeline.Local{Registry: env.Registry, Store: r.cc},
		Jobs:         r.jobs,
		Reporter:     rep,
		Force:        r.force,
		Machine:      machineDescription(),
		Memory:       map[*pipeline.Node]float64{},
		MemoryBudget: r.budget,
		Time:         map[*pipeline.Node]float64{},
	}
	for n, e := range res {
		b.Memory[n] = e.Memory
		b.Time[n] = e.Time.Seconds()
	}
	if r.slurm.executor != "slurm" {
		return b, func() {}, nil
	}
	ex, err := r.slurm.executorFor(env, res, r.cc)
	if err != nil {
		return nil, nil, err
	}
	b.Executor, b.StepsAtOnce, b.Memory = ex, r.slurm.maxJobs, nil
	return b, func() { ex.Close() }, nil
}

// run builds the targets, writes the reports and says what happened: on
// stdout the reports, the slowest steps, the time and the summary line (or
// the JSON document), on stderr the failures and the cache's repairs.
func (r *buildRun) run(ctx context.Context, env Env) int {
	stdout := env.Stdout
	toStdout := r.jsonFile == "-"
	if toStdout {
		env.Stdout = io.Discard
	}
	var rep pipeline.Reporter
	if env.Terminal && !toStdout {
		tr := pipeline.NewTerminalReporter(env.Stdout)
		tr.SetTotal(len(r.plan.Closure(r.targets)))
		if exp, unknown, err := expectedTimes(r.cc, r.plan, r.plan.Closure(r.targets), r.force); err == nil {
			bounds := len(exp) == 0 && len(unknown) > 0
			if bounds {
				// A build with no history: its steps are expected to take their
				// ops' bounds, which the display scales by what the ended steps
				// took against theirs.
				res := r.plan.Resources()
				for _, n := range unknown {
					if rs := res[n]; rs.Time > 0 {
						exp[n] = rs.Time / time.Duration(max(1, min(rs.Threads, r.jobs)))
					}
				}
			}
			tr.SetExpected(exp, r.jobs, bounds)
		}
		defer tr.Close() // on early returns; closed below otherwise
		rep = tr
	} else {
		rep = pipeline.NewLogReporter(env.Stdout)
	}
	b, closeExecutor, err := r.builder(env, rep)
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff build:", err)
		return ExitUsage
	}
	defer closeExecutor()
	start := time.Now()
	sum := b.Build(ctx, r.plan, r.targets)
	if tr, ok := rep.(*pipeline.TerminalReporter); ok {
		tr.Close() // erase the live block before the report lines
	}
	status := ExitOK
	tool := ToolVersion()
	var papers []paperReport
	if ctx.Err() == nil && r.only == "" {
		if papers, err = writeReports(ctx, b, r.plan, r.targets, sum, r.out, tool); err != nil {
			fmt.Fprintln(env.Stderr, "kadanoff: report:", err)
			status = ExitFailed
		} else {
			for _, p := range papers {
				fmt.Fprintf(env.Stdout, "report  %s/%s/index.html (%s)\n", r.out, p.ID, verdictSummary(p.Summary))
			}
		}
	}
	if sum.Failed > 0 {
		status = ExitFailed
	}
	if ctx.Err() != nil {
		status = ExitInterrupted
	}
	r.problems(env, sum)
	elapsed := time.Since(start)
	if r.jsonFile != "" {
		doc, _ := json.MarshalIndent(buildDocument(sum, elapsed, r.out, r.plan, papers, tool), "", "  ")
		doc = append(doc, '\n')
		if toStdout {
			stdout.Write(doc)
			return status
		}
		if err := os.WriteFile(r.jsonFile, doc, 0o666); err != nil {
			fmt.Fprintln(env.Stderr, "kadanoff build: --json:", err)
			status = max(status, ExitFailed)
		}
	}
	slowest(env.Stdout, sum)
	fmt.Fprintf(env.Stdout, "time: %s\n", elapsed.Round(time.Millisecond))
	fmt.Fprintln(env.Stdout, sum.Line())
	return status
}

// problems says on stderr, where scripts and CI look for them, which steps
// failed themselves (not those skipped because of them), what the cache held
// damaged, and what the remote did.
func (r *buildRun) problems(env Env, sum *pipeline.Summary) {
	for _, n := range sum.Order {
		if res := sum.Results[n]; res != nil && res.Status == pipeline.Failed && !errors.Is(res.Err, pipeline.ErrInterrupted) && !errors.Is(res.Err, pipeline.ErrNotRun) {
			fmt.Fprintf(env.Stderr, "kadanoff: step %s failed: %v\n", n.ID, res.Err)
		}
	}
	if d := r.cc.Damaged(); len(d) > 0 {
		names := strings.Join(d[:min(len(d), 3)], ", ")
		if len(d) > 3 {
			names += ", …"
		}
		fmt.Fprintf(env.Stderr, "kadanoff: the cache held %d damaged files (%s); they were discarded and what they held recomputed\n", len(d), names)
	}
	if r.remote != "" {
		reportRemote(env, r.remote, r.cc.RemoteStats())
	}
}

// reportRemote says what the build exchanged with the shared cache, and
// warns of what failed there (the local build does not fail for it).
func reportRemote(env Env, url string, s cache.RemoteStats) {
	fmt.Fprintf(env.Stdout, "remote  %s: %d steps fetched (%d blobs, %s), %d uploads (%s), %d blobs already there\n",
		url, s.Hits, s.Downloads, pipeline.FormatBytes(float64(s.DownloadBytes)), s.Uploads, pipeline.FormatBytes(float64(s.UploadBytes)), s.Present)
	if s.BadRemote > 0 {
		fmt.Fprintf(env.Stderr, "kadanoff: warning: %d blobs on the remote were damaged (their bytes do not match their names): not used, recomputed and uploaded again\n", s.BadRemote)
	}
	for i, e := range s.Errors {
		if i == 5 {
			fmt.Fprintf(env.Stderr, "kadanoff: warning: remote: … and %d more\n", len(s.Errors)-5)
			break
		}
		fmt.Fprintf(env.Stderr, "kadanoff: warning: remote: %s\n", e)
	}
}

// stepTime is one step of a build's time table.
type stepTime struct {
	Step    string  `json:"step"`
	Status  string  `json:"status"` // ran, cached or failed
	Seconds float64 `json:"seconds"`
	Threads int     `json:"threads,omitempty"`
	Key     string  `json:"key,omitempty"`
	Error   string  `json:"error,omitempty"`
}

func stepTimes(sum *pipeline.Summary) []stepTime {
	var out []stepTime
	for _, n := range sum.Order {
		r := sum.Results[n]
		st := stepTime{Step: n.ID, Seconds: r.Elapsed.Seconds(), Threads: r.Threads, Key: string(r.Key)}
		switch r.Status {
		case pipeline.Ran:
			st.Status = "ran"
		case pipeline.Cached:
			st.Status, st.Seconds, st.Threads = "cached", 0, 0
		default:
			st.Status, st.Error = "failed", fmt.Sprint(r.Err)
		}
		out = append(out, st)
	}
	return out
}

// slowest prints the steps that ran, slowest first (at most 8).
func slowest(w io.Writer, sum *pipeline.Summary) {
	var ran []stepTime
	for _, st := range stepTimes(sum) {
		if st.Status == "ran" {
			ran = append(ran, st)
		}
	}
	if len(ran) < 2 {
		return
	}
	sort.SliceStable(ran, func(i, j int) bool { return ran[i].Seconds > ran[j].Seconds })
	fmt.Fprintln(w, "slowest steps:")
	for _, st := range ran[:min(len(ran), 8)] {
		fmt.Fprintf(w, "  %9s  %d thread(s)  %s\n", time.Duration(st.Seconds*float64(time.Second)).Round(time.Millisecond), st.Threads, st.Step)
	}
}

// buildDocument is the build as one JSON document: every step's status,
// time, threads and key, and per paper every claim's verdict and number and
// every quoted value (the report's summary record).
func buildDocument(sum *pipeline.Summary, elapsed time.Duration, out string, plan *pipeline.Plan, papers []paperReport, tool string) any {
	type paperDoc struct {
		Report string `json:"report"`
		reports.Summary
	}
	doc := struct {
		Profile string     `json:"profile"`
		Tool    string     `json:"tool"`
		Seconds float64    `json:"seconds"`
		Total   int        `json:"total"`
		Ran     int        `json:"ran"`
		Cached  int        `json:"cached"`
		Failed  int        `json:"failed"`
		NotRun  int        `json:"not_run,omitempty"`
		Steps   []stepTime `json:"steps"`
		Papers  []paperDoc `json:"papers,omitempty"`
	}{Profile: plan.Profile, Tool: tool, Seconds: elapsed.Seconds(), Total: len(sum.Order), Ran: sum.Ran, Cached: sum.Cached, Failed: sum.Failed, NotRun: sum.NotRun, Steps: stepTimes(sum)}
	for _, p := range papers {
		s := *p.Summary
		if p.Fresh {
			if full, err := reports.ReadSummary(out, p.ID); err == nil {
				s = *full
			}
		}
		s.Steps = nil // their keys are in steps
		doc.Papers = append(doc.Papers, paperDoc{Report: filepath.Join(out, p.ID, "index.html"), Summary: s})
	}
	return doc
}

func verdictSummary(s *reports.Summary) string {
	count := map[reports.State]int{reports.Reproduced: s.Reproduced, reports.SeedDependent: s.SeedDependent, reports.NotReproduced: s.NotReproduced, reports.NotEvaluated: s.NotEvaluated}
	var parts []string
	for _, st := range reports.States() {
		if count[st] > 0 || st == reports.Reproduced || st == reports.NotReproduced {
			parts = append(parts, fmt.Sprintf("%d %s", count[st], st))
		}
	}
	out := "claims: " + strings.Join(parts, ", ")
	if s.Checks > 0 {
		out += fmt.Sprintf("; checks: %d of %d pass", s.ChecksPassed, s.Checks)
	}
	return out
}

// paperReport is a paper's report as a build left it: written, or found
// up to date (then Summary holds the verdicts counted, not their list).
type paperReport struct {
	ID      string
	Summary *reports.Summary
	Fresh   bool
}

// writeReports writes the report of every spec under out from the build's
// results, leaving alone a report whose inputs are those it was written from
// (reports.Fresh: nothing is read from the cache for it). The blobs a report
// reads are checked against their digests; when one is found damaged (and
// discarded), the build makes another pass to recompute it first.
func writeReports(ctx context.Context, b *pipeline.Builder, plan *pipeline.Plan, targets []*pipeline.Node, sum *pipeline.Summary, out, tool string) ([]paperReport, error) {
	identity := toolIdentity(tool)
	for pass := 1; ; pass++ {
		damaged := len(b.Cache.Damaged())
		var done []paperReport
		var todo []*reports.Paper
		for _, s := range plan.Specs {
			inputs, err := reports.Inputs(plan, s, sum, identity)
			if err != nil {
				return nil, err
			}
			if fresh, ok := reports.Fresh(out, s.Paper.ID, inputs); ok {
				done = append(done, paperReport{ID: s.Paper.ID, Summary: fresh, Fresh: true})
				continue
			}
			p := reports.Gather(b.Cache, plan, s, sum, tool)
			p.Inputs = inputs
			todo = append(todo, p)
			s := p.Summary()
			done = append(done, paperReport{ID: p.Spec.Paper.ID, Summary: &s})
		}
		if len(b.Cache.Damaged()) > damaged && pass < 3 && ctx.Err() == nil {
			sum.Merge(b.Build(ctx, plan, targets))
			continue
		}
		if len(todo) == 0 {
			return done, nil
		}
		return done, reports.Write(out, todo)
	}
}

// memoryBudget parses a --max-memory value ("16GiB", "512M", "2e9"); empty
// means three quarters of this machine's memory.
func memoryBudget(s string) (float64, error) {
	if s == "" {
		return 0.75 * machineMemory(), nil
	}
	return pipeline.ParseBytes(s)
}

// machineMemory is the machine's physical memory in bytes (MemTotal of
// /proc/meminfo), or 8 GiB where that cannot be read.
func machineMemory() float64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 8 << 30
}

// dependents returns the nodes and everything that depends on them.
func dependents(plan *pipeline.Plan, nodes []*pipeline.Node) map[*pipeline.Node]bool {
	set := map[*pipeline.Node]bool{}
	for _, n := range nodes {
		set[n] = true
	}
	for _, n := range plan.Nodes { // topological order: a node follows its inputs
		for _, d := range n.Deps() {
			if set[d] {
				set[n] = true
			}
		}
	}
	return set
}

// dryRunBuild prints what a build would run and why, running nothing.
func dryRunBuild(env Env, cc *cache.Cache, plan *pipeline.Plan, targets []*pipeline.Node, force map[*pipeline.Node]bool) int {
	sts, err := states(cc, plan)
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return ExitFailed
	}
	in := map[string]bool{}
	for _, n := range plan.Closure(targets) {
		in[n.ID] = true
	}
	forced := map[string]bool{}
	for n := range force {
		forced[n.ID] = true
	}
	run := 0
	for _, st := range sts {
		if !in[st.Step] {
			continue
		}
		why := ""
		switch {
		case forced[st.Step]:
			why = "forced"
		case st.State == "cached":
			continue
		case st.State == "stale":
			why = "stale: " + st.Reason
		default:
			why = st.Reason
		}
		run++
		fmt.Fprintf(env.Stdout, "would run %s  (%s)\n", st.Step, why)
	}
	fmt.Fprintf(env.Stdout, "dry run: %d of %d steps would run", run, len(in))
	if exp, never, err := expectedTimes(cc, plan, plan.Closure(targets), force); err == nil && run > 0 {
		unknown := len(never)
		var sum time.Duration
		for _, d := range exp {
			sum += d
		}
		switch {
		case len(exp) > 0 && unknown > 0:
			fmt.Fprintf(env.Stdout, "; %d of them took %s when last built, %d were never built", len(exp), sum.Round(time.Second), unknown)
		case len(exp) > 0:
			fmt.Fprintf(env.Stdout, "; they took %s when last built", sum.Round(time.Second))
		default:
			fmt.Fprintf(env.Stdout, "; none was built before, so there is no estimate of their time")
		}
	}
	fmt.Fprintln(env.Stdout)
	return ExitOK
}

// expectedTimes returns what each of nodes that a build would run (not
// cached, or forced) took when it was last built, where that build's entry
// is still in the cache, and those it does not know. The sum, spread over
// the jobs, estimates a build's time.
func expectedTimes(cc *cache.Cache, plan *pipeline.Plan, nodes []*pipeline.Node, force map[*pipeline.Node]bool) (map[*pipeline.Node]time.Duration, []*pipeline.Node, error) {
	res, err := pipeline.Resolve(cc, nodes)
	if err != nil {
		return nil, nil, err
	}
	out := map[*pipeline.Node]time.Duration{}
	var unknown []*pipeline.Node
	for _, n := range nodes {
		if r := res[n]; r != nil && r.Entry != nil && !force[n] {
			continue
		}
		if e, ok := previous(cc, plan.Profile, n); ok {
			out[n] = time.Duration(e.Seconds * float64(time.Second))
		} else {
			unknown = append(unknown, n)
		}
	}
	return out, unknown, nil
}
