package pipeline

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// LogReporter writes one plain line per started, finished or failed step; it
// suits logs and pipes.
type LogReporter struct {
	mu sync.Mutex
	w  io.Writer
}

// NewLogReporter returns a LogReporter writing to w.
func NewLogReporter(w io.Writer) *LogReporter { return &LogReporter{w: w} }

// Start implements Reporter.
func (l *LogReporter) Start(n *Node) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "run     %s\n", n.ID)
}

// State implements StateReporter: one line per change.
func (l *LogReporter) State(n *Node, state string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	word, rest, _ := strings.Cut(state, " ")
	fmt.Fprintf(l.w, "%-7s %s %s\n", word, n.ID, rest)
}

// Progress implements Reporter; plain logs do not show progress within steps.
func (l *LogReporter) Progress(*Node, int, int) {}

// Finish implements Reporter.
func (l *LogReporter) Finish(r *Result) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprint(l.w, finishLine(r))
}

func finishLine(r *Result) string {
	switch r.Status {
	case Ran:
		return fmt.Sprintf("done    %s (%s)\n", r.Node.ID, round(r.Elapsed))
	case Failed:
		if errors.Is(r.Err, ErrInterrupted) {
			return fmt.Sprintf("stopped %s: %v\n", r.Node.ID, r.Err)
		}
		return fmt.Sprintf("FAILED  %s: %v\n", r.Node.ID, r.Err)
	}
	return ""
}

func round(d time.Duration) time.Duration {
	switch {
	case d > 10*time.Second:
		return d.Round(time.Second)
	case d > time.Second:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// TerminalReporter draws a live display on a terminal: finished steps scroll
// up, and below them each running step shows its elapsed time and progress.
type TerminalReporter struct {
	mu       sync.Mutex
	finished int // steps that ran
	ended    int // steps that ran, were cached or failed
	total    int // steps of the build, when known (SetTotal)
	w        io.Writer
	now      func() time.Time
	running  map[*Node]*live
	drawn    int // lines of the live block currently on screen
	stop     chan struct{}
	stopped  chan struct{}
	once     sync.Once
	begin    time.Time               // when the build started (SetTotal)
	expected map[*Node]time.Duration // what each step to run took when last built (SetExpected)
	jobs     int
	bounds   bool                    // the expectations are bounds (SetExpected)
	took     map[*Node]time.Duration // what each ended step took
}

type live struct {
	start       time.Time
	done, total int
	state       string // from an executor that queues work; "" when running here
}

// NewTerminalReporter starts a live display on w; call Close when the build ends.
func NewTerminalReporter(w io.Writer) *TerminalReporter {
	t := &TerminalReporter{w: w, now: time.Now, running: map[*Node]*live{}, took: map[*Node]time.Duration{}, stop: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(t.stopped)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				t.mu.Lock()
				t.redraw("")
				t.mu.Unlock()
			case <-t.stop:
				return
			}
		}
	}()
	return t
}

// SetTotal tells the display how many steps the build has, so that it shows
// how many have ended and the time elapsed since.
func (t *TerminalReporter) SetTotal(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total, t.begin = n, t.now()
}

// SetExpected tells the display how long each step is expected to run (what
// it took when last built) and how many run at once, so that it shows an
// estimate of the time left (ETA). Bounds marks expectations that are only
// upper bounds (the ops' estimates, for a build with no history): the ETA is
// shown once a step has ended and scaled them.
func (t *TerminalReporter) SetExpected(expected map[*Node]time.Duration, jobs int, bounds bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expected, t.jobs, t.bounds = expected, max(jobs, 1), bounds
}

// ETA estimates the time left from the expected times of the steps not yet
// ended (a running step's less what it has run), scaled by how the ended
// steps' times compared with theirs, spread over the jobs; ok is false when
// no step has an expected time.
func ETA(expected map[*Node]time.Duration, ended map[*Node]time.Duration, running map[*Node]time.Duration, jobs int) (left time.Duration, ok bool) {
	var took, thought float64
	for n, d := range ended {
		if e, known := expected[n]; known && e > 0 {
			took, thought = took+d.Seconds(), thought+e.Seconds()
		}
	}
	scale := 1.0
	if thought > 0 {
		scale = took / thought
	}
	var rest float64
	for n, e := range expected {
		if _, done := ended[n]; done {
			continue
		}
		ok = true
		r := e.Seconds() * scale
		if d, run := running[n]; run {
			r = max(r-d.Seconds(), 0)
		}
		rest += r
	}
	return time.Duration(rest / float64(max(jobs, 1)) * float64(time.Second)), ok
}

// Start implements Reporter.
func (t *TerminalReporter) Start(n *Node) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.running[n] = &live{start: t.now()}
	t.redraw("")
}

// Progress implements Reporter.
func (t *TerminalReporter) Progress(n *Node, done, total int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l := t.running[n]; l != nil {
		l.done, l.total = done, total
	}
}

// State implements StateReporter.
func (t *TerminalReporter) State(n *Node, state string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l := t.running[n]; l != nil {
		l.state = state
	}
	t.redraw("")
}

// Finish implements Reporter.
func (t *TerminalReporter) Finish(r *Result) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var took time.Duration // a cached step took nothing
	if l := t.running[r.Node]; l != nil {
		took = t.now().Sub(l.start)
	}
	t.took[r.Node] = took
	delete(t.running, r.Node)
	if r.Status == Ran {
		t.finished++
	}
	t.ended++
	t.redraw(finishLine(r))
}

// Close stops the display and erases the live block. Calling it again does nothing.
func (t *TerminalReporter) Close() {
	t.once.Do(t.close)
}

func (t *TerminalReporter) close() {
	close(t.stop)
	<-t.stopped
	t.mu.Lock()
	defer t.mu.Unlock()
	t.running = map[*Node]*live{}
	t.redraw("")
}

// redraw erases the live block, prints above (if any) and draws the block again.
func (t *TerminalReporter) redraw(above string) {
	var b strings.Builder
	for i := 0; i < t.drawn; i++ {
		b.WriteString("\x1b[1A\x1b[2K")
	}
	b.WriteString(above)
	nodes := make([]*Node, 0, len(t.running))
	for n := range t.running {
		nodes = append(nodes, n)
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].ID < nodes[j].ID })
	queued, remote := 0, 0
	for _, n := range nodes {
		if st := t.running[n].state; st != "" {
			remote++
			if strings.HasPrefix(st, "queued") {
				queued++
			}
		}
	}
	header := 0
	if remote > 0 {
		b.WriteString(fmt.Sprintf("  %d queued, %d running, %d done\n", queued, len(nodes)-queued, t.finished))
		header++
	}
	if t.total > 0 && len(nodes) > 0 {
		line := fmt.Sprintf("  %d of %d steps ended (%d ran), %s elapsed", t.ended, t.total, t.finished, t.now().Sub(t.begin).Round(time.Second))
		if t.expected != nil {
			running := map[*Node]time.Duration{}
			for n, l := range t.running {
				running[n] = t.now().Sub(l.start)
			}
			scaled := false
			for n := range t.took {
				_, known := t.expected[n]
				scaled = scaled || known
			}
			if left, ok := ETA(t.expected, t.took, running, t.jobs); ok && (scaled || !t.bounds) {
				if left < time.Second {
					line += ", under a second left"
				} else {
					line += ", about " + left.Round(time.Second).String() + " left"
				}
			}
		}
		b.WriteString(line + "\n")
		header++
	}
	for _, n := range nodes {
		l := t.running[n]
		line := fmt.Sprintf("  running %s  %s", n.ID, round(t.now().Sub(l.start)))
		if l.state != "" {
			word, rest, _ := strings.Cut(l.state, " ")
			line = fmt.Sprintf("  %-7s %s  %s  %s", word, n.ID, round(t.now().Sub(l.start)), rest)
		}
		if l.total > 0 {
			frac := float64(l.done) / float64(l.total)
			bar := int(frac * 20)
			line += fmt.Sprintf("  [%s%s] %3.0f%%", strings.Repeat("=", bar), strings.Repeat(" ", 20-bar), 100*frac)
		}
		b.WriteString(line + "\n")
	}
	t.drawn = len(nodes) + header
	io.WriteString(t.w, b.String())
}
