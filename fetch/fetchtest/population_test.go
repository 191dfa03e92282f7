package fetchtest

import (
	"fmt"
	"image"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	xdraw "golang.org/x/image/draw"

	"github.com/avatarkit/avatarkit/internal/facephotos"
)

func TestAddUserDefaults(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()

	fb := s.AddUser(User{Network: Facebook})
	assert.Regexp(t, `^1099[0-9]{13}$`, fb.ID)
	assert.Equal(t, "Added User 1", fb.Name)
	assert.Equal(t, fb.Name, fb.DisplayName)
	assert.Equal(t, "jpeg", fb.Format)
	assert.Equal(t, [2]int{720, 720}, [2]int{fb.Width, fb.Height})

	x := s.AddUser(User{Network: "twitter", Width: 600})
	assert.Equal(t, X, x.Network)
	assert.Regexp(t, `^17[0-9]{17}$`, x.ID)
	assert.Equal(t, "added_user_2", x.Name)
	assert.Equal(t, "Added User 2", x.DisplayName)
	assert.Equal(t, [2]int{600, 600}, [2]int{x.Width, x.Height})

	g := s.AddUser(User{Network: Gravatar, Format: "png"})
	assert.Equal(t, "added-user-3@example.test", g.Email)
	assert.Equal(t, g.MD5(), g.ID)
	assert.Equal(t, [2]int{512, 512}, [2]int{g.Width, g.Height})

	custom := s.AddUser(User{Network: X, ID: "42", Name: "Custom_Name", Format: "png", Transparent: true, Width: 300, Height: 200})
	assert.Equal(t, "42", custom.ID)
	assert.Equal(t, "Custom_Name", custom.Name)
	assert.Equal(t, "Added User 4", custom.DisplayName)

	// Served like the others.
	data := graphPicture(t, s, fb.ID, 512)
	assert.EqualValues(t, 512, data["width"])
	r := get(t, c, data["url"].(string))
	require.Equal(t, http.StatusOK, r.status)
	w, h, format := sizeOf(t, r.body)
	assert.Equal(t, [3]any{512, 512, "jpeg"}, [3]any{w, h, format})

	byName := xUser(t, s, "/2/users/by/username/ADDED_USER_2")
	assert.Equal(t, x.ID, byName["id"])
	orig, ok := s.XPictureURL(x.ID, "")
	require.True(t, ok)
	w, h, _ = sizeOf(t, get(t, c, orig).body)
	assert.Equal(t, [2]int{600, 600}, [2]int{w, h})
	customURL, _ := s.XPictureURL("custom_name", "")
	m := decodeMust(t, get(t, c, customURL).body)
	assert.Equal(t, image.Rect(0, 0, 300, 200), m.Bounds())
	assert.True(t, hasTransparency(m))

	r = get(t, c, s.GravatarURL()+"/avatar/"+g.SHA256()+"?s=100&d=404")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "image/png", r.header.Get("Content-Type"))

	// ChangePicture and Generation know them.
	s.ChangePicture(X, "Added_User_2")
	assert.Equal(t, 1, s.Generation(X, x.ID))
	assert.Equal(t, http.StatusNotFound, get(t, c, orig).status, "the old pbs URL is gone")
	orig2, _ := s.XPictureURL(x.ID, "")
	assert.Equal(t, http.StatusOK, get(t, c, orig2).status)
	assert.Equal(t, http.StatusOK, get(t, c, customURL).status, "custom_name's picture did not change")

	// This server's population only.
	pop := s.Population()
	require.Len(t, pop, len(Users)+4)
	assert.Equal(t, Users, pop[:len(Users)])
	assert.Equal(t, []User{fb, x, g, custom}, pop[len(Users):])
	got, ok := s.Lookup("twitter", "ADDED_USER_2")
	assert.True(t, ok)
	assert.Equal(t, x, got)
	got, ok = s.Lookup(Gravatar, strings.ToUpper(g.SHA256()))
	assert.True(t, ok)
	assert.Equal(t, g, got)
	_, ok = Lookup(Facebook, fb.ID)
	assert.False(t, ok, "not in the package's Users")

	s2 := NewServer()
	defer s2.Close()
	r = get(t, s2.Client(), s2.FacebookURL()+"/"+fb.ID+"/picture?redirect=false")
	assert.Equal(t, http.StatusBadRequest, r.status, "another server does not know it")
	assert.Len(t, s2.Population(), len(Users))
	again := s2.AddUser(User{Network: Facebook})
	assert.Equal(t, fb, again, "deterministic: the same defaults on every server")
}

func TestAddUserPanics(t *testing.T) {
	s := NewServer()
	defer s.Close()
	s.AddUser(User{Network: X, ID: "7", Name: "Taken"})
	for name, u := range map[string]User{
		"no network":          {},
		"unknown network":     {Network: "myspace"},
		"facebook png":        {Network: Facebook, Format: "png"},
		"unknown format":      {Network: X, Format: "bmp"},
		"too large":           {Network: X, Width: 5000},
		"negative":            {Network: X, Width: -1, Height: 10},
		"frames on jpeg":      {Network: X, Frames: 3},
		"transparent jpeg":    {Network: X, Transparent: true},
		"no picture on x":     {Network: X, NoPicture: true},
		"default on gravatar": {Network: Gravatar, Default: true},
		"bad facebook id":     {Network: Facebook, ID: "12ab"},
		"taken facebook id":   {Network: Facebook, ID: Users[0].ID},
		"missing facebook id": {Network: Facebook, ID: MissingFacebookID},
		"bad x id":            {Network: X, ID: "12345678901234567890"},
		"taken x id":          {Network: X, ID: "7"},
		"bad screen name":     {Network: X, Name: "has space"},
		"long screen name":    {Network: X, Name: "a_very_long_screen_name"},
		"taken screen name":   {Network: X, Name: "taken"},
		"taken old name":      {Network: X, Name: "AVATARKIT"},
		"missing screen name": {Network: X, Name: MissingXName},
		"gravatar id":         {Network: Gravatar, Email: "a@example.com", ID: MissingGravatarHash},
		"taken e-mail":        {Network: Gravatar, Email: " Ada.Lovelace@example.com"},
	} {
		assert.Panics(t, func() { s.AddUser(u) }, name)
	}
	assert.Len(t, s.Population(), len(Users)+1, "nothing added by a failed AddUser")
}

// TestAddUserConcurrent adds 50 facebook users with 2048×2048 originals and 10 x users while the
// server serves requests, as a memory test would.
func TestAddUserConcurrent(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()
	var mu sync.Mutex
	var fbs, xs []User
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			if i%6 == 5 {
				u := s.AddUser(User{Network: X, Width: 1024})
				mu.Lock()
				xs = append(xs, u)
				mu.Unlock()
				return
			}
			u := s.AddUser(User{Network: Facebook, Width: 2048, Height: 2048})
			mu.Lock()
			fbs = append(fbs, u)
			mu.Unlock()
		})
		wg.Go(func() {
			// requests in the meantime
			_ = graphPicture(t, s, Users[i%6].ID, 64)
		})
	}
	wg.Wait()
	require.Len(t, fbs, 50)
	require.Len(t, xs, 10)
	ids := map[string]bool{}
	for _, u := range append(fbs, xs...) {
		assert.False(t, ids[u.Network+u.ID], "duplicate %s", u.ID)
		ids[u.Network+u.ID] = true
		got, ok := s.Lookup(u.Network, u.ID)
		assert.True(t, ok)
		assert.Equal(t, u, got)
	}

	// A 2048 original, and distinct pictures.
	data := graphPicture(t, s, fbs[0].ID, 2048)
	assert.EqualValues(t, 2048, data["width"])
	b := get(t, c, data["url"].(string)).body
	w, h, format := sizeOf(t, b)
	assert.Equal(t, [3]any{2048, 2048, "jpeg"}, [3]any{w, h, format})
	var small [][]byte
	for _, u := range fbs[:4] {
		small = append(small, get(t, c, graphPicture(t, s, u.ID, 90)["url"].(string)).body)
	}
	for i := range small {
		for j := i + 1; j < len(small); j++ {
			assert.Greater(t, meanDistance(t, small[i], small[j]), 15.0, "added users %d and %d", i, j)
		}
	}
	r := get(t, c, xUser(t, s, "/2/users/"+xs[0].ID)["profile_image_url"].(string))
	assert.Equal(t, http.StatusOK, r.status)
}

// variance returns the variance of the luminance (0..255) of m in r.
func variance(m image.Image, r image.Rectangle) float64 {
	var sum, sum2, n float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := m.At(x, y).RGBA()
			l := (0.299*float64(cr) + 0.587*float64(cg) + 0.114*float64(cb)) / 257
			sum += l
			sum2 += l * l
			n++
		}
	}
	mean := sum / n
	return sum2/n - mean*mean
}

func TestPhotoUsers(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()

	var photos []User
	for i, u := range Users {
		if u.Photo {
			photos = append(photos, u)
			assert.GreaterOrEqual(t, i, 20, "photo users come after the original population")
			assert.LessOrEqual(t, max(u.Width, u.Height), 2048)
			assert.Equal(t, "jpeg", u.Format)
		}
	}
	require.Len(t, photos, 2)
	fb, x := photos[0], photos[1]
	require.Equal(t, Facebook, fb.Network)
	require.Equal(t, X, x.Network)
	assert.Equal(t, fb.Width, fb.Height, "a square original")
	assert.GreaterOrEqual(t, x.Width, 3*x.Height, "a wide original")

	t.Run("facebook: the face centred in a square", func(t *testing.T) {
		data := graphPicture(t, s, fb.ID, 1024)
		assert.EqualValues(t, fb.Width, data["width"], "clamped to the native size")
		m := decodeMust(t, get(t, c, data["url"].(string)).body)
		require.Equal(t, image.Rect(0, 0, fb.Width, fb.Height), m.Bounds())
		face := fb.FaceRect(fb.Width, fb.Height)
		assert.InDelta(t, fb.Width/2, (face.Min.X+face.Max.X)/2, float64(fb.Width)/20, "centred: %v", face)
		assert.Greater(t, face.Dx(), fb.Width/2)
		assert.Greater(t, variance(m, face), 1000.0, "a face has features")
		corner := image.Rect(0, 0, fb.Width/8, fb.Width/8)
		assert.Less(t, variance(m, corner), 200.0, "a plain background")

		// any size: a square with the face in the same place
		data = graphPicture(t, s, fb.ID, 100)
		m = decodeMust(t, get(t, c, data["url"].(string)).body)
		assert.Equal(t, image.Rect(0, 0, 100, 100), m.Bounds())
		assert.Greater(t, variance(m, fb.FaceRect(100, 100)), 1000.0)
	})
	t.Run("x: the face far to one side of a wide original", func(t *testing.T) {
		orig, ok := s.XPictureURL(x.ID, "")
		require.True(t, ok)
		r := get(t, c, orig)
		assert.Equal(t, "image/jpeg", r.header.Get("Content-Type"))
		m := decodeMust(t, r.body)
		require.Equal(t, image.Rect(0, 0, x.Width, x.Height), m.Bounds())
		face := x.FaceRect(x.Width, x.Height)
		centre := image.Rect((x.Width-x.Height)/2, 0, (x.Width+x.Height)/2, x.Height)
		assert.False(t, face.Overlaps(centre), "a centre crop misses the face: face %v, crop %v", face, centre)
		assert.Less(t, face.Max.X, x.Width/3)
		assert.Greater(t, variance(m, face), 1000.0)
		assert.Less(t, variance(m, centre), 200.0, "the centre is plain backdrop")

		// the square size variants are centred on the face
		v, _ := s.XPictureURL(x.ID, "_400x400")
		m = decodeMust(t, get(t, c, v).body)
		assert.Equal(t, image.Rect(0, 0, 400, 400), m.Bounds())
		assert.Greater(t, variance(m, x.FaceRect(400, 400)), 1000.0)
	})
	t.Run("change picture", func(t *testing.T) {
		before := get(t, c, graphPicture(t, s, fb.ID, 128)["url"].(string)).body
		s.ChangePicture(Facebook, fb.ID)
		after := get(t, c, graphPicture(t, s, fb.ID, 128)["url"].(string)).body
		assert.Greater(t, meanDistance(t, before, after), 20.0)

		xb, _ := s.XPictureURL(x.ID, "")
		b1 := get(t, c, xb).body
		s.ChangePicture(X, x.ID)
		xa, _ := s.XPictureURL(x.ID, "")
		m := decodeMust(t, get(t, c, xa).body)
		assert.Greater(t, meanDistance(t, b1, get(t, c, xa).body), 20.0)
		// mirrored: the face is now far right
		face := x.FaceRect(x.Width, x.Height)
		mirrored := image.Rect(x.Width-face.Max.X, face.Min.Y, x.Width-face.Min.X, face.Max.Y)
		assert.Greater(t, variance(m, mirrored), 1000.0)
		assert.Less(t, variance(m, face), 200.0)
	})
	t.Run("added photo users", func(t *testing.T) {
		u := s.AddUser(User{Network: Gravatar, Photo: true, Email: "photo@example.test"})
		r := get(t, c, s.GravatarURL()+"/avatar/"+u.ID+"?s=200&d=404")
		require.Equal(t, http.StatusOK, r.status)
		m := decodeMust(t, r.body)
		assert.Greater(t, variance(m, u.FaceRect(200, 200)), 1000.0)
		assert.Empty(t, Users[0].FaceRect(100, 100), "not a Photo user")
	})
	t.Run("deterministic", func(t *testing.T) {
		k := picKey{scene: sceneUser, user: x, idx: 21, w: 300, h: 100, format: "jpeg"}
		b1, err := renderEncode(k)
		require.NoError(t, err)
		b2, err := renderEncode(k)
		require.NoError(t, err)
		assert.Equal(t, b1, b2)
	})
}

func ExampleServer_AddUser() {
	s := NewServer()
	defer s.Close()
	u := s.AddUser(User{Network: Facebook, Width: 2048, Height: 2048})
	fmt.Println(u.Name, u.Width, u.Height, u.Format)
	// Output: Added User 1 2048 2048 jpeg
}

// TestPhotographUsers: a Photograph user's original is the photograph of the evaluation set, and
// a square variant is the largest square of it, centred on its face.
func TestPhotographUsers(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()
	n := 0
	for i, u := range Users {
		if u.Photograph == "" {
			continue
		}
		n++
		assert.Greater(t, i, 20, "after the original population")
		p, ok := facephotos.Lookup(u.Photograph)
		require.True(t, ok, u.Photograph)
		require.NotEmpty(t, p.Faces, "%s: a photograph with a face", u.Name)
		assert.Equal(t, [2]int{p.Width, p.Height}, [2]int{u.Width, u.Height}, "%s: the photograph's size", u.Name)
		assert.Equal(t, "jpeg", u.Format)

		normal := xUser(t, s, "/2/users/"+u.ID)["profile_image_url"].(string)
		base := strings.TrimSuffix(normal, "_normal.jpg")
		orig := decodeMust(t, get(t, c, base+".jpg").body)
		require.Equal(t, image.Rect(0, 0, u.Width, u.Height), orig.Bounds())
		photo := p.Image()
		assert.Less(t, meanAbsDiff(orig, photo), 4.0, "%s: the photograph (re-encoded)", u.Name)

		sq := decodeMust(t, get(t, c, base+"_400x400.jpg").body)
		require.Equal(t, image.Rect(0, 0, 400, 400), sq.Bounds())
		side := min(u.Width, u.Height)
		face := p.Faces[0]
		fc := face.Min.Add(face.Max).Div(2)
		x0 := min(max(fc.X-side/2, 0), u.Width-side)
		y0 := min(max(fc.Y-side/2, 0), u.Height-side)
		want := scaled(photo, image.Rect(x0, y0, x0+side, y0+side), 400)
		assert.Less(t, meanAbsDiff(sq, want), 6.0, "%s: the square around the face", u.Name)
	}
	assert.Equal(t, 3, n)

	added := s.AddUser(User{Network: X, Photograph: "pigo-sample.jpg"})
	assert.Equal(t, [2]int{320, 400}, [2]int{added.Width, added.Height}, "the photograph's size by default")
	assert.Panics(t, func() { s.AddUser(User{Network: X, Photograph: "opencv-baboon.jpg"}) }, "no people")
}

// meanAbsDiff is the mean absolute difference of the RGB channels of two pictures of one size.
func meanAbsDiff(a, b image.Image) float64 {
	r := a.Bounds()
	var sum float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x-r.Min.X+b.Bounds().Min.X, y-r.Min.Y+b.Bounds().Min.Y).RGBA()
			sum += math.Abs(float64(r1)-float64(r2)) + math.Abs(float64(g1)-float64(g2)) + math.Abs(float64(b1)-float64(b2))
		}
	}
	return sum / 257 / 3 / float64(r.Dx()*r.Dy())
}

// scaled returns the part r of m scaled to n×n.
func scaled(m image.Image, r image.Rectangle, n int) image.Image {
	out := image.NewNRGBA(image.Rect(0, 0, n, n))
	xdraw.CatmullRom.Scale(out, out.Rect, m, r, xdraw.Src, nil)
	return out
}
