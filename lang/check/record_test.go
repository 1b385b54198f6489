package check_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/lang/check"
)

// recordModel is a small model without a task for the record tests.
const recordModel = `model m
import "std/gle"
sim { dt = 10ms; duration = 1s }
input x[2] = sine(freq = 1Hz, phase = i)
population h[2] : gle(tau_m = 50ms, b = 0 learnable)
population y[1] : gle(tau_m = 50ms)
connect x -> h W0 = constant(0.5) plastic
connect h -> y W1 = constant(0.5) plastic
param kappa = 0.1
energy {
  mismatch(h) + mismatch(y)
  kappa * loss(mse(y.r, 0.5))
}
`

// TestRecordsAccepted checks what the checker makes of accepted records:
// the items, their reductions (parallel to the items) and the interval,
// `every sample` resolved to the steps of one sample of the task's data
// set whether the task comes before or after the record.
func TestRecordsAccepted(t *testing.T) {
	// the data set of dataDir: 4 steps per streamed sample; held for 10
	// steps with settle = 2 (which counts among the 10)
	const hold = `file = "d.npz"; x = "xh"; y = "y"; classes = 3; present = hold; steps = 10; settle = 2`
	withTask := func(ds, input, record string, before bool) string {
		src := dataModel(ds, input, "y", "epochs = 1")
		if before {
			return strings.Replace(src, "task {", record+"\ntask {", 1)
		}
		return src + record + "\n"
	}
	for _, c := range []struct {
		name, src   string
		items       []string
		reduce      []string
		every       int
		everySample bool
	}{
		{"plain", recordModel + "record y.r, W0, kappa every 5 steps\n",
			[]string{"y.r", "W0", "kappa"}, []string{"", "", ""}, 5, false},
		{"reductions", recordModel + "record mean(y.r), sum(cost), h.u, mean(energy), sum(W1), mean(kappa), sum(h.b), mean(x) every 100ms\n",
			[]string{"y.r", "cost", "h.u", "energy", "W1", "kappa", "h.b", "x"}, []string{"mean", "sum", "", "mean", "sum", "mean", "sum", "mean"}, 10, false},
		{"every step", recordModel + "record sum(y.e)\n",
			[]string{"y.e"}, []string{"sum"}, 1, false},
		{"every sample after the task", withTask(okData, "1", "record mean(y.r), sum(cost), T every sample to \"s.csv\"", false),
			[]string{"y.r", "cost", "T"}, []string{"mean", "sum", ""}, 4, true},
		{"every sample before the task", withTask(okData, "1", "record mean(y.r) every sample to \"s.npz\"", true),
			[]string{"y.r"}, []string{"mean"}, 4, true},
		{"every sample, plain", withTask(hold, "3", "record y.r every sample", true),
			[]string{"y.r"}, []string{""}, 10, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := dataDir(t)
			path := filepath.Join(dir, "m.vle")
			if err := os.WriteFile(path, []byte(c.src), 0o644); err != nil {
				t.Fatal(err)
			}
			m, src, err := check.Load(path)
			if err != nil {
				t.Fatal(src.Format(err))
			}
			if len(m.Records) != 1 {
				t.Fatalf("%d records", len(m.Records))
			}
			r := m.Records[0]
			var items []string
			for _, it := range r.Items {
				items = append(items, it.String())
			}
			if !slices.Equal(items, c.items) || !slices.Equal(r.Reduce, c.reduce) {
				t.Errorf("items %q reduced by %q; want %q, %q", items, r.Reduce, c.items, c.reduce)
			}
			if r.Every != c.every || r.EverySample != c.everySample {
				t.Errorf("every %d (sample %v); want %d (%v)", r.Every, r.EverySample, c.every, c.everySample)
			}
			want := slices.ContainsFunc(c.reduce, func(s string) bool { return s != "" })
			if r.Reduced() != want {
				t.Errorf("Reduced() = %v", !want)
			}
		})
	}
}
