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

// {{only P …}} … {{end}} keeps its lines under the profiles it names and
// blanks them under the others; every line stays where it was, and markers
// in code are text.
func TestSelectProfile(t *testing.T) {
	src := "# T\n\n{{only extended quick}}\nDepth {{value d}}.\n{{end}}\n{{only paper}}\nBuilt by the extended profile.\n{{end}}\n```\n{{only paper}}\n```\nLast.\n"
	declared := []string{"extended", "paper", "quick"}
	for _, c := range []struct {
		profile   string
		keepLines bool
		want      string
	}{
		{"paper", true, "# T\n\n\n\n\n\nBuilt by the extended profile.\n\n```\n{{only paper}}\n```\nLast.\n"},
		{"quick", true, "# T\n\n\nDepth {{value d}}.\n\n\n\n\n```\n{{only paper}}\n```\nLast.\n"},
		{"paper", false, "# T\n\nBuilt by the extended profile.\n```\n{{only paper}}\n```\nLast.\n"},
	} {
		got, err := selectProfile("n.md", []byte(src), c.profile, declared, c.keepLines)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c.want {
			t.Errorf("%s: got %q\nwant %q", c.profile, got, c.want)
		}
	}
	for _, c := range []struct{ src, want string }{
		{"a\n{{only paper}}\nb\n", "n.md:2: {{only}} without {{end}}"},
		{"a\n{{end}}\n", "n.md:2: {{end}} without {{only}}"},
		{"{{only paper}}\n{{only quick}}\n{{end}}\n", "n.md:2: {{only}} inside the {{only}} of line 1"},
		{"{{only papr}}\n{{end}}\n", `n.md:1: {{only}}: unknown profile "papr" (the spec declares: extended, paper, quick)`},
		{"{{only}}\n{{end}}\n", "n.md:1: {{only}} names no profile"},
	} {
		_, err := selectProfile("n.md", []byte(c.src), "paper", declared, true)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %s", c.src, err, c.want)
		}
	}
}
