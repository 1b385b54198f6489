// Package npy reads NumPy arrays: .npy files (format versions 1.0, 2.0
// and 3.0; little-endian float64, float32 or int64 in C order) and .npz
// archives of them (zip, stored or deflated). Values come back as
// float64. Headers are read on their own, so a shape can be checked
// without reading the data, and the data a header announces is checked
// against the bytes available before anything is allocated.
package npy

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Header is what an .npy header says about its array.
type Header struct {
	Descr string // the dtype: "<f8", "<f4" or "<i8"
	Shape []int
	Len   int64 // the number of values, the product of Shape
	// Size is the number of bytes before the data: magic, version,
	// length field and header text.
	Size int64
}

// Int reports whether the array holds integers.
func (h Header) Int() bool { return strings.HasSuffix(h.Descr, "i8") }

// ItemSize is the size in bytes of one value.
func (h Header) ItemSize() int64 { return itemSize[h.Descr] }

var itemSize = map[string]int64{"<f8": 8, "=f8": 8, "f8": 8, "<f4": 4, "=f4": 4, "f4": 4, "<i8": 8, "=i8": 8, "i8": 8}

var (
	shapeRE = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
	descrRE = regexp.MustCompile(`'descr':\s*'([^']*)'`)
)

// ReadHeader reads the header of an .npy stream of size bytes (-1:
// unknown) and leaves r at the first value. Errors name path.
func ReadHeader(r io.Reader, path string, size int64) (Header, error) {
	var magic [8]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil || string(magic[:6]) != "\x93NUMPY" {
		return Header{}, fmt.Errorf("%s: not a NumPy .npy file", path)
	}
	var hlen int
	lenField := int64(4) // the header length: 2 bytes in version 1.0, 4 after
	if magic[6] == 1 {
		lenField = 2
		var n uint16
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return Header{}, fmt.Errorf("%s: truncated header", path)
		}
		hlen = int(n)
	} else {
		var n uint32
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return Header{}, fmt.Errorf("%s: truncated header", path)
		}
		hlen = int(n)
	}
	if hlen > 1<<20 || size >= 0 && int64(hlen) > size {
		return Header{}, fmt.Errorf("%s: truncated header", path)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return Header{}, fmt.Errorf("%s: truncated header", path)
	}
	h := string(hdr)
	if strings.Contains(h, "'fortran_order': True") {
		return Header{}, fmt.Errorf("%s: Fortran-ordered arrays are not supported; save with np.ascontiguousarray", path)
	}
	dm, sm := descrRE.FindStringSubmatch(h), shapeRE.FindStringSubmatch(h)
	if dm == nil || sm == nil {
		return Header{}, fmt.Errorf("%s: malformed header %q", path, h)
	}
	shape, n, err := dims(sm[1])
	if err != nil {
		return Header{}, fmt.Errorf("%s: %v", path, err)
	}
	out := Header{Descr: dm[1], Shape: shape, Len: n, Size: int64(len(magic)) + lenField + int64(hlen)}
	item := out.ItemSize()
	if item == 0 {
		return Header{}, fmt.Errorf("%s: dtype %s is not supported (use float64, float32 or int64)", path, dm[1])
	}
	if data := size - out.Size; size >= 0 && n > data/item {
		return Header{}, fmt.Errorf("%s: the header announces shape %s, %d values, but the file holds %d", path, ShapeText(shape), n, max(data, 0)/item)
	}
	return out, nil
}

// dims parses the shape of an .npy header and the number of values it
// holds, refusing products that overflow.
func dims(text string) ([]int, int64, error) {
	shape := []int{}
	n := int64(1)
	for _, p := range strings.Split(text, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		d, err := strconv.Atoi(strings.TrimSuffix(p, "L"))
		if err != nil || d < 0 {
			return nil, 0, fmt.Errorf("malformed shape %q", text)
		}
		if d > 0 && n > math.MaxInt64/8/int64(d) {
			return nil, 0, fmt.Errorf("shape (%s) holds more values than any file can", text)
		}
		shape = append(shape, d)
		n *= int64(d)
	}
	return shape, n, nil
}

// ReadValues reads the n values a header announces as float64, a block at
// a time, so that memory grows only with the data actually read.
func ReadValues(r io.Reader, h Header) ([]float64, error) {
	kind := h.Descr[len(h.Descr)-2:]
	item := h.ItemSize()
	n := h.Len
	const block = 1 << 16
	data := make([]float64, 0, min(n, block))
	buf := make([]byte, item*min(n, block))
	for int64(len(data)) < n {
		b := buf[:item*min(n-int64(len(data)), block)]
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("the data ends early (%v)", err)
		}
		for i := 0; i < len(b); i += int(item) {
			var v float64
			switch kind {
			case "f8":
				v = math.Float64frombits(binary.LittleEndian.Uint64(b[i:]))
			case "f4":
				v = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
			default: // i8
				v = float64(int64(binary.LittleEndian.Uint64(b[i:])))
			}
			data = append(data, v)
		}
	}
	return data, nil
}

// Decode reads a whole .npy stream of size bytes (-1: unknown).
func Decode(r io.Reader, path string, size int64) ([]float64, []int, error) {
	h, err := ReadHeader(r, path, size)
	if err != nil {
		return nil, nil, err
	}
	data, err := ReadValues(r, h)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %d values expected: %v", path, h.Len, err)
	}
	return data, h.Shape, nil
}

// ReadFile reads an .npy file.
func ReadFile(path string) ([]float64, []int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return Decode(bufio.NewReader(f), path, size)
}

// FileHeader reads the header of an .npy file.
func FileHeader(path string) (Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, err
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return ReadHeader(bufio.NewReader(f), path, size)
}

// Archive is an open .npz file.
type Archive struct {
	path  string
	z     *zip.ReadCloser
	files map[string]*zip.File // by array name, without .npy
}

// OpenArchive opens an .npz file.
func OpenArchive(path string) (*Archive, error) {
	z, err := zip.OpenReader(path)
	if err != nil {
		if _, serr := os.Stat(path); serr != nil {
			return nil, serr
		}
		return nil, fmt.Errorf("%s: not a NumPy .npz archive (%v)", path, err)
	}
	a := &Archive{path: path, z: z, files: map[string]*zip.File{}}
	for _, f := range z.File {
		if name, ok := strings.CutSuffix(f.Name, ".npy"); ok {
			a.files[name] = f
		}
	}
	return a, nil
}

// Close closes the archive.
func (a *Archive) Close() error { return a.z.Close() }

// Names are the arrays the archive holds, sorted.
func (a *Archive) Names() []string {
	out := make([]string, 0, len(a.files))
	for n := range a.files {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Has reports whether the archive holds an array of that name.
func (a *Archive) Has(name string) bool { return a.files[name] != nil }

func (a *Archive) open(name string) (io.ReadCloser, *zip.File, string, error) {
	f := a.files[name]
	if f == nil {
		return nil, nil, "", fmt.Errorf("%s holds no array %q (it holds %s)", a.path, name, strings.Join(a.Names(), ", "))
	}
	r, err := f.Open()
	if err != nil {
		return nil, nil, "", fmt.Errorf("%s: array %s: %v", a.path, name, err)
	}
	return r, f, a.path + ": array " + name, nil
}

// Header reads the header of an array.
func (a *Archive) Header(name string) (Header, error) {
	r, f, what, err := a.open(name)
	if err != nil {
		return Header{}, err
	}
	defer r.Close()
	return ReadHeader(bufio.NewReader(r), what, int64(f.UncompressedSize64))
}

// Read reads an array.
func (a *Archive) Read(name string) ([]float64, []int, error) {
	r, f, what, err := a.open(name)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	return Decode(bufio.NewReader(r), what, int64(f.UncompressedSize64))
}

// ShapeText prints a shape as NumPy does: (3,), (2, 3).
func ShapeText(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// ReadAll reads every array of an .npz archive, by name.
func ReadAll(path string) (map[string][]float64, error) {
	a, err := OpenArchive(path)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	out := map[string][]float64{}
	for _, n := range a.Names() {
		v, _, err := a.Read(n)
		if err != nil {
			return nil, err
		}
		out[n] = v
	}
	return out, nil
}
