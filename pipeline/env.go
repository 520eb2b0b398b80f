package pipeline

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// Task is a step ready to execute, described by value alone: an executor in
// another process can run it given access to the blobs its inputs name.
type Task struct {
	Step    string       `json:"step"`
	Op      string       `json:"op"`
	Version int          `json:"version"`
	Key     cache.Digest `json:"key"`
	// Seed is the step's seed identity (Node.SeedID), from which its random
	// streams are drawn; empty for an op that draws none.
	Seed   string                 `json:"seed,omitempty"`
	Params map[string]spec.Value  `json:"params"`
	Inputs map[string][]TaskInput `json:"inputs"`
	// Dir is the directory of the step's spec, where an op that runs a
	// command finds its files; it does not enter the key.
	Dir string `json:"dir,omitempty"`
	// Threads is the step's share of the CPU (at least 1). It does not enter
	// the key: an op's outputs do not depend on how many threads computed them.
	Threads int `json:"threads"`
	// Share, when set, is the step's current share, which the scheduler may
	// change while the step runs (local execution only).
	Share *atomic.Int32 `json:"-"`
	// OnState, when set, is told what an executor that queues work is doing
	// with the task (local execution of the build only).
	OnState func(state string) `json:"-"`
}

// TaskInput is one input blob of a task.
type TaskInput struct {
	Step   string        `json:"step"`
	Output string        `json:"output"`
	Kind   artifact.Kind `json:"kind"`
	Digest cache.Digest  `json:"digest"`
}

// Blob is an output produced by a step: its bytes, or, from an executor that
// stored them in the build's cache itself, their digest and size (Data nil).
type Blob struct {
	Name   string
	Kind   artifact.Kind
	Data   []byte
	Digest cache.Digest
	Size   int64
}

// BlobStore gives executors the bytes of input blobs.
type BlobStore interface {
	GetBlob(d cache.Digest) ([]byte, error)
}

// Env is what a running operation sees: its parameters, its inputs, seeded
// random streams, a progress callback, and where to put its outputs.
type Env struct {
	task     *Task
	op       Op
	store    BlobStore
	outputs  []Blob
	progress func(done, total int)

	mu   sync.Mutex
	log  []string
	lost []string // inputs whose blobs were missing or damaged when read
}

// Logf records a line of the step's log (a warning, a note on what was
// skipped or chosen); the log is kept with the step's cache entry and shown by
// `kadanoff log STEP`. Safe for concurrent use by the op's goroutines.
func (e *Env) Logf(format string, args ...any) {
	e.mu.Lock()
	e.log = append(e.log, fmt.Sprintf(format, args...))
	e.mu.Unlock()
}

// Log returns the lines logged so far.
func (e *Env) Log() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.log...)
}

func (e *Env) param(name string, kind spec.Kind) spec.Value {
	v, ok := e.task.Params[name]
	if !ok || v.Kind != kind {
		panic(fmt.Sprintf("pipeline: op %s reads undeclared %s parameter %q", e.op.Name(), kind, name))
	}
	return v
}

// Int returns an int parameter.
func (e *Env) Int(name string) int { return int(e.param(name, spec.Int).Int) }

// Float returns a float parameter.
func (e *Env) Float(name string) float64 { return e.param(name, spec.Float).Float }

// String returns a string parameter.
func (e *Env) String(name string) string { return e.param(name, spec.String).Str }

// Bool returns a bool parameter.
func (e *Env) Bool(name string) bool { return e.param(name, spec.Bool).Bool }

// Floats returns a list-of-floats parameter.
func (e *Env) Floats(name string) []float64 { return e.param(name, spec.Floats).Floats }

// Ints returns a list-of-ints parameter.
func (e *Env) Ints(name string) []int64 { return e.param(name, spec.Ints).Ints }

// Object decodes an object (or any) parameter into v (through JSON).
func (e *Env) Object(name string, v any) error {
	kind := spec.Object
	if p, ok := e.task.Params[name]; ok && p.Kind == spec.Any {
		kind = spec.Any
	}
	b, err := json.Marshal(e.param(name, kind).Object)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Inputs returns the bytes of every blob bound to the named input.
func (e *Env) Inputs(name string) ([][]byte, error) {
	refs, ok := e.task.Inputs[name]
	if !ok {
		return nil, fmt.Errorf("no input %q", name)
	}
	out := make([][]byte, len(refs))
	for i, r := range refs {
		data, err := e.store.GetBlob(r.Digest)
		if err != nil {
			if errors.Is(err, cache.ErrMissing) {
				e.mu.Lock()
				e.lost = append(e.lost, r.Step+"."+r.Output)
				e.mu.Unlock()
			}
			return nil, fmt.Errorf("input %s (%s.%s): %w", name, r.Step, r.Output, err)
		}
		out[i] = data
	}
	return out, nil
}

// Input returns the bytes of a single-blob input.
func (e *Env) Input(name string) ([]byte, error) {
	all, err := e.Inputs(name)
	if err != nil {
		return nil, err
	}
	if len(all) != 1 {
		return nil, fmt.Errorf("input %q has %d blobs, want 1", name, len(all))
	}
	return all[0], nil
}

// InputSources returns "step.output" for each blob of the named input.
func (e *Env) InputSources(name string) []string {
	var out []string
	for _, r := range e.task.Inputs[name] {
		out = append(out, r.Step+"."+r.Output)
	}
	return out
}

// Array decodes a single-blob array input.
func (e *Env) Array(name string) (*artifact.Array, error) {
	data, err := e.Input(name)
	if err != nil {
		return nil, err
	}
	a, err := artifact.DecodeNPY(data)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", name, err)
	}
	return a, nil
}

// Table decodes a single-blob table input.
func (e *Env) Table(name string) (*artifact.Table, error) {
	data, err := e.Input(name)
	if err != nil {
		return nil, err
	}
	t, err := artifact.DecodeCSV(data)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", name, err)
	}
	return t, nil
}

// Put records an output. The name and kind must be declared by the op.
func (e *Env) Put(name string, kind artifact.Kind, data []byte) error {
	for _, o := range e.op.Outputs() {
		if o.Name == name {
			if o.Kind != kind {
				return fmt.Errorf("output %q is declared %s, got %s", name, o.Kind, kind)
			}
			for _, b := range e.outputs {
				if b.Name == name {
					return fmt.Errorf("output %q put twice", name)
				}
			}
			e.outputs = append(e.outputs, Blob{Name: name, Kind: kind, Data: data})
			return nil
		}
	}
	return fmt.Errorf("op %s has no output %q", e.op.Name(), name)
}

// PutArray records an array output.
func (e *Env) PutArray(name string, a *artifact.Array) error {
	return e.Put(name, artifact.KindArray, artifact.EncodeNPY(a))
}

// PutTable records a table output. When the op declares the output's
// columns, the table must have exactly those, in order.
func (e *Env) PutTable(name string, t *artifact.Table) error {
	for _, o := range e.op.Outputs() {
		if o.Name != name || o.Columns == nil {
			continue
		}
		var got []string
		for _, c := range t.Columns {
			got = append(got, c.Name)
		}
		if strings.Join(got, ",") != strings.Join(o.Columns, ",") {
			return fmt.Errorf("op %s output %s has columns %v, declared %v", e.op.Name(), name, got, o.Columns)
		}
	}
	data, err := artifact.EncodeCSV(t)
	if err != nil {
		return err
	}
	return e.Put(name, artifact.KindTable, data)
}

// PutScalars records a scalars output.
func (e *Env) PutScalars(name string, s artifact.Scalars) error {
	data, err := artifact.EncodeJSON(s)
	if err != nil {
		return err
	}
	return e.Put(name, artifact.KindScalars, data)
}

// Rand returns a random generator for the named stream. Streams are seeded from
// the step's seed identity (its paper, name, replicate and seed: Node.SeedID)
// and the stream name only, so the numbers a step draws do not depend on which
// worker, process or machine runs it, nor on its op's version or its inputs.
// Use one stream per independent unit of work (e.g. "T=2.27") to keep parallel
// work reproducible. Only an op that declares it draws random numbers
// (RandomUser) may call it.
func (e *Env) Rand(stream string) *rand.Rand {
	if e.task.Seed == "" {
		panic(fmt.Sprintf("pipeline: op %s draws random numbers but does not declare it (Func.Seeded)", e.op.Name()))
	}
	return rand.New(rand.NewChaCha8(Seed(e.task.Seed, stream)))
}

// Seed returns the ChaCha8 seed of a stream of the step with the given seed
// identity.
func Seed(identity, stream string) [32]byte {
	return sha256.Sum256([]byte("kadanoff seed v2\n" + identity + "\n" + stream))
}

// Progress reports that done of total units of work are complete.
func (e *Env) Progress(done, total int) {
	if e.progress != nil {
		e.progress(done, total)
	}
}

// InputKinds returns the kind of each blob of the named input.
func (e *Env) InputKinds(name string) []artifact.Kind {
	var out []artifact.Kind
	for _, r := range e.task.Inputs[name] {
		out = append(out, r.Kind)
	}
	return out
}

// Threads returns how many CPU threads the step may keep busy now: its share
// of the build's budget (at least 1), which may change while the step runs.
// Ops size their worker pools by it and give it to their GEMMs as Limit (read
// at every multiply), and must give the same bytes whatever it is.
func (e *Env) Threads() int {
	if e.task.Share != nil {
		return max(int(e.task.Share.Load()), 1)
	}
	return max(e.task.Threads, 1)
}

// Key returns the step's action key.
func (e *Env) Key() cache.Digest { return e.task.Key }

// Step returns the step's ID, "paper/name".
func (e *Env) Step() string { return e.task.Step }
