package cloudinarytest

import (
	"fmt"
	"strings"

	"github.com/cloudinary/cloudinary-go/v2"
)

// The Go SDK settings of docs/cloudinary.md: only the host changes.
func Example_goSDK() {
	cld, _ := cloudinary.NewFromParams("demo", "key", "secret")
	cld.Config.URL.SecureCName = "www.example.com"

	img, _ := cld.Image("65646572251.jpg")
	img.DeliveryType = "facebook"
	img.Transformation = "c_fill,g_face,h_90,w_90/r_max"
	url, _ := img.String()
	path, query, _ := strings.Cut(url, "?")
	fmt.Println(path, strings.HasPrefix(query, "_a="))

	cld.Config.URL.PrivateCDN = true
	img, _ = cld.Image("65646572251.jpg")
	img.DeliveryType = "facebook"
	url, _ = img.String()
	path, _, _ = strings.Cut(url, "?")
	fmt.Println(path)
	// Output:
	// https://www.example.com/demo/image/facebook/c_fill,g_face,h_90,w_90/r_max/65646572251.jpg true
	// https://www.example.com/image/facebook/65646572251.jpg
}
