// Package spec reads Kadanoff experiment specs: one YAML file per paper that
// declares its steps, figures, quoted values, claims and profiles.
//
// Reading is strict: an unknown field, a wrong type, a duplicate name or a
// dangling reference is an error that names file:line:column and the field
// path. Whether operations and their parameters exist is checked by the
// pipeline, which knows the operations; this package keeps the YAML node of
// every parameter so that those errors are located too. FORMAT.md beside this
// file documents the format.
package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// FigureOp is the operation of the step each figure becomes.
const FigureOp = "figure.render"

// Spec is one paper's experiment spec.
type Spec struct {
	File      string
	Paper     Paper
	Narrative string // path of the report narrative, resolved against the spec's directory
	// NarrativePos is where the spec names its narrative (zero when it
	// takes the default, reports/PAPER.md).
	NarrativePos Pos
	// Vars are the spec's named constants, substituted for $NAME wherever a
	// value is written.
	Vars     map[string]*yaml.Node
	Steps    []*Step // every step, group members and figures included, in spec order
	Groups   []*Group
	Figures  []*Figure
	Numbers  []*Number
	Claims   []*Claim
	Profiles map[string]*Profile
	// Defaults holds, by op name, the parameters every step of the op takes
	// unless it sets them (the defaults: section).
	Defaults map[string]*Defaults
	// Omitted names, in a spec ForProfile returns, the steps, groups,
	// figures, values and claims that the profile does not build, each with
	// the profiles that do.
	Omitted map[string][]string

	groups map[string]*Group
	steps  map[string]*Step
}

// Defaults are the parameters a spec gives every step of an op that does not
// set them itself: one set of training parameters written once. Profile
// overrides apply above them, as above the step's own.
type Defaults struct {
	Op     string
	Pos    Pos // of the op's name in defaults:
	Path   string
	Params []*Param
}

// applyDefaults adds to every step the defaults of its op that it does not
// set. The added parameters keep the defaults' positions, so that an error in
// one names the line of defaults: it was written on.
func applyDefaults(s *Spec) {
	if len(s.Defaults) == 0 {
		return
	}
	for _, st := range s.Steps {
		d := s.Defaults[st.Op]
		if d == nil {
			continue
		}
		for _, dp := range d.Params {
			set := false
			for _, sp := range st.Params {
				if sp.Name == dp.Name {
					set = true
					break
				}
			}
			if !set {
				c := *dp
				st.Params = append(st.Params, &c)
			}
		}
	}
}

// Paper is the bibliographic record of the source paper.
type Paper struct {
	ID, Title, Authors, Citation, Link string
}

// Step is one named computation: an operation applied to parameters and to
// outputs of other steps.
type Step struct {
	Name   string
	Op     string
	Params []*Param
	Inputs []*Input
	Pos    Pos // of the step's name (of the template's, for a group member)
	OpPos  Pos
	Path   string // the step's field path: steps.NAME, or figures.NAME for a figure
	// Member and Template are set for a step of a group: the member it belongs
	// to and the template step it copies.
	Member   *Member
	Template string
	// Figure is set for the step that renders a figure.
	Figure *Figure
	// Profiles are the profiles that build the step (every profile when
	// empty); a group's members and a figure's step take their group's and
	// figure's.
	Profiles []string
}

// Param is a parameter as written, decoded later against the operation's declaration.
type Param struct {
	Name string
	Node *yaml.Node
	Pos  Pos
	Path string
	// FromGroup marks a replicates count the step's group declared for all
	// its template steps (it applies to the steps that draw random numbers).
	FromGroup bool
}

// ReplicatesParam is the step field (and profile override) that repeats a
// step on independent random streams: replicates: N makes N steps, and the
// steps that read them are repeated along with them. SeedParam offsets a
// step's random streams. Both are read by the pipeline, not by the op.
const (
	ReplicatesParam = "replicates"
	SeedParam       = "seed"
)

// Input binds an operation input to outputs of other steps.
type Input struct {
	// Name is the op's input, or WholeStep.
	Name string
	Refs []Ref
	Pos  Pos
	raw  []rawRef
}

// WholeStep is the name of the input a step writes as inputs: STEP: it
// stands for every input of the op, each bound to STEP's output of the same
// name (one an op may go without is left out when STEP has no such output).
const WholeStep = "*"

// Figure is a figure of the paper. It is drawn by an ordinary step of the same
// name (op figure.render) whose parameters are the layout and whose inputs are
// the panels' data; the spec keeps here what the report shows.
type Figure struct {
	Name    string
	Number  string
	Title   string
	Caption string
	Panels  []*Panel
	Pos     Pos
	Step    *Step
	// Profiles are the profiles that build the figure (every one when empty).
	Profiles []string
}

// Panel is one plot of a figure: a kind, its input data and its fields as
// written (validated by the figure op through the kind's declaration).
type Panel struct {
	Kind   string
	Inputs []Ref
	// Node is the panel's mapping without its input; it becomes part of the
	// figure step's panels parameter.
	Node *yaml.Node
	Pos  Pos
	raw  []rawRef
	// Replicates says what the panel draws of a replicated input: "first"
	// (the default: replicate 0) or "all" (every replicate; the figure op
	// gets the panel field replicates: N and N inputs per reference).
	Replicates string
}

// Number is a named number that the narrative quotes (a spec "value"), taken
// from a step's scalars.
type Number struct {
	Name   string
	From   Ref
	Key    string
	Digits int // significant digits to print; 0 means 4
	Doc    string
	Pos    Pos
	raw    rawRef
	// Profiles are the profiles whose reports quote the value (every one
	// when empty).
	Profiles []string
	// auto marks a number a claim's STEP:KEY made: present wherever its
	// step is.
	auto bool
}

// Claim is a statement of the paper checked against a measured value.
type Claim struct {
	Name      string
	Figure    string
	Statement string
	// Value names the number the claim checks: a value of the spec, or
	// "STEP[.OUTPUT]:KEY" (a scalar read directly from a step's output).
	Value   string
	Expect  Expect
	Against string // what the expectation comes from: paper, exact or qualitative
	// Quote and Section are the paper's own words the claim tests and where
	// they stand, for the report's ledger; empty when not given.
	Quote, Section string
	// Quorum is the fraction of replicates in which the claim must hold to be
	// reproduced (default DefaultQuorum); it holds in at most 1 − Quorum of
	// them to be not reproduced, and is seed-dependent in between.
	Quorum float64
	// Check marks a sanity check of the build (a spec's checks: section),
	// not a statement of the paper: reports list checks apart and count
	// only claims.
	Check bool
	// When, if set, is the condition under which the claim is meaningful:
	// where it fails (replicate by replicate when both numbers have the
	// same replicates) the claim is not evaluated.
	When   *Condition
	Pos    Pos
	member *Member
	// Profiles are the profiles whose reports judge the claim (every one
	// when empty).
	Profiles []string
}

// Condition is a claim's precondition: a number and the test it must pass,
// with a statement of what it means.
type Condition struct {
	Statement string
	Value     string
	Expect    Expect
	// Fails, set by otherwise: fails, makes the claim not hold where the
	// condition fails (the claim presupposes it) rather than leaving it
	// not evaluated there.
	Fails bool
}

// DefaultQuorum is a claim's quorum when it sets none.
const DefaultQuorum = 0.8

// Expect is the test a claim's value must pass. Exactly one form is set.
type Expect struct {
	Less, Greater *float64
	Between       []float64
	Equals        *float64
	Tolerance     float64
}

// Profile overrides parameters of steps: by op, by group member and by step.
type Profile struct {
	Name      string
	Doc       string
	Overrides []*Override
	Pos       Pos
}

// Override is one entry of a profile. An override by op applies to every step
// of that op, one by group to the selected members, one by step to that step;
// where several set a parameter, the most specific wins (step, then group,
// then op).
type Override struct {
	Selector string   // as written: "op:NAME", "STEP", "GROUP.STEP" or "GROUP[axis=v].STEP"
	Op       string   // for "op:NAME"
	Steps    []string // the steps a step or group selector names
	Params   []*Param
	Pos      Pos
	rank     int
}

// RequiredProfiles must be declared by every spec.
var RequiredProfiles = []string{"quick", "paper"}

// MaxSize is the largest spec file Load reads (the papers' specs are a few
// kilobytes; /dev/zero or a runaway generator must not exhaust memory).
const MaxSize = 4 << 20

// Load reads and checks the spec in file.
func Load(file string) (*Spec, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(data) > MaxSize {
		return nil, Errors{{Pos: Pos{file, 1, 1}, Msg: fmt.Sprintf("spec is larger than %d MiB: not read", MaxSize>>20)}}
	}
	return Parse(file, data)
}

// Parse reads and checks a spec from data; file names it in errors.
func Parse(file string, data []byte) (*Spec, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errors{{Pos: Pos{file, 1, 1}, Msg: "empty spec"}}
		}
		return nil, Errors{yamlError(file, err)}
	}
	var second yaml.Node
	if err := dec.Decode(&second); !errors.Is(err, io.EOF) {
		line := second.Line
		if err != nil {
			return nil, Errors{yamlError(file, err)}
		}
		return nil, Errors{{Pos: Pos{file, max(line, 1), 1}, Msg: "a spec is one YAML document; a second one starts here (remove the --- separator)"}}
	}
	if n := expandedSize(&doc, map[*yaml.Node]int{}); n > maxNodes {
		return nil, Errors{{Pos: Pos{file, 1, 1}, Msg: fmt.Sprintf("spec expands to more than %d YAML nodes (aliases of aliases?): not read", maxNodes)}}
	}
	p := &parser{file: file}
	s := p.spec(&doc)
	if err := p.errs.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlError(file string, err error) *Error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		var line int
		fmt.Sscan(m[1], &line)
		return &Error{Pos: Pos{file, line, 1}, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{Pos: Pos{file, 1, 1}, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

type parser struct {
	file string
	errs Errors
	// profileUses are the profiles: fields read, checked by checkProfiles.
	profileUses []profileUse
}

func (p *parser) pos(n *yaml.Node) Pos { return Pos{p.file, n.Line, n.Column} }

func (p *parser) errorf(n *yaml.Node, path, format string, args ...any) {
	p.errs = append(p.errs, &Error{Pos: p.pos(n), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// field is a mapping entry.
type field struct {
	key  string
	kn   *yaml.Node
	val  *yaml.Node
	path string
}

// mapping returns the entries of n in order, reporting duplicates and, when
// allowed is non-nil, unknown keys.
func (p *parser) mapping(n *yaml.Node, path string, allowed ...string) []field {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil
		}
		p.errorf(n, path, "want a mapping, got %s", describe(n))
		return nil
	}
	seen := map[string]bool{}
	var out []field
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], resolve(n.Content[i+1])
		if kn.Tag == "!!merge" {
			out = append(out, p.mapping(vn, path, allowed...)...)
			continue
		}
		fp := join(path, kn.Value)
		if seen[kn.Value] {
			p.errorf(kn, fp, "duplicate key %q", kn.Value)
			continue
		}
		seen[kn.Value] = true
		if allowed != nil && !contains(allowed, kn.Value) {
			p.errorf(kn, fp, "unknown field %q (allowed: %s)", kn.Value, strings.Join(allowed, ", "))
			continue
		}
		out = append(out, field{kn.Value, kn, vn, fp})
	}
	return out
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		return resolve(n.Content[0])
	}
	return n
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) str(f field) string {
	if f.val.Kind != yaml.ScalarNode || f.val.Tag == "!!null" {
		p.errorf(f.val, f.path, "want a string, got %s", describe(f.val))
		return ""
	}
	return f.val.Value
}

// strs decodes a list of strings.
func (p *parser) strs(f field) []string {
	if f.val.Kind != yaml.SequenceNode || len(f.val.Content) == 0 {
		p.errorf(f.val, f.path, "want a list of strings, got %s", describe(f.val))
		return nil
	}
	var out []string
	for i, c := range f.val.Content {
		out = append(out, p.str(field{key: f.key, kn: f.kn, val: c, path: fmt.Sprintf("%s[%d]", f.path, i)}))
	}
	return out
}

func (p *parser) num(f field) float64 {
	x, err := decodeFloat(f.val)
	if err != nil {
		p.errorf(f.val, f.path, "%v", err)
	}
	return x
}

func (p *parser) int(f field) int {
	x, err := decodeInt(f.val)
	if err != nil {
		p.errorf(f.val, f.path, "%v", err)
	}
	return int(x)
}

var nameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// MaxName bounds names as written; a group member's full name (group,
// selector and step) may be up to MaxStepName. Step names become file names
// of the report's data.
const (
	MaxName     = 64
	MaxStepName = 160
)

func (p *parser) name(f field) bool {
	if !nameRE.MatchString(f.key) {
		p.errorf(f.kn, f.path, "bad name %q: use letters, digits, '_' and '-', starting with a letter", f.key)
		return false
	}
	if len(f.key) > MaxName {
		p.errorf(f.kn, f.path, "name of %d characters: at most %d", len(f.key), MaxName)
		return false
	}
	return true
}

// reservedIDs are paper ids that would collide with the report's own files.
func reservedIDs() []string { return []string{"assets", "index", "index.html"} }

func (p *parser) spec(doc *yaml.Node) *Spec {
	s := &Spec{File: p.file, Profiles: map[string]*Profile{}, groups: map[string]*Group{}, steps: map[string]*Step{}}
	root := resolve(doc)
	fields := p.mapping(root, "", "paper", "narrative", "vars", "defaults", "steps", "figures", "values", "claims", "checks", "profiles")
	have := map[string]field{}
	for _, f := range fields {
		have[f.key] = f
	}
	s.Vars = map[string]*yaml.Node{}
	if f, ok := have["vars"]; ok {
		s.Vars = p.vars(f)
	}
	known := sortedKeys(s.Vars)
	// Constants are substituted everywhere first; a group's axes next, in its members.
	sub := func(f field) field {
		f.val = subst(f.val, s.Vars)
		return f
	}
	for _, key := range []string{"paper", "narrative", "defaults", "steps", "figures", "values", "claims", "checks", "profiles"} {
		f, ok := have[key]
		if !ok {
			continue
		}
		f = sub(f)
		switch key {
		case "paper":
			p.unresolved(f.val, f.path, known)
			p.paper(s, f)
		case "narrative":
			p.unresolved(f.val, f.path, known)
			s.Narrative = p.str(f)
			s.NarrativePos = p.pos(f.kn)
		case "defaults":
			p.unresolved(f.val, f.path, known)
			s.Defaults = map[string]*Defaults{}
			for _, of := range p.mapping(f.val, f.path) {
				s.Defaults[of.key] = &Defaults{Op: of.key, Pos: p.pos(of.kn), Path: of.path, Params: p.params(of.val, of.path)}
			}
		case "steps":
			p.steps(s, f)
		case "figures":
			for _, ff := range p.mapping(f.val, f.path) {
				if p.name(ff) {
					p.figure(s, ff)
				}
			}
		case "values":
			p.unresolved(f.val, f.path, known)
			for _, vf := range p.mapping(f.val, f.path) {
				if p.name(vf) {
					s.Numbers = append(s.Numbers, p.number(vf))
				}
			}
		case "claims", "checks":
			for _, cf := range p.mapping(f.val, f.path) {
				if !p.name(cf) {
					continue
				}
				for _, c := range p.claims(s, cf, key == "checks") {
					if prev := s.Claim(c.Name); prev != nil {
						p.errorf(cf.kn, cf.path, "%q is declared twice (claims and checks share one namespace; first at line %d)", c.Name, prev.Pos.Line)
						continue
					}
					s.Claims = append(s.Claims, c)
				}
			}
		case "profiles":
			p.unresolved(f.val, f.path, known)
			for _, pf := range p.mapping(f.val, f.path) {
				if p.name(pf) {
					s.Profiles[pf.key] = p.profile(pf)
				}
			}
		}
	}
	applyDefaults(s)
	for _, req := range []string{"paper", "steps"} {
		if _, ok := have[req]; !ok {
			p.errorf(root, req, "missing required section %q", req)
		}
	}
	for _, name := range RequiredProfiles {
		if _, ok := s.Profiles[name]; !ok {
			p.errorf(root, "profiles", "missing required profile %q", name)
		}
	}
	if s.Paper.ID != "" {
		narrativePos := root
		if f, ok := have["narrative"]; ok {
			narrativePos = f.val
		}
		if s.Narrative == "" {
			s.Narrative = filepath.Join("..", "reports", s.Paper.ID+".md")
		}
		// The narrative is published: keep it inside the spec's repository,
		// never /etc/passwd.
		if filepath.IsAbs(s.Narrative) {
			p.errorf(narrativePos, "narrative", "the narrative must be a path relative to the spec, got %q", s.Narrative)
		}
		s.Narrative = filepath.Join(filepath.Dir(p.file), s.Narrative)
		root := repositoryRoot(filepath.Dir(p.file))
		abs, _ := filepath.Abs(s.Narrative)
		if !within(root, abs) {
			p.errorf(narrativePos, "narrative", "the narrative %q lies outside the spec's repository (%s)", s.Narrative, root)
		} else if real, realRoot, err := resolved(abs, root); err == nil && !within(realRoot, real) {
			// A link inside the repository to a file outside it.
			p.errorf(narrativePos, "narrative", "the narrative %q is a link to %s, outside the spec's repository (%s)", s.Narrative, real, root)
		}
	}
	p.link(s)
	p.checkProfiles(s)
	return s
}

// steps reads the steps section: plain steps and groups (an entry with foreach).
func (p *parser) steps(s *Spec, f field) {
	known := sortedKeys(s.Vars)
	for _, sf := range p.mapping(f.val, f.path) {
		if !p.name(sf) {
			continue
		}
		if isGroup(sf.val) {
			g, members := p.group(sf, s.Vars)
			for _, a := range g.Axes {
				if _, clash := s.Vars[a.Name]; clash {
					p.errorf(sf.kn, sf.path+".foreach."+a.Name, "axis %q has the name of a constant in vars", a.Name)
				}
			}
			if p.claim1(s, sf, g.Name) {
				s.Groups = append(s.Groups, g)
				s.groups[g.Name] = g
			}
			for _, st := range members {
				p.addStep(s, st, sf.kn)
			}
			continue
		}
		p.unresolved(sf.val, sf.path, known)
		if p.claim1(s, sf, sf.key) {
			p.addStep(s, p.step(sf), sf.kn)
		}
	}
}

func isGroup(n *yaml.Node) bool {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "foreach" {
			return true
		}
	}
	return false
}

// claim1 reserves a name in the namespace of steps, groups and figures.
func (p *parser) claim1(s *Spec, f field, name string) bool {
	if s.steps[name] != nil || s.groups[name] != nil {
		p.errorf(f.kn, f.path, "name %q is already used by a step, group or figure", name)
		return false
	}
	return true
}

func (p *parser) addStep(s *Spec, st *Step, at *yaml.Node) {
	if len(st.Name) > MaxStepName {
		p.errorf(at, "steps."+st.Name[:40]+"…", "step name of %d characters: at most %d (shorten the group's axis values or names)", len(st.Name), MaxStepName)
		return
	}
	if s.steps[st.Name] != nil {
		p.errorf(at, "steps."+st.Name, "name %q is already used by a step, group or figure", st.Name)
		return
	}
	s.steps[st.Name] = st
	s.Steps = append(s.Steps, st)
}

func (p *parser) paper(s *Spec, f field) {
	for _, pf := range p.mapping(f.val, f.path, "id", "title", "authors", "citation", "link") {
		v := p.str(pf)
		switch pf.key {
		case "id":
			s.Paper.ID = v
			if v != "" && (!nameRE.MatchString(v) || len(v) > MaxName) {
				p.errorf(pf.val, pf.path, "bad paper id %q: use up to %d letters, digits, '_' and '-', starting with a letter", v, MaxName)
			}
			if contains(reservedIDs(), strings.ToLower(v)) {
				p.errorf(pf.val, pf.path, "paper id %q is reserved for the report's own files (reserved: %s)", v, strings.Join(reservedIDs(), ", "))
			}
		case "title":
			s.Paper.Title = v
		case "authors":
			s.Paper.Authors = v
		case "citation":
			s.Paper.Citation = v
		case "link":
			s.Paper.Link = v
			if err := checkLink(v); err != nil {
				p.errorf(pf.val, pf.path, "%v", err)
			}
		}
	}
	if s.Paper.ID == "" {
		p.errorf(f.kn, f.path+".id", "missing required field \"id\"")
	}
	if s.Paper.Title == "" {
		p.errorf(f.kn, f.path+".title", "missing required field \"title\"")
	}
}

func (p *parser) step(f field) *Step {
	st := &Step{Name: f.key, Pos: p.pos(f.kn), Path: f.path}
	haveOp := false
	for _, sf := range p.mapping(f.val, f.path, "op", "params", "inputs", "doc", "profiles", ReplicatesParam) {
		switch sf.key {
		case "profiles":
			st.Profiles = p.profileList(sf)
		case ReplicatesParam:
			st.Params = append(st.Params, &Param{Name: ReplicatesParam, Node: sf.val, Pos: p.pos(sf.val), Path: sf.path})
		case "op":
			st.Op = p.str(sf)
			st.OpPos = p.pos(sf.val)
			haveOp = true
		case "doc":
			p.str(sf)
		case "params":
			st.Params = append(st.Params, p.params(sf.val, sf.path)...)
		case "inputs":
			if v := resolve(sf.val); v.Kind == yaml.ScalarNode {
				// inputs: STEP binds every input of the op to the step's
				// output of the same name.
				st.Inputs = append(st.Inputs, &Input{Name: WholeStep, Pos: p.pos(sf.val), raw: p.rawRefs(sf.val, sf.path, nil)})
				continue
			}
			for _, inf := range p.mapping(sf.val, sf.path) {
				st.Inputs = append(st.Inputs, &Input{Name: inf.key, Pos: p.pos(inf.kn), raw: p.rawRefs(inf.val, inf.path, nil)})
			}
		}
	}
	if !haveOp {
		p.errorf(f.kn, f.path+".op", "missing required field \"op\"")
	}
	return st
}

func (p *parser) params(n *yaml.Node, path string) []*Param {
	var out []*Param
	for _, pf := range p.mapping(n, path) {
		out = append(out, &Param{Name: pf.key, Node: pf.val, Pos: p.pos(pf.val), Path: pf.path})
	}
	return out
}

// synth returns a scalar node placed at n's position.
func synth(n *yaml.Node, tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value, Line: n.Line, Column: n.Column}
}

func (p *parser) figure(s *Spec, f field) {
	fig := &Figure{Name: f.key, Pos: p.pos(f.kn)}
	st := &Step{Name: f.key, Op: FigureOp, Pos: fig.Pos, OpPos: fig.Pos, Path: f.path, Figure: fig}
	fig.Step = st
	param := func(name string, n *yaml.Node, path string) {
		st.Params = append(st.Params, &Param{Name: name, Node: n, Pos: p.pos(n), Path: path})
	}
	letters := false
	var names []string // the panels' own letters, when the spec lists them
	var lettersField *field
	var panelsField *field
	for _, ff := range p.mapping(f.val, f.path, "number", "title", "caption", "columns", "panel_size", "panels", "colorscale", "letters", "profiles") {
		switch ff.key {
		case "profiles":
			fig.Profiles = p.profileList(ff)
			st.Profiles = fig.Profiles
		case "number":
			if ff.val.Kind != yaml.ScalarNode || ff.val.Tag == "!!null" {
				p.errorf(ff.val, ff.path, "want a figure number such as 12 or 5b, got %s", describe(ff.val))
				continue
			}
			fig.Number = ff.val.Value
			param("number", synth(ff.val, "!!str", fig.Number), ff.path)
		case "title":
			p.unresolved(ff.val, ff.path, sortedKeys(s.Vars))
			fig.Title = p.str(ff)
		case "caption":
			p.unresolved(ff.val, ff.path, sortedKeys(s.Vars))
			fig.Caption = p.str(ff)
		case "columns":
			param("columns", ff.val, ff.path)
		case "panel_size":
			param("size", ff.val, ff.path)
		case "colorscale":
			param("colorscale", ff.val, ff.path)
		case "letters":
			if ff.val.Kind == yaml.SequenceNode {
				v, err := Decode(ff.val, Strings)
				if err != nil {
					p.errorf(ff.val, ff.path, "%v", err)
				}
				names, letters = v.Strings, true
				lf := ff
				lettersField = &lf
				continue
			}
			v, err := Decode(ff.val, Bool)
			if err != nil {
				p.errorf(ff.val, ff.path, "want true, false or a list of the panels' letters: %v", err)
			}
			letters = v.Bool
		case "panels":
			pf := ff
			panelsField = &pf
		}
	}
	if fig.Number == "" {
		p.errorf(f.kn, f.path+".number", "missing required field \"number\"")
	}
	if panelsField != nil {
		fig.Panels = p.panels(s, *panelsField, nil, s.Vars)
	}
	if len(fig.Panels) == 0 {
		p.errorf(f.kn, f.path+".panels", "a figure needs at least one panel")
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: f.kn.Line, Column: f.kn.Column}
	if panelsField != nil {
		seq.Line, seq.Column = panelsField.val.Line, panelsField.val.Column
	}
	if lettersField != nil && len(names) != len(fig.Panels) {
		p.errorf(lettersField.val, lettersField.path, "%d letters for %d panels: give one per panel, or true for (a), (b), …", len(names), len(fig.Panels))
		names = nil
	}
	for i, pn := range fig.Panels {
		if letters {
			prefix := "(" + string(rune('a'+i%26)) + ")"
			if names != nil {
				prefix = "(" + names[i] + ")"
			}
			setTitle(pn.Node, prefix)
		}
		seq.Content = append(seq.Content, pn.Node)
	}
	param("panels", seq, f.path+".panels")
	s.Figures = append(s.Figures, fig)
	if p.claim1(s, f, f.key) {
		p.addStep(s, st, f.kn)
	}
}

// setTitle prefixes a panel's title with its letter, adding a title if it has none.
func setTitle(n *yaml.Node, prefix string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "title" {
			v := *n.Content[i+1]
			if v.Kind == yaml.ScalarNode {
				v.Value = prefix + " " + v.Value
				n.Content[i+1] = &v
			}
			return
		}
	}
	n.Content = append(n.Content, synth(n, "!!str", "title"), synth(n, "!!str", prefix))
}

// panels reads a list of panels, expanding foreach blocks: {foreach: GROUP,
// panels: [...]} repeats its panels for every member of a group (inputs name
// the member's steps by their template names), {foreach: {axis: [...]},
// panels: [...]} over the given axes. ${axis} in a panel's strings is the
// member's value.
func (p *parser) panels(s *Spec, f field, m *Member, vars map[string]*yaml.Node) []*Panel {
	if f.val.Kind != yaml.SequenceNode {
		p.errorf(f.val, f.path, "want a list of panels, got %s", describe(f.val))
		return nil
	}
	var out []*Panel
	for i, c := range f.val.Content {
		c = resolve(c)
		path := fmt.Sprintf("%s[%d]", f.path, i)
		if !isForeach(c) {
			c = subst(c, vars)
			p.unresolved(c, path, sortedKeys(vars))
			if pn := p.panel(c, path, m); pn != nil {
				out = append(out, pn)
			}
			continue
		}
		var over, body, with *field
		for _, bf := range p.mapping(c, path, "foreach", "with", "panels") {
			bf := bf
			switch bf.key {
			case "foreach":
				over = &bf
			case "with":
				with = &bf
			case "panels":
				body = &bf
			}
		}
		if body == nil || over == nil {
			p.errorf(c, path, "a foreach block needs foreach (a group or axes) and panels")
			continue
		}
		var members []*Member
		if over.val.Kind == yaml.ScalarNode {
			g := s.groups[over.val.Value]
			if g == nil {
				p.errorf(over.val, over.path, "unknown group %q", over.val.Value)
				continue
			}
			members = g.Members
		} else {
			g := &Group{Name: "panels"}
			p.foreach(*over, g)
			if with != nil {
				p.with(*with, g)
			}
			members = g.Members
		}
		if with != nil && over.val.Kind == yaml.ScalarNode {
			p.errorf(with.val, with.path, "with binds values to the members of axes of the panels' own, not of group %q", over.val.Value)
		}
		for _, mm := range members {
			inner := *body
			inner.path = body.path + mm.Selector()
			ctx := m
			if mm.Group.Name != "panels" {
				ctx = mm
			}
			out = append(out, p.panels(s, inner, ctx, withVars(vars, mm))...)
		}
	}
	return out
}

func isForeach(n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "foreach" {
			return true
		}
	}
	return false
}

// panel reads one panel: its kind and input are the spec's concern, the rest
// is kept as written for the figure op to validate against the kind.
func (p *parser) panel(n *yaml.Node, path string, m *Member) *Panel {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "want a panel (a mapping with kind and input), got %s", describe(n))
		return nil
	}
	pn := &Panel{Pos: p.pos(n)}
	node := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column, Style: n.Style}
	haveInput, haveKind := false, false
	for _, f := range p.mapping(n, path) {
		switch f.key {
		case "kind":
			pn.Kind = p.str(f)
			haveKind = true
		case "input":
			pn.raw = p.rawRefs(f.val, f.path, m)
			haveInput = true
			continue
		case ReplicatesParam:
			pn.Replicates = p.str(f)
			if pn.Replicates != "first" && pn.Replicates != "all" {
				p.errorf(f.val, f.path, "want first or all (what the panel draws of a replicated input), got %q", pn.Replicates)
			}
			continue
		}
		node.Content = append(node.Content, f.kn, f.val)
	}
	if !haveKind {
		p.errorf(n, path+".kind", "missing required field \"kind\"")
	}
	if !haveInput {
		p.errorf(n, path+".input", "missing required field \"input\"")
	}
	pn.Node = node
	return pn
}

func (p *parser) number(f field) *Number {
	v := &Number{Name: f.key, Pos: p.pos(f.kn)}
	haveFrom := false
	for _, vf := range p.mapping(f.val, f.path, "from", "key", "digits", "doc", "profiles") {
		switch vf.key {
		case "profiles":
			v.Profiles = p.profileList(vf)
		case "from":
			v.raw, haveFrom = p.rawRef(vf.val, vf.path, nil)
		case "key":
			v.Key = p.str(vf)
		case "digits":
			v.Digits = p.int(vf)
		case "doc":
			v.Doc = p.str(vf)
		}
	}
	if !haveFrom {
		p.errorf(f.kn, f.path+".from", "missing required field \"from\"")
	}
	if v.Key == "" {
		p.errorf(f.kn, f.path+".key", "missing required field \"key\"")
	}
	return v
}

// claims reads a claim, or one claim per member when it has foreach (a group,
// whose steps its value names by their template names, or axes); ${axis} in
// its strings is the member's value, and the claims are named NAME[axis=v].
func (p *parser) claims(s *Spec, f field, check bool) []*Claim {
	known := sortedKeys(s.Vars)
	over := fieldOf(f.val, "foreach")
	if over == nil {
		p.unresolved(f.val, f.path, known)
		return []*Claim{p.claim(f, nil, check)}
	}
	var members []*Member
	if over.Kind == yaml.ScalarNode {
		g := s.groups[over.Value]
		if g == nil {
			p.errorf(over, f.path+".foreach", "unknown group %q", over.Value)
			return nil
		}
		members = g.Members
	} else {
		g := &Group{Name: f.key}
		p.foreach(field{key: "foreach", val: over, path: f.path + ".foreach"}, g)
		members = g.Members
	}
	var out []*Claim
	for _, m := range members {
		name := f.key + m.Selector()
		body := subst(withoutKey(f.val, "foreach"), withVars(s.Vars, m))
		p.unresolved(body, section(check)+"."+name, sortedKeys(withVars(s.Vars, m)))
		ctx := m
		if m.Group.Name == f.key {
			ctx = nil // axes of the claim itself, not of a group
		}
		out = append(out, p.claim(field{key: name, kn: f.kn, val: body, path: section(check) + "." + name}, ctx, check))
	}
	return out
}

// fieldOf returns the value of a mapping's key, or nil.
func fieldOf(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolve(n.Content[i+1])
		}
	}
	return nil
}

// withoutKey returns a copy of mapping n without key.
func withoutKey(n *yaml.Node, key string) *yaml.Node {
	c := *resolve(n)
	c.Content = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != key {
			c.Content = append(c.Content, n.Content[i], n.Content[i+1])
		}
	}
	return &c
}

func againstKinds() []string { return []string{"paper", "exact", "qualitative"} }

// section is the spec section a claim or check is declared in.
func section(check bool) string {
	if check {
		return "checks"
	}
	return "claims"
}

func (p *parser) claim(f field, m *Member, check bool) *Claim {
	c := &Claim{Name: f.key, Pos: p.pos(f.kn), Against: "paper", Quorum: DefaultQuorum, Check: check, member: m}
	if check {
		c.Against = "exact"
	}
	haveExpect := false
	for _, cf := range p.mapping(f.val, f.path, "figure", "statement", "value", "expect", "against", "quote", "section", "quorum", "when", "profiles") {
		switch cf.key {
		case "profiles":
			c.Profiles = p.profileList(cf)
		case "when":
			c.When = p.condition(cf)
		case "quote":
			c.Quote = p.str(cf)
		case "section":
			c.Section = p.str(cf)
		case "quorum":
			c.Quorum = p.num(cf)
			if c.Quorum <= 0.5 || c.Quorum > 1 {
				p.errorf(cf.val, cf.path, "quorum is a fraction of replicates above 0.5 and at most 1, got %v", c.Quorum)
			}
		case "figure":
			c.Figure = p.str(cf)
		case "statement":
			c.Statement = p.str(cf)
		case "value":
			c.Value = p.str(cf)
		case "against":
			c.Against = p.str(cf)
			if !contains(againstKinds(), c.Against) {
				p.errorf(cf.val, cf.path, "unknown reference %q (known: %s)", c.Against, strings.Join(againstKinds(), ", "))
			}
		case "expect":
			haveExpect = true
			c.Expect = p.expect(cf)
		}
	}
	for _, req := range []struct {
		name string
		ok   bool
	}{{"statement", c.Statement != ""}, {"value", c.Value != ""}, {"expect", haveExpect}, {"quote", check || c.Quote != ""}} {
		if !req.ok {
			msg := fmt.Sprintf("missing required field %q", req.name)
			if req.name == "quote" {
				msg += " (a claim names the paper's sentence it tests; a check of the build that the paper does not state goes under checks:)"
			}
			p.errorf(f.kn, f.path+"."+req.name, "%s", msg)
		}
	}
	return c
}

// condition reads a claim's when: {statement, value, expect}.
func (p *parser) condition(f field) *Condition {
	w := &Condition{}
	haveExpect := false
	for _, cf := range p.mapping(f.val, f.path, "statement", "value", "expect", "otherwise") {
		switch cf.key {
		case "otherwise":
			switch v := p.str(cf); v {
			case "not evaluated":
			case "fails":
				w.Fails = true
			default:
				p.errorf(cf.val, cf.path, "want \"not evaluated\" (the claim says nothing where the condition fails) or \"fails\" (the claim presupposes it), got %q", v)
			}
		case "statement":
			w.Statement = p.str(cf)
		case "value":
			w.Value = p.str(cf)
		case "expect":
			haveExpect = true
			w.Expect = p.expect(cf)
		}
	}
	for _, req := range []struct {
		name string
		ok   bool
	}{{"statement", w.Statement != ""}, {"value", w.Value != ""}, {"expect", haveExpect}} {
		if !req.ok {
			p.errorf(f.kn, f.path+"."+req.name, "missing required field %q", req.name)
		}
	}
	return w
}

func (p *parser) expect(f field) Expect {
	var e Expect
	forms := 0
	haveTol := false
	for _, ef := range p.mapping(f.val, f.path, "less", "greater", "between", "equals", "tolerance") {
		switch ef.key {
		case "less":
			v := p.num(ef)
			e.Less = &v
			forms++
		case "greater":
			v := p.num(ef)
			e.Greater = &v
			forms++
		case "between":
			v, err := decodeFloats(ef.val)
			if err != nil || len(v) != 2 || v[0] > v[1] {
				p.errorf(ef.val, ef.path, "want [low, high] with low <= high")
			}
			e.Between = v
			forms++
		case "equals":
			v := p.num(ef)
			e.Equals = &v
			forms++
		case "tolerance":
			e.Tolerance = p.num(ef)
			haveTol = true
			if e.Tolerance < 0 {
				p.errorf(ef.val, ef.path, "tolerance must not be negative")
			}
		}
	}
	if forms != 1 {
		p.errorf(f.val, f.path, "want exactly one of less, greater, between or equals")
	}
	if haveTol != (e.Equals != nil) {
		p.errorf(f.val, f.path, "tolerance goes with equals, and equals needs a tolerance")
	}
	return e
}

func (p *parser) profile(f field) *Profile {
	pr := &Profile{Name: f.key, Pos: p.pos(f.kn)}
	for _, sf := range p.mapping(f.val, f.path) {
		if sf.key == "doc" {
			pr.Doc = p.str(sf)
			continue
		}
		o := &Override{Selector: sf.key, Pos: p.pos(sf.kn), Params: p.params(sf.val, sf.path)}
		if op, ok := strings.CutPrefix(sf.key, "op:"); ok {
			o.Op = op
		}
		pr.Overrides = append(pr.Overrides, o)
	}
	return pr
}

// link resolves every reference now that all steps are known, binds profile
// overrides to steps, synthesizes the numbers claims read directly, and
// reports dangling names.
func (p *parser) link(s *Spec) {
	for _, st := range s.Steps {
		for _, in := range st.Inputs {
			for _, r := range in.raw {
				r.member = st.Member
				in.Refs = append(in.Refs, p.resolveRef(s, r)...)
			}
		}
	}
	for _, fig := range s.Figures {
		in := &Input{Name: "panels", Pos: fig.Pos}
		for _, pn := range fig.Panels {
			n := 0
			for _, r := range pn.raw {
				refs := p.resolveRef(s, r)
				pn.Inputs = append(pn.Inputs, refs...)
				n += len(refs)
			}
			in.Refs = append(in.Refs, pn.Inputs...)
			pn.Node.Content = append(pn.Node.Content, synth(pn.Node, "!!str", "inputs"), synth(pn.Node, "!!int", strconv.Itoa(n)))
		}
		fig.Step.Inputs = []*Input{in}
	}
	vals := map[string]bool{}
	for _, v := range s.Numbers {
		vals[v.Name] = true
		if v.raw.node == nil {
			continue
		}
		refs := p.resolveRef(s, v.raw)
		if len(refs) > 1 {
			p.errorf(v.raw.node, v.raw.path, "a value reads one step; %q names %d", v.raw.text, len(refs))
		} else if len(refs) == 1 {
			v.From = refs[0]
		}
	}
	figs := map[string]bool{}
	for _, fig := range s.Figures {
		figs[fig.Name] = true
	}
	for _, c := range s.Claims {
		base := section(c.Check) + "." + c.Name
		c.Value = p.claimValue(s, c, c.Value, base+".value", vals)
		if c.When != nil {
			c.When.Value = p.claimValue(s, c, c.When.Value, base+".when.value", vals)
		}
		if c.Figure != "" && !figs[c.Figure] {
			p.errs = append(p.errs, &Error{Pos: c.Pos, Path: base + ".figure", Msg: fmt.Sprintf("unknown figure %q", c.Figure)})
		}
	}
	for _, name := range sortedKeys(s.Profiles) {
		pr := s.Profiles[name]
		for _, fig := range s.Figures {
			n := synth(&yaml.Node{Line: pr.Pos.Line, Column: pr.Pos.Col}, "!!str", pr.Name)
			pr.Overrides = append(pr.Overrides, &Override{Selector: fig.Name, Steps: []string{fig.Name}, rank: 2,
				Params: []*Param{{Name: "profile", Node: n, Pos: pr.Pos, Path: "profiles." + pr.Name}}})
		}
	}
	ops := map[string]bool{}
	for _, st := range s.Steps {
		ops[st.Op] = true
	}
	for _, name := range sortedKeys(s.Profiles) {
		pr := s.Profiles[name]
		for _, o := range pr.Overrides {
			path := "profiles." + pr.Name + "." + o.Selector
			n := &yaml.Node{Line: o.Pos.Line, Column: o.Pos.Col}
			switch {
			case o.Op != "":
				if !ops[o.Op] {
					p.errorf(n, path, "no step uses op %q", o.Op)
				}
			case s.steps[o.Selector] != nil:
				o.Steps, o.rank = []string{o.Selector}, 2
			default:
				if _, isGroup := s.groups[strings.Split(strings.Split(o.Selector, "[")[0], ".")[0]]; !isGroup {
					p.errorf(n, path, "unknown step %q (a profile overrides a step, GROUP.STEP, GROUP[axis=value].STEP or op:NAME)", o.Selector)
					continue
				}
				for _, r := range p.resolveRef(s, rawRef{text: o.Selector, node: n, path: path}) {
					if r.Output != "" {
						p.errorf(n, path, "a profile overrides steps, not outputs: %q", o.Selector)
						break
					}
					o.Steps = append(o.Steps, r.Step)
				}
				o.rank = 1
			}
		}
	}
}

// StepByName returns the named step, or nil.
func (s *Spec) StepByName(name string) *Step {
	if s.steps != nil {
		return s.steps[name]
	}
	for _, st := range s.Steps {
		if st.Name == name {
			return st
		}
	}
	return nil
}

// Group returns the named group, or nil.
func (s *Spec) Group(name string) *Group { return s.groups[name] }

// EffectiveParams returns a step's parameters with the profile's overrides
// applied: those by op first, then by group, then by step, so the most
// specific wins. An unknown profile is an error.
func (s *Spec) EffectiveParams(st *Step, profile string) ([]*Param, error) {
	pr, ok := s.Profiles[profile]
	if !ok {
		return nil, fmt.Errorf("%s: unknown profile %q (declared: %s)", s.File, profile, strings.Join(sortedKeys(s.Profiles), ", "))
	}
	out := append([]*Param(nil), st.Params...)
	for rank := 0; rank <= 2; rank++ {
		for _, o := range pr.Overrides {
			if o.rank != rank || !o.applies(st) {
				continue
			}
			for _, op := range o.Params {
				replaced := false
				for i, p := range out {
					if p.Name == op.Name {
						out[i] = op
						replaced = true
					}
				}
				if !replaced {
					out = append(out, op)
				}
			}
		}
	}
	return out, nil
}

func (o *Override) applies(st *Step) bool {
	if o.Op != "" {
		return st.Op == o.Op
	}
	return contains(o.Steps, st.Name)
}

// claimValue resolves the number a claim (or its condition) reads: a value
// of the spec, or STEP[.OUTPUT]:KEY, for which it synthesizes a number. It
// returns the value's canonical name.
func (p *parser) claimValue(s *Spec, c *Claim, value, path string, vals map[string]bool) string {
	ref, key, direct := strings.Cut(value, ":")
	if !direct {
		if value != "" && !vals[value] {
			p.errs = append(p.errs, &Error{Pos: c.Pos, Path: path, Msg: fmt.Sprintf("unknown value %q (a value's name, or STEP:KEY)", value)})
		}
		return value
	}
	if vals[value] {
		return value
	}
	n := synth(&yaml.Node{Line: c.Pos.Line, Column: c.Pos.Col}, "!!str", ref)
	refs := p.resolveRef(s, rawRef{text: ref, node: n, path: path, member: c.member})
	switch {
	case key == "":
		p.errorf(n, path, "want STEP[.OUTPUT]:KEY, got %q", value)
	case len(refs) > 1:
		p.errorf(n, path, "a claim reads one step; %q names %d", ref, len(refs))
	case len(refs) == 1:
		value = refs[0].String() + ":" + key
		if !vals[value] {
			s.Numbers = append(s.Numbers, &Number{Name: value, From: refs[0], Key: key, Pos: c.Pos, auto: true})
			vals[value] = true
		}
	}
	return value
}

// Claim returns the claim or check named name, or nil.
func (s *Spec) Claim(name string) *Claim {
	for _, c := range s.Claims {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Number returns the number a narrative or claim names: a value of the spec,
// or "STEP[.OUTPUT]:KEY", a scalar read directly from one step's output.
func (s *Spec) Number(name string) (*Number, error) {
	for _, n := range s.Numbers {
		if n.Name == name {
			return n, nil
		}
	}
	ref, key, direct := strings.Cut(name, ":")
	if !direct || key == "" {
		return nil, fmt.Errorf("unknown value %q (a value's name, or STEP:KEY)", name)
	}
	p := &parser{file: s.File}
	refs := p.resolveRef(s, rawRef{text: ref, node: &yaml.Node{}, path: "value"})
	if len(p.errs) > 0 {
		return nil, fmt.Errorf("%s", p.errs[0].Msg)
	}
	if len(refs) != 1 {
		return nil, fmt.Errorf("%q names %d steps, want one", ref, len(refs))
	}
	return &Number{Name: refs[0].String() + ":" + key, From: refs[0], Key: key}, nil
}

// within reports whether path lies in the directory root (both absolute).
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// resolved returns path and root with every symbolic link resolved; an error
// when path does not exist (reading it reports that).
func resolved(path, root string) (realPath, realRoot string, err error) {
	if realPath, err = filepath.EvalSymlinks(path); err != nil {
		return "", "", err
	}
	if realRoot, err = filepath.EvalSymlinks(root); err != nil {
		return "", "", err
	}
	return realPath, realRoot, nil
}

// checkLink accepts the paper's link when the report may make it live: an
// http or https address, or a relative one.
func checkLink(v string) error {
	if strings.TrimSpace(v) != v || strings.ContainsFunc(v, unicode.IsControl) {
		return fmt.Errorf("link %q has spaces around it or control characters", v)
	}
	u, err := url.Parse(v)
	if err != nil {
		return fmt.Errorf("link %q is not a URL: %v", v, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "", "http", "https":
		return nil
	}
	return fmt.Errorf("link %q: want an http or https address (or a relative one), not %s:", v, u.Scheme)
}

// repositoryRoot is the nearest directory at or above dir holding .git or
// go.mod, else the directory above dir (configs/ sits at a repository's top).
func repositoryRoot(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	for d := abs; ; {
		for _, marker := range []string{".git", "go.mod"} {
			if _, err := os.Stat(filepath.Join(d, marker)); err == nil {
				return d
			}
		}
		up := filepath.Dir(d)
		if up == d {
			return filepath.Dir(abs)
		}
		d = up
	}
}

// maxNodes bounds the YAML nodes of a spec with its aliases expanded, against
// "billion laughs" documents; the papers' specs have a few thousand.
const maxNodes = 1_000_000

// expandedSize counts n's nodes with aliases expanded, saturating above maxNodes.
func expandedSize(n *yaml.Node, memo map[*yaml.Node]int) int {
	if n == nil {
		return 0
	}
	if v, ok := memo[n]; ok {
		return v
	}
	memo[n] = maxNodes + 1 // a cycle counts as too big
	size := 1
	if n.Kind == yaml.AliasNode {
		size += expandedSize(n.Alias, memo)
	}
	for _, c := range n.Content {
		size += expandedSize(c, memo)
		if size > maxNodes {
			break
		}
	}
	size = min(size, maxNodes+1)
	memo[n] = size
	return size
}
