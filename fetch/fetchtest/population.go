package fetchtest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/avatarkit/avatarkit/internal/facephotos"
)

// AddUser adds a user to this server's population and returns it as stored, its defaults filled in.
// The user is served like the users of Users — Graph, X API, image hosts, Gravatar — with a
// distinct, deterministic photo-like portrait (or the photograph, for a Photo or Photograph user); it is not added
// to Users, which every server shares, so other servers and the package functions Lookup, LookupName
// and UsersOf do not see it (Server.Lookup and Server.Population do). It is safe to call while the
// server serves requests.
//
// Network is required: "facebook", "x" ("twitter" is accepted) or "gravatar". The defaults of the
// zero fields:
//
//   - ID: a fresh id that fits the network's rule (facebook 17 digits, x 19 digits); for gravatar it
//     is always the MD5 of Email, whose default is "added-user-N@example.test".
//   - Name: "Added User N"; for x the screen name "added_user_N". DisplayName: Name, or "Added
//     User N" for x.
//   - Format: "jpeg" (Facebook's CDN serves JPEG only).
//   - Width and Height: a Photograph user's photograph's size, else 720×720 (facebook), 400×400
//     (x), 512×512 (gravatar); when only one is set, the other equals it. A gravatar user with
//     NoPicture has none.
//
// Pictures are rendered on demand and cached, like all the fake's pictures; 50 users with
// 2048×2048 originals are fine. AddUser panics on a user that cannot exist — an unknown network, an
// id or screen name that breaks its rule or is taken (screen names compare case-insensitively), a
// size outside 1..4096, a format the network does not serve, Frames on a non-GIF, Transparent on a
// JPEG or GIF, NoPicture outside gravatar, Default on gravatar, Banner outside x, a Photograph that
// is not one of the evaluation set's photographs of people: that is a bug in the test.
func (s *Server) AddUser(u User) User {
	fail := func(format string, args ...any) {
		panic("fetchtest: AddUser: " + fmt.Sprintf(format, args...))
	}
	u.Network = canonNetwork(u.Network)
	switch u.Network {
	case Facebook, X, Gravatar:
	default:
		fail("unknown network %q", u.Network)
	}
	if u.Format == "" {
		u.Format = "jpeg"
	}
	switch {
	case contentTypes[u.Format] == "":
		fail("unknown format %q", u.Format)
	case u.Network == Facebook && u.Format != "jpeg":
		fail("Facebook's CDN serves JPEG only, not %q", u.Format)
	case u.Frames != 0 && u.Format != "gif":
		fail("Frames on a %s picture", u.Format)
	case u.Frames < 0:
		fail("negative Frames")
	case u.Transparent && u.Format != "png" && u.Format != "webp":
		fail("Transparent on a %s picture", u.Format)
	case u.NoPicture && u.Network != Gravatar:
		fail("NoPicture is for gravatar users (Default is the others' generic picture)")
	case u.Default && u.Network == Gravatar:
		fail("Default is not for gravatar users (NoPicture is)")
	case u.Banner && u.Network != X:
		fail("Banner is for x users")
	}
	if u.Photograph != "" {
		if p, ok := facephotos.Lookup(u.Photograph); !ok || !p.People {
			fail("no photograph of people named %q", u.Photograph)
		} else if u.Width == 0 && u.Height == 0 {
			u.Width, u.Height = p.Width, p.Height
		}
	}
	switch {
	case u.NoPicture && u.Width == 0 && u.Height == 0:
	case u.Width == 0 && u.Height == 0:
		side := map[string]int{Facebook: 720, X: 400, Gravatar: 512}[u.Network]
		u.Width, u.Height = side, side
	case u.Width == 0:
		u.Width = u.Height
	case u.Height == 0:
		u.Height = u.Width
	}
	if !u.NoPicture && (u.Width < 1 || u.Height < 1 || u.Width > 4096 || u.Height > 4096) {
		fail("size %d×%d outside 1..4096", u.Width, u.Height)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.users) - len(Users) + 1
	taken := func(id string) bool {
		if indexIn(s.users, u.Network, id) >= 0 {
			return true
		}
		switch u.Network {
		case Facebook:
			return id == MissingFacebookID
		case X:
			return id == MissingXID
		}
		return id == MissingGravatarHash
	}
	label := fmt.Sprintf("Added User %d", n)
	switch u.Network {
	case Facebook:
		if u.ID == "" {
			for k := n; ; k++ {
				if u.ID = fmt.Sprintf("1099%013d", k); !taken(u.ID) {
					break
				}
			}
		}
		if !facebookIDRule.MatchString(u.ID) {
			fail("facebook id %q is not 1 to 25 digits", u.ID)
		}
	case X:
		if u.ID == "" {
			for k := n; ; k++ {
				if u.ID = fmt.Sprintf("17%017d", k); !taken(u.ID) {
					break
				}
			}
		}
		if u.Name == "" {
			for k := n; ; k++ {
				if u.Name = fmt.Sprintf("added_user_%d", k); xNameIn(s.users, u.Name) < 0 {
					break
				}
			}
		}
		if u.DisplayName == "" {
			u.DisplayName = label
		}
		switch {
		case !xIDRule.MatchString(u.ID):
			fail("x id %q is not 1 to 19 digits", u.ID)
		case !xNameRule.MatchString(u.Name):
			fail("x screen name %q is not 1 to 15 letters, digits or underscores", u.Name)
		case xNameIn(s.users, u.Name) >= 0 || strings.EqualFold(u.Name, MissingXName):
			fail("x screen name %q is taken", u.Name)
		}
	case Gravatar:
		if u.Email == "" {
			u.Email = fmt.Sprintf("added-user-%d@example.test", n)
		}
		md5 := u.MD5()
		if u.ID != "" && u.ID != md5 {
			fail("gravatar ID %q is not the MD5 of %q (%s)", u.ID, u.Email, md5)
		}
		u.ID = md5
		if indexIn(s.users, Gravatar, u.SHA256()) >= 0 || u.SHA256() == MissingGravatarSHA256 {
			fail("gravatar e-mail %q is taken", u.Email)
		}
	}
	if taken(u.ID) {
		fail("%s id %q is taken", u.Network, u.ID)
	}
	if u.Name == "" {
		u.Name = label
	}
	if u.DisplayName == "" {
		u.DisplayName = u.Name
	}
	s.users = append(s.users, u)
	return u
}

var facebookIDRule = regexp.MustCompile(`^[0-9]{1,25}$`)

// Population returns every user this server serves: Users, then the users added with AddUser, in
// the order they were added (a copy).
func (s *Server) Population() []User {
	return slices.Clone(s.population())
}

// Lookup is the package's Lookup over this server's population (AddUser's users included); for x,
// the screen name is accepted too, case-insensitively.
func (s *Server) Lookup(network, id string) (User, bool) {
	if canonNetwork(network) == Gravatar {
		id = strings.ToLower(id)
	}
	users := s.population()
	i := indexIn(users, network, id)
	if i < 0 && canonNetwork(network) == X {
		i = xNameIn(users, id)
	}
	if i < 0 {
		return User{}, false
	}
	return users[i], true
}

// population returns the server's users. The slice is shared: the caller must not modify it. Users
// are only ever appended, so it stays valid.
func (s *Server) population() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[:len(s.users):len(s.users)]
}

// userIndex returns the index in the server's population of the user with this id, or -1. See the
// package's userIndex.
func (s *Server) userIndex(network, id string) int { return indexIn(s.population(), network, id) }

// xNameIndex returns the index in the server's population of the x user with this screen name,
// case-insensitively, or -1.
func (s *Server) xNameIndex(name string) int { return xNameIn(s.population(), name) }

// user returns the user at index i of the server's population.
func (s *Server) user(i int) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[i]
}
