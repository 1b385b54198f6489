package runtime

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/vlec-dev/vlec/internal/atomicfile"
	"github.com/vlec-dev/vlec/internal/npy"
)

// Data files (CSV or NumPy .npy) are read whole when the simulator is
// set up, and checked there: every value must be a finite number, and the
// shape must be the one the declaration needs. Errors name the file, the
// place in it (line and column of a CSV, the index of a .npy entry), the
// shape found and the shape needed; the caller adds the declaration's
// position.

// readMatrixFile reads a CSV or .npy file as a matrix (a 1-D .npy is one
// column, a 3-D one [a][b][c] is a x b*c). A CSV may start with a header
// line; columns named t or step are dropped.
func readMatrixFile(path string) ([]float64, [2]int, error) {
	data, shape, err := readArray(path)
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
	return nil, [2]int{}, fmt.Errorf("%s has shape %s, %d dimensions; expected a matrix", path, shapeText(shape), len(shape))
}

// readArray reads a CSV file (shape [rows, columns]) or a .npy file (its
// own shape), refusing values that are not finite.
func readArray(path string) ([]float64, []int, error) {
	if strings.HasSuffix(strings.ToLower(path), ".npy") {
		data, shape, err := readNPY(path)
		if err != nil {
			return nil, nil, err
		}
		if err := finiteNPY(path, data, shape); err != nil {
			return nil, nil, err
		}
		return data, shape, nil
	}
	data, shape, err := readCSVMatrix(path)
	if err != nil {
		return nil, nil, err
	}
	return data, shape[:], nil
}

// nonFiniteData is a NaN or infinite value in a data file.
type nonFiniteData struct {
	path string
	line int // CSV: the file's line, 1-based
	col  int // CSV: the column, 1-based, counting every column
	// colName is the column's name in the CSV header, or ""
	colName string
	index   []int // .npy: the entry's index
	row     int   // the entry's row, 0-based (a step, for a stimulus or a target)
	text    string
	note    string // what the row is, e.g. " (step 3)"
}

func (e *nonFiniteData) Error() string {
	where := fmt.Sprintf("line %d, column %d", e.line, e.col)
	if e.colName != "" {
		where += fmt.Sprintf(" (%s)", e.colName)
	}
	if e.index != nil {
		where = "entry " + indexText(e.index)
	}
	return fmt.Sprintf("%s, %s: %s is not a finite number%s; a data file must hold finite values", e.path, where, e.text, e.note)
}

// finiteNPY refuses the first NaN or infinite entry of a .npy array.
func finiteNPY(path string, data []float64, shape []int) error {
	for i, x := range data {
		if isFinite(x) {
			continue
		}
		idx := make([]int, len(shape))
		rest := i
		for d := len(shape) - 1; d >= 0; d-- {
			if shape[d] > 0 {
				idx[d] = rest % shape[d]
				rest /= shape[d]
			}
		}
		row := 0
		if len(idx) > 0 {
			row = idx[0]
		}
		return &nonFiniteData{path: path, index: idx, row: row, text: strconv.FormatFloat(x, 'g', -1, 64)}
	}
	return nil
}

// shapeText prints a shape as NumPy does: (3,), (100, 3).
func shapeText(shape []int) string { return npy.ShapeText(shape) }

// indexText prints an index as [2, 1].
func indexText(idx []int) string {
	parts := make([]string, len(idx))
	for i, x := range idx {
		parts[i] = strconv.Itoa(x)
	}
	return "[" + strings.Join(parts, ", ") + "]"
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
	r.FieldsPerRecord = -1 // counted here, with a better message
	var data []float64
	cols := -1
	var keep []bool
	var header []string
	rows := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, [2]int{}, fmt.Errorf("%s: %v", path, err)
		}
		line, _ := r.FieldPos(0)
		if keep == nil {
			if _, perr := strconv.ParseFloat(strings.TrimSpace(rec[0]), 64); perr != nil && !errors.Is(perr, strconv.ErrRange) {
				keep, cols = csvHeader(rec)
				header = rec
				continue
			}
			keep = make([]bool, len(rec))
			for i := range keep {
				keep[i] = true
			}
			cols = len(rec)
		}
		if len(rec) != len(keep) {
			return nil, [2]int{}, fmt.Errorf("%s, line %d: %d values, the first row has %d", path, line, len(rec), len(keep))
		}
		for i, x := range rec {
			if !keep[i] {
				continue
			}
			v, err := csvValue(path, line, i+1, rows, x)
			var nf *nonFiniteData
			if errors.As(err, &nf) && header != nil {
				nf.colName = strings.TrimSpace(header[i])
			}
			if err != nil {
				return nil, [2]int{}, err
			}
			data = append(data, v)
		}
		rows++
	}
	if cols <= 0 || len(data) == 0 {
		return nil, [2]int{}, fmt.Errorf("%s: no data", path)
	}
	return data, [2]int{rows, cols}, nil
}

// csvHeader reads a header line: the columns kept (all but t and step)
// and their number.
func csvHeader(rec []string) ([]bool, int) {
	keep := make([]bool, len(rec))
	n := 0
	for i, h := range rec {
		h = strings.TrimSpace(h)
		keep[i] = h != "t" && h != "step"
		if keep[i] {
			n++
		}
	}
	return keep, n
}

// csvValue parses one value of a CSV file, which must be a finite number.
func csvValue(path string, line, col, row int, text string) (float64, error) {
	t := strings.TrimSpace(text)
	v, err := strconv.ParseFloat(t, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) && math.IsInf(v, 0):
		return 0, fmt.Errorf("%s, line %d, column %d: %s is beyond the range of float64 (about 1.8e308)", path, line, col, t)
	case err != nil && !errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%s, line %d, column %d: %q is not a number", path, line, col, text)
	case !isFinite(v):
		return 0, &nonFiniteData{path: path, line: line, col: col, row: row, text: t}
	}
	return v, nil // an underflow reads as 0 or a subnormal
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
// what names the declaration ("input x", "teacher T").
func loadSeries(path string, size, batch, steps int, what string) (*series, error) {
	data, shape, err := readArray(path)
	if err != nil {
		var nf *nonFiniteData
		if errors.As(err, &nf) {
			nf.note = fmt.Sprintf(" (step %d)", nf.row)
		}
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	s := &series{data: data, size: size, batch: batch}
	perBatch, err := seriesShape(path, shape, size, batch, steps)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	s.perBatch = perBatch
	return s, nil
}

// seriesShape checks a series file's shape: [steps, size] or [steps,
// batch*size] (a CSV or a 2-D .npy), [steps] for size 1, or [steps, batch,
// size]; it reports whether there is a row per batch element.
func seriesShape(path string, shape []int, size, batch, steps int) (bool, error) {
	isNPY := strings.HasSuffix(strings.ToLower(path), ".npy")
	found := path + " has shape " + shapeText(shape)
	if !isNPY {
		found = fmt.Sprintf("%s holds %d rows x %d columns", path, shape[0], shape[1])
	}
	perBatch := false
	switch {
	case len(shape) == 1 && size == 1:
	case len(shape) == 2 && shape[1] == size:
	case len(shape) == 2 && shape[1] == size*batch && batch > 1:
		perBatch = true
	case len(shape) == 2 && !isNPY:
		cols := fmt.Sprintf("%d columns (one per neuron)", size)
		if batch > 1 {
			cols += fmt.Sprintf(" or %d (batch %d x %d neurons: a block of columns per batch element)", size*batch, batch, size)
		}
		return false, fmt.Errorf("%s; it needs %s", found, cols)
	case len(shape) == 3 && shape[1] != batch:
		return false, fmt.Errorf("%s, read as (steps, batch, neurons): a batch of %d, but the model's batch is %d; it needs shape (%d, %d, %d)", found, shape[1], batch, steps, batch, size)
	case len(shape) == 3 && shape[2] != size:
		return false, fmt.Errorf("%s, read as (steps, batch, neurons): %d neurons, but it needs %d; shape (%d, %d, %d)", found, shape[2], size, steps, batch, size)
	case len(shape) == 3:
		perBatch = batch > 1
	default:
		need := fmt.Sprintf("(%d, %d) (steps, neurons)", steps, size)
		if batch > 1 {
			need += fmt.Sprintf(", (%d, %d) (steps, batch %d x %d neurons) or (%d, %d, %d) (steps, batch, neurons)", steps, batch*size, batch, size, steps, batch, size)
		}
		return false, fmt.Errorf("%s; it needs shape %s", found, need)
	}
	if shape[0] < steps {
		what := "rows"
		if isNPY {
			what = "steps (its first dimension)"
		}
		return false, fmt.Errorf("%s, but the run needs %d %s, one per step", found, steps, what)
	}
	return perBatch, nil
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

// NumPy .npy files (format version 1.0, 2.0 and 3.0, little-endian
// float64, float32 or int64 when read; float64 when written).

func readNPY(path string) ([]float64, []int, error) { return npy.ReadFile(path) }

// createAtomic starts an output file that is complete or absent
// (internal/atomicfile).
func createAtomic(path string) (*atomicfile.File, error) { return atomicfile.Create(path) }

// writeAtomic writes data to path, complete or not at all.
func writeAtomic(path string, data []byte) error { return atomicfile.WriteFile(path, data) }

// zipNPY writes named float64 arrays, each given by a file holding its
// raw data, into an .npz archive.
func zipNPY(w io.Writer, names []string, shapes [][]int, raws []string) error {
	z := zip.NewWriter(w)
	for i, n := range names {
		e, err := z.CreateHeader(&zip.FileHeader{Name: n + ".npy", Method: zip.Store})
		if err != nil {
			return err
		}
		if _, err := e.Write(npy.EncodeHeader(shapes[i], 0)); err != nil {
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
