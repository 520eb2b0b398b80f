// Package s3test starts a real S3-compatible server for tests: versitygw
// (github.com/versity/versitygw, a Go S3 gateway) serving a directory on
// loopback. Tests skip when versitygw is not installed, except under CI
// (CI set), where .ci/run installs it and its absence is a failure.
package s3test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Credentials of the server's root user.
const (
	AccessKey = "kadanofftest"
	SecretKey = "kadanofftestsecret"
)

// Server is a running versitygw.
type Server struct {
	Addr string // host:port
	Root string // the directory it serves: one subdirectory per bucket
	bin  string
	cmd  *exec.Cmd
	t    testing.TB
	log  string
}

// Binary returns the versitygw executable: on PATH, or in GOBIN or GOPATH/bin
// where `go install` puts it; it skips (fails under CI) when there is none.
func Binary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	var dirs []string
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if lines[0] != "" {
			dirs = append(dirs, lines[0])
		}
		for _, gp := range filepath.SplitList(lines[len(lines)-1]) {
			dirs = append(dirs, filepath.Join(gp, "bin"))
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := "versitygw not installed (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; .ci/run installs it")
	}
	t.Skip(msg)
	return ""
}

// Start serves a new temporary directory with one bucket, and stops the
// server when the test ends.
func Start(t testing.TB, bucket string) *Server {
	t.Helper()
	s := &Server{Root: t.TempDir(), bin: Binary(t), t: t, log: filepath.Join(t.TempDir(), "versitygw.log")}
	if err := os.Mkdir(filepath.Join(s.Root, bucket), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	l.Close()
	s.Restart()
	t.Cleanup(s.Kill)
	return s
}

// Restart starts the server again (after Kill) on the same address and directory.
func (s *Server) Restart() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "--access", AccessKey, "--secret", SecretKey, "--port", s.Addr, "posix", s.Root)
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	defer logf.Close()
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start versitygw: %v", err)
	}
	for i := 0; i < 200; i++ {
		if c, err := net.DialTimeout("tcp", s.Addr, 100*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	s.Kill()
	s.t.Fatalf("versitygw did not listen on %s", s.Addr)
}

// Kill stops the server process at once (SIGKILL), as a crash would.
func (s *Server) Kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// PID is the server's process ID (0 when stopped).
func (s *Server) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Env sets the standard AWS variables of a client of this server for the
// test's duration (and isolates it from the user's AWS files); endpoint is
// the URL to use, normally URL().
func (s *Server) Env(t testing.TB, endpoint string) {
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(s.Root, "no-aws-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(s.Root, "no-aws-credentials"))
	t.Setenv("AWS_PROFILE", "")
}

// URL is the server's endpoint.
func (s *Server) URL() string { return fmt.Sprintf("http://%s", s.Addr) }
