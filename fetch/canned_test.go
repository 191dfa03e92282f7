package fetch_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch"
)

// canned is an answer of a cannedServer.
type canned struct {
	status int
	header map[string]string
	body   string
}

// cannedServer answers each path with its canned answer, and /img/p.png with a PNG.
func cannedServer(t *testing.T, answers map[string]canned) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/img/p.png" {
			_, _ = w.Write([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"))
			return
		}
		a, ok := answers[r.URL.Path]
		if !ok {
			t.Errorf("unexpected request %s", r.URL)
			http.NotFound(w, r)
			return
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		if a.status == 0 {
			a.status = http.StatusOK
		}
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	t.Cleanup(s.Close)
	return s
}

// TestCannedAnswers covers answers the fake does not give: unusual bodies and error codes.
func TestCannedAnswers(t *testing.T) {
	var s *httptest.Server
	img := func() string { return s.URL + "/img/p_normal.png" }
	reset := strconv.FormatInt(time.Now().Add(5*time.Minute).Unix(), 10)
	tests := []struct {
		name, typ, id string
		answer        func() canned
		noToken       bool
		want          fetch.Kind // 0: a picture
		msg           string
		retry         time.Duration
	}{
		// X.
		{name: "x suspended", typ: "twitter", id: "1", answer: func() canned {
			return canned{body: `{"errors":[{"value":"1","detail":"User has been suspended: [1].","title":"Forbidden","resource_type":"user","parameter":"id","resource_id":"1","type":"https://api.twitter.com/2/problems/user-suspended"}]}`}
		}, want: fetch.KindNotFound, msg: "twitter: user 1 is suspended"},
		{name: "x suspended, not-found type", typ: "twitter_name", id: "bad_guy", answer: func() canned {
			return canned{body: `{"errors":[{"detail":"User has been suspended: [bad_guy].","title":"Not Found Error","type":"https://api.twitter.com/2/problems/resource-not-found"}]}`}
		}, want: fetch.KindNotFound, msg: "twitter_name: user bad_guy is suspended"},
		{name: "x suspended problem 403", typ: "twitter", id: "2", answer: func() canned {
			return canned{status: 403, body: `{"title":"Forbidden","type":"https://api.twitter.com/2/problems/user-suspended","detail":"User has been suspended: [2].","status":403}`}
		}, want: fetch.KindNotFound, msg: "suspended"},
		{name: "x not found, name says suspended", typ: "twitter_name", id: "suspended", answer: func() canned {
			return canned{body: `{"errors":[{"value":"suspended","detail":"Could not find user with username: [suspended].","title":"Not Found Error","type":"https://api.twitter.com/2/problems/resource-not-found"}]}`}
		}, want: fetch.KindNotFound, msg: "twitter_name: no such user suspended"},
		{name: "x data and unrelated errors", typ: "twitter", id: "3", answer: func() canned {
			return canned{body: `{"data":{"id":"3","username":"u","profile_image_url":"` + img() + `"},"errors":[{"type":"https://api.twitter.com/2/problems/resource-not-found","resource_type":"tweet"}]}`}
		}},
		{name: "x 403 not enrolled", typ: "twitter", id: "4", answer: func() canned {
			return canned{status: 403, body: `{"client_id":"1","required_enrollment":"Appropriate Level of API Access","reason":"client-not-enrolled","title":"Client Forbidden","detail":"This request must be made using an approved developer account.","type":"https://api.twitter.com/2/problems/client-forbidden"}`}
		}, want: fetch.KindCredentials},
		{name: "x 429 retry-after only", typ: "twitter", id: "5", answer: func() canned {
			return canned{status: 429, header: map[string]string{"Retry-After": "30"}, body: `{"title":"Too Many Requests","type":"about:blank","status":429,"detail":"Too Many Requests"}`}
		}, want: fetch.KindRateLimited, retry: 30 * time.Second},
		{name: "x 429 reset", typ: "twitter", id: "5", answer: func() canned {
			return canned{status: 429, header: map[string]string{"x-rate-limit-reset": reset}, body: `{"errors":[{"code":88,"message":"Rate limit exceeded"}]}`}
		}, want: fetch.KindRateLimited, retry: 5 * time.Minute},
		{name: "x 429 not json", typ: "twitter", id: "5", answer: func() canned { return canned{status: 429, body: "slow down"} },
			want: fetch.KindRateLimited, msg: "twitter: X API rate limit, retry in 1m0s", retry: fetch.DefaultRateLimitBackoff},
		{name: "x 404 blank", typ: "twitter", id: "6", answer: func() canned {
			return canned{status: 404, body: `{"title":"Not Found","type":"about:blank","status":404}`}
		}, want: fetch.KindUpstream},
		{name: "x no profile_image_url", typ: "twitter", id: "7", answer: func() canned { return canned{body: `{"data":{"id":"7","username":"u"}}`} },
			want: fetch.KindUpstream, msg: "profile_image_url"},
		{name: "x no data", typ: "twitter", id: "8", answer: func() canned { return canned{body: `{}`} }, want: fetch.KindUpstream},
		{name: "x not json", typ: "twitter", id: "9", answer: func() canned { return canned{body: `<html>`} }, want: fetch.KindUpstream, msg: "unreadable"},
		{name: "x picture on a foreign host", typ: "twitter", id: "10", answer: func() canned {
			return canned{body: `{"data":{"id":"10","profile_image_url":"https://pbs.twimg.com.evil.com/p_normal.jpg"}}`}
		}, want: fetch.KindUpstream, msg: `"pbs.twimg.com.evil.com"`},
		{name: "x javascript url", typ: "twitter", id: "11", answer: func() canned {
			return canned{body: `{"data":{"id":"11","profile_image_url":"javascript:alert(1)"}}`}
		}, want: fetch.KindUpstream},

		// Graph API.
		{name: "fb empty url", typ: "facebook", id: "1", answer: func() canned {
			return canned{body: `{"data":{"height":1024,"is_silhouette":false,"url":"","width":1024}}`}
		}, want: fetch.KindNoPicture, msg: "facebook: user 1 has no picture"},
		{name: "fb no url", typ: "facebook", id: "2", answer: func() canned { return canned{body: `{"data":{"is_silhouette":true}}`} },
			want: fetch.KindUpstream},
		{name: "fb no data", typ: "facebook", id: "3", answer: func() canned { return canned{body: `{}`} }, want: fetch.KindUpstream},
		{name: "fb not json", typ: "facebook", id: "4", answer: func() canned { return canned{body: `<html>`} }, want: fetch.KindUpstream, msg: "unreadable"},
		{name: "fb 102", typ: "facebook", id: "5", answer: func() canned {
			return canned{status: 400, body: `{"error":{"message":"Session key invalid","type":"OAuthException","code":102}}`}
		}, want: fetch.KindCredentials},
		{name: "fb 190 without a token", typ: "facebook", id: "5", noToken: true, answer: func() canned {
			return canned{status: 400, body: `{"error":{"message":"An access token is required","type":"OAuthException","code":190}}`}
		}, want: fetch.KindCredentials, msg: "none is configured"},
		{name: "fb 10", typ: "facebook", id: "6", answer: func() canned {
			return canned{status: 403, body: `{"error":{"message":"(#10) Application does not have permission for this action","type":"OAuthException","code":10}}`}
		}, want: fetch.KindCredentials},
		{name: "fb 2", typ: "facebook", id: "7", answer: func() canned {
			return canned{status: 503, body: `{"error":{"message":"(#2) Service temporarily unavailable","type":"OAuthException","code":2}}`}
		}, want: fetch.KindUpstream},
		{name: "fb 368", typ: "facebook", id: "8", answer: func() canned {
			return canned{status: 400, body: `{"error":{"message":"blocked","code":368}}`}
		}, want: fetch.KindUpstream, msg: "error 368"},
		{name: "fb 401 bare", typ: "facebook", id: "9", answer: func() canned { return canned{status: 401} }, want: fetch.KindCredentials},
		{name: "fb 429 bare", typ: "facebook", id: "9", answer: func() canned {
			return canned{status: 429, header: map[string]string{"Retry-After": "60"}}
		}, want: fetch.KindRateLimited, retry: time.Minute},
		{name: "fb 17 with retry-after", typ: "facebook", id: "9", answer: func() canned {
			return canned{status: 403, header: map[string]string{"Retry-After": "45"}, body: `{"error":{"message":"(#17) User request limit reached","code":17}}`}
		}, want: fetch.KindRateLimited, retry: 45 * time.Second},
		{name: "fb token echoed", typ: "facebook", id: "10", answer: func() canned {
			return canned{status: 400, body: `{"error":{"message":"token s3cr3t-token is bad","code":190}}`}
		}, want: fetch.KindCredentials},
		{name: "fb silhouette", typ: "facebook", id: "11", answer: func() canned {
			return canned{body: `{"data":{"is_silhouette":true,"url":"` + s.URL + `/img/p.png"}}`}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answers := map[string]canned{}
			s = cannedServer(t, answers)
			switch tt.typ {
			case "facebook":
				answers["/graph/"+tt.id+"/picture"] = tt.answer()
			case "twitter":
				answers["/2/users/"+tt.id] = tt.answer()
			case "twitter_name":
				answers["/2/users/by/username/"+tt.id] = tt.answer()
			}
			cfg := fetch.Config{FacebookURL: s.URL + "/graph", FacebookToken: "s3cr3t-token", XURL: s.URL, XToken: "s3cr3t-token",
				RetryDelay: time.Millisecond}
			if tt.noToken {
				cfg.FacebookToken = ""
			}
			ps := providers(t, cfg)
			pic, err := fetchID(t, ps, tt.typ, tt.id)
			if tt.want == 0 {
				require.NoError(t, err)
				assert.Equal(t, "image/png", pic.ContentType)
				assert.Equal(t, tt.name == "fb silhouette", pic.Default)
				return
			}
			e := requireKind(t, err, tt.want)
			if tt.msg != "" {
				assert.Contains(t, err.Error(), tt.msg)
			}
			assert.InDelta(t, tt.retry, e.RetryAfter, float64(2*time.Second))
			assert.NotContains(t, err.Error(), "s3cr3t-token")
			if e.Err != nil {
				assert.NotContains(t, e.Err.Error(), "s3cr3t-token")
			}
		})
	}
}
