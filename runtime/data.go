package runtime

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vlec-dev/vlec/internal/npy"
	"github.com/vlec-dev/vlec/lang/check"
)

// Data sets. A data set is held as its files store it, one row per sample
// (a streamed sample's whole sequence in its row), never expanded per
// step; the feed copies the values of the current step of each batch
// row's sample into the input and target buffers at the start of a step.

// dataSet is a loaded data set.
type dataSet struct {
	ds          *check.Dataset
	train, test *dataSplit
}

// dataSplit is one split: n samples of xPer input values and yPer target
// values (1 label with classes).
type dataSplit struct {
	name       string
	n          int
	x, y       []float64
	xPer, yPer int
}

// loadDataset reads and checks both splits of ds.
func loadDataset(ds *check.Dataset) (*dataSet, error) {
	out := &dataSet{ds: ds}
	var err error
	if out.train, err = loadSplit(ds, &ds.Train); err != nil {
		return nil, err
	}
	if ds.Test != nil {
		if out.test, err = loadSplit(ds, ds.Test); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func loadSplit(ds *check.Dataset, sp *check.Split) (*dataSplit, error) {
	out := &dataSplit{name: sp.Name, n: sp.N}
	var err error
	if out.x, out.xPer, err = loadDataArray(sp.X, sp.N); err != nil {
		return nil, err
	}
	if out.y, out.yPer, err = loadDataArray(sp.Y, sp.N); err != nil {
		return nil, err
	}
	if ds.Classes > 0 {
		for i, v := range out.y {
			if v != math.Trunc(v) || v < 0 || v >= float64(ds.Classes) {
				return nil, positioned(sp.Y.Pos, fmt.Errorf("%s, entry [%d]: label %g is not a class of 0 to %d (classes = %d)", sp.Y.Describe(), i, v, ds.Classes-1, ds.Classes))
			}
		}
	}
	return out, nil
}

// loadDataArray reads the first n samples of an array, which must still
// have the shape the checker read, and refuses non-finite values.
func loadDataArray(a check.Array, n int) ([]float64, int, error) {
	var data []float64
	var shape []int
	var err error
	switch {
	case a.Name != "":
		var z *npy.Archive
		if z, err = npy.OpenArchive(a.File); err == nil {
			data, shape, err = z.Read(a.Name)
			z.Close()
		}
	case strings.HasSuffix(strings.ToLower(a.File), ".npy"):
		data, shape, err = npy.ReadFile(a.File)
	default:
		var sh [2]int
		data, sh, err = readCSVMatrix(a.File)
		shape = sh[:]
		if sh[1] == 1 {
			shape = sh[:1]
		}
	}
	if err != nil {
		return nil, 0, positioned(a.Pos, err)
	}
	if !slices.Equal(shape, a.Shape) {
		return nil, 0, positioned(a.Pos, fmt.Errorf("%s now holds shape %s; it held %s when the model was checked", a.Describe(), shapeText(shape), shapeText(a.Shape)))
	}
	per := 1
	for _, d := range shape[1:] {
		per *= d
	}
	data = data[:n*per]
	for i, x := range data {
		if !isFinite(x) {
			idx := []int{i / per}
			if len(shape) > 1 {
				rest := i % per
				tail := make([]int, len(shape)-1)
				for d := len(shape) - 1; d >= 1; d-- {
					tail[d-1] = rest % shape[d]
					rest /= shape[d]
				}
				idx = append(idx, tail...)
			}
			return nil, 0, positioned(a.Pos, fmt.Errorf("%s, entry %s (sample %d): %v is not a finite number; a data set must hold finite values", a.Describe(), indexText(idx), idx[0], x))
		}
	}
	return data, per, nil
}

// dataFeed is the presentation in progress: which sample of which split
// each batch row shows, and the step within the sample.
type dataFeed struct {
	set   *dataSet
	split *dataSplit
	rows  []int // the sample of each batch row
	pos   int   // the step within the sample, 0 to Steps-1
	// driven says a trainer moves the feed; otherwise (vlec bench, grad,
	// the stability analysis) step k presents the training samples in
	// order, batch after batch (at).
	driven bool
}

// at places an undriven feed at step k: the training split in order, a
// sample per batch row, Steps steps per batch.
func (f *dataFeed) at(k int) {
	steps := f.set.ds.Steps
	batch := k / steps
	f.split, f.pos = f.set.train, k%steps
	for b := range f.rows {
		f.rows[b] = (batch*len(f.rows) + b) % f.split.n
	}
}

// at returns the index of the values of step pos of a streamed sample
// (settle steps show the first value).
func (f *dataFeed) step() int {
	ds := f.set.ds
	if !ds.Stream {
		return 0
	}
	return max(f.pos-ds.Settle, 0)
}

// fillX writes the inputs of the current step: size values per batch row.
func (f *dataFeed) fillX(dst []float64, size int) {
	sp, j := f.split, f.step()
	for b, idx := range f.rows {
		off := idx*sp.xPer + j*size
		copy(dst[b*size:(b+1)*size], sp.x[off:off+size])
	}
}

// fillY writes the targets of the current step: a one-hot row per batch
// row with classes, else the values.
func (f *dataFeed) fillY(dst []float64, size int) {
	sp, ds := f.split, f.set.ds
	if ds.Classes > 0 {
		clear(dst)
		for b, idx := range f.rows {
			dst[b*size+int(sp.y[idx])] = 1
		}
		return
	}
	j := f.step()
	for b, idx := range f.rows {
		off := idx*sp.yPer + j*size
		copy(dst[b*size:(b+1)*size], sp.y[off:off+size])
	}
}

// label is the class of a batch row's sample.
func (f *dataFeed) label(b int) int { return int(f.split.y[f.rows[b]]) }

// dataFiles lists the files a data set reads (for the summary).
func dataFiles(ds *check.Dataset) []string {
	seen := map[string]bool{}
	var out []string
	for _, sp := range []*check.Split{&ds.Train, ds.Test} {
		if sp == nil {
			continue
		}
		for _, a := range []check.Array{sp.X, sp.Y} {
			if !seen[a.File] {
				seen[a.File] = true
				out = append(out, filepath.Clean(a.File))
			}
		}
	}
	return out
}
