package pipeline

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

type demoParams struct {
	Size   int       `param:"size" doc:"lattice side" check:"min=2"`
	Scale  float64   `param:"scale" default:"0.5"`
	Mode   string    `param:"mode" default:"a" check:"oneof=a,b"`
	Flag   bool      `param:"flag" default:"true"`
	Temps  []float64 `param:"temps" default:"[1.5, 2]"`
	Hidden []int64   `param:"hidden"`
	Panels any       `param:"panels"`
	note   string    // not a parameter
}

// Define declares the parameters its struct's tags say, with the same
// kinds, defaults and checks a hand-written declaration has, and hands every
// function the decoded struct.
func TestDefine(t *testing.T) {
	var got *demoParams
	op := Define(Def[demoParams]{
		Name: "test.define", Version: 2, Doc: "test",
		Out:    []OutputSpec{{Name: "out", Kind: artifact.KindScalars}},
		Checks: map[string]func(spec.Value) error{"hidden": AtLeast(1)},
		Threads: func(p *demoParams) int {
			return p.Size
		},
		Run: func(ctx context.Context, env *Env, p *demoParams) error {
			got = p
			return env.PutScalars("out", artifact.Scalars{"size": {Value: float64(p.Size)}})
		},
	})
	want := []struct {
		name string
		kind spec.Kind
		def  string // canonical default, "" for none
	}{
		{"size", spec.Int, ""}, {"scale", spec.Float, "0.5"}, {"mode", spec.String, `"a"`}, {"flag", spec.Bool, "true"},
		{"temps", spec.Floats, "[1.5 2]"}, {"hidden", spec.Ints, ""}, {"panels", spec.Any, ""},
	}
	if len(op.Par) != len(want) {
		t.Fatalf("%d parameters, want %d", len(op.Par), len(want))
	}
	for i, w := range want {
		p := op.Par[i]
		def := ""
		if p.Default != nil {
			def = p.Default.Canonical()
		}
		if p.Name != w.name || p.Kind != w.kind || def != w.def {
			t.Errorf("parameter %d = %s %v default %q, want %s %v default %q", i, p.Name, p.Kind, def, w.name, w.kind, w.def)
		}
	}
	checks := []struct {
		param string
		v     spec.Value
		ok    bool
	}{
		{"size", spec.Value{Kind: spec.Int, Int: 2}, true},
		{"size", spec.Value{Kind: spec.Int, Int: 1}, false},
		{"mode", spec.Value{Kind: spec.String, Str: "b"}, true},
		{"mode", spec.Value{Kind: spec.String, Str: "c"}, false},
		{"hidden", spec.Value{Kind: spec.Ints, Ints: []int64{0}}, false},
	}
	for _, c := range checks {
		for _, p := range op.Par {
			if p.Name == c.param && (p.Check(c.v) == nil) != c.ok {
				t.Errorf("check of %s = %s: ok %v, want %v", c.param, c.v.Canonical(), !c.ok, c.ok)
			}
		}
	}
	params := map[string]spec.Value{
		"size": {Kind: spec.Int, Int: 3}, "scale": {Kind: spec.Float, Float: 0.5}, "mode": {Kind: spec.String, Str: "b"},
		"flag": {Kind: spec.Bool, Bool: true}, "temps": {Kind: spec.Floats, Floats: []float64{1, 2}},
		"hidden": {Kind: spec.Ints, Ints: []int64{4, 2}}, "panels": {Kind: spec.Any, Object: []any{"x"}},
	}
	if n := op.Threads(params); n != 3 {
		t.Errorf("Threads = %d, want the decoded size 3", n)
	}
	env := &Env{task: &Task{Params: params}, op: op}
	if err := op.Run(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	wantP := &demoParams{Size: 3, Scale: 0.5, Mode: "b", Flag: true, Temps: []float64{1, 2}, Hidden: []int64{4, 2}, Panels: []any{"x"}}
	if !reflect.DeepEqual(got, wantP) {
		t.Errorf("Run got %+v, want %+v", got, wantP)
	}
}

// A malformed declaration panics at once, naming the field.
func TestDefineRefusesBadTags(t *testing.T) {
	type badKind struct {
		X complex128 `param:"x"`
	}
	type badDefault struct {
		X int `param:"x" default:"one"`
	}
	type badCheck struct {
		X int `param:"x" check:"max=3"`
	}
	type repeated struct {
		X int `param:"x"`
		Y int `param:"x"`
	}
	for name, def := range map[string]func(){
		"kind":     func() { Define(Def[badKind]{Name: "t"}) },
		"default":  func() { Define(Def[badDefault]{Name: "t"}) },
		"check":    func() { Define(Def[badCheck]{Name: "t"}) },
		"repeated": func() { Define(Def[repeated]{Name: "t"}) },
		"checks": func() {
			Define(Def[demoParams]{Name: "t", Checks: map[string]func(spec.Value) error{"nope": AtLeast(0)}})
		},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "pipeline:") {
					t.Errorf("%s: recovered %v, want a panic naming the declaration", name, r)
				}
			}()
			def()
		}()
	}
}
