package check_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
)

// TestErrors checks testdata/errors.vle: chunks separated by lines of
// `---`, each a whole file, with `// ### "regexp"` on every line where an
// error is expected. Every expected error must be reported on its line and
// no other error may be.
func TestErrors(t *testing.T) {
	src, err := os.ReadFile("testdata/errors.vle")
	if err != nil {
		t.Fatal(err)
	}
	marker := regexp.MustCompile(`### "((?:[^"\\]|\\.)*)"`)
	for i, chunk := range splitChunks(string(src)) {
		expect := map[int][]*regexp.Regexp{}
		for n, line := range strings.Split(chunk.text, "\n") {
			for _, m := range marker.FindAllStringSubmatch(line, -1) {
				expect[n+1] = append(expect[n+1], regexp.MustCompile(strings.ReplaceAll(m[1], `\"`, `"`)))
			}
		}
		path := writeChunk(t, chunk.text)
		_, _, err := check.Load(path)
		for _, e := range lang.Diagnostics(err) {
			if e.Pos.File != path {
				t.Errorf("chunk %d (line %d): error in another file: %v", i, chunk.line, e)
				continue
			}
			if !matchOne(expect, e) {
				t.Errorf("chunk %d (testdata line %d): unexpected error at line %d: %s", i, chunk.line+e.Pos.Line-1, e.Pos.Line, e.Msg)
			}
		}
		for line, res := range expect {
			for _, re := range res {
				t.Errorf("chunk %d (testdata line %d): expected error matching %q, got none", i, chunk.line+line-1, re)
			}
		}
	}
}

// matchOne removes the first expectation on e's line that e matches.
func matchOne(expect map[int][]*regexp.Regexp, e *lang.Error) bool {
	res := expect[e.Pos.Line]
	for k, re := range res {
		if re.MatchString(e.Msg) {
			expect[e.Pos.Line] = append(res[:k:k], res[k+1:]...)
			if len(expect[e.Pos.Line]) == 0 {
				delete(expect, e.Pos.Line)
			}
			return true
		}
	}
	return false
}

type chunk struct {
	text string
	line int // first line in the testdata file
}

func splitChunks(src string) []chunk {
	var out []chunk
	var cur []string
	start := 1
	for n, line := range strings.Split(src, "\n") {
		if strings.TrimSpace(line) == "---" {
			out = append(out, chunk{strings.Join(cur, "\n"), start})
			cur, start = nil, n+2
			continue
		}
		cur = append(cur, line)
	}
	return append(out, chunk{strings.Join(cur, "\n"), start})
}

// writeChunk writes a chunk into a temporary directory beside copies of
// the helper files in testdata, so relative paths in it find them (and the
// source tree, which other packages' tests walk, stays untouched).
func writeChunk(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	helpers, _ := filepath.Glob("testdata/*.vle")
	for _, h := range helpers {
		if filepath.Base(h) == "errors.vle" {
			continue
		}
		data, err := os.ReadFile(h)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(h)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "chunk.vle")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
