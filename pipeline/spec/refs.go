package spec

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Ref names a step's output: "step" (its only or first output) or
// "step.output". Step is the full name, e.g. "checker[block=4].g" for a
// member of a group.
type Ref struct {
	Step, Output string
	Pos          Pos
	Path         string
}

func (r Ref) String() string {
	if r.Output == "" {
		return r.Step
	}
	return r.Step + "." + r.Output
}

// rawRef is a reference as written, resolved once every step is known.
type rawRef struct {
	text   string
	node   *yaml.Node
	path   string
	member *Member // the group member the reference is written in, if any
}

// SplitStepRef splits "step.rest" or "group[axis=v].step.rest" into the step
// name and what follows it (without the dot).
func SplitStepRef(s string) (step, rest string) {
	if i := strings.Index(s, "]"); i >= 0 && strings.Contains(s[:i], "[") {
		head, tail := s[:i+1], s[i+1:]
		tail = strings.TrimPrefix(tail, ".")
		name, more, _ := strings.Cut(tail, ".")
		return head + "." + name, more
	}
	step, rest, _ = strings.Cut(s, ".")
	return step, rest
}

// resolveRef turns a reference into the concrete step outputs it names:
//
//	step[.output]                    a step
//	sibling[.output]                 inside a group, the same member's copy of a template step
//	group.step[.output]              every member of a group, in order
//	group[axis=v,...].step[.output]  the members with those axis values
func (p *parser) resolveRef(s *Spec, r rawRef) []Ref {
	pos := p.pos(r.node)
	mk := func(step, out string) Ref { return Ref{Step: step, Output: out, Pos: pos, Path: r.path} }
	text := r.text
	if i := strings.Index(text, "["); i >= 0 {
		gname := text[:i]
		j := strings.Index(text, "]")
		g := s.groups[gname]
		if g == nil || j < i {
			p.errorf(r.node, r.path, "unknown group %q in %q", gname, text)
			return nil
		}
		sel := map[string]string{}
		for _, kv := range strings.Split(text[i+1:j], ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || !g.hasAxis(k) {
				p.errorf(r.node, r.path, "bad member selector %q: want axis=value with an axis of group %s (%s)", kv, g.Name, g.axisNames())
				return nil
			}
			sel[k] = v
		}
		rest := strings.TrimPrefix(text[j+1:], ".")
		t, out, _ := strings.Cut(rest, ".")
		if !g.hasStep(t) {
			p.errorf(r.node, r.path, "group %s has no step %q (steps: %s)", g.Name, t, strings.Join(g.Steps, ", "))
			return nil
		}
		var refs []Ref
		for _, m := range g.Members {
			if m.matches(sel) {
				refs = append(refs, mk(m.StepName(t), out))
			}
		}
		if len(refs) == 0 {
			p.errorf(r.node, r.path, "no member of group %s has %s", g.Name, text[i:j+1])
		}
		return refs
	}
	first, rest, _ := strings.Cut(text, ".")
	if m := r.member; m != nil && m.Group.hasStep(first) {
		return []Ref{mk(m.StepName(first), rest)}
	}
	if g := s.groups[first]; g != nil {
		t, out, _ := strings.Cut(rest, ".")
		if !g.hasStep(t) {
			p.errorf(r.node, r.path, "group %s has no step %q (steps: %s); write %s.STEP or %s[axis=value].STEP", g.Name, t, strings.Join(g.Steps, ", "), g.Name, g.Name)
			return nil
		}
		var refs []Ref
		for _, m := range g.Members {
			refs = append(refs, mk(m.StepName(t), out))
		}
		return refs
	}
	if s.StepByName(first) == nil {
		p.errorf(r.node, r.path, "unknown step %q", first)
		return nil
	}
	return []Ref{mk(first, rest)}
}

func (g *Group) hasAxis(name string) bool {
	for _, a := range g.Axes {
		if a.Name == name {
			return true
		}
	}
	return false
}

func (g *Group) axisNames() string {
	var names []string
	for _, a := range g.Axes {
		names = append(names, a.Name)
	}
	return strings.Join(names, ", ")
}

func (g *Group) hasStep(name string) bool {
	for _, t := range g.Steps {
		if t == name {
			return true
		}
	}
	return false
}

func (p *parser) rawRef(n *yaml.Node, path string, m *Member) (rawRef, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" || n.Value == "" {
		p.errorf(n, path, "want a step name (step, step.output, group.step or group[axis=value].step), got %s", describe(n))
		return rawRef{}, false
	}
	return rawRef{text: n.Value, node: n, path: path, member: m}, true
}

// rawRefs reads one reference or a list of them.
func (p *parser) rawRefs(n *yaml.Node, path string, m *Member) []rawRef {
	n = resolve(n)
	var out []rawRef
	if n.Kind == yaml.SequenceNode {
		for i, c := range n.Content {
			if r, ok := p.rawRef(c, fmt.Sprintf("%s[%d]", path, i), m); ok {
				out = append(out, r)
			}
		}
		return out
	}
	if r, ok := p.rawRef(n, path, m); ok {
		out = append(out, r)
	}
	return out
}
