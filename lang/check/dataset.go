package check

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/vlec-dev/vlec/internal/npy"
	"github.com/vlec-dev/vlec/lang"
)

// Dataset is a data set of samples: per sample an input sequence x and a
// target y (class labels turned into one-hot targets, or values), split
// into a training and a test part. The runtime streams it sample by
// sample into the inputs and teachers that name it (`input x[1] =
// digits.x`, `teacher T = digits.y`).
type Dataset struct {
	Name  string
	Pos   lang.Pos
	Train Split
	Test  *Split // nil without a test split
	// Classes > 0: y holds integer labels 0..Classes-1, presented as
	// one-hot targets held for the sample. 0: y holds target values,
	// presented like x.
	Classes int
	// Stream: x holds one value (or vector) per step of a sample, shape
	// (N, L) or (N, L, n); otherwise one value per sample, (N,) or (N, n),
	// held for Steps.
	Stream bool
	Steps  int  // steps a sample is presented, Settle included
	Settle int  // steps at the start of a sample that neither learn nor count in the metrics
	Reset  bool // every state starts the sample at 0
	// Shuffle presents the training samples in a new order every epoch,
	// drawn from the seed and the epoch.
	Shuffle      bool
	XSize, YSize int // values per step of x and of y
	Length       int // stream: the sample length L (Steps - Settle)
}

// Split is one part of a data set.
type Split struct {
	Name string // "train" or "test"
	X, Y Array
	N    int // the samples used (the first N of the arrays)
}

// Array is one array of a data set as the file holds it.
type Array struct {
	File  string   // absolute path of an .npz, .npy or .csv file
	Name  string   // the array's name in an .npz; "" for .npy and .csv
	Shape []int    // as stored
	Int   bool     // stored as integers
	Pos   lang.Pos // the setting that names it
}

// Describe names the array for messages: "x.npy", "d.npz array x_test".
func (a Array) Describe() string {
	if a.Name != "" {
		return filepath.Base(a.File) + " array " + a.Name
	}
	return filepath.Base(a.File)
}

var datasetKeys = []string{"file", "x", "y", "samples", "test.file", "test.x", "test.y", "test.samples",
	"classes", "present", "steps", "settle", "reset", "shuffle"}

// checkDataset checks a dataset block and reads the shapes of its arrays.
func (c *checker) checkDataset(d *lang.DatasetDecl) {
	s := c.globals[d.Name.Name]
	if s == nil || s.decl != lang.Decl(d) {
		return
	}
	ds := &Dataset{Name: d.Name.Name, Pos: d.Name.At, Stream: true, Shuffle: true}
	s.entity = ds
	set := map[string]*lang.Setting{}
	for _, st := range d.Settings {
		key := settingKey(st)
		if set[key] != nil {
			c.errorf(st.At, "%s is set twice in dataset %s", key, ds.Name)
			continue
		}
		if !contains(datasetKeys, key) {
			c.errorf(st.At, "unknown dataset setting %s%s (settings: %s)", key, didYouMean(key, datasetKeys), strings.Join(datasetKeys, ", "))
			continue
		}
		set[key] = st
	}
	ok := true
	if st := set["classes"]; st != nil {
		ds.Classes, ok = c.intIn(st.Value, "classes", 2, MaxSize, "")
	}
	if st := set["present"]; st != nil {
		w, _ := c.word(st.Value, "present", "stream", "hold")
		ds.Stream = w != "hold"
	}
	if st := set["reset"]; st != nil {
		ds.Reset = c.boolValue(st.Value, "reset")
	}
	if st := set["shuffle"]; st != nil {
		ds.Shuffle = c.boolValue(st.Value, "shuffle")
	}
	if st := set["settle"]; st != nil {
		ds.Settle = c.stepCount(st.Value, "settle", 0)
	}
	train, okT := c.split(ds, "train", "", set)
	if !okT || !ok {
		c.m.Datasets = append(c.m.Datasets, ds)
		return
	}
	ds.Train = *train
	if set["test.x"] != nil || set["test.y"] != nil || set["test.file"] != nil {
		if test, ok := c.split(ds, "test", "test.", set); ok {
			ds.Test = test
		}
	}
	c.datasetShapes(ds, set)
	c.m.Datasets = append(c.m.Datasets, ds)
}

// boolValue reads true or false.
func (c *checker) boolValue(e lang.Expr, what string) bool {
	w, _ := c.word(e, what, "true", "false")
	return w == "true"
}

// stepCount reads a number of steps: `10 steps`-free, a count or a time
// that is a whole number of steps.
func (c *checker) stepCount(e lang.Expr, what string, lo int) int {
	v, ok := c.eval(e)
	if !ok || v.isList {
		if ok {
			c.errorf(e.Pos(), "%s must be a number of steps or a time", what)
		}
		return 0
	}
	if v.d.known && v.d.time == 1 {
		n, exact := stepsOf(v.v, c.m.Sim.Dt)
		if !exact || n < lo {
			c.errorf(e.Pos(), "%s = %gs is not a whole number of steps of dt = %gs", what, v.v, c.m.Sim.Dt)
			return 0
		}
		return n
	}
	n, _ := c.intIn(e, what+" (in steps)", lo, 1<<40, "")
	return n
}

// split reads the arrays of one split (keys prefixed by prefix).
func (c *checker) split(ds *Dataset, name, prefix string, set map[string]*lang.Setting) (*Split, bool) {
	sp := &Split{Name: name}
	archive := ""
	if st := set[prefix+"file"]; st != nil {
		archive = c.dataPath(st.Value, prefix+"file", ".npz")
	} else if st := set["file"]; st != nil && prefix != "" {
		archive = c.dataPath(st.Value, "file", ".npz")
	}
	ok := true
	for _, f := range []struct {
		key string
		dst *Array
	}{{"x", &sp.X}, {"y", &sp.Y}} {
		st := set[prefix+f.key]
		if st == nil {
			c.errorf(ds.Pos, "dataset %s needs %s%s: the array of the %s split's %s", ds.Name, prefix, f.key, name, map[string]string{"x": "inputs", "y": "targets or labels"}[f.key])
			ok = false
			continue
		}
		a, aok := c.dataArray(st, archive)
		*f.dst, ok = a, ok && aok
	}
	if !ok {
		return nil, false
	}
	n := sp.X.Shape[0]
	if len(sp.Y.Shape) == 0 || sp.Y.Shape[0] != n {
		c.errorf(sp.Y.Pos, "%s holds %s, %s holds %s: the %s split needs as many targets as samples (the first axis)", sp.X.Describe(), npy.ShapeText(sp.X.Shape), sp.Y.Describe(), npy.ShapeText(sp.Y.Shape), name)
		return nil, false
	}
	sp.N = n
	if st := set[prefix+"samples"]; st != nil {
		m, ok := c.intIn(st.Value, prefix+"samples", 1, n, fmt.Sprintf(": %s holds %d samples", sp.X.Describe(), n))
		if ok {
			sp.N = m
		}
	}
	if sp.N == 0 {
		c.errorf(sp.X.Pos, "%s holds no samples", sp.X.Describe())
		return nil, false
	}
	return sp, true
}

// dataPath resolves a quoted path with one of the extensions.
func (c *checker) dataPath(e lang.Expr, what string, exts ...string) string {
	lit, ok := e.(*lang.StringLit)
	if !ok {
		c.errorf(e.Pos(), "%s needs a path in double quotes", what)
		return ""
	}
	okExt := false
	for _, ext := range exts {
		okExt = okExt || strings.HasSuffix(strings.ToLower(lit.Value), ext)
	}
	if !okExt {
		c.errorf(lit.At, "%s must be a %s file, got %q", what, strings.Join(exts, " or "), lit.Value)
		return ""
	}
	path := c.u.resolvePath(lit.Value)
	if !c.fileExists(path, lit.At) {
		return ""
	}
	return path
}

// dataArray resolves one array setting: an .npy or .csv path, or the
// name of an array in the split's .npz archive, and reads its shape.
func (c *checker) dataArray(st *lang.Setting, archive string) (Array, bool) {
	lit, ok := st.Value.(*lang.StringLit)
	if !ok {
		c.errorf(st.Value.Pos(), "%s names an array in double quotes: an array of the dataset's file (\"x_test\") or a .npy or .csv file", settingKey(st))
		return Array{}, false
	}
	a := Array{Pos: lit.At}
	lower := strings.ToLower(lit.Value)
	switch {
	case strings.HasSuffix(lower, ".npy") || strings.HasSuffix(lower, ".csv"):
		a.File = c.u.resolvePath(lit.Value)
		if !c.fileExists(a.File, lit.At) {
			return a, false
		}
		var err error
		if strings.HasSuffix(lower, ".npy") {
			var h npy.Header
			h, err = npy.FileHeader(a.File)
			a.Shape, a.Int = h.Shape, h.Int()
		} else {
			a.Shape, err = csvShape(a.File)
		}
		if err != nil {
			c.errorf(lit.At, "%v", err)
			return a, false
		}
	case archive == "":
		c.errorf(lit.At, "%s names array %q, but the dataset has no file = \"....npz\" to hold it (or give a .npy or .csv path)", settingKey(st), lit.Value)
		return a, false
	default:
		a.File, a.Name = archive, lit.Value
		z, err := npy.OpenArchive(archive)
		if err != nil {
			c.errorf(lit.At, "%v", err)
			return a, false
		}
		defer z.Close()
		if !z.Has(lit.Value) {
			c.errorf(lit.At, "%s holds no array %q%s (it holds %s)", filepath.Base(archive), lit.Value, didYouMean(lit.Value, z.Names()), strings.Join(z.Names(), ", "))
			return a, false
		}
		h, err := z.Header(lit.Value)
		if err != nil {
			c.errorf(lit.At, "%v", err)
			return a, false
		}
		a.Shape, a.Int = h.Shape, h.Int()
	}
	if len(a.Shape) == 0 || len(a.Shape) > 3 {
		c.errorf(lit.At, "%s holds shape %s; a data set's arrays have one axis for the samples and up to two more", a.Describe(), npy.ShapeText(a.Shape))
		return a, false
	}
	return a, true
}

// csvShape counts the rows and columns of a CSV file (a header line and
// lines starting with # are skipped); the values are read when it loads.
func csvShape(path string) ([]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	rows, cols, line := 0, 0, 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, ",")
		if rows == 0 && cols == 0 {
			if _, err := strconv.ParseFloat(strings.TrimSpace(fields[0]), 64); err != nil {
				cols = -1 // a header
				continue
			}
		}
		if cols <= 0 {
			cols = len(fields)
		} else if len(fields) != cols {
			return nil, fmt.Errorf("%s:%d: %d columns, the rows before have %d", path, line, len(fields), cols)
		}
		rows++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if rows == 0 {
		return nil, fmt.Errorf("%s holds no rows", path)
	}
	if cols == 1 {
		return []int{rows}, nil
	}
	return []int{rows, cols}, nil
}

// datasetShapes derives the sizes per step and the sample length from the
// shapes, the same for both splits.
func (c *checker) datasetShapes(ds *Dataset, set map[string]*lang.Setting) {
	x := ds.Train.X
	switch {
	case ds.Stream && len(x.Shape) >= 2:
		ds.Length, ds.XSize = x.Shape[1], 1
		if len(x.Shape) == 3 {
			ds.XSize = x.Shape[2]
		}
	case ds.Stream:
		c.errorf(x.Pos, "%s holds shape %s, one value per sample; to stream a sample over its steps it needs (samples, steps) or (samples, steps, values); or write present = hold", x.Describe(), npy.ShapeText(x.Shape))
		return
	case len(x.Shape) == 3:
		c.errorf(x.Pos, "%s holds shape %s, a sequence per sample; present = hold holds one value (or vector) per sample, (samples,) or (samples, values); or write present = stream", x.Describe(), npy.ShapeText(x.Shape))
		return
	default:
		ds.XSize = 1
		if len(x.Shape) == 2 {
			ds.XSize = x.Shape[1]
		}
	}
	y := ds.Train.Y
	if ds.Classes > 0 {
		if len(y.Shape) != 1 {
			c.errorf(y.Pos, "%s holds shape %s, but with classes = %d it holds one integer label per sample, shape (samples,)", y.Describe(), npy.ShapeText(y.Shape), ds.Classes)
			return
		}
		ds.YSize = ds.Classes
	} else {
		switch {
		case ds.Stream && (len(y.Shape) < 2 || y.Shape[1] != ds.Length):
			c.errorf(y.Pos, "%s holds shape %s: without classes, targets are streamed like the inputs, (samples, %d) or (samples, %d, values); or give classes = N for integer labels", y.Describe(), npy.ShapeText(y.Shape), ds.Length, ds.Length)
			return
		case ds.Stream:
			ds.YSize = 1
			if len(y.Shape) == 3 {
				ds.YSize = y.Shape[2]
			}
		case len(y.Shape) == 3:
			c.errorf(y.Pos, "%s holds shape %s; held targets are (samples,) or (samples, values)", y.Describe(), npy.ShapeText(y.Shape))
			return
		default:
			ds.YSize = 1
			if len(y.Shape) == 2 {
				ds.YSize = y.Shape[1]
			}
		}
	}
	if ds.Test != nil {
		for _, pair := range [][2]Array{{x, ds.Test.X}, {y, ds.Test.Y}} {
			a, b := pair[0], pair[1]
			if len(a.Shape) != len(b.Shape) || !slices.Equal(a.Shape[1:], b.Shape[1:]) {
				c.errorf(b.Pos, "%s holds %s, %s holds %s: a test sample must have the shape of a training sample", b.Describe(), npy.ShapeText(b.Shape), a.Describe(), npy.ShapeText(a.Shape))
			}
		}
	}
	st := set["steps"]
	switch {
	case ds.Stream && st != nil:
		c.errorf(st.At, "a streamed sample lasts its length, %d steps (the second axis of %s); drop steps, or add settle steps", ds.Length, x.Describe())
	case ds.Stream:
		ds.Steps = ds.Length + ds.Settle
	case st == nil:
		c.errorf(ds.Pos, "dataset %s holds each sample for a number of steps: write steps = N (or a time)", ds.Name)
	default:
		ds.Steps = c.stepCount(st.Value, "steps", 1)
		if ds.Settle >= ds.Steps && ds.Steps > 0 {
			c.errorf(set["settle"].Value.Pos(), "settle = %d steps leaves none of the %d steps of a sample to learn from", ds.Settle, ds.Steps)
		}
	}
}

// dataField resolves `D.x` or `D.y` of a data set named by an input or a
// teacher: the data set and the field, or false.
func (c *checker) dataField(e lang.Expr) (*Dataset, string, bool) {
	sel, ok := e.(*lang.SelectorExpr)
	if !ok {
		return nil, "", false
	}
	id, ok := sel.X.(*lang.Ident)
	if !ok {
		return nil, "", false
	}
	s, ok := c.globals[id.Name]
	if !ok {
		return nil, "", false
	}
	if _, isData := s.decl.(*lang.DatasetDecl); !isData {
		return nil, "", false
	}
	ds, _ := s.entity.(*Dataset)
	if sel.Sel.Name != "x" && sel.Sel.Name != "y" {
		c.errorf(sel.Sel.At, "dataset %s has the arrays x (inputs) and y (targets), not %s", id.Name, sel.Sel.Name)
		return nil, "", true
	}
	return ds, sel.Sel.Name, true
}
