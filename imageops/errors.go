package imageops

import "fmt"

// ErrorKind classifies an [*Error] so that the HTTP layer can map it to a status code in one place.
type ErrorKind uint8

const (
	// KindBadParam: the transformation is malformed or a value is out of range (HTTP 400).
	KindBadParam ErrorKind = iota + 1
	// KindBadSource: the source bytes are not a decodable JPEG, PNG, GIF or WebP image (HTTP 422).
	KindBadSource
	// KindSourceLimit: the source is larger than [Limits.MaxSourceBytes] or
	// [Limits.MaxSourcePixels] (HTTP 422).
	KindSourceLimit
	// KindOutputLimit: given this source, the result (or an intermediate result) would be larger
	// than [Limits.MaxOutputSide] (HTTP 422).
	KindOutputLimit
	// KindWorkLimit: decoding this source and transforming it would need more memory than
	// [Limits.MaxWorkBytes] or more processor time than [Limits.MaxCPU] (HTTP 422).
	KindWorkLimit
)

// String returns a short lower-case name of the kind, e.g. "bad parameter".
func (k ErrorKind) String() string {
	switch k {
	case KindBadParam:
		return "bad parameter"
	case KindBadSource:
		return "bad source image"
	case KindSourceLimit:
		return "source too large"
	case KindOutputLimit:
		return "output too large"
	case KindWorkLimit:
		return "too much work"
	}
	return fmt.Sprintf("ErrorKind(%d)", uint8(k))
}

// Error is the type of every error this package returns.
type Error struct {
	// Kind classifies the error.
	Kind ErrorKind
	// Param is the offending parameter or component, quoted as written in the URL
	// (e.g. "w_abc", "c_fil"), or "" when the error is not about one parameter.
	Param string
	// Msg says what is wrong, in one line, without the Param prefix.
	Msg string
}

// Error returns a one-line description: "<param>: <msg>", or just the message when Param is empty.
func (e *Error) Error() string {
	if e.Param == "" {
		return e.Msg
	}
	return e.Param + ": " + e.Msg
}

func errorf(kind ErrorKind, param, format string, args ...any) *Error {
	return &Error{Kind: kind, Param: param, Msg: fmt.Sprintf(format, args...)}
}

func badParam(param, format string, args ...any) *Error {
	return errorf(KindBadParam, param, format, args...)
}
