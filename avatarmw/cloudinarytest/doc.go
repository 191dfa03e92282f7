// Package cloudinarytest checks avatarkit against URLs built by Cloudinary's official SDKs: the
// Go SDK (github.com/cloudinary/cloudinary-go/v2) live, and the Node SDKs (cloudinary and
// @cloudinary/url-gen) through the URLs they printed into testdata. It is a module of its own so
// that users of avatarkit do not inherit the SDK's dependencies.
package cloudinarytest
