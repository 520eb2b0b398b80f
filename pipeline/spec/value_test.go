package spec

import (
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func node(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	return n.Content[0]
}

func TestDecodeCanonical(t *testing.T) {
	tests := []struct {
		src  string
		kind Kind
		want string
	}{
		{"32", Int, "32"},
		{"0x20", Int, "32"},
		{"2", Float, "2"},
		{"2.0", Float, "2"},
		{"1e-3", Float, "0.001"},
		{"normal", String, `"normal"`},
		{"'a b'", String, `"a b"`},
		{"true", Bool, "true"},
		{"[1, 2, 3]", Ints, "[1 2 3]"},
		{"{from: 1, to: 4, step: 1}", Ints, "[1 2 3 4]"},
		{"[0.1, 0.2, 0.3]", Floats, "[0.1 0.2 0.3]"},
		{"{from: 0.1, to: 0.3, step: 0.1}", Floats, "[0.1 0.2 0.3]"},
		{"{from: 0.1, to: 6.0, step: 0.1}", Floats, "[" + gridText(60) + "]"},
		{"{from: 0, to: 1, num: 5}", Floats, "[0 0.25 0.5 0.75 1]"},
		{"{from: 1, to: 1.05, step: 0.1}", Floats, "[1]"},
		{"[a, b]", Strings, `["a" "b"]`},
		{"{b: 1, a: [x]}", Object, `{"a":["x"],"b":1}`},
	}
	for _, tt := range tests {
		v, err := Decode(node(t, tt.src), tt.kind)
		if err != nil {
			t.Errorf("%s as %s: %v", tt.src, tt.kind, err)
			continue
		}
		if got := v.Canonical(); got != tt.want {
			t.Errorf("%s as %s = %s, want %s", tt.src, tt.kind, got, tt.want)
		}
	}
}

// gridText is 0.1 … n/10, each the double nearest i/10 in shortest form.
func gridText(n int) string {
	var parts []string
	for i := 1; i <= n; i++ {
		parts = append(parts, strconv.FormatFloat(float64(i)/10, 'g', -1, 64))
	}
	return strings.Join(parts, " ")
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		src  string
		kind Kind
		want string
	}{
		{"big", Int, `want an integer, got "big"`},
		{"2.5", Int, "want an integer, got number 2.5"},
		{"[1]", Float, "want a number, got a list"},
		{".nan", Float, "want a finite number"},
		{"3", String, "want a string, got integer 3"},
		{"yes please", Bool, "want true or false"},
		{"[1, x]", Floats, "item 1: want a number"},
		{"{from: 0, to: 1}", Floats, "exactly one of step or num"},
		{"{from: 0, to: 1, step: -0.1}", Floats, "does not lead from 0 to 1"},
		{"{from: 0, to: 1, stride: 1}", Floats, `unknown field "stride"`},
		{"{from: 0, to: 1e9, step: 1e-3}", Floats, "more than"},
		{"{from: 0, to: 1, step: 0.5}", Ints, "not an integer"},
		{"x", Object, "want a mapping"},
	}
	for _, tt := range tests {
		_, err := Decode(node(t, tt.src), tt.kind)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s as %s: err = %v, want %q", tt.src, tt.kind, err, tt.want)
		}
	}
}

func TestParseProfilesAndNarrative(t *testing.T) {
	src := `
paper: {id: p, title: T}
steps:
  a: {op: x, params: {n: 1, m: 2}}
profiles:
  quick: {doc: small, a: {n: 3}}
  paper: {}
`
	s, err := Parse("dir/p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if s.Narrative != "reports/p.md" {
		t.Errorf("narrative = %q, want reports/p.md (../reports/p.md from dir/)", s.Narrative)
	}
	params, err := s.EffectiveParams(s.Steps[0], "quick")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range params {
		got[p.Name] = p.Node.Value
	}
	if got["n"] != "3" || got["m"] != "2" {
		t.Errorf("quick params = %v", got)
	}
	if s.Profiles["quick"].Doc != "small" {
		t.Errorf("profile doc lost")
	}
	if _, err := s.EffectiveParams(s.Steps[0], "huge"); err == nil || !strings.Contains(err.Error(), `unknown profile "huge" (declared: paper, quick)`) {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestParseAnchorsAndMerge(t *testing.T) {
	src := `
paper: {id: p, title: T}
steps:
  a: &base {op: x, params: {n: 1}}
  b:
    <<: *base
    inputs: {in: a}
profiles: {quick: {}, paper: {}}
`
	s, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	b := s.StepByName("b")
	if b.Op != "x" || len(b.Params) != 1 || len(b.Inputs) != 1 {
		t.Fatalf("merged step = %+v", b)
	}
}
