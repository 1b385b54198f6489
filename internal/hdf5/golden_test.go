package hdf5

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// nirGraph is a small graph laid out as NIR's nir.write lays out a
// NIRGraph: /version, /node/{type, edges, nodes/<name>/{type, ...}}.
// Arrays are float32 (weights, parameters) or int64 (shapes); Python
// ints are int64 scalars and Python strs variable-length strings.
func nirGraph() *File {
	f := NewFile()
	f.Root.SetString("version", "1.0.6")
	node := f.Root.Group("node")
	node.SetString("type", "NIRGraph")
	node.SetStrings("edges", []int{4, 2}, []string{
		"input", "affine",
		"affine", "lif",
		"lif", "conv",
		"conv", "output",
	})
	nodes := node.Group("nodes")

	in := nodes.Group("input")
	in.SetString("type", "Input")
	in.SetInt64("shape", []int{1}, []int64{12})

	aff := nodes.Group("affine")
	aff.SetString("type", "Affine")
	w := make([]float32, 8*12)
	for i := range w {
		w[i] = float32(i%7)/8 - 0.25
	}
	aff.SetFloat32("weight", []int{8, 12}, w) // 384 bytes: contiguous
	aff.SetFloat32("bias", []int{8}, []float32{0.5, -0.5, 0, 1, 2, 3, 4, 5})

	lif := nodes.Group("lif")
	lif.SetString("type", "LIF")
	const n = 8
	fill := func(x float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = x
		}
		return v
	}
	lif.SetFloat32("tau", []int{n}, fill(0.02))
	lif.SetFloat32("r", []int{n}, fill(1))
	lif.SetFloat32("v_leak", []int{n}, fill(0))
	lif.SetFloat32("v_threshold", []int{n}, fill(1))
	lif.SetFloat32("v_reset", []int{n}, fill(0))
	lif.Group("metadata").SetString("source", "vlec")

	conv := nodes.Group("conv")
	conv.SetString("type", "Conv1d")
	conv.SetFloat64("weight", []int{2, 1, 3}, []float64{0.25, -1, 2.5, 1e-3, 0, -7})
	conv.SetFloat64("bias", []int{2}, []float64{0, 0.125})
	conv.SetInt64("input_shape", nil, []int64{8})
	conv.SetInt64("stride", nil, []int64{1})
	conv.SetString("padding", "same")
	conv.SetInt64("dilation", nil, []int64{1})
	conv.SetInt64("groups", nil, []int64{1})

	out := nodes.Group("output")
	out.SetString("type", "Output")
	out.SetInt64("shape", []int{2}, []int64{2, 8})
	return f
}

// nirData is laid out as NIR's nir.write_data lays out NIRGraphData:
// "__type__" attributes, dt / n_neurons / t_max attributes.
func nirData() *File {
	f := NewFile()
	f.Root.SetAttr("__type__", NewString("NIRGraphData"))
	nodes := f.Root.Group("nodes")
	lif := nodes.Group("lif")
	lif.SetAttr("__type__", NewString("NIRNodeData"))
	obs := lif.Group("observables")
	v := obs.Group("v")
	v.SetAttr("__type__", NewString("TimeGriddedData"))
	v.SetAttr("dt", NewFloat64(nil, []float64{0.001}))
	v.SetFloat32("data", []int{3, 2}, []float32{0, 0.5, 1, 1.5, 2, -2.5})
	s := obs.Group("spikes")
	s.SetAttr("__type__", NewString("EventData"))
	s.SetAttr("n_neurons", NewInt64(nil, []int64{2}))
	s.SetAttr("t_max", NewFloat64(nil, []float64{0.003}))
	s.SetInt64("idx", []int{3}, []int64{0, 1, 1})
	s.SetFloat64("time", []int{3}, []float64{0.001, 0.002, 0.0025})
	return f
}

var goldens = []struct {
	name string
	make func() *File
}{
	{"nir_graph.h5", nirGraph},
	{"nir_data.h5", nirData},
}

// The writer's output, byte for byte; go test -update rewrites it.
func TestGolden(t *testing.T) {
	for _, g := range goldens {
		f := g.make()
		got := roundTrip(t, f)
		path := filepath.Join("testdata", g.name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test -update writes it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: written bytes differ from the golden file (%d vs %d bytes); if intended, go test -update", g.name, len(got), len(want))
		}
	}
}

// Files that h5py wrote as nir.write writes (testdata/make_h5py.py):
// the oldest file format (superblock 0, symbol table groups, version 1
// object headers and attributes), gzip and shuffle filters on chunked
// datasets; and the same in the latest format (superblock 3, dense
// links and attributes, fixed array and single-chunk indexes).
func TestReadH5py(t *testing.T) {
	for _, latest := range []bool{false, true} {
		name := "h5py.h5"
		if latest {
			name = "h5py_latest.h5"
		}
		f, err := ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		want := h5pyWant(latest)
		if err := sameGroup(want.Root, f.Root, "/"); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// What was read can be written in this package's format.
		roundTrip(t, f)
	}
}

// h5pyWant is what testdata/make_h5py.py writes.
func h5pyWant(latest bool) *File {
	want := NewFile()
	want.Root.SetString("version", "1.0.6")
	node := want.Root.Group("node")
	node.SetString("type", "NIRGraph")
	node.SetStrings("edges", []int{2, 2}, []string{"input", "lif", "lif", "output"})
	node.Group("metadata").SetFloat64("empty", []int{0}, []float64{})
	lif := node.Group("nodes").Group("lif")
	lif.SetString("type", "LIF")
	lif.SetFloat32("tau", []int{5}, []float32{0, 0.25, 0.5, 0.75, 1})
	w := make([]float64, 3*7*2)
	for i := range w {
		w[i] = float64(i) - 20
	}
	lif.SetFloat64("w", []int{3, 7, 2}, w)
	lif.SetInt64("groups", nil, []int64{1})
	lif.SetFloat64("dt", nil, []float64{0.5})
	lif.SetInt64("shape", []int{2}, []int64{3, -4})
	lif.Set("i32", NewInt(Int32, []int{2}, []int64{-3, 4}))
	lif.Set("u16be", NewInt(Uint16, []int{2}, []int64{3, 65535}))
	lif.Set("fixed", NewFixedStrings(4, []int{2}, []string{"ab", "cde"}))
	lif.SetAttr("__type__", NewString("TimeGriddedData"))
	lif.SetAttr("dt", NewFloat64(nil, []float64{0.25}))
	lif.SetAttr("n_neurons", NewInt64(nil, []int64{7}))
	if latest {
		g := want.Root.Group("extra")
		for i := range 12 {
			g.SetInt64(fmt.Sprintf("d%02d", i), nil, []int64{int64(i)})
			if i < 10 {
				g.SetAttr(fmt.Sprint("a", i), NewFloat64(nil, []float64{float64(i)}))
			}
		}
	}
	return want
}
