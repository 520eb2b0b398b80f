package reports

import (
	"errors"
	"fmt"
	"html"
	"io/fs"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// mode is the output a directive is rendered for.
type mode int

const (
	htmlMode mode = iota
	mdMode
)

// Error is a problem in a narrative, located by file and line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Check reports the narrative's unknown directives and names and misplaced
// directives, with file and line, without rendering anything.
func Check(p *Paper) error {
	src, err := p.narrative()
	if err != nil {
		return err
	}
	return checkNarrative(p.Spec.Narrative, src, p)
}

// narrative reads the narrative as the profile built shows it, every line
// where the file has it (selectProfile).
func (p *Paper) narrative() ([]byte, error) { return p.narrativeText(true) }

// narrativeText reads the narrative as the profile built shows it, the
// lines of other profiles blanked (keepLines) or removed.
func (p *Paper) narrativeText(keepLines bool) ([]byte, error) {
	src, err := os.ReadFile(p.Spec.Narrative)
	if err != nil {
		return nil, narrativeError(p.Spec, err)
	}
	declared := slices.Sorted(maps.Keys(p.Spec.Profiles))
	return selectProfile(p.Spec.Narrative, src, p.Profile, declared, keepLines)
}

// narrativeError names where a spec names the narrative it cannot read
// (file:line:column of its narrative field, or the default it took).
func narrativeError(s *spec.Spec, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		err = fmt.Errorf("%s does not exist", s.Narrative)
	}
	if pos := s.NarrativePos; pos.Line > 0 {
		return fmt.Errorf("%s:%d:%d: narrative: %w", s.File, pos.Line, pos.Col, err)
	}
	return fmt.Errorf("%s: narrative (the default, reports/%s.md beside the spec's folder; set narrative: to name another): %w", s.File, s.Paper.ID, err)
}

func (p *Paper) sawClaims(src []byte) bool {
	for _, l := range directives(newMarkdown(p), src) {
		if l.d.Verb == "claims" && len(l.d.Args) == 0 {
			return true
		}
	}
	return false
}

func (p *Paper) figure(name string) *spec.Figure {
	for _, f := range p.Spec.Figures {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func (p *Paper) claim(name string) *spec.Claim {
	for _, c := range p.Spec.Claims {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (p *Paper) number(name string) *spec.Number {
	n, _ := p.Spec.Number(name)
	return n
}

// paramModifiers are the optional second arguments of {{param STEP.NAME MOD}}.
func paramModifiers() []string { return []string{"len", "min", "max", "first", "last"} }

// Check implements Resolver.
func (p *Paper) Check(d *Directive) error {
	one := func() (string, error) {
		if len(d.Args) != 1 {
			return "", fmt.Errorf("%s takes one name", d)
		}
		return d.Args[0], nil
	}
	switch d.Verb {
	case "figure":
		name, err := one()
		if err == nil && p.figure(name) == nil {
			if err = p.omittedError("figure", name); err == nil {
				err = fmt.Errorf("unknown figure %q", name)
			}
		}
		return err
	case "value":
		name, err := one()
		if err == nil {
			if _, err = p.Spec.Number(name); err != nil {
				ref, _, _ := strings.Cut(name, ":")
				step, _ := spec.SplitStepRef(ref)
				if e := p.omittedError("value", name); e != nil {
					err = e
				} else if e := p.omittedError("step", step); e != nil {
					err = e
				}
			}
		}
		return err
	case "claim":
		name, err := one()
		if err == nil && p.claim(name) == nil {
			if err = p.omittedError("claim", name); err == nil {
				err = fmt.Errorf("unknown claim %q", name)
			}
		}
		return err
	case "claims":
		switch {
		case len(d.Args) > 1:
			return fmt.Errorf("want {{claims}} or {{claims GROUP}}")
		case len(d.Args) == 1 && len(groupVerdicts(p, d.Args[0])) == 0:
			if err := p.omittedError("claim", d.Args[0]); err != nil {
				return err
			}
			return fmt.Errorf("no claim %q, nor a group of claims of that name", d.Args[0])
		}
		return nil
	case "param":
		if len(d.Args) < 1 || len(d.Args) > 2 {
			return fmt.Errorf("want {{param STEP.PARAM}} or {{param STEP.PARAM %s}}", strings.Join(paramModifiers(), "|"))
		}
		step, name := spec.SplitStepRef(d.Args[0])
		st := p.Spec.StepByName(step)
		if st == nil {
			if err := p.omittedError("step", step); err != nil {
				return err
			}
			return fmt.Errorf("unknown step %q in %s", step, d)
		}
		if name == "" {
			return fmt.Errorf("%s names no parameter: write {{param %s.NAME}}", d, step)
		}
		if p.Params != nil {
			if _, ok := p.Params[step][name]; !ok {
				return fmt.Errorf("step %s has no parameter %q", step, name)
			}
		}
		if len(d.Args) == 2 && !contains(paramModifiers(), d.Args[1]) {
			return fmt.Errorf("unknown modifier %q in %s (known: %s)", d.Args[1], d, strings.Join(paramModifiers(), ", "))
		}
		return nil
	}
	return fmt.Errorf("unknown directive %s (known: figure, value, claim, claims, param)", d)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// HTML implements Resolver.
func (p *Paper) HTML(d *Directive, block bool) string { return p.directive(d, htmlMode) }

// Markdown implements Resolver.
func (p *Paper) Markdown(d *Directive, block bool) string { return p.directive(d, mdMode) }

func (p *Paper) directive(d *Directive, m mode) string {
	if p.Check(d) != nil {
		return d.String()
	}
	esc := func(s string) string {
		if m == htmlMode {
			return html.EscapeString(s)
		}
		return s
	}
	switch d.Verb {
	case "figure":
		return figureBlock(p, p.figure(d.Args[0]), m)
	case "value":
		n := p.number(d.Args[0])
		return esc(p.Numbers[n.Name].Format(n.Digits))
	case "claim":
		v := p.verdict(p.claim(d.Args[0]))
		label := v.Label()
		if k, n := v.Count(); n > 1 {
			label += fmt.Sprintf(" (holds in %d of %d seeds)", k, n)
		}
		if m == htmlMode {
			return fmt.Sprintf(`<a class="%s" href="#ledger-%s">%s</a>`, v.class(), html.EscapeString(v.Claim.Name), label)
		}
		return "**" + label + "**"
	case "claims":
		if len(d.Args) == 1 {
			return groupTable(p, d.Args[0], m)
		}
		return claimsTable(p, m)
	case "param":
		step, name := spec.SplitStepRef(d.Args[0])
		v, ok := p.Params[step][name]
		if !ok {
			return esc("n/a")
		}
		mod := ""
		if len(d.Args) == 2 {
			mod = d.Args[1]
		}
		return esc(formatParam(v, mod))
	}
	return d.String()
}

// formatParam prints a parameter for prose: numbers as written, lists as
// "a, b, …, z", and a list's len, min, max, first or last.
// evenlySpaced reports whether xs step by one amount (a grid).
func evenlySpaced(xs []float64) bool {
	step := xs[1] - xs[0]
	for i := 2; i < len(xs); i++ {
		if math.Abs(xs[i]-xs[i-1]-step) > 1e-9*math.Max(1, math.Abs(step)) {
			return false
		}
	}
	return true
}

func formatParam(v spec.Value, mod string) string {
	var xs []float64
	switch v.Kind {
	case spec.Ints:
		for _, x := range v.Ints {
			xs = append(xs, float64(x))
		}
	case spec.Floats:
		xs = v.Floats
	case spec.Int:
		xs = []float64{float64(v.Int)}
	case spec.Float:
		xs = []float64{v.Float}
	case spec.String:
		return v.Str
	case spec.Strings:
		if mod == "len" {
			return strconv.Itoa(len(v.Strings))
		}
		return strings.Join(v.Strings, ", ")
	default:
		return v.Canonical()
	}
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	if len(xs) == 0 {
		return ""
	}
	switch mod {
	case "len":
		return strconv.Itoa(len(xs))
	case "first":
		return g(xs[0])
	case "last":
		return g(xs[len(xs)-1])
	case "min", "max":
		m := xs[0]
		for _, x := range xs {
			if (mod == "min") == (x < m) {
				m = x
			}
		}
		return g(m)
	}
	if len(xs) > 4 && evenlySpaced(xs) { // a grid reads as its first two and last; any other list in full
		return g(xs[0]) + ", " + g(xs[1]) + ", …, " + g(xs[len(xs)-1])
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = g(x)
	}
	return strings.Join(parts, ", ")
}

func (p *Paper) verdict(c *spec.Claim) Verdict {
	digits := 0
	if n := p.number(c.Value); n != nil {
		digits = n.Digits
	}
	var when *Number
	if c.When != nil {
		when = p.Numbers[c.When.Value]
	}
	return Evaluate(c, p.Numbers[c.Value], digits, when)
}

// Verdicts returns the verdict of every claim of the paper, in spec order
// (not the checks of the build: Checks).
func (p *Paper) Verdicts() []Verdict { return p.verdicts(false) }

// Checks returns the verdict of every check of the build, in spec order.
func (p *Paper) Checks() []Verdict { return p.verdicts(true) }

func (p *Paper) verdicts(checks bool) []Verdict {
	var out []Verdict
	for _, c := range p.Spec.Claims {
		if c.Check == checks {
			out = append(out, p.verdict(c))
		}
	}
	return out
}

func figureFiles(name string) (svg, png string) {
	return "figures/" + name + ".svg", "figures/" + name + ".png"
}

func figureBlock(p *Paper, f *spec.Figure, m mode) string {
	fr := p.Figures[f.Name]
	label := "Figure " + f.Number
	svg, png := figureFiles(f.Name)
	var b strings.Builder
	if m == mdMode {
		if fr == nil || fr.Missing != "" {
			fmt.Fprintf(&b, "> **%s is missing:** %s\n", label, missingReason(fr))
			return b.String()
		}
		fmt.Fprintf(&b, "![%s: %s](%s)\n\n", label, plainText(f.Title), png)
		fmt.Fprintf(&b, "**%s.** %s\n\n", label, strings.TrimSpace(f.Caption))
		links := []string{fmt.Sprintf("[SVG](%s)", svg)}
		for _, d := range fr.Data {
			links = append(links, fmt.Sprintf("[%s](data/%s)", d.Name, d.Name))
		}
		fmt.Fprintf(&b, "Data: %s\n\n", strings.Join(links, " · "))
		b.WriteString("<details><summary>How it was built</summary>\n\n")
		b.WriteString("| step | op | parameters | action key |\n|---|---|---|---|\n")
		for _, s := range fr.Steps {
			var ps []string
			for _, pr := range s.Params {
				ps = append(ps, "`"+pr.Name+"="+strings.ReplaceAll(pr.Value, "|", "\\|")+"`")
			}
			fmt.Fprintf(&b, "| %s | %s v%d | %s | `%s` |\n", s.ID, s.Op, s.Version, strings.Join(ps, " "), short(s.Key))
		}
		fmt.Fprintf(&b, "\n%s\n\n</details>\n", provenance(p))
		return b.String()
	}
	fmt.Fprintf(&b, `<figure id="%s">`, html.EscapeString(f.Name))
	caption := fmt.Sprintf(`<figcaption><strong>%s.</strong> %s`, html.EscapeString(label), inlineHTML(strings.TrimSpace(f.Caption)))
	if fr == nil || fr.Missing != "" {
		fmt.Fprintf(&b, `<div class="missing"><strong>%s is missing:</strong> %s</div>`, html.EscapeString(label), html.EscapeString(missingReason(fr)))
		b.WriteString(caption + "</figcaption></figure>")
		return b.String()
	}
	fmt.Fprintf(&b, "\n"+`<a href="%s"><img src="%s" alt="%s"></a>`+"\n", svg, svg, html.EscapeString(label+": "+plainText(f.Title)))
	b.WriteString(caption + "\n")
	fmt.Fprintf(&b, `<span class="links"><a href="%s">SVG</a><a href="%s">PNG</a>`, svg, png)
	for _, d := range fr.Data {
		fmt.Fprintf(&b, `<a href="data/%s">%s</a>`, html.EscapeString(d.Name), html.EscapeString(d.Name))
	}
	b.WriteString("</span></figcaption>\n<details><summary>How it was built</summary>\n<table><tr><th>step</th><th>op</th><th>parameters</th><th>action key</th></tr>\n")
	for _, s := range fr.Steps {
		var ps []string
		for _, pr := range s.Params {
			ps = append(ps, "<code>"+html.EscapeString(pr.Name+"="+pr.Value)+"</code>")
		}
		fmt.Fprintf(&b, `<tr><td>%s</td><td>%s v%d</td><td>%s</td><td class="key" title="%s">%s</td></tr>`+"\n",
			html.EscapeString(s.ID), html.EscapeString(s.Op), s.Version, strings.Join(ps, " "), html.EscapeString(s.Key), html.EscapeString(short(s.Key)))
	}
	fmt.Fprintf(&b, "</table>\n<p>%s</p>\n</details>\n</figure>", html.EscapeString(provenance(p)))
	return b.String()
}

func missingReason(f *Figure) string {
	if f == nil {
		return "not built"
	}
	return f.Missing
}

func short(key string) string {
	if len(key) > 16 {
		return key[:16]
	}
	return key
}

func provenance(p *Paper) string {
	return fmt.Sprintf("Profile %q, built by %s. A step's random streams are ChaCha8 generators seeded with "+
		"SHA-256 of its seed identity (paper, step name, replicate, seed parameter and build seed) and the stream's name, "+
		"so a step draws the same numbers whatever its op's version or inputs; "+
		"the action key is the SHA-256 of the step's op and version, seed identity, parameters and input digests "+
		"(kadanoff explain STEP prints it).", p.Profile, p.Tool)
}

// claimsTable is the table of the paper's claims ({{claims}}), followed by
// that of the build's checks when there are any.
func claimsTable(p *Paper, m mode) string {
	s := verdictTable(p, p.Verdicts(), "claim", m)
	if cs := p.Checks(); len(cs) > 0 {
		if m == mdMode {
			s += "\nChecks of the build (not claims of the paper):\n\n"
		} else {
			s += "\n<p>Checks of the build (not claims of the paper):</p>\n"
		}
		s += verdictTable(p, cs, "check", m)
	}
	return s
}

func verdictTable(p *Paper, vs []Verdict, what string, m mode) string {
	var b strings.Builder
	if m == mdMode {
		b.WriteString("| " + what + " | figure | expected | measured | verdict |\n|---|---|---|---|---|\n")
		for _, v := range vs {
			fmt.Fprintf(&b, "| %s | %s | %s (%s) | %s | **%s** |\n", strings.ReplaceAll(v.Claim.Statement, "|", "\\|"), figNumber(p, v.Claim.Figure),
				v.Expected, v.Claim.Against, measured(v), v.Label())
		}
		return b.String()
	}
	b.WriteString(`<table class="claims"><tr><th>` + what + `</th><th>figure</th><th>expected</th><th>measured</th><th>verdict</th></tr>` + "\n")
	for _, v := range vs {
		fmt.Fprintf(&b, `<tr id="claim-%s"><td>%s</td><td>%s</td><td>%s <small>(%s)</small></td><td>%s</td><td class="%s">%s</td></tr>`+"\n",
			html.EscapeString(v.Claim.Name), inlineHTML(v.Claim.Statement), html.EscapeString(figNumber(p, v.Claim.Figure)),
			html.EscapeString(v.Expected), html.EscapeString(v.Claim.Against), html.EscapeString(measured(v)), v.class(), v.Label())
	}
	b.WriteString("</table>")
	return b.String()
}

// groupVerdicts returns the verdicts of claim name, or of the members of the
// claim group name (name[axis=value,…]), in spec order.
func groupVerdicts(p *Paper, name string) []Verdict {
	var out []Verdict
	for _, v := range append(p.Verdicts(), p.Checks()...) {
		if v.Claim.Name == name || strings.HasPrefix(v.Claim.Name, name+"[") {
			out = append(out, v)
		}
	}
	return out
}

// groupTable is the table of a claim group's members ({{claims GROUP}}): the
// member, what is expected, what was measured, the verdict.
func groupTable(p *Paper, name string, m mode) string {
	vs := groupVerdicts(p, name)
	member := func(v Verdict) string {
		if sel := strings.TrimPrefix(v.Claim.Name, name); sel != "" {
			return strings.Trim(sel, "[]")
		}
		return v.Claim.Name
	}
	var b strings.Builder
	if m == mdMode {
		b.WriteString("| " + name + " | expected | measured | verdict |\n|---|---|---|---|\n")
		for _, v := range vs {
			fmt.Fprintf(&b, "| %s | %s (%s) | %s | **%s** |\n", member(v), v.Expected, v.Claim.Against, measured(v), v.Label())
		}
		return b.String()
	}
	b.WriteString(`<table class="claims"><tr><th>` + html.EscapeString(name) + `</th><th>expected</th><th>measured</th><th>verdict</th></tr>` + "\n")
	for _, v := range vs {
		fmt.Fprintf(&b, `<tr><td>%s</td><td>%s <small>(%s)</small></td><td>%s</td><td><a class="%s" href="#ledger-%s">%s</a></td></tr>`+"\n",
			html.EscapeString(member(v)), html.EscapeString(v.Expected), html.EscapeString(v.Claim.Against), html.EscapeString(measured(v)),
			v.class(), html.EscapeString(v.Claim.Name), v.Label())
	}
	b.WriteString("</table>")
	return b.String()
}

func figNumber(p *Paper, name string) string {
	if f := p.figure(name); f != nil {
		return f.Number
	}
	return ""
}
