// Package command provides exec, the op that runs a user's own program as a
// step: a command in any language, handed its inputs as files in the formats
// kadanoff export writes (.npy, .csv, .json), its arguments as a JSON file and
// environment variables, its seed and thread grant, and a fresh directory;
// what it writes under outputs/ becomes the step's outputs, checked against
// the kinds the step declares, and nothing else is kept. Its action key sees
// the code: the content of the files the step lists under code, the command
// line, the arguments, the input digests and the interpreter's identity (its
// resolved path and --version), so editing a script reruns the step and its
// dependents, and kadanoff explain names the file that changed.
package command

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// Name is the op's name in specs.
const Name = "exec"

// version is bumped when what exec hands a command, or keeps of what it
// writes, changes.
const version = 1

// The parameters derived when a step is planned, which join the step's
// parameters and so its key: the SHA-256 of each code file, as
// "code:PATH" (so kadanoff explain says "param code:scripts/fit.py: … -> …"),
// and the interpreter's identity.
const (
	codePrefix       = "code:"
	interpreterParam = "interpreter"
)

// Op returns the exec op. It remembers each interpreter's identity for the
// life of the process (one build), so --version runs once per interpreter.
func Op() pipeline.Op { return &generic{} }

// generic is exec as the registry holds it; each step gets its own op
// (Specialize) declaring that step's inputs and outputs.
type generic struct {
	mu     sync.Mutex
	interp map[string]string // interpreter identity by resolved path
}

func (*generic) Name() string { return Name }
func (*generic) Version() int { return version }
func (*generic) Random() bool { return true } // a seed is handed to every command
func (*generic) Doc() string {
	return "Runs a command — a script in any language — as a step. The step declares the command line (argv, not a shell " +
		"string; a relative program path is relative to the spec's folder), the files its code lives in (code, whose contents " +
		"enter the key), its outputs (name: npy, csv or json) and its arguments (args, a mapping). The command runs in a fresh " +
		"directory holding inputs/NAME.EXT (each input in the format kadanoff export writes; inputs/NAME/0.EXT … for a list), " +
		"params.json (the args) and an empty outputs/, with KADANOFF_SEED (64 hex digits, the step's stable seed), " +
		"KADANOFF_THREADS, KADANOFF_SPEC_DIR and KADANOFF_ARG_NAME for each scalar arg in its environment; it must write " +
		"outputs/NAME.EXT for each declared output and nothing else there. Missing, malformed or undeclared outputs, a " +
		"non-zero exit or a run past timeout fail the step with the tail of its stderr; the process group is killed on " +
		"timeout, Ctrl-C or a failed build. Determinism is the command's to keep: kadanoff verify checks it, within tolerance."
}

func (*generic) Params() []pipeline.ParamSpec {
	str := func(s string) *spec.Value { return &spec.Value{Kind: spec.String, Str: s} }
	return []pipeline.ParamSpec{
		{Name: "command", Kind: spec.Strings, Doc: "the command line: the program and its arguments"},
		{Name: "code", Kind: spec.Strings, Default: &spec.Value{Kind: spec.Strings, Strings: []string{}},
			Doc: "files, relative to the spec's folder, whose contents enter the key (the script and what it imports)"},
		{Name: "outputs", Kind: spec.Object, Doc: "the outputs, name: kind (npy, csv or json)"},
		{Name: "args", Kind: spec.Object, Default: &spec.Value{Kind: spec.Object, Object: map[string]any{}},
			Doc: "arguments handed to the command as params.json and KADANOFF_ARG_NAME variables"},
		{Name: "timeout", Kind: spec.String, Default: str("10m"), Doc: "the longest the command may run (a Go duration: 90s, 10m, 2h)"},
		{Name: "memory", Kind: spec.String, Default: str("1GiB"), Doc: "the memory the command needs, for the build's budget and cluster jobs"},
		{Name: "tolerance", Kind: spec.Float, Default: &spec.Value{Kind: spec.Float},
			Doc: "the relative difference kadanoff verify accepts between two runs' float outputs (0: identical bytes)"},
	}
}

func (*generic) Inputs() []pipeline.InputSpec   { return nil }
func (*generic) Outputs() []pipeline.OutputSpec { return nil }

func (*generic) Run(context.Context, *pipeline.Env) error {
	return errors.New("exec runs as the op of a step (Specialize)")
}

// settings are a step's decoded parameters.
type settings struct {
	command   []string
	code      []string
	outputs   []pipeline.OutputSpec
	args      map[string]any
	timeout   time.Duration
	memory    float64
	tolerance float64
}

func decode(params map[string]spec.Value) (*settings, error) {
	s := &settings{command: params["command"].Strings, code: params["code"].Strings, tolerance: params["tolerance"].Float}
	if len(s.command) == 0 || s.command[0] == "" {
		return nil, errors.New("command: give the program and its arguments, e.g. [python3, scripts/fit.py]")
	}
	outs, ok := params["outputs"].Object.(map[string]any)
	if !ok || len(outs) == 0 {
		return nil, errors.New("outputs: declare at least one output, name: npy, csv or json")
	}
	names := make([]string, 0, len(outs))
	for name := range outs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		kind, _ := outs[name].(string)
		switch artifact.Kind(kind) {
		case artifact.KindArray, artifact.KindTable, artifact.KindScalars:
		default:
			return nil, fmt.Errorf("outputs.%s: kind %q: want npy, csv or json", name, kind)
		}
		if name == "" || strings.ContainsAny(name, "/\\. ") {
			return nil, fmt.Errorf("outputs: bad name %q (a file name without an extension)", name)
		}
		s.outputs = append(s.outputs, pipeline.OutputSpec{Name: name, Kind: artifact.Kind(kind), Doc: "written by the command"})
	}
	s.args, _ = params["args"].Object.(map[string]any)
	var err error
	if s.timeout, err = time.ParseDuration(params["timeout"].Str); err != nil || s.timeout <= 0 {
		return nil, fmt.Errorf("timeout: want a duration such as 90s or 10m, got %q", params["timeout"].Str)
	}
	if s.memory, err = pipeline.ParseBytes(params["memory"].Str); err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	if s.tolerance < 0 || math.IsNaN(s.tolerance) {
		return nil, fmt.Errorf("tolerance: want a relative difference ≥ 0, got %v", s.tolerance)
	}
	return s, nil
}

// Specialize implements pipeline.Specializer: the step's op, declaring its
// inputs and outputs, and the digests of its code files and the identity of
// its interpreter, which join its key.
func (g *generic) Specialize(params map[string]spec.Value, inputs []string, dir string) (pipeline.Op, map[string]spec.Value, error) {
	s, err := decode(params)
	if err != nil {
		return nil, nil, err
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs // the command runs elsewhere
	}
	st := &step{generic: g, s: s, dir: dir}
	for _, name := range inputs {
		if name == spec.WholeStep {
			return nil, nil, errors.New("inputs: name each input (inputs: {name: STEP.OUTPUT}); exec cannot bind a whole step")
		}
		st.inputs = append(st.inputs, pipeline.InputSpec{Name: name, Many: true, Doc: "handed to the command as a file"})
	}
	derived := map[string]spec.Value{}
	if _, ok := params[interpreterParam]; !ok { // planning: read the files (an executor has them in the task)
		for _, f := range s.code {
			if strings.ContainsAny(f, " \t\n") {
				return nil, nil, fmt.Errorf("code: %q: a file name without spaces, please", f)
			}
			if filepath.IsAbs(f) || strings.HasPrefix(filepath.Clean(f), "..") {
				return nil, nil, fmt.Errorf("code: %s: give files inside the spec's folder, relative to it", f)
			}
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				return nil, nil, fmt.Errorf("code: %w", err)
			}
			sum := sha256.Sum256(data)
			derived[codePrefix+filepath.ToSlash(filepath.Clean(f))] = spec.Value{Kind: spec.String, Str: hex.EncodeToString(sum[:])}
		}
		id, err := g.interpreter(s.command[0], dir)
		if err != nil {
			return nil, nil, err
		}
		derived[interpreterParam] = spec.Value{Kind: spec.String, Str: id}
	}
	return st, derived, nil
}

// program resolves a command's program: a path (relative to the spec's
// folder when relative) or a name on PATH.
func program(name, dir string) (string, error) {
	if strings.ContainsRune(name, '/') {
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("command: %w", err)
		}
		return p, nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("command: %s is not on PATH (%w)", name, err)
	}
	return p, nil
}

// interpreter is the identity of a command's program: its resolved path and
// the first line of what `PROGRAM --version` prints (for a script run
// directly, the script's path alone: its content is keyed as code).
func (g *generic) interpreter(name, dir string) (string, error) {
	p, err := program(name, dir)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if id, ok := g.interp[p]; ok {
		return id, nil
	}
	id := p
	if !strings.ContainsRune(name, '/') {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, p, "--version").CombinedOutput()
		if err == nil {
			line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
			id += " (" + line + ")"
		}
	}
	if g.interp == nil {
		g.interp = map[string]string{}
	}
	g.interp[p] = id
	return id, nil
}

// step is exec for one step.
type step struct {
	*generic
	s      *settings
	dir    string
	inputs []pipeline.InputSpec
}

func (st *step) Inputs() []pipeline.InputSpec   { return st.inputs }
func (st *step) Outputs() []pipeline.OutputSpec { return st.s.outputs }
func (st *step) Tol() float64                   { return st.s.tolerance }

// Code implements pipeline.CodeReader: the step's code files.
func (st *step) Code(map[string]spec.Value) []string { return st.s.code }

// Memory implements pipeline.MemoryEstimator: what the step declares.
func (st *step) Memory(map[string]spec.Value, map[string][]float64) pipeline.Sizes {
	out := map[string]float64{}
	for _, o := range st.s.outputs {
		out[o.Name] = math.NaN()
	}
	return pipeline.Sizes{Out: out, Peak: st.s.memory}
}

// Time implements pipeline.TimeEstimator: the step's timeout.
func (st *step) Time(map[string]spec.Value, map[string][]float64) time.Duration { return st.s.timeout }

// extension is the file extension of a kind of data.
func extension(k artifact.Kind) string { return "." + string(k) }

// Run runs the command in a fresh directory and keeps its declared outputs.
func (st *step) Run(ctx context.Context, env *pipeline.Env) error {
	work, err := os.MkdirTemp("", "kadanoff-exec-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	for _, dir := range []string{"inputs", "outputs"} {
		if err := os.Mkdir(filepath.Join(work, dir), 0o755); err != nil {
			return err
		}
	}
	for _, in := range st.inputs {
		blobs, err := env.Inputs(in.Name)
		if err != nil {
			return err
		}
		kinds := env.InputKinds(in.Name)
		if len(blobs) == 1 {
			if err := os.WriteFile(filepath.Join(work, "inputs", in.Name+extension(kinds[0])), blobs[0], 0o644); err != nil {
				return err
			}
			continue
		}
		if err := os.Mkdir(filepath.Join(work, "inputs", in.Name), 0o755); err != nil {
			return err
		}
		for i, b := range blobs {
			if err := os.WriteFile(filepath.Join(work, "inputs", in.Name, strconv.Itoa(i)+extension(kinds[i])), b, 0o644); err != nil {
				return err
			}
		}
	}
	args, err := json.MarshalIndent(st.s.args, "", "  ")
	if err != nil {
		return fmt.Errorf("args: %w", err)
	}
	if err := os.WriteFile(filepath.Join(work, "params.json"), append(args, '\n'), 0o644); err != nil {
		return err
	}
	prog, err := program(st.s.command[0], st.dir)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, st.s.timeout)
	defer cancel()
	argv := append([]string(nil), st.s.command[1:]...)
	for i, a := range argv { // the step's code files, named as in code, by their paths
		for _, f := range st.s.code {
			if filepath.Clean(a) == filepath.Clean(f) {
				argv[i] = filepath.Join(st.dir, f)
			}
		}
	}
	cmd := exec.CommandContext(ctx, prog, argv...)
	cmd.Dir = work
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) } // the whole group
	cmd.WaitDelay = 5 * time.Second
	r := env.Rand("exec")
	seed := fmt.Sprintf("%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64())
	cmd.Env = append(os.Environ(),
		"KADANOFF_SEED="+seed,
		"KADANOFF_THREADS="+strconv.Itoa(env.Threads()),
		"KADANOFF_SPEC_DIR="+st.dir,
	)
	for k, v := range st.s.args {
		switch v.(type) {
		case string, float64, int, bool:
			cmd.Env = append(cmd.Env, "KADANOFF_ARG_"+strings.ToUpper(k)+"="+fmt.Sprint(v))
		}
	}
	var stdout, stderr tail
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if msg := stdout.String(); msg != "" {
		env.Logf("stdout: %s", msg)
	}
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return fmt.Errorf("%s ran past its timeout of %s and was killed%s", strings.Join(st.s.command, " "), st.s.timeout, stderr.suffix())
	case runErr != nil:
		return fmt.Errorf("%s: %v%s", strings.Join(st.s.command, " "), runErr, stderr.suffix())
	}
	return st.collect(env, filepath.Join(work, "outputs"), stderr.suffix())
}

// collect checks what the command wrote under outputs/ against the declared
// outputs and records them.
func (st *step) collect(env *pipeline.Env, dir, stderr string) error {
	want := map[string]pipeline.OutputSpec{}
	for _, o := range st.s.outputs {
		want[o.Name+extension(o.Kind)] = o
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, ok := want[e.Name()]; !ok {
			var names []string
			for n := range want {
				names = append(names, n)
			}
			sort.Strings(names)
			return fmt.Errorf("the command wrote outputs/%s, which the step does not declare (outputs: %s)%s", e.Name(), strings.Join(names, ", "), stderr)
		}
	}
	for _, o := range st.s.outputs {
		name := o.Name + extension(o.Kind)
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("the command wrote no outputs/%s (a declared output)%s", name, stderr)
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if data, err = normalize(o.Kind, data); err != nil {
			return fmt.Errorf("outputs/%s is not valid %s: %v%s", name, o.Kind, err, stderr)
		}
		if err := env.Put(o.Name, o.Kind, data); err != nil {
			return err
		}
	}
	return nil
}

// normalize checks data as its kind and returns the bytes to keep: arrays
// and tables as written; scalars (a JSON object of numbers, or of
// {"value", "error", "note"} objects as kadanoff export writes them) in
// Kadanoff's own encoding.
func normalize(k artifact.Kind, data []byte) ([]byte, error) {
	switch k {
	case artifact.KindArray:
		_, err := artifact.DecodeNPY(data)
		return data, err
	case artifact.KindTable:
		_, err := artifact.DecodeCSV(data)
		return data, err
	case artifact.KindScalars:
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, err
		}
		sc := artifact.Scalars{}
		for name, v := range raw {
			var x float64
			if err := json.Unmarshal(v, &x); err == nil {
				sc[name] = artifact.Scalar{Value: x}
				continue
			}
			var full artifact.Scalar
			dec := json.NewDecoder(bytes.NewReader(v))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&full); err != nil {
				return nil, fmt.Errorf("%s: want a number or {\"value\": …, \"error\": …, \"note\": …}", name)
			}
			sc[name] = full
		}
		return artifact.EncodeJSON(sc)
	}
	return nil, fmt.Errorf("kind %s", k)
}

// tail keeps the last bytes a process writes.
type tail struct{ b []byte }

const tailBytes = 2000

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2*tailBytes {
		t.b = append([]byte(nil), t.b[len(t.b)-tailBytes:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	b := bytes.TrimSpace(t.b)
	if len(b) > tailBytes {
		b = b[len(b)-tailBytes:]
	}
	return string(b)
}

// suffix is the tail of stderr for an error message, or "".
func (t *tail) suffix() string {
	if s := t.String(); s != "" {
		return "; its stderr ends:\n" + s
	}
	return ""
}
