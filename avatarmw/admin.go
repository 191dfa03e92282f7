package avatarmw

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Refresh asks the avatar's network for its picture now, whatever its refresh period says, and
// returns the version it is stored under: the Unix time in seconds, or just above the avatar's
// latest version this node knows of (a refresh made in the same second, here or on a peer).
// URLs built with that Version serve the new picture from every node at once, as immutable.
// Unversioned URLs serve it, until the avatar's refresh period ends, on every node Refresh could
// reach before it returned (each within the peer timeout); the others are told again three times
// 5 s apart, and every node asks its peers for their refreshes at start and once a minute. A
// version no forced refresh made is, as on Cloudinary, a cache buster: it serves the current
// picture (immutable too).
//
// The error is one StatusOf maps: a type or identifier the URL would refuse, a failure of the
// network (nothing changed; version 0), or a permanent outcome such as "no such user" (which
// unversioned URLs then serve too) with its version.
func (h *Handler) Refresh(ctx context.Context, typ, id string) (uint64, error) {
	p, ok := h.providers[typ]
	if !ok {
		return 0, &URLError{Part: typ, Msg: "unknown type: want one of " + strings.Join(h.typeNames(), ", ")}
	}
	canon, err := p.CheckID(id)
	if err != nil {
		return 0, err
	}
	return h.cache.Refresh(ctx, typ, canon)
}

// MinAdminTokenLen is the least length of AdminHandler's token, in bytes, that it takes without
// logging a warning.
const MinAdminTokenLen = 16

// AdminHandler returns the operators' endpoint, for the app to mount at prefix, which begins and
// ends with '/' (the example uses "/admin/avatars/"). Every request needs the bearer token:
//
//	POST <prefix><type>/<id>/refresh
//	Authorization: Bearer <token>
//
// forces a refresh (Refresh) and answers 200 with the JSON {"version": <n>}, and
//
//	GET <prefix>[?type=<type>][&source=memory|store][&offset=<n>][&limit=<n>]
//	Authorization: Bearer <token>
//
// lists the avatars this node holds (Avatars), or with source=store those the durable store
// holds (StoredAvatars), by type, most recently fetched first, as JSON (AvatarPage). Every
// other answer is JSON {"error": "<reason>"} (with "version" too when a refresh found a
// permanent outcome such as "no such user") with the reason also in X-Avatar-Error: 401 without
// the bearer token or with a wrong one (compared in constant time), 405 for another method, 404
// for another path, 400 for a query it does not take, and StatusOf's status for what Refresh
// returns. token may not be empty; use MinAdminTokenLen random bytes or more (a shorter one is
// taken with a warning in the log).
func (h *Handler) AdminHandler(prefix, token string) (http.Handler, error) {
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") {
		return nil, fmt.Errorf("avatarmw: admin prefix %q must begin and end with '/'", prefix)
	}
	switch {
	case token == "":
		return nil, errors.New("avatarmw: the admin token is empty")
	case len(token) < MinAdminTokenLen:
		h.log.Warn("avatarkit: the admin token is short: whoever guesses it can force refreshes; use at least 16 random bytes",
			"bytes", len(token), "recommended", MinAdminTokenLen)
	}
	return &adminHandler{h: h, prefix: prefix, token: sha256.Sum256([]byte(token))}, nil
}

type adminHandler struct {
	h      *Handler
	prefix string
	token  [sha256.Size]byte // compared as hashes: equal lengths, constant time
}

func (a *adminHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cache-Control", "no-store")
	// The scheme is case-insensitive (RFC 9110 §11.1): "bearer" is as good as "Bearer".
	scheme, bearer, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	ok := strings.EqualFold(scheme, "Bearer")
	if sum := sha256.Sum256([]byte(strings.TrimLeft(bearer, " "))); !ok || subtle.ConstantTimeCompare(sum[:], a.token[:]) != 1 {
		hdr.Set("WWW-Authenticate", `Bearer realm="avatarkit admin"`)
		adminAnswer(w, http.StatusUnauthorized, "a valid admin bearer token is required", 0)
		return
	}
	rest, _ := strings.CutPrefix(r.URL.Path, a.prefix)
	if r.URL.Path == a.prefix {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			hdr.Set("Allow", "GET, HEAD")
			adminAnswer(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use GET", 0)
			return
		}
		a.list(w, r)
		return
	}
	parts := strings.Split(rest, "/")
	if !strings.HasPrefix(r.URL.Path, a.prefix) || len(parts) != 3 || parts[2] != "refresh" || parts[0] == "" || parts[1] == "" {
		adminAnswer(w, http.StatusNotFound, "not an admin URL: want POST "+a.prefix+"<type>/<id>/refresh or GET "+a.prefix, 0)
		return
	}
	if r.Method != http.MethodPost {
		hdr.Set("Allow", http.MethodPost)
		adminAnswer(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use POST", 0)
		return
	}
	version, err := a.h.Refresh(r.Context(), parts[0], parts[1])
	if err != nil {
		code, reason, retryAfter := StatusOf(err)
		if retryAfter > 0 {
			hdr.Set("Retry-After", strconv.FormatInt(int64(retryAfter.Seconds()+0.999), 10))
		}
		a.h.log.Warn("avatarkit: forced refresh failed", "type", parts[0], "id", parts[1], "status", code, "err", err)
		adminAnswer(w, code, reason, version)
		return
	}
	a.h.log.Info("avatarkit: forced refresh", "type", parts[0], "id", parts[1], "version", version)
	adminAnswer(w, http.StatusOK, "", version)
}

// adminAnswer writes the JSON answer of the admin endpoint.
func adminAnswer(w http.ResponseWriter, code int, reason string, version uint64) {
	body := struct {
		Version uint64 `json:"version,omitempty"`
		Error   string `json:"error,omitempty"`
	}{version, reason}
	if reason != "" {
		w.Header().Set("X-Avatar-Error", reason)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(body) //nolint:errcheck // the client went away
}
