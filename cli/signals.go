package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// NotifyContext returns a context cancelled by Ctrl-C (SIGINT), SIGTERM (a
// scheduler's or CI's stop) and SIGHUP (a closed terminal): each ends a
// command the same way — running steps abandoned, temporary files removed,
// the summary printed, the cache valid, exit status 130.
func NotifyContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
}
