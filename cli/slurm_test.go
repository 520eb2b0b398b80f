package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kadanoff/kadanoff/pipeline/slurm/slurmtest"
)

// slurmBinary makes the test binary callable as "kadanoff" by the jobs
// (TestMain runs Main when invoked under that name) and returns the link.
func slurmBinary(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "kadanoff")
	if err := os.Symlink(self, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// TestSlurmBuild builds the quick profile through real Slurm daemons started
// by the test: every step a job running exec-task, results byte-identical to
// a local build.
func TestSlurmBuild(t *testing.T) {
	c := slurmtest.Start(t)
	t.Setenv("KADANOFF_EXEC_TASK_BIN", slurmBinary(t))
	c0, o0 := sharedQuick(t)
	c1, o1, out := buildQuick(t, "--executor", "slurm", "--slurm-poll", "200ms", "--max-cpus-per-task", "1", "--default-job-memory", "256MiB")
	sameBuilds(t, "slurm vs local", c0, o0, c1, o1)
	if !regexp.MustCompile(`steps: (\d+) total, (\d+) ran, \d+ cached, 0 failed`).MatchString(out) || !regexp.MustCompile(`queued  \S+ \(slurm job \d+_1\)`).MatchString(out) {
		t.Errorf("build output:\n%s\nslurmctld:\n%s", out, c.Log("slurmctld"))
	}
}

// syncBuffer is a bytes.Buffer safe for a build writing while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const slurmFailSpec = `paper: {id: t, title: Slurm failures}
narrative: t.md
steps:
  broken: {op: test.fail}
  fine: {op: pattern.checkerboard, params: {size: 8, block: 2}}
  slow: {op: test.slow, params: {value: 1, may_block: true}}
  mine: {op: exec, inputs: {board: fine}, params: {command: [/bin/sh, count.sh], code: [count.sh], outputs: {summary: json}}}
profiles: {quick: {}, paper: {}}
`

// TestSlurmFailures: a failing step reports its error from the job's record;
// a job killed on its node (no record) reports its state, signal and stderr
// and leaves no cache entry; Ctrl-C cancels the queued and running jobs.
func TestSlurmFailures(t *testing.T) {
	slurmtest.Start(t)
	t.Setenv("KADANOFF_EXEC_TASK_BIN", slurmBinary(t))
	specFile := writeSpec(t, slurmFailSpec)
	if err := os.WriteFile(filepath.Join(filepath.Dir(specFile), "t.md"), []byte("Steps only.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A user's command (exec) runs as a job too, finding its script beside the spec.
	os.WriteFile(filepath.Join(filepath.Dir(specFile), "count.sh"), []byte(`printf '{"bytes": %d}\n' $(wc -c < inputs/board.npy) > outputs/summary.json`+"\n"), 0o644)
	cacheDir := t.TempDir()
	started := filepath.Join(t.TempDir(), "started")
	t.Setenv("KADANOFF_TEST_STARTED", started)
	slurmArgs := []string{"build", "--profile", "quick", "--cache", cacheDir, "--out", t.TempDir(),
		"--executor", "slurm", "--slurm-poll", "200ms", "--default-job-memory", "256MiB"}

	// A step that fails, beside one that works.
	code, stdout, stderr := run(t, append(slurmArgs, "--only", "broken,fine", specFile)...)
	if code != ExitFailed || !regexp.MustCompile(`step t/broken failed: slurm job \d+_\d+ on \S+: deliberate failure`).MatchString(stderr) ||
		!strings.Contains(stdout, "steps: 2 total, 1 ran, 0 cached, 1 failed") {
		t.Fatalf("failing step: exit %d\n%s%s", code, stdout, stderr)
	}

	if code, stdout, stderr := run(t, append(slurmArgs, "--only", "mine", specFile)...); code != ExitOK ||
		!strings.Contains(stdout, "steps: 2 total, 1 ran, 1 cached, 0 failed") {
		t.Errorf("an exec step on the cluster: exit %d\n%s%s", code, stdout, stderr)
	}

	// start runs a build of the blocking step and returns its job's ID once
	// the step runs on the node.
	start := func(ctx context.Context, flags ...string) (id string, out *syncBuffer, done chan int) {
		os.Remove(started)
		out, done = &syncBuffer{}, make(chan int, 1)
		args := append(append(append([]string(nil), slurmArgs...), flags...), "--only", "slow", specFile)
		go func() {
			done <- Main(ctx, args, Env{Stdout: out, Stderr: out, Registry: testRegistry()})
		}()
		slurmtest.WaitFor(t, "the step to start", time.Minute, func() bool { _, err := os.Stat(started); return err == nil })
		m := regexp.MustCompile(`slurm job (\d+_\d+)`).FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no job ID in:\n%s", out.String())
		}
		return m[1], out, done
	}

	// The node kills the job: no record, so the build says what Slurm knows.
	t.Setenv("KADANOFF_TEST_BLOCK", "1")
	id, out, done := start(context.Background())
	if b, err := exec.Command("scancel", "--signal=KILL", id).CombinedOutput(); err != nil {
		t.Fatalf("scancel: %v %s", err, b)
	}
	if code := <-done; code != ExitFailed || !regexp.MustCompile(`step t/slow failed: slurm job `+id+` ended without a result record \(state \w+, killed by signal \d+\); its stderr ends:`).MatchString(out.String()) {
		t.Fatalf("killed job: exit %d\n%s", code, out.String())
	}

	// Ctrl-C: the build cancels its job before it returns.
	ctx, cancel := context.WithCancel(context.Background())
	id, out, done = start(ctx)
	cancel()
	if code := <-done; code != ExitInterrupted {
		t.Fatalf("interrupted build: exit %d\n%s", code, out.String())
	}
	var state []byte
	slurmtest.WaitFor(t, "the cancelled job to complete", time.Minute, func() bool {
		state, _ = exec.Command("scontrol", "show", "job", id).Output()
		return !strings.Contains(string(state), "JobState=COMPLETING")
	})
	if !strings.Contains(string(state), "JobState=CANCELLED") {
		t.Fatalf("job %s after Ctrl-C:\n%s", id, state)
	}

	// With --retries, a job killed on its node is submitted again (and this
	// time runs free). Nothing of the killed or cancelled runs reached the
	// cache: the step runs.
	id, out, done = start(context.Background(), "--retries", "1")
	t.Setenv("KADANOFF_TEST_BLOCK", "")
	if b, err := exec.Command("scancel", "--signal=KILL", id).CombinedOutput(); err != nil {
		t.Fatalf("scancel: %v %s", err, b)
	}
	if code := <-done; code != 0 || !strings.Contains(out.String(), "steps: 1 total, 1 ran, 0 cached, 0 failed") ||
		!regexp.MustCompile(`queued  t/slow \(retry 1 of 1: slurm job `+id+` ended without a result record`).MatchString(out.String()) {
		t.Fatalf("retried job: exit %d\n%s", code, out.String())
	}
}

// Without Slurm's commands, --executor slurm is refused before anything runs.
func TestSlurmMissingCommands(t *testing.T) {
	specFile := writeSpec(t, slurmFailSpec)
	os.WriteFile(filepath.Join(filepath.Dir(specFile), "t.md"), []byte("Steps only.\n"), 0o644)
	os.WriteFile(filepath.Join(filepath.Dir(specFile), "count.sh"), []byte("true\n"), 0o644)
	t.Setenv("PATH", t.TempDir())
	code, _, stderr := run(t, "build", "--profile", "quick", "--cache", t.TempDir(), "--out", t.TempDir(), "--executor", "slurm", specFile)
	if code != ExitUsage || !strings.Contains(stderr, "--executor slurm: sbatch is not on PATH") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
