package avatarmw_test

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/avatarkit/avatarkit/avatarmw"
	"github.com/avatarkit/avatarkit/fetch"
)

// Mounting avatarkit in an existing app. README.md shows this function's body verbatim
// (TestReadmeShowsTheExample keeps the two in step).
func Example() {
	avatars, err := avatarmw.New(avatarmw.Config{
		Fetch: fetch.Config{
			FacebookToken: os.Getenv("FACEBOOK_ACCESS_TOKEN"), // optional for app-scoped ids
			XToken:        os.Getenv("X_BEARER_TOKEN"),        // needed for twitter and twitter_name
		},
		CacheBytes: 128 << 20,
	})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/avatars/", avatars) // <img src="/avatars/facebook/c_fill,h_90,w_90/65646572251.jpg">
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "the app's own pages")
	})
	// Front: avatar paths reach avatarkit as they came ("..", "//" are a 400, not the mux's 307).
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", avatars.Front(mux)))
}

// Building avatar URLs in Go code rather than by hand: the builder checks the type, the identifier
// and every parameter, and writes the canonical form.
func ExampleHandler_URL() {
	avatars, err := avatarmw.New(avatarmw.Config{Name: "example-url"})
	if err != nil {
		log.Fatal(err)
	}
	url, err := avatars.URL(avatarmw.Avatar{
		Type:           "gravatar",
		ID:             "0BC83CB571CD1C50BA6F3E8A78EF1346",
		Transformation: "w_90,h_90,c_fill/b_rgb:F0F0F0,c_pad,w_120,h_90",
		Format:         "jpeg",
	})
	fmt.Println(url, err)

	_, err = avatars.URL(avatarmw.Avatar{Type: "facebook", ID: "65646572251", Transformation: "w_ninety"})
	fmt.Println(err)
	// Output:
	// /avatars/gravatar/c_fill,h_90,w_90/b_rgb:f0f0f0,c_pad,h_90,w_120/0bc83cb571cd1c50ba6f3e8a78ef1346.jpg <nil>
	// w_ninety: width must be a positive integer or a fraction in (0,1]
}
