package cache

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/imageops"
)

// The catalog stays within its bounds: avatars, variants per avatar, and the length of a
// transformation.
func TestCatalogBounds(t *testing.T) {
	cl := newCatalog(3)
	now := time.Unix(1_800_000_000, 0)
	pic := func(hash string) entry {
		return entry{class: classPicture, kind: byte(imageops.JPEG), stamp: now.Unix(), meta: hash}
	}
	for i := range 5 {
		cl.index(fmt.Sprintf("facebook|%d|e1", i), pic("aa"), now.Add(time.Duration(i)*time.Second))
	}
	l := cl.list()
	require.Len(t, l, 3, "the oldest avatars are forgotten")
	assert.Equal(t, "4", l[0].ID, "the most recently told first")
	assert.Equal(t, "2", l[2].ID)

	long := strings.Repeat("e_sepia/", 100)
	for i := range catalogVariants + 5 {
		cl.variant("facebook|4|e1", fmt.Sprintf("haa|c_fill,w_%d|jpg|", i+1), imageops.JPEG, 100, "computed", now)
	}
	cl.variant("facebook|4|e1", "haa|"+long+"|png|", imageops.PNG, 100, "peer", now)
	cl.variant("facebook|4|e1", "idefault|c_fill,w_9|png|", imageops.PNG, 100, "computed", now)
	a := cl.list()[0]
	require.Len(t, a.Variants, catalogVariants)
	assert.True(t, a.Variants[0].Default, "the most recent first: the identicon's")
	assert.LessOrEqual(t, len(a.Variants[1].Transformation), catalogMaxTransformation+len("…"))
	assert.True(t, strings.HasSuffix(a.Variants[1].Transformation, "…"))
	assert.Equal(t, "peer", a.Variants[1].Source)

	// A new picture: the variants of the old one are not listed.
	cl.index("facebook|4|e2", entry{class: classPicture, kind: byte(imageops.PNG), stamp: now.Unix() + 60, meta: "bb"}, now)
	a = cl.list()[0]
	assert.Equal(t, "facebook|4|e2", a.Key)
	assert.Equal(t, "image/png", a.ContentType)
	require.Len(t, a.Variants, 1, "only the default's, which does not depend on the picture")
	// An older key learnt later does not replace it.
	cl.index("facebook|4|e1", pic("aa"), now)
	assert.Equal(t, "facebook|4|e2", cl.list()[0].Key)
}

func TestParseStoreKey(t *testing.T) {
	for _, c := range []struct {
		in, typ, id string
		ok          bool
	}{
		{"facebook/123", "facebook", "123", true},
		{"twitter_name/~4a6f686e2e446f65", "twitter_name", "John.Doe", true},
		{"facebook/", "", "", false},
		{"facebook", "", "", false},
		{"a/b/c", "", "", false},
		{"x/~zz", "", "", false},
	} {
		typ, id, ok := parseStoreKey(c.in)
		assert.Equal(t, c.ok, ok, c.in)
		assert.Equal(t, c.typ, typ, c.in)
		assert.Equal(t, c.id, id, c.in)
	}
}
