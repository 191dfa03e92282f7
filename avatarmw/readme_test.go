package avatarmw

import (
	"flag"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Go code the documentation shows is code the compiler checks. A fenced go block in README.md
// or docs/*.md preceded by a line
//
//	<!-- go: <file> <func> <mode> -->
//
// (the file relative to the repository's root) must be, byte for byte, what mode makes of the
// function:
//
//   - body: the function's body, one tab less indented;
//   - program: a complete program: "package main", the imports the body uses, and the body as
//     func main's;
//   - func: the imports the function uses, then the function as written.
//
// Docs without such a line are not checked; TestDocsShowCheckedCode makes sure README.md has
// them where it shows how to mount the handler, build URLs and test an app. After changing the
// code, go test ./avatarmw -run TestDocsShowCheckedCode -update-docs rewrites the blocks.
var snippetMarker = regexp.MustCompile("(?m)^<!-- go: (\\S+) (\\S+) (body|program|func) -->\n```go\n((?s:.*?))```\n")

var updateDocs = flag.Bool("update-docs", false, "rewrite the checked Go blocks of README.md and docs/*.md from the code")

func TestDocsShowCheckedCode(t *testing.T) {
	docs, err := filepath.Glob("../docs/*.md")
	require.NoError(t, err)
	docs = append([]string{"../README.md"}, docs...)
	seen := map[string]bool{}
	for _, doc := range docs {
		text, err := os.ReadFile(doc)
		require.NoError(t, err)
		updated := snippetMarker.ReplaceAllStringFunc(string(text), func(block string) string {
			m := snippetMarker.FindStringSubmatch(block)
			file, fn, mode, shown := m[1], m[2], m[3], m[4]
			want := snippet(t, filepath.Join("..", file), fn, mode)
			if !*updateDocs {
				assert.Equal(t, want, shown, "%s shows %s's %s of %s: make them the same (-update-docs)", doc, file, mode, fn)
			}
			seen[filepath.Base(doc)+" "+fn] = true
			return block[:len(block)-len(shown)-len("```\n")] + want + "```\n"
		})
		if *updateDocs && updated != string(text) {
			require.NoError(t, os.WriteFile(doc, []byte(updated), 0o644))
			t.Logf("rewrote %s", doc)
		}
	}
	for _, want := range []string{
		"README.md Example",                      // mounting the handler
		"README.md ExampleHandler_URL",           // building URLs in Go
		"README.md ExampleHandler_TemplateFuncs", // and in templates
		"README.md TestYourAppWithTheFakeNetworks",
	} {
		assert.True(t, seen[want], "README.md shows no checked snippet of %s", want)
	}
}

// snippet returns what mode makes of the function fn of file (see snippetMarker).
func snippet(t *testing.T, file, fn, mode string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	require.NoError(t, err)
	var decl *ast.FuncDecl
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == fn && fd.Recv == nil {
			decl = fd
		}
	}
	require.NotNil(t, decl, "%s has no func %s", file, fn)
	off := func(p token.Pos) int { return fset.Position(p).Offset }

	body := string(src[off(decl.Body.Lbrace)+1 : off(decl.Body.Rbrace)])
	body = strings.TrimPrefix(strings.TrimSuffix(body, "\n"), "\n")
	var lines []string
	for _, line := range strings.Split(body, "\n") {
		lines = append(lines, strings.TrimPrefix(line, "\t"))
	}
	if mode == "body" {
		return strings.Join(lines, "\n") + "\n"
	}

	var code string
	switch mode {
	case "program":
		code = "package main\n\n" + importsUsed(f, decl) + "\nfunc main() {\n" + body + "\n}\n"
	case "func":
		code = "package p\n\n" + importsUsed(f, decl) + "\n" + string(src[off(decl.Pos()):off(decl.End())]) + "\n"
	}
	out, err := format.Source([]byte(code))
	require.NoError(t, err, code)
	if mode == "func" {
		out = []byte(strings.TrimPrefix(string(out), "package p\n\n"))
	}
	return string(out)
}

// importsUsed returns the import declaration of the imports of f that decl uses: the standard
// library's first, then the others, as goimports groups them.
func importsUsed(f *ast.File, decl *ast.FuncDecl) string {
	used := map[string]bool{}
	ast.Inspect(decl, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	var std, other []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		name := path.Base(p)
		if regexp.MustCompile(`^v[0-9]+$`).MatchString(name) {
			name = path.Base(path.Dir(p))
		}
		line := imp.Path.Value
		if imp.Name != nil {
			name = imp.Name.Name
			line = name + " " + line
		}
		if !used[name] {
			continue
		}
		if strings.Contains(strings.SplitN(p, "/", 2)[0], ".") {
			other = append(other, line)
		} else {
			std = append(std, line)
		}
	}
	slices.Sort(std)
	slices.Sort(other)
	groups := []string{}
	for _, g := range [][]string{std, other} {
		if len(g) > 0 {
			groups = append(groups, "\t"+strings.Join(g, "\n\t"))
		}
	}
	return "import (\n" + strings.Join(groups, "\n\n") + "\n)\n"
}

// docsComingSoon are documentation files README.md links to that other work adds.
var docsComingSoon = map[string]bool{
	"docs/limits.md": true, "docs/operations.md": true, "docs/store.md": true,
	"docs/faces.md": true, "docs/cloudinary.md": true,
}

// TestDocsLinks: every relative link of README.md and docs/*.md names a file of the repository,
// and a heading of it when it has a #fragment, so that the front door never sends a reader nowhere.
func TestDocsLinks(t *testing.T) {
	docs, err := filepath.Glob("../docs/*.md")
	require.NoError(t, err)
	docs = append([]string{"../README.md"}, docs...)
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, doc := range docs {
		text, err := os.ReadFile(doc)
		require.NoError(t, err)
		for _, m := range link.FindAllStringSubmatch(string(text), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, frag, _ := strings.Cut(target, "#")
			p := doc
			if file != "" {
				p = filepath.Join(filepath.Dir(doc), file)
			}
			rel, _ := filepath.Rel("..", p)
			body, err := os.ReadFile(p)
			if err != nil {
				assert.True(t, docsComingSoon[filepath.ToSlash(rel)], "%s links to %s, which does not exist", doc, target)
				continue
			}
			if frag != "" {
				assert.Contains(t, headingAnchors(string(body)), frag, "%s links to %s: no such heading", doc, target)
			}
		}
	}
}

// headingAnchors returns the anchors GitHub gives the headings of a Markdown text: lower case,
// spaces to '-', punctuation other than '-' and '_' dropped.
func headingAnchors(md string) []string {
	var out []string
	inCode := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		var b strings.Builder
		for _, r := range h {
			switch {
			case r == ' ':
				b.WriteByte('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		out = append(out, b.String())
	}
	return out
}
