package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// underGoRun reports whether the parent process is the go command (`go run ./example`), as Linux's
// /proc tells; false wherever /proc cannot say.
func underGoRun() bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", os.Getppid()))
	return err == nil && strings.TrimSpace(string(comm)) == "go"
}

// untilParentExits returns a context that is cancelled when ctx is, or when the process that
// started this one exits (getppid then names another process). `go run` does not pass SIGTERM
// on to the program it built: killing `go run ./example` would leave the example serving, and
// holding its port, with no parent. Polls every every.
func untilParentExits(ctx context.Context, getppid func() int, every time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	parent := getppid()
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if getppid() != parent {
					cancel(fmt.Errorf("the go command that started the example (pid %d) exited", parent))
					return
				}
			}
		}
	}()
	return ctx, func() { cancel(context.Canceled) }
}
