package cache

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// memRemote is an in-process Remote recording the order of its writes; failPut
// makes a Put of a name with that prefix fail.
type memRemote struct {
	mu      sync.Mutex
	objects map[string][]byte
	puts    []string
	failPut string
	failGet string // Gets of names with this prefix fail as a transport checksum would
}

func newMemRemote() *memRemote { return &memRemote{objects: map[string][]byte{}} }

func (m *memRemote) Get(_ context.Context, name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	data, ok := m.objects[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, ErrMissing)
	}
	if m.failGet != "" && strings.HasPrefix(name, m.failGet) {
		return nil, errors.New("response checksum mismatch")
	}
	return append([]byte(nil), data...), nil
}

func (m *memRemote) Has(_ context.Context, name string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.objects[name]
	return ok, nil
}

func (m *memRemote) Put(_ context.Context, name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failPut != "" && strings.HasPrefix(name, m.failPut) {
		return errors.New("connection reset by peer")
	}
	m.objects[name] = append([]byte(nil), data...)
	m.puts = append(m.puts, name)
	return nil
}

func (m *memRemote) String() string { return "mem://" }

// putStep stores outputs and an entry for a step as a build does.
func putStep(t *testing.T, c *Cache, step string, outputs ...string) (Digest, *Entry) {
	t.Helper()
	pre := "kadanoff action\nstep " + step + "\n"
	e := &Entry{Step: step, Preimage: pre}
	for i, out := range outputs {
		d, err := c.PutBlob([]byte(out))
		if err != nil {
			t.Fatal(err)
		}
		e.Outputs = append(e.Outputs, Output{Name: fmt.Sprint("o", i), Kind: "json", Digest: d, Size: int64(len(out))})
	}
	key := Sum([]byte(pre))
	if err := c.PutAction(key, e); err != nil {
		t.Fatal(err)
	}
	return key, e
}

func openWithRemote(t *testing.T, r Remote, readOnly bool) *Cache {
	t.Helper()
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c.SetRemote(r, readOnly)
	return c
}

func TestRemoteSharesEntriesBetweenCaches(t *testing.T) {
	r := newMemRemote()
	a := openWithRemote(t, r, false)
	key, e := putStep(t, a, "p/s", "one", "two")
	want := []string{"cas/" + string(e.Outputs[0].Digest), "cas/" + string(e.Outputs[1].Digest), "ac/" + string(key)}
	if strings.Join(r.puts, " ") != strings.Join(want, " ") {
		t.Fatalf("puts %v, want blobs first and the entry last: %v", r.puts, want)
	}
	// The same outputs again under another step: blobs are present (HEAD), only the entry is written.
	r.puts = nil
	key2, _ := putStep(t, a, "p/t", "one", "two")
	if len(r.puts) != 1 || r.puts[0] != "ac/"+string(key2) || a.RemoteStats().Present != 2 {
		t.Fatalf("puts %v, stats %+v", r.puts, a.RemoteStats())
	}

	b := openWithRemote(t, r, false)
	got, err := b.GetAction(key)
	if err != nil || got.Step != "p/s" {
		t.Fatalf("GetAction on the second cache = %+v, %v", got, err)
	}
	for i, o := range got.Outputs {
		data, err := b.GetBlob(o.Digest)
		if err != nil || string(data) != []string{"one", "two"}[i] {
			t.Fatalf("blob %d = %q, %v", i, data, err)
		}
	}
	s := b.RemoteStats()
	if s.Hits != 1 || s.Downloads != 2 || len(s.Errors) != 0 {
		t.Fatalf("stats %+v", s)
	}
	// Now local: no further remote reads.
	r.mu.Lock()
	r.objects = map[string][]byte{}
	r.mu.Unlock()
	if _, err := b.GetAction(key); err != nil {
		t.Fatalf("second GetAction: %v", err)
	}
	if _, err := b.GetAction(Sum([]byte("other"))); !errors.Is(err, ErrMissing) {
		t.Fatalf("absent everywhere: %v", err)
	}
}

func TestRemoteDamagedBlobIsNeverServed(t *testing.T) {
	r := newMemRemote()
	a := openWithRemote(t, r, false)
	key, e := putStep(t, a, "p/s", "right")
	d := e.Outputs[0].Digest
	r.objects["cas/"+string(d)] = []byte("wrong")

	b := openWithRemote(t, r, false)
	if _, err := b.GetAction(key); !errors.Is(err, ErrMissing) {
		t.Fatalf("entry with a damaged blob: err = %v, want a miss", err)
	}
	if _, err := b.GetBlob(d); !errors.Is(err, ErrMissing) {
		t.Fatalf("damaged blob served: %v", err)
	}
	s := b.RemoteStats()
	if s.BadRemote == 0 || s.Refetched == 0 || s.Hits != 0 {
		t.Fatalf("stats %+v", s)
	}
	// The step is recomputed: the good blob replaces the bad one although the remote has the name.
	putStep(t, b, "p/s", "right")
	if string(r.objects["cas/"+string(d)]) != "right" {
		t.Fatalf("remote blob not repaired: %q", r.objects["cas/"+string(d)])
	}
	c := openWithRemote(t, r, true)
	if _, err := c.GetAction(key); err != nil {
		t.Fatalf("after repair: %v", err)
	}
}

// A remote blob that cannot be read intact (the transport's checksum fails)
// is treated as damaged: the recomputed blob replaces it.
func TestRemoteUnreadableBlobIsReplaced(t *testing.T) {
	r := newMemRemote()
	a := openWithRemote(t, r, false)
	key, e := putStep(t, a, "p/s", "right")
	d := e.Outputs[0].Digest
	r.failGet = "cas/"
	b := openWithRemote(t, r, false)
	if _, err := b.GetAction(key); !errors.Is(err, ErrMissing) {
		t.Fatalf("entry with an unreadable blob: err = %v, want a miss", err)
	}
	if s := b.RemoteStats(); s.BadRemote != 1 {
		t.Fatalf("stats %+v", s)
	}
	r.puts = nil
	putStep(t, b, "p/s", "right")
	if !slices.Contains(r.puts, "cas/"+string(d)) {
		t.Fatalf("the unreadable blob was not uploaded again: puts %v", r.puts)
	}
}

func TestRemoteDamagedEntryIsAMiss(t *testing.T) {
	r := newMemRemote()
	a := openWithRemote(t, r, false)
	key, _ := putStep(t, a, "p/s", "x")
	r.objects["ac/"+string(key)] = []byte(`{"step":"p/s","preimage":"something else"}`)
	b := openWithRemote(t, r, false)
	if _, err := b.GetAction(key); !errors.Is(err, ErrMissing) {
		t.Fatalf("err = %v", err)
	}
	if s := b.RemoteStats(); s.Misses != 1 || len(s.Errors) != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestRemoteFailedUploadLeavesNoEntry(t *testing.T) {
	r := newMemRemote()
	r.failPut = "cas/"
	a := openWithRemote(t, r, false)
	key, _ := putStep(t, a, "p/s", "x", "y")
	if len(r.objects) != 0 {
		t.Fatalf("remote holds %d objects after a failed blob upload", len(r.objects))
	}
	if s := a.RemoteStats(); len(s.Errors) != 1 || !strings.Contains(s.Errors[0], "connection reset") {
		t.Fatalf("stats %+v", s)
	}
	// The local cache is unaffected.
	if _, err := a.GetAction(key); err != nil {
		t.Fatal(err)
	}
}

func TestRemoteReadOnlyWritesNothing(t *testing.T) {
	r := newMemRemote()
	w := openWithRemote(t, r, false)
	key, _ := putStep(t, w, "p/s", "x")
	n := len(r.puts)
	ro := openWithRemote(t, r, true)
	if _, err := ro.GetAction(key); err != nil {
		t.Fatal(err)
	}
	putStep(t, ro, "p/new", "z")
	if len(r.puts) != n {
		t.Fatalf("read-only cache wrote %v", r.puts[n:])
	}
}

// A cache filled before the remote was set up publishes its entries when
// they are used, once each.
func TestRemotePublishesLocalEntries(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key, e := putStep(t, c, "p/old", "a", "b")
	r := newMemRemote()
	c.SetRemote(r, false)
	for i := 0; i < 3; i++ {
		if _, err := c.GetAction(key); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"cas/" + string(e.Outputs[0].Digest), "cas/" + string(e.Outputs[1].Digest), "ac/" + string(key)}
	if strings.Join(r.puts, " ") != strings.Join(want, " ") {
		t.Fatalf("puts %v, want %v once", r.puts, want)
	}
	other := openWithRemote(t, r, true)
	if _, err := other.GetAction(key); err != nil {
		t.Fatalf("another machine: %v", err)
	}
	// A read-only cache publishes nothing.
	ro, _ := Open(t.TempDir())
	k2, _ := putStep(t, ro, "p/ro", "c")
	ro.SetRemote(r, true)
	n := len(r.puts)
	ro.GetAction(k2)
	if len(r.puts) != n {
		t.Fatalf("read-only cache published %v", r.puts[n:])
	}
}
