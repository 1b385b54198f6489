package parser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/lang"
)

// badFiles lists the corpus of malformed input in testdata/bad: one
// mistake a user makes per file, its expected errors marked with
// `### "regexp"` as in testdata/errors.vle. FuzzParse starts from them.
func badFiles(t testing.TB) []string {
	files, err := filepath.Glob("testdata/bad/*.vle")
	if err != nil || len(files) == 0 {
		t.Fatalf("no files in testdata/bad: %v", err)
	}
	return files
}

// TestBadCorpus parses every file of the corpus: each gives the errors
// its markers expect, at their lines, each with a valid position, and
// the caret snippet of each can be drawn. No file parses cleanly.
func TestBadCorpus(t *testing.T) {
	for _, path := range badFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".vle"), func(t *testing.T) {
			chunks := readChunks(t, path)
			if len(chunks) != 1 || len(chunks[0].expect) == 0 {
				t.Fatalf("%s: want one chunk with at least one ### marker", path)
			}
			diags := checkChunk(t, path, chunks[0])
			if len(diags) == 0 {
				t.Fatalf("%s: parsed without an error", path)
			}
			_, err := Parse("chunk.vle", chunks[0].src)
			snippets := lang.Sources{"chunk.vle": chunks[0].src}.Format(err)
			if strings.Count(snippets, "chunk.vle:") != len(diags) {
				t.Errorf("%s: snippets\n%s", path, snippets)
			}
		})
	}
}

// TestBadCorpusFromDisk reads the corpus through ParseFile, as vlec does:
// the same errors come back, positioned in the file.
func TestBadCorpusFromDisk(t *testing.T) {
	dir := t.TempDir()
	for _, path := range badFiles(t) {
		src := readChunks(t, path)[0].src
		p := filepath.Join(dir, filepath.Base(path))
		if err := os.WriteFile(p, src, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := ParseFile(p)
		d := lang.Diagnostics(err)
		if len(d) == 0 {
			t.Errorf("%s: no error", path)
		}
		for _, e := range d {
			if !e.Pos.IsValid() || e.Pos.File != p {
				t.Errorf("%s: %v", path, e)
			}
		}
	}
}
