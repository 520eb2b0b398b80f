package cli

import (
	"context"
	"fmt"
	"html"
	"os"
	"strings"

	"github.com/kadanoff/kadanoff/pipeline"
)

// stepOf loads the specs and resolves the named step with its cache entry;
// it prints errors and returns ok = false with the exit status to use.
func (c *common) stepOf(env Env, cmd string, pos []string) (n *pipeline.Node, r *pipeline.Resolution, profile string, status int, ok bool) {
	if len(pos) < 1 {
		fmt.Fprintf(env.Stderr, "usage: kadanoff %s [--profile P] STEP [SPEC.yaml ...]\n", cmd)
		return nil, nil, "", ExitUsage, false
	}
	c.specs = pos[1:]
	plan, loaded := c.load(env)
	if !loaded {
		return nil, nil, "", ExitUsage, false
	}
	n, err := plan.Lookup(pos[0])
	if err != nil {
		fmt.Fprintf(env.Stderr, "kadanoff %s: %v\n", cmd, err)
		return nil, nil, "", ExitUsage, false
	}
	cc, err := c.openCache(env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return nil, nil, "", ExitFailed, false
	}
	res, err := pipeline.Resolve(cc, plan.Closure([]*pipeline.Node{n}))
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return nil, nil, "", ExitFailed, false
	}
	return n, res[n], plan.Profile, ExitOK, true
}

func logCmd(_ context.Context, args []string, env Env) int {
	var c common
	fs := newFlags("log", env)
	c.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return exitForFlags(err)
	}
	n, r, profile, code, ok := c.stepOf(env, "log", pos)
	if !ok {
		return code
	}
	if r.Entry == nil {
		fmt.Fprintf(env.Stderr, "kadanoff log: %s is not built with profile %s\n", n.ID, profile)
		return ExitFailed
	}
	fmt.Fprintf(env.Stdout, "step %s, built %s in %.3gs\n", n.ID, r.Entry.Created.Format("2006-01-02 15:04:05 MST"), r.Entry.Seconds)
	if len(r.Entry.Log) == 0 {
		fmt.Fprintln(env.Stdout, "(nothing logged)")
	}
	for _, line := range r.Entry.Log {
		fmt.Fprintln(env.Stdout, line)
	}
	return ExitOK
}

// graph prints the plan's steps and their dependencies as Graphviz DOT, or
// draws them as SVG (one column per depth, no Graphviz needed), coloured by
// their standing in the cache.
func graph(_ context.Context, args []string, env Env) int {
	var c common
	fs := newFlags("graph", env)
	c.register(fs)
	format := fs.String("format", "dot", "dot or svg")
	to := fs.String("to", "-", "file to write (- for standard output)")
	var err error
	if c.specs, err = parse(fs, args); err != nil {
		return exitForFlags(err)
	}
	if *format != "dot" && *format != "svg" {
		fmt.Fprintf(env.Stderr, "kadanoff graph: --format must be dot or svg, got %q\n", *format)
		return ExitUsage
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
	state := map[string]string{}
	for _, s := range sts {
		state[s.Step] = s.State
	}
	var out string
	if *format == "dot" {
		out = graphDOT(plan, state)
	} else {
		out = graphSVG(plan, state)
	}
	if *to == "-" {
		fmt.Fprint(env.Stdout, out)
		return ExitOK
	}
	if err := os.WriteFile(*to, []byte(out), 0o666); err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff graph:", err)
		return ExitFailed
	}
	return ExitOK
}

// stateColor is the fill of a step by its standing in the cache.
func stateColor(state string) string {
	switch state {
	case "cached":
		return "#c7e9c0"
	case "stale":
		return "#fdd0a2"
	}
	return "#e0e0e0"
}

func graphDOT(plan *pipeline.Plan, state map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph kadanoff {\n  // profile %s; green: cached, orange: stale, grey: missing\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n", plan.Profile)
	for _, n := range plan.Nodes {
		fmt.Fprintf(&b, "  %q [label=%q, fillcolor=%q];\n", n.ID, n.Name+"\n"+n.Op.Name(), stateColor(state[n.ID]))
	}
	for _, n := range plan.Nodes {
		for _, d := range n.Deps() {
			fmt.Fprintf(&b, "  %q -> %q;\n", d.ID, n.ID)
		}
	}
	b.WriteString("}\n")
	return b.String()
}

func graphSVG(plan *pipeline.Plan, state map[string]string) string {
	depth := map[*pipeline.Node]int{}
	var cols [][]*pipeline.Node
	for _, n := range plan.Nodes { // topological order: inputs come first
		d := 0
		for _, in := range n.Deps() {
			d = max(d, depth[in]+1)
		}
		depth[n] = d
		for len(cols) <= d {
			cols = append(cols, nil)
		}
		cols[d] = append(cols[d], n)
	}
	const w, h, gapX, gapY, pad = 230, 34, 60, 12, 20
	rows := 0
	for _, c := range cols {
		rows = max(rows, len(c))
	}
	width, height := pad*2+len(cols)*(w+gapX)-gapX, pad*2+rows*(h+gapY)-gapY+20
	pos := map[*pipeline.Node][2]int{}
	for i, c := range cols {
		for j, n := range c {
			pos[n] = [2]int{pad + i*(w+gapX), pad + 20 + j*(h+gapY)}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="Helvetica, sans-serif" font-size="11">`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="%d">profile %s — green: cached, orange: stale, grey: missing</text>`+"\n", pad, pad, html.EscapeString(plan.Profile))
	for _, n := range plan.Nodes {
		for _, d := range n.Deps() {
			a, z := pos[d], pos[n]
			fmt.Fprintf(&b, `<path d="M%d %d C%d %d %d %d %d %d" fill="none" stroke="#888"/>`+"\n",
				a[0]+w, a[1]+h/2, a[0]+w+gapX/2, a[1]+h/2, z[0]-gapX/2, z[1]+h/2, z[0], z[1]+h/2)
		}
	}
	for _, n := range plan.Nodes {
		p := pos[n]
		fmt.Fprintf(&b, `<g><title>%s (%s): %s</title><rect x="%d" y="%d" width="%d" height="%d" rx="6" fill="%s" stroke="#555"/>`+
			`<text x="%d" y="%d">%s</text><text x="%d" y="%d" fill="#555">%s</text></g>`+"\n",
			html.EscapeString(n.ID), html.EscapeString(n.Op.Name()), state[n.ID], p[0], p[1], w, h, stateColor(state[n.ID]),
			p[0]+6, p[1]+14, html.EscapeString(n.Name), p[0]+6, p[1]+28, html.EscapeString(n.Op.Name()))
	}
	b.WriteString("</svg>\n")
	return b.String()
}
