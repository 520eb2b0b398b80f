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

// ClaimCost is what rebuilding one claim takes: the step its number comes
// from (all its replicates) and the time the steps behind it took.
type ClaimCost struct {
	Step string // the spec step the claim's number comes from
	// Time is the summed running time of every step behind the claim (its
	// number's step, its replicates and all they depend on), as measured
	// when each was built; zero when none was.
	Time time.Duration
}

// claimCosts returns the cost of every claim of spec s, by claim name.
func claimCosts(plan *pipeline.Plan, s *spec.Spec, sum *pipeline.Summary) map[string]ClaimCost {
	out := map[string]ClaimCost{}
	for _, c := range s.Claims {
		num, err := s.Number(c.Value)
		if err != nil {
			continue
		}
		nodes := plan.Replicas(s.Paper.ID + "/" + num.From.Step)
		var t time.Duration
		for _, n := range plan.Closure(nodes) {
			if r := sum.Results[n]; r != nil && r.Entry != nil {
				t += time.Duration(r.Entry.Seconds * float64(time.Second))
			}
		}
		out[c.Name] = ClaimCost{Step: num.From.Step, Time: t}
	}
	return out
}

// RebuildCommand is the command that rebuilds the steps behind a claim.
func RebuildCommand(profile, step string) string {
	if step == "" {
		return "n/a"
	}
	arg := step
	if strings.ContainsAny(step, "[]=,") {
		arg = "'" + step + "'"
	}
	return fmt.Sprintf("kadanoff build --profile %s --only %s", profile, arg)
}

// formatTime prints a duration to two significant digits, marked so that a
// comparison of two builds' reports can leave measured times out.
func formatTime(d time.Duration) string {
	var v string
	switch {
	case d <= 0:
		return "n/a"
	case d < time.Minute:
		v = strconv.FormatFloat(d.Seconds(), 'g', 2, 64) + " s"
	case d < time.Hour:
		v = strconv.FormatFloat(d.Minutes(), 'g', 2, 64) + " min"
	default:
		v = strconv.FormatFloat(d.Hours(), 'g', 2, 64) + " h"
	}
	return TimeMark + v
}

// TimeMark precedes every measured time in a report: times are the one
// thing in a report that two builds of the same keys in different caches
// may not share.
const TimeMark = "≈ "

// CountStates counts the verdicts by state.
func CountStates(vs []Verdict) map[State]int {
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

// ledger renders the claims ledger: per claim its id and figure, the paper's
// words and the command that rebuilds it, the value measured (median [range]
// over seeds, with a strip of the replicates against the expected interval),
// the expectation, in how many seeds it holds, the verdict and the time of
// the steps behind it. The checks of the build follow in a table of their
// own, counted apart.
func ledger(p *Paper, m mode) string {
	vs, cs := p.Verdicts(), p.Checks()
	var b strings.Builder
	count := CountStates(vs)
	if m == mdMode {
		b.WriteString("## Claims ledger\n\n" + stateCounts(count, len(vs)) + ". " + ledgerRule + "\n\n")
		ledgerRows(&b, p, vs, "claim", m)
		if len(cs) > 0 {
			b.WriteString("\n### Checks of the build\n\n" + checkCounts(cs) + ". " + checksRule + "\n\n")
			ledgerRows(&b, p, cs, "check", m)
		}
		return b.String() + "\n"
	}
	b.WriteString(`<section id="ledger"><h2>Claims ledger</h2>` + "\n")
	fmt.Fprintf(&b, `<p class="counts">`)
	for _, st := range States() {
		fmt.Fprintf(&b, `<span class="%s">%d %s</span> `, Verdict{State: st}.class(), count[st], st)
	}
	fmt.Fprintf(&b, "of %d claims. %s The strip shows each seed's value (green where the claim holds, red where not, grey where it is not evaluated) against the expected interval (shaded).</p>\n",
		len(vs), html.EscapeString(ledgerRule))
	ledgerRows(&b, p, vs, "claim", m)
	if len(cs) > 0 {
		fmt.Fprintf(&b, "<h3 id=\"ledger-checks\">Checks of the build</h3>\n<p class=\"counts\">%s. %s</p>\n", html.EscapeString(checkCounts(cs)), html.EscapeString(checksRule))
		ledgerRows(&b, p, cs, "check", m)
	}
	b.WriteString("</section>\n")
	return b.String()
}

// ledgerRows writes the ledger's table of claims (or checks) vs.
func ledgerRows(b *strings.Builder, p *Paper, vs []Verdict, what string, m mode) {
	if m == mdMode {
		words := "the paper"
		if what == "check" {
			words = "what it checks"
		}
		fmt.Fprintf(b, "| %s | %s | measured | holds in | expected | verdict | time (all seeds) | rebuild |\n|---|---|---|---|---|---|---|---|\n", what, words)
		for _, v := range vs {
			k, n := v.Count()
			cost := p.Costs[v.Claim.Name]
			cell := func(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
			fig := ""
			if f := p.figure(v.Claim.Figure); f != nil {
				fig = " (Fig. " + f.Number + ")"
			}
			fmt.Fprintf(b, "| `%s`%s | %s | %s | %d/%d | %s | **%s** | %s | `%s` |\n", v.Claim.Name, cell(fig), cell(paperWords(v.Claim, m)),
				cell(measured(v)), k, n, cell(v.Expected), v.Label(), formatTime(cost.Time), cell(RebuildCommand(p.Profile, cost.Step)))
		}
		return
	}
	words := "the paper, and the command that rebuilds the claim"
	if what == "check" {
		words = "what it checks, and the command that rebuilds it"
	}
	fmt.Fprintf(b, `<table class="ledger"><tr><th>%s</th><th>%s</th><th>measured</th><th>expected</th><th>holds in</th><th>verdict</th><th>time (all seeds)</th></tr>`+"\n", what, words)
	for _, v := range vs {
		k, n := v.Count()
		cost := p.Costs[v.Claim.Name]
		fig := ""
		if f := p.figure(v.Claim.Figure); f != nil {
			fig = fmt.Sprintf(`<br><a href="#%s">Fig. %s</a>`, html.EscapeString(f.Name), html.EscapeString(f.Number))
		}
		unmet := ""
		if v.Unmet != "" {
			unmet = "<br><small>" + html.EscapeString(v.Unmet) + "</small>"
		}
		fmt.Fprintf(b, `<tr id="ledger-%s"><td class="id"><a href="#claim-%s"><code>%s</code></a>%s</td><td>%s<br><code class="cmd">%s</code></td><td>%s<br>%s%s</td><td>%s <small>(%s)</small></td><td>%d/%d</td><td class="%s">%s</td><td class="time">%s</td></tr>`+"\n",
			html.EscapeString(v.Claim.Name), html.EscapeString(v.Claim.Name), html.EscapeString(v.Claim.Name), fig, paperWords(v.Claim, m),
			html.EscapeString(RebuildCommand(p.Profile, cost.Step)), html.EscapeString(v.Measured), strip(v), unmet, html.EscapeString(v.Expected),
			html.EscapeString(v.Claim.Against), k, n, v.class(), v.Label(), formatTime(cost.Time))
	}
	b.WriteString("</table>\n")
}

// measured is a verdict's measured value, with the condition it was
// evaluated under when it has one.
func measured(v Verdict) string {
	if v.Unmet == "" {
		return v.Measured
	}
	return v.Measured + "; " + v.Unmet
}

// checkCounts counts the checks by verdict.
func checkCounts(cs []Verdict) string {
	count := map[string]int{}
	for _, v := range cs {
		count[v.Label()]++
	}
	parts := []string{fmt.Sprintf("%d pass", count["passes"]), fmt.Sprintf("%d fail", count["fails"])}
	for _, l := range []string{"seed-dependent", "not evaluated"} {
		if count[l] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[l], l))
		}
	}
	noun := "checks"
	if len(cs) == 1 {
		noun = "check"
	}
	return fmt.Sprintf("%s (of %d %s)", strings.Join(parts, ", "), len(cs), noun)
}

// checksRule says what the checks are.
const checksRule = "A check tests the build itself — a bound that must hold, a sanity test of an estimator, a measurement " +
	"beyond what the paper states — and is not counted among the paper's claims; it is evaluated across seeds as a claim is."

// ledgerRule says how the ledger's verdicts and columns are read.
const ledgerRule = "A claim on a trained network or a sample is checked on every replicate (seed): reproduced when it holds " +
	"in at least its quorum of them (80 % unless it says otherwise), not reproduced when it holds in at most 20 %, seed-dependent " +
	"between; \"holds in\" counts the seeds in which it holds, of those measured. A value given ± is one measurement with its " +
	"statistical error (one seed). Time is the summed running time of every step behind the claim, all seeds together. " +
	"The expected column says where the expectation comes from (the paper, an exact result, or the paper's qualitative words); " +
	"its threshold is this report's choice wherever the paper states none."

// paperWords is the paper's sentence a claim tests, quoted with its section,
// or the claim's statement when it quotes none.
func paperWords(c *spec.Claim, m mode) string {
	if c.Quote == "" && c.Check {
		if m == mdMode {
			return c.Statement
		}
		return inlineHTML(c.Statement)
	}
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
		switch {
		case v.skipped(i):
			fill = "#9a9a9a"
		case v.Holds[i]:
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
