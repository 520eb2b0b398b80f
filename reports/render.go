package reports

import (
	"bytes"
	"embed"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	ghtml "github.com/yuin/goldmark/renderer/html"

	"github.com/kadanoff/kadanoff/pipeline/spec"
)

//go:embed assets
var assets embed.FS

// mode is the output a narrative is expanded for.
type mode int

const (
	htmlMode mode = iota
	mdMode
)

var directive = regexp.MustCompile(`\{\{\s*(figure|value|claim|claims)\b\s*([A-Za-z0-9_-]*)\s*\}\}`)

// Error is a problem in a narrative, located by file and line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Check reports the narrative's unknown names and misplaced directives without
// rendering anything.
func Check(p *Paper) error {
	_, err := expand(p, htmlMode)
	return err
}

// expand replaces the directives of the narrative with their content.
func expand(p *Paper, m mode) (string, error) {
	file := p.Spec.Narrative
	src, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: narrative: %w", p.Spec.File, err)
	}
	figs, nums, claims := map[string]*spec.Figure{}, map[string]*spec.Number{}, map[string]*spec.Claim{}
	for _, f := range p.Spec.Figures {
		figs[f.Name] = f
	}
	for _, n := range p.Spec.Numbers {
		nums[n.Name] = n
	}
	for _, c := range p.Spec.Claims {
		claims[c.Name] = c
	}
	var errs []string
	var out strings.Builder
	sawClaims := false
	lines := strings.Split(string(src), "\n")
	for i, line := range lines {
		lineErr := func(format string, args ...any) {
			errs = append(errs, (&Error{File: file, Line: i + 1, Msg: fmt.Sprintf(format, args...)}).Error())
		}
		line = directive.ReplaceAllStringFunc(line, func(d string) string {
			sm := directive.FindStringSubmatch(d)
			kind, name := sm[1], sm[2]
			block := strings.TrimSpace(line) == d
			switch kind {
			case "figure":
				f, ok := figs[name]
				if !ok {
					lineErr("unknown figure %q", name)
					return d
				}
				if !block {
					lineErr("{{figure %s}} must stand alone on its line", name)
					return d
				}
				return figureBlock(p, f, m)
			case "value":
				n, ok := nums[name]
				if !ok {
					lineErr("unknown value %q", name)
					return d
				}
				return p.Numbers[name].Format(n.Digits)
			case "claim":
				c, ok := claims[name]
				if !ok {
					lineErr("unknown claim %q", name)
					return d
				}
				v := p.verdict(c)
				if m == htmlMode {
					return fmt.Sprintf(`<span class="%s">%s</span>`, v.class(), v.Label())
				}
				return "**" + v.Label() + "**"
			case "claims":
				if name != "" {
					lineErr("{{claims}} takes no name")
					return d
				}
				if !block {
					lineErr("{{claims}} must stand alone on its line")
					return d
				}
				sawClaims = true
				return claimsTable(p, m)
			}
			return d
		})
		out.WriteString(line)
		out.WriteByte('\n')
	}
	if len(errs) > 0 {
		return "", fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	if !sawClaims && len(p.Spec.Claims) > 0 {
		out.WriteString("\n## Claims\n\n" + claimsTable(p, m) + "\n")
	}
	return out.String(), nil
}

func (p *Paper) verdict(c *spec.Claim) Verdict {
	digits := 0
	for _, n := range p.Spec.Numbers {
		if n.Name == c.Value {
			digits = n.Digits
		}
	}
	return Evaluate(c, p.Numbers[c.Value], digits)
}

// Verdicts returns the verdict of every claim, in spec order.
func (p *Paper) Verdicts() []Verdict {
	var out []Verdict
	for _, c := range p.Spec.Claims {
		out = append(out, p.verdict(c))
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
		fmt.Fprintf(&b, "![%s: %s](%s)\n\n", label, f.Title, png)
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
	if fr == nil || fr.Missing != "" {
		fmt.Fprintf(&b, `<div class="missing"><strong>%s is missing:</strong> %s</div>`, label, html.EscapeString(missingReason(fr)))
		fmt.Fprintf(&b, "<figcaption><strong>%s.</strong> %s</figcaption></figure>", label, html.EscapeString(strings.TrimSpace(f.Caption)))
		return b.String()
	}
	fmt.Fprintf(&b, "\n"+`<a href="%s"><img src="%s" alt="%s: %s"></a>`+"\n", svg, svg, label, html.EscapeString(f.Title))
	fmt.Fprintf(&b, `<figcaption><strong>%s.</strong> %s`+"\n", label, html.EscapeString(strings.TrimSpace(f.Caption)))
	fmt.Fprintf(&b, `<span class="links"><a href="%s">SVG</a><a href="%s">PNG</a>`, svg, png)
	for _, d := range fr.Data {
		fmt.Fprintf(&b, `<a href="data/%s">%s</a>`, d.Name, d.Name)
	}
	b.WriteString("</span></figcaption>\n<details><summary>How it was built</summary>\n<table><tr><th>step</th><th>op</th><th>parameters</th><th>action key</th></tr>\n")
	for _, s := range fr.Steps {
		var ps []string
		for _, pr := range s.Params {
			ps = append(ps, "<code>"+html.EscapeString(pr.Name+"="+pr.Value)+"</code>")
		}
		fmt.Fprintf(&b, `<tr><td>%s</td><td>%s v%d</td><td>%s</td><td class="key" title="%s">%s</td></tr>`+"\n",
			html.EscapeString(s.ID), html.EscapeString(s.Op), s.Version, strings.Join(ps, " "), s.Key, short(s.Key))
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
		"SHA-256(\"kadanoff seed\", action key, stream name), so outputs depend only on the action key; "+
		"the key is the SHA-256 of the step's op and version, parameters and input digests "+
		"(kadanoff explain STEP prints it).", p.Profile, p.Tool)
}

func claimsTable(p *Paper, m mode) string {
	var b strings.Builder
	vs := p.Verdicts()
	if m == mdMode {
		b.WriteString("| claim | figure | expected | measured | verdict |\n|---|---|---|---|---|\n")
		for _, v := range vs {
			fmt.Fprintf(&b, "| %s | %s | %s (%s) | %s | **%s** |\n", v.Claim.Statement, figNumber(p, v.Claim.Figure),
				v.Expected, v.Claim.Against, v.Measured, v.Label())
		}
		return b.String()
	}
	b.WriteString(`<table class="claims"><tr><th>claim</th><th>figure</th><th>expected</th><th>measured</th><th>verdict</th></tr>` + "\n")
	for _, v := range vs {
		fmt.Fprintf(&b, `<tr id="claim-%s"><td>%s</td><td>%s</td><td>%s <small>(%s)</small></td><td>%s</td><td class="%s">%s</td></tr>`+"\n",
			html.EscapeString(v.Claim.Name), html.EscapeString(v.Claim.Statement), html.EscapeString(figNumber(p, v.Claim.Figure)),
			html.EscapeString(v.Expected), v.Claim.Against, html.EscapeString(v.Measured), v.class(), v.Label())
	}
	b.WriteString("</table>")
	return b.String()
}

func figNumber(p *Paper, name string) string {
	for _, f := range p.Spec.Figures {
		if f.Name == name {
			return f.Number
		}
	}
	return ""
}

var mathRE = regexp.MustCompile(`\$\$([^$]+)\$\$|\$([^$\n]+)\$`)

// protectMath swaps math for placeholders goldmark leaves alone, returning the
// HTML each placeholder stands for.
func protectMath(src string) (string, map[string]string) {
	repl := map[string]string{}
	i := 0
	out := mathRE.ReplaceAllStringFunc(src, func(s string) string {
		sm := mathRE.FindStringSubmatch(s)
		tok := "KADANOFFMATH" + strconv.Itoa(i) + "X"
		i++
		if sm[1] != "" {
			repl[tok] = `<span class="math display">` + html.EscapeString(sm[1]) + `</span>`
		} else {
			repl[tok] = `<span class="math">` + html.EscapeString(sm[2]) + `</span>`
		}
		return tok
	})
	return out, repl
}

var mdRenderer = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithRendererOptions(ghtml.WithUnsafe()),
)

// renderHTML renders a narrative already expanded for HTML.
func renderHTML(src string) (string, error) {
	src, repl := protectMath(src)
	var b bytes.Buffer
	if err := mdRenderer.Convert([]byte(src), &b); err != nil {
		return "", err
	}
	out := b.String()
	for tok, h := range repl {
		out = strings.ReplaceAll(out, tok, h)
	}
	return out, nil
}

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="stylesheet" href="{{.Root}}assets/katex/katex.min.css">
<link rel="stylesheet" href="{{.Root}}assets/style.css">
</head>
<body>
{{.Body}}
<script src="{{.Root}}assets/katex/katex.min.js"></script>
<script>
(function () {
  var math = document.querySelectorAll(".math"), ok = 0;
  math.forEach(function (el) {
    try {
      katex.render(el.textContent, el, {displayMode: el.classList.contains("display"), throwOnError: true});
      ok++;
    } catch (e) {
      el.classList.add("math-error");
      el.title = String(e);
    }
  });
  document.body.setAttribute("data-math", ok + "/" + math.length);
  function figures() {
    var imgs = document.querySelectorAll("figure img"), n = 0;
    imgs.forEach(function (im) { if (im.complete && im.naturalWidth > 0) n++; });
    document.body.setAttribute("data-figures", n + "/" + imgs.length);
  }
  if (document.readyState === "complete") figures(); else window.addEventListener("load", figures);
})();
</script>
</body>
</html>
`))

type page struct {
	Title string
	Root  string
	Body  template.HTML
}

// Write writes the reports of papers under out: out/index.html, out/assets/,
// and per paper out/ID/index.html, out/ID/README.md, figures/ and data/. Files
// whose content is unchanged are not rewritten.
func Write(out string, papers []*Paper) error {
	if err := writeAssets(out); err != nil {
		return err
	}
	var idx strings.Builder
	idx.WriteString("<header><h1>Kadanoff reports</h1><p class=\"meta\">Is deep learning a renormalization-group flow? Figures regenerated from source.</p></header>\n<ul>\n")
	for _, p := range papers {
		if err := writePaper(out, p); err != nil {
			return fmt.Errorf("report %s: %w", p.Spec.Paper.ID, err)
		}
		pass, total := 0, 0
		for _, v := range p.Verdicts() {
			total++
			if v.Pass {
				pass++
			}
		}
		fmt.Fprintf(&idx, `<li><a href="%s/index.html">%s</a> — %s <span class="badge">profile %s</span> <span class="badge">%d/%d claims reproduced</span></li>`+"\n",
			p.Spec.Paper.ID, html.EscapeString(p.Spec.Paper.Title), html.EscapeString(p.Spec.Paper.Authors), html.EscapeString(p.Profile), pass, total)
	}
	idx.WriteString("</ul>\n")
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, page{Title: "Kadanoff reports", Root: "", Body: template.HTML(idx.String())}); err != nil {
		return err
	}
	return writeIfChanged(filepath.Join(out, "index.html"), b.Bytes())
}

func header(p *Paper, m mode) string {
	pp := p.Spec.Paper
	if m == mdMode {
		return fmt.Sprintf("# %s\n\n%s. *%s*. [%s](%s)\n\nReproduced by Kadanoff, profile `%s` (%s).\n\n",
			pp.Title, pp.Authors, pp.Citation, pp.Link, pp.Link, p.Profile, p.Tool)
	}
	return fmt.Sprintf("<header><p class=\"meta\"><a href=\"../index.html\">Kadanoff reports</a></p><h1>%s</h1>\n<p class=\"meta\">%s. <em>%s</em>. <a href=\"%s\">%s</a></p>\n<p class=\"meta\"><span class=\"badge\">profile %s</span> <span class=\"badge\">%s</span></p></header>\n\n",
		html.EscapeString(pp.Title), html.EscapeString(pp.Authors), html.EscapeString(pp.Citation), html.EscapeString(pp.Link), html.EscapeString(pp.Link),
		html.EscapeString(p.Profile), html.EscapeString(p.Tool))
}

func writePaper(out string, p *Paper) error {
	dir := filepath.Join(out, p.Spec.Paper.ID)
	htmlSrc, err := expand(p, htmlMode)
	if err != nil {
		return err
	}
	mdSrc, err := expand(p, mdMode)
	if err != nil {
		return err
	}
	body, err := renderHTML(header(p, htmlMode) + htmlSrc)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, page{Title: p.Spec.Paper.Title + " — Kadanoff", Root: "../", Body: template.HTML(body)}); err != nil {
		return err
	}
	files := map[string][]byte{
		"index.html": b.Bytes(),
		"README.md":  []byte(header(p, mdMode) + mdSrc),
	}
	for name, f := range p.Figures {
		if f.Missing != "" {
			continue
		}
		svg, png := figureFiles(name)
		files[svg], files[png] = f.SVG, f.PNG
		for _, d := range f.Data {
			files["data/"+d.Name] = d.Data
		}
	}
	for name, data := range files {
		if err := writeIfChanged(filepath.Join(dir, filepath.FromSlash(name)), data); err != nil {
			return err
		}
	}
	return nil
}

func writeAssets(out string) error {
	return fs.WalkDir(assets, "assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := assets.ReadFile(path)
		if err != nil {
			return err
		}
		return writeIfChanged(filepath.Join(out, filepath.FromSlash(path)), data)
	})
}

// writeIfChanged writes data to path (atomically) unless it already holds it.
func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
