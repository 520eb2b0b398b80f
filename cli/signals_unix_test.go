//go:build unix

package cli

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// SIGTERM and SIGHUP stop a command as Ctrl-C does.
func TestSignalsCancel(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		ctx, stop := NotifyContext(context.Background())
		if err := syscall.Kill(syscall.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
			t.Errorf("%v did not cancel the command's context", sig)
		}
		stop()
	}
}
