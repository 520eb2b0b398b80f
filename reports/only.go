package reports

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// onlyRE matches a line that opens or closes a narrative block kept under
// some profiles only: {{only PROFILE …}} and {{end}}, alone on the line.
var onlyRE = regexp.MustCompile(`^\s*\{\{\s*(only|end)\b([^}]*)\}\}\s*$`)

// selectProfile keeps the narrative's {{only P …}} … {{end}} blocks that
// name profile and drops the others and every marker line. With keepLines
// a dropped line is left blank, so that each remaining line stays where it
// was and errors name the narrative's own lines; without, it is removed
// (the Markdown report). Markers stand alone on their line, outside fenced
// code, and blocks do not nest; declared are the spec's profiles.
func selectProfile(file string, src []byte, profile string, declared []string, keepLines bool) ([]byte, error) {
	lines := bytes.SplitAfter(src, []byte("\n"))
	var errs []string
	fail := func(line int, format string, args ...any) {
		errs = append(errs, (&Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}).Error())
	}
	fence := ""
	open := 0 // line of the open {{only}}, 0 when none
	keep := true
	var out bytes.Buffer
	for i, l := range lines {
		n := i + 1
		trimmed := strings.TrimSpace(string(l))
		if fence == "" && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")) {
			fence = trimmed[:3]
		} else if fence != "" && strings.HasPrefix(trimmed, fence) {
			fence = ""
		}
		m := onlyRE.FindStringSubmatch(string(bytes.TrimRight(l, "\r\n")))
		if fence != "" || m == nil {
			if keep {
				out.Write(l)
			} else if keepLines {
				out.Write(newlineOf(l))
			}
			continue
		}
		if keepLines {
			out.Write(newlineOf(l))
		}
		names := strings.Fields(m[2])
		switch m[1] {
		case "only":
			if open > 0 {
				fail(n, "{{only}} inside the {{only}} of line %d: blocks do not nest", open)
				continue
			}
			open = n
			if len(names) == 0 {
				fail(n, "{{only}} names no profile: want {{only PROFILE …}}")
			}
			for _, name := range names {
				if !contains(declared, name) {
					fail(n, "{{only}}: unknown profile %q (the spec declares: %s)", name, strings.Join(declared, ", "))
				}
			}
			keep = contains(names, profile)
		case "end":
			if len(names) > 0 {
				fail(n, "{{end}} takes no arguments")
			}
			if open == 0 {
				fail(n, "{{end}} without {{only}}")
			}
			open, keep = 0, true
		}
	}
	if open > 0 {
		fail(open, "{{only}} without {{end}}")
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return out.Bytes(), nil
}

// newlineOf is l's line ending, for a blanked line.
func newlineOf(l []byte) []byte {
	if bytes.HasSuffix(l, []byte("\r\n")) {
		return []byte("\r\n")
	}
	if bytes.HasSuffix(l, []byte("\n")) {
		return []byte("\n")
	}
	return nil
}

// omittedError is the error of a directive naming an element the profile
// built does not build, saying which profiles do.
func (p *Paper) omittedError(kind, name string) error {
	profiles, ok := p.Spec.Omitted[name]
	if !ok {
		return nil
	}
	ps := append([]string(nil), profiles...)
	sort.Strings(ps)
	return fmt.Errorf("%s %q is built under the %s profiles only, not %q: put the directive between {{only %s}} and {{end}}",
		kind, name, strings.Join(ps, ", "), p.Profile, strings.Join(ps, " "))
}
