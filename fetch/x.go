package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// xImageHosts are the hosts X serves profile pictures from (and their subdomains).
var xImageHosts = Allowlist{"pbs.twimg.com", "abs.twimg.com"}

// xSizeSuffix matches the last path segment of an X profile picture URL that names a size variant:
// the stem, the suffix, the extension (if any).
var xSizeSuffix = regexp.MustCompile(`^(.+?)_(?:normal|bigger|mini|200x200|400x400)(\.[A-Za-z0-9]+)?$`)

// xProvider is the "twitter" (by user id) or "twitter_name" (by screen name) provider: a v2 user
// lookup, then the original upload of the profile picture.
type xProvider struct {
	name   string // the delivery type
	byName bool   // look up by screen name
	base   *url.URL
	token  string // bearer token; empty: not configured
	client *Client
	allow  Allowlist        // picture hosts plus the base URL's host
	net    *network         // X's rate-limit gate and retry policy, shared by both X providers
	now    func() time.Time // the clock waits are computed with
}

// CheckID reports KindNotConfigured without a bearer token, whatever the id. Otherwise it accepts
// 1 to 19 digits (twitter) or a screen name of 1 to 15 letters, digits and underscores (twitter_name,
// canonically lower case: X compares screen names case-insensitively).
func (p *xProvider) CheckID(id string) (string, error) {
	if p.token == "" {
		return "", p.notConfigured()
	}
	if p.byName {
		if !idOf(id, 1, 15, isWordByte) {
			return "", errorf(KindBadID, p.name, nil, "identifier %s is not an X screen name (1 to 15 letters, digits or underscores)", quoteShort(id))
		}
		return strings.ToLower(id), nil
	}
	if !idOf(id, 1, 19, isDigit) {
		return "", errorf(KindBadID, p.name, nil, "identifier %s is not an X user id (1 to 19 digits)", quoteShort(id))
	}
	return id, nil
}

func (p *xProvider) notConfigured() error {
	return errorf(KindNotConfigured, p.name, nil, "no X API bearer token configured")
}

// xProblem is an X API problem object: the whole body of a 401 or 429, or an entry of "errors".
type xProblem struct {
	Title        string `json:"title"`
	Detail       string `json:"detail"`
	Type         string `json:"type"`
	Value        string `json:"value"`
	Parameter    string `json:"parameter"`
	ResourceType string `json:"resource_type"`
}

func (e *xProblem) Error() string {
	return fmt.Sprintf("X API problem %s (%s): %s", e.Type, e.Title, e.Detail)
}

// xAnswer is the X API's answer to a user lookup.
type xAnswer struct {
	Data *struct {
		ID              string `json:"id"`
		Username        string `json:"username"`
		ProfileImageURL string `json:"profile_image_url"`
	} `json:"data"`
	Errors []xProblem `json:"errors"`
	xProblem
}

// Fetch looks the user up, then downloads the original of their profile picture (never the 48 px
// _normal variant the API names). Every call goes through X's rate-limit gate, and each is retried
// once when it fails transiently.
//
// When the image host answers 403 or 404 for the picture URL the lookup gave, the user changed
// their picture in between (X removes the old file): Fetch looks the user up once more and
// downloads the URL that lookup gives. If that fails too, its failure is returned as it is.
//
// The picture's Validator is the URL of its original: X gives a new picture a new URL.
func (p *xProvider) Fetch(ctx context.Context, id string) (*Picture, error) {
	return p.FetchIfChanged(ctx, id, "")
}

// FetchIfChanged implements Revalidator: when the original of the picture URL the lookup gives is
// validator, the picture has not changed and is not downloaded.
func (p *xProvider) FetchIfChanged(ctx context.Context, id, validator string) (*Picture, error) {
	if p.token == "" {
		return nil, p.notConfigured()
	}
	lookup := func(ctx context.Context) (string, error) {
		raw, err := p.lookup(ctx, id)
		return originalPictureURL(raw), err
	}
	return fetchLooked(ctx, p.net, p.name, lookup, p.download, validator)
}

// fetchLooked is the fetch of the X providers: lookup names the picture's URL (the original's),
// which is downloaded; when the download answers 403 or 404, the user changed their picture in
// between (X removes the old file), and the user is looked up once more and the URL that lookup
// gives is downloaded. If that fails too, its failure is returned as it is. When the URL a lookup
// gives is validator, nothing is downloaded: the Picture says Unchanged. Every call goes through
// X's rate-limit gate, and each is retried once when it fails transiently.
func fetchLooked(ctx context.Context, n *network, name string, lookup func(context.Context) (string, error),
	download func(context.Context, string) (*Picture, error), validator string) (*Picture, error) {
	get := func(raw string) (*Picture, error) {
		if validator != "" && raw == validator {
			return &Picture{Validator: raw, Unchanged: true, Default: isDefaultXPicture(raw)}, nil
		}
		return call(ctx, n, name, func(ctx context.Context) (*Picture, error) { return download(ctx, raw) })
	}
	raw, err := call(ctx, n, name, lookup)
	if err != nil {
		return nil, err
	}
	pic, err := get(raw)
	if err == nil || !pictureMoved(err) {
		return pic, err
	}
	if raw, err = call(ctx, n, name, lookup); err != nil {
		return nil, err
	}
	return get(raw)
}

// pictureMoved reports whether err is a download's 403 or 404: the file the lookup named is gone.
func pictureMoved(err error) bool {
	var se *StatusError
	return KindOf(err) == KindUpstream && errors.As(err, &se) &&
		(se.StatusCode == http.StatusForbidden || se.StatusCode == http.StatusNotFound)
}

// lookup asks the X API for the user and returns their profile_image_url as the API gives it.
func (p *xProvider) lookup(ctx context.Context, id string) (string, error) {
	const q = "user.fields=profile_image_url"
	var lookup string
	if p.byName {
		lookup = joinURL(p.base, q, "2", "users", "by", "username", id)
	} else {
		lookup = joinURL(p.base, q, "2", "users", id)
	}
	resp, err := p.client.API(ctx, lookup, http.Header{"Authorization": {"Bearer " + p.token}}, p.allow)
	if err != nil {
		return "", WithProvider(p.name, err)
	}
	var ans xAnswer
	jsonErr := json.Unmarshal(resp.Body, &ans)
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299

	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		now := p.now()
		wait := resetAfter(resp.Header, now)
		if wait == 0 {
			wait = retryAfter(resp.Header, now)
		}
		return "", rateLimited(p.name, "X API rate limit", wait, p.cause(resp, jsonErr, &ans))
	case resp.StatusCode == http.StatusUnauthorized:
		return "", errorf(KindCredentials, p.name, p.cause(resp, jsonErr, &ans), "X API rejected our bearer token")
	case ok && jsonErr == nil && ans.Data != nil && ans.Data.ProfileImageURL != "":
		// Errors next to data are about other objects (a pinned post...), not the user.
		return ans.Data.ProfileImageURL, nil
	}
	if jsonErr == nil {
		problems := append([]xProblem{ans.xProblem}, ans.Errors...)
		for i := range problems {
			pr := &problems[i]
			switch {
			case strings.HasSuffix(pr.Type, "/user-suspended") || strings.Contains(strings.ToLower(pr.Detail), "been suspended"):
				return "", errorf(KindNotFound, p.name, pr, "user %s is suspended", id)
			case strings.HasSuffix(pr.Type, "/resource-not-found"):
				return "", errorf(KindNotFound, p.name, pr, "no such user %s", id)
			}
		}
	}
	switch {
	case resp.StatusCode == http.StatusForbidden:
		// App-only lookups of public users are refused only when our app may not make them
		// (client-not-enrolled, unsupported-authentication).
		return "", errorf(KindCredentials, p.name, p.cause(resp, jsonErr, &ans), "X API refused our app (HTTP 403)")
	case !ok:
		return "", markTransient(errorf(KindUpstream, p.name, p.cause(resp, jsonErr, &ans), "X API failed: HTTP %d", resp.StatusCode),
			transientStatus(resp.StatusCode))
	case jsonErr != nil:
		return "", errorf(KindUpstream, p.name, jsonErr, "unreadable X API answer")
	case ans.Data == nil:
		return "", errorf(KindUpstream, p.name, p.cause(resp, jsonErr, &ans), "X API answer without data")
	}
	return "", errorf(KindUpstream, p.name, nil, "X API answer without profile_image_url")
}

// download fetches the picture at orig, the original of the picture URL the API named.
func (p *xProvider) download(ctx context.Context, orig string) (*Picture, error) {
	pic, err := p.client.Picture(ctx, orig, p.allow)
	if err != nil {
		return nil, WithProvider(p.name, err)
	}
	pic.Default, pic.Validator = isDefaultXPicture(orig), validator(orig)
	return pic, nil
}

// cause describes an answer for Error.Err: its first problem, or its status and the start of its body.
func (p *xProvider) cause(resp *APIResponse, jsonErr error, ans *xAnswer) error {
	if jsonErr == nil {
		if ans.Type != "" || ans.Title != "" {
			return &ans.xProblem
		}
		if len(ans.Errors) > 0 {
			return &ans.Errors[0]
		}
	}
	return fmt.Errorf("HTTP %d, body %q", resp.StatusCode, head(resp.Body, 256))
}

// originalPictureURL removes the size suffix (_normal, _bigger, _mini, _200x200, _400x400) from the
// last path segment of an X profile picture URL, before the extension, giving the original upload.
// Any other URL is returned as it is.
func originalPictureURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	p := u.EscapedPath()
	i := strings.LastIndexByte(p, '/')
	last := p[i+1:]
	orig := xSizeSuffix.ReplaceAllString(last, "$1$2")
	if orig == last {
		return raw
	}
	escaped := p[:i+1] + orig
	path, err := url.PathUnescape(escaped)
	if err != nil {
		return raw
	}
	u.Path, u.RawPath = path, escaped
	return u.String()
}

// isDefaultXPicture reports whether an X profile picture URL is X's default picture.
func isDefaultXPicture(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && strings.Contains(u.Path, "/default_profile_images/")
}

// CloseIdleConnections implements IdleCloser.
func (p *xProvider) CloseIdleConnections() { p.client.CloseIdleConnections() }

// Hold implements Holder.
func (p *xProvider) Hold(until time.Time) { p.net.hold(until) }
