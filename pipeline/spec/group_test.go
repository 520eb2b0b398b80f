package spec

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
)

const groupSpec = `
paper: {id: p, title: T}
vars: {Tc: 2.269, grid: [1, 2]}
steps:
  src: {op: gen, params: {at: $Tc, ts: $grid}}
  checker:
    foreach: {block: [4, 8], size: [16, 32]}
    steps:
      panel: {op: board, params: {size: $size, block: $block, name: "b${block}s${size}"}}
      g: {op: g, inputs: {panels: panel, extra: src.out}}
  fit:
    foreach: {L: [10, 9]}
    with: {rmax: [5, 4.5]}
    steps:
      f: {op: fit, params: {r_max: $rmax}}
  all: {op: collect, inputs: {series: checker.g, some: "checker[block=8].g.table"}}
figures:
  fig:
    number: 1
    letters: true
    panels:
      - foreach: fit
        panels: [{kind: line, input: f, title: "L = ${L}"}]
      - {kind: heatmap, input: "checker[block=4,size=16].panel"}
claims:
  c: {foreach: fit, quote: q, statement: "fit ${L}", value: "f:slope", expect: {less: $Tc}}
  d: {quote: q, statement: direct, value: "checker[block=4,size=32].g:peaks", expect: {greater: 1}}
profiles:
  quick:
    op:board: {size: 8, block: 2}
    checker.panel: {block: 3}
    "checker[block=8,size=32].panel": {block: 5}
  paper: {}
`

// Groups expand into steps named GROUP[axis=value].STEP over the cross
// product of their axes, with $axis, ${axis} and $var substituted and inputs
// inside a group bound to the same member.
func TestGroupsExpand(t *testing.T) {
	s, err := Parse("p.yaml", []byte(groupSpec))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, st := range s.Steps {
		names = append(names, st.Name)
	}
	want := "src checker[block=4,size=16].panel checker[block=4,size=16].g checker[block=4,size=32].panel checker[block=4,size=32].g " +
		"checker[block=8,size=16].panel checker[block=8,size=16].g checker[block=8,size=32].panel checker[block=8,size=32].g " +
		"fit[L=10].f fit[L=9].f all fig"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("steps:\n got %s\nwant %s", got, want)
	}
	param := func(step, name string) string {
		for _, p := range s.StepByName(step).Params {
			if p.Name == name {
				return p.Node.Tag + " " + p.Node.Value
			}
		}
		return ""
	}
	for _, c := range []struct{ step, param, want string }{
		{"checker[block=8,size=16].panel", "block", "!!int 8"},
		{"checker[block=8,size=16].panel", "size", "!!int 16"},
		{"checker[block=8,size=16].panel", "name", "!!str b8s16"},
		{"fit[L=9].f", "r_max", "!!float 4.5"},
		{"src", "at", "!!float 2.269"},
	} {
		if got := param(c.step, c.param); got != c.want {
			t.Errorf("%s.%s = %q, want %q", c.step, c.param, got, c.want)
		}
	}
	g := s.StepByName("checker[block=4,size=32].g")
	refs := map[string]string{}
	for _, in := range g.Inputs {
		refs[in.Name] = in.Refs[0].String()
	}
	if refs["panels"] != "checker[block=4,size=32].panel" || refs["extra"] != "src.out" {
		t.Errorf("member inputs = %v", refs)
	}
	all := s.StepByName("all")
	var got []string
	for _, in := range all.Inputs {
		for _, r := range in.Refs {
			got = append(got, in.Name+"="+r.String())
		}
	}
	if strings.Join(got, " ") != "series=checker[block=4,size=16].g series=checker[block=4,size=32].g series=checker[block=8,size=16].g "+
		"series=checker[block=8,size=32].g some=checker[block=8,size=16].g.table some=checker[block=8,size=32].g.table" {
		t.Errorf("group references = %v", got)
	}
	// Figures: one panel per member, lettered, ${L} substituted; the figure is a step.
	fig := s.Figures[0]
	if len(fig.Panels) != 3 || fig.Step == nil || s.StepByName("fig") != fig.Step {
		t.Fatalf("figure has %d panels, step %v", len(fig.Panels), fig.Step)
	}
	title := func(i int) string {
		n := fig.Panels[i].Node
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == "title" {
				return n.Content[j+1].Value
			}
		}
		return ""
	}
	if title(0) != "(a) L = 10" || title(1) != "(b) L = 9" || title(2) != "(c)" {
		t.Errorf("titles %q %q %q", title(0), title(1), title(2))
	}
	if fig.Panels[1].Inputs[0].Step != "fit[L=9].f" {
		t.Errorf("panel input %v", fig.Panels[1].Inputs)
	}
	// Claims: one per member, reading the member's step directly.
	var claims []string
	for _, c := range s.Claims {
		claims = append(claims, c.Name+" "+c.Statement+" "+c.Value)
	}
	if strings.Join(claims, "; ") != "c[L=10] fit 10 fit[L=10].f:slope; c[L=9] fit 9 fit[L=9].f:slope; d direct checker[block=4,size=32].g:peaks" {
		t.Errorf("claims: %v", claims)
	}
	if n, err := s.Number("fit[L=9].f:slope"); err != nil || n.From.Step != "fit[L=9].f" || n.Key != "slope" {
		t.Errorf("Number = %+v, %v", n, err)
	}
}

// Profiles override by op, then by group member, then by step: the most
// specific wins.
func TestProfilePrecedence(t *testing.T) {
	s, err := Parse("p.yaml", []byte(groupSpec))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ step, block, size string }{
		{"checker[block=4,size=16].panel", "3", "8"}, // group beats op
		{"checker[block=8,size=32].panel", "5", "8"}, // member beats group
	} {
		params, err := s.EffectiveParams(s.StepByName(c.step), "quick")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, p := range params {
			got[p.Name] = p.Node.Value
		}
		if got["block"] != c.block || got["size"] != c.size {
			t.Errorf("%s quick: block %s size %s, want %s %s", c.step, got["block"], got["size"], c.block, c.size)
		}
	}
	params, _ := s.EffectiveParams(s.StepByName("checker[block=8,size=32].panel"), "paper")
	for _, p := range params {
		if p.Name == "block" && p.Node.Value != "8" {
			t.Errorf("paper profile changed block to %s", p.Node.Value)
		}
	}
	// Figures learn the profile they are built for.
	params, _ = s.EffectiveParams(s.StepByName("fig"), "quick")
	found := false
	for _, p := range params {
		found = found || (p.Name == "profile" && p.Node.Value == "quick")
	}
	if !found {
		t.Error("the figure step has no profile parameter")
	}
}

func TestSplitStepRef(t *testing.T) {
	for _, c := range []struct{ in, step, rest string }{
		{"mc10.spins", "mc10", "spins"},
		{"mc10", "mc10", ""},
		{"checker[block=4].g", "checker[block=4].g", ""},
		{"checker[block=4].g.table", "checker[block=4].g", "table"},
		{"mc[L=10].sample.temperatures", "mc[L=10].sample", "temperatures"},
		{"p/checker[block=4,size=2].g.x", "p/checker[block=4,size=2].g", "x"},
	} {
		if step, rest := SplitStepRef(c.in); step != c.step || rest != c.rest {
			t.Errorf("SplitStepRef(%q) = %q, %q; want %q, %q", c.in, step, rest, c.step, c.rest)
		}
	}
}

// A spec is one YAML document of bounded size.
func TestLoadLimits(t *testing.T) {
	dir := t.TempDir()
	big := dir + "/big.yaml"
	if err := os.WriteFile(big, bytes.Repeat([]byte("# padding\n"), MaxSize/10+1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, want string }{
		{big, "spec is larger than 4 MiB: not read"},
		{"/dev/zero", "spec is larger than 4 MiB"},
	} {
		if _, err := Load(c.file); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Load(%s) = %v, want %q", c.file, err, c.want)
		}
	}
	two := "paper: {id: p, title: T}\nsteps: {}\nprofiles: {quick: {}, paper: {}}\n---\nsteps: {}\n"
	if _, err := Parse("p.yaml", []byte(two)); err == nil || !strings.Contains(err.Error(), "p.yaml:4:1: a spec is one YAML document") {
		t.Errorf("second document: %v", err)
	}
	if _, err := Parse("p.yaml", nil); err == nil || !strings.Contains(err.Error(), "empty spec") {
		t.Errorf("empty spec: %v", err)
	}
}

// Documents that would expand without bound are refused before expansion.
func TestExpansionBounds(t *testing.T) {
	laughs := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for i := 0; i < 9; i++ {
		name := string(rune('b' + i))
		laughs += name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = name
	}
	if _, err := Parse("p.yaml", []byte(laughs)); err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Errorf("billion laughs: %v", err)
	}
	cross := "paper: {id: p, title: T}\nprofiles: {quick: {}, paper: {}}\nsteps:\n  g:\n    foreach: {a: [" +
		seq(200) + "], b: [" + seq(200) + "]}\n    steps: {s: {op: x}}\n"
	if _, err := Parse("p.yaml", []byte(cross)); err == nil || !strings.Contains(err.Error(), "the axes make more than 10000 members") {
		t.Errorf("huge cross product: %v", err)
	}
}

func seq(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = strconv.Itoa(i)
	}
	return strings.Join(parts, ", ")
}
