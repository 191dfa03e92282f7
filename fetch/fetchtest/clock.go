package fetchtest

import (
	"sync/atomic"
	"time"
)

// Clock is a settable clock for tests of what depends on time — refresh periods, rate-limit
// windows, retries: give its Now to avatarmw.Config.Now, fetch.Config.Now and Server.SetNow, and
// step it with Advance instead of sleeping. It is safe for concurrent use.
type Clock struct{ ns atomic.Int64 }

// NewClock returns a Clock that reads t until it is moved.
func NewClock(t time.Time) *Clock {
	c := &Clock{}
	c.Set(t)
	return c
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }
