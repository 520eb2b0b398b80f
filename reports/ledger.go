package reports

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// ClaimCost is what rebuilding one claim takes: the steps its number reads
// (replicates included) and the op estimates of the CPU time of everything
// they depend on.
type ClaimCost struct {
	Step string // the spec step the claim's number comes from
	// CPU bounds the time on one thread of the steps behind the claim, from
	// the ops' estimates (generous bounds; zero when an op gives none).
	CPU time.Duration
}

// claimCosts returns the cost of every claim of spec s, by claim name.
func claimCosts(plan *pipeline.Plan, s *spec.Spec) map[string]ClaimCost {
	res := plan.Resources()
	out := map[string]ClaimCost{}
	for _, c := range s.Claims {
		num, err := s.Number(c.Value)
		if err != nil {
			continue
		}
		nodes := plan.Replicas(s.Paper.ID + "/" + num.From.Step)
		var cpu time.Duration
		for _, n := range plan.Closure(nodes) {
			cpu += res[n].Time
		}
		out[c.Name] = ClaimCost{Step: num.From.Step, CPU: cpu}
	}
	return out
}

// rebuildCommand is the command that rebuilds the steps behind a claim.
func rebuildCommand(profile, step string) string {
	if step == "" {
		return "n/a"
	}
	arg := step
	if strings.ContainsAny(step, "[]=,") {
		arg = "'" + step + "'"
	}
	return fmt.Sprintf("kadanoff build --profile %s --only %s", profile, arg)
}

// formatCPU prints a CPU-time bound to two significant digits.
func formatCPU(d time.Duration) string {
	switch {
	case d <= 0:
		return "n/a"
	case d < time.Minute:
		return "≤ " + strconv.FormatFloat(d.Seconds(), 'g', 2, 64) + " s"
	case d < time.Hour:
		return "≤ " + strconv.FormatFloat(d.Minutes(), 'g', 2, 64) + " min"
	}
	return "≤ " + strconv.FormatFloat(d.Hours(), 'g', 2, 64) + " h"
}

// countStates counts the verdicts by state.
func countStates(vs []Verdict) map[State]int {
	count := map[State]int{}
	for _, v := range vs {
		count[v.State]++
	}
	return count
}

// stateCounts prints counts of verdicts, every state named.
func stateCounts(count map[State]int, total int) string {
	var parts []string
	for _, st := range States() {
		parts = append(parts, fmt.Sprintf("%d %s", count[st], st))
	}
	return fmt.Sprintf("%s (of %d claims)", strings.Join(parts, ", "), total)
}

// ledger renders the claims ledger: per claim its id, the paper's words, the
// value measured (median [range] over seeds, with a strip of the replicates
// against the expected interval), in how many seeds it holds, the
// expectation, the verdict, its figure, the command that rebuilds it and a
// bound on its CPU time.
func ledger(p *Paper, m mode) string {
	vs := p.Verdicts()
	var b strings.Builder
	count := countStates(vs)
	if m == mdMode {
		b.WriteString("## Claims ledger\n\n" + stateCounts(count, len(vs)) + ".\n\n")
		b.WriteString("| claim | the paper | measured | holds in | expected | verdict | figure | rebuild | CPU |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, v := range vs {
			k, n := v.Count()
			cost := p.Costs[v.Claim.Name]
			cell := func(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
			fmt.Fprintf(&b, "| `%s` | %s | %s | %d/%d | %s | **%s** | %s | `%s` | %s |\n", v.Claim.Name, cell(paperWords(v.Claim, m)),
				cell(v.Measured), k, n, cell(v.Expected), v.Label(), figNumber(p, v.Claim.Figure), cell(rebuildCommand(p.Profile, cost.Step)), formatCPU(cost.CPU))
		}
		return b.String() + "\n"
	}
	b.WriteString(`<section id="ledger"><h2>Claims ledger</h2>` + "\n")
	fmt.Fprintf(&b, `<p class="counts">`)
	for _, st := range States() {
		fmt.Fprintf(&b, `<span class="%s">%d %s</span> `, Verdict{State: st}.class(), count[st], st)
	}
	fmt.Fprintf(&b, "of %d claims. A claim on a trained network or a sample is checked on every replicate (seed): "+
		"reproduced when it holds in at least its quorum of them (80 %% unless it says otherwise), not reproduced when it holds in at most 20 %%, "+
		"seed-dependent between. The strip shows each replicate's value (dots) against the expected interval (shaded).</p>\n", len(vs))
	b.WriteString(`<table class="ledger"><tr><th>claim</th><th>the paper</th><th>measured</th><th>holds in</th><th>expected</th><th>verdict</th><th>figure</th><th>rebuild</th><th>CPU</th></tr>` + "\n")
	for _, v := range vs {
		k, n := v.Count()
		cost := p.Costs[v.Claim.Name]
		fig := ""
		if f := p.figure(v.Claim.Figure); f != nil {
			fig = fmt.Sprintf(`<a href="#%s">Fig. %s</a>`, html.EscapeString(f.Name), html.EscapeString(f.Number))
		}
		fmt.Fprintf(&b, `<tr id="ledger-%s"><td><a href="#claim-%s"><code>%s</code></a></td><td>%s</td><td>%s<br>%s</td><td>%d/%d</td><td>%s <small>(%s)</small></td><td class="%s">%s</td><td>%s</td><td><code>%s</code></td><td>%s</td></tr>`+"\n",
			html.EscapeString(v.Claim.Name), html.EscapeString(v.Claim.Name), html.EscapeString(v.Claim.Name), paperWords(v.Claim, m),
			html.EscapeString(v.Measured), strip(v), k, n, html.EscapeString(v.Expected), html.EscapeString(v.Claim.Against),
			v.class(), v.Label(), fig, html.EscapeString(rebuildCommand(p.Profile, cost.Step)), formatCPU(cost.CPU))
	}
	b.WriteString("</table>\n<p class=\"meta\">CPU: a bound on the time on one thread of every step behind the claim, from the ops' estimates; `kadanoff build --json` has the measured seconds of each step.</p></section>\n")
	return b.String()
}

// paperWords is the paper's sentence a claim tests, quoted with its section,
// or the claim's statement when it quotes none.
func paperWords(c *spec.Claim, m mode) string {
	if c.Quote == "" {
		if m == mdMode {
			return "*(no sentence of the paper)* " + c.Statement
		}
		return `<em>(no sentence of the paper)</em> ` + inlineHTML(c.Statement)
	}
	sec := ""
	if c.Section != "" {
		sec = " (" + c.Section + ")"
	}
	if m == mdMode {
		return "“" + c.Quote + "”" + sec
	}
	return "<q>" + html.EscapeString(c.Quote) + "</q>" + html.EscapeString(sec)
}

// strip draws a claim's replicate values as dots on a line, against the
// expected interval shaded: green dots hold, red ones do not.
func strip(v Verdict) string {
	var xs []float64
	for _, x := range v.Values {
		if !math.IsNaN(x) {
			xs = append(xs, x)
		}
	}
	if len(xs) == 0 {
		return ""
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	for _, t := range []float64{v.Lo, v.Hi} {
		if !math.IsInf(t, 0) {
			lo, hi = math.Min(lo, t), math.Max(hi, t)
		}
	}
	if hi == lo {
		lo, hi = lo-1, hi+1
	}
	pad := (hi - lo) * 0.08
	lo, hi = lo-pad, hi+pad
	const w, h = 120.0, 14.0
	pos := func(x float64) float64 { return math.Max(0, math.Min(w, (x-lo)/(hi-lo)*w)) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="strip" width="%g" height="%g" viewBox="0 0 %g %g" role="img" aria-label="%s">`, w, h, w, h, html.EscapeString(stripLabel(v)))
	a, z := pos(math.Max(v.Lo, lo)), pos(math.Min(v.Hi, hi))
	fmt.Fprintf(&b, `<rect x="%.1f" y="1" width="%.1f" height="%g" fill="#d8efd9"/>`, a, math.Max(z-a, 0.5), h-2)
	fmt.Fprintf(&b, `<line x1="0" y1="%g" x2="%g" y2="%g" stroke="#999" stroke-width="0.6"/>`, h/2, w, h/2)
	for i, x := range v.Values {
		if math.IsNaN(x) {
			continue
		}
		fill := "#b3261e"
		if v.Holds[i] {
			fill = "#0a7b34"
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%g" r="3" fill="%s" fill-opacity="0.75"/>`, pos(x), h/2, fill)
	}
	b.WriteString("</svg>")
	return b.String()
}

func stripLabel(v Verdict) string {
	var parts []string
	for _, x := range v.Values {
		parts = append(parts, strconv.FormatFloat(x, 'g', 4, 64))
	}
	return "replicates: " + strings.Join(parts, ", ") + "; expected " + v.Expected
}
