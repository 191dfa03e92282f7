package cache

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/avatarkit/avatarkit/imageops"
)

// TestAcceptField: a variant key's accept field lists the acceptable formats in one order
// whatever the order they came in, reads back, and has at most 2⁵ values.
func TestAcceptField(t *testing.T) {
	const (
		a = imageops.AVIF
		w = imageops.WebP
		p = imageops.PNG
		j = imageops.JPEG
		g = imageops.GIF
	)
	for _, tc := range []struct {
		auto   bool
		accept []imageops.Format
		want   string
	}{
		{false, []imageops.Format{a, w}, ""},
		{true, nil, "*"},
		{true, []imageops.Format{a, w, p, j, g}, "awpjg"},
		{true, []imageops.Format{g, j, p, w, a, a}, "awpjg"},
		{true, []imageops.Format{p, j, g}, "pjg"},
		{true, []imageops.Format{j, w}, "wj"},
		{true, []imageops.Format{a}, "a"},
	} {
		got := acceptField(tc.auto, tc.accept)
		assert.Equal(t, tc.want, got, "%v", tc.accept)
		if tc.auto {
			back, ok := parseAccept(got)
			assert.True(t, ok, got)
			assert.Equal(t, acceptField(true, back), got)
		}
	}
	for _, bad := range []string{"", "x", "wa", "aa", "awpjgx", "*a"} {
		_, ok := parseAccept(bad)
		assert.False(t, ok, bad)
	}
	// Every subset of the five formats is one of 32 fields.
	fields := map[string]bool{}
	all := []imageops.Format{a, w, p, j, g}
	for mask := range 1 << len(all) {
		var set []imageops.Format
		for i, f := range all {
			if mask&(1<<i) != 0 {
				set = append(set, f)
			}
		}
		fields[acceptField(true, set)] = true
	}
	assert.Len(t, fields, 32)
}
