package kern

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSourceComplete checks that Source holds exactly the package's
// non-test .go and .s files.
func TestSourceComplete(t *testing.T) {
	var want []string
	for _, pat := range []string{"*.go", "*.s"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			if !strings.HasSuffix(f, "_test.go") {
				want = append(want, f)
			}
		}
	}
	got := sourceFiles(t)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("Source holds %v, the package's files are %v: update the go:embed lines of source.go", got, want)
	}
}

func sourceFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := fs.WalkDir(Source, ".", func(path string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// TestSourceBuilds copies Source into a module of its own (module
// kerntest, go 1.26, no requirements) and builds it offline, as vlec gen
// go does: verbatim, without source.go, and for arm64 (the Go paths).
func TestSourceBuilds(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	for _, tc := range []struct {
		name   string
		skip   string // a file left out of the copy
		goarch string
	}{{"verbatim", "", ""}, {"without source.go", "source.go", ""}, {"arm64", "source.go", "arm64"}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeSource(t, dir, tc.skip)
			cmd := exec.Command(goCmd, "build", "./...")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local", "GOPROXY=off")
			if tc.goarch != "" {
				cmd.Env = append(cmd.Env, "GOARCH="+tc.goarch)
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build of the copied package: %v\n%s", err, out)
			}
		})
	}
}

// writeSource writes go.mod and the files of Source except skip into dir.
func writeSource(t *testing.T, dir, skip string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module kerntest\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range sourceFiles(t) {
		if f == skip {
			continue
		}
		data, err := fs.ReadFile(Source, f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
