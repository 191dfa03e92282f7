package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUntilParentExits(t *testing.T) {
	var ppid atomic.Int64
	ppid.Store(4242)
	getppid := func() int { return int(ppid.Load()) }

	ctx, cancel := untilParentExits(context.Background(), getppid, time.Millisecond)
	defer cancel()
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, ctx.Err(), "the parent is still there")
	ppid.Store(1) // the go command exited; init adopted the example
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("not cancelled when the parent exited")
	}
	assert.ErrorContains(t, context.Cause(ctx), "(pid 4242) exited")

	// Cancelled by its own cancel or its parent context, it just stops watching.
	parent, stop := context.WithCancel(context.Background())
	ctx, cancel = untilParentExits(parent, getppid, time.Millisecond)
	defer cancel()
	stop()
	<-ctx.Done()
	assert.ErrorIs(t, context.Cause(ctx), context.Canceled)
}
