package jpeg

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var writeTestdata = flag.Bool("write-testdata", false, "write the JPEGs of testdata/ with cjpeg, jpegtran and Pillow")

// TestWriteTestdata writes the committed test files, made by other encoders than this package's
// test encoder, when run with -write-testdata (it needs Debian's libjpeg-turbo-progs and
// python3-pil):
//
//	go test ./imageops/internal/jpeg -run TestWriteTestdata -write-testdata
//
// The pictures are photoPlanes (encoder_test.go); see testdata/README.md.
func TestWriteTestdata(t *testing.T) {
	if !*writeTestdata {
		t.Skip("run with -write-testdata to write testdata/*.jpg")
	}
	for _, tool := range []string{"cjpeg", "jpegtran", "/usr/bin/python3"} {
		_, err := exec.LookPath(tool)
		require.NoError(t, err, "%s (apt-get install libjpeg-turbo-progs python3-pil)", tool)
	}
	tmp := t.TempDir()
	ppm := func(w, h int) string {
		p := photoPlanes(w, h, uint64(w*31+h))
		var b bytes.Buffer
		fmt.Fprintf(&b, "P6\n%d %d\n255\n", w, h)
		for i := range w * h {
			b.Write([]byte{p[0][i], p[1][i], p[2][i]})
		}
		name := filepath.Join(tmp, fmt.Sprintf("%dx%d.ppm", w, h))
		require.NoError(t, os.WriteFile(name, b.Bytes(), 0o644))
		return name
	}
	run := func(out string, name string, args ...string) {
		cmd := exec.Command(name, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), "%s %v: %s", name, args, stderr.String())
		if out != "" {
			require.NoError(t, os.WriteFile(filepath.Join("testdata", out), stdout.Bytes(), 0o644))
		}
	}
	small, medium := ppm(61, 47), ppm(160, 120)

	// A scan script with what libjpeg's default one lacks: non-interleaved DC scans, DC and AC
	// successive approximation over several bits, narrow spectral bands.
	script := filepath.Join(tmp, "scans.txt")
	require.NoError(t, os.WriteFile(script, []byte(`
0: 0 0 0 2;
1: 0 0 0 1;
2: 0 0 0 1;
0: 1 2 0 3;
0: 3 63 0 3;
1 : 1 63 0 2;
2 : 1 63 0 2;
0: 1 63 3 2;
0: 0 0 2 1;
1: 0 0 1 0;
2: 0 0 1 0;
0: 0 0 1 0;
1: 1 63 2 1;
2: 1 63 2 1;
0: 1 63 2 1;
0: 1 63 1 0;
1: 1 63 1 0;
2: 1 63 1 0;
`), 0o644))

	for _, c := range []struct {
		out  string
		args []string
		in   string
	}{
		{"cjpeg-progressive-420.jpg", []string{"-quality", "80", "-progressive", "-sample", "2x2"}, medium},
		{"cjpeg-progressive-422.jpg", []string{"-quality", "80", "-progressive", "-sample", "2x1"}, small},
		{"cjpeg-progressive-444.jpg", []string{"-quality", "80", "-progressive", "-sample", "1x1"}, small},
		{"cjpeg-progressive-440.jpg", []string{"-quality", "80", "-progressive", "-sample", "1x2"}, small},
		{"cjpeg-progressive-411.jpg", []string{"-quality", "80", "-progressive", "-sample", "4x1"}, small},
		{"cjpeg-progressive-410.jpg", []string{"-quality", "80", "-progressive", "-sample", "4x2"}, small},
		{"cjpeg-progressive-gray.jpg", []string{"-quality", "80", "-progressive", "-grayscale"}, medium},
		{"cjpeg-progressive-rgb.jpg", []string{"-quality", "80", "-progressive", "-rgb"}, small},
		{"cjpeg-progressive-restart.jpg", []string{"-quality", "80", "-progressive", "-restart", "1"}, small},
		{"cjpeg-progressive-script.jpg", []string{"-quality", "90", "-scans", script}, medium},
		{"cjpeg-baseline-420-restart.jpg", []string{"-quality", "75", "-optimize", "-restart", "2"}, small},
		{"cjpeg-arithmetic.jpg", []string{"-quality", "75", "-arithmetic"}, small},
	} {
		run(c.out, "cjpeg", append(c.args, c.in)...)
	}

	// CMYK from Pillow (cjpeg reads no CMYK), baseline and progressive.
	pil := `
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("CMYK")
im.save(sys.argv[2], quality=80)
im.save(sys.argv[3], quality=80, progressive=True)
`
	run("", "/usr/bin/python3", "-c", pil, medium, "testdata/pillow-cmyk.jpg", "testdata/pillow-progressive-cmyk.jpg")

	// jpegtran makes progressive versions of the test encoder's subsampled CMYK and YCCK files
	// (4 components, sampled 2×2, 1×1, 1×1, 2×2, as Photoshop writes YCCK).
	for _, name := range []string{"cmyk-2211", "ycck-2211"} {
		in := filepath.Join(tmp, name+".jpg")
		require.NoError(t, os.WriteFile(in, generate(kindNamed(t, name), 61, 47, 80), 0o644))
		run("jpegtran-progressive-"+name+".jpg", "jpegtran", "-progressive", "-copy", "all", in)
	}
}
