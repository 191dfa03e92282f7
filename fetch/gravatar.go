package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// gravatarImageHosts are Gravatar's own hosts (and their subdomains).
var gravatarImageHosts = Allowlist{"gravatar.com"}

// gravatarHash is the rule of the gravatar type: the MD5 or SHA-256 of an e-mail address, in hex.

// gravatar is the "gravatar" provider: one download, d=404 so that a missing picture is a 404
// rather than Gravatar's logo.
type gravatar struct {
	base   *url.URL
	size   int
	client *Client
	allow  Allowlist // Gravatar's hosts plus the base URL's host
	net    *network  // Gravatar's rate-limit gate and retry policy
}

// CheckID accepts 32 or 64 hex digits, canonically lower case.
func (g *gravatar) CheckID(id string) (string, error) {
	if !((len(id) == 32 || len(id) == 64) && idOf(id, 32, 64, isHex)) {
		return "", errorf(KindBadID, TypeGravatar, nil, "identifier %s is not an MD5 or SHA-256 hash (32 or 64 hex digits)", quoteShort(id))
	}
	return strings.ToLower(id), nil
}

// Fetch downloads {gravatar}/avatar/{hash}?s=W&d=404, through Gravatar's rate-limit gate, retrying
// a transient failure once.
func (g *gravatar) Fetch(ctx context.Context, id string) (*Picture, error) {
	hash := strings.ToLower(id)
	return call(ctx, g.net, TypeGravatar, func(ctx context.Context) (*Picture, error) { return g.download(ctx, hash) })
}

// download makes the one request.
func (g *gravatar) download(ctx context.Context, hash string) (*Picture, error) {
	pic, err := g.client.Picture(ctx, joinURL(g.base, "s="+strconv.Itoa(g.size)+"&d=404", "avatar", hash), g.allow)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.StatusCode == http.StatusNotFound {
			return nil, errorf(KindNoPicture, TypeGravatar, se, "no picture for %s", hash)
		}
		return nil, WithProvider(TypeGravatar, err)
	}
	return pic, nil
}

// CloseIdleConnections implements IdleCloser.
func (g *gravatar) CloseIdleConnections() { g.client.CloseIdleConnections() }

// Hold implements Holder.
func (g *gravatar) Hold(until time.Time) { g.net.hold(until) }
