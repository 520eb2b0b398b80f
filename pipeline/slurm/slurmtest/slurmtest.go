// Package slurmtest starts a real one-node Slurm cluster for tests: munged,
// slurmctld and slurmd from Debian's packages (munge, slurmctld, slurmd,
// slurm-client), with a generated slurm.conf that needs no cgroups and no
// accounting daemon, all in a temporary directory and on free loopback ports.
// The daemons are stopped by PID when the test ends. Tests skip when the
// packages are absent, except under CI (CI set), where .ci/run installs them.
package slurmtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Cluster is a running one-node cluster; SLURM_CONF points at its
// configuration for the test's duration, so sbatch and squeue reach it.
type Cluster struct {
	Dir   string // state, spool, logs and the configuration
	Conf  string // slurm.conf
	Node  string
	CPUs  int // as declared to Slurm
	procs []*exec.Cmd
}

// need returns the path of a program or skips (fails under CI).
func need(t testing.TB, name string) string {
	t.Helper()
	for _, dir := range []string{"", "/usr/sbin", "/sbin"} {
		p := name
		if dir != "" {
			p = filepath.Join(dir, name)
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := name + " not installed (Debian packages munge slurmctld slurmd slurm-client)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; .ci/run installs them")
	}
	t.Skip(msg)
	return ""
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start starts munged, slurmctld and slurmd and waits until the node is idle.
func Start(t testing.TB) *Cluster {
	t.Helper()
	munged, ctld, slurmd := need(t, "munged"), need(t, "slurmctld"), need(t, "slurmd")
	need(t, "sbatch")
	need(t, "squeue")
	dir, err := os.MkdirTemp("", "kadanoff-slurm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755) // munge's socket must be reachable
	for _, sub := range []string{"munge", "state", "spool", "log"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The node declares 8 CPUs per core it has (config_overrides lets slurmd
	// accept that): slurmctld allocates jobs once a second, and test jobs
	// are short, so more of them must start at each pass.
	c := &Cluster{Dir: dir, Conf: filepath.Join(dir, "slurm.conf"), CPUs: 8 * runtime.NumCPU()}
	t.Cleanup(c.stop)

	key := make([]byte, 1024)
	f, err := os.Open("/dev/urandom")
	if err != nil {
		t.Fatal(err)
	}
	f.Read(key)
	f.Close()
	keyFile := filepath.Join(dir, "munge", "munge.key")
	if err := os.WriteFile(keyFile, key, 0o400); err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(dir, "munge", "munge.socket")
	c.start(t, munged, "-F", "--force", "--socket="+socket, "--key-file="+keyFile,
		"--log-file="+filepath.Join(dir, "log", "munged.log"), "--pid-file="+filepath.Join(dir, "munge", "munged.pid"),
		"--seed-file="+filepath.Join(dir, "munge", "munged.seed"))
	WaitFor(t, "munged", 30*time.Second, func() bool { _, err := os.Stat(socket); return err == nil })

	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	c.Node, _, _ = strings.Cut(host, ".")
	conf := fmt.Sprintf(`ClusterName=kadanofftest
SlurmctldHost=%[1]s(127.0.0.1)
SlurmctldPort=%[2]d
SlurmdPort=%[3]d
SlurmUser=%[4]s
SlurmdUser=%[4]s
AuthType=auth/munge
AuthInfo=socket=%[5]s
CredType=cred/munge
StateSaveLocation=%[6]s/state
SlurmdSpoolDir=%[6]s/spool
SlurmctldPidFile=%[6]s/slurmctld.pid
SlurmdPidFile=%[6]s/slurmd.pid
SlurmctldLogFile=%[6]s/log/slurmctld.log
SlurmdLogFile=%[6]s/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
ReturnToService=2
MinJobAge=60
SlurmdParameters=config_overrides
NodeName=%[1]s NodeAddr=127.0.0.1 CPUs=%[7]d RealMemory=%[8]d State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
`, c.Node, freePort(t), freePort(t), u.Username, socket, dir, c.CPUs, memoryMiB()/2)
	if err := os.WriteFile(c.Conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLURM_CONF", c.Conf)
	c.start(t, ctld, "-D", "-i", "-f", c.Conf)
	c.start(t, slurmd, "-D", "-f", c.Conf, "-N", c.Node)
	WaitFor(t, "an idle node", 30*time.Second, func() bool {
		out, err := exec.Command("sinfo", "--noheader", "--format=%t").Output()
		return err == nil && strings.TrimSpace(string(out)) == "idle"
	})
	return c
}

func memoryMiB() int {
	data, err := os.ReadFile("/proc/meminfo")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				if kb, err := strconv.Atoi(f[1]); err == nil {
					return kb / 1024
				}
			}
		}
	}
	return 4096
}

func (c *Cluster) start(t testing.TB, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	c.procs = append(c.procs, cmd)
}

// stop ends the daemons it started, by PID, newest first.
func (c *Cluster) stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			p.Process.Kill()
			<-done
		}
	}
	c.procs = nil
}

// Log returns a daemon's log ("slurmctld", "slurmd", "munged"), for failures.
func (c *Cluster) Log(name string) string {
	data, _ := os.ReadFile(filepath.Join(c.Dir, "log", name+".log"))
	return string(data)
}

// WaitFor polls ok every 50 ms until it holds, failing the test after limit.
func WaitFor(t testing.TB, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
