package cli

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/spec"
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
		if err := reports.Check(&reports.Paper{Spec: s, Profile: c.profile}); err != nil {
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
			papers = append(papers, paperReport(cc, plan, s, sum, c.profile))
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

// paperReport gathers what the report of spec s shows from the build's results.
func paperReport(cc *cache.Cache, plan *pipeline.Plan, s *spec.Spec, sum *pipeline.Summary, profile string) *reports.Paper {
	p := &reports.Paper{Spec: s, Profile: profile, Tool: ToolVersion(), Figures: map[string]*reports.Figure{}, Numbers: map[string]*reports.Number{}}
	for _, f := range s.Figures {
		n, _ := plan.Lookup(s.Paper.ID + "/" + f.Name)
		p.Figures[f.Name] = figureReport(cc, plan, n, sum)
	}
	for _, num := range s.Numbers {
		p.Numbers[num.Name] = numberReport(cc, plan, s, num, sum)
	}
	return p
}

func failure(r *pipeline.Result) string {
	if r == nil {
		return "not built"
	}
	if errors.Is(r.Err, pipeline.ErrInterrupted) {
		return "interrupted"
	}
	return fmt.Sprintf("step %s failed: %v", r.Node.ID, r.Err)
}

func outputBlob(cc *cache.Cache, e *cache.Entry, name string) ([]byte, *cache.Output, error) {
	for i, o := range e.Outputs {
		if o.Name == name {
			data, err := cc.GetBlob(o.Digest)
			return data, &e.Outputs[i], err
		}
	}
	return nil, nil, fmt.Errorf("no output %q", name)
}

func figureReport(cc *cache.Cache, plan *pipeline.Plan, n *pipeline.Node, sum *pipeline.Summary) *reports.Figure {
	r := sum.Results[n]
	if r == nil || r.Status == pipeline.Failed {
		return &reports.Figure{Missing: failure(r)}
	}
	f := &reports.Figure{}
	var err error
	if f.SVG, _, err = outputBlob(cc, r.Entry, "svg"); err != nil {
		return &reports.Figure{Missing: err.Error()}
	}
	if f.PNG, _, err = outputBlob(cc, r.Entry, "png"); err != nil {
		return &reports.Figure{Missing: err.Error()}
	}
	seen := map[string]bool{}
	for _, in := range n.Inputs {
		for _, ref := range in.Refs {
			dr := sum.Results[ref.Node]
			data, o, err := outputBlob(cc, dr.Entry, ref.Output)
			if err != nil {
				return &reports.Figure{Missing: err.Error()}
			}
			name := ref.Node.Name
			if ref.Output != ref.Node.Op.Outputs()[0].Name {
				name += "." + ref.Output
			}
			name += artifact.Kind(o.Kind).Ext()
			if !seen[name] {
				seen[name] = true
				f.Data = append(f.Data, reports.DataFile{Name: name, Data: data})
			}
		}
	}
	for _, dn := range plan.Closure([]*pipeline.Node{n}) {
		dr := sum.Results[dn]
		st := reports.Step{ID: dn.ID, Op: dn.Op.Name(), Version: dn.Op.Version(), Key: string(dr.Key)}
		for _, name := range dn.ParamNames() {
			if dn.Figure != nil {
				continue // the layout is shown by the figure itself
			}
			st.Params = append(st.Params, reports.Param{Name: name, Value: dn.Params[name].Canonical()})
		}
		f.Steps = append(f.Steps, st)
	}
	return f
}

func numberReport(cc *cache.Cache, plan *pipeline.Plan, s *spec.Spec, num *spec.Number, sum *pipeline.Summary) *reports.Number {
	n, err := plan.Lookup(s.Paper.ID + "/" + num.From.Step)
	if err != nil {
		return &reports.Number{Missing: err.Error()}
	}
	r := sum.Results[n]
	if r == nil || r.Status == pipeline.Failed {
		return &reports.Number{Missing: failure(r)}
	}
	out := num.From.Output
	if out == "" {
		out = n.Op.Outputs()[0].Name
	}
	data, o, err := outputBlob(cc, r.Entry, out)
	if err != nil {
		return &reports.Number{Missing: err.Error()}
	}
	if artifact.Kind(o.Kind) != artifact.KindScalars {
		return &reports.Number{Missing: fmt.Sprintf("%s is %s, not scalars", num.From, o.Kind)}
	}
	sc, err := artifact.DecodeJSON(data)
	if err != nil {
		return &reports.Number{Missing: err.Error()}
	}
	v, ok := sc[num.Key]
	if !ok {
		return &reports.Number{Missing: fmt.Sprintf("%s has no scalar %q (has %v)", num.From, num.Key, sc.Names())}
	}
	return &reports.Number{Value: v.Value, Err: v.Err, Note: v.Note}
}
