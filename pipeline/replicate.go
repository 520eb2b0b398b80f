package pipeline

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// MaxReplicates bounds a step's replicates.
const MaxReplicates = 100

// ReplicaName is the name of replicate rep of step name: a group member gets
// rep as one more axis ("scan[T=2.1,rep=1].flow"), a plain step a selector of
// its own ("flow[rep=1]").
func ReplicaName(name string, rep int) string {
	if i := strings.Index(name, "]."); i >= 0 {
		return name[:i] + ",rep=" + strconv.Itoa(rep) + name[i:]
	}
	return name + "[rep=" + strconv.Itoa(rep) + "]"
}

// SeedID is the identity the node's random streams are seeded from: the
// paper, the spec step's name (with its group coordinates), the replicate,
// the step's seed parameter and the build's seed. It is empty for an op that
// draws no random numbers. The op's version, the tool and the inputs do not
// enter it, so a step draws the same numbers after any of them changes.
func (n *Node) SeedID() string {
	if n.Op == nil || !IsRandom(n.Op) {
		return ""
	}
	seed := n.seed
	if v, ok := n.Params[spec.SeedParam]; ok && v.Kind == spec.Int {
		seed = v.Int
	}
	var build int64
	if n.plan != nil {
		build = n.plan.Seed
	}
	return fmt.Sprintf("%s/%s rep=%d seed=%d build=%d", n.Spec.Paper.ID, n.Base, n.Rep, seed, build)
}

// stepPlan is what the plan reads of a spec step before making its nodes.
type stepPlan struct {
	op     Op
	params []*spec.Param // the op's parameters under the profile
	reps   *spec.Param   // the replicates count, when declared
	seed   int64
}

// replication works out which steps of one spec are replicated, and how many
// times, under a profile.
type replication struct {
	s     *spec.Spec
	steps map[string]*stepPlan
	memo  map[*spec.Step]int
	busy  map[*spec.Step]bool
	errs  spec.Errors
}

func newReplication(s *spec.Spec, reg *Registry, profile string) *replication {
	rp := &replication{s: s, steps: map[string]*stepPlan{}, memo: map[*spec.Step]int{}, busy: map[*spec.Step]bool{}}
	for _, st := range s.Steps {
		info := &stepPlan{}
		rp.steps[st.Name] = info
		op, ok := reg.Lookup(st.Op)
		if !ok {
			continue
		}
		info.op = op
		params, _ := s.EffectiveParams(st, profile)
		var seed *spec.Param
		info.params, info.reps, seed = splitPseudo(op, params)
		if seed != nil {
			v, err := spec.Decode(seed.Node, spec.Int)
			switch {
			case err != nil:
				rp.errs = append(rp.errs, spec.Locate(seed, err)...)
			case !IsRandom(op):
				rp.errorf(seed.Pos, seed.Path, "op %s draws no random numbers: a seed has no effect", op.Name())
			default:
				info.seed = v.Int
			}
		}
		// Check the count under every profile.
		for name := range s.Profiles {
			other, _ := s.EffectiveParams(st, name)
			if _, reps, _ := splitPseudo(op, other); reps != nil {
				rp.declared(reps)
			}
		}
	}
	return rp
}

func (rp *replication) errorf(pos spec.Pos, path, format string, args ...any) {
	rp.errs = append(rp.errs, &spec.Error{Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// splitPseudo separates the replicates count and, for an op that declares no
// seed parameter of its own, the seed from an op's parameters.
func splitPseudo(op Op, params []*spec.Param) (rest []*spec.Param, reps, seed *spec.Param) {
	opSeed := false
	for _, ps := range op.Params() {
		opSeed = opSeed || ps.Name == spec.SeedParam
	}
	for _, p := range params {
		switch {
		case p.Name == spec.ReplicatesParam:
			reps = p
		case p.Name == spec.SeedParam && !opSeed:
			seed = p
		default:
			rest = append(rest, p)
		}
	}
	return rest, reps, seed
}

// declared decodes a replicates count (0 on error, reported).
func (rp *replication) declared(p *spec.Param) int {
	v, err := spec.Decode(p.Node, spec.Int)
	if err == nil && (v.Int < 1 || v.Int > MaxReplicates) {
		err = fmt.Errorf("replicates must be between 1 and %d, got %d", MaxReplicates, v.Int)
	}
	if err != nil {
		for _, e := range spec.Locate(p, err) {
			if !rp.has(e) {
				rp.errs = append(rp.errs, e)
			}
		}
		return 0
	}
	return int(v.Int)
}

func (rp *replication) has(e *spec.Error) bool {
	for _, x := range rp.errs {
		if x.Error() == e.Error() {
			return true
		}
	}
	return false
}

// count returns how many replicates of st the plan makes: 0 when it is not
// replicated, else at least 2. A step is replicated when it declares
// replicates: N (N ≥ 2; a group's count applies to its steps that draw random
// numbers), or when it reads a replicated step other than through a Collect
// input; figures are never replicated (their panels draw the first replicate,
// or all).
func (rp *replication) count(st *spec.Step) int {
	if n, ok := rp.memo[st]; ok {
		return n
	}
	if rp.busy[st] {
		return 0 // a cycle, reported with the plan's order
	}
	rp.busy[st] = true
	n := rp.compute(st)
	rp.busy[st] = false
	rp.memo[st] = n
	return n
}

func (rp *replication) compute(st *spec.Step) int {
	info := rp.steps[st.Name]
	if info == nil || info.op == nil || st.Figure != nil {
		return 0
	}
	declared := 0
	if info.reps != nil && !(info.reps.FromGroup && !IsRandom(info.op)) {
		declared = rp.declared(info.reps)
	}
	collect := map[string]bool{}
	for _, is := range info.op.Inputs() {
		collect[is.Name] = is.Collect
	}
	read, from := 0, ""
	for _, in := range st.Inputs {
		if collect[in.Name] {
			continue
		}
		for _, ref := range in.Refs {
			t := rp.s.StepByName(ref.Step)
			if t == nil {
				continue
			}
			k := rp.count(t)
			if k == 0 {
				continue
			}
			if read != 0 && k != read {
				rp.errorf(ref.Pos, ref.Path, "%s is replicated %d times and %s %d times: the replicated steps a step reads must have as many replicates", ref.Step, k, from, read)
				continue
			}
			read, from = k, ref.Step
		}
	}
	switch {
	case read != 0 && declared != 0 && declared != read:
		rp.errorf(info.reps.Pos, info.reps.Path, "replicates: %d, but the step reads %s, which is replicated %d times", declared, from, read)
		return read
	case read != 0:
		return read
	case declared >= 2 && !IsRandom(info.op):
		rp.errorf(info.reps.Pos, info.reps.Path, "op %s draws no random numbers and this step reads no replicated step: its %d replicates would be the same", info.op.Name(), declared)
		return 0
	case declared >= 2:
		return declared
	}
	return 0
}

// figureParams returns a figure step's parameters with the panels that draw
// every replicate of a replicated input rewritten: their input count covers
// the replicates, and replicates: N tells the figure op how many each
// reference brought.
func (rp *replication) figureParams(st *spec.Step, params []*spec.Param) []*spec.Param {
	var seq *yaml.Node
	idx := -1
	for i, p := range params {
		if p.Name == "panels" && p.Node.Kind == yaml.SequenceNode {
			seq, idx = p.Node, i
		}
	}
	if seq == nil || len(seq.Content) != len(st.Figure.Panels) {
		return params
	}
	changed := false
	out := *seq
	out.Content = append([]*yaml.Node(nil), seq.Content...)
	for i, pn := range st.Figure.Panels {
		if pn.Replicates != "all" {
			continue
		}
		reps := 0
		for _, ref := range pn.Inputs {
			if t := rp.s.StepByName(ref.Step); t != nil {
				if k := rp.count(t); k > 0 {
					if reps != 0 && k != reps {
						rp.errorf(pn.Pos, st.Path+".panels", "the panel draws steps replicated %d and %d times", reps, k)
					}
					reps = k
				}
			}
		}
		if reps == 0 {
			continue
		}
		node := *pn.Node
		node.Content = nil
		for j := 0; j+1 < len(pn.Node.Content); j += 2 {
			k, v := pn.Node.Content[j], pn.Node.Content[j+1]
			if k.Value == "inputs" {
				v = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(len(pn.Inputs) * reps), Line: v.Line, Column: v.Column}
			}
			node.Content = append(node.Content, k, v)
		}
		node.Content = append(node.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: spec.ReplicatesParam, Line: node.Line, Column: node.Column},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(reps), Line: node.Line, Column: node.Column})
		out.Content[i] = &node
		changed = true
	}
	if !changed {
		return params
	}
	p := *params[idx]
	p.Node = &out
	params = append([]*spec.Param(nil), params...)
	params[idx] = &p
	return params
}

// pickReplicas chooses, of the outputs one reference names (one per
// replicate of a replicated step), those node n reads: all of them when all
// is set (a Collect input, a panel that draws every replicate), the same
// replicate when n is replicated along with them, else the first.
func pickReplicas(n *Node, refs []NodeRef, all bool) []NodeRef {
	switch {
	case len(refs) == 1 || all:
		return refs
	case n.Reps > 0 && n.Rep < len(refs):
		return refs[n.Rep : n.Rep+1]
	}
	return refs[:1]
}

// stepInput is an input of a step as the plan binds it: a figure's panels
// say per reference whether every replicate is drawn.
type stepInput struct {
	*spec.Input
	All []bool
}

func inputsOf(st *spec.Step) []stepInput {
	var out []stepInput
	for _, in := range st.Inputs {
		si := stepInput{Input: in, All: make([]bool, len(in.Refs))}
		if st.Figure != nil && in.Name == "panels" {
			k := 0
			for _, pn := range st.Figure.Panels {
				for range pn.Inputs {
					if k < len(si.All) {
						si.All[k] = pn.Replicates == "all"
					}
					k++
				}
			}
		}
		out = append(out, si)
	}
	return out
}
