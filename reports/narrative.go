package reports

import (
	"bytes"
	"fmt"
	"html"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Directive is a {{verb args}} of a narrative: an inline node, or, for the
// block verbs (figure, claims) standing alone in a paragraph, the child of a
// DirectiveBlock.
type Directive struct {
	ast.BaseInline
	Verb string
	Args []string
	// Start and Stop are the directive's byte offsets in the narrative.
	Start, Stop int
}

// KindDirective is the ast.NodeKind of Directive.
var KindDirective = ast.NewNodeKind("Directive")

// Kind implements ast.Node.
func (d *Directive) Kind() ast.NodeKind { return KindDirective }

// Dump implements ast.Node.
func (d *Directive) Dump(source []byte, level int) {
	ast.DumpHelper(d, source, level, map[string]string{"Verb": d.Verb, "Args": strings.Join(d.Args, " ")}, nil)
}

// String is the directive as written.
func (d *Directive) String() string {
	return "{{" + strings.Join(append([]string{d.Verb}, d.Args...), " ") + "}}"
}

// DirectiveBlock is a paragraph that holds only a block directive.
type DirectiveBlock struct {
	ast.BaseBlock
	Directive *Directive
}

// KindDirectiveBlock is the ast.NodeKind of DirectiveBlock.
var KindDirectiveBlock = ast.NewNodeKind("DirectiveBlock")

// Kind implements ast.Node.
func (b *DirectiveBlock) Kind() ast.NodeKind { return KindDirectiveBlock }

// Dump implements ast.Node.
func (b *DirectiveBlock) Dump(source []byte, level int) {
	ast.DumpHelper(b, source, level, map[string]string{"Directive": b.Directive.String()}, nil)
}

// Math is $…$ (inline) or $$…$$ (display) TeX, typeset in the browser.
type Math struct {
	ast.BaseInline
	TeX     string
	Display bool
}

// KindMath is the ast.NodeKind of Math.
var KindMath = ast.NewNodeKind("Math")

// Kind implements ast.Node.
func (m *Math) Kind() ast.NodeKind { return KindMath }

// Dump implements ast.Node.
func (m *Math) Dump(source []byte, level int) {
	ast.DumpHelper(m, source, level, map[string]string{"TeX": m.TeX}, nil)
}

// Resolver gives the content of directives.
type Resolver interface {
	// Check reports what is wrong with a directive (an unknown verb or name),
	// or nil.
	Check(d *Directive) error
	// HTML returns a directive's HTML; block is set for a directive alone in
	// its paragraph.
	HTML(d *Directive, block bool) string
	// Markdown returns a directive's Markdown.
	Markdown(d *Directive, block bool) string
}

// blockVerb reports whether a directive stands alone on its line.
func blockVerb(verb string) bool { return verb == "figure" || verb == "claims" }

type directiveParser struct{}

func (directiveParser) Trigger() []byte { return []byte{'{'} }

func (directiveParser) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, seg := block.PeekLine()
	if !bytes.HasPrefix(line, []byte("{{")) {
		return nil
	}
	end := bytes.Index(line, []byte("}}"))
	if end < 0 {
		return nil
	}
	fields := strings.Fields(string(line[2:end]))
	if len(fields) == 0 {
		return nil
	}
	d := &Directive{Verb: fields[0], Args: fields[1:], Start: seg.Start, Stop: seg.Start + end + 2}
	block.Advance(end + 2)
	return d
}

type mathParser struct{}

func (mathParser) Trigger() []byte { return []byte{'$'} }

// Parse reads $…$ or $$…$$ on one line. As in Pandoc, an opening $ is not
// followed by a space and a closing $ neither preceded by one nor followed by
// a digit, so "$5 and $ 6" stays text (write "$T =$ 2", not "$T = $ 2").
func (mathParser) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, _ := block.PeekLine()
	delim := 1
	if bytes.HasPrefix(line, []byte("$$")) {
		delim = 2
	}
	body := line[delim:]
	if len(body) == 0 || body[0] == ' ' || body[0] == '\t' || body[0] == '\n' {
		return nil
	}
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '\\':
			i++
		case '\n':
			return nil
		case '$':
			if delim == 2 {
				if i+1 < len(body) && body[i+1] == '$' {
					block.Advance(delim + i + 2)
					return &Math{TeX: string(body[:i]), Display: true}
				}
				continue
			}
			if body[i-1] == ' ' || (i+1 < len(body) && body[i+1] >= '0' && body[i+1] <= '9') {
				continue
			}
			block.Advance(delim + i + 1)
			return &Math{TeX: string(body[:i])}
		}
	}
	return nil
}

// blockTransformer turns a paragraph holding only a block directive into a
// DirectiveBlock.
type blockTransformer struct{}

func (blockTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	var paras []*ast.Paragraph
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if p, ok := n.(*ast.Paragraph); ok && entering {
			paras = append(paras, p)
		}
		return ast.WalkContinue, nil
	})
	for _, p := range paras {
		var only *Directive
		ok := true
		for c := p.FirstChild(); c != nil; c = c.NextSibling() {
			switch n := c.(type) {
			case *Directive:
				if only != nil {
					ok = false
				}
				only = n
			case *ast.Text:
				if len(bytes.TrimSpace(n.Segment.Value(reader.Source()))) > 0 {
					ok = false
				}
			default:
				ok = false
			}
		}
		if ok && only != nil && blockVerb(only.Verb) {
			b := &DirectiveBlock{Directive: only}
			p.Parent().ReplaceChild(p.Parent(), p, b)
		}
	}
}

// htmlRenderer renders directives through a Resolver, and math as spans that
// the report's KaTeX typesets.
type htmlRenderer struct{ r Resolver }

func (h htmlRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(KindDirective, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			w.WriteString(h.r.HTML(n.(*Directive), false))
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(KindDirectiveBlock, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			w.WriteString(h.r.HTML(n.(*DirectiveBlock).Directive, true))
			w.WriteByte('\n')
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(KindMath, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			w.WriteString(mathHTML(n.(*Math)))
		}
		return ast.WalkSkipChildren, nil
	})
}

func mathHTML(m *Math) string {
	if m.Display {
		return `<span class="math display">` + html.EscapeString(m.TeX) + `</span>`
	}
	return `<span class="math">` + html.EscapeString(m.TeX) + `</span>`
}

// Extension adds directives and math to goldmark; r resolves directives
// (nil: math only).
type Extension struct{ R Resolver }

// Extend implements goldmark.Extender.
func (e Extension) Extend(m goldmark.Markdown) {
	ips := []util.PrioritizedValue{util.Prioritized(mathParser{}, 150)}
	if e.R != nil {
		ips = append(ips, util.Prioritized(directiveParser{}, 140))
		m.Parser().AddOptions(parser.WithASTTransformers(util.Prioritized(blockTransformer{}, 100)))
	}
	m.Parser().AddOptions(parser.WithInlineParsers(ips...))
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(htmlRenderer{r: e.R}, 100)))
}

// newMarkdown returns the narrative's Markdown processor: CommonMark with
// GitHub tables, math and directives; raw HTML in the source is not passed
// through.
func newMarkdown(r Resolver) goldmark.Markdown {
	return goldmark.New(goldmark.WithExtensions(extension.GFM, Extension{R: r}),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()))
}

// directives returns the narrative's directives in order, with whether each
// stands alone.
func directives(md goldmark.Markdown, src []byte) []located {
	doc := md.Parser().Parse(text.NewReader(src))
	var out []located
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch d := n.(type) {
		case *Directive:
			out = append(out, located{d, false})
		case *DirectiveBlock:
			out = append(out, located{d.Directive, true})
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return out
}

type located struct {
	d     *Directive
	block bool
}

// lineOf is the 1-based line of a byte offset.
func lineOf(src []byte, off int) int { return bytes.Count(src[:min(off, len(src))], []byte("\n")) + 1 }

// checkNarrative reports every bad directive of src with its file and line.
func checkNarrative(file string, src []byte, r Resolver) error {
	var errs []string
	for _, l := range directives(newMarkdown(r), src) {
		err := r.Check(l.d)
		if err == nil && blockVerb(l.d.Verb) && !l.block {
			err = fmt.Errorf("%s must stand alone on its line", l.d)
		}
		if err != nil {
			errs = append(errs, (&Error{File: file, Line: lineOf(src, l.d.Start), Msg: err.Error()}).Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

// renderNarrativeHTML renders a checked narrative to HTML.
func renderNarrativeHTML(src []byte, r Resolver) (string, error) {
	var b bytes.Buffer
	if err := newMarkdown(r).Convert(src, &b); err != nil {
		return "", err
	}
	return b.String(), nil
}

// renderNarrativeMarkdown splices each directive's Markdown into the source;
// the rest (math included) is kept as written.
func renderNarrativeMarkdown(src []byte, r Resolver) string {
	var b strings.Builder
	at := 0
	for _, l := range directives(newMarkdown(r), src) {
		b.Write(src[at:l.d.Start])
		b.WriteString(r.Markdown(l.d, l.block))
		at = l.d.Stop
	}
	b.Write(src[at:])
	return b.String()
}

// inlineHTML renders a short Markdown text (a caption, a title, a claim's
// statement) with its math to inline HTML, escaped once.
func inlineHTML(s string) string {
	var b bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(Extension{})).Convert([]byte(s), &b); err != nil {
		return html.EscapeString(s)
	}
	out := strings.TrimSpace(b.String())
	out = strings.TrimPrefix(out, "<p>")
	return strings.TrimSuffix(out, "</p>")
}

// plainText drops the math delimiters of s, for attributes such as alt.
func plainText(s string) string {
	return strings.NewReplacer("$$", "", "$", "").Replace(s)
}
