package main

import (
	"bytes"
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/avatarkit/avatarkit/avatarmw"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// The demo page is data: a list of Sections, each a few users (Rows) shown in the same few
// transformations (Columns), then a playground and a list of refusals. To show something new,
// add a Section to sections(); the page, its navigation and its tests pick it up.

// Section is one part of the demo page.
type Section struct {
	ID    string // the anchor: lower-case letters
	Nav   string // a word or two for the navigation
	Title string
	Note  string // a paragraph under the title, plain text
	// Columns are the transformations every row is shown in.
	Columns []Column
	// Demo are the rows shown with -demo (users of the fake networks); Real the rows shown
	// without it (public accounts of the real networks). A section without rows for the mode is
	// left out.
	Demo, Real []Row
	// PerLine is the most cells one line of a wide screen shows, for wide pictures; 0: as many as
	// fit (maxPerLine).
	PerLine int
}

// Column is one transformation of a Section.
type Column struct {
	Label          string
	Transformation string
	Format         string // the extension; "" keeps the original's format
	// Dark shows the picture on a dark background: for a white border, or a transparent corner
	// that should look transparent.
	Dark bool
}

// Row is one user of a Section.
type Row struct {
	Type, ID string // the delivery type and the identifier
	Label    string
	// Fails says every picture of the row is an intentional error (no such user, no picture):
	// the page shows the status and the reason the handler gives instead of a broken image.
	Fails bool
}

// Refusal is a URL that shows how a wrong request is answered.
type Refusal struct {
	Path  string // the URL path, written by hand (so unsigned)
	Label string // what it shows, ending with the status: "no such user: 404"
}

// Preset is a transformation the playground offers with one click.
type Preset struct {
	Transformation string
	Format         string
}

// userFact returns a user's picture in a few words: "960×960 JPEG", "no avatar".
func userFact(u fetchtest.User) string {
	switch {
	case u.NoPicture:
		return "no avatar"
	case u.Default && u.Network == fetchtest.Facebook:
		return "Facebook's silhouette"
	case u.Default:
		return "X's default image"
	}
	s := fmt.Sprintf("%d×%d %s", u.Width, u.Height, strings.ToUpper(u.Format))
	if u.Photo {
		s += " photograph"
	}
	if u.Transparent {
		s += ", transparent"
	}
	return s
}

// userRow is the row of a fetchtest user: its type, identifier and label, the label followed by more.
func userRow(u fetchtest.User, more string) Row {
	switch u.Network {
	case fetchtest.Facebook:
		return Row{Type: "facebook", ID: u.ID, Label: "Facebook " + u.ID + " (" + u.Name + ")" + more}
	case fetchtest.X:
		return Row{Type: "twitter", ID: u.ID, Label: "X user " + u.ID + " (@" + u.Name + ", " + fmt.Sprintf("%d×%d", u.Width, u.Height) + ")" + more}
	}
	return Row{Type: "gravatar", ID: u.ID, Label: "Gravatar of " + u.Email + more}
}

// realRows are shown without -demo: public accounts of the real networks.
var realRows = []Row{
	{Type: "twitter_name", ID: "XDevelopers", Label: "X: @XDevelopers"},
	{Type: "gravatar", ID: "0bc83cb571cd1c50ba6f3e8a78ef1346", Label: "Gravatar: MyEmailAddress@example.com"},
}

// galleryRows is a selection of the fake network's users: two ordinary ones per network and every
// one that is different (a default picture, no picture, a non-square, PNG, GIF or WebP original).
func galleryRows() []Row {
	var rows []Row
	ordinary := map[string]int{}
	for _, u := range fetchtest.Users {
		if u.Photograph != "" {
			continue // in a section of their own (photoShowcase)
		}
		typ, label := u.Network, ""
		switch u.Network {
		case fetchtest.Facebook:
			label = "Facebook " + u.ID
		case fetchtest.X:
			typ, label = "twitter", "X user "+u.ID+" (@"+u.Name+")"
		case fetchtest.Gravatar:
			label = "Gravatar of " + u.Email
		}
		special, fails := true, false
		switch {
		case u.Default:
			label += ", the network's default picture"
		case u.NoPicture:
			label += ", no picture (404)"
			fails = true
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
		rows = append(rows, Row{Type: typ, ID: u.ID, Label: label, Fails: fails})
		if u.Network == fetchtest.X && ordinary["x_name"] == 0 {
			ordinary["x_name"]++
			rows = append(rows, Row{Type: "twitter_name", ID: u.Name, Label: "X @" + u.Name + ", looked up by screen name"})
		}
	}
	return rows
}

// sections are the parts of the page, in order.
//
// Order inside one component: crop, resize and pad; then e_; then r_; then bo_; then a_ — so a
// ring that follows a circle is r_max and bo_ in one component; bo_ in a component of its own
// frames the whole (square) picture.
func sections() []Section {
	photo := func(name string) Row {
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
	gravatarRow := userRow(fetchtest.UsersOf(fetchtest.Gravatar)[0], "")
	var nobody, silhouette, xDefault fetchtest.User
	for _, u := range fetchtest.Users {
		switch {
		case u.NoPicture:
			nobody = u
		case u.Default && u.Network == fetchtest.Facebook:
			silhouette = u
		case u.Default && u.Network == fetchtest.X:
			xDefault = u
		}
	}
	return []Section{{
		ID:    "gallery",
		Nav:   "Gallery",
		Title: "Gallery: every kind of user, seven transformations",
		Note: "Two ordinary users per network and every one that is different: a network's default picture, " +
			"no picture at all, non-square, PNG, GIF and WebP originals.",
		Columns: []Column{
			{"square thumbnail", "c_fill,h_90,w_90", "jpg", false},
			{"banner, keep the top", "c_fill,g_north,h_90,w_160", "jpg", false},
			{"padded, original ratio", "b_rgb:e3e8f0,c_pad,h_90,w_160", "png", false},
			{"fit in 120×120", "c_fit,h_120,w_120", "png", false},
			{"60 px wide, scaled", "w_60", "jpg", false},
			{"top-left quarter, then 90 px", "c_crop,g_north_west,h_0.5,w_0.5/c_scale,w_90", "jpg", false},
			{"GIF, 64×64", "c_fill,h_64,w_64", "gif", false},
		},
		Demo: galleryRows(),
		Real: realRows,
	}, {
		ID:    "faces",
		Nav:   "Faces",
		Title: "Faces: face-aware crops next to centre crops",
		Note: "g_face keeps the largest face, g_faces all of them, g_auto the faces or else the detail. " +
			"c_thumb keeps the head and a little shoulder (z_ zooms); c_crop,g_face cuts that out unscaled. " +
			"Faces are found once per picture and shared by every size of it.",
		Columns: []Column{
			{"the original, fit in 240×120", "c_fit,h_120,w_240", "jpg", false},
			{"centre crop: c_fill (g_center is the default)", "c_fill,h_120,w_120", "jpg", false},
			{"c_fill,g_face", "c_fill,g_face,h_120,w_120", "jpg", false},
			{"c_thumb,g_face", "c_thumb,g_face,h_120,w_120", "jpg", false},
			{"c_thumb,g_face,z_1.5: closer", "c_thumb,g_face,h_120,w_120,z_1.5", "jpg", false},
			{"c_crop,g_face, then 120 px", "c_crop,g_face/w_120", "jpg", false},
			{"banner: c_fill,g_auto", "c_fill,g_auto,h_80,w_200", "jpg", false},
		},
		Demo: []Row{wide, square, drawn},
		Real: realRows,
	}, {
		ID:    "circles",
		Nav:   "Circles and borders",
		Title: "Circles, borders, rotations",
		Note: "In one component: crop, then e_, then r_, then bo_, then a_. A ring that follows the circle " +
			"is r_max and bo_ in the same component; bo_ in a component of its own frames the square. " +
			"Outside the circle PNG and WebP are transparent, JPEG is white or the last b_ colour.",
		Columns: []Column{
			{"circle with a white ring", "c_thumb,g_face,h_120,w_120/bo_3px_solid_white,r_max", "png", true},
			{"all in one component", "bo_3px_solid_rgb:2563eb,c_thumb,g_face,h_120,r_max,w_120", "png", false},
			{"bo_ on its own: a square frame", "c_thumb,g_face,h_120,w_120/r_max/bo_3px_solid_rgb:2563eb", "png", false},
			{"JPEG: white corners", "c_thumb,g_face,h_120,r_max,w_120", "jpg", false},
			{"JPEG: b_ corners", "b_rgb:223344,bo_2px_solid_white,c_thumb,g_face,h_120,r_max,w_120", "jpg", false},
			{"rounded corners: r_16", "bo_2px_solid_gray,c_fill,g_face,h_120,r_16,w_120", "png", false},
			{"an ellipse, turned: a_90", "a_90,c_fill,g_face,h_80,r_max,w_160", "png", false},
			{"mirrored: a_hflip", "a_hflip,c_thumb,g_face,h_120,w_120", "jpg", false},
		},
		Demo: []Row{wide, square, userRow(pip, ", transparent PNG original")},
		Real: realRows,
	}, {
		ID:    "effects",
		Nav:   "Effects",
		Title: "Effects",
		Note:  "e_ after the crop in the same component, with Cloudinary's ranges; a value out of range is a 400 naming it.",
		Columns: []Column{
			{"none", "c_thumb,g_face,h_100,w_100", "jpg", false},
			{"e_grayscale", "c_thumb,e_grayscale,g_face,h_100,w_100", "jpg", false},
			{"e_sepia", "c_thumb,e_sepia,g_face,h_100,w_100", "jpg", false},
			{"e_blur:300", "c_thumb,e_blur:300,g_face,h_100,w_100", "jpg", false},
			{"e_pixelate:8", "c_thumb,e_pixelate:8,g_face,h_100,w_100", "png", false},
			{"e_sharpen:400", "c_thumb,e_sharpen:400,g_face,h_100,w_100", "jpg", false},
			{"e_negate", "c_thumb,e_negate,g_face,h_100,w_100", "jpg", false},
			{"e_brightness:30", "c_thumb,e_brightness:30,g_face,h_100,w_100", "jpg", false},
			{"e_contrast:60", "c_thumb,e_contrast:60,g_face,h_100,w_100", "jpg", false},
			{"e_saturation:-70", "c_thumb,e_saturation:-70,g_face,h_100,w_100", "jpg", false},
		},
		Demo: []Row{square, userRow(fetchtest.Users[0], "")},
		Real: realRows,
	}, {
		ID:    "defaults",
		Nav:   "Default pictures",
		Title: "Default pictures: d_identicon",
		Note: "d_identicon stands in when the network has no such user, no picture, or only its generic one " +
			"(Facebook's silhouette, X's default image): a pattern drawn from the identifier, transformed like " +
			"any picture, marked X-Avatar-Default and fresh for a few minutes only. A user with a picture of " +
			"their own is served as without d_. Without d_ the first two rows would be 404s.",
		Columns: []Column{
			{"d_identicon, 90×90", "c_fill,d_identicon,h_90,w_90", "png", false},
			{"round, with a ring", "c_fill,d_identicon,h_90,w_90/bo_2px_solid_rgb:2563eb,r_max", "png", false},
			{"JPEG, 48×48", "c_fill,d_identicon,h_48,w_48", "jpg", false},
			{"face thumbnail, grayscale", "c_thumb,d_identicon,e_grayscale,g_face,h_90,w_90", "jpg", false},
		},
		Demo: []Row{
			{Type: "gravatar", ID: nobody.ID, Label: "Gravatar of " + nobody.Email + ", who has none: the default picture"},
			{Type: "facebook", ID: fetchtest.MissingFacebookID, Label: "Facebook " + fetchtest.MissingFacebookID + ", no such user: the default picture"},
			{Type: "facebook", ID: silhouette.ID, Label: "Facebook " + silhouette.ID + ", the silhouette replaced by the default picture"},
			{Type: "twitter", ID: xDefault.ID, Label: "X user " + xDefault.ID + ", X's default image replaced by the default picture"},
			{Type: "facebook", ID: fetchtest.Users[0].ID, Label: "Facebook " + fetchtest.Users[0].ID + ", a picture of their own: d_ changes nothing"},
		},
		Real: []Row{
			{Type: "gravatar", ID: fetchtest.MissingGravatarHash, Label: "Gravatar of the empty address, which has none: the default picture"},
			realRows[0],
		},
	}, {
		ID:    "sizes",
		Nav:   "Network sizes",
		Title: "The networks' own sizes: t_x_normal, t_fb_large…",
		Note: "Built-in named transformations for the size names X and Facebook use in their own picture URLs: " +
			"X's mini, normal and bigger are face-centred squares of 24, 48 and 73 px, Facebook's square is 50×50 and " +
			"small, normal and large are 50, 100 and 200 px wide. They work on every type, so a page that pasted " +
			"_normal or ?type=large URLs keeps its sizes. A configured name of the same spelling replaces one.",
		Columns: []Column{
			{"t_x_mini, 24×24", "t_x_mini", "jpg", false},
			{"t_x_normal, 48×48", "t_x_normal", "jpg", false},
			{"t_x_bigger, 73×73", "t_x_bigger", "jpg", false},
			{"t_fb_square, 50×50", "t_fb_square", "jpg", false},
			{"t_fb_small, 50 wide", "t_fb_small", "jpg", false},
			{"t_fb_normal, 100 wide", "t_fb_normal", "jpg", false},
			{"t_fb_large, 200 wide", "t_fb_large", "jpg", false},
		},
		Demo: []Row{square, wide, userRow(fetchtest.Users[0], ""), gravatarRow},
		Real: realRows,
	}, {
		ID:    "banners",
		Nav:   "Banners",
		Title: "X profile banners: twitter_banner and twitter_name_banner",
		Note: "The wide picture at the top of an X profile. Its largest size, 1500×500, is downloaded once; every screen's " +
			"size is computed from it with a built-in name: t_banner_web 520×260, t_banner_mobile 320×160, " +
			"t_banner_ipad 626×313 (and their _retina doubles), t_banner_300x100, t_banner_600x200, t_banner_1500x500. " +
			"Shown here scaled to fit; open one to see it at its size. A user without a banner is a 404, or d_ stands in.",
		Columns: []Column{
			{"web: t_banner_web, 520×260", "t_banner_web", "jpg", false},
			{"mobile: t_banner_mobile, 320×160", "t_banner_mobile", "jpg", false},
			{"iPad: t_banner_ipad, 626×313", "t_banner_ipad", "jpg", false},
			{"t_banner_300x100", "t_banner_300x100", "jpg", false},
			{"t_banner_600x200", "t_banner_600x200", "jpg", false},
			{"the largest: t_banner_1500x500", "t_banner_1500x500", "jpg", false},
		},
		Demo:    bannerRows(),
		Real:    []Row{{Type: "twitter_name_banner", ID: "XDevelopers", Label: "X: @XDevelopers's banner"}},
		PerLine: 3,
	}, {
		ID:    "formats",
		Nav:   "Formats",
		Title: "f_auto, WebP and AVIF",
		Note: "f_auto serves the smallest format at the same visual quality among those the request's Accept header " +
			"allows, AVIF and WebP only when it names them (a photograph: AVIF, then lossy WebP, then JPEG; a PNG or " +
			"lossless WebP original: lossless WebP, then PNG; never JPEG for a transparent picture), with Vary: Accept; " +
			"without Accept it keeps the extension's or the original's format. .webp is lossy for photographs and " +
			"lossless for PNG and lossless WebP originals; .avif is lossy. q_ is on JPEG's scale in every format.",
		Columns: []Column{
			{"f_auto", "c_thumb,f_auto,g_face,h_120,w_120", "", false},
			{"f_auto, round, white ring", "bo_3px_solid_white,c_thumb,f_auto,g_face,h_120,r_max,w_120", "", true},
			{".webp", "c_thumb,g_face,h_120,w_120", "webp", false},
			{"f_webp overrides .jpg", "c_thumb,f_webp,g_face,h_120,w_120", "jpg", false},
			{"round .webp", "c_thumb,g_face,h_120,r_max,w_120", "webp", false},
			{".avif, q_auto:eco", "c_thumb,g_face,h_120,q_auto:eco,w_120", "avif", false},
		},
		Demo: []Row{square, userRow(pip, ", transparent PNG original"), userRow(webpUser, ", WebP original")},
		Real: realRows,
	}, photographsSection()}
}

// bannerRows are the rows of the banners section: X users with a banner, by id and by screen
// name, and one without.
func bannerRows() []Row {
	var rows []Row
	for _, u := range fetchtest.UsersOf(fetchtest.X) {
		switch {
		case u.Banner && len(rows) == 1:
			rows = append(rows, Row{Type: "twitter_name_banner", ID: u.Name, Label: "X @" + u.Name + "'s banner, by screen name"})
		case u.Banner && len(rows) < 3:
			rows = append(rows, Row{Type: "twitter_banner", ID: u.ID, Label: "X user " + u.ID + " (@" + u.Name + ")'s banner, by id"})
		}
	}
	none := noBannerUser()
	return append(rows, Row{Type: "twitter_banner", ID: none.ID, Label: "X user " + none.ID + " (@" + none.Name + "), who has no banner: 404", Fails: true})
}

// noBannerUser is an X user of the fake without a banner (and with a picture of their own).
func noBannerUser() fetchtest.User {
	for _, u := range fetchtest.UsersOf(fetchtest.X) {
		if !u.Banner && !u.Default {
			return u
		}
	}
	panic("demo page: fetchtest has no X user without a banner")
}

// refusals are the hand-written URLs of the refusals list, in -demo mode.
func refusals() []Refusal {
	fb := fetchtest.UsersOf(fetchtest.Facebook)[0].ID
	var big fetchtest.User
	for _, u := range fetchtest.UsersOf(fetchtest.X) {
		if u.Width > 2048 {
			big = u
		}
	}
	return []Refusal{
		{"/avatars/facebook/c_fill,h_90,w_90/" + fetchtest.MissingFacebookID + ".jpg", "no such user: 404"},
		{"/avatars/facebook/c_fill,d_identicon,h_90,w_90/" + fetchtest.MissingFacebookID + ".jpg", "the same user with d_identicon: 200, the identicon"},
		{"/avatars/facebook/w_abc/" + fb + ".jpg", "a parameter out of range: 400 naming it"},
		{"/avatars/facebook/w_5000/" + fb + ".jpg", "beyond the 2048 px output limit: 400"},
		{"/avatars/facebook/c_fill,d_nope,h_90,w_90/" + fetchtest.MissingFacebookID + ".jpg", "a default picture that is not configured: 400 naming d_nope"},
		{"/avatars/facebook/c_thumb,e_sepia:101,g_face,h_90,w_90/" + fb + ".jpg", "an effect value out of its range: 400 naming e_sepia:101"},
		{"/avatars/facebook/c_scale,g_face,w_90/" + fb + ".jpg", "g_face where it has no effect (only crop, fill, lfill, thumb): 400"},
		{"/avatars/facebook/t_avatar/" + fb + ".jpg", "a named transformation that is not configured: 400 naming t_avatar"},
		{"/avatars/gplus/12345.jpg", "a withdrawn network: 410"},
		{fmt.Sprintf("/avatars/twitter/%s.jpg", big.ID), fmt.Sprintf("a %d×%d original asked for at full size: 422 naming the limit", big.Width, big.Height)},
		{fmt.Sprintf("/avatars/twitter/c_limit,w_400/%s.jpg", big.ID), "the same original with c_limit: 200"},
		{"/avatars/twitter_banner/t_banner_web/" + noBannerUser().ID + ".jpg", "an X user without a banner: 404"},
		{"/avatars/twitter_banner/d_identicon/t_banner_web/" + noBannerUser().ID + ".jpg", "the same with d_identicon: 200, the identicon as a banner"},
	}
}

// presets are the playground's one-click transformations.
var presets = []Preset{
	{"c_thumb,g_face,h_160,w_160/r_max", "png"},
	{"c_fill,h_120,w_120", "jpg"},
	{"c_fill,g_auto,h_100,w_240", "jpg"},
	{"b_rgb:e3e8f0,c_pad,h_120,w_200", "png"},
	{"bo_4px_solid_rgb:2563eb,c_thumb,g_face,h_140,r_max,w_140", "png"},
	{"c_thumb,e_sepia,g_face,h_140,w_140", "jpg"},
	{"c_thumb,e_pixelate:6,g_face,h_140,w_140", "png"},
	{"a_90,c_fill,h_100,r_24,w_160", "png"},
	{"c_fill,d_identicon,h_120,w_120", "png"},
	{"c_thumb,f_auto,g_face,h_160,w_160", ""},
	{"t_x_bigger", "png"},
	{"w_ninety", "jpg"},
}

// playgroundUsers are the playground's choices: every user of the fake (and identifiers the fake
// does not know), or realRows.
func playgroundUsers(demo bool) []userGroup {
	if !demo {
		g := userGroup{Label: "real networks"}
		for _, r := range realRows {
			g.Users = append(g.Users, userOption{Value: r.Type + "/" + r.ID, Label: r.Label})
		}
		return []userGroup{g}
	}
	groups := []userGroup{{Label: "Facebook"}, {Label: "X, by id"}, {Label: "X, by screen name"}, {Label: "Gravatar"}, {Label: "nobody"},
		{Label: "X profile banners"}}
	for _, u := range fetchtest.Users {
		switch u.Network {
		case fetchtest.Facebook:
			groups[0].Users = append(groups[0].Users, userOption{"facebook/" + u.ID, u.Name + " — " + userFact(u)})
		case fetchtest.X:
			groups[1].Users = append(groups[1].Users, userOption{"twitter/" + u.ID, "@" + u.Name + " — " + userFact(u)})
			groups[2].Users = append(groups[2].Users, userOption{"twitter_name/" + u.Name, "@" + u.Name + " — " + userFact(u)})
			banner := "1500×500 banner"
			if !u.Banner {
				banner = "no banner"
			}
			groups[5].Users = append(groups[5].Users, userOption{"twitter_banner/" + u.ID, "@" + u.Name + " — " + banner})
		case fetchtest.Gravatar:
			groups[3].Users = append(groups[3].Users, userOption{"gravatar/" + u.ID, u.Email + " — " + userFact(u)})
		}
	}
	groups[4].Users = []userOption{
		{"facebook/" + fetchtest.MissingFacebookID, "Facebook " + fetchtest.MissingFacebookID + " — no such user"},
		{"twitter_name/" + fetchtest.MissingXName, "@" + fetchtest.MissingXName + " — no such user"},
		{"gravatar/" + fetchtest.MissingGravatarHash, "Gravatar of the empty address — no avatar"},
	}
	// The photograph first, chosen when the page opens: the face crops show best on it.
	fb := groups[0].Users
	if i := slices.IndexFunc(fb, func(o userOption) bool { return strings.Contains(o.Label, "photograph") }); i > 0 {
		o := fb[i]
		groups[0].Users = slices.Insert(slices.Delete(fb, i, i+1), 0, o)
	}
	return groups
}

type userGroup struct {
	Label string
	Users []userOption
}

type userOption struct {
	Value string // "<type>/<id>"
	Label string
}

// What the template shows.
type (
	pageData struct {
		Demo, Signed bool
		Sections     []pageSection
		Refusals     []pageCell
		Users        []userGroup
		Presets      []Preset
		Start        Preset // the playground's first transformation
		CSS          template.CSS
		JS           template.JS
	}
	pageSection struct {
		ID, Nav, Title, Note string
		Rows                 []pageRow
	}
	pageRow struct {
		Label   string
		Cells   []pageCell
		PerLine int  // cells on one line of a wide screen: the row's lines are balanced
		fails   bool // Row.Fails
	}
	pageCell struct {
		URL   string
		Label string
		Dark  bool
		// Failed is the answer to an intentional error: shown instead of a picture.
		Failed *answer
	}
	answer struct {
		Status int
		Reason string // X-Avatar-Error
	}
)

//go:embed page.html
var pageHTML string

//go:embed page.css
var pageCSS string

//go:embed page.js
var pageJS string

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"breakable": breakable,
	"breakableLabel": func(label string) template.HTML {
		return template.HTML(strings.NewReplacer(",", ",<wbr>", "/", "/<wbr>").Replace(template.HTMLEscapeString(label)))
	},
	"list": func(v ...string) []string { return v },
}).Parse(pageHTML))

// maxPerLine is the most cells one line of a wide screen holds (the CSS's minimum cell width).
const maxPerLine = 7

// perLine returns how many of n cells to put on one line of a wide screen, at most most (0:
// maxPerLine), so that the lines are as full as each other: 8 cells are two lines of 4, not 7
// and 1.
func perLine(n, most int) int {
	if most <= 0 || most > maxPerLine {
		most = maxPerLine
	}
	lines := (n + most - 1) / most
	return (n + lines - 1) / max(lines, 1)
}

// breakable writes a URL so that a narrow column breaks its lines after a '/' or a ',', or before
// the extension, rather than in the middle of a word.
func breakable(url string) template.HTML {
	var b strings.Builder
	start := 0
	ext := strings.LastIndexByte(url, '.')
	for i := 0; i < len(url); i++ {
		switch {
		case url[i] == '/' || url[i] == ',':
			b.WriteString(template.HTMLEscapeString(url[start : i+1]))
			b.WriteString("<wbr>")
			start = i + 1
		case i == ext && i > start:
			b.WriteString(template.HTMLEscapeString(url[start:i]))
			b.WriteString("<wbr>")
			start = i
		}
	}
	b.WriteString(template.HTMLEscapeString(url[start:]))
	return template.HTML(b.String())
}

// demoPage serves the page, and the URL builder its playground asks.
type demoPage struct {
	h    *avatarmw.Handler
	data pageData
}

// newDemoPage builds the page: every URL on it is built with the handler's URL builder, except the
// refusals, written by hand.
func newDemoPage(h *avatarmw.Handler, demo, signed bool) (*demoPage, error) {
	p := &demoPage{h: h}
	p.data = pageData{Demo: demo, Signed: signed, Users: playgroundUsers(demo), Presets: presets, Start: presets[0],
		CSS: template.CSS(pageCSS), JS: template.JS(pageJS)}
	for _, s := range sections() {
		rows := s.Real
		if demo {
			rows = s.Demo
		}
		if len(rows) == 0 {
			continue
		}
		ps := pageSection{ID: s.ID, Nav: cmp.Or(s.Nav, s.Title), Title: s.Title, Note: s.Note}
		for _, r := range rows {
			pr := pageRow{Label: r.Label, PerLine: perLine(len(s.Columns), s.PerLine), fails: r.Fails}
			for _, c := range s.Columns {
				url, err := h.URL(avatarmw.Avatar{Type: r.Type, ID: r.ID, Transformation: c.Transformation, Format: c.Format})
				if err != nil {
					return nil, fmt.Errorf("demo page: section %s: %s %s %s: %w", s.ID, r.Type, r.ID, c.Transformation, err)
				}
				pr.Cells = append(pr.Cells, pageCell{URL: url, Label: c.Label, Dark: c.Dark})
			}
			ps.Rows = append(ps.Rows, pr)
		}
		p.data.Sections = append(p.data.Sections, ps)
	}
	if demo {
		for _, r := range refusals() {
			p.data.Refusals = append(p.data.Refusals, pageCell{URL: r.Path, Label: r.Label})
		}
	}
	return p, nil
}

// ServeHTTP serves the page. The intentional errors (the rows that fail, the refusals) are asked
// of the handler each time, on copies of their cells, so the page shows what it answers now.
func (p *demoPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data := p.data
	data.Sections = make([]pageSection, len(p.data.Sections))
	for i, s := range p.data.Sections {
		s.Rows = slices.Clone(s.Rows)
		for j := range s.Rows {
			if !s.Rows[j].fails {
				continue
			}
			s.Rows[j].Cells = slices.Clone(s.Rows[j].Cells)
			for k := range s.Rows[j].Cells {
				s.Rows[j].Cells[k].Failed = p.ask(r, s.Rows[j].Cells[k].URL)
			}
		}
		data.Sections[i] = s
	}
	data.Refusals = slices.Clone(p.data.Refusals)
	for i := range data.Refusals {
		data.Refusals[i].Failed = p.ask(r, data.Refusals[i].URL)
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, data); err != nil {
		http.Error(w, "demo page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes()) //nolint:errcheck // the client went away
}

// ask asks the handler for path in-process, as the page's request would; nil when it is a picture.
func (p *demoPage) ask(r *http.Request, path string) *answer {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodHead, path, nil)
	if err != nil {
		return &answer{Status: http.StatusBadRequest, Reason: err.Error()}
	}
	req.RequestURI = path
	var rec recorder
	p.h.ServeHTTP(&rec, req)
	if rec.code == http.StatusOK || rec.code == 0 {
		return nil
	}
	return &answer{Status: rec.code, Reason: rec.header.Get("X-Avatar-Error")}
}

// recorder is the least http.ResponseWriter: a status and headers.
type recorder struct {
	header http.Header
	code   int
}

func (r *recorder) Header() http.Header {
	if r.header == nil {
		r.header = http.Header{}
	}
	return r.header
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return len(b), nil
}

// serveURL is the playground's URL builder: GET /playground/url?type=&id=&t=&f= answers
// {"url": "/avatars/..."} or {"error": "what is wrong"}, always with 200 (a refused URL is an
// answer, not a failure of the page). It is mounted only without -secret: with one, it would sign
// whatever a visitor types.
func (p *demoPage) serveURL(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var out struct {
		URL   string `json:"url,omitempty"`
		Error string `json:"error,omitempty"`
	}
	url, err := p.h.URL(avatarmw.Avatar{Type: q.Get("type"), ID: q.Get("id"), Transformation: strings.Trim(q.Get("t"), "/ "), Format: q.Get("f")})
	if err != nil {
		out.Error = err.Error()
	} else {
		out.URL = url
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(out) //nolint:errcheck // the client went away
}
