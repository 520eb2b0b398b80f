package spec

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// An element of a spec (step, group, figure, value, claim or check) that
// lists profiles: exists only in them: an extended profile's study, or a
// slow figure the paper profile leaves out. A spec built under a profile
// is that profile's view, ForProfile, in which every reference must
// resolve.

// profileList reads an element's profiles: field, a list of profile names
// (checked against the spec's profiles once all are read).
func (p *parser) profileList(f field) []string {
	if v := resolve(f.val); v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
		p.errorf(f.val, f.path, "an empty list of profiles builds the element nowhere; leave profiles out to build it under every profile")
		return nil
	}
	names := p.strs(f)
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			p.errorf(f.val, f.path, "profile %q is listed twice", n)
		}
		seen[n] = true
	}
	p.profileUses = append(p.profileUses, profileUse{names: names, pos: p.pos(f.val), path: f.path})
	return names
}

// profileUse is one profiles: field, for checking its names.
type profileUse struct {
	names []string
	pos   Pos
	path  string
}

// builds reports whether an element listing profiles exists under profile.
func builds(profiles []string, profile string) bool {
	return len(profiles) == 0 || contains(profiles, profile)
}

// checkProfiles checks that every profiles: field names declared profiles
// and that under each profile every element it builds reads only elements
// it builds too.
func (p *parser) checkProfiles(s *Spec) {
	seen := map[Pos]bool{} // a group's template is read once per member
	unknown := false
	for _, u := range p.profileUses {
		if seen[u.pos] {
			continue
		}
		seen[u.pos] = true
		for _, n := range u.names {
			if _, ok := s.Profiles[n]; !ok {
				unknown = true
				p.errs = append(p.errs, &Error{Pos: u.pos, Path: u.path, Msg: fmt.Sprintf("unknown profile %q (this spec declares: %s)", n, strings.Join(sortedKeys(s.Profiles), ", "))})
			}
		}
	}
	if len(p.profileUses) == 0 || unknown {
		return
	}
	reported := map[string]bool{}
	for _, name := range sortedKeys(s.Profiles) {
		v := s.ForProfile(name)
		missing := func(pos Pos, path, what, ref string) {
			if reported[path] { // one error for a field, not one per group member
				return
			}
			reported[path] = true
			p.errs = append(p.errs, &Error{Pos: pos, Path: path, Msg: fmt.Sprintf(
				"%s %s, which profile %q does not build (only %s): list the same profiles here, or build %s under %q too",
				what, ref, name, strings.Join(v.Omitted[ref], ", "), ref, name)})
		}
		for _, st := range v.Steps {
			for _, in := range st.Inputs {
				for _, r := range in.Refs {
					if v.steps[r.Step] == nil {
						missing(st.Pos, st.Path+".inputs", "reads", r.Step)
					}
				}
			}
		}
		for _, n := range v.Numbers {
			if !n.auto && n.From.Step != "" && v.steps[n.From.Step] == nil {
				missing(n.Pos, "values."+n.Name+".from", "reads", n.From.Step)
			}
		}
		figs := map[string]bool{}
		for _, f := range v.Figures {
			figs[f.Name] = true
		}
		for _, c := range v.Claims {
			path := section(c.Check) + "." + c.Name
			if c.Figure != "" && !figs[c.Figure] {
				missing(c.Pos, path+".figure", "shows its evidence in", c.Figure)
			}
			values := map[string]string{path + ".value": c.Value}
			if c.When != nil {
				values[path+".when.value"] = c.When.Value
			}
			for _, field := range sortedKeys(values) {
				val := values[field]
				if _, err := v.Number(val); err != nil {
					ref, _, _ := strings.Cut(val, ":")
					if _, omitted := v.Omitted[ref]; !omitted {
						ref = val
					}
					missing(c.Pos, field, "reads", ref)
				}
			}
		}
	}
}

// ForProfile returns the spec as profile builds it: without the steps,
// groups, figures, values and claims that list other profiles, and with
// Omitted naming them. The spec itself is unchanged.
func (s *Spec) ForProfile(profile string) *Spec {
	c := *s
	c.Omitted = map[string][]string{}
	c.Steps = built(s.Steps, profile, c.Omitted, func(st *Step) (string, []string) { return st.Name, st.Profiles })
	c.steps = map[string]*Step{}
	for _, st := range c.Steps {
		c.steps[st.Name] = st
	}
	c.Groups = built(s.Groups, profile, c.Omitted, func(g *Group) (string, []string) { return g.Name, g.Profiles })
	c.groups = map[string]*Group{}
	for _, g := range c.Groups {
		c.groups[g.Name] = g
	}
	c.Figures = built(s.Figures, profile, c.Omitted, func(f *Figure) (string, []string) { return f.Name, f.Profiles })
	// A claim's STEP:KEY number exists where its step does.
	c.Numbers = nil
	for _, n := range built(s.Numbers, profile, c.Omitted, func(n *Number) (string, []string) { return n.Name, n.Profiles }) {
		if !n.auto || c.steps[n.From.Step] != nil {
			c.Numbers = append(c.Numbers, n)
		}
	}
	c.Claims = built(s.Claims, profile, c.Omitted, func(cl *Claim) (string, []string) { return cl.Name, cl.Profiles })
	for _, cl := range s.Claims {
		if base, _, member := strings.Cut(cl.Name, "["); member && !builds(cl.Profiles, profile) {
			c.Omitted[base] = cl.Profiles // the claim group, for {{claims NAME}}
		}
	}
	return &c
}

// built returns the items that profile builds, recording each other's name
// and profiles in omitted.
func built[T any](items []T, profile string, omitted map[string][]string, of func(T) (name string, profiles []string)) []T {
	var out []T
	for _, it := range items {
		name, profiles := of(it)
		if !builds(profiles, profile) {
			omitted[name] = profiles
			continue
		}
		out = append(out, it)
	}
	return out
}
