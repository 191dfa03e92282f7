package avatarmw

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/avatarkit/avatarkit/imageops"
)

// TestErrorReasonsAreASCII: a reason with "×", "…" or another non-ASCII character reaches the
// client in printable ASCII, the same in the body and in X-Avatar-Error.
func TestErrorReasonsAreASCII(t *testing.T) {
	assert.Equal(t, "the source is 3000x2000 px; use sepia[:...], -5 ?", headerText("the source is 3000×2000 px; use sepia[:…], −5 ✓"))
	assert.Equal(t, "plain", headerText("plain"))

	h, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.fail(rec, httptest.NewRequest("GET", "/avatars/x", nil), &imageops.Error{Kind: imageops.KindSourceLimit, Msg: "the source is 9000×9000 px"})
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	assert.Equal(t, "the source is 9000x9000 px", rec.Header().Get("X-Avatar-Error"))
	assert.Equal(t, "the source is 9000x9000 px\n", rec.Body.String())
}
