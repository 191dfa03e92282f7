package cache

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBudgetGrantsWhatFitsAndQueuesTheRest(t *testing.T) {
	b := newBudget(100, 2, time.Minute)
	ctx := context.Background()
	r1, err := b.acquire(ctx, 60, time.Millisecond, true)
	require.NoError(t, err)
	r2, err := b.acquire(ctx, 30, time.Millisecond, true)
	require.NoError(t, err)
	s := b.stats()
	assert.Equal(t, int64(90), s.UsedBytes)
	assert.Equal(t, 2, s.Running)

	// A third slot-taking piece of work waits for a slot; memory-only work that fits passes it.
	got := make(chan string, 3)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		r, err := b.acquire(ctx, 5, time.Millisecond, true)
		if assert.NoError(t, err) {
			got <- "slot"
			r()
		}
	}()
	waitQueued(t, b, 1)
	r3, err := b.acquire(ctx, 10, 0, false)
	require.NoError(t, err, "memory-only work is not held back by work waiting for a slot")
	r3()
	// Memory-only work that does not fit waits, and holds back what comes after it.
	go func() {
		defer wg.Done()
		r, err := b.acquire(ctx, 40, 0, false)
		if assert.NoError(t, err) {
			got <- "memory"
			r()
		}
	}()
	waitQueued(t, b, 2)
	select {
	case g := <-got:
		t.Fatalf("%s granted while nothing was released", g)
	case <-time.After(20 * time.Millisecond):
	}
	r1() // frees a slot and 60 bytes: both fit
	assert.ElementsMatch(t, []string{"slot", "memory"}, []string{<-got, <-got})
	r2()
	wg.Wait()
	s = b.stats()
	assert.Zero(t, s.UsedBytes)
	assert.Zero(t, s.Running)
	assert.Zero(t, s.Queued)
	assert.Equal(t, int64(100), s.PeakBytes, "60 + 30 + the 10 that passed the queue")
	assert.EqualValues(t, 5, s.Admitted)
	assert.EqualValues(t, 2, s.Waited)
	assert.Zero(t, s.Shed)
}

func waitQueued(t *testing.T, b *budget, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return b.stats().Queued == n }, 5*time.Second, time.Millisecond)
}

func TestBudgetShedsWhatWouldWaitTooLong(t *testing.T) {
	b := newBudget(100, 1, time.Second)
	ctx := context.Background()
	r, err := b.acquire(ctx, 10, 10*time.Second, true) // a long job holds the only slot
	require.NoError(t, err)

	start := time.Now()
	_, err = b.acquire(ctx, 10, time.Millisecond, true)
	var be *BusyError
	require.ErrorAs(t, err, &be, "expected to wait ~5 s, more than the 1 s allowed")
	assert.Less(t, time.Since(start), 500*time.Millisecond, "refused at once, not after waiting")
	assert.Equal(t, 6*time.Second, be.RetryAfter, "half the running job's 10 s over one slot, and its own 1 ms, rounded up")
	assert.Contains(t, be.Error(), "busy")
	r()

	// Work that looked quick but is still waiting when MaxQueueWait is over is refused then.
	b = newBudget(100, 1, 100*time.Millisecond)
	r, err = b.acquire(ctx, 10, 10*time.Millisecond, true)
	require.NoError(t, err)
	start = time.Now()
	_, err = b.acquire(ctx, 10, time.Millisecond, true)
	require.ErrorAs(t, err, &be)
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
	assert.Equal(t, time.Second, be.RetryAfter, "at least a second")
	assert.EqualValues(t, 1, b.stats().Shed)
	assert.Zero(t, b.stats().Queued, "the refused work left the queue")
	r()
	assert.Zero(t, b.stats().UsedBytes)
}

func TestBudgetRefusesWhatCanNeverFit(t *testing.T) {
	b := newBudget(100, 1, time.Second)
	_, err := b.acquire(context.Background(), 101, 0, true)
	assert.ErrorIs(t, err, errBudgetTooSmall)
}

func TestBudgetWaiterLeavesWithItsContext(t *testing.T) {
	b := newBudget(100, 1, time.Minute)
	r, err := b.acquire(context.Background(), 10, time.Millisecond, true)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := b.acquire(ctx, 10, time.Millisecond, true)
		done <- err
	}()
	waitQueued(t, b, 1)
	cancel()
	assert.True(t, errors.Is(<-done, context.Canceled))
	r()
	s := b.stats()
	assert.Zero(t, s.UsedBytes)
	assert.Zero(t, s.Queued)
}

// TestBudgetNeverExceeded hammers a budget from many goroutines and checks the bytes and slots
// in use never exceed it.
func TestBudgetNeverExceeded(t *testing.T) {
	b := newBudget(1000, 3, time.Minute)
	var mu sync.Mutex
	var bytes, slots, peakBytes, peakSlots int64
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := int64(50 + 37*i%400)
			slot := i%3 != 0
			r, err := b.acquire(context.Background(), n, time.Microsecond, slot)
			if !assert.NoError(t, err) {
				return
			}
			mu.Lock()
			bytes += n
			if slot {
				slots++
			}
			peakBytes, peakSlots = max(peakBytes, bytes), max(peakSlots, slots)
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			bytes -= n
			if slot {
				slots--
			}
			mu.Unlock()
			r()
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, peakBytes, int64(1000))
	assert.LessOrEqual(t, peakSlots, int64(3))
	assert.Zero(t, b.stats().UsedBytes)
}
