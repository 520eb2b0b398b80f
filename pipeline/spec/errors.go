package spec

import (
	"fmt"
	"go.yaml.in/yaml/v3"
	"sort"
	"strings"
)

// Pos is a position in a spec file.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Error is a problem with a spec, located by position and field path
// (e.g. "steps.noise.params.size").
type Error struct {
	Pos  Pos
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Pos, e.Path, e.Msg)
}

// Errors is a list of spec errors; a spec with any error is not run.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns es sorted by position, one per field and position, as an
// error, or nil when es is empty.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i].Pos, es[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	// One error per field and position: the first found is the cause (an
	// unknown $variable, say), what follows its consequence.
	out := es[:0]
	seen := map[string]bool{}
	for _, e := range es {
		at := e.Pos.String() + " " + e.Path
		if !seen[at] {
			seen[at] = true
			out = append(out, e)
		}
	}
	return out
}

// NodeError is a problem found in a YAML value by code that sees the value but
// not its file, e.g. an operation checking a structured parameter. Path is
// relative to the value ("[2].x"); the caller adds the file and the field path.
type NodeError struct {
	Node *yaml.Node
	Path string
	Msg  string
}

func (e *NodeError) Error() string { return e.Path + ": " + e.Msg }

// NodeErrors is a list of NodeError.
type NodeErrors []*NodeError

func (es NodeErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Locate turns err, found in the value of param, into spec errors: a
// NodeErrors keeps each node's position, anything else is placed at the param.
func Locate(param *Param, err error) Errors {
	var nes NodeErrors
	if ne, ok := err.(*NodeError); ok {
		nes = NodeErrors{ne}
	} else if list, ok := err.(NodeErrors); ok {
		nes = list
	} else {
		return Errors{{Pos: param.Pos, Path: param.Path, Msg: err.Error()}}
	}
	var out Errors
	for _, ne := range nes {
		pos := param.Pos
		if ne.Node != nil && ne.Node.Line > 0 {
			pos.Line, pos.Col = ne.Node.Line, ne.Node.Column
		}
		out = append(out, &Error{Pos: pos, Path: param.Path + ne.Path, Msg: ne.Msg})
	}
	return out
}
