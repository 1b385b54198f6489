package format

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vlec-dev/vlec/parser"
)

// FuzzFormat formats every input that parses: the output parses to the
// same tree, keeps every comment, and formatting it again changes
// nothing. It is seeded from the test inputs and the examples.
func FuzzFormat(f *testing.F) {
	for _, pattern := range []string{"testdata/*.vle", "../../examples/*.vle", "../../parser/testdata/*.vle"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if _, err := parser.Parse("fuzz.vle", src); err != nil {
			return
		}
		checkRoundTrip(t, "fuzz.vle", src)
	})
}
