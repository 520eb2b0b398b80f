package reports

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// Gather collects what the report of spec s shows from a build's results:
// its figures, the numbers it quotes and the parameters of every step.
func Gather(cc *cache.Cache, plan *pipeline.Plan, s *spec.Spec, sum *pipeline.Summary, tool string) *Paper {
	p := &Paper{Spec: s, Profile: plan.Profile, Tool: tool, Figures: map[string]*Figure{}, Numbers: map[string]*Number{}}
	p.Params = StepParams(plan, s)
	p.Steps = stepRecords(plan, s, sum)
	p.Costs = claimCosts(plan, s, sum)
	for _, f := range s.Figures {
		n, err := plan.Lookup(s.Paper.ID + "/" + f.Name)
		if err != nil {
			p.Figures[f.Name] = &Figure{Missing: err.Error()}
			continue
		}
		p.Figures[f.Name] = gatherFigure(cc, plan, n, sum)
	}
	for _, num := range s.Numbers {
		p.Numbers[num.Name] = gatherNumber(cc, plan, s, num, sum)
	}
	// Numbers the narrative reads directly from steps (STEP:KEY).
	if src, err := p.narrative(); err == nil {
		for _, l := range directives(newMarkdown(p), src) {
			if l.d.Verb != "value" || len(l.d.Args) != 1 {
				continue
			}
			if num, err := s.Number(l.d.Args[0]); err == nil && p.Numbers[num.Name] == nil {
				p.Numbers[num.Name] = gatherNumber(cc, plan, s, num, sum)
			}
		}
	}
	return p
}

// StepParams returns the decoded parameters of spec s's steps in the plan, by
// step name (a replicated step's name without its replicate), with
// "replicates": how many replicates the step has (1 when not replicated).
func StepParams(plan *pipeline.Plan, s *spec.Spec) map[string]map[string]spec.Value {
	out := map[string]map[string]spec.Value{}
	for _, n := range plan.Nodes {
		if n.Spec != s || out[n.Base] != nil {
			continue
		}
		ps := make(map[string]spec.Value, len(n.Params)+1)
		for k, v := range n.Params {
			ps[k] = v
		}
		if _, ok := ps[spec.ReplicatesParam]; !ok {
			ps[spec.ReplicatesParam] = spec.Value{Kind: spec.Int, Int: int64(max(n.Reps, 1))}
		}
		out[n.Base] = ps
	}
	return out
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

// OutputBlob returns the bytes and record of a cached entry's named output.
func OutputBlob(cc *cache.Cache, e *cache.Entry, name string) ([]byte, *cache.Output, error) {
	for i, o := range e.Outputs {
		if o.Name == name {
			data, err := cc.GetBlob(o.Digest)
			return data, &e.Outputs[i], err
		}
	}
	return nil, nil, fmt.Errorf("no output %q", name)
}

// DataFileName is the file name of a step output in a report's data/: the
// step name, with a group member's selector spelled for URLs
// ("checker[block=4].g" → "checker-block4.g").
func DataFileName(step, output string, first bool, kind artifact.Kind) string {
	name := strings.NewReplacer("[", "-", "]", "", "=", "", ",", "-").Replace(step)
	if !first {
		name += "." + output
	}
	return name + kind.Ext()
}

func gatherFigure(cc *cache.Cache, plan *pipeline.Plan, n *pipeline.Node, sum *pipeline.Summary) *Figure {
	r := sum.Results[n]
	if r == nil || r.Status == pipeline.Failed {
		return &Figure{Missing: failure(r)}
	}
	f := &Figure{}
	var err error
	if f.SVG, _, err = OutputBlob(cc, r.Entry, "svg"); err != nil {
		return &Figure{Missing: err.Error()}
	}
	if f.PNG, _, err = OutputBlob(cc, r.Entry, "png"); err != nil {
		return &Figure{Missing: err.Error()}
	}
	seen := map[string]bool{}
	for _, in := range n.Inputs {
		for _, ref := range in.Refs {
			dr := sum.Results[ref.Node]
			data, o, err := OutputBlob(cc, dr.Entry, ref.Output)
			if err != nil {
				return &Figure{Missing: err.Error()}
			}
			name := DataFileName(ref.Node.Name, ref.Output, ref.Output == ref.Node.Op.Outputs()[0].Name, artifact.Kind(o.Kind))
			if !seen[name] {
				seen[name] = true
				f.Data = append(f.Data, DataFile{Name: name, Data: data})
			}
		}
	}
	for _, dn := range plan.Closure([]*pipeline.Node{n}) {
		dr := sum.Results[dn]
		st := Step{ID: dn.ID, Op: dn.Op.Name(), Version: dn.Op.Version(), Key: string(dr.Key)}
		if dn != n { // the figure's own layout is the figure
			for _, name := range dn.ParamNames() {
				st.Params = append(st.Params, Param{Name: name, Value: dn.Params[name].Canonical()})
			}
		}
		f.Steps = append(f.Steps, st)
	}
	return f
}

func gatherNumber(cc *cache.Cache, plan *pipeline.Plan, s *spec.Spec, num *spec.Number, sum *pipeline.Summary) *Number {
	nodes := plan.Replicas(s.Paper.ID + "/" + num.From.Step)
	switch {
	case len(nodes) == 0:
		return &Number{Missing: fmt.Sprintf("no step %q", num.From.Step)}
	case nodes[0].Reps == 0:
		return nodeNumber(cc, nodes[0], num, sum)
	}
	reps := make([]*Number, len(nodes))
	for i, n := range nodes {
		reps[i] = nodeNumber(cc, n, num, sum)
	}
	return Replicated(reps)
}

// nodeNumber reads a number from one node's output.
func nodeNumber(cc *cache.Cache, n *pipeline.Node, num *spec.Number, sum *pipeline.Summary) *Number {
	r := sum.Results[n]
	if r == nil || r.Status == pipeline.Failed {
		return &Number{Missing: failure(r)}
	}
	out := num.From.Output
	if out == "" {
		out = n.Op.Outputs()[0].Name
	}
	data, o, err := OutputBlob(cc, r.Entry, out)
	if err != nil {
		return &Number{Missing: err.Error()}
	}
	if artifact.Kind(o.Kind) != artifact.KindScalars {
		return &Number{Missing: fmt.Sprintf("%s is %s, not scalars", num.From, o.Kind)}
	}
	sc, err := artifact.DecodeJSON(data)
	if err != nil {
		return &Number{Missing: err.Error()}
	}
	v, ok := sc[num.Key]
	if !ok {
		return &Number{Missing: fmt.Sprintf("%s has no scalar %q (has %v)", num.From, num.Key, sc.Names())}
	}
	return &Number{Value: v.Value, Err: v.Err, Note: v.Note}
}
