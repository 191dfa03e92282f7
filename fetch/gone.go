package fetch

import "context"

// gone serves a delivery type whose network withdrew the API it used: every id, whatever it is,
// gives KindGone with a message naming the network and when it withdrew its API.
type gone struct {
	name string // the delivery type
	msg  string // public: which network withdrew what, and when
}

func (g gone) err() error { return &Error{Kind: KindGone, Provider: g.name, Msg: g.msg} }

// CheckID always returns KindGone.
func (g gone) CheckID(string) (string, error) { return "", g.err() }

// Fetch always returns KindGone.
func (g gone) Fetch(context.Context, string) (*Picture, error) { return nil, g.err() }
