package cli

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/reports"
)

func build(ctx context.Context, args []string, env Env) int {
	var c common
	fs := newFlags("build", env)
	c.register(fs)
	jobs := fs.Int("jobs", runtime.NumCPU(), "steps run at once")
	out := fs.String("out", "out", "directory for reports")
	only := fs.String("only", "", "build only these steps or figures (comma-separated) and their inputs")
	var err error
	if c.specs, err = parse(fs, args); err != nil {
		return ExitUsage
	}
	if *jobs < 1 {
		fmt.Fprintln(env.Stderr, "kadanoff build: --jobs must be at least 1")
		return ExitUsage
	}
	plan, ok := c.load(env)
	if !ok {
		return ExitUsage
	}
	targets, err := resolveTargets(plan, *only)
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff build: --only:", err)
		return ExitUsage
	}
	// Check narratives before running anything: a bad name is a spec error.
	for _, s := range plan.Specs {
		if err := reports.Check(&reports.Paper{Spec: s, Profile: c.profile, Params: reports.StepParams(plan, s)}); err != nil {
			fmt.Fprintln(env.Stderr, err)
			return ExitUsage
		}
	}
	cc, err := c.openCache(env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return ExitFailed
	}
	var rep pipeline.Reporter
	if env.Terminal {
		tr := pipeline.NewTerminalReporter(env.Stdout)
		defer tr.Close() // on early returns; closed below otherwise
		rep = tr
	} else {
		rep = pipeline.NewLogReporter(env.Stdout)
	}
	b := &pipeline.Builder{
		Cache:    cc,
		Executor: &pipeline.Local{Registry: env.Registry, Store: cc},
		Jobs:     *jobs,
		Reporter: rep,
	}
	start := time.Now()
	sum := b.Build(ctx, plan, targets)
	if tr, ok := rep.(*pipeline.TerminalReporter); ok {
		tr.Close() // erase the live block before the report lines
	}
	status := ExitOK
	if sum.Failed > 0 {
		status = ExitFailed
	}
	if ctx.Err() != nil {
		status = ExitInterrupted
	} else if *only == "" {
		var papers []*reports.Paper
		for _, s := range plan.Specs {
			papers = append(papers, reports.Gather(cc, plan, s, sum, ToolVersion()))
		}
		if err := reports.Write(*out, papers); err != nil {
			fmt.Fprintln(env.Stderr, "kadanoff: report:", err)
			status = ExitFailed
		} else {
			for _, p := range papers {
				fmt.Fprintf(env.Stdout, "report  %s/%s/index.html (%s)\n", *out, p.Spec.Paper.ID, verdictSummary(p))
			}
		}
	}
	fmt.Fprintf(env.Stdout, "time: %s\n", time.Since(start).Round(time.Millisecond))
	fmt.Fprintln(env.Stdout, sum.Line())
	return status
}

func verdictSummary(p *reports.Paper) string {
	pass, fail, none := 0, 0, 0
	for _, v := range p.Verdicts() {
		switch {
		case !v.Evaluated:
			none++
		case v.Pass:
			pass++
		default:
			fail++
		}
	}
	s := fmt.Sprintf("claims: %d reproduced, %d not reproduced", pass, fail)
	if none > 0 {
		s += fmt.Sprintf(", %d not evaluated", none)
	}
	return s
}
