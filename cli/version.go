package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kadanoff/kadanoff/experiments/linalg"
)

// ToolVersion describes this build of kadanoff: module version, VCS revision
// (marked "+dirty" when modified) and Go version. The revision comes from the
// binary's build info (go build and go install stamp it); only a binary built
// without it (go run, go test) asks git. Commands call it once.
func ToolVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "kadanoff (unknown build)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
			if len(rev) > 12 {
				rev = rev[:12]
			}
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		// Built without VCS stamping (go run, GOFLAGS=-buildvcs=false): ask git
		// about the source tree the command runs in.
		rev, dirty = gitRevision()
	}
	if rev != "" {
		v += " " + rev + dirty
	}
	return fmt.Sprintf("kadanoff %s %s", v, bi.GoVersion)
}

// gitRevision returns the short commit of the git work tree around the
// current directory and "+dirty" when tracked files are modified, or ""
// when there is none.
func gitRevision() (rev, dirty string) {
	out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "", ""
	}
	rev = strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		dirty = "+dirty"
	}
	return rev, dirty
}

// machineDescription names what computes the steps: OS and architecture, CPU
// model and the GEMM kernel in use. It is recorded on every cache entry.
func machineDescription() string {
	return fmt.Sprintf("%s/%s, %s, GEMM %s", runtime.GOOS, runtime.GOARCH, cpuName(), linalg.Best())
}

// toolIdentity names this binary's code for deciding whether a report is up
// to date (reports.Inputs): the tool version, and for a binary built from a
// modified tree or without a revision (where the version does not change
// with the code) the executable's size and time as well.
func toolIdentity(version string) string {
	// "kadanoff VERSION REVISION GO": a clean revision names the code.
	if f := strings.Fields(version); len(f) == 4 && !strings.HasSuffix(f[2], "+dirty") {
		return version
	}
	exe, err := os.Executable()
	if err != nil {
		return version
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return version
	}
	return fmt.Sprintf("%s; executable %d bytes, %s", version, fi.Size(), fi.ModTime().UTC().Format(time.RFC3339Nano))
}
