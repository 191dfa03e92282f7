package avatarmw

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeShowsTheExample keeps README.md's mounting snippet honest: it must be the body of
// Example in example_test.go, which the compiler checks.
func TestReadmeShowsTheExample(t *testing.T) {
	src, err := os.ReadFile("example_test.go")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?s)\nfunc Example\(\) \{\n(.*?)\n\}\n`).FindSubmatch(src)
	require.NotNil(t, m, "example_test.go has no func Example")
	var body []string
	for _, line := range strings.Split(string(m[1]), "\n") {
		body = append(body, strings.TrimPrefix(line, "\t"))
	}
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	assert.Contains(t, string(readme), strings.Join(body, "\n"), "README.md must show the body of Example verbatim")
}
