package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/reports"
)

// stepState is a step's standing in the cache, as status reports it.
type stepState struct {
	Step   string `json:"step"`
	State  string `json:"state"` // cached, stale or missing
	Reason string `json:"reason,omitempty"`
	Key    string `json:"key,omitempty"`
}

func states(cc *cache.Cache, plan *pipeline.Plan) ([]stepState, error) {
	profile := plan.Profile
	res, err := pipeline.Resolve(cc, plan.Nodes)
	if err != nil {
		return nil, err
	}
	var out []stepState
	for _, n := range plan.Nodes {
		r := res[n]
		st := stepState{Step: n.ID, Key: string(r.Key)}
		switch {
		case r.Entry != nil:
			st.State = "cached"
		case r.Missing != nil:
			st.State, st.Reason = "missing", "input "+r.Missing.ID+" was never built"
			if hasHistory(cc, profile, r.Missing) {
				st.Reason = "input " + r.Missing.ID + " is stale and is rebuilt first"
			}
			if hasHistory(cc, profile, n) {
				st.State = "stale"
			}
		default:
			st.State, st.Reason = "missing", "never built"
			if old, ok := previous(cc, profile, n); ok {
				st.State = "stale"
				var parts []string
				for _, ch := range pipeline.Diff(old.Preimage, r.Preimage) {
					parts = append(parts, ch.String())
				}
				st.Reason = strings.Join(parts, "; ")
				if st.Reason == "" {
					st.Reason = "outputs missing from the cache"
				}
			}
		}
		out = append(out, st)
	}
	return out, nil
}

func hasHistory(cc *cache.Cache, profile string, n *pipeline.Node) bool {
	_, err := cc.Latest(pipeline.LatestName(profile, n))
	return err == nil
}

// previous returns the entry of the step's most recent build, if it is still cached.
func previous(cc *cache.Cache, profile string, n *pipeline.Node) (*cache.Entry, bool) {
	k, err := cc.Latest(pipeline.LatestName(profile, n))
	if err != nil {
		return nil, false
	}
	e, err := cc.GetAction(k)
	if err != nil {
		return nil, false
	}
	return e, true
}

func status(_ context.Context, args []string, env Env) int {
	var c common
	fs := newFlags("status", env)
	c.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	check := fs.Bool("check", false, "exit 1 unless every step is cached (an up-to-date check for CI)")
	only := fs.String("state", "", "list only the steps in these states (comma-separated: cached, stale, missing); the count line counts all")
	var err error
	if c.specs, err = parse(fs, args); err != nil {
		return exitForFlags(err)
	}
	show := map[string]bool{}
	for _, st := range strings.Split(*only, ",") {
		switch st = strings.TrimSpace(st); st {
		case "":
		case "cached", "stale", "missing":
			show[st] = true
		default:
			fmt.Fprintf(env.Stderr, "kadanoff status: --state %q: want cached, stale or missing%s\n", st, didYouMean(st, []string{"cached", "stale", "missing"}, ""))
			return ExitUsage
		}
	}
	plan, cc, code := c.plan(env)
	if code != ExitOK {
		return code
	}
	sts, err := states(cc, plan)
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return ExitFailed
	}
	if *asJSON {
		listed := []stepState{}
		for _, st := range sts {
			if len(show) == 0 || show[st.State] {
				listed = append(listed, st)
			}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(listed)
		if *check {
			for _, st := range sts {
				if st.State != "cached" {
					return ExitFailed
				}
			}
		}
		return ExitOK
	}
	counts := map[string]int{}
	for _, s := range sts {
		counts[s.State]++
		if len(show) > 0 && !show[s.State] {
			continue
		}
		line := fmt.Sprintf("%-8s %s", s.State, s.Step)
		if s.Reason != "" {
			line += "  (" + s.Reason + ")"
		}
		fmt.Fprintln(env.Stdout, line)
	}
	fmt.Fprintf(env.Stdout, "%d steps: %d cached, %d stale, %d missing\n", len(sts), counts["cached"], counts["stale"], counts["missing"])
	if *check && counts["cached"] != len(sts) {
		return ExitFailed
	}
	return ExitOK
}

func explain(_ context.Context, args []string, env Env) int {
	var c common
	fs := newFlags("explain", env)
	c.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return exitForFlags(err)
	}
	if len(pos) < 1 {
		fmt.Fprintln(env.Stderr, "usage: kadanoff explain [--profile P] STEP [SPEC.yaml ...]")
		return ExitUsage
	}
	c.specs = pos[1:]
	plan, ok := c.load(env)
	if !ok {
		return ExitUsage
	}
	n, err := plan.Lookup(pos[0])
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff explain:", err)
		return ExitUsage
	}
	cc, err := c.openCache(env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return ExitFailed
	}
	res, err := pipeline.Resolve(cc, plan.Closure([]*pipeline.Node{n}))
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return ExitFailed
	}
	r := res[n]
	w := env.Stdout
	fmt.Fprintf(w, "step %s (op %s, version %d), profile %s\n", n.ID, n.Op.Name(), n.Op.Version(), plan.Profile)
	if r.Missing != nil {
		fmt.Fprintf(w, "key unknown: input %s is not built (run kadanoff build)\n", r.Missing.ID)
		return ExitOK
	}
	fmt.Fprintf(w, "action key %s\n", r.Key)
	if r.Entry != nil {
		fmt.Fprintf(w, "cached: built %s in %.3gs\n", r.Entry.Created.Format("2006-01-02 15:04:05 MST"), r.Entry.Seconds)
		for _, o := range r.Entry.Outputs {
			fmt.Fprintf(w, "  output %s (%s, %d bytes) %s\n", o.Name, o.Kind, o.Size, o.Digest)
		}
	} else {
		fmt.Fprintln(w, "not cached")
	}
	fmt.Fprintln(w, "preimage:")
	for _, line := range strings.Split(strings.TrimRight(r.Preimage, "\n"), "\n") {
		fmt.Fprintln(w, "  "+annotate(line, n))
	}
	old, ok := previous(cc, plan.Profile, n)
	switch {
	case !ok:
		fmt.Fprintln(w, "no earlier build of this step is cached")
	case cache.Sum([]byte(old.Preimage)) == r.Key:
		fmt.Fprintln(w, "the latest build of this step has this key")
	default:
		fmt.Fprintf(w, "changed since the build of %s (key %s):\n", old.Created.Format("2006-01-02 15:04:05 MST"), cache.Sum([]byte(old.Preimage)).Short())
		for _, ch := range pipeline.Diff(old.Preimage, r.Preimage) {
			fmt.Fprintln(w, "  "+ch.String())
		}
	}
	return ExitOK
}

// annotate adds the producing step to input lines of a preimage.
func annotate(line string, n *pipeline.Node) string {
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "input" {
		return line
	}
	for _, in := range n.Inputs {
		for j, ref := range in.Refs {
			if f[1] == fmt.Sprintf("%s[%d]", in.Name, j) {
				return line + "  # " + ref.Node.ID + "." + ref.Output
			}
		}
	}
	return line
}

func export(_ context.Context, args []string, env Env) int {
	var c common
	fs := newFlags("export", env)
	c.register(fs)
	to := fs.String("to", "", "file to write (default STEP[.OUTPUT].EXT in the current directory; - for stdout)")
	pos, err := parse(fs, args)
	if err != nil {
		return exitForFlags(err)
	}
	if len(pos) < 1 {
		fmt.Fprintln(env.Stderr, "usage: kadanoff export [--profile P] [--to FILE] STEP[.OUTPUT] [SPEC.yaml ...]")
		return ExitUsage
	}
	c.specs = pos[1:]
	plan, ok := c.load(env)
	if !ok {
		return ExitUsage
	}
	n, output, err := plan.LookupOutput(pos[0])
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff export:", err)
		return ExitUsage
	}
	cc, err := c.openCache(env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return ExitFailed
	}
	res, err := pipeline.Resolve(cc, plan.Closure([]*pipeline.Node{n}))
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return ExitFailed
	}
	r := res[n]
	if r.Entry == nil {
		fmt.Fprintf(env.Stderr, "kadanoff export: %s is not built with profile %s (run kadanoff build --profile %s)\n", n.ID, plan.Profile, plan.Profile)
		return ExitFailed
	}
	if output == "" {
		output = n.Op.Outputs()[0].Name
	}
	data, o, err := reports.OutputBlob(cc, r.Entry, output)
	if err != nil {
		fmt.Fprintf(env.Stderr, "kadanoff export: %s: %v\n", n.ID, err)
		return ExitFailed
	}
	dest := *to
	if dest == "" {
		dest = reports.DataFileName(n.Name, output, output == n.Op.Outputs()[0].Name, artifact.Kind(o.Kind))
	}
	if dest == "-" {
		env.Stdout.Write(data)
		return ExitOK
	}
	if err := os.WriteFile(dest, data, 0o666); err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff export:", err)
		return ExitFailed
	}
	fmt.Fprintf(env.Stdout, "wrote %s (%s, %d bytes)\n", dest, o.Kind, len(data))
	return ExitOK
}
