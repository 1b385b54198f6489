package plot

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/vlec-dev/vlec/internal/npy"
)

// A Run is a run directory of vlec run: its recordings, its summary and
// its metrics when it has them.
type Run struct {
	Dir        string
	Summary    *Summary     // nil without <model>.summary.json
	Recordings []*Recording // the record files, in the summary's order
	Metrics    *Recording   // <model>.metrics.csv of a task, or nil
}

// Summary holds the fields of <model>.summary.json the figures use.
type Summary struct {
	Model     string   `json:"model"`
	ModelFile string   `json:"model_file"`
	Method    string   `json:"method"`
	Steps     int      `json:"steps"`
	Dt        float64  `json:"dt"`
	Batch     int      `json:"batch"`
	Stopped   string   `json:"stopped"`
	Files     []string `json:"files"`
	Task      *struct {
		MetricsFile string `json:"metrics_file"`
	} `json:"task"`
}

// Label names the run in titles and legends: its model, or the
// directory's name without a summary.
func (r *Run) Label() string {
	if r.Summary != nil && r.Summary.Model != "" {
		return r.Summary.Model
	}
	return filepath.Base(r.Dir)
}

// A Recording is one file of rows: a record's CSV, .npy or .npz file, or
// a task's metrics CSV.
type Recording struct {
	Path    string   // the file
	Name    string   // the file relative to the run directory
	Columns []string // the value columns: CSV header names without step and t
	XName   string   // "t" (seconds) for a record, "epoch" for metrics
	format  string   // "csv", "npy" or "npz"
	xcol    int      // for CSV: the index of the x column in a row
	items   []npzItem
}

// npzItem is one array of an .npz recording and its columns.
type npzItem struct {
	name  string
	shape []int // without the rows
	first int   // index of its first column in Columns
}

// OpenRun reads the summary and the headers of the recordings in dir.
// The recordings are the summary's files that hold rows (a CSV with a
// header step,t,..., an .npy [rows, 2+columns], an .npz with t), or,
// without a summary, every such file under dir. A directory without any
// is an error that says what it holds.
func OpenRun(dir string) (*Run, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory (give the output directory of vlec run)", dir)
	}
	run := &Run{Dir: dir}
	if run.Summary, err = readSummary(dir); err != nil {
		return nil, err
	}
	names, err := candidates(dir, run.Summary)
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		rec, err := openRecording(dir, name)
		if err != nil {
			return nil, err
		}
		switch {
		case rec == nil:
		case rec.XName == "epoch":
			run.Metrics = rec
		default:
			run.Recordings = append(run.Recordings, rec)
		}
	}
	if len(run.Recordings) == 0 && run.Metrics == nil {
		return nil, noRecordings(dir, names)
	}
	return run, nil
}

func noRecordings(dir string, names []string) error {
	entries, _ := os.ReadDir(dir)
	var held []string
	for _, e := range entries {
		held = append(held, e.Name())
	}
	what := "nothing"
	if len(held) > 0 {
		what = strings.Join(held, ", ")
	}
	return fmt.Errorf("%s holds no recordings (CSV with a step,t header, .npy or .npz written by a record declaration, or a task's metrics CSV); it holds %s. Add `record ...` to the model (lang/SPEC.md, record) and run it again", dir, what)
}

// readSummary reads the one *.summary.json in dir, or returns nil.
func readSummary(dir string) (*Summary, error) {
	paths, _ := filepath.Glob(filepath.Join(dir, "*.summary.json"))
	if len(paths) == 0 {
		return nil, nil
	}
	sort.Strings(paths)
	b, err := os.ReadFile(paths[0])
	if err != nil {
		return nil, err
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: not a run summary: %v", paths[0], err)
	}
	return &s, nil
}

// candidates lists the files that may hold rows: the summary's files and
// metrics file, or every .csv, .npy and .npz under dir.
func candidates(dir string, s *Summary) ([]string, error) {
	var names []string
	if s != nil && len(s.Files) > 0 {
		for _, f := range s.Files {
			if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
				names = append(names, f)
			}
		}
		if s.Task != nil && s.Task.MetricsFile != "" && !contains(names, s.Task.MetricsFile) {
			if _, err := os.Stat(filepath.Join(dir, s.Task.MetricsFile)); err == nil {
				names = append(names, s.Task.MetricsFile)
			}
		}
		return names, nil
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".csv", ".npy", ".npz":
			rel, _ := filepath.Rel(dir, path)
			names = append(names, rel)
		}
		return nil
	})
	return names, err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// openRecording reads the header of the file name in dir; nil when the
// file holds no rows vlec recorded (a checkpoint, a parameter file).
func openRecording(dir, name string) (*Recording, error) {
	rec := &Recording{Path: filepath.Join(dir, name), Name: name, XName: "t"}
	var err error
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		rec.format = "csv"
		err = rec.csvHeader()
	case ".npy":
		rec.format = "npy"
		err = rec.npyHeader()
	case ".npz":
		rec.format = "npz"
		err = rec.npzHeader()
	default:
		return nil, nil
	}
	if errors.Is(err, errNotRecording) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// errNotRecording marks a file that is not a recording.
var errNotRecording = errors.New("not a recording")

func (r *Recording) csvHeader() error {
	f, err := os.Open(r.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	line, err := bufio.NewReaderSize(f, 1<<16).ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return errNotRecording
	}
	cols := strings.Split(strings.TrimRight(line, "\r\n"), ",")
	switch {
	case len(cols) > 2 && cols[0] == "step" && cols[1] == "t":
		r.Columns, r.xcol = cols[2:], 1
	case len(cols) > 1 && cols[0] == "epoch":
		r.Columns, r.xcol, r.XName = cols[1:], 0, "epoch"
	default:
		return errNotRecording
	}
	return nil
}

func (r *Recording) npyHeader() error {
	h, err := npy.FileHeader(r.Path)
	if err != nil || len(h.Shape) != 2 || h.Shape[1] < 3 {
		return errNotRecording
	}
	// An .npy recording has no column names: they are the file's stem
	// and the column's index.
	stem := strings.TrimSuffix(filepath.Base(r.Name), filepath.Ext(r.Name))
	for i := range h.Shape[1] - 2 {
		r.Columns = append(r.Columns, fmt.Sprintf("%s[%d]", stem, i))
	}
	return nil
}

func (r *Recording) npzHeader() error {
	a, err := npy.OpenArchive(r.Path)
	if err != nil {
		return errNotRecording
	}
	defer a.Close()
	if !a.Has("t") || !a.Has("step") {
		return errNotRecording
	}
	th, err := a.Header("t")
	if err != nil || len(th.Shape) != 1 {
		return errNotRecording
	}
	for _, name := range a.Names() {
		if name == "t" || name == "step" {
			continue
		}
		h, err := a.Header(name)
		if err != nil {
			return err
		}
		if len(h.Shape) == 0 || h.Shape[0] != th.Shape[0] {
			return fmt.Errorf("%s: array %s has shape %s, not [%d rows, ...] as t", r.Path, name, npy.ShapeText(h.Shape), th.Shape[0])
		}
		it := npzItem{name: name, shape: h.Shape[1:], first: len(r.Columns)}
		r.Columns = append(r.Columns, indexNames(name, it.shape)...)
		r.items = append(r.items, it)
	}
	return nil
}

// indexNames names the columns of an array of the given shape (without
// its rows) as the CSV does: name[i][j].
func indexNames(name string, shape []int) []string {
	names := []string{name}
	for _, d := range shape {
		next := make([]string, 0, len(names)*d)
		for _, n := range names {
			for i := range d {
				next = append(next, n+"["+strconv.Itoa(i)+"]")
			}
		}
		names = next
	}
	return names
}

// Scan reads the rows in order and calls fn with each row's x (t, or
// the epoch) and the values of the columns cols (indices into Columns),
// in that order; vals is reused between calls. It holds one row at a
// time. An empty CSV cell is NaN.
func (r *Recording) Scan(cols []int, fn func(x float64, vals []float64)) error {
	switch r.format {
	case "csv":
		return r.scanCSV(cols, fn)
	case "npy":
		return r.scanNPY(cols, fn)
	default:
		return r.scanNPZ(cols, fn)
	}
}

func (r *Recording) scanCSV(cols []int, fn func(float64, []float64)) error {
	f, err := os.Open(r.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	// want[i] is the position in vals of the row's field i, or -1
	width := len(r.Columns) + r.xcol + 1
	want := make([]int, width)
	for i := range want {
		want[i] = -1
	}
	off := r.xcol + 1
	for k, c := range cols {
		want[c+off] = k
	}
	vals := make([]float64, len(cols))
	br := bufio.NewReaderSize(f, 1<<16)
	if _, err := br.ReadString('\n'); err != nil {
		return nil
	}
	for line := 2; ; line++ {
		b, err := readLine(br)
		if len(b) > 0 {
			x, perr := parseRow(b, want, r.xcol, vals)
			if perr != nil {
				return fmt.Errorf("%s:%d: %v", r.Path, line, perr)
			}
			fn(x, vals)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readLine returns the next line without its end; the slice is valid
// until the next read.
func readLine(br *bufio.Reader) ([]byte, error) {
	b, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		long := append([]byte(nil), b...)
		for err == bufio.ErrBufferFull {
			b, err = br.ReadSlice('\n')
			long = append(long, b...)
		}
		b = long
	}
	return bytes.TrimRight(b, "\r\n"), err
}

// parseRow parses the fields of a CSV row that want selects into vals
// and returns the field xcol.
func parseRow(b []byte, want []int, xcol int, vals []float64) (float64, error) {
	x := math.NaN()
	for i := 0; ; i++ {
		j := bytes.IndexByte(b, ',')
		field := b
		if j >= 0 {
			field = b[:j]
		}
		if i >= len(want) {
			return 0, fmt.Errorf("more fields than the header's %d", len(want))
		}
		if i == xcol || want[i] >= 0 {
			v := math.NaN()
			if len(field) > 0 {
				var err error
				if v, err = strconv.ParseFloat(string(field), 64); err != nil {
					return 0, fmt.Errorf("field %d: %q is not a number", i+1, field)
				}
			}
			if i == xcol {
				x = v
			} else {
				vals[want[i]] = v
			}
		}
		if j < 0 {
			if i+1 != len(want) {
				return 0, fmt.Errorf("%d fields, the header has %d", i+1, len(want))
			}
			return x, nil
		}
		b = b[j+1:]
	}
}

// rowReader reads rows of n values of an .npy stream as float64.
type rowReader struct {
	r    *bufio.Reader
	kind string // "f8", "f4" or "i8"
	size int
	buf  []byte
	row  []float64
}

func newRowReader(r io.Reader, h npy.Header, n int) *rowReader {
	size := int(h.ItemSize())
	return &rowReader{r: bufio.NewReaderSize(r, 1<<16), kind: h.Descr[len(h.Descr)-2:], size: size,
		buf: make([]byte, n*size), row: make([]float64, n)}
}

func (rr *rowReader) next() error {
	if _, err := io.ReadFull(rr.r, rr.buf); err != nil {
		return fmt.Errorf("the data ends early (%v)", err)
	}
	for i := range rr.row {
		b := rr.buf[i*rr.size:]
		switch rr.kind {
		case "f8":
			rr.row[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
		case "f4":
			rr.row[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		default:
			rr.row[i] = float64(int64(binary.LittleEndian.Uint64(b)))
		}
	}
	return nil
}

func (r *Recording) scanNPY(cols []int, fn func(float64, []float64)) error {
	f, err := os.Open(r.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	h, err := npy.ReadHeader(br, r.Path, -1)
	if err != nil {
		return err
	}
	rr := newRowReader(br, h, h.Shape[1])
	vals := make([]float64, len(cols))
	for i := range h.Shape[0] {
		if err := rr.next(); err != nil {
			return fmt.Errorf("%s: row %d: %v", r.Path, i, err)
		}
		for k, c := range cols {
			vals[k] = rr.row[c+2]
		}
		fn(rr.row[1], vals)
	}
	return nil
}

func (r *Recording) scanNPZ(cols []int, fn func(float64, []float64)) error {
	z, err := zip.OpenReader(r.Path)
	if err != nil {
		return err
	}
	defer z.Close()
	members := map[string]*zip.File{}
	for _, f := range z.File {
		members[strings.TrimSuffix(f.Name, ".npy")] = f
	}
	// one reader per array that holds a wanted column, read in lockstep
	open := func(name string, n int) (*rowReader, int, error) {
		m := members[name]
		if m == nil {
			return nil, 0, fmt.Errorf("%s: array %s disappeared", r.Path, name)
		}
		rc, err := m.Open()
		if err != nil {
			return nil, 0, fmt.Errorf("%s: array %s: %v", r.Path, name, err)
		}
		br := bufio.NewReader(rc)
		h, err := npy.ReadHeader(br, r.Path+": array "+name, int64(m.UncompressedSize64))
		if err != nil {
			return nil, 0, err
		}
		return newRowReader(br, h, n), h.Shape[0], nil
	}
	t, rows, err := open("t", 1)
	if err != nil {
		return err
	}
	type src struct {
		rr        *rowReader
		col, into int
	}
	var srcs []src
	readers := map[string]*rowReader{}
	for k, c := range cols {
		it := r.itemOf(c)
		rr := readers[it.name]
		if rr == nil {
			n := 1
			for _, d := range it.shape {
				n *= d
			}
			if rr, _, err = open(it.name, n); err != nil {
				return err
			}
			readers[it.name] = rr
		}
		srcs = append(srcs, src{rr, c - it.first, k})
	}
	vals := make([]float64, len(cols))
	for i := range rows {
		if err := t.next(); err != nil {
			return fmt.Errorf("%s: t, row %d: %v", r.Path, i, err)
		}
		for name, rr := range readers {
			if err := rr.next(); err != nil {
				return fmt.Errorf("%s: %s, row %d: %v", r.Path, name, i, err)
			}
		}
		for _, s := range srcs {
			vals[s.into] = s.rr.row[s.col]
		}
		fn(t.row[0], vals)
	}
	return nil
}

// itemOf is the npz array that holds column c.
func (r *Recording) itemOf(c int) npzItem {
	i := sort.Search(len(r.items), func(i int) bool { return r.items[i].first > c }) - 1
	return r.items[i]
}
