package fetchtest

import "github.com/avatarkit/avatarkit/fetch"

// FetchConfig returns the fetch.Config that points every built-in provider at s, with the tokens
// it accepts: what an app's test (or the example's -demo mode) puts in avatarmw.Config.Fetch to
// run against the fake instead of the real networks.
//
//	fake := fetchtest.NewServer()
//	defer fake.Close()
//	avatars, err := avatarmw.New(avatarmw.Config{Fetch: fake.FetchConfig()})
func (s *Server) FetchConfig() fetch.Config {
	return fetch.Config{
		FacebookURL:   s.FacebookURL(),
		FacebookToken: FacebookToken,
		XURL:          s.XURL(),
		XToken:        XToken,
		GravatarURL:   s.GravatarURL(),
	}
}
