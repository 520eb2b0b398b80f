package slurm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/artifact"
)

// Executor submits tasks as Slurm jobs and waits for their result records.
// Its methods are safe for concurrent use; Close stops its poller.
type Executor struct {
	// Dir is the shared directory for task files, result records and job
	// logs; CacheDir the shared cache. Both must be absolute paths that mean
	// the same on every node.
	Dir, CacheDir string
	// Command runs a task on a node: the program and arguments that come
	// before the task file (default: this executable and "exec-task").
	Command []string
	// Partition and Account, when set, are given to sbatch.
	Partition, Account string
	// MaxCPUs caps --cpus-per-task (a step that can use every core asks for
	// this many); at least 1.
	MaxCPUs int
	// DefaultMemory (bytes) and DefaultTime size steps whose ops declare no
	// estimate.
	DefaultMemory float64
	DefaultTime   time.Duration
	// Needs returns what a step declares it needs (pipeline.Plan.Resources).
	Needs func(step string) pipeline.Resources
	// Poll is how often one squeue call checks every job (default 2 s; the
	// result records are looked for every 100 ms); Gather how long ready
	// steps are collected into job arrays (default 50 ms).
	Poll, Gather time.Duration
	// Retries is how many times a job that ends without a result record
	// (killed, out of time or memory, its node lost) is submitted again. A
	// step that fails with a record is not retried: it would fail again.
	Retries int
	// Run runs a Slurm command and returns its standard output; nil runs it
	// with os/exec.
	Run func(ctx context.Context, name string, args ...string) ([]byte, error)

	once    sync.Once
	mu      sync.Mutex
	pending []*job
	jobs    []*job // submitted, not yet ended
	cancels []*job
	batch   int
	wake    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
}

// job is one task on its way through Slurm.
type job struct {
	task              *pipeline.Task
	cpus, mib, minute int
	group             string
	file, result      string
	id                string // "12_3" once submitted
	state             string
	missing           int // polls in which Slurm did not know the job and no record existed
	attempt           int // retries so far
	lostJobs          []string
	cancelled         bool
	end               chan jobEnd // receives one value
	ack               chan struct{}
}

type jobEnd struct {
	outcome *pipeline.Outcome
	err     error
}

// memOverhead is added to a step's estimated peak for the process itself.
const memOverhead = 256 << 20

// minJobTime is the shortest time limit a job asks for: an op's bound for a
// step of seconds leaves room for the job's start and its reads.
const minJobTime = 10 * time.Minute

func (e *Executor) init() {
	e.once.Do(func() {
		if e.Poll <= 0 {
			e.Poll = 2 * time.Second
		}
		if e.Gather <= 0 {
			e.Gather = 50 * time.Millisecond
		}
		if e.MaxCPUs < 1 {
			e.MaxCPUs = 1
		}
		if e.DefaultMemory <= 0 {
			e.DefaultMemory = 2 << 30
		}
		if e.DefaultTime <= 0 {
			e.DefaultTime = time.Hour
		}
		if e.Run == nil {
			e.Run = runCommand
		}
		e.wake = make(chan struct{}, 1)
		e.stop = make(chan struct{})
		e.stopped = make(chan struct{})
		go e.loop()
	})
}

// Close stops the poller. Jobs still queued are left to Slurm.
func (e *Executor) Close() {
	e.init()
	select {
	case <-e.stop:
	default:
		close(e.stop)
		<-e.stopped
	}
}

func runCommand(ctx context.Context, name string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func (e *Executor) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Execute implements pipeline.Executor: the task is submitted with the next
// batch and Execute returns when its result record appears, or the job ends
// without one. When ctx ends, the job is cancelled (scancel) before Execute
// returns.
func (e *Executor) Execute(ctx context.Context, t *pipeline.Task, _ func(done, total int)) (*pipeline.Outcome, error) {
	e.init()
	j := e.size(t)
	e.setState(j, "queued (submitting)")
	e.mu.Lock()
	e.pending = append(e.pending, j)
	e.mu.Unlock()
	e.poke()
	select {
	case end := <-j.end:
		return end.outcome, end.err
	case <-ctx.Done():
		e.mu.Lock()
		j.cancelled = true
		if i := indexOf(e.pending, j); i >= 0 {
			e.pending = append(e.pending[:i], e.pending[i+1:]...)
			close(j.ack)
		} else if j.id != "" {
			e.cancels = append(e.cancels, j)
		} // else being submitted: the submitter queues the cancel
		e.mu.Unlock()
		e.poke()
		select {
		case <-j.ack:
		case <-e.stop:
		}
		return nil, ctx.Err()
	}
}

func indexOf(js []*job, j *job) int {
	for i, x := range js {
		if x == j {
			return i
		}
	}
	return -1
}

// size turns a step's declared needs into its job's request.
func (e *Executor) size(t *pipeline.Task) *job {
	r := pipeline.Resources{Threads: 1, Memory: math.NaN()}
	if e.Needs != nil {
		r = e.Needs(t.Step)
	}
	cpus := min(max(r.Threads, 1), e.MaxCPUs)
	mem := r.Memory
	if math.IsNaN(mem) || mem <= 0 {
		mem = e.DefaultMemory
	}
	mib := int(math.Ceil((1.25*mem + memOverhead) / (1 << 20)))
	d := r.Time
	if d <= 0 {
		d = e.DefaultTime
	}
	d = max(d, minJobTime)
	minutes := int(math.Ceil(d.Minutes())) + 1
	t.Threads = cpus
	return &job{task: t, cpus: cpus, mib: mib, minute: minutes,
		group: fmt.Sprintf("%s|%d|%d|%d", t.Op, cpus, mib, minutes),
		end:   make(chan jobEnd, 1), ack: make(chan struct{})}
}

func (e *Executor) setState(j *job, state string) {
	if j.state == state {
		return
	}
	j.state = state
	if j.task.OnState != nil {
		j.task.OnState(state)
	}
}

func (e *Executor) loop() {
	defer close(e.stopped)
	tick := time.NewTicker(e.Poll)
	defer tick.Stop()
	records := time.NewTicker(100 * time.Millisecond)
	defer records.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-e.wake:
			// Let the steps that become ready together arrive, to share arrays.
			select {
			case <-time.After(e.Gather):
			case <-e.stop:
				return
			}
			e.submit()
			e.cancel()
		case <-records.C:
			e.records()
		case <-tick.C:
			e.cancel()
			e.poll()
		}
	}
}

// submit sends the pending tasks, one job array per op and request.
func (e *Executor) submit() {
	e.mu.Lock()
	pending := e.pending
	e.pending = nil
	e.mu.Unlock()
	groups := map[string][]*job{}
	var order []string
	for _, j := range pending {
		if groups[j.group] == nil {
			order = append(order, j.group)
		}
		groups[j.group] = append(groups[j.group], j)
	}
	for _, g := range order {
		e.submitArray(groups[g])
	}
}

// shellQuote quotes s for /bin/sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (e *Executor) submitArray(js []*job) {
	e.mu.Lock()
	e.batch++
	b := e.batch
	e.mu.Unlock()
	fail := func(err error) {
		for _, j := range js {
			j.end <- jobEnd{err: err}
			e.mu.Lock()
			if j.cancelled {
				close(j.ack)
			}
			e.mu.Unlock()
		}
	}
	for _, sub := range []string{"tasks", "results", "logs"} {
		if err := os.MkdirAll(filepath.Join(e.Dir, sub), 0o777); err != nil {
			fail(fmt.Errorf("slurm: %w", err))
			return
		}
	}
	prefix := fmt.Sprintf("%d-%d", os.Getpid(), b)
	for i, j := range js {
		j.file = filepath.Join(e.Dir, "tasks", fmt.Sprintf("%s-%d.json", prefix, i))
		j.result = filepath.Join(e.Dir, "results", fmt.Sprintf("%s-%d.json", prefix, i))
		os.Remove(j.result)
		if err := writeRecord(j.file, &TaskFile{Cache: e.CacheDir, Result: j.result, Task: j.task}); err != nil {
			fail(fmt.Errorf("slurm: task file: %w", err))
			return
		}
	}
	cmd := e.Command
	if len(cmd) == 0 {
		self, err := os.Executable()
		if err != nil {
			fail(fmt.Errorf("slurm: %w", err))
			return
		}
		cmd = []string{self, "exec-task"}
	}
	var wrap strings.Builder
	wrap.WriteString("exec")
	for _, a := range cmd {
		wrap.WriteString(" " + shellQuote(a))
	}
	wrap.WriteString(" " + shellQuote(filepath.Join(e.Dir, "tasks", prefix+"-")) + `"$SLURM_ARRAY_TASK_ID".json`)
	j0 := js[0]
	args := []string{"--parsable", "--job-name=kadanoff-" + j0.task.Op,
		fmt.Sprintf("--array=0-%d", len(js)-1),
		fmt.Sprintf("--cpus-per-task=%d", j0.cpus),
		fmt.Sprintf("--mem=%dM", j0.mib),
		fmt.Sprintf("--time=%d", j0.minute),
		"--output=" + filepath.Join(e.Dir, "logs", "%A_%a.out"),
		"--error=" + filepath.Join(e.Dir, "logs", "%A_%a.err"),
	}
	if e.Partition != "" {
		args = append(args, "--partition="+e.Partition)
	}
	if e.Account != "" {
		args = append(args, "--account="+e.Account)
	}
	args = append(args, "--wrap="+wrap.String())
	out, err := e.Run(context.Background(), "sbatch", args...)
	if err != nil {
		fail(fmt.Errorf("slurm: %v", err))
		return
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	if _, err := strconv.Atoi(id); err != nil {
		fail(fmt.Errorf("slurm: sbatch printed %q, not a job ID", out))
		return
	}
	e.mu.Lock()
	for i, j := range js {
		j.id = fmt.Sprintf("%s_%d", id, i)
		e.jobs = append(e.jobs, j)
		if j.cancelled {
			e.cancels = append(e.cancels, j)
		}
	}
	e.mu.Unlock()
	for _, j := range js {
		e.setState(j, "queued (slurm job "+j.id+")")
	}
}

// cancel sends one scancel for every job whose step was cancelled.
func (e *Executor) cancel() {
	e.mu.Lock()
	cs := e.cancels
	e.cancels = nil
	for _, j := range cs {
		if i := indexOf(e.jobs, j); i >= 0 {
			e.jobs = append(e.jobs[:i], e.jobs[i+1:]...)
		}
	}
	e.mu.Unlock()
	if len(cs) == 0 {
		return
	}
	args := make([]string, len(cs))
	for i, j := range cs {
		args[i] = j.id
	}
	e.Run(context.Background(), "scancel", args...)
	for _, j := range cs {
		close(j.ack)
	}
}

// records ends the jobs whose result records have appeared.
func (e *Executor) records() {
	e.mu.Lock()
	jobs := append([]*job(nil), e.jobs...)
	e.mu.Unlock()
	for _, j := range jobs {
		if end, ok := e.readRecord(j); ok {
			e.finish(j, end)
		}
	}
}

var arrayID = regexp.MustCompile(`^(\d+)_(\d+)$`)

// poll asks Slurm once about every job and reads the records of those that ended.
func (e *Executor) poll() {
	e.mu.Lock()
	jobs := append([]*job(nil), e.jobs...)
	e.mu.Unlock()
	if len(jobs) == 0 {
		return
	}
	ids := map[string]bool{}
	for _, j := range jobs {
		parent, _, _ := strings.Cut(j.id, "_")
		ids[parent] = true
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	sort.Strings(list)
	out, err := e.Run(context.Background(), "squeue", "--noheader", "--array", "--format=%i|%T|%N", "--jobs="+strings.Join(list, ","))
	if err != nil && !strings.Contains(err.Error(), "Invalid job id") {
		return // Slurm unreachable for now: ask again at the next poll
	}
	known := map[string][2]string{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.SplitN(strings.TrimSpace(line), "|", 3)
		if len(f) == 3 && arrayID.MatchString(f[0]) {
			known[f[0]] = [2]string{f[1], f[2]}
		}
	}
	for _, j := range jobs {
		if end, ok := e.readRecord(j); ok {
			e.finish(j, end)
			continue
		}
		if st, ok := known[j.id]; ok {
			j.missing = 0
			switch st[0] {
			case "PENDING", "REQUEUED", "SUSPENDED":
				e.setState(j, "queued (slurm job "+j.id+")")
			default:
				e.setState(j, "running on "+st[1]+" (slurm job "+j.id+")")
			}
			continue
		}
		// Gone from the queue without a record (twice, to let a record that
		// was being written land): the job died.
		if j.missing++; j.missing >= 2 {
			err := e.lost(j)
			if j.attempt < e.Retries {
				e.retry(j, err)
				continue
			}
			e.finish(j, jobEnd{err: err})
		}
	}
}

// retry submits a job that died without a record again, with the next batch.
func (e *Executor) retry(j *job, why error) {
	e.mu.Lock()
	if i := indexOf(e.jobs, j); i >= 0 {
		e.jobs = append(e.jobs[:i], e.jobs[i+1:]...)
	}
	j.attempt++
	j.lostJobs = append(j.lostJobs, j.id)
	j.id, j.missing = "", 0
	e.pending = append(e.pending, j)
	e.mu.Unlock()
	first, _, _ := strings.Cut(why.Error(), ";")
	e.setState(j, fmt.Sprintf("queued (retry %d of %d: %s)", j.attempt, e.Retries, first))
	e.poke()
}

func (e *Executor) finish(j *job, end jobEnd) {
	e.mu.Lock()
	if i := indexOf(e.jobs, j); i >= 0 {
		e.jobs = append(e.jobs[:i], e.jobs[i+1:]...)
	}
	e.mu.Unlock()
	j.end <- end
}

// readRecord returns how the job ended, when its record exists.
func (e *Executor) readRecord(j *job) (jobEnd, bool) {
	data, err := os.ReadFile(j.result)
	if errors.Is(err, os.ErrNotExist) {
		return jobEnd{}, false
	}
	var r Result
	if err == nil {
		err = json.Unmarshal(data, &r)
	}
	if err != nil {
		return jobEnd{err: fmt.Errorf("slurm job %s: result record: %v", j.id, err)}, true
	}
	if !r.OK {
		return jobEnd{err: fmt.Errorf("slurm job %s on %s: %s", j.id, r.Host, r.Error)}, true
	}
	line := fmt.Sprintf("ran on %s as slurm job %s (%d CPUs, %d MiB, %d min requested)", r.Host, j.id, j.cpus, j.mib, j.minute)
	if len(j.lostJobs) > 0 {
		line += fmt.Sprintf(", after job %s ended without a result", strings.Join(j.lostJobs, ", "))
	}
	o := &pipeline.Outcome{Machine: r.Machine, Log: append(r.Log, line)}
	for _, out := range r.Outputs {
		o.Blobs = append(o.Blobs, pipeline.Blob{Name: out.Name, Kind: artifact.Kind(out.Kind), Digest: out.Digest, Size: out.Size})
	}
	return jobEnd{outcome: o}, true
}

var exitCode = regexp.MustCompile(`ExitCode=(\d+):(\d+)`)
var jobState = regexp.MustCompile(`JobState=(\S+)`)

// lost describes a job that ended without a record: its state and exit code
// while Slurm still remembers it, and the tail of its stderr.
func (e *Executor) lost(j *job) error {
	msg := fmt.Sprintf("slurm job %s ended without a result record", j.id)
	if out, err := e.Run(context.Background(), "scontrol", "show", "job", j.id); err == nil {
		var parts []string
		if m := jobState.FindSubmatch(out); m != nil {
			parts = append(parts, "state "+string(m[1]))
		}
		if m := exitCode.FindSubmatch(out); m != nil {
			if string(m[2]) != "0" {
				parts = append(parts, "killed by signal "+string(m[2]))
			} else {
				parts = append(parts, "exit code "+string(m[1]))
			}
		}
		if len(parts) > 0 {
			msg += " (" + strings.Join(parts, ", ") + ")"
		}
	}
	parent, idx, _ := strings.Cut(j.id, "_")
	if tail := tailLines(filepath.Join(e.Dir, "logs", parent+"_"+idx+".err"), 15); tail != "" {
		msg += "; its stderr ends:\n" + tail
	}
	return errors.New(msg)
}

// tailLines returns the last n lines of a file ("" when unreadable or empty).
func tailLines(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
