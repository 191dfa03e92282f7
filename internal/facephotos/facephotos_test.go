package facephotos

import (
	"image"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTable: every file is listed once with its true size, every listed file exists, and the
// face boxes are inside their photographs.
func TestTable(t *testing.T) {
	listed := map[string]bool{}
	for _, list := range [][]Photo{People, NoPeople} {
		for _, p := range list {
			require.False(t, listed[p.Name], "%s listed twice", p.Name)
			listed[p.Name] = true
			img := p.Image()
			assert.Equal(t, image.Pt(p.Width, p.Height), img.Bounds().Size(), p.Name)
			assert.LessOrEqual(t, max(p.Width, p.Height), 1024, p.Name)
			for _, f := range p.Faces {
				assert.True(t, !f.Empty() && f.In(img.Bounds()), "%s: face %v", p.Name, f)
			}
			got, ok := Lookup(p.Name)
			assert.True(t, ok)
			assert.Equal(t, p.Name, got.Name)
		}
	}
	for _, dir := range []string{"photos", "nopeople"} {
		entries, err := fs.ReadDir(files, dir)
		require.NoError(t, err)
		for _, e := range entries {
			assert.True(t, listed[e.Name()], "%s/%s is not listed", dir, e.Name())
		}
	}
	_, ok := Lookup("nope.jpg")
	assert.False(t, ok)
}
