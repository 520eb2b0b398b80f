package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/spec"
)

func TestMain(m *testing.M) {
	code := testscript.RunMain(m, map[string]func() int{
		"kadanoff": func() int {
			ctx, stop := NotifyContext(context.Background())
			defer stop()
			return Main(ctx, os.Args[1:], Env{Stdout: os.Stdout, Stderr: os.Stderr, Registry: testRegistry()})
		},
	})
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// testRegistry is the default registry plus ops that only tests use.
func testRegistry() *pipeline.Registry {
	return DefaultRegistry().With(slowOp(), failOp(), clockOp(), jitterOp())
}

// clockOp reads the clock: a non-deterministic op that verify must catch.
func clockOp() pipeline.Op {
	return &pipeline.Func{
		OpName: "test.clock", OpVersion: 1, OpDoc: "test op whose output is the time",
		Out: []pipeline.OutputSpec{{Name: "out", Kind: artifact.KindArray}},
		RunFunc: func(ctx context.Context, env *pipeline.Env) error {
			return env.PutArray("out", artifact.NewFloat64([]float64{float64(time.Now().UnixNano())}, 1))
		},
	}
}

// jitterOp's output moves in its last bits with $KADANOFF_TEST_JITTER, as
// another CPU kernel's rounding would, and the op declares a tolerance for it.
func jitterOp() pipeline.Op {
	return &pipeline.Func{
		OpName: "test.jitter", OpVersion: 1, OpDoc: "test op whose output wobbles in the last bits", Tolerance: 1e-9,
		Out: []pipeline.OutputSpec{{Name: "out", Kind: artifact.KindArray}},
		RunFunc: func(ctx context.Context, env *pipeline.Env) error {
			j, _ := strconv.Atoi(os.Getenv("KADANOFF_TEST_JITTER"))
			return env.PutArray("out", artifact.NewFloat64([]float64{1 + float64(j)*1e-15}, 1))
		},
	}
}

// slowOp outputs [value]. With may_block it first touches
// $KADANOFF_TEST_STARTED (when set) and then, if $KADANOFF_TEST_BLOCK is set,
// blocks until cancelled. The output
// does not depend on the environment, so a blocked run and a free run of the
// same step have the same key and the same bytes.
func slowOp() pipeline.Op {
	return &pipeline.Func{
		OpName: "test.slow", OpVersion: 1, OpDoc: "test op that can block",
		Par: []pipeline.ParamSpec{
			{Name: "value", Kind: spec.Float},
			{Name: "may_block", Kind: spec.Bool, Default: pipeline.BoolValue(false)},
		},
		In:  []pipeline.InputSpec{{Name: "after", Many: true}},
		Out: []pipeline.OutputSpec{{Name: "out", Kind: artifact.KindArray}},
		RunFunc: func(ctx context.Context, env *pipeline.Env) error {
			if len(env.InputSources("after")) > 0 {
				if _, err := env.Inputs("after"); err != nil {
					return err
				}
			}
			if !env.Bool("may_block") {
				return env.PutArray("out", artifact.NewFloat64([]float64{env.Float("value")}, 1))
			}
			if f := os.Getenv("KADANOFF_TEST_STARTED"); f != "" {
				os.WriteFile(f, []byte("started\n"), 0o666)
			}
			if os.Getenv("KADANOFF_TEST_BLOCK") != "" {
				for i := 0; i < 600; i++ {
					env.Progress(i, 600)
					select {
					case <-ctx.Done():
						return ctx.Err()
					case <-time.After(100 * time.Millisecond):
					}
				}
			}
			return env.PutArray("out", artifact.NewFloat64([]float64{env.Float("value")}, 1))
		},
	}
}

func failOp() pipeline.Op {
	return &pipeline.Func{
		OpName: "test.fail", OpVersion: 1, OpDoc: "test op that always fails",
		Out: []pipeline.OutputSpec{{Name: "out", Kind: artifact.KindArray}},
		RunFunc: func(ctx context.Context, env *pipeline.Env) error {
			return errors.New("deliberate failure")
		},
	}
}

func repoRoot(t testing.TB) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("KADANOFF_CACHE", filepath.Join(env.WorkDir, "cache"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// replace FILE OLD NEW: replace the only occurrence of OLD in FILE.
			"replace": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 3 {
					ts.Fatalf("usage: replace FILE OLD NEW")
				}
				path := ts.MkAbs(args[0])
				data, err := os.ReadFile(path)
				ts.Check(err)
				old, new := unquote(args[1]), unquote(args[2])
				if n := strings.Count(string(data), old); n != 1 {
					ts.Fatalf("%q occurs %d times in %s", old, n, args[0])
				}
				ts.Check(os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o666))
			},
			// waitfile FILE: wait up to 60 s for FILE to exist.
			"waitfile": func(ts *testscript.TestScript, neg bool, args []string) {
				deadline := time.Now().Add(60 * time.Second)
				for time.Now().Before(deadline) {
					if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
				ts.Fatalf("%s did not appear", args[0])
			},
			// damage GLOB: flip a byte in every file matching GLOB.
			"damage": func(ts *testscript.TestScript, neg bool, args []string) {
				files, _ := filepath.Glob(ts.MkAbs(args[0]))
				if len(files) == 0 {
					ts.Fatalf("no files match %s", args[0])
				}
				for _, f := range files {
					data, err := os.ReadFile(f)
					ts.Check(err)
					data[len(data)/2] ^= 0xff
					ts.Check(os.WriteFile(f, data, 0o666))
				}
			},
		},
	})
}

func unquote(s string) string { return strings.ReplaceAll(s, `\n`, "\n") }
