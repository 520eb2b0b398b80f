package spec

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxMembers bounds the members of one group.
const MaxMembers = 10_000

// Group is a template of steps repeated over the cross product of named axes
// (a "foreach" in the spec). It expands at parse time into ordinary steps
// named GROUP[axis=value,...].STEP.
type Group struct {
	Name    string
	Axes    []Axis
	Steps   []string // template step names, in order
	Members []*Member
	Pos     Pos
	// Profiles are the profiles that build the group (every one when
	// empty); its steps take them unless they set their own.
	Profiles []string
}

// Axis is one named axis of a group and its values as written.
type Axis struct {
	Name   string
	Values []*yaml.Node
}

// Member is one point of a group's cross product.
type Member struct {
	Group *Group
	// Values holds the member's axis values, one per axis, as written.
	Values []string
	nodes  map[string]*yaml.Node
}

// Selector is the member's part of its step names: "[block=4]" or "[a=1,b=x]".
func (m *Member) Selector() string {
	parts := make([]string, len(m.Values))
	for i, a := range m.Group.Axes {
		parts[i] = a.Name + "=" + m.Values[i]
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// StepName is the name of the member's copy of template step t.
func (m *Member) StepName(t string) string { return m.Group.Name + m.Selector() + "." + t }

// Axis returns the member's value of the named axis as written.
func (m *Member) Axis(name string) (string, bool) {
	for i, a := range m.Group.Axes {
		if a.Name == name {
			return m.Values[i], true
		}
	}
	return "", false
}

// matches reports whether the member has every axis value of sel.
func (m *Member) matches(sel map[string]string) bool {
	for k, v := range sel {
		if got, _ := m.Axis(k); got != v {
			return false
		}
	}
	return true
}

var (
	wholeVar  = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_]*)$`)
	inlineVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
)

// subst returns a copy of n in which every scalar that is exactly $NAME is
// replaced by the value bound to NAME (keeping the scalar's position), and
// every ${NAME} inside a string is replaced by the value's text. Names not in
// vars are left as they are; unresolved reports them later.
func subst(n *yaml.Node, vars map[string]*yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		return subst(n.Alias, vars)
	}
	c := *n
	if n.Kind == yaml.ScalarNode {
		if m := wholeVar.FindStringSubmatch(n.Value); m != nil && n.Style == 0 {
			if v, ok := vars[m[1]]; ok {
				r := *v
				r.Line, r.Column = n.Line, n.Column
				r.HeadComment, r.LineComment, r.FootComment = "", "", ""
				return &r
			}
			return &c
		}
		if strings.Contains(n.Value, "${") {
			c.Value = inlineVar.ReplaceAllStringFunc(n.Value, func(s string) string {
				if v, ok := vars[s[2:len(s)-1]]; ok && v.Kind == yaml.ScalarNode {
					return v.Value
				}
				return s
			})
		}
		return &c
	}
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, ch := range n.Content {
		c.Content[i] = subst(ch, vars)
	}
	return &c
}

// unresolved reports every $NAME and ${NAME} left in n.
func (p *parser) unresolved(n *yaml.Node, path string, known []string) {
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.ScalarNode:
		var names []string
		if m := wholeVar.FindStringSubmatch(n.Value); m != nil && n.Style == 0 {
			names = append(names, m[1])
		}
		for _, m := range inlineVar.FindAllStringSubmatch(n.Value, -1) {
			names = append(names, m[1])
		}
		for _, name := range names {
			k := "none"
			if len(known) > 0 {
				k = strings.Join(known, ", ")
			}
			p.errorf(n, path, "unknown variable $%s (defined here: %s)", name, k)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p.unresolved(n.Content[i+1], join(path, n.Content[i].Value), known)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p.unresolved(c, fmt.Sprintf("%s[%d]", path, i), known)
		}
	}
}

// vars reads the constants section: names bound to YAML values.
func (p *parser) vars(f field) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for _, vf := range p.mapping(f.val, f.path) {
		if p.name(vf) {
			out[vf.key] = vf.val
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// withVars returns vars extended (and shadowed) by the member's axis values.
func withVars(vars map[string]*yaml.Node, m *Member) map[string]*yaml.Node {
	out := make(map[string]*yaml.Node, len(vars)+len(m.nodes))
	for k, v := range vars {
		out[k] = v
	}
	for k, v := range m.nodes {
		out[k] = v
	}
	return out
}

// foreach reads the members of a group: a mapping axis -> list of values,
// whose cross product are the members (first axis outermost), or a list of
// records {axis: value, ...} with the same axes, one member each (values that
// go together, like a lattice size and its fit range).
func (p *parser) foreach(f field, g *Group) {
	if f.val.Kind == yaml.SequenceNode {
		p.records(f, g)
		return
	}
	for _, af := range p.mapping(f.val, f.path) {
		if !p.name(af) {
			continue
		}
		if af.val.Kind != yaml.SequenceNode || len(af.val.Content) == 0 {
			p.errorf(af.val, af.path, "want a non-empty list of axis values, got %s", describe(af.val))
			continue
		}
		ax := Axis{Name: af.key}
		seen := map[string]bool{}
		for i, c := range af.val.Content {
			c = resolve(c)
			path := fmt.Sprintf("%s[%d]", af.path, i)
			if !p.axisValue(c, path) {
				continue
			}
			if seen[c.Value] {
				p.errorf(c, path, "duplicate axis value %s", c.Value)
				continue
			}
			seen[c.Value] = true
			ax.Values = append(ax.Values, c)
		}
		g.Axes = append(g.Axes, ax)
	}
	if len(g.Axes) == 0 {
		if len(f.val.Content) == 0 {
			p.errorf(f.val, f.path, "a group needs at least one axis")
		}
		return
	}
	total := 1
	for _, a := range g.Axes {
		total *= max(len(a.Values), 1)
		if total > MaxMembers {
			p.errorf(f.val, f.path, "the axes make more than %d members", MaxMembers)
			return
		}
	}
	idx := make([]int, len(g.Axes))
	for {
		m := &Member{Group: g, nodes: map[string]*yaml.Node{}}
		for i, a := range g.Axes {
			if len(a.Values) == 0 {
				return
			}
			v := a.Values[idx[i]]
			m.Values = append(m.Values, v.Value)
			m.nodes[a.Name] = v
		}
		g.Members = append(g.Members, m)
		k := len(idx) - 1
		for k >= 0 {
			idx[k]++
			if idx[k] < len(g.Axes[k].Values) {
				break
			}
			idx[k] = 0
			k--
		}
		if k < 0 {
			return
		}
	}
}

func (p *parser) axisValue(c *yaml.Node, path string) bool {
	if c.Kind != yaml.ScalarNode || c.Tag == "!!null" || c.Value == "" || strings.ContainsAny(c.Value, "[],= ") {
		p.errorf(c, path, "want a number or a name without spaces or [ ] , =, got %s", describe(c))
		return false
	}
	return true
}

// with binds more values to a group's members, one list entry per member in
// order: values that go with an axis value (a fit range with a lattice size)
// without being an axis of their own, so member names stay short.
func (p *parser) with(f field, g *Group) {
	for _, wf := range p.mapping(f.val, f.path) {
		if !p.name(wf) {
			continue
		}
		if g.hasAxis(wf.key) {
			p.errorf(wf.kn, wf.path, "%q is already an axis of the group", wf.key)
			continue
		}
		if wf.val.Kind != yaml.SequenceNode || len(wf.val.Content) != len(g.Members) {
			p.errorf(wf.val, wf.path, "want a list of %d values, one per member, got %s", len(g.Members), describeLen(wf.val))
			continue
		}
		for i, m := range g.Members {
			m.nodes[wf.key] = resolve(wf.val.Content[i])
		}
	}
}

// records reads foreach as a list of records with the same axes.
func (p *parser) records(f field, g *Group) {
	seen := map[string]bool{}
	for i, c := range f.val.Content {
		c = resolve(c)
		path := fmt.Sprintf("%s[%d]", f.path, i)
		fields := p.mapping(c, path)
		if len(fields) == 0 {
			p.errorf(c, path, "want a record {axis: value, ...}")
			continue
		}
		if i == 0 {
			for _, af := range fields {
				if p.name(af) {
					g.Axes = append(g.Axes, Axis{Name: af.key})
				}
			}
		}
		m := &Member{Group: g, nodes: map[string]*yaml.Node{}}
		var keys []string
		for _, af := range fields {
			keys = append(keys, af.key)
		}
		if len(keys) != len(g.Axes) {
			p.errorf(c, path, "record has axes %s, the first has %s", strings.Join(keys, ", "), g.axisNames())
			continue
		}
		ok := true
		for k, af := range fields {
			if af.key != g.Axes[k].Name {
				p.errorf(af.kn, af.path, "record has axes %s, the first has %s (in that order)", strings.Join(keys, ", "), g.axisNames())
				ok = false
				break
			}
			if !p.axisValue(af.val, af.path) {
				ok = false
				continue
			}
			m.Values = append(m.Values, af.val.Value)
			m.nodes[af.key] = af.val
			g.Axes[k].Values = append(g.Axes[k].Values, af.val)
		}
		if !ok {
			continue
		}
		sel := m.Selector()
		if seen[sel] {
			p.errorf(c, path, "duplicate record %s", sel)
			continue
		}
		seen[sel] = true
		g.Members = append(g.Members, m)
	}
	if len(g.Members) == 0 && len(p.errs) == 0 {
		p.errorf(f.val, f.path, "a group needs at least one member")
	}
}

// group reads a step group and returns its expanded steps.
func (p *parser) group(f field, vars map[string]*yaml.Node) (*Group, []*Step) {
	g := &Group{Name: f.key, Pos: p.pos(f.kn)}
	var body field
	haveBody := false
	var with *field
	var reps *field
	for _, gf := range p.mapping(f.val, f.path, "foreach", "with", "steps", "doc", "profiles", ReplicatesParam) {
		switch gf.key {
		case "profiles":
			g.Profiles = p.profileList(gf)
		case ReplicatesParam:
			r := gf
			reps = &r
		case "foreach":
			p.foreach(gf, g)
		case "with":
			w := gf
			with = &w
		case "steps":
			body, haveBody = gf, true
		case "doc":
			p.str(gf)
		}
	}
	if with != nil {
		p.with(*with, g)
	}
	if !haveBody {
		p.errorf(f.kn, f.path+".steps", "missing required field \"steps\" (the group's template steps)")
		return g, nil
	}
	tmpl := p.mapping(body.val, body.path)
	for _, tf := range tmpl {
		if p.name(tf) {
			g.Steps = append(g.Steps, tf.key)
		}
	}
	var out []*Step
	for _, m := range g.Members {
		mv := withVars(vars, m)
		for _, tf := range tmpl {
			if !nameRE.MatchString(tf.key) {
				continue
			}
			name := m.StepName(tf.key)
			sf := field{key: name, kn: tf.kn, val: subst(tf.val, mv), path: "steps." + name}
			p.unresolved(sf.val, sf.path, sortedKeys(mv))
			st := p.step(sf)
			st.Member, st.Template = m, tf.key
			if st.Profiles == nil {
				st.Profiles = g.Profiles
			}
			if reps != nil && !hasParam(st.Params, ReplicatesParam) {
				st.Params = append(st.Params, &Param{Name: ReplicatesParam, Node: reps.val, Pos: p.pos(reps.val), Path: reps.path, FromGroup: true})
			}
			out = append(out, st)
		}
	}
	return g, out
}

func describeLen(n *yaml.Node) string {
	if n.Kind == yaml.SequenceNode {
		return fmt.Sprintf("%d", len(n.Content))
	}
	return describe(n)
}

func hasParam(params []*Param, name string) bool {
	for _, p := range params {
		if p.Name == name {
			return true
		}
	}
	return false
}
