package reports

import (
	"fmt"
	"strings"
	"testing"

	"github.com/yuin/goldmark/testutil"
)

// fakeResolver renders directives as visible markers, so the case files test
// the parsing, block detection and escaping of the extension alone.
type fakeResolver struct{}

func (fakeResolver) Check(d *Directive) error {
	if d.Verb == "bad" {
		return fmt.Errorf("unknown directive %s", d)
	}
	return nil
}

func (fakeResolver) HTML(d *Directive, block bool) string {
	if block {
		return fmt.Sprintf(`<div class="%s">%s</div>`, d.Verb, strings.Join(d.Args, " "))
	}
	return fmt.Sprintf(`<span class="%s">%s</span>`, d.Verb, strings.Join(d.Args, " "))
}

func (fakeResolver) Markdown(d *Directive, block bool) string {
	if block {
		return "BLOCK(" + d.Verb + ")"
	}
	return "[" + d.Verb + ":" + strings.Join(d.Args, ",") + "]"
}

// TestExtensionCases renders the case files of testdata/extension.txt
// (goldmark's format) through the directive and math extension.
func TestExtensionCases(t *testing.T) {
	testutil.DoTestCaseFile(newMarkdown(fakeResolver{}), "testdata/extension.txt", t)
}

// Markdown output splices each directive's Markdown into the source and
// leaves math and code as written.
func TestNarrativeMarkdown(t *testing.T) {
	src := "Value {{value x}} and `{{value y}}`.\n\n{{figure f}}\n\nMath $a < b$ {{claim c}}.\n"
	got := renderNarrativeMarkdown([]byte(src), fakeResolver{})
	want := "Value [value:x] and `{{value y}}`.\n\nBLOCK(figure)\n\nMath $a < b$ [claim:c].\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// Errors name the narrative's line; a block directive inside a sentence is one.
func TestCheckNarrative(t *testing.T) {
	src := "# T\n\nfine {{value a}}\n\n{{bad x}}\n\ntext {{figure f}} inline\n"
	err := checkNarrative("n.md", []byte(src), fakeResolver{})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"n.md:5: unknown directive {{bad x}}", "n.md:7: {{figure f}} must stand alone on its line"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
