package s3store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kadanoff/kadanoff/pipeline/cache"
	"github.com/kadanoff/kadanoff/pipeline/cache/s3store/s3test"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in, bucket, prefix string
		bad                bool
	}{
		{in: "s3://b", bucket: "b"},
		{in: "s3://b/", bucket: "b"},
		{in: "s3://b/team/kadanoff", bucket: "b", prefix: "team/kadanoff/"},
		{in: "s3://b/x/?versionId=1", bad: true},
		{in: "http://b/x", bad: true},
		{in: "s3:///x", bad: true},
	} {
		b, p, err := ParseURL(tc.in)
		if (err != nil) != tc.bad || b != tc.bucket || p != tc.prefix {
			t.Errorf("ParseURL(%q) = %q, %q, %v", tc.in, b, p, err)
		}
	}
}

func open(t *testing.T, srv *s3test.Server, endpoint, url string) *Store {
	t.Helper()
	srv.Env(t, endpoint)
	s, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAgainstVersitygw(t *testing.T) {
	srv := s3test.Start(t, "cache")
	s := open(t, srv, srv.URL(), "s3://cache/team/a")
	ctx := context.Background()
	if _, err := s.Get(ctx, "cas/none"); !errors.Is(err, cache.ErrMissing) {
		t.Fatalf("Get of an absent object: %v, want ErrMissing", err)
	}
	if has, err := s.Has(ctx, "cas/none"); has || err != nil {
		t.Fatalf("Has of an absent object = %v, %v", has, err)
	}
	data := bytes.Repeat([]byte("kadanoff"), 100000)
	if err := s.Put(ctx, "cas/x", data); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "cas/x")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get = %d bytes, %v", len(got), err)
	}
	if has, err := s.Has(ctx, "cas/x"); !has || err != nil {
		t.Fatalf("Has = %v, %v", has, err)
	}
	// Another prefix of the bucket does not see it.
	other := open(t, srv, srv.URL(), "s3://cache/team/b")
	if has, _ := other.Has(ctx, "cas/x"); has {
		t.Fatal("prefixes are not separate")
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	// A bucket that does not exist is an error, not a miss, and Check says so.
	nob := open(t, srv, srv.URL(), "s3://nobucket")
	if err := nob.Check(ctx); err == nil || !strings.Contains(err.Error(), `bucket "nobucket" does not exist`) {
		t.Fatalf("Check of a missing bucket: %v", err)
	}
	if _, err := nob.Get(ctx, "cas/x"); err == nil || errors.Is(err, cache.ErrMissing) {
		t.Fatalf("Get from a missing bucket: %v", err)
	}
	// Wrong credentials are named as such, not as a missing bucket.
	for env, want := range map[string]string{"AWS_ACCESS_KEY_ID": "access key id", "AWS_SECRET_ACCESS_KEY": "secret key does not match"} {
		t.Run(env, func(t *testing.T) {
			srv.Env(t, srv.URL())
			t.Setenv(env, "wrong"+env)
			bad, err := Open(ctx, "s3://cache/team/a")
			if err != nil {
				t.Fatal(err)
			}
			if err := bad.Check(ctx); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Check with a wrong %s: %v, want one saying %q", env, err, want)
			}
		})
	}
}

// killProxy forwards connections to the server and kills the server process
// once more than limit bytes have gone towards it.
type killProxy struct {
	l     net.Listener
	sent  atomic.Int64
	limit int64
	once  sync.Once
	kill  func()
}

func startKillProxy(t *testing.T, target string, limit int64, kill func()) *killProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &killProxy{l: l, limit: limit, kill: kill}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.serve(c, target)
		}
	}()
	return p
}

func (p *killProxy) serve(c net.Conn, target string) {
	defer c.Close()
	s, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer s.Close()
	go io.Copy(c, s)
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if p.sent.Add(int64(n)) > p.limit {
				p.once.Do(p.kill)
				return
			}
			if _, err := s.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func TestServerKilledMidUploadLeavesNoEntry(t *testing.T) {
	srv := s3test.Start(t, "cache")
	// Uploads go through a proxy that kills the server (SIGKILL) when 1 MiB
	// has gone towards it: in the middle of the 4 MiB blob.
	proxy := startKillProxy(t, srv.Addr, 1<<20, srv.Kill)
	store := open(t, srv, "http://"+proxy.l.Addr().String(), "s3://cache/k")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")

	c, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c.SetRemote(store, false)
	big := bytes.Repeat([]byte{1, 2, 3, 4}, 1<<20)
	d, err := c.PutBlob(big)
	if err != nil {
		t.Fatal(err)
	}
	pre := "kadanoff action\nbig\n"
	key := cache.Sum([]byte(pre))
	if err := c.PutAction(key, &cache.Entry{Step: "p/big", Preimage: pre, Outputs: []cache.Output{{Name: "o", Kind: "npy", Digest: d, Size: int64(len(big))}}}); err != nil {
		t.Fatalf("local PutAction failed with the remote down: %v", err)
	}
	if srv.PID() != 0 {
		t.Fatal("the server was not killed during the upload")
	}
	if s := c.RemoteStats(); len(s.Errors) == 0 {
		t.Fatalf("no upload error recorded: %+v", s)
	}

	// After a restart, neither the entry nor the partial blob is visible, and
	// a second machine sees a miss.
	srv.Restart()
	direct := open(t, srv, srv.URL(), "s3://cache/k")
	ctx := context.Background()
	for _, name := range []string{"ac/" + string(key), "cas/" + string(d)} {
		if has, err := direct.Has(ctx, name); has || err != nil {
			t.Errorf("after the crash, %s: visible %v (%v)", name, has, err)
		}
	}
	c2, _ := cache.Open(t.TempDir())
	c2.SetRemote(direct, false)
	if _, err := c2.GetAction(key); !errors.Is(err, cache.ErrMissing) {
		t.Fatalf("second machine: %v, want a miss", err)
	}
	// Building again uploads it whole.
	if _, err := c2.PutBlob(big); err != nil {
		t.Fatal(err)
	}
	if err := c2.PutAction(key, &cache.Entry{Step: "p/big", Preimage: pre, Outputs: []cache.Output{{Name: "o", Kind: "npy", Digest: d, Size: int64(len(big))}}}); err != nil {
		t.Fatal(err)
	}
	c3, _ := cache.Open(t.TempDir())
	c3.SetRemote(direct, true)
	if _, err := c3.GetAction(key); err != nil {
		t.Fatalf("third machine after the rebuild: %v (%+v)", err, c2.RemoteStats())
	}
	if got, err := c3.GetBlob(d); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("blob: %v", err)
	}
}
