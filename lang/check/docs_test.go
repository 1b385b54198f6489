package check_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/lang/check"
)

// TestDocumentedModels checks every complete model shown in README.md and
// lang/SPEC.md (a fenced block that starts with `model`), beside copies of
// the examples it may name as teachers.
func TestDocumentedModels(t *testing.T) {
	dir := t.TempDir()
	examples, _ := filepath.Glob("../../examples/*.vle")
	for _, e := range examples {
		src, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, filepath.Base(e)), src, 0o644)
	}
	n := 0
	for _, doc := range []string{"../../README.md", "../SPEC.md"} {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range fencedBlocks(string(text)) {
			if !strings.HasPrefix(b, "model ") || strings.Count(b, "\n") < 2 { // a lone header is not a model
				continue
			}
			n++
			path := filepath.Join(dir, "doc.vle")
			if err := os.WriteFile(path, []byte(b), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, src, err := check.Load(path); err != nil {
				t.Errorf("a model in %s does not check:\n%s\n%s", doc, b, src.Format(err))
			}
		}
	}
	if n < 2 {
		t.Errorf("found %d documented models, expected the ones in README.md and SPEC.md", n)
	}
}

// fencedBlocks returns the contents of the ``` blocks of a Markdown text.
func fencedBlocks(text string) []string {
	var blocks []string
	var cur []string
	in := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			if in {
				blocks = append(blocks, strings.Join(cur, "\n")+"\n")
			}
			in, cur = !in, nil
			continue
		}
		if in {
			cur = append(cur, line)
		}
	}
	return blocks
}
