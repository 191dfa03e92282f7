package avatarmw

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/avatarkit/avatarkit/cache"
	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/imageops"
)

// statusError is a refusal of the handler's own that has no better type: a wrong method, a URL too
// long, a path outside the prefix.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

// StatusOf maps an error from any layer of avatarkit to the response the client gets: the HTTP
// status, the one-line public reason (the body, and the X-Avatar-Error header) and, for a network
// that rate-limits us, how long to wait (Retry-After; 0 when unknown). It is the only place where
// errors become statuses.
func StatusOf(err error) (code int, reason string, retryAfter time.Duration) {
	var (
		se *statusError
		ue *URLError
		ie *imageops.Error
		fe *fetch.Error
		be *cache.BusyError
	)
	switch {
	case errors.As(err, &se):
		return se.code, se.msg, 0
	case errors.As(err, &ue):
		return http.StatusBadRequest, ue.Error(), 0
	case errors.As(err, &ie):
		switch ie.Kind {
		case imageops.KindBadParam:
			return http.StatusBadRequest, ie.Error(), 0
		default: // the picture: not decodable, or beyond a source or output limit
			return http.StatusUnprocessableEntity, ie.Error(), 0
		}
	case errors.As(err, &fe):
		return fetchStatus(fe.Kind), fe.Error(), fe.RetryAfter
	case errors.As(err, &be):
		return http.StatusServiceUnavailable, be.Error(), be.RetryAfter
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "timed out waiting for the network or the transform", 0
	case errors.Is(err, context.Canceled):
		// The client went away; it will not read this.
		return 499, "request canceled", 0
	}
	return http.StatusInternalServerError, "internal error", 0
}

func fetchStatus(k fetch.Kind) int {
	switch k {
	case fetch.KindBadID:
		return http.StatusBadRequest
	case fetch.KindNotFound, fetch.KindNoPicture:
		return http.StatusNotFound
	case fetch.KindGone:
		return http.StatusGone
	case fetch.KindNotImage, fetch.KindTooLarge:
		return http.StatusUnprocessableEntity
	case fetch.KindTimeout:
		return http.StatusGatewayTimeout
	case fetch.KindNotConfigured, fetch.KindCredentials, fetch.KindRateLimited:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadGateway
}
