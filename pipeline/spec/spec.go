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
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Spec is one paper's experiment spec.
type Spec struct {
	File      string
	Paper     Paper
	Narrative string // path of the report narrative, resolved against the spec's directory
	Steps     []*Step
	Figures   []*Figure
	Numbers   []*Number
	Claims    []*Claim
	Profiles  map[string]*Profile
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
	Pos    Pos // of the step's name
	OpPos  Pos
}

// Param is a parameter as written, decoded later against the operation's declaration.
type Param struct {
	Name string
	Node *yaml.Node
	Pos  Pos
	Path string
}

// Input binds an operation input to outputs of other steps.
type Input struct {
	Name string
	Refs []Ref
	Pos  Pos
}

// Ref names a step's output: "step" (its only or first output) or "step.output".
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

// Figure is a figure of the paper: panels laid out in a grid.
type Figure struct {
	Name    string
	Number  string
	Title   string
	Caption string
	Columns int
	// PanelWidth and PanelHeight are in centimetres.
	PanelWidth, PanelHeight float64
	Panels                  []*Panel
	Pos                     Pos
}

// Panel is one plot of a figure.
type Panel struct {
	Kind   string // heatmap or line
	Input  Ref
	Title  string
	XLabel string
	YLabel string
	// For line panels: the table columns for x, y and (optionally) y's error.
	// Y may name several columns (a list in the spec), drawn as separate
	// series in one panel; Ys holds them all, Y the first, and Labels, when
	// set, their legend entries. Err applies to a single series only.
	X, Y, Err string
	Ys        []string
	Labels    []string
	// For heatmap panels: which panel of a stack of 2-D arrays (the leading index).
	Index int
	// Ref draws a horizontal reference line at this y (line panels).
	Ref *float64
	// YLim, when set, fixes the y range [low, high] (line panels); what lies
	// outside is clipped.
	YLim []float64
	Pos  Pos
}

// PanelKinds are the plot kinds a panel may have.
var PanelKinds = []string{"heatmap", "line"}

// Number is a named number that the narrative quotes (a spec "value"), taken
// from a step's scalars.
type Number struct {
	Name   string
	From   Ref
	Key    string
	Digits int // significant digits to print; 0 means 4
	Doc    string
	Pos    Pos
}

// Claim is a statement of the paper checked against a measured value.
type Claim struct {
	Name      string
	Figure    string
	Statement string
	Value     string
	Expect    Expect
	Against   string // what the expectation comes from: paper, exact or qualitative
	Pos       Pos
}

// Expect is the test a claim's value must pass. Exactly one form is set.
type Expect struct {
	Less, Greater *float64
	Between       []float64
	Equals        *float64
	Tolerance     float64
}

// Profile overrides parameters of named steps.
type Profile struct {
	Name      string
	Doc       string
	Overrides map[string][]*Param // by step name
	Pos       Pos
}

// RequiredProfiles must be declared by every spec.
var RequiredProfiles = []string{"quick", "paper"}

// Load reads and checks the spec in file.
func Load(file string) (*Spec, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return Parse(file, data)
}

// Parse reads and checks a spec from data; file names it in errors.
func Parse(file string, data []byte) (*Spec, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, Errors{yamlError(file, err)}
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

func (p *parser) name(f field) bool {
	if !nameRE.MatchString(f.key) {
		p.errorf(f.kn, f.path, "bad name %q: use letters, digits, '_' and '-', starting with a letter", f.key)
		return false
	}
	return true
}

func (p *parser) spec(doc *yaml.Node) *Spec {
	s := &Spec{File: p.file, Profiles: map[string]*Profile{}}
	root := resolve(doc)
	var have = map[string]bool{}
	for _, f := range p.mapping(root, "", "paper", "narrative", "steps", "figures", "values", "claims", "profiles") {
		have[f.key] = true
		switch f.key {
		case "paper":
			p.paper(s, f)
		case "narrative":
			s.Narrative = p.str(f)
		case "steps":
			for _, sf := range p.mapping(f.val, f.path) {
				if p.name(sf) {
					s.Steps = append(s.Steps, p.step(sf))
				}
			}
		case "figures":
			for _, ff := range p.mapping(f.val, f.path) {
				if p.name(ff) {
					s.Figures = append(s.Figures, p.figure(ff))
				}
			}
		case "values":
			for _, vf := range p.mapping(f.val, f.path) {
				if p.name(vf) {
					s.Numbers = append(s.Numbers, p.number(vf))
				}
			}
		case "claims":
			for _, cf := range p.mapping(f.val, f.path) {
				if p.name(cf) {
					s.Claims = append(s.Claims, p.claim(cf))
				}
			}
		case "profiles":
			for _, pf := range p.mapping(f.val, f.path) {
				if p.name(pf) {
					s.Profiles[pf.key] = p.profile(pf)
				}
			}
		}
	}
	for _, req := range []string{"paper", "steps"} {
		if !have[req] {
			p.errorf(root, req, "missing required section %q", req)
		}
	}
	for _, name := range RequiredProfiles {
		if _, ok := s.Profiles[name]; !ok {
			p.errorf(root, "profiles", "missing required profile %q", name)
		}
	}
	if s.Paper.ID != "" {
		if s.Narrative == "" {
			s.Narrative = filepath.Join("..", "reports", s.Paper.ID+".md")
		}
		if !filepath.IsAbs(s.Narrative) {
			s.Narrative = filepath.Join(filepath.Dir(p.file), s.Narrative)
		}
	}
	p.crossCheck(s, root)
	return s
}

func (p *parser) paper(s *Spec, f field) {
	for _, pf := range p.mapping(f.val, f.path, "id", "title", "authors", "citation", "link") {
		v := p.str(pf)
		switch pf.key {
		case "id":
			s.Paper.ID = v
			if v != "" && !nameRE.MatchString(v) {
				p.errorf(pf.val, pf.path, "bad paper id %q: use letters, digits, '_' and '-'", v)
			}
		case "title":
			s.Paper.Title = v
		case "authors":
			s.Paper.Authors = v
		case "citation":
			s.Paper.Citation = v
		case "link":
			s.Paper.Link = v
		}
	}
	if s.Paper.ID == "" {
		p.errorf(f.kn, f.path+".id", "missing required field \"id\"")
	}
	if s.Paper.Title == "" {
		p.errorf(f.kn, f.path+".title", "missing required field \"title\"")
	}
}

func (p *parser) ref(n *yaml.Node, path string) Ref {
	r := Ref{Pos: p.pos(n), Path: path}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" || n.Value == "" {
		p.errorf(n, path, "want a step name (step or step.output), got %s", describe(n))
		return r
	}
	r.Step, r.Output, _ = strings.Cut(n.Value, ".")
	return r
}

func (p *parser) step(f field) *Step {
	st := &Step{Name: f.key, Pos: p.pos(f.kn)}
	haveOp := false
	for _, sf := range p.mapping(f.val, f.path, "op", "params", "inputs") {
		switch sf.key {
		case "op":
			st.Op = p.str(sf)
			st.OpPos = p.pos(sf.val)
			haveOp = true
		case "params":
			st.Params = p.params(sf.val, sf.path)
		case "inputs":
			for _, inf := range p.mapping(sf.val, sf.path) {
				in := &Input{Name: inf.key, Pos: p.pos(inf.kn)}
				if inf.val.Kind == yaml.SequenceNode {
					for i, c := range inf.val.Content {
						in.Refs = append(in.Refs, p.ref(resolve(c), fmt.Sprintf("%s[%d]", inf.path, i)))
					}
				} else {
					in.Refs = append(in.Refs, p.ref(inf.val, inf.path))
				}
				st.Inputs = append(st.Inputs, in)
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

func (p *parser) figure(f field) *Figure {
	fig := &Figure{Name: f.key, Pos: p.pos(f.kn), Columns: 1, PanelWidth: 9, PanelHeight: 7}
	for _, ff := range p.mapping(f.val, f.path, "number", "title", "caption", "columns", "panel_size", "panels") {
		switch ff.key {
		case "number":
			fig.Number = ff.val.Value
			if ff.val.Kind != yaml.ScalarNode {
				p.errorf(ff.val, ff.path, "want a figure number such as 12 or 5b, got %s", describe(ff.val))
			}
		case "title":
			fig.Title = p.str(ff)
		case "caption":
			fig.Caption = p.str(ff)
		case "columns":
			fig.Columns = p.int(ff)
			if fig.Columns < 1 {
				p.errorf(ff.val, ff.path, "columns must be at least 1")
			}
		case "panel_size":
			v, err := decodeFloats(ff.val)
			if err != nil || len(v) != 2 || v[0] <= 0 || v[1] <= 0 {
				p.errorf(ff.val, ff.path, "want [width, height] in centimetres")
				continue
			}
			fig.PanelWidth, fig.PanelHeight = v[0], v[1]
		case "panels":
			if ff.val.Kind != yaml.SequenceNode {
				p.errorf(ff.val, ff.path, "want a list of panels, got %s", describe(ff.val))
				continue
			}
			for i, c := range ff.val.Content {
				fig.Panels = append(fig.Panels, p.panel(resolve(c), fmt.Sprintf("%s[%d]", ff.path, i)))
			}
		}
	}
	if fig.Number == "" {
		p.errorf(f.kn, f.path+".number", "missing required field \"number\"")
	}
	if len(fig.Panels) == 0 {
		p.errorf(f.kn, f.path+".panels", "a figure needs at least one panel")
	}
	return fig
}

func (p *parser) panel(n *yaml.Node, path string) *Panel {
	pn := &Panel{Pos: p.pos(n)}
	haveInput := false
	for _, f := range p.mapping(n, path, "kind", "input", "title", "xlabel", "ylabel", "x", "y", "err", "index", "ref", "ylim", "labels") {
		switch f.key {
		case "kind":
			pn.Kind = p.str(f)
			if pn.Kind != "" && !contains(PanelKinds, pn.Kind) {
				p.errorf(f.val, f.path, "unknown panel kind %q (known: %s)", pn.Kind, strings.Join(PanelKinds, ", "))
			}
		case "input":
			pn.Input = p.ref(f.val, f.path)
			haveInput = true
		case "title":
			pn.Title = p.str(f)
		case "xlabel":
			pn.XLabel = p.str(f)
		case "ylabel":
			pn.YLabel = p.str(f)
		case "x":
			pn.X = p.str(f)
		case "y":
			if f.val.Kind == yaml.SequenceNode {
				pn.Ys = p.strs(f)
				if len(pn.Ys) > 0 {
					pn.Y = pn.Ys[0]
				}
				continue
			}
			pn.Y = p.str(f)
			pn.Ys = []string{pn.Y}
		case "labels":
			pn.Labels = p.strs(f)
		case "err":
			pn.Err = p.str(f)
		case "index":
			pn.Index = p.int(f)
		case "ref":
			v := p.num(f)
			pn.Ref = &v
		case "ylim":
			v, err := decodeFloats(f.val)
			if err != nil || len(v) != 2 || v[0] >= v[1] {
				p.errorf(f.val, f.path, "want [low, high] with low < high")
				continue
			}
			pn.YLim = v
		}
	}
	if pn.Kind == "" {
		p.errorf(n, path+".kind", "missing required field \"kind\"")
	}
	if !haveInput {
		p.errorf(n, path+".input", "missing required field \"input\"")
	}
	if pn.Kind == "line" && (pn.X == "" || pn.Y == "") {
		p.errorf(n, path, "a line panel needs x and y (table columns)")
	}
	if pn.Labels != nil && len(pn.Labels) != len(pn.Ys) {
		p.errorf(n, path+".labels", "%d labels for %d y columns", len(pn.Labels), len(pn.Ys))
	}
	if pn.Err != "" && len(pn.Ys) > 1 {
		p.errorf(n, path+".err", "err applies to a single y column, not %d", len(pn.Ys))
	}
	return pn
}

func (p *parser) number(f field) *Number {
	v := &Number{Name: f.key, Pos: p.pos(f.kn)}
	haveFrom := false
	for _, vf := range p.mapping(f.val, f.path, "from", "key", "digits", "doc") {
		switch vf.key {
		case "from":
			v.From = p.ref(vf.val, vf.path)
			haveFrom = true
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

var againstKinds = []string{"paper", "exact", "qualitative"}

func (p *parser) claim(f field) *Claim {
	c := &Claim{Name: f.key, Pos: p.pos(f.kn), Against: "paper"}
	haveExpect := false
	for _, cf := range p.mapping(f.val, f.path, "figure", "statement", "value", "expect", "against") {
		switch cf.key {
		case "figure":
			c.Figure = p.str(cf)
		case "statement":
			c.Statement = p.str(cf)
		case "value":
			c.Value = p.str(cf)
		case "against":
			c.Against = p.str(cf)
			if !contains(againstKinds, c.Against) {
				p.errorf(cf.val, cf.path, "unknown reference %q (known: %s)", c.Against, strings.Join(againstKinds, ", "))
			}
		case "expect":
			haveExpect = true
			c.Expect = p.expect(cf)
		}
	}
	for _, req := range []struct {
		name string
		ok   bool
	}{{"statement", c.Statement != ""}, {"value", c.Value != ""}, {"expect", haveExpect}} {
		if !req.ok {
			p.errorf(f.kn, f.path+"."+req.name, "missing required field %q", req.name)
		}
	}
	return c
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
	pr := &Profile{Name: f.key, Pos: p.pos(f.kn), Overrides: map[string][]*Param{}}
	for _, sf := range p.mapping(f.val, f.path) {
		if sf.key == "doc" {
			pr.Doc = p.str(sf)
			continue
		}
		pr.Overrides[sf.key] = p.params(sf.val, sf.path)
	}
	return pr
}

// crossCheck reports names used twice across steps and figures, and references
// to steps, values and figures that do not exist.
func (p *parser) crossCheck(s *Spec, root *yaml.Node) {
	nodes := map[string]bool{}
	for _, st := range s.Steps {
		nodes[st.Name] = true
	}
	for _, fig := range s.Figures {
		if nodes[fig.Name] {
			p.errs = append(p.errs, &Error{Pos: fig.Pos, Path: "figures." + fig.Name, Msg: fmt.Sprintf("name %q is already used by a step", fig.Name)})
		}
	}
	checkRef := func(r Ref) {
		if r.Step != "" && !nodes[r.Step] {
			p.errs = append(p.errs, &Error{Pos: r.Pos, Path: r.Path, Msg: fmt.Sprintf("unknown step %q", r.Step)})
		}
	}
	for _, st := range s.Steps {
		for _, in := range st.Inputs {
			for _, r := range in.Refs {
				checkRef(r)
			}
		}
	}
	figs := map[string]bool{}
	for _, fig := range s.Figures {
		figs[fig.Name] = true
		for _, pn := range fig.Panels {
			checkRef(pn.Input)
		}
	}
	vals := map[string]bool{}
	for _, v := range s.Numbers {
		vals[v.Name] = true
		checkRef(v.From)
	}
	for _, c := range s.Claims {
		if c.Value != "" && !vals[c.Value] {
			p.errs = append(p.errs, &Error{Pos: c.Pos, Path: "claims." + c.Name + ".value", Msg: fmt.Sprintf("unknown value %q", c.Value)})
		}
		if c.Figure != "" && !figs[c.Figure] {
			p.errs = append(p.errs, &Error{Pos: c.Pos, Path: "claims." + c.Name + ".figure", Msg: fmt.Sprintf("unknown figure %q", c.Figure)})
		}
	}
	for _, pr := range s.Profiles {
		for step, params := range pr.Overrides {
			if !nodes[step] {
				pos := pr.Pos
				if len(params) > 0 {
					pos = params[0].Pos
				}
				p.errs = append(p.errs, &Error{Pos: pos, Path: "profiles." + pr.Name + "." + step, Msg: fmt.Sprintf("unknown step %q", step)})
			}
		}
	}
}

// StepByName returns the named step, or nil.
func (s *Spec) StepByName(name string) *Step {
	for _, st := range s.Steps {
		if st.Name == name {
			return st
		}
	}
	return nil
}

// EffectiveParams returns a step's parameters with the profile's overrides applied.
// An unknown profile is an error.
func (s *Spec) EffectiveParams(st *Step, profile string) ([]*Param, error) {
	pr, ok := s.Profiles[profile]
	if !ok {
		names := make([]string, 0, len(s.Profiles))
		for n := range s.Profiles {
			names = append(names, n)
		}
		return nil, fmt.Errorf("%s: unknown profile %q (declared: %s)", s.File, profile, strings.Join(sortedStrings(names), ", "))
	}
	out := append([]*Param(nil), st.Params...)
	for _, o := range pr.Overrides[st.Name] {
		replaced := false
		for i, p := range out {
			if p.Name == o.Name {
				out[i] = o
				replaced = true
			}
		}
		if !replaced {
			out = append(out, o)
		}
	}
	return out, nil
}

func sortedStrings(s []string) []string {
	sort.Strings(s)
	return s
}
