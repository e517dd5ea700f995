// Command ecrm is the whole application: server, demo and admin tools.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ecrm/ecrm/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(cli.Main(ctx, cli.Env{Args: os.Args[1:], Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
