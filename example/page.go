package main

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"

	"github.com/avatarkit/avatarkit/avatarmw"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// galleryUser is one row of the demo page.
type galleryUser struct {
	Type  string // delivery type
	ID    string
	Label string
}

// galleryColumn is one transformation shown for every user.
type galleryColumn struct {
	Label          string
	Transformation string
	Format         string
}

var columns = []galleryColumn{
	{"square thumbnail", "c_fill,h_90,w_90", "jpg"},
	{"banner, keep the top", "c_fill,g_north,h_90,w_160", "jpg"},
	{"padded, original ratio", "b_rgb:e3e8f0,c_pad,h_90,w_160", "png"},
	{"fit in 120×120", "c_fit,h_120,w_120", "png"},
	{"60 px wide, scaled", "w_60", "jpg"},
	{"top-left quarter, then 90 px", "c_crop,g_north_west,h_0.5,w_0.5/c_scale,w_90", "jpg"},
	{"GIF, 64×64", "c_fill,h_64,w_64", "gif"},
}

// realGallery is shown without -demo: public accounts of the real networks.
var realGallery = []galleryUser{
	{"twitter_name", "XDevelopers", "X: @XDevelopers"},
	{"gravatar", "0bc83cb571cd1c50ba6f3e8a78ef1346", "Gravatar: MyEmailAddress@example.com"},
}

// demoGallery is a selection of the fake network's users: two ordinary ones per network and
// every one that is different (a default picture, no picture, a non-square, PNG, GIF or WebP
// original).
func demoGallery() []galleryUser {
	var rows []galleryUser
	ordinary := map[string]int{}
	for _, u := range fetchtest.Users {
		typ, label := u.Network, ""
		switch u.Network {
		case "facebook":
			label = "Facebook " + u.ID
		case "x":
			typ, label = "twitter", "X user "+u.ID+" (@"+u.Name+")"
		case "gravatar":
			label = "Gravatar of " + u.Email
		}
		special := true
		switch {
		case u.Default:
			label += ", the network's default picture"
		case u.NoPicture:
			label += ", no picture (404)"
		case u.Width > 2048 || u.Height > 2048:
			continue // beyond the output limit without a size: shown among the refusals
		case u.Format != "jpeg":
			label += fmt.Sprintf(", %s original %d×%d", u.Format, u.Width, u.Height)
		case u.Width != u.Height:
			label += fmt.Sprintf(", %d×%d original", u.Width, u.Height)
		default:
			special = false
		}
		if !special {
			if ordinary[u.Network] == 2 {
				continue
			}
			ordinary[u.Network]++
		}
		rows = append(rows, galleryUser{typ, u.ID, label})
		if u.Network == "x" && ordinary["x_name"] == 0 {
			ordinary["x_name"]++
			rows = append(rows, galleryUser{"twitter_name", u.Name, "X @" + u.Name + ", looked up by screen name"})
		}
	}
	return rows
}

type cell struct {
	URL   string
	Label string
}

type row struct {
	Label string
	Cells []cell
}

// section is a table of its own below the gallery: a few users, each in a few transformations
// that show one feature.
type section struct {
	ID, Title, Note string
	Columns         []galleryColumn
	Rows            []row
}

type pageData struct {
	Demo     bool
	Signed   bool
	Columns  []galleryColumn
	Rows     []row
	Sections []section
	Errors   []cell
}

// showcase is what a section shows: its transformations, and the users shown in them (demo
// users in -demo mode, realGallery's otherwise).
type showcase struct {
	id, title, note string
	columns         []galleryColumn
	demo            []galleryUser
	real            []galleryUser
}

// The features of the issue "faces and finishing touches". Rows are labelled so that a row of
// pictures that are 404s says "no picture" (the demo test expects 404s there); none of these is.
//
// Order inside one component: crop, resize and pad; then e_; then r_; then bo_; then a_ — so a
// ring that follows a circle is r_max and bo_ in one component; bo_ in a component of its own
// frames the whole (square) picture.
func showcases() []showcase {
	photo := func(name string) galleryUser {
		for _, u := range fetchtest.Users {
			if u.Photo && (u.Name == name || u.ID == name) {
				return userRow(u, "")
			}
		}
		panic("demo page: fetchtest has no photo user " + name)
	}
	wide, square := photo("face_far_left"), photo("Pat Photo")
	pip, _ := fetchtest.LookupName("Pixel_Pip")
	webpUser, _ := fetchtest.LookupName("WebPioneer")
	drawn := userRow(fetchtest.Users[0], ", a drawn portrait (no face to find: g_face falls back to the centre)")
	var nobody, silhouette, xDefault fetchtest.User
	for _, u := range fetchtest.Users {
		switch {
		case u.NoPicture:
			nobody = u
		case u.Default && u.Network == "facebook":
			silhouette = u
		case u.Default && u.Network == "x":
			xDefault = u
		}
	}
	return []showcase{{
		id:    "faces",
		title: "Faces: face-aware crops next to centre crops",
		note: "g_face keeps the largest face, g_faces all of them, g_auto the faces or else the detail. " +
			"c_thumb frames the face with 30 % margin (z_ zooms); c_crop,g_face cuts the face out unscaled. " +
			"Faces are found once per picture and shared by every size of it.",
		columns: []galleryColumn{
			{"the original, fit in 240×120", "c_fit,h_120,w_240", "jpg"},
			{"centre crop: c_fill (g_center is the default)", "c_fill,h_120,w_120", "jpg"},
			{"c_fill,g_face", "c_fill,g_face,h_120,w_120", "jpg"},
			{"c_thumb,g_face", "c_thumb,g_face,h_120,w_120", "jpg"},
			{"c_thumb,g_face,z_1.5: closer", "c_thumb,g_face,h_120,w_120,z_1.5", "jpg"},
			{"c_crop,g_face, then 120 px", "c_crop,g_face/w_120", "jpg"},
			{"banner: c_fill,g_auto", "c_fill,g_auto,h_80,w_200", "jpg"},
		},
		demo: []galleryUser{wide, square, drawn},
		real: realGallery,
	}, {
		id:    "circles",
		title: "Circles, borders, rotations",
		note: "In one component: crop, then e_, then r_, then bo_, then a_. A ring that follows the circle " +
			"is r_max and bo_ in the same component; bo_ in a component of its own frames the square. " +
			"Outside the circle PNG and WebP are transparent, JPEG is white or the last b_ colour.",
		columns: []galleryColumn{
			{"circle with a ring", "c_thumb,g_face,h_120,w_120/bo_3px_solid_white,r_max", "png"},
			{"all in one component", "bo_3px_solid_rgb:2563eb,c_thumb,g_face,h_120,r_max,w_120", "png"},
			{"bo_ on its own: a square frame", "c_thumb,g_face,h_120,w_120/r_max/bo_3px_solid_rgb:2563eb", "png"},
			{"JPEG: white corners", "c_thumb,g_face,h_120,r_max,w_120", "jpg"},
			{"JPEG: b_ corners", "b_rgb:223344,bo_2px_solid_white,c_thumb,g_face,h_120,r_max,w_120", "jpg"},
			{"rounded corners: r_16", "bo_2px_solid_gray,c_fill,g_face,h_120,r_16,w_120", "png"},
			{"an ellipse, turned: a_90", "a_90,c_fill,g_face,h_80,r_max,w_160", "png"},
			{"mirrored: a_hflip", "a_hflip,c_thumb,g_face,h_120,w_120", "jpg"},
		},
		demo: []galleryUser{wide, square, userRow(pip, ", transparent PNG original")},
		real: realGallery,
	}, {
		id:    "effects",
		title: "Effects",
		note:  "e_ after the crop in the same component, with Cloudinary's ranges; a value out of range is a 400 naming it.",
		columns: []galleryColumn{
			{"none", "c_thumb,g_face,h_100,w_100", "jpg"},
			{"e_grayscale", "c_thumb,e_grayscale,g_face,h_100,w_100", "jpg"},
			{"e_sepia", "c_thumb,e_sepia,g_face,h_100,w_100", "jpg"},
			{"e_blur:300", "c_thumb,e_blur:300,g_face,h_100,w_100", "jpg"},
			{"e_pixelate:8", "c_thumb,e_pixelate:8,g_face,h_100,w_100", "png"},
			{"e_sharpen:400", "c_thumb,e_sharpen:400,g_face,h_100,w_100", "jpg"},
			{"e_negate", "c_thumb,e_negate,g_face,h_100,w_100", "jpg"},
			{"e_brightness:30", "c_thumb,e_brightness:30,g_face,h_100,w_100", "jpg"},
			{"e_contrast:60", "c_thumb,e_contrast:60,g_face,h_100,w_100", "jpg"},
			{"e_saturation:-70", "c_thumb,e_saturation:-70,g_face,h_100,w_100", "jpg"},
		},
		demo: []galleryUser{square, userRow(fetchtest.Users[0], "")},
		real: realGallery,
	}, {
		id:    "defaults",
		title: "Default pictures: d_identicon",
		note: "d_identicon stands in when the network has no such user, no picture, or only its generic one " +
			"(Facebook's silhouette, X's default image): a pattern drawn from the identifier, transformed like " +
			"any picture, marked X-Avatar-Default and fresh for a few minutes only. A user with a picture of " +
			"their own is served as without d_. Without d_ the first two rows would be 404s.",
		columns: []galleryColumn{
			{"d_identicon, 90×90", "c_fill,d_identicon,h_90,w_90", "png"},
			{"round, with a ring", "c_fill,d_identicon,h_90,w_90/bo_2px_solid_rgb:2563eb,r_max", "png"},
			{"JPEG, 48×48", "c_fill,d_identicon,h_48,w_48", "jpg"},
			{"face thumbnail, grayscale", "c_thumb,d_identicon,e_grayscale,g_face,h_90,w_90", "jpg"},
		},
		demo: []galleryUser{
			{"gravatar", nobody.ID, "Gravatar of " + nobody.Email + ", who has none: the default picture"},
			{"facebook", fetchtest.MissingFacebookID, "Facebook " + fetchtest.MissingFacebookID + ", no such user: the default picture"},
			{"facebook", silhouette.ID, "Facebook " + silhouette.ID + ", the silhouette replaced by the default picture"},
			{"twitter", xDefault.ID, "X user " + xDefault.ID + ", X's default image replaced by the default picture"},
			{"facebook", fetchtest.Users[0].ID, "Facebook " + fetchtest.Users[0].ID + ", a picture of their own: d_ changes nothing"},
		},
		real: []galleryUser{
			{"gravatar", fetchtest.MissingGravatarHash, "Gravatar of the empty address, which has none: the default picture"},
			realGallery[0],
		},
	}, {
		id:    "formats",
		title: "f_auto and WebP",
		note: "f_auto encodes the picture in every format the request's Accept header allows and serves the smallest " +
			"(a photograph: usually JPEG; a transparent picture: WebP or PNG, never JPEG), with Vary: Accept; " +
			"without Accept it keeps the extension's or the original's format. .webp and f_webp are lossless WebP.",
		columns: []galleryColumn{
			{"f_auto", "c_thumb,f_auto,g_face,h_120,w_120", ""},
			{"f_auto, round", "bo_3px_solid_white,c_thumb,f_auto,g_face,h_120,r_max,w_120", ""},
			{".webp", "c_thumb,g_face,h_120,w_120", "webp"},
			{"f_webp overrides .jpg", "c_thumb,f_webp,g_face,h_120,w_120", "jpg"},
			{"round .webp", "c_thumb,g_face,h_120,r_max,w_120", "webp"},
		},
		demo: []galleryUser{square, userRow(pip, ", transparent PNG original"), userRow(webpUser, ", WebP original")},
		real: realGallery,
	}}
}

// userRow is the gallery's row of a fetchtest user, its label followed by more.
func userRow(u fetchtest.User, more string) galleryUser {
	switch u.Network {
	case "facebook":
		return galleryUser{"facebook", u.ID, "Facebook " + u.ID + " (" + u.Name + ")" + more}
	case "x":
		return galleryUser{"twitter", u.ID, "X user " + u.ID + " (@" + u.Name + ", " + fmt.Sprintf("%d×%d", u.Width, u.Height) + ")" + more}
	}
	return galleryUser{"gravatar", u.ID, "Gravatar of " + u.Email + more}
}

// rowsOf builds the rows of users × columns with the handler's URL builder.
func rowsOf(h *avatarmw.Handler, users []galleryUser, columns []galleryColumn) ([]row, error) {
	var rows []row
	for _, u := range users {
		r := row{Label: u.Label}
		for _, c := range columns {
			url, err := h.URL(avatarmw.Avatar{Type: u.Type, ID: u.ID, Transformation: c.Transformation, Format: c.Format})
			if err != nil {
				return nil, fmt.Errorf("demo page: %s %s %s: %w", u.Type, u.ID, c.Transformation, err)
			}
			r.Cells = append(r.Cells, cell{URL: url, Label: c.Label})
		}
		rows = append(rows, r)
	}
	return rows, nil
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>avatarkit example</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#223}
table{border-collapse:collapse}td,th{border:1px solid #dde;padding:8px;vertical-align:top;text-align:left}
td img{display:block;margin-bottom:4px;background:repeating-conic-gradient(#eee 0% 25%,#fff 0% 50%) 50%/16px 16px}
code{font-size:11px;color:#556;word-break:break-all;display:block;max-width:190px}
p.note{max-width:60em;color:#445}
</style></head><body>
<h1>avatarkit example</h1>
<p>An ordinary Go app with its own routes (<a href="/healthz">/healthz</a>, <a href="/debug/avatars">/debug/avatars</a>)
and avatarkit mounted under <code style="display:inline">/avatars/</code>.
{{if .Demo}}Running with <b>-demo</b>: every network is the built-in fake, in-process.{{end}}
{{if .Signed}}URLs are signed (<b>-secret</b>): the gallery's URLs carry their <code style="display:inline">s--…--</code> segment; the hand-written refusals below are unsigned, so a restricted type answers them 401 first.{{end}}</p>
<p>Below the gallery:{{range .Sections}} <a href="#{{.ID}}">{{.Title}}</a> ·{{end}} <a href="#refusals">refusals</a>.</p>
<table><tr><th>user</th>{{range .Columns}}<th>{{.Label}}</th>{{end}}</tr>
{{range .Rows}}<tr><th>{{.Label}}</th>{{range .Cells}}<td><img src="{{.URL}}" alt="{{.Label}}" loading="lazy"><code>{{.URL}}</code></td>{{end}}</tr>
{{end}}</table>
{{range .Sections}}<h2 id="{{.ID}}">{{.Title}}</h2>
<p class="note">{{.Note}}</p>
<table class="section" data-section="{{.ID}}"><tr><th>user</th>{{range .Columns}}<th>{{.Label}}</th>{{end}}</tr>
{{range .Rows}}<tr><th>{{.Label}}</th>{{range .Cells}}<td><img src="{{.URL}}" alt="{{.Label}}" loading="lazy"><code>{{.URL}}</code></td>{{end}}</tr>
{{end}}</table>
{{end}}<h2 id="refusals">Refusals, and how to avoid one</h2>
<ul>{{range .Errors}}<li><a href="{{.URL}}">{{.URL}}</a> — {{.Label}}</li>{{end}}</ul>
</body></html>
`))

// newDemoPage renders the page once: every URL on it is built with the handler's URL builder.
func newDemoPage(h *avatarmw.Handler, users []galleryUser, demo, signed bool) (http.Handler, error) {
	data := pageData{Demo: demo, Signed: signed, Columns: columns}
	var err error
	if data.Rows, err = rowsOf(h, users, columns); err != nil {
		return nil, err
	}
	for _, sc := range showcases() {
		who := sc.real
		if demo {
			who = sc.demo
		}
		rows, err := rowsOf(h, who, sc.columns)
		if err != nil {
			return nil, err
		}
		data.Sections = append(data.Sections, section{ID: sc.id, Title: sc.title, Note: sc.note, Columns: sc.columns, Rows: rows})
	}
	if demo {
		fb := fetchtest.UsersOf("facebook")[0].ID
		var big fetchtest.User
		for _, u := range fetchtest.UsersOf("x") {
			if u.Width > 2048 {
				big = u
			}
		}
		data.Errors = []cell{
			{"/avatars/facebook/c_fill,h_90,w_90/" + fetchtest.MissingFacebookID + ".jpg", "no such user: 404"},
			{"/avatars/facebook/w_abc/" + fb + ".jpg", "a parameter out of range: 400 naming it"},
			{"/avatars/facebook/w_5000/" + fb + ".jpg", "beyond the 2048 px output limit: 400"},
			{"/avatars/facebook/c_fill,d_identicon,h_90,w_90/" + fetchtest.MissingFacebookID + ".jpg", "the same user with d_identicon: 200, the identicon"},
			{"/avatars/facebook/c_fill,d_nope,h_90,w_90/" + fetchtest.MissingFacebookID + ".jpg", "a default picture that is not configured: 400 naming d_nope"},
			{"/avatars/facebook/c_thumb,e_sepia:101,g_face,h_90,w_90/" + fb + ".jpg", "an effect value out of its range: 400 naming e_sepia:101"},
			{"/avatars/facebook/c_scale,g_face,w_90/" + fb + ".jpg", "g_face where it has no effect (only crop, fill, lfill, thumb): 400"},
			{"/avatars/facebook/t_avatar/" + fb + ".jpg", "a named transformation that is not configured: 400 naming t_avatar"},
			{"/avatars/gplus/12345.jpg", "a withdrawn network: 410"},
			{fmt.Sprintf("/avatars/twitter/%s.jpg", big.ID), fmt.Sprintf("a %d×%d original asked for at full size: 422 naming the limit", big.Width, big.Height)},
			{fmt.Sprintf("/avatars/twitter/c_limit,w_400/%s.jpg", big.ID), "the same original with c_limit: 200"},
		}
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, data); err != nil {
		return nil, err
	}
	body := buf.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body) //nolint:errcheck // the client went away
	}), nil
}
