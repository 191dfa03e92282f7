package fetch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// facebookImageHosts are the hosts Facebook serves profile pictures from (and their subdomains).
var facebookImageHosts = Allowlist{"fbcdn.net", "fbsbx.com", "facebook.com"}

// facebookID is the rule of the facebook type: an app-scoped user id.

// facebook is the "facebook" provider: the Graph API's user picture edge.
type facebook struct {
	base   *url.URL // Graph API base, version included, no trailing slash
	token  string   // optional access token
	size   int      // width and height asked for
	client *Client
	allow  Allowlist        // picture hosts plus the base URL's host
	net    *network         // Facebook's rate-limit gate and retry policy (API and CDN)
	now    func() time.Time // the clock waits are computed with
}

// CheckID accepts 1 to 25 digits, the id as it is.
func (f *facebook) CheckID(id string) (string, error) {
	if !idOf(id, 1, 25, isDigit) {
		return "", errorf(KindBadID, TypeFacebook, nil, "identifier %s is not an app-scoped user id (1 to 25 digits)", quoteShort(id))
	}
	return id, nil
}

// graphAnswer is the Graph API's answer to GET /{id}/picture?redirect=false: either data or error.
type graphAnswer struct {
	Data *struct {
		URL          *string `json:"url"`
		IsSilhouette bool    `json:"is_silhouette"`
		Width        int     `json:"width"`
		Height       int     `json:"height"`
		// CacheKey is ProfilePictureSource's cache_key: it changes when the picture changes.
		CacheKey string `json:"cache_key"`
	} `json:"data"`
	Error *graphError `json:"error"`
}

// graphError is the Graph API's error object. It travels in Error.Err, for logs.
type graphError struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      int    `json:"code"`
	Subcode   int    `json:"error_subcode"`
	FBTraceID string `json:"fbtrace_id"`
	// Transient is Graph's is_transient: the same call may work later.
	Transient bool `json:"is_transient"`
}

func (e *graphError) Error() string {
	return fmt.Sprintf("Graph API error %d (subcode %d, %s, fbtrace_id %s): %s", e.Code, e.Subcode, e.Type, e.FBTraceID, e.Message)
}

// graphPicture is what a lookup tells: where the picture is, whether it is the silhouette, and
// its cache_key ("" when Graph gave none).
type graphPicture struct {
	url        string
	silhouette bool
	cacheKey   string
}

// Fetch asks the Graph API for the picture's URL, then downloads it. Both calls go through
// Facebook's rate-limit gate, and each is retried once when it fails transiently. The picture's
// Validator is the cache_key of the lookup, when Graph gave one.
func (f *facebook) Fetch(ctx context.Context, id string) (*Picture, error) {
	return f.FetchIfChanged(ctx, id, "")
}

// FetchIfChanged implements Revalidator: when the lookup's cache_key is validator, the picture
// has not changed and is not downloaded. A lookup without a cache_key downloads.
func (f *facebook) FetchIfChanged(ctx context.Context, id, validator string) (*Picture, error) {
	gp, err := call(ctx, f.net, TypeFacebook, func(ctx context.Context) (graphPicture, error) { return f.lookup(ctx, id) })
	if err != nil {
		return nil, err
	}
	if validator != "" && gp.cacheKey == validator {
		return &Picture{Default: gp.silhouette, Validator: validator, Unchanged: true}, nil
	}
	return call(ctx, f.net, TypeFacebook, func(ctx context.Context) (*Picture, error) {
		pic, err := f.client.Picture(ctx, gp.url, f.allow)
		if err != nil {
			return nil, WithProvider(TypeFacebook, err)
		}
		pic.Default, pic.Validator = gp.silhouette, gp.cacheKey
		return pic, nil
	})
}

// lookup asks the Graph API for the picture's URL.
func (f *facebook) lookup(ctx context.Context, id string) (graphPicture, error) {
	// The query in one fixed order (redirect, width, height, access_token), the same on every call.
	size := strconv.Itoa(f.size)
	q := "redirect=false&width=" + size + "&height=" + size
	if f.token != "" {
		q += "&access_token=" + url.QueryEscape(f.token)
	}
	resp, err := f.client.API(ctx, joinURL(f.base, q, id, "picture"), nil, f.allow)
	if err != nil {
		return graphPicture{}, WithProvider(TypeFacebook, err)
	}
	var ans graphAnswer
	jsonErr := json.Unmarshal(resp.Body, &ans)
	if jsonErr == nil && ans.Error != nil {
		ans.Error.Message = f.redact(ans.Error.Message)
		return graphPicture{}, f.graphOutcome(id, resp, ans.Error)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return graphPicture{}, f.statusOutcome(resp)
	}
	switch {
	case jsonErr != nil:
		return graphPicture{}, errorf(KindUpstream, TypeFacebook, jsonErr, "unreadable Graph API answer")
	case ans.Data == nil:
		return graphPicture{}, errorf(KindUpstream, TypeFacebook, nil, "Graph API answer without data")
	case ans.Data.URL == nil:
		return graphPicture{}, errorf(KindUpstream, TypeFacebook, nil, "Graph API answer without a picture URL")
	case *ans.Data.URL == "":
		return graphPicture{}, errorf(KindNoPicture, TypeFacebook, nil, "user %s has no picture", id)
	}
	return graphPicture{url: *ans.Data.URL, silhouette: ans.Data.IsSilhouette, cacheKey: validator(ans.Data.CacheKey)}, nil
}

// graphOutcome maps a Graph API error object to an *Error.
//
// What is a fact about the user is told apart from what is our configuration's problem: "no such
// user" (100) and "user not visible" (210: their privacy settings hide them from our app) are
// facts, answered 404 and remembered like a picture; a permission our app lacks (10, 200–299 but
// 210) and a token that does not work (190, 102, and the subcodes of its session such as 459, the
// token's user checkpointed) are ours, answered 503 and asked again after a back-off, since
// every user would get the same answer until an operator fixes them.
func (f *facebook) graphOutcome(id string, resp *APIResponse, ge *graphError) error {
	switch c := ge.Code; {
	case c == 100:
		// "Unsupported get request. Object with ID '…' does not exist, cannot be loaded due to
		// missing permissions, or does not support this operation."
		return errorf(KindNotFound, TypeFacebook, ge, "no such user %s", id)
	case c == 210:
		// "(#210) User not visible": the user hides from our app (privacy settings, a block).
		// It is the user's choice and may change; a "no such user" is re-checked after
		// NegativeTTL.
		return errorf(KindNotFound, TypeFacebook, ge, "user %s is not visible to this app (Graph error 210)", id)
	case ge.Subcode == 459:
		// "The user has been checkpointed": the user of our access token must log in at
		// facebook.com and pass a security check. Every lookup fails until then.
		return errorf(KindCredentials, TypeFacebook, ge, "the access token's Facebook account is checkpointed: log in at facebook.com to clear it (Graph error %d, subcode 459)", c)
	case c == 190 || c == 102:
		if f.token == "" {
			return errorf(KindCredentials, TypeFacebook, ge, "Graph API wants an access token (error %d) and none is configured", c)
		}
		return errorf(KindCredentials, TypeFacebook, ge, "Graph API rejected our access token (error %d)", c)
	case c == 10 || 200 <= c && c <= 299:
		// "(#200) Permissions error", "(#10) Permission denied": our app lacks a permission.
		return errorf(KindCredentials, TypeFacebook, ge, "Graph API denied our app a permission it needs (error %d)", c)
	case c == 4 || c == 17 || c == 32 || c == 341 || c == 613:
		return rateLimited(TypeFacebook, fmt.Sprintf("Graph API rate limit (error %d)", c), graphRetryAfter(resp.Header, f.now()), ge)
	case c == 1 || c == 2:
		return markTransient(errorf(KindUpstream, TypeFacebook, ge, "Graph API temporarily failed (error %d)", c), true)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return errorf(KindCredentials, TypeFacebook, ge, "Graph API rejected our credentials (error %d)", ge.Code)
	case resp.StatusCode == http.StatusTooManyRequests:
		return rateLimited(TypeFacebook, fmt.Sprintf("Graph API rate limit (error %d)", ge.Code), graphRetryAfter(resp.Header, f.now()), ge)
	}
	return markTransient(errorf(KindUpstream, TypeFacebook, ge, "Graph API error %d (HTTP %d)", ge.Code, resp.StatusCode),
		ge.Transient || transientStatus(resp.StatusCode))
}

// statusOutcome maps a non-2xx answer without a Graph error object.
func (f *facebook) statusOutcome(resp *APIResponse) error {
	cause := fmt.Errorf("HTTP %d, body %q", resp.StatusCode, f.redact(string(head(resp.Body, 256))))
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return errorf(KindCredentials, TypeFacebook, cause, "Graph API rejected our credentials (HTTP 401)")
	case http.StatusTooManyRequests:
		return rateLimited(TypeFacebook, "Graph API rate limit", graphRetryAfter(resp.Header, f.now()), cause)
	}
	return markTransient(errorf(KindUpstream, TypeFacebook, cause, "Graph API failed: HTTP %d", resp.StatusCode),
		transientStatus(resp.StatusCode))
}

// redact removes the access token from a text the network sent back, in case it echoes it.
func (f *facebook) redact(s string) string {
	if f.token == "" {
		return s
	}
	return strings.ReplaceAll(s, f.token, "[access token]")
}

// graphRetryAfter says how long the Graph API asked us to wait: a Retry-After header if there is
// one, else the largest estimated_time_to_regain_access (minutes) of the X-Business-Use-Case-Usage
// header, else 0. Graph's throttling answers (error 4, 17, 32, 613...) usually carry neither.
func graphRetryAfter(h http.Header, now time.Time) time.Duration {
	if d := retryAfter(h, now); d > 0 {
		return d
	}
	v := h.Get("X-Business-Use-Case-Usage")
	if v == "" {
		return 0
	}
	var usage map[string][]struct {
		Minutes float64 `json:"estimated_time_to_regain_access"`
	}
	if json.Unmarshal([]byte(v), &usage) != nil {
		return 0
	}
	var minutes float64
	for _, entries := range usage {
		for _, e := range entries {
			minutes = max(minutes, e.Minutes)
		}
	}
	return clampWait(time.Duration(min(minutes, maxWaitSeconds/60) * float64(time.Minute)))
}

// CloseIdleConnections implements IdleCloser.
func (f *facebook) CloseIdleConnections() { f.client.CloseIdleConnections() }

// Hold implements Holder.
func (f *facebook) Hold(until time.Time) { f.net.hold(until) }
