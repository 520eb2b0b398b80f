// Package cli implements the kadanoff command: build, status, explain, export,
// gc and ops. Commands take their arguments, output writers and environment
// explicitly, so tests run them in-process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kadanoff/kadanoff/experiments/ops"
	"github.com/kadanoff/kadanoff/figures"
	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	usercommand "github.com/kadanoff/kadanoff/pipeline/command"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

// Exit statuses.
const (
	ExitOK          = 0
	ExitFailed      = 1 // a step or the report failed
	ExitUsage       = 2 // bad command line or bad spec; nothing was run
	ExitInterrupted = 130
)

// Env is what a command runs with.
type Env struct {
	Stdout, Stderr io.Writer
	// Getenv reads environment variables (os.Getenv by default).
	Getenv func(string) string
	// Registry holds the operations specs may use (DefaultRegistry by default).
	Registry *pipeline.Registry
	// Terminal reports whether Stdout is a terminal, for the live progress display.
	Terminal bool
}

// DefaultRegistry returns every operation Kadanoff ships.
func DefaultRegistry() *pipeline.Registry {
	return pipeline.NewRegistry(append(ops.All(), figures.Op(), usercommand.Op())...)
}

// command is a subcommand of kadanoff.
type command struct {
	name, args, doc string
	run             func(context.Context, []string, Env) int
}

// commands lists the subcommands in the order help shows them.
func commands() []command {
	return []command{
		{"build", "[--profile P] [--jobs N] [--out DIR] [--cache DIR] [--only NAME,...] [--force NAME,...] [--dry-run] [--json FILE] [--max-memory SIZE] [--remote s3://B/P [--remote-read-only]] [--executor slurm [--partition P] [--account A]] [--from ARCHIVE] [SPEC.yaml ...]",
			"build specs (default configs/*.yaml) and write their reports to DIR", build},
		{"status", "[--json] [--check] [--state S,...] [--profile P] [SPEC.yaml ...]", "every step as cached, stale (with the reason) or missing; --state lists only some; --check exits 1 unless all are cached", status},
		{"explain", "[--profile P] STEP [SPEC.yaml ...]", "the step's action-key preimage and what changed since its last build", explain},
		{"log", "[--profile P] STEP [SPEC.yaml ...]", "what a step logged when it last ran (warnings, notes), kept with its cache entry", logCmd},
		{"export", "[--profile P] [--to FILE] STEP[.OUTPUT] [SPEC.yaml ...]", "write a cached step output as .npy, .csv or .json", export},
		{"graph", "[--profile P] [--format dot|svg] [--to FILE] [SPEC.yaml ...]", "the step graph, coloured by status, as Graphviz DOT or SVG", graph},
		{"pack", "[--profile P] [--to FILE] [SPEC.yaml ...]",
			"build (what is cached is reused) and write one zstd tar: manifest, specs, narratives, cache entries and blobs, report", pack},
		{"verify", "[--profile P] [--steps NAME,... | --sample F | --budget D] [--json] [--from ARCHIVE | SPEC.yaml ...]",
			"re-execute cached steps and compare with the cache: identical, within the op's tolerance, or different (exit 1)", verify},
		{"diff", "[--profile P] [--json FILE] [--html DIR] [--fail-on worse|changed] [--repo DIR] OLD NEW",
			"compare two builds (output directories, pack archives or git revisions): verdicts, values, figures' pixels, steps' keys; exit 1 when a verdict got worse", diff},
		{"gc", "[--older-than D] [--dry-run] [--keep-current [SPEC.yaml ...]] [--cache DIR]",
			"remove cache entries unused for D (default 720h); --keep-current keeps what the specs reach; refuses while a build runs", gc},
		{"bench", "[--json] [--time D] [--quick] " + strings.Join(benchNames(), "|"), "kernel throughput, beside numpy or PyTorch when installed", bench},
		{"ops", "[NAME]", "describe every operation a spec may use (or one), and the panel kinds of figures", listOps},
		{"exec-task", "TASKFILE", "run one step of a build on a cluster node and write its result record (what --executor slurm submits)", execTask},
		{"completion", "bash|zsh|fish", "print a shell completion script for kadanoff's commands, flags and spec files", completion},
		{"version", "", "print the tool version and source revision", version},
		{"help", "[COMMAND]", "describe kadanoff or one command", nil},
	}
}

// examples are the command lines each command's help shows.
func examples(name string) []string {
	return map[string][]string{
		"build": {"kadanoff build --profile quick                  # every paper, small scale, in under a minute",
			"kadanoff build --dry-run                         # what would run, and how long it took last time",
			"kadanoff build --only fig02 configs/dmk2020.yaml # one figure and what it needs",
			"kadanoff build --from kadanoff-dmk2020-paper-2026-12-05.tar.zst --out review"},
		"status":  {"kadanoff status --state stale,missing", "kadanoff status --check --profile quick"},
		"explain": {"kadanoff explain 'tc_fit[rep=0]' configs/dmk2020.yaml"},
		"log":     {"kadanoff log rbm64 configs/dmk2020.yaml"},
		"export":  {"kadanoff export --to g.csv 'rgc[panel=a].g' configs/dmk2020.yaml", "kadanoff export --to - flow.summary configs/nrg2018.yaml"},
		"graph":   {"kadanoff graph --format svg --to graph.svg configs/ms2014.yaml"},
		"pack":    {"kadanoff pack --profile quick configs/nrg2018.yaml"},
		"verify":  {"kadanoff verify --budget 10m", "kadanoff verify --from kadanoff-nrg2018-paper-2026-12-05.tar.zst --sample 0.1"},
		"diff":    {"kadanoff diff HEAD~1 HEAD                  # two git revisions, built from their specs", "kadanoff diff --html diff-report old-out out"},
		"gc":      {"kadanoff gc --older-than 168h --keep-current"},
		"bench":   {"kadanoff bench gemm", "kadanoff bench --quick rbm"},
		"ops":     {"kadanoff ops", "kadanoff ops rbm.train"},
		"completion": {"source <(kadanoff completion bash)", "kadanoff completion zsh > \"${fpath[1]}/_kadanoff\"",
			"kadanoff completion fish > ~/.config/fish/completions/kadanoff.fish"},
	}[name]
}

func lookupCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// Main runs the command line args (without the program name) and returns the exit status.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Registry == nil {
		env.Registry = DefaultRegistry()
	}
	if len(args) == 0 {
		usage(env.Stderr)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(env.Stdout)
		return ExitOK
	case "--version", "-version":
		return version(ctx, nil, env)
	case "help":
		if len(args) == 1 {
			usage(env.Stdout)
			return ExitOK
		}
		args = []string{args[1], "-h"}
	}
	cmd, ok := lookupCommand(args[0])
	if !ok || cmd.run == nil {
		var names []string
		for _, c := range commands() {
			names = append(names, c.name)
		}
		fmt.Fprintf(env.Stderr, "kadanoff: unknown command %q%s; \"kadanoff help\" lists the commands\n", args[0], didYouMean(args[0], names, ""))
		return ExitUsage
	}
	for _, a := range args[1:] {
		if a == "-h" || a == "-help" || a == "--help" {
			env.Stderr = env.Stdout // help asked for is output, not an error
		}
	}
	return cmd.run(ctx, args[1:], env)
}

func usage(w io.Writer) {
	fmt.Fprint(w, "usage: kadanoff COMMAND [flags] [args]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s%s\n          %s\n", c.name, c.args, c.doc)
	}
	fmt.Fprint(w, `
Flags may come before or after arguments. "kadanoff help COMMAND" or "COMMAND -h"
describes a command's flags. The cache is --cache DIR, else $KADANOFF_CACHE, else the
user cache directory.
`)
}

// exitForFlags is the status of a command whose flags did not parse: 0 when
// help was asked for (it has been printed), 2 otherwise.
func exitForFlags(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	return ExitUsage
}

// common holds the flags most commands share.
type common struct {
	profile  string
	cacheDir string
	specs    []string
	seed     int64
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.profile, "profile", "paper", "parameter profile of the specs")
	fs.StringVar(&c.cacheDir, "cache", "", "cache directory")
	fs.Int64Var(&c.seed, "seed", 0, "offset of every random stream of the build: another seed reruns every random step on fresh streams")
}

// parse parses flags that may appear before or after positional arguments.
// A flag it does not know is named with the flags it is close to, not
// followed by the whole usage; -h prints the usage.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	defer fs.SetOutput(out)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			fs.SetOutput(out)
			if errors.Is(err, flag.ErrHelp) {
				fs.Usage()
				return nil, err
			}
			msg := err.Error()
			if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
				var names []string
				fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
				msg = fmt.Sprintf("unknown flag --%s%s", name, didYouMean(name, names, "--"))
			}
			fmt.Fprintf(out, "%s: %s (%s -h lists its flags)\n", fs.Name(), msg, fs.Name())
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlags(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet("kadanoff "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		c, _ := lookupCommand(name)
		fmt.Fprintf(fs.Output(), "usage: kadanoff %s %s\n\n%s\n", name, c.args, c.doc)
		var n int
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(fs.Output(), "\nFlags:")
			printFlags(fs)
		}
		if ex := examples(name); len(ex) > 0 {
			fmt.Fprintln(fs.Output(), "\nExamples:")
			for _, e := range ex {
				fmt.Fprintln(fs.Output(), "  "+e)
			}
		}
	}
	return fs
}

// printFlags lists a command's flags as its usage line writes them, with
// two dashes.
func printFlags(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		kind, doc := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if kind != "" {
			line += " " + kind
		}
		if def := f.DefValue; def != "" && def != "false" && def != "0" && def != "0s" {
			doc += fmt.Sprintf(" (default %s)", def)
		}
		fmt.Fprintf(fs.Output(), "%s\n    \t%s\n", line, strings.ReplaceAll(doc, "\n", "\n    \t"))
	})
}

// didYouMean is " (did you mean X?)" for the names within two edits of
// name (or that start with it), each written with prefix; "" when none is.
func didYouMean(name string, names []string, prefix string) string {
	var close []string
	for _, n := range names {
		if d := editDistance(name, n); d <= 2 || (len(name) >= 3 && strings.HasPrefix(n, name)) {
			close = append(close, prefix+n)
		}
	}
	if len(close) == 0 || len(close) > 3 {
		return ""
	}
	return " (did you mean " + strings.Join(close, " or ") + "?)"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func (c *common) openCache(env Env) (*cache.Cache, error) {
	dir := c.cacheDir
	if dir == "" {
		dir = env.Getenv("KADANOFF_CACHE")
	}
	if dir == "" {
		ucd, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("no cache directory: set --cache or KADANOFF_CACHE (%v)", err)
		}
		dir = filepath.Join(ucd, "kadanoff")
	}
	return cache.Open(dir)
}

// plan loads the specs and opens the cache, printing what went wrong; status
// is ExitOK when both are ready.
func (c *common) plan(env Env) (plan *pipeline.Plan, cc *cache.Cache, status int) {
	plan, ok := c.load(env)
	if !ok {
		return nil, nil, ExitUsage
	}
	cc, err := c.openCache(env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return nil, nil, ExitFailed
	}
	return plan, cc, ExitOK
}

// load reads the specs named by c.specs (default configs/*.yaml) and plans them.
// Errors are printed; ok is false when the command must exit with ExitUsage.
func (c *common) load(env Env) (*pipeline.Plan, bool) {
	files := c.specs
	if len(files) == 0 {
		var err error
		files, err = filepath.Glob(filepath.Join("configs", "*.yaml"))
		if err != nil || len(files) == 0 {
			fmt.Fprintln(env.Stderr, "kadanoff: no specs given and no configs/*.yaml here")
			return nil, false
		}
		sort.Strings(files)
	}
	var specs []*spec.Spec
	bad := false
	for _, f := range files {
		s, err := spec.Load(f)
		if err != nil {
			fmt.Fprintln(env.Stderr, err)
			bad = true
			continue
		}
		specs = append(specs, s)
	}
	if bad {
		return nil, false
	}
	plan, err := pipeline.NewPlan(specs, env.Registry, c.profile)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return nil, false
	}
	plan.Seed = c.seed
	return plan, true
}

func version(_ context.Context, args []string, env Env) int {
	fmt.Fprintln(env.Stdout, ToolVersion())
	return ExitOK
}

func listOps(_ context.Context, args []string, env Env) int {
	fs := newFlags("ops", env)
	pos, err := parse(fs, args)
	if err != nil {
		return exitForFlags(err)
	}
	if len(pos) == 0 {
		fmt.Fprint(env.Stdout, env.Registry.Describe())
		fmt.Fprint(env.Stdout, figures.Describe())
		return ExitOK
	}
	status := ExitOK
	for _, name := range pos {
		op, ok := env.Registry.Lookup(name)
		if !ok {
			fmt.Fprintf(env.Stderr, "kadanoff ops: unknown op %q%s\n", name, suggestOp(name, env.Registry.Names()))
			status = ExitUsage
			continue
		}
		fmt.Fprint(env.Stdout, pipeline.NewRegistry(op).Describe())
	}
	return status
}

// suggestOp names the ops whose name contains what was asked for.
func suggestOp(name string, names []string) string {
	var near []string
	for _, n := range names {
		if strings.Contains(n, name) || strings.Contains(name, strings.SplitN(n, ".", 2)[0]) {
			near = append(near, n)
		}
	}
	if len(near) == 0 {
		return "; `kadanoff ops` lists them all"
	}
	return " (did you mean " + strings.Join(near, " or ") + "?)"
}

func gc(_ context.Context, args []string, env Env) int {
	var c common
	fs := newFlags("gc", env)
	c.register(fs)
	age := fs.Duration("older-than", 30*24*3600e9, "remove entries unused for this long (e.g. 720h)")
	dry := fs.Bool("dry-run", false, "print what would be removed, remove nothing")
	keepCurrent := fs.Bool("keep-current", false, "keep every entry the specs (default configs/*.yaml) reach under any of their profiles, whatever its age")
	var err error
	if c.specs, err = parse(fs, args); err != nil {
		return exitForFlags(err)
	}
	if len(c.specs) > 0 && !*keepCurrent {
		fmt.Fprintln(env.Stderr, "kadanoff gc: specs are read only with --keep-current")
		return ExitUsage
	}
	cc, err := c.openCache(env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return ExitFailed
	}
	opts := cache.TrimOptions{Age: *age, DryRun: *dry}
	if *keepCurrent {
		keep, ok := c.reachable(env, cc)
		if !ok {
			return ExitUsage
		}
		opts.Keep = keep
	}
	unlock, err := cc.LockExclusive()
	if err != nil {
		fmt.Fprintf(env.Stderr, "kadanoff gc: %v; nothing removed (run gc when no build is running)\n", err)
		return ExitFailed
	}
	defer unlock()
	res, err := cc.Trim(opts)
	verb := "freed"
	if *dry {
		verb = "would free"
	}
	fmt.Fprintf(env.Stdout, "%s %d bytes (%s) in %d files from %s", verb, res.Bytes, humanBytes(res.Bytes), res.Files, cc.Dir())
	if opts.Keep != nil {
		fmt.Fprintf(env.Stdout, ", keeping %d entries the specs reach", len(opts.Keep))
	}
	fmt.Fprintln(env.Stdout)
	for i, e := range res.Errors {
		if i == 5 {
			fmt.Fprintf(env.Stderr, "kadanoff gc: … and %d more\n", len(res.Errors)-5)
			break
		}
		fmt.Fprintln(env.Stderr, "kadanoff gc: could not remove:", e)
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return ExitFailed
	}
	if len(res.Errors) > 0 {
		return ExitFailed
	}
	return ExitOK
}

// reachable returns the action keys of every step of the specs, under every
// profile they declare, that the cache can resolve.
func (c *common) reachable(env Env, cc *cache.Cache) (map[cache.Digest]bool, bool) {
	keep := map[cache.Digest]bool{}
	base, ok := c.load(env)
	if !ok {
		return nil, false
	}
	profiles := map[string]bool{}
	for _, s := range base.Specs {
		for name := range s.Profiles {
			profiles[name] = true
		}
	}
	for name := range profiles {
		plan, err := pipeline.NewPlan(base.Specs, env.Registry, name)
		if err != nil {
			continue // a profile not every spec declares
		}
		res, err := pipeline.Resolve(cc, plan.Nodes)
		if err != nil {
			fmt.Fprintln(env.Stderr, "kadanoff:", err)
			return nil, false
		}
		for _, r := range res {
			if r.Entry != nil {
				keep[r.Key] = true
			}
		}
	}
	return keep, true
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// splitNames splits a comma-separated list of step names, keeping the commas
// of a group member's selector ("g[a=1,b=2].s").
func splitNames(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// resolveTargets maps --only names to nodes.
func resolveTargets(plan *pipeline.Plan, only string) ([]*pipeline.Node, error) {
	if only == "" {
		return plan.Nodes, nil
	}
	var out []*pipeline.Node
	var errs []string
	for _, name := range splitNames(only) {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		ns, err := plan.LookupAll(name)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		out = append(out, ns...)
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "; "))
	}
	return out, nil
}
