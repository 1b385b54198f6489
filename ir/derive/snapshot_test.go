package derive_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/vlec-dev/vlec/ir/derive"
	"github.com/vlec-dev/vlec/lang/check"
)

var update = flag.Bool("update", false, "rewrite the snapshot files in testdata")

// TestSnapshots pins the printed equations of the examples, in ASCII and
// LaTeX. Run with -update after an intended change, and read the diff.
func TestSnapshots(t *testing.T) {
	for _, name := range []string{"chain2", "mlp"} {
		m, src, err := check.Load(filepath.Join("../../examples", name+".vle"))
		if err != nil {
			t.Fatal(src.Format(err))
		}
		sys, err := derive.Derive(m)
		if err != nil {
			t.Fatal(src.Format(err))
		}
		for ext, got := range map[string]string{".txt": sys.String(), ".tex": sys.LaTeX()} {
			path := filepath.Join("testdata", name+ext)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s changed; got:\n%s", path, got)
			}
		}
	}
}
