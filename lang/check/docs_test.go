package check_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/parser"
)

// docs are the Markdown files whose .vle snippets are tested: every
// ```-fenced block without an info string, or with `vle`, is .vle source
// (output and other languages are fenced as ```text, ```sh, ...).
var docs = []string{"../../README.md", "../SPEC.md"}

// snippet is one fenced block of a document.
type snippet struct {
	doc  string
	line int // of the opening fence
	info string
	body string
}

// isVLE reports whether a block holds .vle source.
func (s snippet) isVLE() bool { return s.info == "" || s.info == "vle" }

// complete reports whether a snippet is a whole model: it starts with
// `model` and has more than the header.
func (s snippet) complete() bool {
	return strings.HasPrefix(s.body, "model ") && strings.Count(s.body, "\n") > 1
}

func (s snippet) String() string { return s.doc + ":" + strconv.Itoa(s.line) }

// TestDocumentedModels takes every complete model shown in README.md and
// lang/SPEC.md through every phase a run goes through (vlec.Check), beside
// copies of the examples it may name as teachers: it must have neither
// errors nor warnings.
func TestDocumentedModels(t *testing.T) {
	dir := examplesDir(t)
	n := 0
	for _, s := range vleSnippets(t) {
		if !s.complete() {
			continue
		}
		n++
		path := filepath.Join(dir, "doc.vle")
		if err := os.WriteFile(path, []byte(s.body), 0o644); err != nil {
			t.Fatal(err)
		}
		c, src, err := vlec.Check(path)
		switch {
		case err != nil:
			t.Errorf("the model at %s does not check:\n%s", s, src.Format(err))
		case len(c.Model.Warnings) > 0:
			t.Errorf("the model at %s has warnings:\n%s", s, src.Format(c.Model.Warnings))
		}
	}
	if n < 2 {
		t.Errorf("found %d documented models, expected the ones in README.md and SPEC.md", n)
	}
}

// TestREADMEShowsExample requires the model the README shows to be an
// example file exactly: the file from its `model` line on, byte for byte.
func TestREADMEShowsExample(t *testing.T) {
	shown := 0
	for _, s := range vleSnippets(t) {
		if !s.complete() || !strings.HasSuffix(s.doc, "README.md") {
			continue
		}
		name := strings.Fields(s.body)[1]
		src, err := os.ReadFile(filepath.Join("../../examples", name+".vle"))
		if err != nil {
			t.Errorf("%s shows model %s, which is not an example file: %v", s, name, err)
			continue
		}
		body := string(src)
		if i := strings.Index(body, "\nmodel "); i >= 0 && !strings.HasPrefix(body, "model ") {
			body = body[i+1:]
		}
		if s.body != body {
			t.Errorf("%s shows model %s, but not as examples/%s.vle has it (from its `model` line on); copy the file into the README", s, name, name)
		}
		shown++
	}
	if shown == 0 {
		t.Errorf("README.md shows no example model")
	}
}

// harness is the model a partial snippet is parsed in, and a sim or
// learn block is checked in, in place of the harness's own.
const harness = `model harness
import "std/gle"
sim { dt = 1ms; duration = 2s }
input x[1] = sine(freq = 1Hz)
population h[1] : gle(tau_m = 20ms learnable)
population y[1] : gle(tau_m = 20ms learnable)
connect x -> h W0 = [[0.5]] plastic
connect h -> y W1 = [[0.5]] plastic
energy {
  mismatch(h) + mismatch(y)
  0.1 * loss(mse(y.r, x))
}
learn { lr = 0.01 }
`

// blockDecl matches a snippet that is one sim or learn block.
var blockDecl = regexp.MustCompile(`^(sim|learn) \{`)

// TestDocumentedSnippets parses every partial .vle snippet (declarations)
// of README.md and lang/SPEC.md inside the harness model; a snippet that
// is a whole sim or learn block replaces the harness's own and the result
// must check without errors.
func TestDocumentedSnippets(t *testing.T) {
	dir := examplesDir(t)
	n, blocks := 0, 0
	for _, s := range vleSnippets(t) {
		if s.complete() {
			continue
		}
		n++
		src := harness + s.body
		if strings.HasPrefix(s.body, "model ") { // a lone header
			src = s.body + strings.SplitN(harness, "\n", 2)[1]
		}
		if _, err := parser.Parse("doc.vle", []byte(src)); err != nil {
			t.Errorf("the snippet at %s does not parse in a model:\n%s\n%v", s, s.body, err)
			continue
		}
		m := blockDecl.FindStringSubmatch(s.body)
		if m == nil {
			continue
		}
		blocks++
		re := regexp.MustCompile(`(?m)^` + m[1] + ` \{.*\}\n`)
		path := filepath.Join(dir, "block.vle")
		if err := os.WriteFile(path, []byte(re.ReplaceAllLiteralString(harness, "")+s.body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, srcs, err := vlec.Check(path); err != nil {
			t.Errorf("the %s block at %s does not check in a model:\n%s", m[1], s, srcs.Format(err))
		}
	}
	if n < 10 || blocks < 2 {
		t.Errorf("found %d partial snippets, %d of them sim or learn blocks; expected the SPEC's", n, blocks)
	}
}

// TestHarnessIsClean keeps the harness itself a clean model, so a failing
// snippet is the snippet's fault.
func TestHarnessIsClean(t *testing.T) {
	path := filepath.Join(t.TempDir(), "harness.vle")
	if err := os.WriteFile(path, []byte(harness), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, src, err := vlec.Check(path); err != nil {
		t.Fatalf("harness:\n%s", src.Format(err))
	}
}

// examplesDir is a temporary directory holding copies of the examples, so
// documented models may name them as teachers.
func examplesDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	examples, _ := filepath.Glob("../../examples/*.vle")
	for _, e := range examples {
		src, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(e)), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// vleSnippets returns the .vle blocks of the documents.
func vleSnippets(t *testing.T) []snippet {
	t.Helper()
	var out []snippet
	for _, doc := range docs {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range fencedBlocks(filepath.Base(doc), string(text)) {
			if s.isVLE() {
				out = append(out, s)
			}
		}
	}
	return out
}

// fencedBlocks returns the ``` blocks of a Markdown text.
func fencedBlocks(doc, text string) []snippet {
	var blocks []snippet
	var cur *snippet
	var lines []string
	for i, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "```") {
			if cur != nil {
				lines = append(lines, line)
			}
			continue
		}
		if cur != nil {
			cur.body = strings.Join(lines, "\n") + "\n"
			blocks = append(blocks, *cur)
			cur, lines = nil, nil
			continue
		}
		cur = &snippet{doc: doc, line: i + 1, info: strings.TrimSpace(strings.TrimPrefix(line, "```"))}
	}
	return blocks
}
