package fetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Defaults of Config.
const (
	DefaultFacebookURL = "https://graph.facebook.com/v19.0"
	DefaultXURL        = "https://api.x.com"
	DefaultGravatarURL = "https://www.gravatar.com"
	DefaultSourceSize  = 1024
)

// Limits of Config.SourceSize.
const (
	MinSourceSize = 512
	MaxSourceSize = 2048
)

// Config configures the built-in providers. Zero values are the defaults.
//
// The host (and port) of a base URL that is set — FacebookURL, XURL, GravatarURL — is trusted by
// that provider, and by that provider only: it may resolve to a loopback or private address (an
// internal proxy, a fake on 127.0.0.1), which the client otherwise refuses to connect to (see
// ClientConfig.AllowPrivateAddresses and Client.WithTrustedBaseURL). A default base URL is a public
// host and gets no such exception.
type Config struct {
	// FacebookURL is the Graph API base URL, version included. Default DefaultFacebookURL.
	FacebookURL string
	// FacebookToken is the Graph API access token, sent as access_token. Optional: app-scoped ids
	// need none, and the call then carries no access_token.
	FacebookToken string
	// XURL is the X API base URL. Default DefaultXURL.
	XURL string
	// XToken is the X API bearer token (OAuth 2.0 app-only). The twitter, twitter_name,
	// twitter_banner and twitter_name_banner types need it: without it their CheckID returns
	// KindNotConfigured.
	XToken string
	// GravatarURL is the Gravatar base URL. Default DefaultGravatarURL.
	GravatarURL string
	// SourceSize is the picture size in pixels asked of Facebook (width and height) and Gravatar
	// (s), the source every variant is computed from. Default 1024; valid 512..2048.
	SourceSize int
	// Client configures the guarded HTTP client of every origin call.
	Client ClientConfig
	// Logger receives a debug line per origin fetch (and per retry), and a warning when a network
	// failed, rejected our credentials or rate-limited us. Tokens never reach it. Nil: silent.
	Logger *slog.Logger

	// RateLimitBackoff is how long the providers of a network make no call to it after it
	// rate-limited us without saying for how long. When it does say (X's x-rate-limit-reset, a
	// Retry-After, Graph's estimated_time_to_regain_access), they wait that long instead; either
	// way Fetch meanwhile returns a KindRateLimited *Error with the time left as RetryAfter, and
	// afterwards one call goes first while the others wait for its answer. Default
	// DefaultRateLimitBackoff (60 s); negative is an error.
	RateLimitBackoff time.Duration
	// MaxRateLimitWait caps the wait a rate-limiting network names (a Retry-After of hours, a
	// reset date far away): past it one call goes to the network again, and a warning is logged
	// when a wait is capped. A cap protects the fleet from a single answer that would close a
	// provider for every user for a day. Default DefaultMaxRateLimitWait (1 hour); at least a
	// second, at most a day.
	MaxRateLimitWait time.Duration
	// RetryDelay governs the one retry of a transient failure (a 5xx, a cut or failed connection, a
	// timeout of the client): it is made after a random wait between RetryDelay and 3×RetryDelay,
	// and only when the context's deadline (if any) leaves, after that wait, at least as long as
	// the failed attempt took and at least a second. Default DefaultRetryDelay (100 ms, so
	// 100–300 ms); negative: no retries. The wait is real time, whatever Now says.
	RetryDelay time.Duration
	// Now is the clock every wait the networks ask for is computed with: how long a rate-limited
	// network is left alone, and the RetryAfter of the errors that say so. Default time.Now.
	// Tests set a fake clock to step over a rate-limit window without sleeping. Client.Now is set
	// to it when left nil.
	Now func() time.Time
}

// The built-in delivery types.
const (
	TypeFacebook      = "facebook"
	TypeTwitter       = "twitter"
	TypeTwitterName   = "twitter_name"
	TypeGravatar      = "gravatar"
	TypeGPlus         = "gplus"
	TypeInstagramName = "instagram_name"
)

// NewProviders validates cfg and returns the built-in providers by delivery type: "facebook",
// "twitter", "twitter_name", "gravatar", the X profile banners "twitter_banner" and
// "twitter_name_banner", and the withdrawn "gplus" and "instagram_name" (whose
// CheckID always returns KindGone naming the network and when it withdrew its API). All of them share
// one Client built from cfg.Client; a provider whose base URL is set uses a Client derived from it
// that trusts that base URL's host (Client.WithTrustedBaseURL).
//
// The providers of one network share a rate-limit gate: the four X types share X's (one API, one
// token); "facebook" and "gravatar" have one each. It is per call of NewProviders:
// two sets of providers do not know about each other's gates.
func NewProviders(cfg Config) (map[string]Provider, error) {
	switch {
	case cfg.RateLimitBackoff < 0:
		return nil, fmt.Errorf("fetch: Config.RateLimitBackoff %v is negative", cfg.RateLimitBackoff)
	case cfg.RateLimitBackoff == 0:
		cfg.RateLimitBackoff = DefaultRateLimitBackoff
	}
	switch {
	case cfg.MaxRateLimitWait == 0:
		cfg.MaxRateLimitWait = DefaultMaxRateLimitWait
	case cfg.MaxRateLimitWait < time.Second || cfg.MaxRateLimitWait > maxWaitSeconds*time.Second:
		return nil, fmt.Errorf("fetch: Config.MaxRateLimitWait %v: want between 1s and 24h", cfg.MaxRateLimitWait)
	}
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = DefaultRetryDelay
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Client.Now == nil {
		cfg.Client.Now = cfg.Now
	}
	if cfg.SourceSize == 0 {
		cfg.SourceSize = DefaultSourceSize
	}
	if cfg.SourceSize < MinSourceSize || cfg.SourceSize > MaxSourceSize {
		return nil, fmt.Errorf("fetch: Config.SourceSize %d is outside %d..%d", cfg.SourceSize, MinSourceSize, MaxSourceSize)
	}
	fbURL, err := parseBaseURL("FacebookURL", cfg.FacebookURL, DefaultFacebookURL)
	if err != nil {
		return nil, err
	}
	xURL, err := parseBaseURL("XURL", cfg.XURL, DefaultXURL)
	if err != nil {
		return nil, err
	}
	gURL, err := parseBaseURL("GravatarURL", cfg.GravatarURL, DefaultGravatarURL)
	if err != nil {
		return nil, err
	}
	if err := checkToken("FacebookToken", cfg.FacebookToken); err != nil {
		return nil, err
	}
	if err := checkToken("XToken", cfg.XToken); err != nil {
		return nil, err
	}
	client, err := NewClient(cfg.Client)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Each provider trusts the host of its own base URL, when the operator configured one.
	fbClient, err := trusting(client, cfg.FacebookURL, fbURL)
	if err != nil {
		return nil, err
	}
	xClient, err := trusting(client, cfg.XURL, xURL)
	if err != nil {
		return nil, err
	}
	gClient, err := trusting(client, cfg.GravatarURL, gURL)
	if err != nil {
		return nil, err
	}

	newNetwork := func(name string) *network {
		return &network{name: name, now: cfg.Now, backoff: min(cfg.RateLimitBackoff, cfg.MaxRateLimitWait), maxWait: cfg.MaxRateLimitWait,
			delay: cfg.RetryDelay, log: log}
	}
	xNet := newNetwork("X")
	fb := &facebook{base: fbURL, token: cfg.FacebookToken, size: cfg.SourceSize, client: fbClient,
		allow: append(Allowlist{fbURL.Host}, facebookImageHosts...), net: newNetwork("Facebook"), now: cfg.Now}
	xAllow := append(Allowlist{xURL.Host}, xImageHosts...)
	tw := &xProvider{name: TypeTwitter, byName: false, base: xURL, token: cfg.XToken, client: xClient, allow: xAllow,
		net: xNet, now: cfg.Now}
	twName := &xProvider{name: TypeTwitterName, byName: true, base: xURL, token: cfg.XToken, client: xClient, allow: xAllow,
		net: xNet, now: cfg.Now}
	twBanner := &xBanner{xProvider{name: TypeTwitterBanner, byName: false, base: xURL, token: cfg.XToken, client: xClient,
		allow: xAllow, net: xNet, now: cfg.Now}}
	twNameBanner := &xBanner{xProvider{name: TypeTwitterNameBanner, byName: true, base: xURL, token: cfg.XToken, client: xClient,
		allow: xAllow, net: xNet, now: cfg.Now}}
	gr := &gravatar{base: gURL, size: cfg.SourceSize, client: gClient,
		allow: append(Allowlist{gURL.Host}, gravatarImageHosts...), net: newNetwork("Gravatar")}

	return map[string]Provider{
		TypeFacebook:          logged(TypeFacebook, fb, log),
		TypeTwitter:           logged(TypeTwitter, tw, log),
		TypeTwitterName:       logged(TypeTwitterName, twName, log),
		TypeGravatar:          logged(TypeGravatar, gr, log),
		TypeTwitterBanner:     logged(TypeTwitterBanner, twBanner, log),
		TypeTwitterNameBanner: logged(TypeTwitterNameBanner, twNameBanner, log),
		TypeGPlus:             gone{name: TypeGPlus, msg: "Google+ shut down its API in March 2019"},
		TypeInstagramName:     gone{name: TypeInstagramName, msg: "Instagram withdrew its legacy API in June 2020"},
	}, nil
}

// trusting returns the client a provider uses: one that trusts its base URL's host when the operator
// set the base URL (configured non-empty), client itself otherwise.
func trusting(client *Client, configured string, base *url.URL) (*Client, error) {
	if configured == "" {
		return client, nil
	}
	return client.WithTrustedBaseURL(base.String())
}

// parseBaseURL parses a configured base URL: absolute http(s) with a host, no query or fragment.
// The trailing slash is dropped so that paths join with one.
func parseBaseURL(field, raw, def string) (*url.URL, error) {
	if raw == "" {
		raw = def
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("fetch: Config.%s: %w", field, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("fetch: Config.%s %q: scheme must be http or https", field, raw)
	case u.Host == "" || u.Opaque != "":
		return nil, fmt.Errorf("fetch: Config.%s %q: no host", field, raw)
	case u.User != nil:
		return nil, fmt.Errorf("fetch: Config.%s: user info is not supported; use the token fields", field)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("fetch: Config.%s %q: a base URL has no query or fragment", field, raw)
	}
	if _, _, ok := splitHostPort(u.Host); !ok {
		return nil, fmt.Errorf("fetch: Config.%s %q: unusable host", field, raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}

// checkToken refuses a token that could not travel in a header or query string as it is.
func checkToken(field, tok string) error {
	if strings.TrimSpace(tok) != tok || strings.ContainsFunc(tok, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
		return fmt.Errorf("fetch: Config.%s contains white space or a control character", field)
	}
	return nil
}

// joinURL appends escaped path segments and a raw query to base (which has no trailing slash).
func joinURL(base *url.URL, rawQuery string, segments ...string) string {
	var b strings.Builder
	b.WriteString(base.String())
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	if rawQuery != "" {
		b.WriteByte('?')
		b.WriteString(rawQuery)
	}
	return b.String()
}

// loggedProvider wraps a built-in provider: its Fetch checks the id again (a caller may skip CheckID)
// and logs the outcome.
type loggedProvider struct {
	name string
	p    Provider
	log  *slog.Logger
}

func logged(name string, p Provider, log *slog.Logger) Provider {
	l := loggedProvider{name: name, p: p, log: log}
	if _, ok := p.(Revalidator); ok {
		return loggedRevalidator{l}
	}
	return l
}

// loggedRevalidator is a loggedProvider whose provider is a Revalidator.
type loggedRevalidator struct{ loggedProvider }

// FetchIfChanged checks id, calls the wrapped provider's FetchIfChanged with its canonical form
// and logs the outcome, as Fetch does.
func (l loggedRevalidator) FetchIfChanged(ctx context.Context, id, validator string) (*Picture, error) {
	canon, err := l.p.CheckID(id)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	pic, err := l.p.(Revalidator).FetchIfChanged(ctx, canon, validator)
	return l.log1(ctx, canon, start, pic, err)
}

// CheckID calls the wrapped provider's.
func (l loggedProvider) CheckID(id string) (string, error) { return l.p.CheckID(id) }

// Hold implements Holder: it calls the wrapped provider's.
func (l loggedProvider) Hold(until time.Time) {
	if h, ok := l.p.(Holder); ok {
		h.Hold(until)
	}
}

// CloseIdleConnections implements IdleCloser: it calls the wrapped provider's.
func (l loggedProvider) CloseIdleConnections() {
	if ic, ok := l.p.(IdleCloser); ok {
		ic.CloseIdleConnections()
	}
}

// Fetch checks id, calls the wrapped provider's Fetch with its canonical form and logs the outcome:
// a debug line, or a warning when the network failed or rejected our credentials.
func (l loggedProvider) Fetch(ctx context.Context, id string) (*Picture, error) {
	canon, err := l.p.CheckID(id)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	pic, err := l.p.Fetch(ctx, canon)
	return l.log1(ctx, canon, start, pic, err)
}

// log1 logs the outcome of one fetch of canon that started at start, and returns it.
func (l loggedProvider) log1(ctx context.Context, canon string, start time.Time, pic *Picture, err error) (*Picture, error) {
	attrs := []any{"type", l.name, "id", canon, "duration", time.Since(start)}
	if err != nil {
		attrs = append(attrs, "outcome", KindOf(err).String(), "err", err)
		var e *Error
		if errors.As(err, &e) && e.Err != nil {
			attrs = append(attrs, "cause", e.Err.Error())
		}
		level := slog.LevelDebug
		if k := KindOf(err); k == KindCredentials || k == KindUpstream {
			level = slog.LevelWarn
		}
		l.log.Log(ctx, level, "avatar origin fetch failed", attrs...)
		return nil, err
	}
	if pic.Unchanged {
		l.log.Debug("avatar origin fetch", append(attrs, "outcome", "unchanged")...)
		return pic, nil
	}
	attrs = append(attrs, "outcome", "picture", "bytes", len(pic.Bytes), "content_type", pic.ContentType, "default", pic.Default)
	l.log.Debug("avatar origin fetch", attrs...)
	return pic, nil
}
