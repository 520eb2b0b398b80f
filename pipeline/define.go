package pipeline

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// Def declares an op in one literal: its parameters are the fields of the
// struct P, and everything the pipeline asks of the op — its estimates, its
// checks, its run — receives them decoded into a *P. A field is a parameter
// when it has a param tag:
//
//	type noiseParams struct {
//		Size  int    `param:"size" doc:"lattice side L" check:"min=1"`
//		Dist  string `param:"distribution" doc:"normal or sign" default:"normal" check:"oneof=normal,sign"`
//	}
//
// Field types give the parameter's kind: int or int64 (int), float64
// (float), string, bool, []int64 (ints), []float64 (floats), []string
// (strings), map[string]any (object) and any (any YAML value). The default
// tag is written as in a spec (YAML: "1", "[9, 7]"); a parameter without one
// is required. The check tag is min=X (every number at least X) or
// oneof=A,B,…; Checks and CheckNodes hold the checks a tag cannot say.
// Define panics on a malformed P: a declaration error is a programming error,
// caught by the first test that lists the ops.
type Def[P any] struct {
	Name    string
	Version int
	Doc     string
	In      []InputSpec
	Out     []OutputSpec
	// Seeded marks an op that draws random numbers (Func.Seeded).
	Seeded bool
	// Tolerance is Func.Tolerance.
	Tolerance float64
	// Threads says how many threads a step can use; nil means one.
	Threads func(p *P) int
	// Memory estimates a step's sizes from its parameters and its inputs'
	// estimated bytes (MemoryEstimator).
	Memory func(p *P, in map[string][]float64) Sizes
	// Time bounds a step's running time on one thread (TimeEstimator).
	Time func(p *P, in map[string][]float64) time.Duration
	// Validate checks the parameters together.
	Validate func(p *P) error
	// Checks and CheckNodes add checks to parameters, by name.
	Checks     map[string]func(spec.Value) error
	CheckNodes map[string]func(*yaml.Node) error
	// Run computes the step's outputs.
	Run func(ctx context.Context, env *Env, p *P) error
}

// Define returns the op that d declares.
func Define[P any](d Def[P]) *Func {
	fields := paramFields[P]()
	decode := func(params map[string]spec.Value) *P {
		p := new(P)
		v := reflect.ValueOf(p).Elem()
		for _, f := range fields {
			if val, ok := params[f.spec.Name]; ok {
				setField(v.Field(f.index), val)
			}
		}
		return p
	}
	fn := &Func{OpName: d.Name, OpVersion: d.Version, OpDoc: d.Doc, In: d.In, Out: d.Out, Seeded: d.Seeded, Tolerance: d.Tolerance}
	for _, f := range fields {
		ps := f.spec
		if c := d.Checks[ps.Name]; c != nil {
			ps.Check = both(ps.Check, c)
		}
		ps.CheckNode = d.CheckNodes[ps.Name]
		fn.Par = append(fn.Par, ps)
	}
	for name := range d.Checks {
		if !fn.hasParam(name) {
			panic(fmt.Sprintf("pipeline: op %s: Checks names no parameter %q", d.Name, name))
		}
	}
	if d.Threads != nil {
		fn.ThreadsFunc = func(params map[string]spec.Value) int { return d.Threads(decode(params)) }
	}
	if d.Memory != nil {
		fn.MemoryFunc = func(params map[string]spec.Value, in map[string][]float64) Sizes { return d.Memory(decode(params), in) }
	}
	if d.Time != nil {
		fn.TimeFunc = func(params map[string]spec.Value, in map[string][]float64) time.Duration {
			return d.Time(decode(params), in)
		}
	}
	if d.Validate != nil {
		fn.ValidateFunc = func(params map[string]spec.Value) error { return d.Validate(decode(params)) }
	}
	if d.Run != nil {
		fn.RunFunc = func(ctx context.Context, env *Env) error { return d.Run(ctx, env, decode(env.task.Params)) }
	}
	return fn
}

func (f *Func) hasParam(name string) bool {
	for _, p := range f.Par {
		if p.Name == name {
			return true
		}
	}
	return false
}

// both returns a check that runs a, then b.
func both(a, b func(spec.Value) error) func(spec.Value) error {
	if a == nil {
		return b
	}
	return func(v spec.Value) error {
		if err := a(v); err != nil {
			return err
		}
		return b(v)
	}
}

// paramField is a field of a parameter struct and the parameter it declares.
type paramField struct {
	index int
	spec  ParamSpec
}

// paramFields reads the parameters that P's tags declare, in field order.
func paramFields[P any]() []paramField {
	t := reflect.TypeFor[P]()
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("pipeline: op parameters %v are not a struct", t))
	}
	var out []paramField
	seen := map[string]bool{}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, ok := sf.Tag.Lookup("param")
		if !ok {
			continue
		}
		if name == "" || seen[name] {
			panic(fmt.Sprintf("pipeline: %v.%s: empty or repeated param tag %q", t, sf.Name, name))
		}
		seen[name] = true
		kind, ok := fieldKind(sf.Type)
		if !ok {
			panic(fmt.Sprintf("pipeline: %v.%s: parameters of type %v are not supported", t, sf.Name, sf.Type))
		}
		ps := ParamSpec{Name: name, Kind: kind, Doc: sf.Tag.Get("doc")}
		if def, ok := sf.Tag.Lookup("default"); ok {
			v, err := parseDefault(kind, def)
			if err != nil {
				panic(fmt.Sprintf("pipeline: %v.%s: default %q: %v", t, sf.Name, def, err))
			}
			ps.Default = v
		}
		if c, ok := sf.Tag.Lookup("check"); ok {
			check, err := tagCheck(c)
			if err != nil {
				panic(fmt.Sprintf("pipeline: %v.%s: check %q: %v", t, sf.Name, c, err))
			}
			ps.Check = check
		}
		out = append(out, paramField{index: i, spec: ps})
	}
	return out
}

func fieldKind(t reflect.Type) (spec.Kind, bool) {
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return spec.Int, true
	case reflect.Float64:
		return spec.Float, true
	case reflect.String:
		return spec.String, true
	case reflect.Bool:
		return spec.Bool, true
	case reflect.Slice:
		switch t.Elem().Kind() {
		case reflect.Int64:
			return spec.Ints, true
		case reflect.Float64:
			return spec.Floats, true
		case reflect.String:
			return spec.Strings, true
		}
	case reflect.Map:
		if t.Key().Kind() == reflect.String && t.Elem().Kind() == reflect.Interface {
			return spec.Object, true
		}
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return spec.Any, true
		}
	}
	return 0, false
}

// parseDefault reads a default tag, written as in a spec.
func parseDefault(kind spec.Kind, s string) (*spec.Value, error) {
	v := &spec.Value{Kind: kind}
	var err error
	switch kind {
	case spec.Int:
		v.Int, err = strconv.ParseInt(s, 10, 64)
	case spec.Float:
		v.Float, err = strconv.ParseFloat(s, 64)
	case spec.String:
		v.Str = s
	case spec.Bool:
		v.Bool, err = strconv.ParseBool(s)
	case spec.Ints:
		err = yaml.Unmarshal([]byte(s), &v.Ints)
	case spec.Floats:
		err = yaml.Unmarshal([]byte(s), &v.Floats)
	case spec.Strings:
		err = yaml.Unmarshal([]byte(s), &v.Strings)
	default:
		err = fmt.Errorf("%s parameters take no default tag", kind)
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// tagCheck reads a check tag: min=X or oneof=A,B,….
func tagCheck(s string) (func(spec.Value) error, error) {
	what, arg, ok := strings.Cut(s, "=")
	if !ok {
		return nil, fmt.Errorf("want min=X or oneof=A,B")
	}
	switch what {
	case "min":
		x, err := strconv.ParseFloat(arg, 64)
		if err != nil {
			return nil, err
		}
		return AtLeast(x), nil
	case "oneof":
		return OneOf(strings.Split(arg, ",")...), nil
	}
	return nil, fmt.Errorf("unknown check %q (want min or oneof)", what)
}

// setField stores a decoded value in a parameter struct's field.
func setField(f reflect.Value, v spec.Value) {
	switch v.Kind {
	case spec.Int:
		f.SetInt(v.Int)
	case spec.Float:
		f.SetFloat(v.Float)
	case spec.String:
		f.SetString(v.Str)
	case spec.Bool:
		f.SetBool(v.Bool)
	case spec.Ints:
		f.Set(reflect.ValueOf(v.Ints))
	case spec.Floats:
		f.Set(reflect.ValueOf(v.Floats))
	case spec.Strings:
		f.Set(reflect.ValueOf(v.Strings))
	case spec.Object, spec.Any:
		if v.Object != nil {
			f.Set(reflect.ValueOf(v.Object))
		}
	}
}
