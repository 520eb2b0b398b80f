// Package slurm runs a build's steps as jobs of a Slurm cluster. Each ready
// step becomes a job (steps of the same op with the same needs, submitted
// together, one job array) that runs `kadanoff exec-task TASKFILE` on a node.
// The task file, the cache and the job's logs live in directories that every
// node shares with the submitting machine; the job reads its inputs from the
// cache and writes its outputs there, then a result record beside the task
// file. The record, not Slurm's accounting, says how the step ended: Slurm
// forgets finished jobs after MinJobAge, and sacct needs slurmdbd.
package slurm

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/kadanoff/kadanoff/pipeline"
	"github.com/kadanoff/kadanoff/pipeline/cache"
)

// TaskFile is what a job reads: the step to compute, where the shared cache
// is, and where to put the result record.
type TaskFile struct {
	Cache  string         `json:"cache"`
	Result string         `json:"result"`
	Task   *pipeline.Task `json:"task"`
}

// Result is the record a job leaves when it ends, successfully or not.
type Result struct {
	OK      bool           `json:"ok"`
	Error   string         `json:"error,omitempty"`
	Outputs []cache.Output `json:"outputs,omitempty"`
	Log     []string       `json:"log,omitempty"`
	Seconds float64        `json:"seconds"`
	Host    string         `json:"host"`
	// Machine describes the node (OS, CPU, kernels), for the cache entry.
	Machine string `json:"machine,omitempty"`
}

// RunTask executes the task file's step with the registry's ops, storing its
// outputs in the shared cache and then the result record (written whole or
// not at all); machine describes this node for the record. It returns the
// step's error; an error writing the record is returned too, and the job
// then ends without one.
func RunTask(ctx context.Context, file string, reg *pipeline.Registry, machine string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("exec-task: %w", err)
	}
	var tf TaskFile
	if err := json.Unmarshal(data, &tf); err != nil || tf.Task == nil || tf.Cache == "" || tf.Result == "" {
		return fmt.Errorf("exec-task: %s is not a task file (%v)", file, err)
	}
	c, err := cache.Open(tf.Cache)
	if err != nil {
		return fmt.Errorf("exec-task: %w", err)
	}
	// The job's share of the CPU is what Slurm gave it.
	if n, err := strconv.Atoi(os.Getenv("SLURM_CPUS_PER_TASK")); err == nil && n > 0 {
		tf.Task.Threads = n
	}
	host, _ := os.Hostname()
	res := &Result{Host: host, Machine: machine}
	start := time.Now()
	outcome, runErr := (&pipeline.Local{Registry: reg, Store: c}).Execute(ctx, tf.Task, nil)
	if runErr == nil {
		for _, b := range outcome.Blobs {
			d, err := c.PutBlob(b.Data)
			if err != nil {
				runErr = err
				break
			}
			res.Outputs = append(res.Outputs, cache.Output{Name: b.Name, Kind: string(b.Kind), Digest: d, Size: int64(len(b.Data))})
		}
		res.Log = outcome.Log
	}
	if ctx.Err() != nil {
		// Stopped (Ctrl-C in a terminal): no record, so the build reports
		// what Slurm knows of the job's end.
		return fmt.Errorf("exec-task: stopped: %w", ctx.Err())
	}
	res.Seconds = time.Since(start).Seconds()
	res.OK = runErr == nil
	if runErr != nil {
		res.Error = runErr.Error()
		res.Outputs = nil
	}
	if err := writeRecord(tf.Result, res); err != nil {
		return fmt.Errorf("exec-task: result record: %w", err)
	}
	return runErr
}

// writeRecord writes v as JSON to path, whole or not at all.
func writeRecord(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return cache.WriteFile(path, data)
}
