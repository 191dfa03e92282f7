package fetch

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSniffImage(t *testing.T) {
	tests := []struct {
		name string
		b    string
		want string
	}{
		{"jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", "image/png"},
		{"gif87a", "GIF87a\x01\x00", "image/gif"},
		{"gif89a", "GIF89a\x01\x00", "image/gif"},
		{"webp", "RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"},
		{"riff but wave", "RIFF\x24\x00\x00\x00WAVEfmt ", ""},
		{"short riff", "RIFF\x24\x00\x00\x00WEB", ""},
		{"html", "<!DOCTYPE html><html>", ""},
		{"svg", `<svg xmlns="http://www.w3.org/2000/svg"/>`, ""},
		{"bmp", "BM\x36\x00\x00\x00", ""},
		{"truncated jpeg", "\xff\xd8", ""},
		{"truncated png", "\x89PNG\r\n", ""},
		{"gif90a", "GIF90a", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, SniffImage([]byte(tt.b)), tt.name)
	}
}
