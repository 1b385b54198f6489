package npy_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/internal/npy"
	"github.com/vlec-dev/vlec/internal/npytest"
)

func TestDecode(t *testing.T) {
	for _, c := range []struct {
		descr string
		shape []int
		vals  []float64
	}{
		{"<f8", []int{2, 3}, []float64{1, -2.5, 3e-300, 4, 5, 6}},
		{"<f4", []int{4}, []float64{0.5, -1, 2, 1024}},
		{"<i8", []int{3}, []float64{-7, 0, 1 << 40}},
		{"<f8", []int{}, []float64{3.25}},
		{"<f8", []int{0, 2}, nil},
	} {
		raw := npytest.V1(c.descr, c.shape, c.vals)
		got, shape, err := npy.Decode(bytes.NewReader(raw), "a.npy", int64(len(raw)))
		if err != nil {
			t.Fatalf("%s %v: %v", c.descr, c.shape, err)
		}
		if !slices.Equal(shape, c.shape) || !slices.Equal(got, c.vals) && len(got)+len(c.vals) > 0 {
			t.Errorf("%s: got %v %v, want %v %v", c.descr, shape, got, c.shape, c.vals)
		}
		h, err := npy.ReadHeader(bytes.NewReader(raw), "a.npy", int64(len(raw)))
		if err != nil || h.Int() != (c.descr == "<i8") || h.Len != int64(len(c.vals)) {
			t.Errorf("%s header %+v, %v", c.descr, h, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	good := npytest.V1("<f8", []int{4}, []float64{1, 2, 3, 4})
	fortran := bytes.Replace(good, []byte("'fortran_order': False"), []byte("'fortran_order': True "), 1)
	u8 := bytes.Replace(good, []byte("'<f8'"), []byte("'|u1'"), 1)
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"not npy":   {[]byte("hello world"), "not a NumPy .npy file"},
		"truncated": {good[:len(good)-8], "the header announces shape (4,), 4 values, but the file holds 3"},
		"fortran":   {fortran, "Fortran-ordered arrays are not supported"},
		"dtype":     {u8, "dtype |u1 is not supported"},
		"header":    {good[:20], "truncated header"},
	} {
		_, _, err := npy.Decode(bytes.NewReader(c.data), "a.npy", int64(len(c.data)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

func TestArchive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.npz")
	os.WriteFile(path, npytest.NPZ(
		npytest.Array{Name: "W1", Descr: "<f8", Shape: []int{2, 1}, Values: []float64{1, 2}},
		npytest.Array{Name: "h.tau_m", Descr: "<f4", Shape: []int{3}, Values: []float64{0.5, 1, 2}},
	), 0o644)
	a, err := npy.OpenArchive(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if got := a.Names(); !slices.Equal(got, []string{"W1", "h.tau_m"}) {
		t.Errorf("names %v", got)
	}
	h, err := a.Header("h.tau_m")
	if err != nil || !slices.Equal(h.Shape, []int{3}) || h.Descr != "<f4" {
		t.Errorf("header %+v %v", h, err)
	}
	if _, _, err := a.Read("W2"); err == nil || !strings.Contains(err.Error(), `holds no array "W2" (it holds W1, h.tau_m)`) {
		t.Errorf("missing array: %v", err)
	}
	all, err := npy.ReadAll(path)
	if err != nil || !slices.Equal(all["W1"], []float64{1, 2}) {
		t.Errorf("ReadAll %v %v", all, err)
	}
	if _, err := npy.OpenArchive(filepath.Join(t.TempDir(), "none.npz")); err == nil {
		t.Error("a missing archive opened")
	}
	notZip := filepath.Join(t.TempDir(), "x.npz")
	os.WriteFile(notZip, []byte("not a zip"), 0o644)
	if _, err := npy.OpenArchive(notZip); err == nil || !strings.Contains(err.Error(), "not a NumPy .npz archive") {
		t.Errorf("not a zip: %v", err)
	}
}
