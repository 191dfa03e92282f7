package fetchtest

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// The tokens the fake accepts.
const (
	// FacebookToken is the Graph API access token the fake accepts. Requests without a token are
	// accepted too (app-scoped ids need none at the real Graph API); a wrong token gets error code 190.
	FacebookToken = "fb-test-token"
	// XToken is the X API bearer token the fake accepts. A missing or wrong token gets a 401 problem
	// JSON.
	XToken = "x-test-token"
)

// Identifiers guaranteed not to exist in the population. Each is valid for its type's identifier
// rule, so a request for it reaches the fake and gets the network's "no such user" answer.
const (
	// MissingFacebookID is an app-scoped id with no user: Graph answers 400, code 100, subcode 33.
	MissingFacebookID = "10000000000000001"
	// MissingXID is a numeric X id with no user: the X API answers 200 with a Not Found Error.
	MissingXID = "1000000000000000001"
	// MissingXName is a screen name with no user: the X API answers 200 with a Not Found Error.
	MissingXName = "no_such_user_42"
	// MissingGravatarHash is an MD5 (of the empty string) with no avatar: 404 with d=404.
	MissingGravatarHash = "d41d8cd98f00b204e9800998ecf8427e"
	// MissingGravatarSHA256 is a SHA-256 (of the empty string) with no avatar: 404 with d=404.
	MissingGravatarSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// The networks, as spelled in User.Network.
const (
	Facebook = "facebook"
	X        = "x"
	Gravatar = "gravatar"
)

// User is one member of the fake population.
type User struct {
	// Network is "facebook", "x" or "gravatar".
	Network string
	// ID identifies the user at the network. facebook: a numeric app-scoped id; x: a numeric id
	// (a string, like the X API's); gravatar: the lower-case hex MD5 of Email (the user is also
	// served under the SHA-256 of the same e-mail, see SHA256).
	ID string
	// Name is, for x, the screen name as displayed (mixed case, e.g. "AvatarKit"); for the other
	// networks a display name.
	Name string
	// DisplayName is the X API's "name" field (x only); for the other networks it equals Name.
	DisplayName string
	// Email is the e-mail address a gravatar user's hashes are of (gravatar only).
	Email string
	// Default reports a user with the network's generic picture: Facebook's grey silhouette
	// (is_silhouette true), X's default profile image on abs.twimg.com. (Until Server.ChangePicture
	// gives them a picture of their own.)
	Default bool
	// NoPicture reports a gravatar user without an avatar: d=404 gives a 404. (Until
	// Server.ChangePicture gives them one.)
	NoPicture bool
	// Banner reports an x user with a profile banner (a 1500×500 landscape and its smaller
	// sizes); the others have none: profile_banner.json answers 404. (Until
	// Server.ChangeBanner gives them one.)
	Banner bool
	// Width and Height are the native size of the user's original picture.
	Width, Height int
	// Format is the format of the original picture: "jpeg", "png", "gif" or "webp". Facebook's
	// CDN serves JPEG only.
	Format string
	// Transparent reports an original with a transparent background (PNG or WebP).
	Transparent bool
	// Frames is the number of frames of an animated GIF original (0 for other formats).
	Frames int
	// Photo reports a user whose picture is a real photograph of a face (the sample photo of the
	// pigo face detector, see testdata/README.md) rather than a drawn portrait: for face-aware crops
	// and the demo page. The photograph's face is centred in a square original and far to one side in
	// a wide one (aspect ratio above 4:3), so that a centre crop of a wide original cuts the face off;
	// square size variants (X's _normal, _400x400...) and square requests are centred on the face.
	Photo bool
	// Photograph names a photograph of avatarkit's face evaluation set (internal/facephotos, e.g.
	// "caire-sample.jpg"; see its README for where each comes from) that is the user's picture: the
	// original (Width×Height, the photograph's own size) is the photograph, and other sizes (X's
	// square variants, Facebook's squares) are as much of it as their shape holds, centred on its
	// largest face. For the demo page: real photographs of people, small and off-centre faces.
	Photograph string
}

// SHA256 returns the lower-case hex SHA-256 of a gravatar user's e-mail (empty for other networks).
func (u User) SHA256() string {
	if u.Network != Gravatar {
		return ""
	}
	sum := sha256.Sum256([]byte(normEmail(u.Email)))
	return hex.EncodeToString(sum[:])
}

// MD5 returns the lower-case hex MD5 of a gravatar user's e-mail (empty for other networks).
func (u User) MD5() string {
	if u.Network != Gravatar {
		return ""
	}
	sum := md5.Sum([]byte(normEmail(u.Email)))
	return hex.EncodeToString(sum[:])
}

func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func gravatarUser(name, email, format string, size int, noPicture bool) User {
	u := User{Network: Gravatar, Name: name, DisplayName: name, Email: email, Format: format,
		Width: size, Height: size, NoPicture: noPicture}
	u.ID = u.MD5()
	return u
}

// Users is the population of the fake, in a fixed order. It is deterministic: the same ids, names
// and pictures in every process. Tests and the demo page read it; nobody should modify it.
//
// facebook:
//
//	10158273645190234  Amelia Hart     960×960   JPEG
//	10223344556677889  Bruno Costa     720×720   JPEG
//	10161122334455667  Chiara Rossi    1080×1080 JPEG (figure off-centre)
//	10209988776655443  Dmitri Volkov   1440×1440 JPEG
//	10157766554433221  Emeka Obi       320×320   JPEG (small: requests clamp to it)
//	10214455667788990  Fiona Walsh     silhouette (is_silhouette true)
//
// x (Name is the screen name):
//
//	1453287346851024897  AvatarKit     800×800   JPEG                                  banner
//	1587654321098765312  NewUser48213  default profile image (PNG, 400×400)          no banner
//	1298765432109876544  wide_lens     1200×900  JPEG (not square)                   banner
//	1412345678901234567  Pixel_Pip     512×512   PNG with a transparent background   banner
//	1123456789012345678  gif_party     400×400   GIF, 3 frames                       no banner
//	1534567890123456789  WebPioneer    400×400   WebP (lossless)                     banner
//	1376543210987654321  BigPicture    2000×2000 JPEG                                banner
//	1498765432101234567  PanoramaPat   3000×2000 JPEG (a side > 2048)                banner
//	14159265             pi_day        400×400   JPEG (an old, short id)             no banner
//
// gravatar (ID is the MD5 of Email):
//
//	ada.lovelace@example.com       Ada Lovelace       1024×1024 JPEG
//	grace.hopper@example.org       Grace Hopper        800×800  PNG
//	alan.turing@example.net        Alan Turing        2048×2048 JPEG
//	katherine.johnson@example.com  Katherine Johnson   600×600  JPEG
//	nobody@example.com             No Body            no avatar
//
// photographs (Photo, at the end so that the indexes above stay valid):
//
//	facebook 10152030405060708    Pat Photo          640×640   JPEG, the face centred
//	x        1602030405060708090  face_far_left      1500×500  JPEG, the face far left on a plain
//	                                                 backdrop: a centre crop misses it; a banner
//
// photographs of the face evaluation set (Photograph, after those):
//
//	x        1700000000000000001  garden_portrait    670×447   caire-sample.jpg: a girl in a
//	                                                 garden, her face right of the centre
//	x        1700000000000000002  court_practice     640×480   opencv-basketball1.jpg: two men
//	                                                 in a hall, one face small and to the left
//	x        1700000000000000003  free_kick          548×342   opencv-messi5.jpg: a footballer
//	                                                 before a crowd, the face small
//
// Server.AddUser adds users to one server at run time; they are not in Users.
var Users = []User{
	{Network: Facebook, ID: "10158273645190234", Name: "Amelia Hart", DisplayName: "Amelia Hart", Width: 960, Height: 960, Format: "jpeg"},
	{Network: Facebook, ID: "10223344556677889", Name: "Bruno Costa", DisplayName: "Bruno Costa", Width: 720, Height: 720, Format: "jpeg"},
	{Network: Facebook, ID: "10161122334455667", Name: "Chiara Rossi", DisplayName: "Chiara Rossi", Width: 1080, Height: 1080, Format: "jpeg"},
	{Network: Facebook, ID: "10209988776655443", Name: "Dmitri Volkov", DisplayName: "Dmitri Volkov", Width: 1440, Height: 1440, Format: "jpeg"},
	{Network: Facebook, ID: "10157766554433221", Name: "Emeka Obi", DisplayName: "Emeka Obi", Width: 320, Height: 320, Format: "jpeg"},
	{Network: Facebook, ID: "10214455667788990", Name: "Fiona Walsh", DisplayName: "Fiona Walsh", Default: true, Width: 720, Height: 720, Format: "jpeg"},

	{Network: X, ID: "1453287346851024897", Name: "AvatarKit", DisplayName: "AvatarKit Project", Width: 800, Height: 800, Format: "jpeg", Banner: true},
	{Network: X, ID: "1587654321098765312", Name: "NewUser48213", DisplayName: "New User", Default: true, Width: 400, Height: 400, Format: "png"},
	{Network: X, ID: "1298765432109876544", Name: "wide_lens", DisplayName: "Wide Lens", Width: 1200, Height: 900, Format: "jpeg", Banner: true},
	{Network: X, ID: "1412345678901234567", Name: "Pixel_Pip", DisplayName: "Pip the Pixel", Width: 512, Height: 512, Format: "png", Transparent: true, Banner: true},
	{Network: X, ID: "1123456789012345678", Name: "gif_party", DisplayName: "GIF Party", Width: 400, Height: 400, Format: "gif", Frames: 3},
	{Network: X, ID: "1534567890123456789", Name: "WebPioneer", DisplayName: "WebP Pioneer", Width: 400, Height: 400, Format: "webp", Banner: true},
	{Network: X, ID: "1376543210987654321", Name: "BigPicture", DisplayName: "Big Picture", Width: 2000, Height: 2000, Format: "jpeg", Banner: true},
	{Network: X, ID: "1498765432101234567", Name: "PanoramaPat", DisplayName: "Pat Panorama", Width: 3000, Height: 2000, Format: "jpeg", Banner: true},
	{Network: X, ID: "14159265", Name: "pi_day", DisplayName: "Pi Day", Width: 400, Height: 400, Format: "jpeg"},

	gravatarUser("Ada Lovelace", "ada.lovelace@example.com", "jpeg", 1024, false),
	gravatarUser("Grace Hopper", "grace.hopper@example.org", "png", 800, false),
	gravatarUser("Alan Turing", "alan.turing@example.net", "jpeg", 2048, false),
	gravatarUser("Katherine Johnson", "katherine.johnson@example.com", "jpeg", 600, false),
	gravatarUser("No Body", "nobody@example.com", "jpeg", 0, true),

	{Network: Facebook, ID: "10152030405060708", Name: "Pat Photo", DisplayName: "Pat Photo", Width: 640, Height: 640, Format: "jpeg", Photo: true},
	{Network: X, ID: "1602030405060708090", Name: "face_far_left", DisplayName: "Face Far Left", Width: 1500, Height: 500, Format: "jpeg", Photo: true, Banner: true},

	{Network: X, ID: "1700000000000000001", Name: "garden_portrait", DisplayName: "Garden Portrait", Width: 670, Height: 447, Format: "jpeg", Photograph: "caire-sample.jpg"},
	{Network: X, ID: "1700000000000000002", Name: "court_practice", DisplayName: "Court Practice", Width: 640, Height: 480, Format: "jpeg", Photograph: "opencv-basketball1.jpg"},
	{Network: X, ID: "1700000000000000003", Name: "free_kick", DisplayName: "Free Kick", Width: 548, Height: 342, Format: "jpeg", Photograph: "opencv-messi5.jpg"},
}

// isDefault reports whether u's picture of generation gen is the network's default: a Default user
// who has not changed their picture yet (ChangePicture uploads a real one).
func isDefault(u User, gen int) bool { return u.Default && gen == 0 }

// canonNetwork maps "twitter" and "twitter_name" to "x"; other names are returned unchanged.
func canonNetwork(network string) string {
	switch network {
	case "twitter", "twitter_name":
		return X
	}
	return network
}

// userIndex returns the index in Users of the user with this id (facebook, x: the id; gravatar: the
// MD5 or the SHA-256, exact lower-case hex), or -1.
func userIndex(network, id string) int { return indexIn(Users, network, id) }

// indexIn returns the index in users of the user with this id, or -1. See userIndex.
func indexIn(users []User, network, id string) int {
	network = canonNetwork(network)
	for i := range users {
		u := &users[i]
		if u.Network != network {
			continue
		}
		if u.ID == id || (network == Gravatar && id != "" && u.SHA256() == id) {
			return i
		}
	}
	return -1
}

// xNameIndex returns the index in Users of the x user with this screen name, case-insensitively, or -1.
func xNameIndex(name string) int { return xNameIn(Users, name) }

// xNameIn returns the index in users of the x user with this screen name, or -1. See xNameIndex.
func xNameIn(users []User, name string) int {
	for i := range users {
		if users[i].Network == X && strings.EqualFold(users[i].Name, name) {
			return i
		}
	}
	return -1
}

// Lookup returns the user of network ("facebook", "x" — "twitter" is accepted too — or "gravatar")
// with this id. For gravatar, id may be the MD5 or the SHA-256 of the e-mail, in either case.
func Lookup(network, id string) (User, bool) {
	if canonNetwork(network) == Gravatar {
		id = strings.ToLower(id)
	}
	if i := userIndex(network, id); i >= 0 {
		return Users[i], true
	}
	return User{}, false
}

// LookupName returns the x user with this screen name, case-insensitively.
func LookupName(name string) (User, bool) {
	if i := xNameIndex(name); i >= 0 {
		return Users[i], true
	}
	return User{}, false
}

// UsersOf returns the users of one network, in the order of Users.
func UsersOf(network string) []User {
	network = canonNetwork(network)
	var out []User
	for _, u := range Users {
		if u.Network == network {
			out = append(out, u)
		}
	}
	return out
}
