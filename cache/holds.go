package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/avatarkit/avatarkit/fetch"
)

// A fleet is one client of each network: the networks count our calls per token, not per node.
// So when the owner of a key is told "rate limited" by a network, it tells the other nodes
// (POST <BasePath>_hold, authenticated like every peer request), and they close their gate for
// that network too (fetch.Holder) until the reset. Without this each node would keep calling
// until it got its own 429: N nodes, N calls per window. With it the fleet makes the one call
// that was refused, then one probe per node at the reset. The notice is best effort, sent once:
// a node that missed it gets its own 429 and tells the others.

// holdPath is the peer endpoint's path of rate-limit notices, after BasePath.
const holdPath = "_hold"

// holdSlack is how much later than the hold already known a rate limit must end to be news:
// owners rate-limited in the same window (each by its own call) tell the fleet once.
const holdSlack = 2 * time.Second

// maxHold bounds the reset a notice may name, like fetch bounds the waits a network names.
const maxHold = 24 * time.Hour

// holdNotice is a rate limit as the peer protocol carries it.
type holdNotice struct {
	Type    string `json:"type"`     // the delivery type whose fetch was rate-limited
	UntilMs int64  `json:"until_ms"` // Unix milliseconds: the reset
}

// noteRateLimit is told every failed origin fetch of typ; when the network itself rate-limited
// us (not a call held back) and that is news to the fleet, it tells the other nodes, in the
// background.
func (c *Cache) noteRateLimit(typ string, err error) {
	var fe *fetch.Error
	if c.self == "" || !errors.As(err, &fe) || fe.Kind != fetch.KindRateLimited || fe.HeldBack || fe.RetryAfter <= 0 {
		return
	}
	until := c.now().Add(min(fe.RetryAfter, maxHold))
	if !c.recordHold(typ, until) {
		return
	}
	body, _ := json.Marshal(holdNotice{Type: typ, UntilMs: until.UnixMilli()})
	c.log.Info("avatarkit: a network is rate-limiting us; telling the other nodes to leave it alone too",
		"type", typ, "until", until)
	c.background(func(ctx context.Context) {
		c.eachOtherNode(func(p string) {
			res, err := c.peerRequest(ctx, http.MethodPost, p, holdPath, body)
			if err != nil {
				c.log.Debug("avatarkit: a node did not take a rate-limit notice", "peer", p, "err", err)
				return
			}
			res.Body.Close()
		})
	})
}

// recordHold records that the fleet knows typ's network holds us off until until, and reports
// whether that is news: later, by more than holdSlack, than what was known.
func (c *Cache) recordHold(typ string, until time.Time) bool {
	c.holdMu.Lock()
	defer c.holdMu.Unlock()
	if known, ok := c.holds[typ]; ok && until.Before(known.Add(holdSlack)) {
		return false
	}
	c.holds[typ] = until
	return true
}

// takeHold is a rate-limit notice from a peer: the network of the type is left alone here until
// the reset. A reset already past (a notice slow in coming) changes nothing, nor does a notice
// for a provider that cannot hold its calls (one of the app's own). The sender bounds the reset
// by maxHold on its clock; one a little further on this clock is taken as maxHold.
func (c *Cache) takeHold(n holdNotice) error {
	p, ok := c.providers[n.Type]
	if !ok {
		return fmt.Errorf("no provider %q here", n.Type)
	}
	until, now := time.UnixMilli(n.UntilMs), c.now()
	if until.After(now.Add(maxHold + c.authWindow)) {
		return fmt.Errorf("a reset at %s is more than %s away", until.UTC().Format(time.RFC3339), maxHold)
	}
	h, ok := p.(fetch.Holder)
	if !ok || !until.After(now) {
		return nil
	}
	if limit := now.Add(maxHold); until.After(limit) {
		until = limit
	}
	c.recordHold(n.Type, until)
	c.noteLimited(n.Type, until)
	h.Hold(until)
	c.holdsTaken.Add(1) // the provider logs the hold when it closes its gate for longer
	return nil
}
