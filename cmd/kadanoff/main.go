// Command kadanoff regenerates, checks and publishes the figures of the papers
// asking whether deep learning is a renormalization-group flow.
package main

import (
	"context"
	"os"

	"golang.org/x/term"

	"github.com/kadanoff/kadanoff/cli"
)

func main() {
	ctx, stop := cli.NotifyContext(context.Background())
	defer stop()
	os.Exit(cli.Main(ctx, os.Args[1:], cli.Env{
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Terminal: term.IsTerminal(int(os.Stdout.Fd())),
	}))
}
