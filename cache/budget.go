package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// The work budget: the one place where cold work is admitted. Decodes, transforms and analyses
// take a worker slot (at most MaxTransforms at once) and the bytes imageops.Estimate says they
// will allocate; downloads take the bytes their buffers grow to; a response body that may outlive
// its cache entry (a large one, sent to a slow reader) holds its bytes while it is written.
// Together they never exceed WorkBytes, so that a node's memory stays within its cache, its work
// budget and a constant.
//
// Work that does not fit waits in one queue, first come first served, for at most MaxQueueWait.
// Work whose expected wait (the estimated CPU of what runs and what queues before it, spread over
// the slots) is longer than that is refused at once with a *BusyError, and so is work still
// waiting when MaxQueueWait has passed: the client gets 503 with Retry-After rather than a long
// wait. Hits never enter the budget.

// BusyError is the answer to work this node cannot start soon: its work budget is taken and the
// queue for it is too long. It is transient (never cached); the client should retry after
// RetryAfter.
type BusyError struct {
	// RetryAfter is when the work is expected to have room, rounded up to a whole second.
	RetryAfter time.Duration
	// Msg says what was busy.
	Msg string
}

func (e *BusyError) Error() string { return e.Msg }

// budget admits work against a memory budget and a number of worker slots.
type budget struct {
	capBytes int64
	slots    int
	maxWait  time.Duration

	mu         sync.Mutex
	usedBytes  int64
	running    int
	runningCPU time.Duration // the estimated CPU of the work running now
	queuedCPU  time.Duration // ... and of the work waiting
	queue      []*waiter

	admitted  atomic.Int64
	shed      atomic.Int64
	queuedN   atomic.Int64 // work that had to wait
	waitNanos atomic.Int64 // total time work waited
	peakBytes atomic.Int64

	heldBodies atomic.Int64 // response bodies that held room while they were sent (Cache.Hold)
}

// waiter is one piece of work waiting for room.
type waiter struct {
	bytes int64
	cpu   time.Duration
	slot  bool          // needs a worker slot
	ready chan struct{} // closed when granted
	done  bool          // granted, or gone
}

func newBudget(capBytes int64, slots int, maxWait time.Duration) *budget {
	return &budget{capBytes: capBytes, slots: slots, maxWait: maxWait}
}

// errBudgetTooSmall answers a reservation larger than the whole budget; callers that can say
// more (imageops refuses such transforms itself, with the figures) never reach it.
var errBudgetTooSmall = errors.New("cache: the work needs more memory than the whole work budget")

// fits reports whether w can start now. b.mu is held.
func (b *budget) fits(w *waiter) bool {
	return b.usedBytes+w.bytes <= b.capBytes && (!w.slot || b.running < b.slots)
}

// grant starts w. b.mu is held.
func (b *budget) grant(w *waiter) {
	b.usedBytes += w.bytes
	if w.slot {
		b.running++
		b.runningCPU += w.cpu
	}
	if u := b.usedBytes; u > b.peakBytes.Load() {
		b.peakBytes.Store(u)
	}
	b.admitted.Add(1)
}

// expectedWait is how long new work would wait behind what runs and queues now. b.mu is held.
func (b *budget) expectedWait(extra time.Duration) time.Duration {
	return (b.runningCPU/2 + b.queuedCPU + extra) / time.Duration(b.slots)
}

// acquire reserves bytes (and a worker slot when slot is set, for work expected to take cpu) and
// returns the function that gives them back. It fails with a *BusyError when the work cannot
// start within maxWait, with errBudgetTooSmall when it can never fit, or with ctx's error.
func (b *budget) acquire(ctx context.Context, bytes int64, cpu time.Duration, slot bool) (func(), error) {
	return b.acquireWithin(ctx, bytes, cpu, slot, b.maxWait)
}

// acquireWithin is acquire with a wait of its own instead of maxWait.
func (b *budget) acquireWithin(ctx context.Context, bytes int64, cpu time.Duration, slot bool, maxWait time.Duration) (func(), error) {
	if bytes > b.capBytes {
		return nil, errBudgetTooSmall
	}
	w := &waiter{bytes: bytes, cpu: cpu, slot: slot}
	b.mu.Lock()
	if b.fits(w) && b.mayPass(w) {
		b.grant(w)
		b.mu.Unlock()
		return func() { b.release(w) }, nil
	}
	if d := b.expectedWait(cpu); d > maxWait {
		b.mu.Unlock()
		b.shed.Add(1)
		return nil, b.busy(d, maxWait)
	}
	w.ready = make(chan struct{})
	b.queue = append(b.queue, w)
	b.queuedCPU += w.cpu
	b.mu.Unlock()
	b.queuedN.Add(1)

	start := time.Now()
	t := time.NewTimer(maxWait)
	defer t.Stop()
	var err error
	select {
	case <-w.ready:
	case <-t.C:
		err = b.waitedOut(maxWait)
	case <-ctx.Done():
		err = fmt.Errorf("cache: waiting for room in the work budget: %w", ctx.Err())
	}
	b.waitNanos.Add(int64(time.Since(start)))
	if err != nil {
		b.mu.Lock()
		granted := w.done
		if !granted {
			w.done = true
			b.remove(w)
			b.admitNext() // w may have held back smaller work behind it
		}
		b.mu.Unlock()
		if !granted {
			b.shed.Add(1)
			return nil, err
		}
	}
	return func() { b.release(w) }, nil
}

// busy is the error of work refused because it would wait about d, more than maxWait.
func (b *budget) busy(d, maxWait time.Duration) *BusyError {
	s := retryIn(d)
	return &BusyError{RetryAfter: s, Msg: fmt.Sprintf("this server is busy with other images: the wait for room to work would be about %.1f s, more than the %.1f s a request waits; retry in %v",
		d.Seconds(), maxWait.Seconds(), s)}
}

// waitedOut is the error of work that waited maxWait without getting room.
func (b *budget) waitedOut(maxWait time.Duration) *BusyError {
	s := retryIn(maxWait)
	return &BusyError{RetryAfter: s, Msg: fmt.Sprintf("this server is busy with other images: no room to work came within %.1f s; retry in %v", maxWait.Seconds(), s)}
}

// retryIn rounds a wait up to whole seconds, at least one.
func retryIn(d time.Duration) time.Duration {
	return max(time.Second, (d+time.Second-1)/time.Second*time.Second)
}

// mayPass reports whether new work w may start before the work queued now: when nothing is
// queued, or when w needs no slot and everything queued waits only for a slot (see admitNext).
// b.mu is held.
func (b *budget) mayPass(w *waiter) bool {
	if len(b.queue) == 0 {
		return true
	}
	if w.slot {
		return false
	}
	for _, q := range b.queue {
		if b.usedBytes+q.bytes > b.capBytes {
			return false
		}
	}
	return true
}

// remove takes w out of the queue. b.mu is held.
func (b *budget) remove(w *waiter) {
	for i, q := range b.queue {
		if q == w {
			b.queue = append(b.queue[:i], b.queue[i+1:]...)
			b.queuedCPU -= w.cpu
			return
		}
	}
}

// release gives back what w took and starts the work that now fits.
func (b *budget) release(w *waiter) {
	b.mu.Lock()
	b.usedBytes -= w.bytes
	if w.slot {
		b.running--
		b.runningCPU -= w.cpu
	}
	b.admitNext()
	b.mu.Unlock()
}

// admitNext starts queued work in order while it fits. Work that only waits for a slot does not
// hold back memory-only work behind it (a download, a response), but work that waits for memory
// holds back everything behind it, so that large work is not starved by a stream of small.
// b.mu is held.
func (b *budget) admitNext() {
	for i := 0; i < len(b.queue); {
		w := b.queue[i]
		if b.fits(w) {
			w.done = true
			b.queue = append(b.queue[:i], b.queue[i+1:]...)
			b.queuedCPU -= w.cpu
			b.grant(w)
			close(w.ready)
			continue
		}
		if b.usedBytes+w.bytes > b.capBytes {
			return
		}
		i++
	}
}

// BudgetStats describe the work budget of a node.
type BudgetStats struct {
	// WorkBytes is the budget: the memory that cold work (decodes, transforms, downloads, large
	// responses being sent) may hold at once.
	WorkBytes int64 `json:"work_bytes"`
	// UsedBytes is what the work running now holds; PeakBytes the most it has held.
	UsedBytes int64 `json:"used_bytes"`
	PeakBytes int64 `json:"peak_bytes"`
	// Slots is the number of transforms that may run at once; Running how many do.
	Slots   int `json:"slots"`
	Running int `json:"running"`
	// Queued is the work waiting for room now; QueuedCPU its estimated processor time.
	Queued    int           `json:"queued"`
	QueuedCPU time.Duration `json:"queued_cpu_ns"`
	// Admitted counts the work started; Waited the part of it that had to wait first, and
	// WaitedTotal the time they waited in all.
	Admitted    int64         `json:"admitted"`
	Waited      int64         `json:"waited"`
	WaitedTotal time.Duration `json:"waited_total_ns"`
	// Shed counts the work refused because it could not start soon (503 with Retry-After).
	Shed int64 `json:"shed"`
	// HeldResponses counts the large response bodies that held room in the budget while they
	// were sent (their bytes are part of UsedBytes meanwhile).
	HeldResponses int64 `json:"held_responses"`
}

func (b *budget) stats() BudgetStats {
	b.mu.Lock()
	s := BudgetStats{WorkBytes: b.capBytes, UsedBytes: b.usedBytes, Slots: b.slots, Running: b.running,
		Queued: len(b.queue), QueuedCPU: b.queuedCPU}
	b.mu.Unlock()
	s.PeakBytes = b.peakBytes.Load()
	s.Admitted, s.Waited, s.WaitedTotal, s.Shed = b.admitted.Load(), b.queuedN.Load(), time.Duration(b.waitNanos.Load()), b.shed.Load()
	s.HeldResponses = b.heldBodies.Load()
	return s
}

// HoldThreshold is the size from which a response body holds room in the work budget while it is
// sent (Hold). Smaller bodies, most avatars, are sent without: what they can pin is covered by
// the constant part of a node's memory.
const HoldThreshold = 16 << 10

// maxHoldWait bounds how long a response waits for room to be sent: a hit is never kept waiting
// long, it is refused instead.
const maxHoldWait = time.Second

// held is the room one response body holds in the work budget, shared by every response that
// sends the same body at the same time.
type held struct {
	refs    int
	release func()
}

// Hold reserves room in the work budget for v's body while it is sent, and returns the function
// that gives it back, to be called when the body has been written. A response body is a view of
// the cached value, so as long as the value stays cached it costs nothing more; but a client that
// reads slowly can keep it for minutes after the cache has evicted it, and many such clients
// could hold any amount of memory. So a body of HoldThreshold or more holds its size in the work
// budget, once for all the responses that send it at the same time. When the budget has no room
// within a second, Hold fails with a *BusyError (503, Retry-After): the memory slow readers hold
// is bounded by the budget, at the cost of refusing the next large responses.
func (c *Cache) Hold(ctx context.Context, v Variant) (func(), error) {
	n := int64(v.Len())
	if n < HoldThreshold {
		return func() {}, nil
	}
	c.heldMu.Lock()
	h := c.held[v.ETag]
	if h != nil {
		h.refs++
		c.heldMu.Unlock()
		return func() { c.unhold(v.ETag) }, nil
	}
	c.heldMu.Unlock()
	release, err := c.work.acquireWithin(ctx, n, 0, false, min(c.work.maxWait, maxHoldWait))
	if err != nil {
		return nil, err
	}
	c.heldMu.Lock()
	if h := c.held[v.ETag]; h != nil { // another response took it meanwhile: share it
		h.refs++
		c.heldMu.Unlock()
		release()
	} else {
		c.held[v.ETag] = &held{refs: 1, release: release}
		c.heldMu.Unlock()
	}
	c.work.heldBodies.Add(1)
	return func() { c.unhold(v.ETag) }, nil
}

func (c *Cache) unhold(etag string) {
	c.heldMu.Lock()
	h := c.held[etag]
	h.refs--
	last := h.refs == 0
	if last {
		delete(c.held, etag)
	}
	c.heldMu.Unlock()
	if last {
		h.release()
	}
}
