package nir

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/internal/hdf5"
)

// FuzzImport: reading a NIR file and importing it gives a model or an
// error, never a panic, whatever the bytes.
func FuzzImport(f *testing.F) {
	for _, p := range []string{"../../internal/hdf5/testdata/nir_graph.h5", "../../internal/hdf5/testdata/h5py.h5", "testdata/lin_nirwrite.nir"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	g := &Graph{Nodes: map[string]*Node{
		"x":     {Type: "Input", Data: map[string]*hdf5.Value{"shape": hdf5.NewInt64([]int{1}, []int64{1})}},
		"W":     {Type: "Affine", Data: map[string]*hdf5.Value{"weight": hdf5.NewFloat64([]int{1, 1}, []float64{2}), "bias": hdf5.NewFloat64([]int{1}, []float64{0})}},
		"h_I":   {Type: "Scale", Data: map[string]*hdf5.Value{"scale": hdf5.NewFloat64([]int{1}, []float64{1})}},
		"h":     {Type: "LI", Data: map[string]*hdf5.Value{"tau": hdf5.NewFloat64([]int{1}, []float64{0.5}), "r": hdf5.NewFloat64([]int{1}, []float64{1}), "v_leak": hdf5.NewFloat64([]int{1}, []float64{0})}},
		"h_ku":  {Type: "Scale", Data: map[string]*hdf5.Value{"scale": hdf5.NewFloat64([]int{1}, []float64{0.8})}},
		"h_kI":  {Type: "Scale", Data: map[string]*hdf5.Value{"scale": hdf5.NewFloat64([]int{1}, []float64{0.2})}},
		"h_r":   {Type: "Scale", Data: map[string]*hdf5.Value{"scale": hdf5.NewFloat64([]int{1}, []float64{1})}},
		"h_out": {Type: "Output", Data: map[string]*hdf5.Value{"shape": hdf5.NewInt64([]int{1}, []int64{1})}},
	}, Edges: []Edge{{"x", "W"}, {"W", "h_I"}, {"h_I", "h"}, {"h", "h_ku"}, {"h_I", "h_kI"}, {"h_ku", "h_r"}, {"h_kI", "h_r"}, {"h_r", "h_out"}}}
	b, err := g.File().MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) { readImport(t, b) })
}

// readImport reads and imports b; the import without Import's recover,
// so that a panic fails the test.
func readImport(t *testing.T, b []byte) {
	t.Helper()
	{
		file, err := hdf5.Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		g, err := FromFile(file)
		if err != nil {
			return
		}
		_, _, _ = importGraph(g, "fuzz", map[string][]byte{})
	}
}

// Corrupting any single byte of an exported file gives an error or a
// graph, never a panic, in the reader and the importer.
func TestImportCorrupt(t *testing.T) {
	res := export(t, "testdata/lin.vle", Options{})
	b, err := res.Graph.File().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	step := 1
	if testing.Short() {
		step = 7
	}
	for i := 0; i < len(b); i += step {
		c := append([]byte(nil), b...)
		c[i] ^= 0xff
		readImport(t, c)
		c[i] ^= 0xfe // the byte + 1 bit
		readImport(t, c)
	}
}

// A foreign graph (written by nir.write: an LIF network) reads, and its
// import is refused naming the node type.
func TestImportForeign(t *testing.T) {
	g, err := ReadFile("../../internal/hdf5/testdata/nir_graph.h5")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Import(g, "m", ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), "is not imported") {
		t.Errorf("import of a foreign graph: %v", err)
	}
	if _, err := ReadFile("nir_test.go"); err == nil || !strings.Contains(err.Error(), "not a readable HDF5 file") {
		t.Errorf("a text file: %v", err)
	}
}
