package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

type brokenWriter struct{ data []byte }

func (b brokenWriter) WriteTo(w io.Writer) (int64, error) {
	n, _ := w.Write(b.data)
	return int64(n), errors.New("broken")
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := WriteFile(path, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("two")); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if string(got) != "two" || fi.Mode().Perm() != Mode {
		t.Errorf("%q, mode %v", got, fi.Mode().Perm())
	}
	if n := entries(t, dir); len(n) != 1 {
		t.Errorf("left %v", n)
	}
}

// A failing writer leaves the old file as it was and no temporary file.
func TestWriteToFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	os.WriteFile(path, []byte("old"), 0o644)
	if err := WriteTo(path, brokenWriter{[]byte("partial")}); err == nil {
		t.Fatal("no error")
	}
	got, _ := os.ReadFile(path)
	if string(got) != "old" {
		t.Errorf("the target became %q", got)
	}
	if n := entries(t, dir); len(n) != 1 {
		t.Errorf("left %v", n)
	}
	var buf bytes.Buffer
	buf.WriteString("new")
	if err := WriteTo(path, &buf); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new" {
		t.Errorf("%q", got)
	}
}

// A missing directory is an error before anything is written; Abort
// leaves nothing.
func TestCreateAbort(t *testing.T) {
	dir := t.TempDir()
	if _, err := Create(filepath.Join(dir, "no", "such", "x")); err == nil {
		t.Error("created in a missing directory")
	}
	f, err := Create(filepath.Join(dir, "x"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("data")
	f.Abort()
	if n := entries(t, dir); len(n) != 0 {
		t.Errorf("left %v", n)
	}
	// a directory in the way: Commit fails, the temporary file goes
	os.Mkdir(filepath.Join(dir, "d"), 0o755)
	os.WriteFile(filepath.Join(dir, "d", "f"), nil, 0o644)
	f, err = Create(filepath.Join(dir, "d"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err == nil {
		t.Error("renamed over a non-empty directory")
	}
	if n := entries(t, dir); len(n) != 1 {
		t.Errorf("left %v", n)
	}
}
