package parser

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/lang"
)

// testChunk is one piece of a chunked test file.
type testChunk struct {
	line   int    // line of the testChunk's first line in the test file
	src    []byte // the source, markers removed
	expect map[int]*regexp.Regexp
}

var markerRE = regexp.MustCompile("###\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|`[^`]*`)\\s*$")

// readChunks splits a chunked test file at `---` lines. A line that
// starts with # is a test-file comment and is blanked; `### "regexp"` at
// the end of a line expects an error on that line and is cut off.
func readChunks(t *testing.T, path string) []testChunk {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []testChunk
	cur := testChunk{line: 1, expect: map[int]*regexp.Regexp{}}
	var src [][]byte
	for i, line := range bytes.Split(data, []byte("\n")) {
		if string(line) == "---" {
			cur.src = bytes.Join(src, []byte("\n"))
			out = append(out, cur)
			cur, src = testChunk{line: i + 2, expect: map[int]*regexp.Regexp{}}, nil
			continue
		}
		if bytes.HasPrefix(line, []byte("#")) {
			line = nil
		}
		if m := markerRE.FindSubmatchIndex(line); m != nil {
			lit := string(line[m[2]:m[3]])
			pattern, err := strconv.Unquote(lit)
			if err != nil {
				t.Fatalf("%s:%d: bad marker %s: %v", path, i+1, lit, err)
			}
			cur.expect[len(src)+1] = regexp.MustCompile(pattern)
			line = line[:m[0]]
		}
		src = append(src, line)
	}
	cur.src = bytes.Join(src, []byte("\n"))
	return append(out, cur)
}

func TestErrors(t *testing.T) {
	const path = "testdata/errors.vle"
	for _, c := range readChunks(t, path) {
		checkChunk(t, path, c)
	}
}

// checkChunk parses a chunk and requires exactly the errors its markers
// expect, each with a valid position in the chunk and no internal error.
// It returns the errors.
func checkChunk(t *testing.T, path string, c testChunk) []*lang.Error {
	t.Helper()
	_, err := Parse("chunk.vle", c.src)
	found := map[int]bool{}
	diags := lang.Diagnostics(err)
	for _, e := range diags {
		if !e.Pos.IsValid() || e.Pos.File != "chunk.vle" || strings.Contains(e.Msg, "internal error") {
			t.Errorf("%s:%d: error without a valid position, or internal: %v", path, c.line, e)
			continue
		}
		line := c.line + e.Pos.Line - 1
		re, ok := c.expect[e.Pos.Line]
		switch {
		case !ok:
			t.Errorf("%s:%d: unexpected error: %s", path, line, e.Msg)
		case !re.MatchString(e.Msg):
			t.Errorf("%s:%d: error %q does not match %q", path, line, e.Msg, re)
		default:
			found[e.Pos.Line] = true
		}
	}
	for l, re := range c.expect {
		if !found[l] {
			t.Errorf("%s:%d: expected an error matching %q", path, c.line+l-1, re)
		}
	}
	return diags
}

// TestErrorCarets checks the full text a user sees, caret included.
func TestErrorCarets(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{
			"sim {\n\tdt = 10m\n}\n",
			"in.vle:2:7: unknown unit \"m\" in 10m; units are ns, us, ms, s, min, Hz, kHz; write 10min for minutes or 10ms for milliseconds\n" +
				"    \tdt = 10m\n" +
				"    \t     ^\n",
		},
		{
			"population h[2] : gle(tau_m = 1 learnable tau_r = 2)\n",
			"in.vle:1:43: unexpected name tau_r, expected \")\"\n" +
				"    population h[2] : gle(tau_m = 1 learnable tau_r = 2)\n" +
				"                                              ^\n",
		},
		{
			"/* µs */ const u = \"unclosed\n",
			"in.vle:1:20: string literal not terminated: a string needs a closing \" on the same line\n" +
				"    /* µs */ const u = \"unclosed\n" +
				"                       ^\n",
		},
	} {
		_, err := Parse("in.vle", []byte(tc.src))
		got := lang.Sources{"in.vle": []byte(tc.src)}.Format(err)
		if got != tc.want {
			t.Errorf("Parse(%q):\n got:\n%s\nwant:\n%s", tc.src, got, tc.want)
		}
	}
}

// TestErrorListShape checks that errors come back as a sorted
// lang.ErrorList of *lang.Error.
func TestErrorListShape(t *testing.T) {
	_, err := Parse("l.vle", []byte("const a = 1$\nconst b = 'x'\nconst c = 9q"))
	list, ok := err.(lang.ErrorList)
	if !ok {
		t.Fatalf("error is %T, want lang.ErrorList", err)
	}
	var lines []string
	for _, e := range list {
		lines = append(lines, e.Pos.String())
	}
	if got := strings.Join(lines, " "); got != "l.vle:1:12 l.vle:2:11 l.vle:2:13 l.vle:3:11" {
		t.Errorf("positions %s", got)
	}
}
