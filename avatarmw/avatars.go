package avatarmw

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/avatarkit/avatarkit/cache"
)

// An operator's view of the avatars: what a node holds, or what the durable store holds, by
// delivery type — the counterpart of filtering Cloudinary's Media Library by delivery type.

// AvatarQuery selects a page of avatars: a delivery type ("" for all), and an offset and a limit
// (default 50, at most 500) in the order of the listing, the most recently fetched first.
type AvatarQuery = cache.AvatarQuery

// AvatarInfo is what a node knows of one avatar: its outcome, when the network answered, the key
// and version it is held under, the original's type and size, and the variants made of it lately.
type AvatarInfo = cache.AvatarInfo

// VariantInfo is one variant of an avatar a node computed, or received from its owner.
type VariantInfo = cache.VariantInfo

// Avatars returns a page of the avatars this node holds. groupcache cannot list what its caches
// hold, so the node keeps a small index of its own, fed where values are loaded and never on a
// hit: the 4,096 avatars it learnt of most recently, each with the 16 variants it computed or
// received from their owner most recently (a variant listed may have been evicted since). In a
// cluster each node lists what it served; the avatars a fleet holds are the union of its nodes'
// lists, or the store's (StoredAvatars).
func (h *Handler) Avatars(q AvatarQuery) AvatarPage {
	return h.page("memory", h.cache.Avatars(q), q)
}

// StoredAvatars returns a page of the avatars the durable store (Config.Store) holds for this
// handler's fleet, the most recently written first, with the variants this node made of them. It
// looks at 10,000 of the store's objects at most (Truncated says when there are more) and reads
// the entries of the page. Without a store it returns an error.
func (h *Handler) StoredAvatars(ctx context.Context, q AvatarQuery) (AvatarPage, error) {
	l, err := h.cache.StoredAvatars(ctx, q)
	if err != nil {
		return AvatarPage{}, err
	}
	return h.page("store", l, q), nil
}

// AvatarPage is one page of avatars, as the admin endpoint answers it in JSON.
type AvatarPage struct {
	// Source is "memory" (this node's) or "store" (the durable store's).
	Source string `json:"source"`
	// Node is this node's Self; "" outside a cluster.
	Node string `json:"node,omitempty"`
	// Total is the number of avatars that match the query; Types counts them by type, whatever
	// the query's type.
	Total int            `json:"total"`
	Types map[string]int `json:"types"`
	// Offset and Limit are the page's.
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
	// Truncated reports that the store holds more objects than a listing looks at.
	Truncated bool `json:"truncated,omitempty"`
	// Avatars is the page.
	Avatars []ListedAvatar `json:"avatars"`
}

// ListedAvatar is an avatar of a page, with the URL of a thumbnail of its picture.
type ListedAvatar struct {
	AvatarInfo
	// Thumbnail is the URL path of a 64×64 JPEG of the picture, cropped around the face (signed when the handler signs
	// URLs), at the avatar's version when it is held under one; "" when it is not a picture.
	Thumbnail string `json:"thumbnail,omitempty"`
}

// thumbnailTransformation is the transformation of the thumbnails of the admin listing.
const thumbnailTransformation = "c_thumb,g_face,h_64,w_64"

func (h *Handler) page(source string, l cache.AvatarList, q AvatarQuery) AvatarPage {
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = cache.DefaultAvatarLimit
	case limit > cache.MaxAvatarLimit:
		limit = cache.MaxAvatarLimit
	}
	p := AvatarPage{Source: source, Node: h.cache.Self(), Total: l.Total, Types: l.Types, Offset: max(q.Offset, 0), Limit: limit,
		Truncated: l.Truncated, Avatars: make([]ListedAvatar, 0, len(l.Avatars))}
	for _, a := range l.Avatars {
		la := ListedAvatar{AvatarInfo: a}
		if a.Outcome == "picture" || a.Outcome == "default_picture" {
			la.Thumbnail, _ = h.URL(Avatar{Type: a.Type, ID: a.ID, Version: a.Version, Transformation: thumbnailTransformation, Format: "jpg"})
		}
		p.Avatars = append(p.Avatars, la)
	}
	return p
}

// list answers GET <prefix>: a page of avatars, as JSON.
func (a *adminHandler) list(w http.ResponseWriter, r *http.Request) {
	var q AvatarQuery
	source := "memory"
	for k, vs := range r.URL.Query() {
		v := vs[0]
		var err error
		switch k {
		case "type":
			if _, ok := a.h.providers[v]; !ok && v != "" {
				adminAnswer(w, http.StatusBadRequest, "type="+v+": no such delivery type", 0)
				return
			}
			q.Type = v
		case "source":
			if v != "memory" && v != "store" {
				adminAnswer(w, http.StatusBadRequest, "source="+v+": want memory or store", 0)
				return
			}
			source = v
		case "offset":
			q.Offset, err = strconv.Atoi(v)
		case "limit":
			q.Limit, err = strconv.Atoi(v)
		default:
			adminAnswer(w, http.StatusBadRequest, "unknown parameter "+k+": want type, source, offset or limit", 0)
			return
		}
		if err != nil || q.Offset < 0 || q.Limit < 0 {
			adminAnswer(w, http.StatusBadRequest, k+"="+v+": want a number of 0 or more", 0)
			return
		}
	}
	var p AvatarPage
	if source == "store" {
		var err error
		if p, err = a.h.StoredAvatars(r.Context(), q); err != nil {
			code := http.StatusBadGateway
			if errors.Is(err, cache.ErrNoStore) {
				code = http.StatusNotFound
			}
			adminAnswer(w, code, sanitizeHeader(err.Error()), 0)
			return
		}
	} else {
		p = a.h.Avatars(q)
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(p) //nolint:errcheck // the client went away
}
