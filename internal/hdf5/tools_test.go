package hdf5

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/internal/testtool"
)

// h5tool finds one of the HDF5 command-line tools (Debian package
// hdf5-tools); see testtool.Need.
func h5tool(t *testing.T, name string) string {
	t.Helper()
	return testtool.Need(t, "VLEC_H5DUMP", "install the Debian package hdf5-tools", name)
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(name), strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	return stdout.String()
}

// writeTemp writes f into a temporary file and returns its path.
func writeTemp(t *testing.T, f *File, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	return path
}

// h5dump, the HDF5 library's own reader, shows the types, shapes,
// values and strings of the written files as testdata/*.ddl says
// (go test -update rewrites those from h5dump's output).
func TestH5dump(t *testing.T) {
	h5dump := h5tool(t, "h5dump")
	for _, g := range goldens {
		path := writeTemp(t, g.make(), g.name)
		out := run(t, h5dump, path)
		// The first line names the file.
		_, body, _ := strings.Cut(out, "\n")
		ddl := filepath.Join("testdata", strings.TrimSuffix(g.name, ".h5")+".ddl")
		if *update {
			if err := os.WriteFile(ddl, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(ddl)
		if err != nil {
			t.Fatal(err)
		}
		if normalize(body) != normalize(string(want)) {
			t.Errorf("h5dump %s:\n%s\nwant (%s):\n%s", g.name, body, ddl, want)
		}
		// Format details: superblock 2, the two layouts.
		props := run(t, h5dump, "-B", "-H", "-p", path)
		for _, s := range []string{"SUPERBLOCK_VERSION 2", "COMPACT"} {
			if !strings.Contains(props, s) {
				t.Errorf("h5dump -B -H -p %s: no %q", g.name, s)
			}
		}
		if g.name == "nir_graph.h5" && !strings.Contains(props, "CONTIGUOUS") {
			t.Errorf("h5dump -B -H -p %s: no contiguous dataset", g.name)
		}
	}
}

func normalize(s string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		lines = append(lines, strings.TrimRight(l, " \t\r"))
	}
	return strings.Join(lines, "\n")
}

// h5dump shows every type and shape of TestRoundTripTypes without
// complaint, and h5ls lists every object.
func TestH5dumpAllTypes(t *testing.T) {
	h5dump := h5tool(t, "h5dump")
	f := NewFile()
	f.Root.SetAttr("names", NewStrings([]int{2}, []string{"a b", ""}))
	g := f.Root.Group("many")
	for i := range 40 {
		g.Group(string(rune('A'+i))).SetInt64("i", nil, []int64{int64(i)})
	}
	f.Root.Set("u8", NewInt(Uint8, []int{3}, []int64{0, 128, 255}))
	f.Root.Set("i16", NewInt(Int16, []int{2, 1}, []int64{-32768, 32767}))
	f.Root.Set("u64", NewInt(Uint64, nil, []int64{-1}))
	f.Root.Set("fixed", NewFixedStrings(4, []int{2}, []string{"ab", "cdef"}))
	f.Root.SetStrings("s3", []int{1, 2, 1}, []string{"x", "y"})
	f.Root.SetFloat64("empty", []int{0, 3}, nil)
	path := writeTemp(t, f, "types.h5")
	out := run(t, h5dump, path)
	for _, s := range []string{
		`(0): "a b", ""`,
		`H5T_STD_U8LE`, `(0): 0, 128, 255`,
		`H5T_STD_I16LE`, `(0,0): -32768,`, `(1,0): 32767`,
		`H5T_STD_U64LE`, `(0): 18446744073709551615`,
		`STRSIZE 4;`, `STRPAD H5T_STR_NULLPAD;`, `(0): "ab\000\000", "cdef"`,
		`SIMPLE { ( 1, 2, 1 ) / ( 1, 2, 1 ) }`, `(0,0,0): "x",`, `(0,1,0): "y"`,
		`SIMPLE { ( 0, 3 ) / ( 0, 3 ) }`,
		`GROUP "h" {`, `(0): 39`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("h5dump output lacks %q", s)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
	ls := run(t, h5tool(t, "h5ls"), "-r", path)
	if n := strings.Count(ls, "\n"); n != 2+40*2+6 { // "/", /many, 40 groups with a dataset each, 6 datasets
		t.Errorf("h5ls -r lists %d objects:\n%s", n, ls)
	}
}

// h5repack (the C library) rewrites a written file in the oldest format
// (superblock 0, symbol tables) with chunked, shuffled and deflated
// datasets, and in the latest format: dense link storage (fractal heap
// and version 2 B-tree) for every group, single-chunk and fixed array
// chunk indexes, all checksummed by the library. The reader reads them
// back to the same tree.
func TestH5repack(t *testing.T) {
	h5repack := h5tool(t, "h5repack")
	graph := nirGraph()
	big := NewFile()
	x := make([]float64, 3000)
	for i := range x {
		x[i] = float64(i) / 3
	}
	big.Root.SetFloat64("x", []int{3000}, x)
	strs := make([]string, 100)
	for i := range strs {
		strs[i] = fmt.Sprint("s", i)
	}
	big.Root.SetStrings("s", []int{10, 10}, strs)
	attrs := big.Root.Group("attrs")
	for i := range 20 {
		attrs.SetAttr(fmt.Sprint("a", i), NewInt64([]int{1}, []int64{int64(i)}))
	}
	links := big.Root.Group("links")
	for i := range 300 {
		links.Group(fmt.Sprint(i)).SetFloat32("tau", nil, []float32{float32(i)})
	}
	w := "/node/nodes/affine/weight"
	for _, c := range []struct {
		name string
		f    *File
		args []string
	}{
		{"old-gzip.h5", graph, []string{
			"-f", w + ":SHUF", "-f", w + ":GZIP=6", "-l", w + ":CHUNK=3x5",
			"-f", "/node/nodes/lif/tau:GZIP=1", "-l", "/node/nodes/lif/tau:CHUNK=3",
			"-f", "/node/edges:GZIP=1", "-l", "/node/edges:CHUNK=3x1",
		}},
		{"latest.h5", graph, []string{"-L"}},
		{"latest-chunked.h5", graph, []string{"-L",
			"-f", w + ":SHUF", "-f", w + ":GZIP=6", "-l", w + ":CHUNK=3x5", // fixed array
			"-l", "/node/nodes/lif/tau:CHUNK=8", // single chunk
			"-f", "/node/edges:GZIP=1", "-l", "/node/edges:CHUNK=4x2", // filtered single chunk
		}},
		{"old-big.h5", big, []string{"-l", "/x:CHUNK=7", "-f", "/x:GZIP=1", "-l", "/s:CHUNK=3x4"}},
		{"latest-big.h5", big, []string{"-L", "-l", "/x:CHUNK=2", "-l", "/s:CHUNK=3x4", "-f", "/s:GZIP=1"}}, // paged fixed array
	} {
		in := writeTemp(t, c.f, "in-"+c.name)
		out := filepath.Join(t.TempDir(), c.name)
		run(t, h5repack, append(c.args, in, out)...)
		got, err := ReadFile(out)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if err := sameGroup(c.f.Root, got.Root, "/"); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
