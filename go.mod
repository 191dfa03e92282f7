module github.com/avatarkit/avatarkit

go 1.26

require (
	github.com/HugoSmits86/nativewebp v1.3.0 // indirect
	github.com/anthonynsimon/bild v0.17.0 // indirect
	github.com/disintegration/imaging v1.6.2 // indirect
	github.com/golang/groupcache v0.0.0-20241129210726-2c02b8208cf8 // indirect
	github.com/golang/protobuf v1.5.4 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/cobra v1.10.2 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	golang.org/x/image v0.47.0 // indirect
	google.golang.org/protobuf v1.33.0 // indirect
)
