package cli

import (
	"fmt"
	"runtime/debug"
)

// ToolVersion describes this build of kadanoff: module version, VCS revision
// (marked "+dirty" when modified) and Go version.
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
	if rev != "" {
		v += " " + rev + dirty
	}
	return fmt.Sprintf("kadanoff %s %s", v, bi.GoVersion)
}
