package spec

import (
	"strings"
	"testing"
)

const profileSpec = `
paper: {id: p, title: T}
steps:
  base: {op: gen}
  scan:
    foreach: {T: [1, 2]}
    profiles: [quick, extended]
    steps:
      f: {op: fit, inputs: {data: base}}
  table: {op: stack, profiles: [quick, extended], inputs: {tables: scan.f}}
figures:
  fig1: {number: 1, panels: [{kind: line, input: base}]}
  fig2: {number: 2, profiles: [quick, extended], panels: [{kind: line, input: table}]}
values:
  v: {from: base, key: x}
  w: {from: table, key: y, profiles: [quick, extended]}
claims:
  c: {quote: q, statement: s, value: "base:x", expect: {less: 1}}
  d: {foreach: scan, profiles: [quick, extended], quote: q, statement: "at ${T}", value: "f:slope", figure: fig2, expect: {less: 1}}
profiles:
  quick: {}
  paper: {}
  extended: {}
`

// An element listing profiles exists in those profiles' views only, and
// the view names what it omits.
func TestForProfile(t *testing.T) {
	s, err := Parse("p.yaml", []byte(profileSpec))
	if err != nil {
		t.Fatal(err)
	}
	names := func(v *Spec) string {
		var out []string
		for _, st := range v.Steps {
			out = append(out, st.Name)
		}
		for _, n := range v.Numbers {
			out = append(out, "value:"+n.Name)
		}
		for _, c := range v.Claims {
			out = append(out, "claim:"+c.Name)
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct{ profile, want string }{
		{"paper", "base fig1 value:v value:base:x claim:c"},
		{"extended", "base scan[T=1].f scan[T=2].f table fig1 fig2 value:v value:w value:base:x value:scan[T=1].f:slope value:scan[T=2].f:slope claim:c claim:d[T=1] claim:d[T=2]"},
	} {
		v := s.ForProfile(c.profile)
		if got := names(v); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.profile, got, c.want)
		}
		if len(v.Figures) != strings.Count(c.want, "fig") {
			t.Errorf("%s: %d figures", c.profile, len(v.Figures))
		}
	}
	paper := s.ForProfile("paper")
	for _, name := range []string{"scan", "scan[T=1].f", "table", "fig2", "w", "d", "d[T=2]"} {
		if got := strings.Join(paper.Omitted[name], " "); got != "quick extended" {
			t.Errorf("paper omits %s for profiles %q, want \"quick extended\"", name, got)
		}
	}
	if paper.StepByName("table") != nil || paper.Group("scan") != nil {
		t.Error("the paper view still finds the extended steps")
	}
	if len(s.Steps) != 6 || s.Omitted != nil {
		t.Error("ForProfile changed the spec")
	}
}

// An element that a profile builds may not read one it does not, and a
// profiles: list names declared profiles.
func TestProfileErrors(t *testing.T) {
	for _, c := range []struct{ name, from, to, want string }{
		{"input", "table: {op: stack, profiles: [quick, extended], inputs: {tables: scan.f}}", "table: {op: stack, inputs: {tables: scan.f}}",
			`p.yaml:10:3: steps.table.inputs: reads scan[T=1].f, which profile "paper" does not build (only quick, extended)`},
		{"figure", "fig2: {number: 2, profiles: [quick, extended],", "fig2: {number: 2,",
			`p.yaml:13:3: figures.fig2.inputs: reads table, which profile "paper" does not build (only quick, extended)`},
		{"value", "w: {from: table, key: y, profiles: [quick, extended]}", "w: {from: table, key: y}",
			`p.yaml:16:3: values.w.from: reads table, which profile "paper" does not build`},
		{"claim", "fig2: {number: 2, profiles: [quick, extended],", "fig2: {number: 2, profiles: [extended],",
			`claims.d[T=1].figure: shows its evidence in fig2, which profile "quick" does not build`},
		{"unknown", "table: {op: stack, profiles: [quick, extended]", "table: {op: stack, profiles: [quick, extnded]",
			`p.yaml:10:32: steps.table.profiles: unknown profile "extnded" (this spec declares: extended, paper, quick)`},
		{"empty", "table: {op: stack, profiles: [quick, extended]", "table: {op: stack, profiles: []", `an empty list of profiles builds the element nowhere`},
	} {
		src := strings.Replace(profileSpec, c.from, c.to, 1)
		if src == profileSpec {
			t.Fatalf("%s: %q not in the spec", c.name, c.from)
		}
		_, err := Parse("p.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v\nwant %s", c.name, err, c.want)
		}
	}
}
