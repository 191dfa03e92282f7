// Package fetch knows the social networks: it looks a user up at Facebook's Graph API, the X API or
// Gravatar, downloads the user's picture through one guarded HTTP client, and reports every outcome
// as either a Picture or a typed *Error.
//
// fetch knows nothing about images beyond "bytes and a sniffed content type", nothing about caches and
// nothing about avatarkit's URL grammar.
//
// # Manners
//
// The built-in providers are good citizens of the networks they call:
//
//   - Rate limits are honoured. Once a network answers "rate limited" — X's 429 with
//     x-rate-limit-reset, Graph's throttling errors 4, 17, 32, 341 and 613, a 429 with Retry-After
//     from Gravatar or an image host — the providers of that network make no further call to it
//     (API or image host) until the time it named, or for Config.RateLimitBackoff when it named
//     none, capped at Config.MaxRateLimitWait (an hour; logged when capped). Meanwhile Fetch
//     returns at once a KindRateLimited *Error whose RetryAfter is the time left, in whole
//     seconds and never 0. When the wait is over, one call goes first and the fetches that come
//     meanwhile wait for its answer, so that a network still rate-limiting us gets one call per
//     window. The X providers (twitter, twitter_name and the banner types) share X's gate (one
//     API, one token). Waits are computed with Config.Now, so tests can step over them. A fleet
//     shares what it learns: Holder closes a gate for a rate limit another node was given.
//   - A transient failure of a call — a 5xx, a failed or cut connection, a timeout of the client —
//     is retried once, after a random delay (Config.RetryDelay), and only when the context's
//     deadline leaves room for another attempt. Permanent outcomes (no such user, no picture, not
//     an image, too large), refusals of ours (a host off the allowlist, a non-public address),
//     rejected credentials and rate limits are never retried.
//   - X removes the old file when a user changes their picture: when the picture URL of a lookup
//     answers 403 or 404, the X providers look the user up once more and download the URL that
//     lookup gives.
//   - A picture that has not changed is not downloaded again: the facebook, twitter and
//     twitter_name providers and the banner types are Revalidators. Each Picture they return
//     carries a Validator (Graph's cache_key, X's picture or banner URL), and given it back,
//     FetchIfChanged makes the lookup only and answers Unchanged when the network still names that
//     picture.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// A Provider serves one delivery type ("facebook", "twitter", ...).
//
// Implementations must be safe for concurrent use.
type Provider interface {
	// CheckID is called before any cache lookup, for every request. It validates id against the
	// type's identifier rule and returns its canonical form (for example a lower-cased screen name),
	// so that two spellings of one user share one cache entry.
	//
	// It also reports when the type cannot be served at all, whatever the id: an *Error of
	// KindGone for a network that withdrew its API, KindNotConfigured for a provider that lacks
	// the credentials it needs. An id that breaks the rule gives KindBadID.
	CheckID(id string) (canonical string, err error)

	// Fetch looks the user up at the network and downloads their picture. id is a canonical id
	// returned by CheckID. Every failure is an *Error.
	Fetch(ctx context.Context, id string) (*Picture, error)
}

// A Revalidator is a Provider whose network tells, in its lookup, which picture a user has now,
// by something that changes when the picture changes: Graph's cache_key, X's picture URL. The
// Pictures it returns carry that as their Validator, and FetchIfChanged, given it back, makes the
// lookup only when the user still has that picture. A refresh of a picture that has not changed
// then costs the network one lookup and no download.
//
// The built-in facebook (when Graph gives a cache_key), twitter, twitter_name, twitter_banner and
// twitter_name_banner providers are Revalidators; gravatar is not (Gravatar has no lookup: its
// one request is the download).
type Revalidator interface {
	Provider
	// FetchIfChanged is Fetch for a caller that holds the picture whose Validator is validator.
	// When the network's lookup still names that picture, it downloads nothing and returns a
	// Picture with Unchanged set, Validator set and no Bytes; otherwise (a changed picture, a
	// lookup that names none to compare, an empty validator) it returns what Fetch would.
	FetchIfChanged(ctx context.Context, id, validator string) (*Picture, error)
}

// IdleCloser is implemented by a Provider that keeps connections open for reuse (the built-in
// ones do): CloseIdleConnections closes them, and with them their goroutines. The handler calls it
// when it is closed.
type IdleCloser interface {
	CloseIdleConnections()
}

// Holder is implemented by a Provider that leaves its network alone while the network is
// rate-limiting us (the built-in ones do). Hold closes that gate until until, as if the network
// had answered "rate limited" with that reset: calls made before then fail at once with a
// KindRateLimited *Error, and the first one after it is a probe (see the package doc). The
// providers of one network share the gate. A cache calls it when another node of its fleet was
// rate-limited, so the fleet, not each node, makes one call per window. A time past, or earlier
// than the gate's own, changes nothing; one beyond a day is held for a day.
type Holder interface {
	Hold(until time.Time)
}

// Picture is the original picture of a user, as the network serves it.
type Picture struct {
	// Bytes is the image file, complete.
	Bytes []byte
	// ContentType is sniffed from Bytes: "image/jpeg", "image/png", "image/gif" or "image/webp".
	ContentType string
	// Default reports that the network answered with its generic picture (Facebook's silhouette,
	// X's default egg/person) rather than one the user uploaded.
	Default bool
	// Validator names this picture at its network, so that a later FetchIfChanged can tell
	// whether the user still has it without downloading it (see Revalidator): Graph's cache_key,
	// X's picture or banner URL. Opaque, at most MaxValidatorLen bytes; empty when the network
	// gave nothing to compare.
	Validator string
	// Unchanged reports an answer of FetchIfChanged: the network still names the picture of the
	// validator it was given, and nothing was downloaded (Bytes and ContentType are empty).
	Unchanged bool
}

// MaxValidatorLen bounds Picture.Validator: a longer one is dropped (the picture then has none),
// so that a network's odd answer cannot make every cached picture carry kilobytes of it.
const MaxValidatorLen = 512

// validator returns v when it is usable as a Picture.Validator, and "" otherwise.
func validator(v string) string {
	if len(v) > MaxValidatorLen {
		return ""
	}
	return v
}

// Kind classifies an origin outcome that is not a picture.
type Kind uint8

// The kinds of origin outcome. The comment on each gives the HTTP status avatarmw answers with.
const (
	_ Kind = iota
	// KindBadID: the identifier breaks its type's rule (400).
	KindBadID
	// KindNotFound: the network has no such user (404).
	KindNotFound
	// KindNoPicture: the user exists but has no picture (404).
	KindNoPicture
	// KindGone: the network withdrew the API this type used (410).
	KindGone
	// KindNotImage: the network's file is not an image we accept (422).
	KindNotImage
	// KindTooLarge: the network's file is larger than the byte cap (422).
	KindTooLarge
	// KindUpstream: the network failed: a 5xx, an unreadable answer, a cut connection, a picture
	// URL on a host we do not fetch from or one that resolves to a non-public address (502).
	KindUpstream
	// KindTimeout: the network did not answer in time (504).
	KindTimeout
	// KindNotConfigured: the provider lacks the credentials it needs (503).
	KindNotConfigured
	// KindCredentials: the network rejected our credentials (503).
	KindCredentials
	// KindRateLimited: the network is rate-limiting us, or the provider holds its calls back
	// until the wait the network asked for is over (503, with Retry-After from Error.RetryAfter).
	KindRateLimited
)

var kindNames = [...]string{
	KindBadID:         "bad identifier",
	KindNotFound:      "no such user",
	KindNoPicture:     "no picture",
	KindGone:          "network withdrew its API",
	KindNotImage:      "not an image we accept",
	KindTooLarge:      "file too large",
	KindUpstream:      "network failed",
	KindTimeout:       "network timed out",
	KindNotConfigured: "provider not configured",
	KindCredentials:   "credentials rejected",
	KindRateLimited:   "rate-limited",
}

// String returns a short human description of k.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Permanent reports whether an outcome of this kind is an answer of the network about the user's
// picture (no such user, no picture, an unusable file), as opposed to a failure of the network or of
// our configuration: a retry in a moment gets the same answer, so the providers do not retry it.
// A cache may still ask again later: of these, only "no such user" and "no picture" state something
// about the user; an unusable file may be a passing fault of the network.
func (k Kind) Permanent() bool {
	switch k {
	case KindNotFound, KindNoPicture, KindNotImage, KindTooLarge:
		return true
	}
	return false
}

// Error is the error every Provider and the Client return.
//
// Msg is safe to show to the public: it never holds a secret, a token or an internal address.
// Err, when set, holds the underlying cause for logs.
type Error struct {
	Kind     Kind
	Provider string // the delivery type, e.g. "facebook"; empty when not known
	Msg      string // one line, public
	// RetryAfter is how long to wait before asking again (KindRateLimited). The built-in providers
	// always set it: the time the network asked for, the default backoff when it named none
	// (Config.RateLimitBackoff), or the time left while they hold their calls back; it is zero only
	// when the error comes from elsewhere and nobody said.
	RetryAfter time.Duration
	// HeldBack reports a KindRateLimited error of a call that was not made: the provider held it
	// back because the network had rate-limited us (or a Holder was told so). False when the
	// network itself answered "rate limited" just now.
	HeldBack bool
	Err      error

	// transient marks a failure a retry may cure (a 5xx, a cut or failed connection, a timeout of
	// our client), as opposed to a refusal of ours or an answer that would not change.
	transient bool
}

// Error returns "<provider>: <msg>".
func (e *Error) Error() string {
	msg := e.Msg
	if msg == "" {
		msg = e.Kind.String()
	}
	if e.Provider == "" {
		return msg
	}
	return e.Provider + ": " + msg
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error of the same Kind, so that errors.Is(err, fetch.ErrNotFound)
// matches every "no such user" whatever its message.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Kind == e.Kind && t.Provider == "" && t.Msg == ""
	}
	return false
}

// Sentinels to compare with errors.Is; one per Kind.
var (
	ErrBadID         = &Error{Kind: KindBadID}
	ErrNotFound      = &Error{Kind: KindNotFound}
	ErrNoPicture     = &Error{Kind: KindNoPicture}
	ErrGone          = &Error{Kind: KindGone}
	ErrNotImage      = &Error{Kind: KindNotImage}
	ErrTooLarge      = &Error{Kind: KindTooLarge}
	ErrUpstream      = &Error{Kind: KindUpstream}
	ErrTimeout       = &Error{Kind: KindTimeout}
	ErrNotConfigured = &Error{Kind: KindNotConfigured}
	ErrCredentials   = &Error{Kind: KindCredentials}
	ErrRateLimited   = &Error{Kind: KindRateLimited}
)

// KindOf returns the Kind of err when it is (or wraps) an *Error, and 0 otherwise.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}
