package cli

import (
	"context"
	"flag"
	"fmt"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/slurm"
)

// slurmFlags are build's flags for running steps on a Slurm cluster.
type slurmFlags struct {
	executor           string
	partition, account string
	dir                string
	maxCPUs, maxJobs   int
	retries            int
	defaultMem         string
	defaultTime        time.Duration
	poll               time.Duration
}

func (s *slurmFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.executor, "executor", "local", "where steps run: local, or slurm (each ready step a job; the cache and --slurm-dir must be on a filesystem every node shares)")
	fs.StringVar(&s.partition, "partition", "", "Slurm partition for the jobs (default: the cluster's)")
	fs.StringVar(&s.account, "account", "", "Slurm account charged for the jobs")
	fs.StringVar(&s.dir, "slurm-dir", "", "shared directory for task files, result records and job logs (default CACHE/slurm)")
	fs.IntVar(&s.maxCPUs, "max-cpus-per-task", 16, "the most CPUs a job asks for (a step that can use every core asks for this many)")
	fs.IntVar(&s.maxJobs, "max-jobs", 200, "the most jobs queued or running at once")
	fs.StringVar(&s.defaultMem, "default-job-memory", "2GiB", "memory asked for a step whose op gives no estimate")
	fs.DurationVar(&s.defaultTime, "default-job-time", time.Hour, "time limit asked for a step whose op gives no bound")
	fs.IntVar(&s.retries, "retries", 0, "submit again a job that ends without a result (killed, out of time or memory, node lost) up to this many times")
	fs.DurationVar(&s.poll, "slurm-poll", 2*time.Second, "how often one squeue call checks every job")
}

func (s *slurmFlags) check() error {
	switch s.executor {
	case "local", "slurm":
	default:
		return fmt.Errorf("--executor: want local or slurm, got %q", s.executor)
	}
	if s.maxCPUs < 1 || s.maxJobs < 1 || s.poll <= 0 || s.defaultTime <= 0 || s.retries < 0 {
		return fmt.Errorf("--max-cpus-per-task, --max-jobs, --slurm-poll and --default-job-time must be positive, --retries not negative")
	}
	if _, err := memoryBudget(s.defaultMem); err != nil {
		return fmt.Errorf("--default-job-memory: %v", err)
	}
	return nil
}

// executorFor makes the Slurm executor of a build, sizing each job from what
// its step's op declares.
func (s *slurmFlags) executorFor(env Env, res map[*pipeline.Node]pipeline.Resources, cc *cache.Cache) (*slurm.Executor, error) {
	for _, cmd := range []string{"sbatch", "squeue", "scancel"} {
		if _, err := exec.LookPath(cmd); err != nil {
			return nil, fmt.Errorf("--executor slurm: %s is not on PATH (run on a machine that submits to the cluster, with slurm-client installed)", cmd)
		}
	}
	cacheDir, err := filepath.Abs(cc.Dir())
	if err != nil {
		return nil, err
	}
	dir := s.dir
	if dir == "" {
		dir = filepath.Join(cacheDir, "slurm")
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	mem, _ := memoryBudget(s.defaultMem)
	byID := map[string]pipeline.Resources{}
	for n, r := range res {
		byID[n.ID] = r
	}
	return &slurm.Executor{
		Dir: dir, CacheDir: cacheDir,
		Command:   slurmCommand(env),
		Partition: s.partition, Account: s.account,
		MaxCPUs: s.maxCPUs, DefaultMemory: mem, DefaultTime: s.defaultTime,
		Poll: s.poll, Retries: s.retries,
		Needs: func(step string) pipeline.Resources { return byID[step] },
	}, nil
}

// slurmCommand is how jobs start this program: $KADANOFF_EXEC_TASK_BIN when
// set (a path that means the same on the nodes), else this executable.
func slurmCommand(env Env) []string {
	if bin := env.Getenv("KADANOFF_EXEC_TASK_BIN"); bin != "" {
		return []string{bin, "exec-task"}
	}
	return nil
}

func execTask(ctx context.Context, args []string, env Env) int {
	// Slurm stops a job with SIGTERM (scancel, a time limit): the task dies
	// of it, so that the job's state says it was killed and no result
	// record is written.
	signal.Reset(syscall.SIGTERM, syscall.SIGHUP)
	fs := newFlags("exec-task", env)
	pos, err := parse(fs, args)
	if err != nil {
		return exitForFlags(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.Stderr, "usage: kadanoff exec-task TASKFILE")
		return ExitUsage
	}
	if err := slurm.RunTask(ctx, pos[0], env.Registry, machineDescription()); err != nil {
		fmt.Fprintln(env.Stderr, "kadanoff:", err)
		return ExitFailed
	}
	return ExitOK
}
