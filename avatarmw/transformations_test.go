package avatarmw

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/imageops"
)

func TestAcceptedFormats(t *testing.T) {
	const (
		a = imageops.AVIF
		w = imageops.WebP
		p = imageops.PNG
		j = imageops.JPEG
		g = imageops.GIF
	)
	classic := []imageops.Format{p, j, g}
	for _, tc := range []struct {
		name   string
		header []string
		want   []imageops.Format
	}{
		{"no header", nil, nil},
		{"no image type", []string{"text/html"}, nil},
		{"curl", []string{"*/*"}, classic},
		{"Chrome", []string{"image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"}, []imageops.Format{a, w, p, j, g}},
		{"Firefox", []string{"image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"}, []imageops.Format{a, w, p, j, g}},
		{"Firefox before AVIF", []string{"image/webp,*/*"}, []imageops.Format{w, p, j, g}},
		{"Safari 13", []string{"image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5"}, classic},
		{"Safari 13, short", []string{"image/*,*/*"}, classic},
		{"Safari 14", []string{"image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5"}, []imageops.Format{w, p, j, g}},
		{"Safari 16", []string{"image/webp,image/avif,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"}, []imageops.Format{a, w, p, j, g}},
		{"Edge", []string{"image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"}, []imageops.Format{w, p, j, g}},
		{"one type", []string{"image/jpeg"}, []imageops.Format{j}},
		{"case, spaces, two lines", []string{"IMAGE/JPG; q=0.5", "image/gif"}, []imageops.Format{j, g}},
		{"q=0 refuses", []string{"image/webp;q=0,image/png;q=0,*/*"}, []imageops.Format{j, g}},
		{"AVIF and WebP only by name", []string{"image/avif"}, []imageops.Format{a}},
		// The more specific range wins: image/*;q=0 refuses every image type that */* would take.
		{"image/*;q=0", []string{"image/*;q=0, */*"}, nil},
		{"image/*;q=0 and one type", []string{"image/*;q=0, image/png"}, []imageops.Format{p}},
		// A type accepted once is accepted.
		{"accepted once", []string{"image/webp;q=0, image/webp"}, []imageops.Format{w}},
	} {
		assert.Equal(t, tc.want, acceptedFormats(tc.header), "%s: %q", tc.name, tc.header)
	}
}

func TestNamedTransformationsAreCheckedByNew(t *testing.T) {
	for name, tc := range map[string]struct {
		named    map[string]string
		defaults map[string][]byte
		want     string
	}{
		"beyond the output limit": {map[string]string{"big": "w_5000"}, nil, "w_5000"},
		"unknown default":         {map[string]string{"nod": "d_nope,w_10"}, nil, "d_nope"},
		"nested":                  {map[string]string{"a": "t_b"}, nil, "nest"},
		"bad name":                {map[string]string{"a b": "w_10"}, nil, "name"},
		"empty":                   {map[string]string{"e": ""}, nil, "empty"},
		"malformed":               {map[string]string{"m": "w_ten"}, nil, "w_ten"},
	} {
		_, err := New(Config{NamedTransformations: tc.named, DefaultImages: tc.defaults})
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), tc.want, name)
	}
	_, err := New(Config{NamedTransformations: map[string]string{"ok": "c_thumb,g_face,h_90,w_90/r_max", "id": "d_identicon,w_10"}})
	assert.NoError(t, err)
}
