module github.com/avatarkit/avatarkit/tools/codeccompare

go 1.26.0

require (
	github.com/HugoSmits86/nativewebp v1.3.0
	github.com/deepteams/webp v1.1.0
	github.com/disintegration/imaging v1.6.2
	github.com/gen2brain/avif v0.4.4
	github.com/gen2brain/webp v0.5.5
	golang.org/x/image v0.47.0
)

require (
	github.com/ebitengine/purego v0.8.3 // indirect
	github.com/tetratelabs/wazero v1.9.0 // indirect
)
