// Package pipeline turns experiment specs into a graph of steps and builds it:
// each step's action key is the hash of a readable description of its
// computation, its outputs are stored by content in a cache, independent steps
// run in parallel, and every random stream is seeded from the step's key so
// that outputs do not depend on scheduling.
//
// The pipeline knows nothing of physics: operations are supplied by a Registry.
package pipeline

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// Op is an operation that steps apply. Implementations must be deterministic
// given their parameters, inputs and the random streams of their Env.
type Op interface {
	// Name is the operation's name in specs, e.g. "pattern.checkerboard".
	Name() string
	// Version is bumped whenever the meaning or encoding of the outputs changes;
	// it enters the action key, so a bump reruns every step of this operation.
	Version() int
	// Doc is a one-paragraph description for `kadanoff ops`.
	Doc() string
	Params() []ParamSpec
	Inputs() []InputSpec
	Outputs() []OutputSpec
	Run(ctx context.Context, env *Env) error
}

// Specializer is an op whose declaration depends on its step: exec, which
// runs a command, takes the inputs and outputs each step declares and keys
// the files its command reads. The plan asks it for each step's own op,
// with the parameters that step decoded, the names of the inputs it binds
// and the directory of its spec; it returns the op (same name and version)
// and parameters derived from the files (their digests, say), which join
// the step's parameters and so its key. Executors ask it again, from the
// task's parameters (the derived ones among them), so Specialize must depend
// on nothing else.
type Specializer interface {
	Specialize(params map[string]spec.Value, inputs []string, dir string) (op Op, derived map[string]spec.Value, err error)
}

// CodeReader is an op whose steps read files of their spec's folder (a
// script): Code lists them, relative to the folder, and pack carries them
// beside the specs so that a build from the archive finds them.
type CodeReader interface {
	Code(params map[string]spec.Value) []string
}

// ParamSpec declares a parameter of an operation.
type ParamSpec struct {
	Name string
	Kind spec.Kind
	// Default, when not nil, is used when a spec omits the parameter; it enters the
	// action key like any value.
	Default *spec.Value
	Doc     string
	// Check, when not nil, validates a decoded value.
	Check func(spec.Value) error
	// CheckNode, when not nil, validates the value as written; errors of type
	// spec.NodeError or spec.NodeErrors are reported at their nodes.
	CheckNode func(*yaml.Node) error
}

// InputSpec declares an input of an operation.
type InputSpec struct {
	Name string
	Kind artifact.Kind
	Doc  string
	// Many inputs take a list of references, possibly empty or omitted.
	Many bool
	// Collect marks a Many input that gathers replicates: a reference to a
	// replicated step brings every replicate, in order, and the step is not
	// replicated along with it (an op that reduces over seeds). Other inputs
	// replicate their step with the steps they read.
	Collect bool
	// Check, when not nil, checks what the input's references produce (kind,
	// and a table's columns where declared) against the step's parameters at
	// plan time, returning the index of the first reference that does not fit.
	Check func(params map[string]spec.Value, in []InputInfo) (bad int, err error)
}

// InputInfo is what the plan knows of an input blob before it exists.
type InputInfo struct {
	Kind artifact.Kind
	// Columns are a table's declared columns; nil when not declared.
	Columns []string
}

// HasColumn reports whether a table input has the column; an input whose
// columns are not declared has every column as far as the plan knows.
func (in InputInfo) HasColumn(name string) bool {
	if in.Columns == nil {
		return true
	}
	for _, c := range in.Columns {
		if c == name {
			return true
		}
	}
	return false
}

// RequireColumns returns an input Check that every table the input reads has
// the columns.
func RequireColumns(cols ...string) func(map[string]spec.Value, []InputInfo) (int, error) {
	return func(_ map[string]spec.Value, in []InputInfo) (int, error) {
		for i, info := range in {
			for _, c := range cols {
				if !info.HasColumn(c) {
					return i, fmt.Errorf("this input has no column %q (columns: %s)", c, strings.Join(info.Columns, ", "))
				}
			}
		}
		return 0, nil
	}
}

// ColumnsCheck returns an input Check that the named string parameters name
// columns of every table the input reads (empty values are skipped).
func ColumnsCheck(params ...string) func(map[string]spec.Value, []InputInfo) (int, error) {
	return func(p map[string]spec.Value, in []InputInfo) (int, error) {
		for i, info := range in {
			for _, name := range params {
				col := p[name].Str
				if col != "" && !info.HasColumn(col) {
					return i, fmt.Errorf("parameter %s names column %q, which this input does not have (columns: %s)", name, col, strings.Join(info.Columns, ", "))
				}
			}
		}
		return 0, nil
	}
}

// OutputSpec declares an output of an operation. A reference to a step without
// an output name means its first output.
type OutputSpec struct {
	Name string
	Kind artifact.Kind
	Doc  string
	// Columns, for a table, are its columns in order; the plan checks the
	// columns that consumers name, and Env.PutTable the ones the op writes.
	Columns []string
}

// Validator is an op that checks its parameters together (block no larger
// than size, say) once each has been decoded; the plan calls it, so such
// mistakes are found before anything runs.
type Validator interface {
	Validate(params map[string]spec.Value) error
}

// Sizes is what a step is expected to hold: the bytes of each output and its
// peak memory (inputs, working set and outputs together).
type Sizes struct {
	Out  map[string]float64
	Peak float64
}

// MemoryEstimator is an op that estimates a step's Sizes from its parameters
// and the estimated bytes of its input blobs (by input name; NaN where an
// upstream op gives no estimate). The plan propagates the estimates along the
// graph and refuses a step whose peak exceeds the build's memory budget.
type MemoryEstimator interface {
	Memory(params map[string]spec.Value, in map[string][]float64) Sizes
}

// ThreadUser is an op that can use several CPU threads; Threads says how
// many, at most, a step with these parameters can keep busy. Ops that do not
// implement it (or return 0) get one thread. The scheduler grants each step a
// share of the build's thread budget, which the op reads from Env.Threads.
type ThreadUser interface {
	Threads(params map[string]spec.Value) int
}

// TimeEstimator is an op that bounds a step's running time on one thread
// from its parameters and the estimated bytes of its inputs (as for
// MemoryEstimator), generously: a cluster kills a job that outlives its
// request. Ops that do not implement it (or return 0, or NaN sizes leave it
// unknown) have no bound.
type TimeEstimator interface {
	Time(params map[string]spec.Value, in map[string][]float64) time.Duration
}

// Func is an Op built from its parts.
type Func struct {
	OpName    string
	OpVersion int
	OpDoc     string
	In        []InputSpec
	Out       []OutputSpec
	Par       []ParamSpec
	RunFunc   func(ctx context.Context, env *Env) error
	// ValidateFunc, when not nil, checks the parameters together (Validator).
	ValidateFunc func(params map[string]spec.Value) error
	// MemoryFunc, when not nil, estimates a step's sizes (MemoryEstimator).
	MemoryFunc func(params map[string]spec.Value, in map[string][]float64) Sizes
	// ThreadsFunc, when not nil, says how many threads a step can use
	// (ThreadUser); nil means one.
	ThreadsFunc func(params map[string]spec.Value) int
	// TimeFunc, when not nil, bounds a step's time on one thread (TimeEstimator).
	TimeFunc func(params map[string]spec.Value, in map[string][]float64) time.Duration
	// Tolerance is the largest relative difference of floating-point outputs
	// that kadanoff verify accepts when bytes differ (another CPU kernel's
	// rounding); 0 means only identical bytes pass.
	Tolerance float64
	// Seeded marks an op that draws random numbers (Env.Rand, which panics
	// for an op that is not Seeded): its steps' keys hold their seed
	// identity, and its steps may be replicated.
	Seeded bool
}

// RandomUser is an op that draws random numbers from Env.Rand. Its steps'
// streams are seeded from their identity in the spec (Node.SeedID), which
// enters their action keys; steps of other ops have no seed and may be
// renamed without rerunning.
type RandomUser interface {
	Random() bool
}

// Random implements RandomUser.
func (f *Func) Random() bool { return f.Seeded }

// IsRandom reports whether op draws random numbers.
func IsRandom(op Op) bool {
	r, ok := op.(RandomUser)
	return ok && r.Random()
}

// Tolerant is an op whose floating-point outputs may differ between CPU
// kernels within a relative tolerance.
type Tolerant interface {
	Tol() float64
}

// Tol implements Tolerant.
func (f *Func) Tol() float64 { return f.Tolerance }

// Threads implements ThreadUser.
func (f *Func) Threads(params map[string]spec.Value) int {
	if f.ThreadsFunc == nil {
		return 1
	}
	return max(f.ThreadsFunc(params), 1)
}

// Time implements TimeEstimator.
func (f *Func) Time(params map[string]spec.Value, in map[string][]float64) time.Duration {
	if f.TimeFunc == nil {
		return 0
	}
	return f.TimeFunc(params, in)
}

// AllThreads is a ThreadsFunc for ops that use as many threads as they get.
func AllThreads(map[string]spec.Value) int { return math.MaxInt32 }

// AllThreadsOf is AllThreads for an op declared with Define.
func AllThreadsOf[P any](*P) int { return math.MaxInt32 }

// Validate implements Validator.
func (f *Func) Validate(params map[string]spec.Value) error {
	if f.ValidateFunc == nil {
		return nil
	}
	return f.ValidateFunc(params)
}

// Memory implements MemoryEstimator; without a MemoryFunc the sizes are
// unknown (NaN outputs, no peak).
func (f *Func) Memory(params map[string]spec.Value, in map[string][]float64) Sizes {
	if f.MemoryFunc == nil {
		return Sizes{Peak: math.NaN()}
	}
	return f.MemoryFunc(params, in)
}

// Total is the sum of the sizes of every blob of every input (NaN when one is unknown).
func Total(in map[string][]float64) float64 {
	var t float64
	for name, sizes := range in {
		if strings.HasSuffix(name, unitsSuffix) {
			continue
		}
		for _, s := range sizes {
			t += s
		}
	}
	return t
}

// unitsSuffix marks the units entries of estimated sizes (UnitsKey).
const unitsSuffix = "#units"

// UnitsKey names, among a step's estimated output sizes (Sizes.Out), the
// number of units (sites, or spins) of one configuration of an array
// output, where the op knows it; the plan passes it on to the steps that read
// the output (Units), so that an op training on configurations can size its
// weights.
func UnitsKey(output string) string { return output + unitsSuffix }

// Units is the number of units of one configuration of the single blob of an
// input (NaN when unknown).
func Units(in map[string][]float64, name string) float64 { return One(in, UnitsKey(name)) }

// One is the size of the single blob of an input (NaN when unknown or absent).
func One(in map[string][]float64, name string) float64 {
	if s := in[name]; len(s) == 1 {
		return s[0]
	}
	return math.NaN()
}

func (f *Func) Name() string                            { return f.OpName }
func (f *Func) Version() int                            { return f.OpVersion }
func (f *Func) Doc() string                             { return f.OpDoc }
func (f *Func) Params() []ParamSpec                     { return f.Par }
func (f *Func) Inputs() []InputSpec                     { return f.In }
func (f *Func) Outputs() []OutputSpec                   { return f.Out }
func (f *Func) Run(ctx context.Context, env *Env) error { return f.RunFunc(ctx, env) }

// Registry maps operation names to operations.
type Registry struct {
	ops map[string]Op
}

// NewRegistry returns a registry of ops. It panics on a duplicate name, a
// programmer error.
func NewRegistry(ops ...Op) *Registry {
	r := &Registry{ops: map[string]Op{}}
	for _, op := range ops {
		if _, dup := r.ops[op.Name()]; dup {
			panic("pipeline: duplicate op " + op.Name())
		}
		r.ops[op.Name()] = op
	}
	return r
}

// With returns a registry holding r's ops and ops.
func (r *Registry) With(ops ...Op) *Registry {
	all := make([]Op, 0, len(r.ops)+len(ops))
	all = append(all, r.List()...)
	return NewRegistry(append(all, ops...)...)
}

// Lookup returns the named op.
func (r *Registry) Lookup(name string) (Op, bool) {
	op, ok := r.ops[name]
	return op, ok
}

// List returns the ops sorted by name.
func (r *Registry) List() []Op {
	out := make([]Op, 0, len(r.ops))
	for _, op := range r.ops {
		out = append(out, op)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// Names returns the op names, sorted.
func (r *Registry) Names() []string {
	var names []string
	for _, op := range r.List() {
		names = append(names, op.Name())
	}
	return names
}

// Describe writes a reference of every op: parameters, inputs and outputs.
func (r *Registry) Describe() string {
	var b strings.Builder
	for _, op := range r.List() {
		random := ""
		if IsRandom(op) {
			random = ", random: seeded by the step's identity, may be replicated"
		}
		fmt.Fprintf(&b, "%s (version %d%s)\n    %s\n", op.Name(), op.Version(), random, op.Doc())
		for _, p := range op.Params() {
			def := "required"
			if p.Default != nil {
				def = "default " + p.Default.Canonical()
			}
			fmt.Fprintf(&b, "    param  %-14s %-8s %s (%s)\n", p.Name, p.Kind, p.Doc, def)
		}
		for _, in := range op.Inputs() {
			many := ""
			if in.Many {
				many = " (list)"
			}
			if in.Collect {
				many = " (list; collects every replicate)"
			}
			fmt.Fprintf(&b, "    input  %-14s %-8s %s%s\n", in.Name, in.Kind, in.Doc, many)
		}
		for _, out := range op.Outputs() {
			fmt.Fprintf(&b, "    output %-14s %-8s %s\n", out.Name, out.Kind, out.Doc)
		}
	}
	return b.String()
}

// Default values for ParamSpec.Default.

// IntValue returns an int value.
func IntValue(v int64) *spec.Value { return &spec.Value{Kind: spec.Int, Int: v} }

// FloatValue returns a float value.
func FloatValue(v float64) *spec.Value { return &spec.Value{Kind: spec.Float, Float: v} }

// StringValue returns a string value.
func StringValue(v string) *spec.Value { return &spec.Value{Kind: spec.String, Str: v} }

// BoolValue returns a bool value.
func BoolValue(v bool) *spec.Value { return &spec.Value{Kind: spec.Bool, Bool: v} }

// OneOf returns a Check accepting only the given strings.
func OneOf(choices ...string) func(spec.Value) error {
	return func(v spec.Value) error {
		for _, c := range choices {
			if v.Str == c {
				return nil
			}
		}
		return fmt.Errorf("want one of %s, got %q", strings.Join(choices, ", "), v.Str)
	}
}

// AtLeast returns a Check for numbers (and lists of numbers) no smaller than min.
func AtLeast(min float64) func(spec.Value) error {
	return func(v spec.Value) error {
		for _, x := range numbers(v) {
			if x < min {
				return fmt.Errorf("must be at least %v, got %v", min, x)
			}
		}
		return nil
	}
}

// Between returns a Check for numbers (and lists of numbers) in [min, max].
func Between(min, max float64) func(spec.Value) error {
	return func(v spec.Value) error {
		for _, x := range numbers(v) {
			if x < min || x > max {
				return fmt.Errorf("must be between %v and %v, got %v", min, max, x)
			}
		}
		return nil
	}
}

// numbers lists a number value's numbers (none for other kinds).
func numbers(v spec.Value) []float64 {
	switch v.Kind {
	case spec.Int:
		return []float64{float64(v.Int)}
	case spec.Float:
		return []float64{v.Float}
	case spec.Ints:
		xs := make([]float64, len(v.Ints))
		for i, x := range v.Ints {
			xs[i] = float64(x)
		}
		return xs
	case spec.Floats:
		return v.Floats
	}
	return nil
}
