package avatarmw

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/avatarkit/avatarkit/cache"
)

// ReadyOptions say what a readiness check leaves out; see Ready.
type ReadyOptions = cache.ReadyOptions

// NotReadyError is what Ready returns when the node is not ready: every reason.
type NotReadyError = cache.NotReadyError

// Ready reports whether this node can serve avatars as a node of its fleet: nil, or a
// *NotReadyError that gives every reason. A handler with neither peers nor a store is always
// ready. A node of a cluster is ready once it has finished its start (it asked the other nodes for
// the forced refreshes they hold, or gave up after a few seconds) and is on its own ring, and
// while every other node it knows answers its authenticated ping, knows itself by the URL this
// node lists it by and (with a static list of peers) lists this node too; a handler with a Store
// while the store answers. opts leaves the peers or the store out, for a check that knowingly
// skips them: the handler serves without them, only worse (docs/operations.md says which probe
// wants what). The peers are asked at once, each within PeerTimeout, and their answers are reused
// for a second.
func (h *Handler) Ready(ctx context.Context, opts ReadyOptions) error {
	return h.cache.Ready(ctx, opts)
}

// ReadyHandler returns a readiness endpoint for the app to mount (the example mounts it at
// /readyz): 200 "ready" when Ready says so, and 503 with a reason a line otherwise (in the
// text/plain body, and the first in X-Avatar-Error). The query names what the check knowingly
// skips: ?skip=peers, ?skip=store or ?skip=peers,store; any other query is a 400.
func (h *Handler) ReadyHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Content-Type", "text/plain; charset=utf-8")
		hdr.Set("Cache-Control", "no-store")
		hdr.Set("X-Content-Type-Options", "nosniff")
		var opts ReadyOptions
		q := r.URL.Query()
		for k := range q {
			if k != "skip" {
				hdr.Set("X-Avatar-Error", "unknown parameter "+k+": want skip=peers, skip=store or skip=peers,store")
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(hdr.Get("X-Avatar-Error") + "\n")) //nolint:errcheck // the prober went away
				return
			}
		}
		for _, v := range q["skip"] {
			for s := range strings.SplitSeq(v, ",") {
				switch s {
				case "peers":
					opts.SkipPeers = true
				case "store":
					opts.SkipStore = true
				default:
					hdr.Set("X-Avatar-Error", "skip="+sanitizeHeader(s)+": want peers or store")
					w.WriteHeader(http.StatusBadRequest)
					w.Write([]byte(hdr.Get("X-Avatar-Error") + "\n")) //nolint:errcheck // the prober went away
					return
				}
			}
		}
		err := h.Ready(r.Context(), opts)
		if err == nil {
			w.Write([]byte("ready\n")) //nolint:errcheck // the prober went away
			return
		}
		reasons := []string{err.Error()}
		var nr *NotReadyError
		if errors.As(err, &nr) {
			reasons = nr.Reasons
		}
		hdr.Set("X-Avatar-Error", sanitizeHeader(reasons[0]))
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("not ready:\n" + strings.Join(reasons, "\n") + "\n")) //nolint:errcheck // the prober went away
	})
}

// sanitizeHeader keeps the printable ASCII of s, for a header.
func sanitizeHeader(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}
