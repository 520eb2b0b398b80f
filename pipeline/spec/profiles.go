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
	omit := func(name string, profiles []string) { c.Omitted[name] = profiles }
	c.Steps, c.steps = nil, map[string]*Step{}
	for _, st := range s.Steps {
		if !builds(st.Profiles, profile) {
			omit(st.Name, st.Profiles)
			continue
		}
		c.Steps = append(c.Steps, st)
		c.steps[st.Name] = st
	}
	c.Groups, c.groups = nil, map[string]*Group{}
	for _, g := range s.Groups {
		if !builds(g.Profiles, profile) {
			omit(g.Name, g.Profiles)
			continue
		}
		c.Groups = append(c.Groups, g)
		c.groups[g.Name] = g
	}
	c.Figures = nil
	for _, f := range s.Figures {
		if !builds(f.Profiles, profile) {
			omit(f.Name, f.Profiles)
			continue
		}
		c.Figures = append(c.Figures, f)
	}
	c.Numbers = nil
	for _, n := range s.Numbers {
		if n.auto && c.steps[n.From.Step] == nil || !builds(n.Profiles, profile) {
			if !n.auto {
				omit(n.Name, n.Profiles)
			}
			continue
		}
		c.Numbers = append(c.Numbers, n)
	}
	c.Claims = nil
	for _, cl := range s.Claims {
		if !builds(cl.Profiles, profile) {
			omit(cl.Name, cl.Profiles)
			base, _, _ := strings.Cut(cl.Name, "[")
			omit(base, cl.Profiles)
			continue
		}
		c.Claims = append(c.Claims, cl)
	}
	return &c
}
