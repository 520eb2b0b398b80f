package figures

import (
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// Field declares a panel field: its name in the spec, its type and whether
// it is required. Panels are validated against these declarations where the
// spec writes them, so a mistake names its file, line and column.
type Field struct {
	Name string
	// Kind is the field's type; a field of kind Strings also accepts a
	// single string, and Floats a single number.
	Kind     spec.Kind
	Required bool
	Doc      string
	// Check, when not nil, validates the decoded value.
	Check func(spec.Value) error
}

// commonFields are the fields of every panel kind.
func commonFields() []Field {
	return []Field{
		{Name: "title", Kind: spec.String, Doc: "the panel's title"},
		{Name: "xlabel", Kind: spec.String, Doc: "the x axis label"},
		{Name: "ylabel", Kind: spec.String, Doc: "the y axis label"},
	}
}

// reserved reports whether a panel key is handled by the spec and the
// figure rather than the kind.
// replicates (set by the plan) says how many consecutive inputs each of the
// panel's references brought: one per replicate of a replicated step.
func reserved(key string) bool { return key == "kind" || key == "inputs" || key == "replicates" }

// CheckPanels validates the panels parameter of a figure step as written: a
// list of mappings, each with a known kind and only the fields that kind
// declares, of the declared types. Errors are spec.NodeErrors.
func CheckPanels(n *yaml.Node) error {
	var errs spec.NodeErrors
	add := func(node *yaml.Node, path, format string, args ...any) {
		errs = append(errs, &spec.NodeError{Node: node, Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if n.Kind != yaml.SequenceNode {
		add(n, "", "want a list of panels")
		return errs
	}
	var names []string
	for _, k := range Kinds() {
		names = append(names, k.Name())
	}
	for i, pn := range n.Content {
		path := fmt.Sprintf("[%d]", i)
		if pn.Kind != yaml.MappingNode {
			add(pn, path, "want a panel (a mapping)")
			continue
		}
		var kind Kind
		for j := 0; j+1 < len(pn.Content); j += 2 {
			if pn.Content[j].Value == "kind" {
				v := pn.Content[j+1]
				k, ok := KindByName(v.Value)
				if !ok {
					add(v, path+".kind", "unknown panel kind %q (known: %s)", v.Value, strings.Join(names, ", "))
				}
				kind = k
			}
		}
		if kind == nil {
			continue
		}
		fields := map[string]Field{}
		var allowed []string
		for _, f := range append(commonFields(), kind.Fields()...) {
			fields[f.Name] = f
			allowed = append(allowed, f.Name)
		}
		seen := map[string]bool{}
		for j := 0; j+1 < len(pn.Content); j += 2 {
			kn, vn := pn.Content[j], pn.Content[j+1]
			if reserved(kn.Value) {
				continue
			}
			seen[kn.Value] = true
			f, ok := fields[kn.Value]
			if !ok {
				add(kn, path+"."+kn.Value, "a %s panel has no field %q (fields: %s)", kind.Name(), kn.Value, strings.Join(allowed, ", "))
				continue
			}
			v, err := decodeField(vn, f.Kind)
			if err == nil && f.Check != nil {
				err = f.Check(v)
			}
			if err != nil {
				add(vn, path+"."+kn.Value, "%v", err)
			}
		}
		for _, f := range kind.Fields() {
			if f.Required && !seen[f.Name] {
				add(pn, path+"."+f.Name, "a %s panel needs %s (%s)", kind.Name(), f.Name, f.Doc)
			}
		}
		if c, ok := kind.(interface{ checkNode(*yaml.Node) error }); ok {
			if err := c.checkNode(pn); err != nil {
				add(pn, path, "%v", err)
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// decodeField decodes a field's value; lists also accept a single item.
func decodeField(n *yaml.Node, k spec.Kind) (spec.Value, error) {
	if n.Kind == yaml.MappingNode && k != spec.Object {
		return spec.Value{}, fmt.Errorf("want a %s, got a mapping", k)
	}
	if n.Kind == yaml.ScalarNode {
		switch k {
		case spec.Strings:
			v, err := spec.Decode(n, spec.String)
			return spec.Value{Kind: k, Strings: []string{v.Str}}, err
		case spec.Floats:
			v, err := spec.Decode(n, spec.Float)
			return spec.Value{Kind: k, Floats: []float64{v.Float}}, err
		}
	}
	return spec.Decode(n, k)
}

// fieldNode returns the value of a panel mapping's field, or nil.
func fieldNode(n *yaml.Node, name string) *yaml.Node {
	for j := 0; j+1 < len(n.Content); j += 2 {
		if n.Content[j].Value == name {
			return n.Content[j+1]
		}
	}
	return nil
}

func count(n *yaml.Node) int {
	switch {
	case n == nil:
		return 0
	case n.Kind == yaml.SequenceNode:
		return len(n.Content)
	}
	return 1
}

func positive(v spec.Value) error {
	if v.Kind == spec.Int && v.Int < 1 {
		return fmt.Errorf("must be at least 1, got %d", v.Int)
	}
	return nil
}

func oneOf(choices ...string) func(spec.Value) error {
	return func(v spec.Value) error {
		for _, c := range choices {
			if v.Str == c {
				return nil
			}
		}
		return fmt.Errorf("want one of %s, got %q", strings.Join(choices, ", "), v.Str)
	}
}

func pair(v spec.Value) error {
	if len(v.Floats) != 2 || v.Floats[0] >= v.Floats[1] {
		return fmt.Errorf("want [low, high] with low < high")
	}
	return nil
}

// strList decodes a JSON field that may be a string or a list of strings.
type strList []string

func (s *strList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = strList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// floatList decodes a JSON field that may be a number or a list of numbers.
type floatList []float64

func (f *floatList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] != '[' {
		var one float64
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*f = floatList{one}
		return nil
	}
	var many []float64
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*f = many
	return nil
}

// Describe writes a reference of every panel kind and its fields, for
// `kadanoff ops`.
func Describe() string {
	var b strings.Builder
	b.WriteString("\nPanel kinds (figures: panels: [{kind: KIND, input: STEP[.OUTPUT] or a list, FIELD: ...}]):\n")
	for _, k := range Kinds() {
		lo, hi, kind := k.Inputs()
		fmt.Fprintf(&b, "%s (%s, %s)\n    %s\n", k.Name(), inputCount(lo, hi), kind, k.Doc())
		for _, f := range append(commonFields(), k.Fields()...) {
			req := ""
			if f.Required {
				req = " (required)"
			}
			fmt.Fprintf(&b, "    field  %-10s %-8s %s%s\n", f.Name, f.Kind, f.Doc, req)
		}
	}
	return b.String()
}

// inputCount says how many inputs a kind takes.
func inputCount(lo, hi int) string {
	switch {
	case hi == 0:
		return fmt.Sprintf("%d or more inputs", lo)
	case hi == lo && lo == 1:
		return "one input"
	case hi == lo:
		return fmt.Sprintf("%d inputs", lo)
	}
	return fmt.Sprintf("%d to %d inputs", lo, hi)
}
