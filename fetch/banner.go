package fetch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The X profile banner types: the wide picture at the top of a user's profile.
const (
	TypeTwitterBanner     = "twitter_banner"
	TypeTwitterNameBanner = "twitter_name_banner"
)

// bannerLargest is the size of the banner the X API lists that the providers download: the
// largest, from which every other size is computed.
const bannerLargest = "1500x500"

// xBanner is the "twitter_banner" (by user id) or "twitter_name_banner" (by screen name)
// provider: GET {x}/1.1/users/profile_banner.json, then the largest size it lists.
//
// It shares X's rate-limit gate with the profile picture types (one API, one token), checks ids
// as they do, and downloads from X's image hosts only.
type xBanner struct {
	xProvider
}

// bannerAnswer is the X API's answer to profile_banner.json: the sizes, or errors.
type bannerAnswer struct {
	Sizes  map[string]bannerSize `json:"sizes"`
	Errors []xV1Error            `json:"errors"`
}

// bannerSize is one size of a banner, as profile_banner.json lists it.
type bannerSize struct {
	W   int    `json:"w"`
	H   int    `json:"h"`
	URL string `json:"url"`
}

// xV1Error is an error of the X API v1.1: {"code": 34, "message": "Sorry, that page does not exist."}.
type xV1Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *xV1Error) Error() string { return fmt.Sprintf("X API v1.1 error %d: %s", e.Code, e.Message) }

// X API v1.1 error codes the banner lookup tells apart.
const (
	xCodeBadAuth       = 32 // could not authenticate you
	xCodeNoPage        = 34 // sorry, that page does not exist: the user has no banner
	xCodeUserNotFound  = 50
	xCodeSuspended     = 63
	xCodeRateLimit     = 88
	xCodeInvalidToken  = 89
	xCodeOverCapacity  = 130
	xCodeInternalError = 131
)

// Fetch looks the user's banner up, then downloads its largest size. A user without a banner is
// KindNoPicture; an unknown or suspended user KindNotFound. The picture's Validator is the
// largest size's URL, which X changes when the user uploads a new banner.
func (b *xBanner) Fetch(ctx context.Context, id string) (*Picture, error) {
	return b.FetchIfChanged(ctx, id, "")
}

// FetchIfChanged implements Revalidator: when the URL of the banner's largest size is validator,
// the banner has not changed and is not downloaded.
func (b *xBanner) FetchIfChanged(ctx context.Context, id, validator string) (*Picture, error) {
	if b.token == "" {
		return nil, b.notConfigured()
	}
	lookup := func(ctx context.Context) (string, error) { return b.lookup(ctx, id) }
	return fetchLooked(ctx, b.net, b.name, lookup, b.download, validator)
}

// lookup asks the X API for the user's banner and returns the URL of its largest size.
func (b *xBanner) lookup(ctx context.Context, id string) (string, error) {
	q := "user_id=" + url.QueryEscape(id)
	if b.byName {
		q = "screen_name=" + url.QueryEscape(id)
	}
	resp, err := b.client.API(ctx, joinURL(b.base, q, "1.1", "users", "profile_banner.json"),
		http.Header{"Authorization": {"Bearer " + b.token}}, b.allow)
	if err != nil {
		return "", WithProvider(b.name, err)
	}
	var ans bannerAnswer
	jsonErr := json.Unmarshal(resp.Body, &ans)
	cause := func() error {
		if jsonErr == nil && len(ans.Errors) > 0 {
			return &ans.Errors[0]
		}
		return fmt.Errorf("HTTP %d, body %q", resp.StatusCode, head(resp.Body, 256))
	}
	codes := map[int]bool{}
	for _, e := range ans.Errors {
		codes[e.Code] = true
	}
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests || codes[xCodeRateLimit]:
		now := b.now()
		wait := resetAfter(resp.Header, now)
		if wait == 0 {
			wait = retryAfter(resp.Header, now)
		}
		return "", rateLimited(b.name, "X API rate limit", wait, cause())
	case s == http.StatusUnauthorized || codes[xCodeInvalidToken] || codes[xCodeBadAuth]:
		return "", errorf(KindCredentials, b.name, cause(), "X API rejected our bearer token")
	case codes[xCodeUserNotFound]:
		return "", errorf(KindNotFound, b.name, cause(), "no such user %s", id)
	case codes[xCodeSuspended]:
		return "", errorf(KindNotFound, b.name, cause(), "user %s is suspended", id)
	case s == http.StatusNotFound:
		// "If the user has not uploaded a profile banner, a HTTP 404 will be served instead."
		return "", errorf(KindNoPicture, b.name, cause(), "user %s has no profile banner", id)
	case s == http.StatusForbidden:
		return "", errorf(KindCredentials, b.name, cause(), "X API refused our app (HTTP 403)")
	case s < 200 || s > 299:
		return "", markTransient(errorf(KindUpstream, b.name, cause(), "X API failed: HTTP %d", s),
			transientStatus(s) || codes[xCodeOverCapacity] || codes[xCodeInternalError])
	case jsonErr != nil:
		return "", errorf(KindUpstream, b.name, jsonErr, "unreadable X API answer")
	}
	size, ok := largestBanner(ans.Sizes)
	if !ok {
		return "", errorf(KindUpstream, b.name, cause(), "X API banner answer without sizes")
	}
	return size.URL, nil
}

// largestBanner returns the size the providers download: 1500x500 when the answer lists it,
// else the largest it lists (by area, then by name for a stable choice). Sizes without a URL do
// not count.
func largestBanner(sizes map[string]bannerSize) (bannerSize, bool) {
	if s, ok := sizes[bannerLargest]; ok && s.URL != "" {
		return s, true
	}
	var best bannerSize
	bestName := ""
	for name, s := range sizes {
		if s.URL == "" {
			continue
		}
		if a, b := s.W*s.H, best.W*best.H; bestName == "" || a > b || a == b && strings.Compare(name, bestName) < 0 {
			best, bestName = s, name
		}
	}
	return best, bestName != ""
}

// download fetches the banner at raw, the URL of its largest size.
func (b *xBanner) download(ctx context.Context, raw string) (*Picture, error) {
	pic, err := b.client.Picture(ctx, raw, b.allow)
	if err != nil {
		return nil, WithProvider(b.name, err)
	}
	pic.Validator = validator(raw)
	return pic, nil
}

// CloseIdleConnections implements IdleCloser.
func (b *xBanner) CloseIdleConnections() { b.client.CloseIdleConnections() }

// Hold implements Holder.
func (b *xBanner) Hold(until time.Time) { b.net.hold(until) }
