package hdf5

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// roundTrip writes f, reads it back and checks that the trees match; it
// returns the bytes written.
func roundTrip(t *testing.T, f *File) []byte {
	t.Helper()
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := sameGroup(f.Root, got.Root, "/"); err != nil {
		t.Fatal(err)
	}
	// Written again, the tree read gives the same bytes.
	b2, err := got.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Fatalf("rewriting the file read gives other bytes")
	}
	return b
}

// sameGroup compares two trees: names, types, shapes, values (floats
// bit for bit) and attributes.
func sameGroup(want, got *Group, path string) error {
	if w, g := want.Names(), got.Names(); !slices.Equal(w, g) {
		return fmt.Errorf("%s: links %q, want %q", path, g, w)
	}
	if err := sameAttrs(want.attrs, got.attrs, path); err != nil {
		return err
	}
	for _, name := range want.Names() {
		sub := joinPath(path, name)
		if wg, ok := want.groups[name]; ok {
			gg, ok := got.groups[name]
			if !ok {
				return fmt.Errorf("%s: not a group", sub)
			}
			if err := sameGroup(wg, gg, sub); err != nil {
				return err
			}
			continue
		}
		gd, ok := got.datasets[name]
		if !ok {
			return fmt.Errorf("%s: not a dataset", sub)
		}
		wd := want.datasets[name]
		if err := sameValue(wd.Value, gd.Value, sub); err != nil {
			return err
		}
		if err := sameAttrs(wd.attrs, gd.attrs, sub); err != nil {
			return err
		}
	}
	return nil
}

func sameAttrs(want, got map[string]*Value, path string) error {
	if w, g := sortedKeys(want), sortedKeys(got); !slices.Equal(w, g) {
		return fmt.Errorf("%s: attributes %q, want %q", path, g, w)
	}
	for name, v := range want {
		if err := sameValue(v, got[name], fmt.Sprintf("%s@%s", path, name)); err != nil {
			return err
		}
	}
	return nil
}

func sameValue(want, got *Value, path string) error {
	if want.Type() != got.Type() || !slices.Equal(want.Shape(), got.Shape()) || want.StringSize() != got.StringSize() {
		return fmt.Errorf("%s: %v %v (size %d), want %v %v (size %d)", path,
			got.Type(), got.Shape(), got.StringSize(), want.Type(), want.Shape(), want.StringSize())
	}
	var eq bool
	switch t := want.Type(); {
	case t == Float64:
		eq = slices.EqualFunc(want.f64, got.f64, func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) })
	case t == Float32:
		eq = slices.EqualFunc(want.f32, got.f32, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) })
	case t.IsInt():
		eq = slices.Equal(want.ints, got.ints)
	default:
		eq = slices.Equal(want.strs, got.strs)
	}
	if !eq {
		return fmt.Errorf("%s: values differ", path)
	}
	return nil
}

func iota64(n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(i)*scale - 3
	}
	return v
}

// Every type in every kind of shape, compact and contiguous.
func TestRoundTripTypes(t *testing.T) {
	shapes := [][]int{nil, {0}, {1}, {5}, {2, 3}, {0, 4}, {2, 3, 4}, {2, 1, 3, 2}, {40}, {7, 9}}
	f := NewFile()
	for _, shape := range shapes {
		n := 1
		for _, d := range shape {
			n *= d
		}
		g := f.Root.Group(fmt.Sprint(shape))
		f64 := iota64(n, 0.1)
		if n > 2 {
			f64[1], f64[2] = math.Inf(-1), math.NaN()
		}
		g.SetFloat64("f64", shape, f64)
		f32 := make([]float32, n)
		for i := range f32 {
			f32[i] = float32(f64[i])
		}
		g.SetFloat32("f32", shape, f32)
		i64 := make([]int64, n)
		for i := range i64 {
			i64[i] = int64(i*i) - 5
		}
		if n > 1 {
			i64[0], i64[1] = math.MinInt64, math.MaxInt64
		}
		g.SetInt64("i64", shape, i64)
		for _, typ := range []Type{Int8, Int16, Int32, Uint8, Uint16, Uint32, Uint64} {
			v := make([]int64, n)
			for i := range v {
				v[i] = int64(i % 100)
				if typ.signed() && i%2 == 1 {
					v[i] = -v[i]
				}
			}
			if typ == Uint64 && n > 0 {
				v[0] = -1 // 1<<64 - 1
			}
			g.Set(typ.String(), NewInt(typ, shape, v))
		}
		strs := make([]string, n)
		for i := range strs {
			strs[i] = strings.Repeat("ab", i%5) + fmt.Sprint(i)
		}
		if n > 1 {
			strs[0], strs[1] = "", "ünïcødé ✓"
		}
		g.SetStrings("str", shape, strs)
		g.Set("fixed", NewFixedStrings(24, shape, strs))
	}
	f.Root.SetString("scalar string", "hello")
	f.Root.SetString("empty string", "")
	f.Root.SetString("long string", strings.Repeat("0123456789", 1000))
	b := roundTrip(t, f)
	// Deterministic: the same tree gives the same bytes.
	b2, err := f.MarshalBinary()
	if err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("second write differs (err %v)", err)
	}
}

func TestRoundTripAttributes(t *testing.T) {
	f := NewFile()
	f.Root.SetAttr("__type__", NewString("NIRGraphData"))
	g := f.Root.Group("obs")
	g.SetAttr("dt", NewFloat64(nil, []float64{1e-4}))
	g.SetAttr("n_neurons", NewInt64(nil, []int64{7}))
	g.SetAttr("names", NewStrings([]int{2, 2}, []string{"a", "b", "", "d"}))
	g.SetAttr("fixed", NewFixedStrings(3, nil, []string{"xyz"}))
	g.SetAttr("weights", NewFloat32([]int{100}, make([]float32, 100)))
	g.SetFloat64("data", []int{3, 2}, iota64(6, 1)).
		SetAttr("unit", NewString("mV")).
		SetAttr("i16", NewInt(Int16, []int{3}, []int64{-1, 0, 32767}))
	roundTrip(t, f)
}

func TestRoundTripManyLinksAndStrings(t *testing.T) {
	f := NewFile()
	nodes := f.Root.Group("nodes")
	for i := range 300 {
		n := nodes.Group(fmt.Sprint(i))
		n.SetString("type", "LIF")
		n.SetFloat32("tau", []int{2}, []float32{float32(i), 1})
	}
	nodes.Group("empty")
	nodes.Group("ünï code").SetInt64("x", nil, []int64{1})
	// Enough strings for several global heap collections.
	many := make([]string, 70000)
	for i := range many {
		many[i] = fmt.Sprint("s", i)
	}
	f.Root.SetStrings("many", []int{70000}, many)
	f.Root.SetStrings("big", []int{2}, []string{strings.Repeat("x", 2<<20), "y"})
	roundTrip(t, f)
}

func TestRoundTripEmpty(t *testing.T) {
	roundTrip(t, NewFile())
	b, err := (&File{}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if f, err := Read(bytes.NewReader(b), int64(len(b))); err != nil || f.Root.Len() != 0 {
		t.Fatalf("empty file: %v", err)
	}
}

func TestAPI(t *testing.T) {
	f := NewFile()
	a := f.Root.Group("a")
	if f.Root.Group("a") != a {
		t.Fatal("Group does not return the existing group")
	}
	a.SetInt64("x", []int{2}, []int64{1, 2})
	a.Group("b").SetString("s", "v")
	if d, err := f.Root.Dataset("a/b/s"); err != nil || d.Type() != String {
		t.Fatalf("Dataset(a/b/s): %v", err)
	}
	if _, err := f.Root.Dataset("a/nope"); err == nil {
		t.Fatal("missing dataset found")
	}
	if _, err := f.Root.OpenGroup("a/x"); err == nil {
		t.Fatal("dataset opened as a group")
	}
	if got := a.Names(); !slices.Equal(got, []string{"b", "x"}) {
		t.Fatalf("Names = %q", got)
	}
	a.Group("x") // replaces the dataset
	if got := a.Datasets(); len(got) != 0 {
		t.Fatalf("Datasets = %q after replacing x", got)
	}
	a.Delete("x")
	if got := a.Groups(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("Groups = %q", got)
	}
	v := NewFloat32([]int{2}, []float32{0.5, 1.5})
	if x, err := v.Float64s(); err != nil || x[1] != 1.5 {
		t.Fatalf("Float64s of float32: %v %v", x, err)
	}
	if _, err := v.Int64s(); err == nil {
		t.Fatal("Int64s of float32 value")
	}
	if _, err := NewInt(Uint64, nil, []int64{-1}).Int64s(); err == nil {
		t.Fatal("uint64 above MaxInt64 read as int64")
	}
	if _, err := NewString("s").Float64s(); err == nil {
		t.Fatal("Float64s of string")
	}
}

func TestWriteErrors(t *testing.T) {
	for name, build := range map[string]func(g *Group){
		"shape mismatch":  func(g *Group) { g.SetFloat64("x", []int{2, 2}, []float64{1}) },
		"negative dim":    func(g *Group) { g.SetFloat64("x", []int{-1}, nil) },
		"slash in name":   func(g *Group) { g.Group("a/b") },
		"empty name":      func(g *Group) { g.SetString("", "x") },
		"dot name":        func(g *Group) { g.Group(".") },
		"NUL in string":   func(g *Group) { g.SetString("s", "a\x00b") },
		"bad UTF-8":       func(g *Group) { g.SetString("s", "\xff") },
		"fixed too long":  func(g *Group) { g.Set("s", NewFixedStrings(2, nil, []string{"abc"})) },
		"fixed size 0":    func(g *Group) { g.Set("s", NewFixedStrings(0, nil, []string{""})) },
		"int8 overflow":   func(g *Group) { g.Set("i", NewInt(Int8, nil, []int64{128})) },
		"nil value":       func(g *Group) { g.Set("v", nil) },
		"attr name empty": func(g *Group) { g.SetAttr("", NewString("x")) },
		"huge attribute":  func(g *Group) { g.SetAttr("a", NewFloat64([]int{9000}, make([]float64, 9000))) },
		"rank 33":         func(g *Group) { g.SetFloat64("x", make([]int, 33), nil) },
	} {
		f := NewFile()
		build(f.Root)
		if _, err := f.MarshalBinary(); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// The layout choice: small data in the header, the rest after it.
func TestCompactAndContiguous(t *testing.T) {
	f := NewFile()
	f.Root.SetFloat64("small", []int{CompactMax / 8}, make([]float64, CompactMax/8))
	f.Root.SetFloat64("large", []int{CompactMax/8 + 1}, make([]float64, CompactMax/8+1))
	w := &writer{refs: map[*Value][]heapRef{}}
	if err := w.collect(f.Root, "/", 0, map[*Group]bool{}); err != nil {
		t.Fatal(err)
	}
	for _, o := range w.objs[1:] {
		if want := o.path == "/large"; o.contiguous != want {
			t.Errorf("%s: contiguous %v", o.path, o.contiguous)
		}
	}
	roundTrip(t, f)
}
