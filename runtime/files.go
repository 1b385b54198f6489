package runtime

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// readMatrixFile reads a CSV or .npy file as a matrix (a 1-D .npy is one
// column). A CSV may start with a header line; columns named t or step
// are dropped.
func readMatrixFile(path string) ([]float64, [2]int, error) {
	if strings.HasSuffix(path, ".npy") {
		data, shape, err := readNPY(path)
		if err != nil {
			return nil, [2]int{}, err
		}
		switch len(shape) {
		case 1:
			return data, [2]int{shape[0], 1}, nil
		case 2:
			return data, [2]int{shape[0], shape[1]}, nil
		case 3:
			return data, [2]int{shape[0], shape[1] * shape[2]}, nil
		}
		return nil, [2]int{}, fmt.Errorf("%s: a %d-dimensional array; expected a matrix", path, len(shape))
	}
	return readCSVMatrix(path)
}

func readCSVMatrix(path string) ([]float64, [2]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, [2]int{}, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.Comment = '#'
	r.TrimLeadingSpace = true
	var data []float64
	cols := -1
	var keep []bool
	line := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, [2]int{}, fmt.Errorf("%s: %v", path, err)
		}
		line++
		if line == 1 {
			if _, perr := strconv.ParseFloat(strings.TrimSpace(rec[0]), 64); perr != nil {
				// a header
				keep = make([]bool, len(rec))
				n := 0
				for i, h := range rec {
					h = strings.TrimSpace(h)
					keep[i] = h != "t" && h != "step"
					if keep[i] {
						n++
					}
				}
				cols = n
				continue
			}
		}
		if keep == nil {
			keep = make([]bool, len(rec))
			for i := range keep {
				keep[i] = true
			}
			cols = len(rec)
		}
		if len(rec) != len(keep) {
			return nil, [2]int{}, fmt.Errorf("%s:%d: %d values, the first row has %d", path, line, len(rec), len(keep))
		}
		for i, x := range rec {
			if !keep[i] {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, [2]int{}, fmt.Errorf("%s:%d: column %d: %q is not a number", path, line, i+1, x)
			}
			data = append(data, v)
		}
	}
	if cols <= 0 || len(data) == 0 {
		return nil, [2]int{}, fmt.Errorf("%s: no data", path)
	}
	return data, [2]int{len(data) / cols, cols}, nil
}

// series is a time-aligned stimulus or target read from a file: row k is
// step k. It holds either one row for all batch elements or one per batch
// element.
type series struct {
	data     []float64
	size     int
	perBatch bool
	batch    int
}

// loadSeries reads a file of size values per step (per batch element when
// it has batch*size columns, or a .npy of shape [steps][batch][size]).
func loadSeries(path string, size, batch, steps int, what string) (*series, error) {
	data, shape, err := readMatrixFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	s := &series{data: data, size: size, batch: batch}
	switch {
	case shape[1] == size:
	case shape[1] == size*batch && batch > 1:
		s.perBatch = true
	default:
		cols := fmt.Sprintf("%d", size)
		if batch > 1 {
			cols += fmt.Sprintf(" (or %d = batch %d x %d)", size*batch, batch, size)
		}
		return nil, fmt.Errorf("%s: %s has %d columns per row, needs %s", what, path, shape[1], cols)
	}
	if shape[0] < steps {
		return nil, fmt.Errorf("%s: %s has %d rows, the run needs %d (one per step)", what, path, shape[0], steps)
	}
	return s, nil
}

// fill writes step k's values into dst (batch x size).
func (s *series) fill(dst []float64, k int) {
	if s.perBatch {
		w := s.size * s.batch
		copy(dst, s.data[k*w:(k+1)*w])
		return
	}
	row := s.data[k*s.size : (k+1)*s.size]
	for b := 0; b < s.batch; b++ {
		copy(dst[b*s.size:], row)
	}
}

// NumPy .npy files (format version 1.0 and 2.0, little-endian float64,
// float32 or int64 when read; float64 when written).

var npyShape = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
var npyDescr = regexp.MustCompile(`'descr':\s*'([^']*)'`)

func readNPY(path string) ([]float64, []int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return decodeNPY(bufio.NewReader(f), path)
}

func decodeNPY(r io.Reader, path string) ([]float64, []int, error) {
	var magic [8]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil || string(magic[:6]) != "\x93NUMPY" {
		return nil, nil, fmt.Errorf("%s: not a NumPy .npy file", path)
	}
	var hlen int
	if magic[6] == 1 {
		var n uint16
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return nil, nil, fmt.Errorf("%s: truncated header", path)
		}
		hlen = int(n)
	} else {
		var n uint32
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return nil, nil, fmt.Errorf("%s: truncated header", path)
		}
		hlen = int(n)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, nil, fmt.Errorf("%s: truncated header", path)
	}
	h := string(hdr)
	if strings.Contains(h, "'fortran_order': True") {
		return nil, nil, fmt.Errorf("%s: Fortran-ordered arrays are not supported; save with np.ascontiguousarray", path)
	}
	dm := npyDescr.FindStringSubmatch(h)
	sm := npyShape.FindStringSubmatch(h)
	if dm == nil || sm == nil {
		return nil, nil, fmt.Errorf("%s: malformed header %q", path, h)
	}
	var shape []int
	n := 1
	for _, p := range strings.Split(sm[1], ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		d, err := strconv.Atoi(p)
		if err != nil || d < 0 {
			return nil, nil, fmt.Errorf("%s: malformed shape %q", path, sm[1])
		}
		shape = append(shape, d)
		n *= d
	}
	data := make([]float64, n)
	switch dm[1] {
	case "<f8", "=f8", "f8":
		if err := binary.Read(r, binary.LittleEndian, data); err != nil {
			return nil, nil, fmt.Errorf("%s: %d values expected: %v", path, n, err)
		}
	case "<f4", "=f4", "f4":
		tmp := make([]float32, n)
		if err := binary.Read(r, binary.LittleEndian, tmp); err != nil {
			return nil, nil, fmt.Errorf("%s: %d values expected: %v", path, n, err)
		}
		for i, x := range tmp {
			data[i] = float64(x)
		}
	case "<i8", "=i8", "i8":
		tmp := make([]int64, n)
		if err := binary.Read(r, binary.LittleEndian, tmp); err != nil {
			return nil, nil, fmt.Errorf("%s: %d values expected: %v", path, n, err)
		}
		for i, x := range tmp {
			data[i] = float64(x)
		}
	default:
		return nil, nil, fmt.Errorf("%s: dtype %s is not supported (use float64, float32 or int64)", path, dm[1])
	}
	return data, shape, nil
}

// npyHeader is the header of a float64 array of the given shape, padded
// to pad bytes in all (0: the smallest multiple of 64).
func npyHeader(shape []int, pad int) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	sh := strings.Join(dims, ", ")
	if len(shape) == 1 {
		sh += ","
	}
	dict := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }", sh)
	total := 10 + len(dict) + 1
	if pad == 0 {
		pad = (total + 63) / 64 * 64
	}
	dict += strings.Repeat(" ", pad-total) + "\n"
	out := []byte("\x93NUMPY\x01\x00")
	out = binary.LittleEndian.AppendUint16(out, uint16(len(dict)))
	return append(out, dict...)
}

func appendFloats(buf []byte, xs []float64) []byte {
	for _, x := range xs {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(x))
	}
	return buf
}

// atomicFile is an output file written to a temporary file in its
// directory and renamed into place on Commit: complete or absent.
type atomicFile struct {
	*os.File
	path string
}

func createAtomic(path string) (*atomicFile, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	f.Chmod(0o644)
	return &atomicFile{File: f, path: path}, nil
}

// Commit closes the file and renames it into place.
func (f *atomicFile) Commit() error {
	err := f.File.Close()
	if err == nil {
		err = os.Rename(f.File.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.File.Name())
	}
	return err
}

// Abort closes and removes the temporary file.
func (f *atomicFile) Abort() {
	f.File.Close()
	os.Remove(f.File.Name())
}

// writeAtomic writes data to path through a temporary file.
func writeAtomic(path string, data []byte) error {
	f, err := createAtomic(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// zipNPY writes named float64 arrays, each given by a file holding its
// raw data, into an .npz archive.
func zipNPY(w io.Writer, names []string, shapes [][]int, raws []string) error {
	z := zip.NewWriter(w)
	for i, n := range names {
		e, err := z.CreateHeader(&zip.FileHeader{Name: n + ".npy", Method: zip.Store})
		if err != nil {
			return err
		}
		if _, err := e.Write(npyHeader(shapes[i], 0)); err != nil {
			return err
		}
		f, err := os.Open(raws[i])
		if err != nil {
			return err
		}
		_, err = io.Copy(e, bufio.NewReader(f))
		f.Close()
		if err != nil {
			return err
		}
	}
	return z.Close()
}

var errStop = errors.New("stopped")
