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

type pageData struct {
	Demo    bool
	Signed  bool
	Columns []galleryColumn
	Rows    []row
	Errors  []cell
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>avatarkit example</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#223}
table{border-collapse:collapse}td,th{border:1px solid #dde;padding:8px;vertical-align:top;text-align:left}
td img{display:block;margin-bottom:4px;background:repeating-conic-gradient(#eee 0% 25%,#fff 0% 50%) 50%/16px 16px}
code{font-size:11px;color:#556;word-break:break-all;display:block;max-width:190px}
</style></head><body>
<h1>avatarkit example</h1>
<p>An ordinary Go app with its own routes (<a href="/healthz">/healthz</a>, <a href="/debug/avatars">/debug/avatars</a>)
and avatarkit mounted under <code style="display:inline">/avatars/</code>.
{{if .Demo}}Running with <b>-demo</b>: every network is the built-in fake, in-process.{{end}}
{{if .Signed}}URLs are signed (<b>-secret</b>): the gallery's URLs carry their <code style="display:inline">s--…--</code> segment; the hand-written refusals below are unsigned, so a restricted type answers them 401 first.{{end}}</p>
<table><tr><th>user</th>{{range .Columns}}<th>{{.Label}}</th>{{end}}</tr>
{{range .Rows}}<tr><th>{{.Label}}</th>{{range .Cells}}<td><img src="{{.URL}}" alt="{{.Label}}" loading="lazy"><code>{{.URL}}</code></td>{{end}}</tr>
{{end}}</table>
<h2>Refusals, and how to avoid one</h2>
<ul>{{range .Errors}}<li><a href="{{.URL}}">{{.URL}}</a> — {{.Label}}</li>{{end}}</ul>
</body></html>
`))

// newDemoPage renders the page once: every URL on it is built with the handler's URL builder.
func newDemoPage(h *avatarmw.Handler, users []galleryUser, demo, signed bool) (http.Handler, error) {
	data := pageData{Demo: demo, Signed: signed, Columns: columns}
	for _, u := range users {
		r := row{Label: u.Label}
		for _, c := range columns {
			url, err := h.URL(avatarmw.Avatar{Type: u.Type, ID: u.ID, Transformation: c.Transformation, Format: c.Format})
			if err != nil {
				return nil, fmt.Errorf("demo page: %s %s %s: %w", u.Type, u.ID, c.Transformation, err)
			}
			r.Cells = append(r.Cells, cell{URL: url, Label: c.Label})
		}
		data.Rows = append(data.Rows, r)
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
			{"/avatars/facebook/g_face,c_thumb,h_90,w_90/" + fb + ".jpg", "face detection comes in a later release: 400 \"not supported yet\""},
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
