package hdf5

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead: the reader returns an error, never panics (nor allocates
// without bound), whatever the bytes; what it reads can be written.
func FuzzRead(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.h5"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, g := range goldens {
		b, err := g.make().MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte{})
	f.Add(append([]byte{}, signature...))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		_, _ = file.MarshalBinary()
	})
}

// Corrupting any single byte of a written file gives an error or a
// file, never a panic; checksums catch corrupted metadata.
func TestReadCorrupt(t *testing.T) {
	b, err := nirGraph().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var caught int
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x5a
		if _, err := Read(bytes.NewReader(c), int64(len(c))); err != nil {
			caught++
		}
		if _, err := Read(bytes.NewReader(b[:i]), int64(i)); err == nil {
			t.Fatalf("truncated to %d bytes: no error", i)
		}
	}
	if caught == 0 {
		t.Fatal("no corruption detected")
	}
}
