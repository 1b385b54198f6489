package runtime

import (
	"fmt"
	"github.com/vlec-dev/vlec/internal/npy"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/internal/npytest"
)

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func seq(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i + 1)
	}
	return out
}

// with returns xs with xs[i] = v.
func with(xs []float64, i int, v float64) []float64 {
	xs[i] = v
	return xs
}

// TestDataFileNonFinite: a NaN or an infinity in a data file is refused
// when the file is read, at its line and column (CSV) or its index
// (.npy); before, it surfaced steps later as a non-finite weight.
func TestDataFileNonFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name string
		data []byte
		want string // "" for no error
	}{
		{"a.csv", []byte("t,a,b\n0,1,2\n0.1,NaN,3\n"), "a.csv, line 3, column 2 (a): NaN is not a finite number"},
		{"b.csv", []byte("1,2\n3,+Inf\n"), "b.csv, line 2, column 2: +Inf is not a finite number"},
		{"c.csv", []byte("# comment\n1,2\n3,4\n-infinity,4\n"), "c.csv, line 4, column 1: -infinity is not a finite number"},
		{"d.csv", []byte("1,2\n3,1e400\n"), "d.csv, line 2, column 2: 1e400 is beyond the range of float64"},
		{"e.csv", []byte("1,2\n3,1e-400\n"), ""}, // an underflow reads as 0
		{"f.csv", []byte("1,2\n3,x\n"), `f.csv, line 2, column 2: "x" is not a number`},
		{"g.npy", npytest.V1("<f8", []int{2, 2}, with(seq(4), 2, nan)), "g.npy, entry [1, 0]: NaN is not a finite number"},
		{"h.npy", npytest.V1("<f4", []int{3}, with(seq(3), 1, -inf)), "h.npy, entry [1]: -Inf is not a finite number"},
		{"i.npy", npytest.V1("<f8", []int{2, 2, 3}, with(seq(12), 11, inf)), "i.npy, entry [1, 1, 2]: +Inf is not a finite number"},
		{"j.npy", npytest.V1("<i8", []int{2, 3}, seq(6)), ""},
		{"k.npy", npytest.V1("<f8", []int{2, 3}, seq(6)), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, c.name, c.data)
			data, shape, err := readArray(path)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("error %v", err)
			case c.want == "":
				if n := shape[0] * shape[len(shape)-1]; len(data) != n || data[0] != 1 {
					t.Fatalf("read %v shape %v", data, shape)
				}
			case err == nil:
				t.Fatalf("read %v, want error %q", data, c.want)
			case !strings.Contains(err.Error(), c.want):
				t.Fatalf("error\n%v\nwant it to contain\n%s", err, c.want)
			}
		})
	}
}

// TestSeriesFileShape: a stimulus or target file has the shape the
// declaration needs, and an error says what was found and what is
// needed; a 3-D .npy with another batch says so.
func TestSeriesFileShape(t *testing.T) {
	cases := []struct {
		name               string
		data               []byte
		size, batch, steps int
		want               string // "" for no error
		perBatch           bool
	}{
		{"batch3.npy", npytest.V1("<f8", []int{5, 3, 2}, seq(30)), 2, 2, 5,
			"batch3.npy has shape (5, 3, 2), read as (steps, batch, neurons): a batch of 3, but the model's batch is 2; it needs shape (5, 2, 2)", false},
		{"neurons3.npy", npytest.V1("<f8", []int{5, 2, 3}, seq(30)), 2, 2, 5,
			"neurons3.npy has shape (5, 2, 3), read as (steps, batch, neurons): 3 neurons, but it needs 2; shape (5, 2, 2)", false},
		{"ok3.npy", npytest.V1("<f8", []int{5, 2, 2}, seq(20)), 2, 2, 5, "", true},
		{"one3.npy", npytest.V1("<f8", []int{5, 1, 2}, seq(10)), 2, 1, 5, "", false},
		{"cols.npy", npytest.V1("<f8", []int{5, 4}, seq(20)), 3, 1, 5,
			"cols.npy has shape (5, 4); it needs shape (5, 3) (steps, neurons)", false},
		{"cols2.npy", npytest.V1("<f8", []int{5, 4}, seq(20)), 3, 2, 5,
			"it needs shape (5, 3) (steps, neurons), (5, 6) (steps, batch 2 x 3 neurons) or (5, 2, 3) (steps, batch, neurons)", false},
		{"perbatch.csv", []byte("1,2,3,4,5,6\n1,2,3,4,5,6\n"), 3, 2, 2, "", true},
		{"cols.csv", []byte("1,2,3,4,5\n1,2,3,4,5\n"), 3, 2, 2,
			"cols.csv holds 2 rows x 5 columns; it needs 3 columns (one per neuron) or 6 (batch 2 x 3 neurons", false},
		{"short.csv", []byte("t,a\n0,1\n1,2\n"), 1, 1, 5,
			"short.csv holds 2 rows x 1 columns, but the run needs 5 rows, one per step", false},
		{"short.npy", npytest.V1("<f8", []int{2, 1}, seq(2)), 1, 1, 5,
			"short.npy has shape (2, 1), but the run needs 5 steps (its first dimension), one per step", false},
		{"vec.npy", npytest.V1("<f8", []int{5}, seq(5)), 1, 3, 5, "", false},
		{"vec2.npy", npytest.V1("<f8", []int{5}, seq(5)), 2, 1, 5, "vec2.npy has shape (5,); it needs shape (5, 2) (steps, neurons)", false},
		{"four.npy", npytest.V1("<f8", []int{5, 1, 1, 1}, seq(5)), 1, 1, 5, "four.npy has shape (5, 1, 1, 1); it needs shape (5, 1)", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, c.name, c.data)
			s, err := loadSeries(path, c.size, c.batch, c.steps, "input x")
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("error %v", err)
			case c.want == "":
				if s.perBatch != c.perBatch {
					t.Fatalf("perBatch %v, want %v", s.perBatch, c.perBatch)
				}
			case err == nil:
				t.Fatalf("no error, want %q", c.want)
			case !strings.HasPrefix(err.Error(), "input x: ") || !strings.Contains(err.Error(), c.want):
				t.Fatalf("error\n%v\nwant it to contain\n%s", err, c.want)
			case strings.Contains(err.Error(), "columns per row"):
				t.Fatalf("error %v speaks of columns", err)
			}
		})
	}
}

// TestSeriesPerBatchFill: a 3-D .npy [steps][batch][neurons] gives every
// batch element its own row.
func TestSeriesPerBatchFill(t *testing.T) {
	path := writeFile(t, "x.npy", npytest.V1("<f8", []int{3, 2, 2}, seq(12)))
	s, err := loadSeries(path, 2, 2, 3, "input x")
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float64, 4)
	s.fill(dst, 1)
	if want := []float64{5, 6, 7, 8}; fmt.Sprint(dst) != fmt.Sprint(want) {
		t.Fatalf("step 1: %v, want %v", dst, want)
	}
}

// TestSeriesNonFiniteStep: the step of a non-finite value is named.
func TestSeriesNonFiniteStep(t *testing.T) {
	path := writeFile(t, "x.csv", []byte("t,a\n0,1\n0.1,2\n0.2,nan\n"))
	_, err := loadSeries(path, 1, 1, 3, "input x")
	if err == nil || !strings.Contains(err.Error(), "line 4, column 2 (a): nan is not a finite number (step 2)") {
		t.Fatalf("error %v", err)
	}
}

// TestNPYCorrupt: a header that announces more data than the file holds,
// or a shape whose size overflows, is refused before anything that size
// is allocated.
func TestNPYCorrupt(t *testing.T) {
	big := npytest.V1("<f8", []int{1 << 40}, seq(2))
	huge := npytest.V1("<f8", []int{1 << 40, 1 << 40}, nil)
	trunc := npytest.V1("<f8", []int{4}, seq(2))
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"big.npy", big, "the header announces shape (1099511627776,), 1099511627776 values, but the file holds 2"},
		{"huge.npy", huge, "holds more values than any file can"},
		{"trunc.npy", trunc, "announces shape (4,), 4 values, but the file holds 2"},
		{"text.npy", []byte("hello"), "not a NumPy .npy file"},
		{"dtype.npy", npytest.V1("<c16", []int{1}, nil), "dtype <c16 is not supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readArray(writeFile(t, c.name, c.data))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	// a stream of unknown length: memory grows with what arrives
	_, _, err := npy.Decode(strings.NewReader(string(big)), "pipe.npy", -1)
	if err == nil || !strings.Contains(err.Error(), "1099511627776 values expected: the data ends early") {
		t.Fatalf("error %v", err)
	}
}
