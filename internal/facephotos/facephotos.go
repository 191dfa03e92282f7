// Package facephotos is avatarkit's evaluation set for face detection: real photographs whose
// licences allow them to be kept in the repository (see README.md beside this file), with
// hand-checked face boxes, and photographs without people. Tests measure the detector and the
// face-aware crops on them; the fake social network serves some of them as profile pictures.
package facephotos

import (
	"bytes"
	"embed"
	"image"
	"image/jpeg"
)

//go:embed photos/*.jpg nopeople/*.jpg
var files embed.FS

// Photo is one photograph of the set.
type Photo struct {
	// Name is the file name, e.g. "pigo-sample.jpg".
	Name string
	// Width and Height are the photograph's size, px.
	Width, Height int
	// Faces are the hand-checked boxes of the faces that look at the camera (frontal or
	// three-quarter): from the brows (or the hairline, for a bald forehead) to the chin, cheek to
	// cheek. Faces in profile and faces turned away are not listed (a frontal-face detector is not
	// expected to find them); Profiles says how many such people the photograph also shows.
	Faces []image.Rectangle
	// Profiles counts the people in the photograph whose face is not listed in Faces.
	Profiles int
	// People is false for the photographs without any person (where a detected face is a false
	// positive).
	People bool
}

// People are the photographs with people, in a fixed order.
var People = []Photo{
	{Name: "pigo-sample.jpg", Width: 320, Height: 400, People: true, Faces: []image.Rectangle{image.Rect(45, 90, 270, 315)}},
	{Name: "caire-sample.jpg", Width: 670, Height: 447, People: true, Faces: []image.Rectangle{image.Rect(322, 102, 420, 205)}},
	{Name: "smartcrop-goodtimes.jpg", Width: 425, Height: 284, People: true, Profiles: 1},
	{Name: "opencv-basketball1.jpg", Width: 640, Height: 480, People: true, Profiles: 1, Faces: []image.Rectangle{image.Rect(70, 89, 111, 131)}},
	{Name: "opencv-basketball2.jpg", Width: 640, Height: 480, People: true, Profiles: 1, Faces: []image.Rectangle{image.Rect(70, 88, 111, 130)}},
	{Name: "opencv-messi5.jpg", Width: 548, Height: 342, People: true, Faces: []image.Rectangle{image.Rect(226, 88, 263, 128)}},
	{Name: "opencv-example-left.jpg", Width: 387, Height: 580, People: true, Faces: []image.Rectangle{image.Rect(25, 165, 360, 535)}},
}

// NoPeople are the photographs without people (animals, fruit, buildings, a painting, drawn
// masks), in a fixed order.
var NoPeople = []Photo{
	{Name: "opencv-baboon.jpg", Width: 512, Height: 512},
	{Name: "opencv-fruits.jpg", Width: 512, Height: 480},
	{Name: "opencv-building.jpg", Width: 868, Height: 600},
	{Name: "opencv-home.jpg", Width: 512, Height: 384},
	{Name: "opencv-orange.jpg", Width: 512, Height: 512},
	{Name: "opencv-squirrel_cls.jpg", Width: 535, Height: 426},
	{Name: "opencv-starry_night.jpg", Width: 752, Height: 600},
	{Name: "opencv-butterfly.jpg", Width: 493, Height: 356},
	{Name: "opencv-HappyFish.jpg", Width: 259, Height: 194},
	{Name: "opencv-aero3.jpg", Width: 640, Height: 480},
	{Name: "opencv-aloeL.jpg", Width: 1024, Height: 887},
	{Name: "opencv-chicky_512.jpg", Width: 512, Height: 512},
	{Name: "opencv-plant.jpg", Width: 500, Height: 333},
	{Name: "smartcrop-gopher.jpg", Width: 900, Height: 284},
	{Name: "pigo-carnival.jpg", Width: 502, Height: 293},
	{Name: "pigo-sunglasses.jpg", Width: 502, Height: 293},
	{Name: "opencv-leuvenA.jpg", Width: 751, Height: 563},
	{Name: "opencv-hfs-robin.jpg", Width: 380, Height: 254},
}

// Bytes returns the JPEG file of p.
func (p Photo) Bytes() []byte {
	dir := "nopeople/"
	if p.People {
		dir = "photos/"
	}
	b, err := files.ReadFile(dir + p.Name)
	if err != nil { // the table and the embedded files are fixed: a test catches a mismatch
		panic("facephotos: " + err.Error())
	}
	return b
}

// Image returns p decoded.
func (p Photo) Image() image.Image {
	img, err := jpeg.Decode(bytes.NewReader(p.Bytes()))
	if err != nil {
		panic("facephotos: " + p.Name + ": " + err.Error())
	}
	return img
}

// Lookup returns the photograph named name, of either list.
func Lookup(name string) (Photo, bool) {
	for _, list := range [][]Photo{People, NoPeople} {
		for _, p := range list {
			if p.Name == name {
				return p, true
			}
		}
	}
	return Photo{}, false
}
