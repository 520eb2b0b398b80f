package pipeline

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
)

// Executor runs tasks. Local runs them in this process; an executor for a
// cluster would ship the task (which is plain data) and fetch its blobs.
type Executor interface {
	Execute(ctx context.Context, t *Task, progress func(done, total int)) (*Outcome, error)
}

// Outcome is what an executed task produced: its outputs in declaration
// order and the lines it logged (warnings, notes), kept with its cache entry.
type Outcome struct {
	Blobs []Blob
	Log   []string
	// Machine, when set, describes the machine that computed the outputs
	// (a cluster node), recorded on the cache entry instead of the builder's.
	Machine string
}

// Local executes tasks in the current process.
type Local struct {
	Registry *Registry
	Store    BlobStore
}

// Execute runs the task's op and returns its outputs, in declaration order.
// A panic in the op is returned as an error.
func (l *Local) Execute(ctx context.Context, t *Task, progress func(done, total int)) (res *Outcome, err error) {
	op, ok := l.Registry.Lookup(t.Op)
	if !ok {
		return nil, fmt.Errorf("unknown op %q", t.Op)
	}
	if op.Version() != t.Version {
		return nil, fmt.Errorf("op %s is version %d here, task wants %d", t.Op, op.Version(), t.Version)
	}
	if sp, ok := op.(Specializer); ok {
		names := make([]string, 0, len(t.Inputs))
		for name := range t.Inputs {
			names = append(names, name)
		}
		sort.Strings(names)
		if op, _, err = sp.Specialize(t.Params, names, t.Dir); err != nil {
			return nil, fmt.Errorf("op %s: %w", t.Op, err)
		}
	}
	env := &Env{task: t, op: op, store: l.Store, progress: progress}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("op %s panicked: %v\n%s", t.Op, r, debug.Stack())
		}
	}()
	if err := op.Run(ctx, env); err != nil {
		env.mu.Lock()
		lost := env.lost
		env.mu.Unlock()
		if len(lost) > 0 {
			return nil, fmt.Errorf("%w (%s): %w", ErrInputLost, strings.Join(lost, ", "), err)
		}
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	byName := map[string]Blob{}
	for _, b := range env.outputs {
		byName[b.Name] = b
	}
	res = &Outcome{Log: env.Log()}
	for _, o := range op.Outputs() {
		b, ok := byName[o.Name]
		if !ok {
			return nil, fmt.Errorf("op %s produced no output %q", t.Op, o.Name)
		}
		res.Blobs = append(res.Blobs, b)
	}
	return res, nil
}

// ErrNotRun marks steps not run because an input failed.
var ErrNotRun = errors.New("not run")

// ErrInputLost marks a step that failed because an input's blob, found
// intact by size when its producer was a cache hit, was missing or damaged
// when read (and was discarded). Builder.Build runs such steps again after
// rerunning their producers.
var ErrInputLost = errors.New("input lost from the cache")

// ErrInterrupted marks steps not run because the build was cancelled.
var ErrInterrupted = errors.New("interrupted")
