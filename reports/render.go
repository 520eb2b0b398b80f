package reports

import (
	"bytes"
	"cmp"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/kadanoff/kadanoff/figures"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

//go:embed assets
var assets embed.FS

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
	if out == "" {
		return fmt.Errorf("no output directory")
	}
	if err := writeAssets(out); err != nil {
		return err
	}
	for _, p := range papers {
		if err := writePaper(out, p); err != nil {
			return fmt.Errorf("report %s: %w", p.Spec.Paper.ID, err)
		}
	}
	return writeIndex(out)
}

// writeIndex lists every report under out.
func writeIndex(out string) error {
	sums, err := ReadSummaries(out)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(sums))
	for id := range sums {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var idx strings.Builder
	idx.WriteString("<header><h1>Kadanoff reports</h1><p class=\"meta\">Is deep learning a renormalization-group flow? Figures regenerated from source.</p></header>\n<ul>\n")
	for _, id := range ids {
		s := sums[id]
		fmt.Fprintf(&idx, `<li><a href="%s/index.html">%s</a> — %s <span class="badge">profile %s</span> <a href="%s/index.html#ledger">claims</a>: `,
			html.EscapeString(s.ID), inlineHTML(s.Title), html.EscapeString(s.Authors), html.EscapeString(s.Profile), html.EscapeString(s.ID))
		for _, st := range []struct {
			state State
			n     int
		}{{Reproduced, s.Reproduced}, {SeedDependent, s.SeedDependent}, {NotReproduced, s.NotReproduced}, {NotEvaluated, s.NotEvaluated}} {
			fmt.Fprintf(&idx, `<span class="badge %s">%d %s</span> `, Verdict{State: st.state}.class(), st.n, st.state)
		}
		fmt.Fprintf(&idx, "of %d", s.Claims)
		if s.Checks > 0 {
			fmt.Fprintf(&idx, `; <a href="%s/index.html#ledger-checks">checks</a>: %d of %d pass`, html.EscapeString(s.ID), s.ChecksPassed, s.Checks)
		}
		fmt.Fprintf(&idx, ` <span class="badge">%s</span>`, html.EscapeString(s.Tool))
		idx.WriteString(thumbnails(s))
		idx.WriteString("</li>\n")
	}
	idx.WriteString("</ul>\n")
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, page{Title: "Kadanoff reports", Root: "", Body: template.HTML(idx.String())}); err != nil {
		return err
	}
	return writeIfChanged(filepath.Join(out, "index.html"), b.Bytes())
}

// thumbnails is a strip of a report's figures, each linking to it in the
// report.
func thumbnails(s *Summary) string {
	var b strings.Builder
	for _, f := range s.Figures {
		if f.Missing != "" || f.PNG == "" {
			continue
		}
		if b.Len() == 0 {
			b.WriteString(`<div class="thumbs">`)
		}
		fmt.Fprintf(&b, `<a href="%s/index.html#%s"><img src="%s/%s" alt="%s" loading="lazy"></a>`, html.EscapeString(s.ID), html.EscapeString(f.Name),
			html.EscapeString(s.ID), html.EscapeString(f.PNG), html.EscapeString(f.Name))
	}
	if b.Len() > 0 {
		b.WriteString("</div>")
	}
	return b.String()
}

// prune removes from a paper's report directory what this build did not
// write: figures and data of figures no longer in the spec, and temporary
// files of an interrupted build.
func prune(dir string, keep map[string][]byte) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if _, ok := keep[filepath.ToSlash(rel)]; !ok {
			return os.Remove(path)
		}
		return nil
	})
}

// notPaperScale is the banner of a report built at a profile other than
// paper: the quick profile's is a smaller-scale check; another profile's
// (an extended one) says what it is by its doc.
func notPaperScale(p *Paper) string {
	if pr := p.Spec.Profiles[p.Profile]; p.Profile != "quick" && pr != nil && pr.Doc != "" {
		return fmt.Sprintf("Built with the %s profile, not the paper profile: %s", p.Profile, strings.TrimSuffix(pr.Doc, ".")) +
			". Build with --profile paper for the paper profile's figures, numbers and verdicts."
	}
	return fmt.Sprintf("Built with the %s profile — not the paper's scale. Figures, numbers and verdicts are smaller-scale "+
		"checks; build with --profile paper for the paper's.", p.Profile)
}

// mdLedger is the Markdown ledger, when the spec has claims.
func mdLedger(p *Paper) string {
	if len(p.Spec.Claims) == 0 {
		return ""
	}
	return ledger(p, mdMode)
}

func header(p *Paper, m mode) string {
	pp := p.Spec.Paper
	if m == mdMode {
		s := fmt.Sprintf("# %s\n\n%s. *%s*. [%s](%s)\n\nReproduced by Kadanoff, profile `%s` (%s).\n\n",
			pp.Title, pp.Authors, pp.Citation, pp.Link, pp.Link, p.Profile, p.Tool)
		if p.Profile != "paper" {
			s += "> **" + notPaperScale(p) + "**\n\n"
		}
		return s
	}
	s := fmt.Sprintf("<header><p class=\"meta\"><a href=\"../index.html\">Kadanoff reports</a></p><h1>%s</h1>\n<p class=\"meta\">%s. <em>%s</em>. <a href=\"%s\">%s</a></p>\n<p class=\"meta\"><span class=\"badge\">profile %s</span> <span class=\"badge\">%s</span></p></header>\n",
		inlineHTML(pp.Title), html.EscapeString(pp.Authors), html.EscapeString(pp.Citation), html.EscapeString(pp.Link), html.EscapeString(pp.Link),
		html.EscapeString(p.Profile), html.EscapeString(p.Tool))
	if p.Profile != "paper" {
		s += `<p class="banner">` + html.EscapeString(notPaperScale(p)) + "</p>\n"
	}
	return s + "\n"
}

func writePaper(out string, p *Paper) error {
	dir := filepath.Join(out, p.Spec.Paper.ID)
	// The report directory and its folders are this tool's: written into and
	// pruned. Through a link they would be someone else's.
	for _, d := range []string{dir, filepath.Join(dir, "figures"), filepath.Join(dir, "data")} {
		if fi, err := os.Lstat(d); err == nil && !fi.IsDir() {
			return fmt.Errorf("%s is not a directory (a link?); refusing to write the report through it", d)
		}
	}
	src, err := p.narrative()
	if err != nil {
		return err
	}
	if err := checkNarrative(p.Spec.Narrative, src, p); err != nil {
		return err
	}
	narr, err := renderNarrativeHTML(src, p)
	if err != nil {
		return err
	}
	body := header(p, htmlMode) + contents(p, narr)
	if len(p.Spec.Claims) > 0 {
		body += ledger(p, htmlMode)
	}
	body += narr
	if !p.sawClaims(src) && len(p.Spec.Claims) > 0 {
		body += "<h2>Claims</h2>\n" + claimsTable(p, htmlMode) + "\n"
	}
	mdSrc, err := p.narrativeText(false)
	if err != nil {
		return err
	}
	mdBody := renderNarrativeMarkdown(mdSrc, p)
	if !p.sawClaims(src) && len(p.Spec.Claims) > 0 {
		mdBody += "\n## Claims\n\n" + claimsTable(p, mdMode) + "\n"
	}
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, page{Title: p.Spec.Paper.Title + " — Kadanoff", Root: "../", Body: template.HTML(body)}); err != nil {
		return err
	}
	files := map[string][]byte{
		"index.html": b.Bytes(),
		"README.md":  []byte(header(p, mdMode) + mdLedger(p) + mdBody),
	}
	for name, f := range p.Figures {
		if f.Missing != "" {
			continue
		}
		svg, png := figureFiles(name)
		files[svg], files[png] = figures.StampSoftware(f.SVG, p.Tool), figures.StampSoftware(f.PNG, p.Tool)
		for _, d := range f.Data {
			files["data/"+d.Name] = d.Data
		}
	}
	// Prune only a directory this tool wrote before (it holds a summary.json),
	// never one that happens to have the paper's name.
	_, statErr := os.Stat(filepath.Join(dir, "summary.json"))
	ours := statErr == nil
	var sum bytes.Buffer
	enc := json.NewEncoder(&sum)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	summary := p.Summary()
	if err := enc.Encode(summary); err != nil {
		return err
	}
	files["summary.json"] = sum.Bytes()
	// The stamp goes first and comes back last: a report half rewritten
	// is never taken for fresh.
	if err := os.Remove(filepath.Join(dir, StampFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for name, data := range files {
		if err := writeIfChanged(filepath.Join(dir, filepath.FromSlash(name)), data); err != nil {
			return err
		}
	}
	if ours {
		if err := prune(dir, files); err != nil {
			return err
		}
	}
	if p.Inputs == "" {
		return nil
	}
	return writeStamp(dir, p.Inputs, files, summary)
}

// headingRE finds the narrative's section headings, which carry ids.
var headingRE = regexp.MustCompile(`<h([23]) id="([^"]+)">(.*?)</h[23]>`)

// contents is the report's table of contents: the claims ledger, the
// narrative's sections (h2, with their h3 under them) and the figures.
func contents(p *Paper, narr string) string {
	var b strings.Builder
	b.WriteString(`<nav class="toc"><h2>Contents</h2><ul>` + "\n")
	if len(p.Spec.Claims) > 0 {
		b.WriteString(`<li><a href="#ledger">Claims ledger</a>`)
		if len(p.Checks()) > 0 {
			b.WriteString(`<ul><li><a href="#ledger-checks">Checks of the build</a></li></ul>`)
		}
		b.WriteString("</li>\n")
	}
	open := false
	for _, m := range headingRE.FindAllStringSubmatch(narr, -1) {
		if m[1] == "3" {
			if !open {
				b.WriteString("<ul>")
				open = true
			}
		} else if open {
			b.WriteString("</ul>")
			open = false
		}
		fmt.Fprintf(&b, `<li><a href="#%s">%s</a></li>`+"\n", m[2], m[3])
	}
	if open {
		b.WriteString("</ul>")
	}
	fs := slices.Clone(p.Spec.Figures)
	slices.SortStableFunc(fs, func(a, b *spec.Figure) int { return cmp.Compare(figureOrder(a.Number), figureOrder(b.Number)) })
	var figs []string
	for _, f := range fs {
		figs = append(figs, fmt.Sprintf(`<a href="#%s">%s</a>`, html.EscapeString(f.Name), html.EscapeString(f.Number)))
	}
	if len(figs) > 0 {
		b.WriteString(`<li>Figures: ` + strings.Join(figs, ", ") + "</li>\n")
	}
	b.WriteString("</ul></nav>\n")
	return b.String()
}

// figureOrder sorts figure numbers as a reader counts them: 2, 5a, 5b, 12,
// then supplementary ones (S1, S2, …).
func figureOrder(number string) string {
	supp := "0"
	if strings.HasPrefix(number, "S") {
		supp, number = "1", number[1:]
	}
	digits := len(number) - len(strings.TrimLeft(number, "0123456789"))
	return supp + strings.Repeat("0", max(0, 6-digits)) + number
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
	return cache.WriteFile(path, data)
}
