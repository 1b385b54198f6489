package parser

import (
	goflag "flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/lang"
)

var update = goflag.Bool("update", false, "rewrite lang/grammar.ebnf from the built grammar")

const grammarFile = "../lang/grammar.ebnf"

// TestGrammarFile keeps lang/grammar.ebnf equal to the grammar participle
// builds; run `go test ./parser -run TestGrammarFile -update` after
// changing grammar.go.
func TestGrammarFile(t *testing.T) {
	want := Grammar() + "\n"
	if *update {
		if err := os.WriteFile(grammarFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(grammarFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is out of date; run go test ./parser -run TestGrammarFile -update\nbuilt grammar:\n%s", grammarFile, want)
	}
}

// TestSpecGrammar requires lang/SPEC.md to quote the grammar verbatim.
func TestSpecGrammar(t *testing.T) {
	spec, err := os.ReadFile("../lang/SPEC.md")
	if err != nil {
		t.Fatal(err)
	}
	block := "```ebnf\n" + Grammar() + "\n```\n"
	if !strings.Contains(string(spec), block) {
		t.Errorf("lang/SPEC.md does not contain the grammar in an ebnf block; paste lang/grammar.ebnf into it")
	}
}

// FuzzParse checks that Parse never panics and that every error it
// returns carries a valid position.
func FuzzParse(f *testing.F) {
	for _, c := range readChunks(&testing.T{}, "testdata/errors.vle") {
		f.Add(c.src)
	}
	for _, p := range badFiles(f) {
		f.Add(readChunks(&testing.T{}, p)[0].src)
	}
	files, _ := filepath.Glob("testdata/*.vle")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add(genModel(4 << 10))
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse("fuzz.vle", src)
		for _, e := range lang.Diagnostics(err) {
			if !e.Pos.IsValid() || e.Pos.File != "fuzz.vle" {
				t.Fatalf("error without a valid position: %v", e)
			}
			if strings.Contains(e.Msg, "internal error") {
				t.Fatalf("%v", e)
			}
		}
		if err == nil && file == nil {
			t.Fatal("nil file without an error")
		}
	})
}
