package fetch

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOriginalPictureURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://pbs.twimg.com/profile_images/1453287346851024897/AbCdEfGh_normal.jpg", "https://pbs.twimg.com/profile_images/1453287346851024897/AbCdEfGh.jpg"},
		{"https://pbs.twimg.com/profile_images/1/AbC_bigger.png", "https://pbs.twimg.com/profile_images/1/AbC.png"},
		{"https://pbs.twimg.com/profile_images/1/AbC_mini.gif", "https://pbs.twimg.com/profile_images/1/AbC.gif"},
		{"https://pbs.twimg.com/profile_images/1/AbC_200x200.jpeg", "https://pbs.twimg.com/profile_images/1/AbC.jpeg"},
		{"https://pbs.twimg.com/profile_images/1/AbC_400x400.webp", "https://pbs.twimg.com/profile_images/1/AbC.webp"},
		{"https://pbs.twimg.com/profile_images/1/AbC_normal", "https://pbs.twimg.com/profile_images/1/AbC"},
		{"https://pbs.twimg.com/profile_images/1/my_photo_normal.jpg", "https://pbs.twimg.com/profile_images/1/my_photo.jpg"},
		{"https://pbs.twimg.com/profile_images/1/a_normal_normal.jpg", "https://pbs.twimg.com/profile_images/1/a_normal.jpg"},
		{"https://pbs.twimg.com/profile_images/1/AbC_normal.jpg?x=1", "https://pbs.twimg.com/profile_images/1/AbC.jpg?x=1"},
		{"https://pbs.twimg.com/profile_images/1/a%20b_normal.jpg", "https://pbs.twimg.com/profile_images/1/a%20b.jpg"},
		{"https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png", "https://abs.twimg.com/sticky/default_profile_images/default_profile.png"},
		// Unchanged: no suffix, a suffix elsewhere, nothing before the suffix.
		{"https://pbs.twimg.com/profile_images/1/AbC.jpg", "https://pbs.twimg.com/profile_images/1/AbC.jpg"},
		{"https://pbs.twimg.com/a_normal/AbC.jpg", "https://pbs.twimg.com/a_normal/AbC.jpg"},
		{"https://pbs.twimg.com/profile_images/1/_normal.jpg", "https://pbs.twimg.com/profile_images/1/_normal.jpg"},
		{"https://pbs.twimg.com/profile_images/1/AbC_normalx.jpg", "https://pbs.twimg.com/profile_images/1/AbC_normalx.jpg"},
		{"https://pbs.twimg.com/profile_images/1/AbC_800x800.jpg", "https://pbs.twimg.com/profile_images/1/AbC_800x800.jpg"},
		{"%zz", "%zz"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, originalPictureURL(tt.in), tt.in)
	}
}

func TestIsDefaultXPicture(t *testing.T) {
	assert.True(t, isDefaultXPicture("https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"))
	assert.False(t, isDefaultXPicture("https://pbs.twimg.com/profile_images/1/AbC_normal.jpg"))
	assert.False(t, isDefaultXPicture("https://pbs.twimg.com/profile_images/1/AbC_normal.jpg?default_profile_images/"))
}
