package avatarmw_test

import (
	"fmt"
	"html/template"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/avatarkit/avatarkit/avatarmw"
	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// Mounting avatarkit in an existing app. README.md shows this function as a whole program, with
// its imports (TestDocsShowCheckedCode keeps the two in step).
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
// and every parameter, writes the canonical form, and signs the URL when the handler has Secrets.
func ExampleHandler_URL() {
	avatars, err := avatarmw.New(avatarmw.Config{})
	if err != nil {
		log.Fatal(err)
	}
	url, err := avatars.URL(avatarmw.Avatar{Type: "gravatar", ID: "0BC83CB571CD1C50BA6F3E8A78EF1346",
		Transformation: "w_90,h_90,c_fill/r_max", Format: "jpeg"})
	fmt.Println(url, err)
	_, err = avatars.URL(avatarmw.Avatar{Type: "facebook", ID: "65646572251", Transformation: "w_ninety"})
	fmt.Println(err)
	// Output:
	// /avatars/gravatar/c_fill,h_90,w_90/r_max/0bc83cb571cd1c50ba6f3e8a78ef1346.jpg <nil>
	// w_ninety: width must be a positive integer or a fraction in (0,1]
}

// Avatar URLs in html/template: avatar writes one URL, avatarSrcset the same picture at 1×, 2× and
// 3× for high-density screens. A bad avatar stops Execute with an error that names it.
func ExampleHandler_TemplateFuncs() {
	avatars, err := avatarmw.New(avatarmw.Config{})
	if err != nil {
		log.Fatal(err)
	}
	page := template.Must(template.New("page").Funcs(avatars.TemplateFuncs()).Parse(`
<img src="{{avatar "facebook" .ID "c_thumb,g_face,h_90,w_90" "jpg"}}"
     srcset="{{avatarSrcset "facebook" .ID "c_thumb,g_face,h_90,w_90" "jpg"}}"
     width="90" height="90" alt="{{.Name}}">`))

	err = page.Execute(os.Stdout, struct{ ID, Name string }{"65646572251", "Ada"})
	fmt.Println(err)
	err = page.Execute(io.Discard, struct{ ID, Name string }{"ada@example.com", "Ada"})
	fmt.Println(err)
	// Output:
	// <img src="/avatars/facebook/c_thumb,g_face,h_90,w_90/65646572251.jpg"
	//      srcset="/avatars/facebook/c_thumb,g_face,h_90,w_90/65646572251.jpg 1x, /avatars/facebook/c_thumb,dpr_2.0,g_face,h_90,w_90/65646572251.jpg 2x, /avatars/facebook/c_thumb,dpr_3.0,g_face,h_90,w_90/65646572251.jpg 3x"
	//      width="90" height="90" alt="Ada"><nil>
	// template: page:2:12: executing "page" at <avatar "facebook" .ID "c_thumb,g_face,h_90,w_90" "jpg">: error calling avatar: facebook "ada@example.com" "c_thumb,g_face,h_90,w_90" "jpg": ada@example.com.jpg: malformed identifier: want 1 to 128 characters of [A-Za-z0-9_~-]
}

// An app's own test, against the fake networks of package fetchtest: no network, no credentials,
// the same users every time. README.md shows this function with its imports.
func TestYourAppWithTheFakeNetworks(t *testing.T) {
	fake := fetchtest.NewServer() // Facebook, X and Gravatar on a loopback port
	defer fake.Close()
	avatars, err := avatarmw.New(avatarmw.Config{Fetch: fake.FetchConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer avatars.Close()
	mux := http.NewServeMux() // your app's mux
	mux.Handle("/avatars/", avatars)
	app := httptest.NewServer(avatars.Front(mux))
	defer app.Close()

	user := fetchtest.Users[0] // a fixed population; also fetchtest.MissingFacebookID, ...
	res, err := http.Get(app.URL + "/avatars/facebook/c_fill,h_90,w_90/" + user.ID + ".png")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
		t.Errorf("got %s %s", res.Status, res.Header.Get("X-Avatar-Error"))
	}

	// The networks misbehave on demand: here Facebook's API is down for a user not cached yet.
	fake.SetFault(fetchtest.FacebookLookup, fetchtest.Fault{Status: http.StatusServiceUnavailable})
	res, err = http.Get(app.URL + "/avatars/facebook/w_90/" + fetchtest.Users[1].ID + ".jpg")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadGateway {
		t.Errorf("with Facebook down: %s %s", res.Status, res.Header.Get("X-Avatar-Error"))
	}
}
