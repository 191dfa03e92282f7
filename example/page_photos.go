package main

// ---- Real photographs -------------------------------------------------------------------------
//
// A section of the demo page of its own: photographs of people from avatarkit's face evaluation
// set (served by the fake network as the pictures of its Photograph users) next to what the
// face-aware transformations make of them. It is data only — a Section like the others, appended
// to the page's sections by sections() — so it can move with the page as it changes.

import "github.com/avatarkit/avatarkit/fetch/fetchtest"

// photographsSection is the section of real photographs.
func photographsSection() Section {
	var demo []Row
	for _, u := range fetchtest.Users {
		if u.Photograph != "" {
			demo = append(demo, userRow(u, ", a photograph ("+u.Photograph+")"))
		}
	}
	return Section{
		ID:    "photographs",
		Nav:   "Photographs",
		Title: "Real photographs: small and off-centre faces",
		Note: "Photographs of people, not drawn portraits: faces of a tenth of the picture, off-centre, " +
			"in grey, before a crowd. c_thumb,g_face keeps the head and a little shoulder (z_0.7: more of " +
			"the person, z_1.5: the face); the privacy effects hide every face found. " +
			"(Where each photograph comes from: internal/facephotos/README.md.)",
		Columns: []Column{
			{"the original, fit in 240×120", "c_fit,h_120,w_240", "jpg", false},
			{"centre crop", "c_fill,h_120,w_120", "jpg", false},
			{"c_fill,g_face", "c_fill,g_face,h_120,w_120", "jpg", false},
			{"c_thumb,g_face", "c_thumb,g_face,h_120,w_120", "jpg", false},
			{"c_thumb,g_face,z_0.7", "c_thumb,g_face,h_120,w_120,z_0.7", "jpg", false},
			{"c_thumb,g_face,z_1.5", "c_thumb,g_face,h_120,w_120,z_1.5", "jpg", false},
			{"e_pixelate_faces", "c_fit,e_pixelate_faces,h_120,w_240", "jpg", false},
			{"e_blur_faces", "c_fit,e_blur_faces,h_120,w_240", "jpg", false},
		},
		Demo: demo,
		Real: realRows,
	}
}
