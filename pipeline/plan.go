package pipeline

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// Node is a step of the plan.
type Node struct {
	ID     string // "paper/name", unique across specs
	Name   string
	Spec   *spec.Spec
	Op     Op
	Params map[string]spec.Value
	Inputs []NodeInput
	// Step is the spec's step the node was made from.
	Step *spec.Step
	// Base is the spec step's name; Name is Base for a step that is not
	// replicated, else Base with the replicate (ReplicaName). Rep is the
	// replicate's index and Reps their number (0 when not replicated).
	Base      string
	Rep, Reps int

	plan *Plan
	seed int64 // the step's seed parameter

	deps  []*Node
	users []*Node
}

// NodeInput binds one declared input of a node's op to outputs of other nodes.
type NodeInput struct {
	Name string
	Refs []NodeRef
}

// NodeRef is one output of another node.
type NodeRef struct {
	Node   *Node
	Output string
	Kind   artifact.Kind
}

// Columns returns the declared columns of the table the reference names, or nil.
func (r NodeRef) Columns() []string {
	for _, o := range r.Node.Op.Outputs() {
		if o.Name == r.Output {
			return o.Columns
		}
	}
	return nil
}

// Deps returns the nodes this node reads from, without repeats.
func (n *Node) Deps() []*Node { return n.deps }

// ParamNames returns the names of the node's parameters, sorted.
func (n *Node) ParamNames() []string {
	names := make([]string, 0, len(n.Params))
	for k := range n.Params {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Plan is the graph of every step of a set of specs under one profile, in
// topological order.
type Plan struct {
	Profile string
	Specs   []*spec.Spec
	Nodes   []*Node
	// Seed offsets every random stream of the build (kadanoff build --seed).
	Seed     int64
	byID     map[string]*Node
	replicas map[string][]*Node // by "paper/base", when replicated
}

// Lookup finds a node by "paper/name" or, when unambiguous, by name alone.
// The name of a replicated step (without its replicate) finds replicate 0.
func (p *Plan) Lookup(name string) (*Node, error) {
	all, err := p.LookupAll(name)
	if err != nil {
		return nil, err
	}
	return all[0], nil
}

// LookupOutput finds the node and output a reference STEP[.OUTPUT] names
// (output empty when it names none): a group member's step
// (GROUP[axis=v].STEP.OUTPUT), or a replicate's (NAME[rep=R].OUTPUT).
func (p *Plan) LookupOutput(ref string) (*Node, string, error) {
	if n, err := p.Lookup(ref); err == nil {
		return n, "", nil
	}
	name, output := spec.SplitStepRef(ref)
	n, err := p.Lookup(name)
	if err == nil {
		return n, output, nil
	}
	// NAME[rep=R].OUTPUT reads like a group member's step.
	if i := strings.LastIndex(ref, "]."); i >= 0 {
		if m, e := p.Lookup(ref[:i+1]); e == nil {
			return m, ref[i+2:], nil
		}
	}
	return nil, "", err
}

// Replicas returns the nodes of spec step "paper/base": its replicates in
// order, or the one node of a step that is not replicated; nil when unknown.
func (p *Plan) Replicas(id string) []*Node {
	if n, ok := p.byID[id]; ok {
		return []*Node{n}
	}
	return p.replicas[id]
}

// LookupAll finds the nodes a name means, as Lookup does, except that the
// name of a replicated step (without its replicate) finds every replicate.
func (p *Plan) LookupAll(name string) ([]*Node, error) {
	if ns := p.Replicas(name); ns != nil {
		return ns, nil
	}
	var found []*Node
	for _, n := range p.Nodes {
		if n.Name == name || (n.Reps > 0 && n.Base == name) {
			found = append(found, n)
		}
	}
	ids := map[string]bool{}
	for _, n := range found {
		ids[n.Spec.Paper.ID] = true
	}
	switch {
	case len(found) == 0:
		return nil, fmt.Errorf("no step or figure named %q", name)
	case len(ids) == 1:
		return found, nil
	}
	var names []string
	for _, n := range found {
		names = append(names, n.ID)
	}
	return nil, fmt.Errorf("%q is ambiguous: %s", name, strings.Join(names, ", "))
}

// Closure returns the given nodes and everything they depend on, in plan order.
func (p *Plan) Closure(targets []*Node) []*Node {
	need := map[*Node]bool{}
	var visit func(n *Node)
	visit = func(n *Node) {
		if need[n] {
			return
		}
		need[n] = true
		for _, d := range n.deps {
			visit(d)
		}
	}
	for _, t := range targets {
		visit(t)
	}
	var out []*Node
	for _, n := range p.Nodes {
		if need[n] {
			out = append(out, n)
		}
	}
	return out
}

// NewPlan checks the specs against the registry under the named profile and
// returns the step graph of what the profile builds (Spec.ForProfile; the
// plan's Specs are those views). Errors are spec.Errors, located in the spec files.
// A replicated step (replicates: N, declared or read from a replicated input)
// becomes N nodes, REP 0 … N−1 (ReplicaName).
func NewPlan(specs []*spec.Spec, reg *Registry, profile string) (*Plan, error) {
	// Each spec as the profile builds it (an unknown profile is reported
	// below).
	specs = slices.Clone(specs)
	for i, s := range specs {
		if _, ok := s.Profiles[profile]; ok {
			specs[i] = s.ForProfile(profile)
		}
	}
	pl := &planner{p: &Plan{Profile: profile, Specs: specs, byID: map[string]*Node{}, replicas: map[string][]*Node{}}}
	if err := pl.addNodes(specs, reg, profile); err != nil {
		return nil, err
	}
	for _, pd := range pl.all {
		pl.bindInputs(pd.node, pd.step)
	}
	pl.checkNumbers(specs)
	if err := pl.errs.Err(); err != nil {
		return nil, err
	}
	pl.link()
	if err := pl.order(); err != nil {
		return nil, err
	}
	return pl.p, nil
}

// planner builds a Plan, collecting the specs' errors to report together.
type planner struct {
	p    *Plan
	errs spec.Errors
	all  []pending // every node, with the step it comes from
}

// pending is a node with the spec step it comes from.
type pending struct {
	node *Node
	step *spec.Step
}

func (pl *planner) errorf(pos spec.Pos, path, format string, args ...any) {
	pl.errs = append(pl.errs, &spec.Error{Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// addNodes makes the nodes of every step of the specs (replicates and group
// members included). A profile a spec does not declare is an error at once.
func (pl *planner) addNodes(specs []*spec.Spec, reg *Registry, profile string) error {
	papers := map[string]string{}
	for _, s := range specs {
		if prev, dup := papers[s.Paper.ID]; dup {
			pl.errorf(spec.Pos{File: s.File, Line: 1, Col: 1}, "paper.id", "paper %q is also declared in %s", s.Paper.ID, prev)
			continue
		}
		papers[s.Paper.ID] = s.File
		if _, ok := s.Profiles[profile]; !ok {
			names := make([]string, 0, len(s.Profiles))
			for name := range s.Profiles {
				names = append(names, name)
			}
			sort.Strings(names)
			return spec.Errors{{Pos: spec.Pos{File: s.File, Line: 1, Col: 1}, Path: "profiles",
				Msg: fmt.Sprintf("unknown profile %q (this spec declares: %s)", profile, strings.Join(names, ", "))}}
		}
		for _, op := range sortedOps(s.Defaults) {
			if _, ok := reg.Lookup(op); !ok {
				d := s.Defaults[op]
				pl.errorf(d.Pos, d.Path, "unknown op %q%s; `kadanoff ops` lists every op", op, suggest(op, reg.Names()))
			}
		}
		rp := newReplication(s, reg, profile)
		for _, st := range s.Steps {
			nodes, e := pl.p.stepNodes(s, st, rp, reg, profile)
			pl.errs = append(pl.errs, e...)
			for _, n := range nodes {
				pl.all = append(pl.all, pending{n, st})
			}
		}
		pl.errs = append(pl.errs, rp.errs...)
	}
	return nil
}

// bindInputs checks node n's parameters together and binds its inputs, now
// that every node exists.
func (pl *planner) bindInputs(n *Node, st *spec.Step) {
	if n.Op == nil {
		return
	}
	if v, ok := n.Op.(Validator); ok && len(n.Params) == len(n.Op.Params()) && n.Rep == 0 {
		if err := v.Validate(n.Params); err != nil {
			pl.errorf(st.Pos, st.Path+".params", "%v", err)
		}
	}
	declared := map[string]InputSpec{}
	for _, is := range n.Op.Inputs() {
		declared[is.Name] = is
	}
	given := map[string]bool{}
	for _, in := range pl.wholeStep(n, inputsOf(st)) {
		path := "steps." + n.Name + ".inputs." + in.Name
		is, ok := declared[in.Name]
		if !ok {
			pl.errorf(in.Pos, path, "op %s has no input %q (inputs: %s)", n.Op.Name(), in.Name, inputNames(n.Op))
			continue
		}
		given[in.Name] = true
		if !is.Many && len(in.Refs) != 1 {
			pl.errorf(in.Pos, path, "input %q takes one step, got %d", in.Name, len(in.Refs))
			continue
		}
		n.Inputs = append(n.Inputs, pl.bindInput(n, is, in))
	}
	for _, is := range n.Op.Inputs() {
		if !given[is.Name] && !is.Many {
			pl.errorf(st.Pos, "steps."+n.Name+".inputs", "missing input %q of op %s", is.Name, n.Op.Name())
		}
	}
	sort.Slice(n.Inputs, func(i, j int) bool { return n.Inputs[i].Name < n.Inputs[j].Name })
}

// wholeStep replaces an input written as inputs: STEP (spec.WholeStep) by
// one input per input of n's op that the step does not bind itself, each
// reading STEP's output of the input's name; an input the op may go without
// is left out when STEP has no such output.
func (pl *planner) wholeStep(n *Node, ins []stepInput) []stepInput {
	var whole *stepInput
	explicit := map[string]bool{}
	var out []stepInput
	for i, in := range ins {
		if in.Name == spec.WholeStep {
			whole = &ins[i]
			continue
		}
		explicit[in.Name] = true
		out = append(out, in)
	}
	if whole == nil {
		return ins
	}
	for _, is := range n.Op.Inputs() {
		if explicit[is.Name] {
			continue
		}
		in := &spec.Input{Name: is.Name, Pos: whole.Pos}
		for _, ref := range whole.Refs {
			ref.Output = is.Name
			if _, err := pl.p.bind(n.Spec, ref); err != nil && is.Many {
				continue
			}
			in.Refs = append(in.Refs, ref)
		}
		if len(in.Refs) > 0 || !is.Many {
			out = append(out, stepInput{Input: in, All: make([]bool, len(in.Refs))})
		}
	}
	return out
}

// bindInput binds the references of one input of node n (replicates picked
// or collected) and runs the input's check on what they bring.
func (pl *planner) bindInput(n *Node, is InputSpec, in stepInput) NodeInput {
	ni := NodeInput{Name: in.Name}
	bound := 0
	var origin []int // the spec reference of each bound one
	for k, ref := range in.Refs {
		rs, err := pl.p.bind(n.Spec, ref)
		if err != nil {
			pl.errorf(ref.Pos, ref.Path, "%v", err)
			continue
		}
		if is.Kind != "" && rs[0].Kind != is.Kind {
			pl.errorf(ref.Pos, ref.Path, "input %q wants %s data, %s is %s", in.Name, is.Kind, ref, rs[0].Kind)
			continue
		}
		bound++
		for _, r := range pickReplicas(n, rs, is.Collect || in.All[k]) {
			ni.Refs = append(ni.Refs, r)
			origin = append(origin, k)
		}
	}
	if is.Check != nil && bound == len(in.Refs) && n.Rep == 0 {
		infos := make([]InputInfo, len(ni.Refs))
		for i, r := range ni.Refs {
			infos[i] = InputInfo{Kind: r.Kind, Columns: r.Columns()}
		}
		if bad, err := is.Check(n.Params, infos); err != nil {
			ref := in.Refs[origin[min(max(bad, 0), len(origin)-1)]]
			pl.errorf(ref.Pos, ref.Path, "%v", err)
		}
	}
	return ni
}

func sortedOps(m map[string]*spec.Defaults) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkNumbers checks that every number the specs quote comes from scalars.
func (pl *planner) checkNumbers(specs []*spec.Spec) {
	for _, s := range specs {
		for _, num := range s.Numbers {
			rs, err := pl.p.bind(s, num.From)
			if err != nil {
				pl.errorf(num.From.Pos, num.From.Path, "%v", err)
			} else if rs[0].Kind != artifact.KindScalars {
				pl.errorf(num.From.Pos, num.From.Path, "a value must come from scalars (json) data, %s is %s", num.From, rs[0].Kind)
			}
		}
	}
}

// link records each node's distinct dependencies and users.
func (pl *planner) link() {
	for _, pd := range pl.all {
		seen := map[*Node]bool{}
		for _, in := range pd.node.Inputs {
			for _, r := range in.Refs {
				if !seen[r.Node] {
					seen[r.Node] = true
					pd.node.deps = append(pd.node.deps, r.Node)
					r.Node.users = append(r.Node.users, pd.node)
				}
			}
		}
	}
}

// order sorts the nodes so that each follows its inputs, or reports a cycle.
func (pl *planner) order() error {
	order, cycle := topo(pl.all, func(i int) *Node { return pl.all[i].node })
	if cycle != nil {
		n := cycle[0]
		names := make([]string, len(cycle))
		for i, c := range cycle {
			names[i] = c.Name
		}
		return spec.Errors{{Pos: n.Step.Pos, Path: n.Step.Path, Msg: "dependency cycle: " + strings.Join(names, " -> ")}}
	}
	pl.p.Nodes = order
	return nil
}

// stepNodes makes the nodes of spec step st, one per replicate, with their
// op and parameters (decoded once; the parameters under the other profiles
// are checked too, so that a mistake in one is found before someone builds it).
func (p *Plan) stepNodes(s *spec.Spec, st *spec.Step, rp *replication, reg *Registry, profile string) ([]*Node, spec.Errors) {
	info := rp.steps[st.Name]
	var errs spec.Errors
	params := map[string]spec.Value{}
	if info.op == nil {
		errs = append(errs, &spec.Error{Pos: st.OpPos, Path: "steps." + st.Name + ".op",
			Msg: fmt.Sprintf("unknown op %q%s; `kadanoff ops` lists every op", st.Op, suggest(st.Op, reg.Names()))})
	} else {
		given := info.params
		if st.Figure != nil {
			given = rp.figureParams(st, given)
		}
		errs = append(errs, decodeParams(params, info.op, given, st.Pos, "steps."+st.Name)...)
		for name := range s.Profiles {
			if name != profile {
				other, _ := s.EffectiveParams(st, name)
				other, _, _ = splitPseudo(info.op, other)
				errs = append(errs, decodeParams(map[string]spec.Value{}, info.op, other, st.Pos, "steps."+st.Name)...)
			}
		}
	}
	op := info.op
	if sp, ok := op.(Specializer); ok && len(errs) == 0 {
		var names []string
		for _, in := range st.Inputs {
			names = append(names, in.Name)
		}
		sort.Strings(names)
		special, derived, err := sp.Specialize(params, names, filepath.Dir(s.File))
		if err != nil {
			errs = append(errs, &spec.Error{Pos: st.Pos, Path: "steps." + st.Name, Msg: err.Error()})
			op = nil // not planned: its inputs are not bound, and steps that read it say so
		} else {
			op = special
			for k, v := range derived {
				params[k] = v
			}
		}
	}
	reps := rp.count(st)
	var nodes []*Node
	for rep := 0; rep < max(reps, 1); rep++ {
		name := st.Name
		if reps > 0 {
			name = ReplicaName(st.Name, rep)
		}
		n := &Node{ID: s.Paper.ID + "/" + name, Name: name, Base: st.Name, Rep: rep, Reps: reps, Spec: s, Step: st,
			Op: op, Params: maps.Clone(params), plan: p, seed: info.seed}
		p.byID[n.ID] = n
		if reps > 0 {
			p.replicas[s.Paper.ID+"/"+st.Name] = append(p.replicas[s.Paper.ID+"/"+st.Name], n)
		}
		nodes = append(nodes, n)
	}
	return nodes, errs
}

func inputNames(op Op) string {
	var names []string
	for _, in := range op.Inputs() {
		names = append(names, in.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// bind returns the outputs a reference names: one per replicate of a
// replicated step, else one.
func (p *Plan) bind(s *spec.Spec, ref spec.Ref) ([]NodeRef, error) {
	id := s.Paper.ID + "/" + ref.Step
	nodes := p.replicas[id]
	if n, ok := p.byID[id]; ok {
		nodes = []*Node{n}
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("unknown step %q", ref.Step)
	}
	n := nodes[0]
	if n.Op == nil {
		return nil, fmt.Errorf("step %q has an unknown op or could not be planned (see its own error)", ref.Step)
	}
	outs := n.Op.Outputs()
	out := outs[0]
	if ref.Output != "" {
		var names []string
		found := false
		for _, o := range outs {
			if o.Name == ref.Output {
				out, found = o, true
			}
			names = append(names, o.Name)
		}
		if !found {
			return nil, fmt.Errorf("step %q (op %s) has no output %q (outputs: %s)", ref.Step, n.Op.Name(), ref.Output, strings.Join(names, ", "))
		}
	}
	refs := make([]NodeRef, len(nodes))
	for i, n := range nodes {
		refs[i] = NodeRef{Node: n, Output: out.Name, Kind: out.Kind}
	}
	return refs, nil
}

// decodeParams decodes a step's parameters as written into out, with the
// op's defaults for those not given.
func decodeParams(out map[string]spec.Value, op Op, params []*spec.Param, pos spec.Pos, path string) spec.Errors {
	var errs spec.Errors
	declared := map[string]ParamSpec{}
	var names []string
	for _, ps := range op.Params() {
		declared[ps.Name] = ps
		names = append(names, ps.Name)
	}
	for _, p := range params {
		ps, ok := declared[p.Name]
		if !ok {
			errs = append(errs, &spec.Error{Pos: p.Pos, Path: p.Path, Msg: fmt.Sprintf("op %s has no parameter %q (parameters: %s)", op.Name(), p.Name, strings.Join(names, ", "))})
			continue
		}
		v, err := spec.Decode(p.Node, ps.Kind)
		if err == nil && ps.Check != nil {
			err = ps.Check(v)
		}
		if err == nil && ps.CheckNode != nil {
			err = ps.CheckNode(p.Node)
		}
		if err != nil {
			errs = append(errs, spec.Locate(p, err)...)
			continue
		}
		out[p.Name] = v
	}
	for _, ps := range op.Params() {
		if _, ok := out[ps.Name]; ok {
			continue
		}
		if ps.Default != nil {
			out[ps.Name] = *ps.Default
			continue
		}
		if !hasParam(params, ps.Name) {
			errs = append(errs, &spec.Error{Pos: pos, Path: path + ".params." + ps.Name, Msg: fmt.Sprintf("missing parameter %q (%s) of op %s", ps.Name, ps.Kind, op.Name())})
		}
	}
	return errs
}

func hasParam(params []*spec.Param, name string) bool {
	for _, p := range params {
		if p.Name == name {
			return true
		}
	}
	return false
}

// topo orders nodes so that every node follows its dependencies, keeping the
// declaration order where it is free. It returns a cycle if there is one.
func topo[T any](items []T, node func(int) *Node) (order []*Node, cycle []*Node) {
	const (
		unseen = iota
		active
		done
	)
	state := map[*Node]int{}
	var stack []*Node
	var visit func(n *Node) bool
	visit = func(n *Node) bool {
		switch state[n] {
		case done:
			return true
		case active:
			for i, s := range stack {
				if s == n {
					cycle = append(append([]*Node{}, stack[i:]...), n)
				}
			}
			return false
		}
		state[n] = active
		stack = append(stack, n)
		for _, d := range n.deps {
			if !visit(d) {
				return false
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		order = append(order, n)
		return true
	}
	for i := range items {
		if !visit(node(i)) {
			return nil, cycle
		}
	}
	return order, nil
}

// suggest names the ops of the same family (the part before the dot) as op.
func suggest(op string, names []string) string {
	family, _, _ := strings.Cut(op, ".")
	var same []string
	for _, n := range names {
		if f, _, _ := strings.Cut(n, "."); f == family {
			same = append(same, n)
		}
	}
	if len(same) == 0 {
		return ""
	}
	return " (did you mean " + strings.Join(same, " or ") + "?)"
}

// MemoryPeaks estimates, in plan order, what every step holds at its peak
// (each op's MemoryEstimator, fed the estimated sizes of its inputs), in
// bytes. Steps without an estimate are absent; they leave their consumers'
// estimates unknown (NaN) where those depend on them.
func (p *Plan) MemoryPeaks() map[*Node]float64 {
	peaks := map[*Node]float64{}
	p.estimate(func(n *Node, in map[string][]float64) map[string]float64 {
		est, ok := n.Op.(MemoryEstimator)
		if !ok {
			return nil
		}
		s := est.Memory(n.Params, in)
		peaks[n] = s.Peak
		return s.Out
	})
	return peaks
}

// estimate calls f for every node in plan order with the estimated sizes of
// its input blobs (NaN where unknown); f returns the node's output sizes.
func (p *Plan) estimate(f func(n *Node, in map[string][]float64) map[string]float64) {
	out := map[*Node]map[string]float64{}
	for _, n := range p.Nodes {
		in := map[string][]float64{}
		for _, ni := range n.Inputs {
			for _, r := range ni.Refs {
				size, units := math.NaN(), math.NaN()
				if o, ok := out[r.Node][r.Output]; ok {
					size = o
				}
				if u, ok := out[r.Node][UnitsKey(r.Output)]; ok {
					units = u
				}
				in[ni.Name] = append(in[ni.Name], size)
				in[UnitsKey(ni.Name)] = append(in[UnitsKey(ni.Name)], units)
			}
		}
		out[n] = f(n, in)
	}
}

// CheckMemory refuses the steps whose estimated peak (MemoryPeaks) exceeds
// budget bytes, naming each with its position and estimate. Steps without an
// estimate are not checked.
func (p *Plan) CheckMemory(budget float64) error {
	var errs spec.Errors
	peaks := p.MemoryPeaks()
	for _, n := range p.Nodes {
		if peak, ok := peaks[n]; ok && peak > budget {
			errs = append(errs, &spec.Error{Pos: n.Step.Pos, Path: n.Step.Path, Msg: fmt.Sprintf(
				"needs about %s of memory (estimated from its parameters and inputs), more than the budget of %s (--max-memory)", FormatBytes(peak), FormatBytes(budget))})
		}
	}
	return errs.Err()
}

// CheckTime returns an error naming every step whose time bound, spread
// over the threads it can use of the build's jobs, exceeds limit (kadanoff
// build --max-time): a step that would run for days is refused before
// anything runs. Steps whose op gives no bound pass.
func (p *Plan) CheckTime(limit time.Duration, jobs int) error {
	var errs spec.Errors
	for n, r := range p.Resources() {
		if r.Time <= 0 {
			continue
		}
		threads := max(1, min(r.Threads, jobs))
		if d := r.Time / time.Duration(threads); d > limit {
			errs = append(errs, &spec.Error{Pos: n.Step.Pos, Path: n.Step.Path, Msg: fmt.Sprintf(
				"%s may run for up to %s on %d thread(s) (bounded from its parameters and inputs), more than --max-time %s", n.ID, d.Round(time.Second), threads, limit)})
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Msg < errs[j].Msg })
	return errs.Err()
}

// Resources is what a step declares it needs: the same declarations size
// local grants and cluster jobs.
type Resources struct {
	// Threads is how many CPU threads it can keep busy (ThreadUser; 1 when
	// not declared; math.MaxInt32 for "as many as it gets").
	Threads int
	// Memory is its estimated peak in bytes (MemoryEstimator); NaN when unknown.
	Memory float64
	// Time bounds its running time on one thread (TimeEstimator); 0 when unknown.
	Time time.Duration
}

// Resources returns every step's declared needs.
func (p *Plan) Resources() map[*Node]Resources {
	res := map[*Node]Resources{}
	p.estimate(func(n *Node, in map[string][]float64) map[string]float64 {
		r := Resources{Threads: 1, Memory: math.NaN()}
		if tu, ok := n.Op.(ThreadUser); ok {
			r.Threads = max(tu.Threads(n.Params), 1)
		}
		var out map[string]float64
		if est, ok := n.Op.(MemoryEstimator); ok {
			s := est.Memory(n.Params, in)
			r.Memory, out = s.Peak, s.Out
		}
		if te, ok := n.Op.(TimeEstimator); ok {
			r.Time = max(te.Time(n.Params, in), 0)
		}
		res[n] = r
		return out
	})
	return res
}

// ParseBytes parses a size: "16GiB", "512MB", "512M", "2e9" (bytes).
func ParseBytes(s string) (float64, error) {
	units := []struct {
		suffix string
		scale  float64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"B", 1},
	}
	scale := 1.0
	num := strings.TrimSpace(s)
	for _, u := range units {
		if len(num) > len(u.suffix) && strings.EqualFold(num[len(num)-len(u.suffix):], u.suffix) {
			num, scale = strings.TrimSpace(num[:len(num)-len(u.suffix)]), u.scale
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 || math.IsInf(v, 0) {
		return 0, fmt.Errorf("want a size such as 16GiB, 512MB or 512M, got %q", s)
	}
	return v * scale, nil
}

// FormatBytes prints a byte count with a binary unit ("1.5 GiB").
func FormatBytes(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	return fmt.Sprintf("%.3g %s", b, units[i])
}

// Duplicates returns pairs of nodes that compute the same thing: the same op
// and version, the same parameters, and inputs from the same outputs (or from
// nodes that are themselves duplicates). Their action keys are equal, so the
// second is served from the first's cache entry; a spec author usually meant
// something else, or can write the step once. Nodes are in plan order.
func (p *Plan) Duplicates() [][2]*Node {
	sig := map[*Node]string{}
	first := map[string]*Node{}
	var out [][2]*Node
	for _, n := range p.Nodes { // topological: inputs come first
		var b strings.Builder
		fmt.Fprintf(&b, "%s %d\n", n.Op.Name(), n.Op.Version())
		if id := n.SeedID(); id != "" {
			fmt.Fprintf(&b, "seed %s\n", id)
		}
		for _, name := range n.ParamNames() {
			fmt.Fprintf(&b, "param %s %s\n", name, n.Params[name].Canonical())
		}
		for _, in := range n.Inputs {
			for _, r := range in.Refs {
				fmt.Fprintf(&b, "input %s %x %s\n", in.Name, sha256.Sum256([]byte(sig[r.Node])), r.Output)
			}
		}
		sig[n] = b.String()
		if f, ok := first[sig[n]]; ok {
			out = append(out, [2]*Node{f, n})
			sig[n] = sig[f]
			continue
		}
		first[sig[n]] = n
	}
	return out
}
