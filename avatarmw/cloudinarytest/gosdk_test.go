package cloudinarytest

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/cloudinary/cloudinary-go/v2"
	"github.com/cloudinary/cloudinary-go/v2/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// signing is how the Go SDK is configured to sign.
type signing struct {
	name      string
	sign      bool
	long      bool   // long_url_signature: 32 characters of SHA-256
	algorithm string // signature_algorithm
}

var signings = []signing{
	{name: "unsigned"},
	{name: "short", sign: true},
	{name: "sha256", sign: true, algorithm: "sha256"},
	{name: "long", sign: true, long: true},
}

// goURL builds the URL of case c for a delivery type with the Go SDK, its host changed to host:
// cname for the URLs that keep the cloud name in the path, secure_cname with private_cdn for
// those that do not. The SDK's analytics query (?_a=…) is on, as by default.
func goURL(t *testing.T, cloud, host, typ, id string, c kase, s signing, private bool, version int) string {
	t.Helper()
	cld, err := cloudinary.NewFromParams(cloud, "key", secret)
	require.NoError(t, err)
	publicID := id
	if c.ext != "" {
		publicID += "." + c.ext
	}
	img, err := cld.Image(publicID)
	require.NoError(t, err)
	img.DeliveryType = api.DeliveryType(typ)
	img.Transformation = c.tr
	img.Version = version
	img.Config.URL.Secure = false
	img.Config.URL.CName = host
	if private {
		img.Config.URL.PrivateCDN = true
		img.Config.URL.Secure = true
		img.Config.URL.SecureCName = host
	}
	img.Config.URL.SignURL = s.sign
	img.Config.URL.LongURLSignature = s.long
	img.Config.Cloud.SignatureAlgorithm = s.algorithm
	u, err := img.String()
	require.NoError(t, err)
	require.True(t, img.Config.URL.Analytics, "the SDK's default")
	return u
}

// TestGoSDK builds a URL with cloudinary-go for every case, delivery type and way of signing,
// and checks that avatarkit answers it as Cloudinary would: status, pixel size and format.
func TestGoSDK(t *testing.T) {
	e := theEnv
	ta := newTally()
	typesUsed := deliveryTypes
	if testing.Short() {
		typesUsed = typesUsed[:1]
	}
	t.Run("types", func(t *testing.T) {
		for ti, dt := range typesUsed {
			t.Run(dt.typ, func(t *testing.T) {
				t.Parallel()
				src := e.src[dt.typ]
				for _, c := range cases {
					id := dt.id
					if c.missing {
						id = missingIDs[dt.typ]
					}
					// Two ways of signing per type and case, so that every type meets all four.
					for k := range 2 {
						s := signings[(ti+k*2+len(c.name))%len(signings)]
						private := k == 1 // half the URLs in the private_cdn form
						u := goURL(t, "demo", e.host, dt.typ, id, c, s, private, 0)
						require.Contains(t, u, "?_a=", "the analytics query is on")
						if s.sign {
							require.Regexp(t, `/s--[A-Za-z0-9_-]{8}(?:[A-Za-z0-9_-]{24})?--/`, u)
						}
						r := e.get(t, u, c.hdr, c.accept)
						ta.record(t, "cloudinary-go", c, u, r, src)
					}
				}
			})
		}
	})
	ta.report(t)
}

// Versions are not signed, and any version serves the picture.
func TestGoSDKVersions(t *testing.T) {
	e := theEnv
	c := caseNamed(t, "fill_face")
	for _, s := range signings {
		u := goURL(t, "demo", e.host, "facebook", deliveryTypes[0].id, c, s, false, 1234)
		assert.Contains(t, u, "/v1234/")
		r := e.get(t, u, nil, "")
		assert.Empty(t, verdict(c, r, e.src["facebook"]), "%s: %s", s.name, u)
		assert.Equal(t, "public, max-age=31536000, immutable", r.header.Get("Cache-Control"))
	}
}

// On a cloud whose types are restricted, the SDK's signed URLs are served, and unsigned ones or
// ones signed with another secret are refused, as Cloudinary refuses them.
func TestGoSDKRestricted(t *testing.T) {
	e := theEnv
	c := caseNamed(t, "thumb_circle")
	for _, dt := range deliveryTypes {
		for _, s := range signings {
			u := goURL(t, "restricted", e.host, dt.typ, dt.id, c, s, false, 0)
			r := e.get(t, u, nil, "")
			if !s.sign {
				assert.Equal(t, http.StatusUnauthorized, r.status, u)
				continue
			}
			assert.Empty(t, verdict(c, r, e.src[dt.typ]), "%s %s: %s", dt.typ, s.name, u)
			bad := regexp.MustCompile(`/s--[A-Za-z0-9_-]+--/`).ReplaceAllStringFunc(u, func(seg string) string {
				return "/s--" + strings.Repeat("A", len(seg)-len("/s----/")) + "--/"
			})
			require.NotEqual(t, u, bad)
			assert.Equal(t, http.StatusForbidden, e.get(t, bad, nil, "").status, bad)
		}
	}
}
