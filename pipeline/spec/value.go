package spec

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Kind is the type of a parameter value.
type Kind int

// The parameter kinds. Lists accept a YAML sequence or, for numbers, a grid:
// a mapping {from, to, step} or {from, to, num}.
const (
	Int Kind = iota + 1
	Float
	String
	Bool
	Ints
	Floats
	Strings
	// Object is any YAML mapping; its canonical form is JSON with sorted keys.
	Object
	// Any is any YAML value (a list of mappings, say); canonical form as Object.
	Any
)

var kindNames = map[Kind]string{
	Int: "int", Float: "float", String: "string", Bool: "bool",
	Ints: "ints", Floats: "floats", Strings: "strings", Object: "object", Any: "any",
}

func (k Kind) String() string { return kindNames[k] }

// Value is a decoded parameter value. Its canonical text, not the YAML it came
// from, enters action keys: comments, key order and number spelling never
// change a key.
type Value struct {
	Kind    Kind
	Int     int64
	Float   float64
	Str     string
	Bool    bool
	Ints    []int64
	Floats  []float64
	Strings []string
	Object  any
}

// Canonical returns the value's canonical text.
func (v Value) Canonical() string {
	switch v.Kind {
	case Int:
		return strconv.FormatInt(v.Int, 10)
	case Float:
		return formatFloat(v.Float)
	case String:
		return strconv.Quote(v.Str)
	case Bool:
		return strconv.FormatBool(v.Bool)
	case Ints:
		parts := make([]string, len(v.Ints))
		for i, x := range v.Ints {
			parts[i] = strconv.FormatInt(x, 10)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case Floats:
		parts := make([]string, len(v.Floats))
		for i, x := range v.Floats {
			parts[i] = formatFloat(x)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case Strings:
		parts := make([]string, len(v.Strings))
		for i, x := range v.Strings {
			parts[i] = strconv.Quote(x)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case Object, Any:
		b, _ := json.Marshal(v.Object) // maps marshal with sorted keys
		return string(b)
	}
	return "?"
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// Decode converts a YAML node to a value of kind k.
func Decode(n *yaml.Node, k Kind) (Value, error) {
	v := Value{Kind: k}
	var err error
	switch k {
	case Int:
		v.Int, err = decodeInt(n)
	case Float:
		v.Float, err = decodeFloat(n)
	case String:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
			return v, fmt.Errorf("want a string, got %s", describe(n))
		}
		v.Str = n.Value
	case Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			return v, fmt.Errorf("want true or false, got %s", describe(n))
		}
		v.Bool = n.Value == "true" || n.Value == "True" || n.Value == "TRUE"
	case Floats:
		v.Floats, err = decodeFloats(n)
	case Ints:
		var fs []float64
		if n.Kind == yaml.MappingNode {
			fs, err = grid(n)
			for _, f := range fs {
				if f != math.Trunc(f) {
					return v, fmt.Errorf("grid value %v is not an integer", f)
				}
				v.Ints = append(v.Ints, int64(f))
			}
			break
		}
		if n.Kind != yaml.SequenceNode {
			return v, fmt.Errorf("want a list of integers, got %s", describe(n))
		}
		for i, c := range n.Content {
			x, e := decodeInt(c)
			if e != nil {
				return v, fmt.Errorf("item %d: %v", i, e)
			}
			v.Ints = append(v.Ints, x)
		}
	case Strings:
		if n.Kind != yaml.SequenceNode {
			return v, fmt.Errorf("want a list of strings, got %s", describe(n))
		}
		for i, c := range n.Content {
			if c.Kind != yaml.ScalarNode || c.Tag != "!!str" {
				return v, fmt.Errorf("item %d: want a string, got %s", i, describe(c))
			}
			v.Strings = append(v.Strings, c.Value)
		}
	case Object:
		if n.Kind != yaml.MappingNode {
			return v, fmt.Errorf("want a mapping, got %s", describe(n))
		}
		err = n.Decode(&v.Object)
	case Any:
		err = n.Decode(&v.Object)
	default:
		return v, fmt.Errorf("unknown kind %d", k)
	}
	return v, err
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return describe(n.Alias)
	}
	switch n.Tag {
	case "!!int":
		return "integer " + n.Value
	case "!!float":
		return "number " + n.Value
	case "!!bool":
		return "boolean " + n.Value
	case "!!null":
		return "nothing (null)"
	}
	return fmt.Sprintf("%q", n.Value)
}

func decodeInt(n *yaml.Node) (int64, error) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		return 0, fmt.Errorf("want an integer, got %s", describe(n))
	}
	var x int64
	if err := n.Decode(&x); err != nil {
		return 0, fmt.Errorf("want an integer: %v", err)
	}
	return x, nil
}

func decodeFloat(n *yaml.Node) (float64, error) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		return 0, fmt.Errorf("want a number, got %s", describe(n))
	}
	var x float64
	if err := n.Decode(&x); err != nil {
		return 0, fmt.Errorf("want a number: %v", err)
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("want a finite number, got %s", n.Value)
	}
	return x, nil
}

func decodeFloats(n *yaml.Node) ([]float64, error) {
	if n.Kind == yaml.MappingNode {
		return grid(n)
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("want a list of numbers or a grid {from, to, step}, got %s", describe(n))
	}
	out := make([]float64, 0, len(n.Content))
	for i, c := range n.Content {
		x, err := decodeFloat(c)
		if err != nil {
			return nil, fmt.Errorf("item %d: %v", i, err)
		}
		out = append(out, x)
	}
	return out, nil
}

// maxGrid bounds the length of a grid, to catch a step of the wrong sign or size.
const maxGrid = 1_000_000

// grid expands {from, to, step} (inclusive of to when it lies on the grid) or
// {from, to, num} (num evenly spaced points). Points are rounded to 12
// significant digits, so 0.1 + 2*0.1 is 0.3, not 0.30000000000000004.
func grid(n *yaml.Node) ([]float64, error) {
	var from, to, step float64
	var num int64
	var haveFrom, haveTo, haveStep, haveNum bool
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		var err error
		switch k {
		case "from":
			from, err = decodeFloat(v)
			haveFrom = true
		case "to":
			to, err = decodeFloat(v)
			haveTo = true
		case "step":
			step, err = decodeFloat(v)
			haveStep = true
		case "num":
			num, err = decodeInt(v)
			haveNum = true
		default:
			return nil, fmt.Errorf("grid: unknown field %q (want from, to and step or num)", k)
		}
		if err != nil {
			return nil, fmt.Errorf("grid %s: %v", k, err)
		}
	}
	if !haveFrom || !haveTo || haveStep == haveNum {
		return nil, fmt.Errorf("grid needs from, to and exactly one of step or num")
	}
	round := func(x float64) float64 {
		y, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
		return y
	}
	if haveNum {
		if num < 1 || num > maxGrid {
			return nil, fmt.Errorf("grid num %d out of range [1, %d]", num, maxGrid)
		}
		out := make([]float64, num)
		for i := range out {
			if num == 1 {
				out[i] = from
				continue
			}
			out[i] = round(from + (to-from)*float64(i)/float64(num-1))
		}
		return out, nil
	}
	if step == 0 || (to-from)/step < -1e-9 {
		return nil, fmt.Errorf("grid step %v does not lead from %v to %v", step, from, to)
	}
	count := int(math.Floor((to-from)/step+1e-9)) + 1
	if count > maxGrid {
		return nil, fmt.Errorf("grid has %d points, more than %d", count, maxGrid)
	}
	out := make([]float64, count)
	for i := range out {
		out[i] = round(from + float64(i)*step)
	}
	return out, nil
}
