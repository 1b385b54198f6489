package runtime

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
)

// Summary describes a run; Run writes it as <model>.summary.json in the
// output directory. lang/SPEC.md (Outputs) documents every field.
type Summary struct {
	Model     string `json:"model"`
	ModelFile string `json:"model_file"`
	// Vlec is the build of vlec that ran the model.
	Vlec   BuildInfo `json:"vlec"`
	Method string    `json:"method"`
	// Precision is what the values were stored as: "float64" or
	// "float32" (lang/SPEC.md, sim).
	Precision string `json:"precision"`
	// Set are the settings given on the command line (--set NAME=VALUE),
	// in their order.
	Set []string `json:"set,omitempty"`
	// Steps run, of Planned.
	Steps      int    `json:"steps"`
	Planned    int    `json:"planned"`
	Dt         Float  `json:"dt"` // s
	Batch      int    `json:"batch"`
	Seed       uint64 `json:"seed"`
	LearnAfter int    `json:"learn_after"` // first learning step
	// Learning holds the learning settings of the model.
	Learning Learning `json:"learning"`
	// Started and Ended are the wall-clock times of the start of the
	// setup and of the end of the run, RFC 3339.
	Started        string `json:"started"`
	Ended          string `json:"ended"`
	WallSeconds    Float  `json:"wall_s"` // time spent stepping
	StepsPerSecond Float  `json:"steps_per_s"`
	// CostStart and CostEnd are the mean cost (per sample, averaged over
	// the batch; for method adjoint too, beta times the objective) over
	// the first and the last tenth of the learning steps (see costWindows);
	// nil without learning or cost.
	CostStart *Float `json:"cost_start,omitempty"`
	CostEnd   *Float `json:"cost_end,omitempty"`
	// Stopped says why the run ended: "completed", "interrupted", the
	// non-finite value that stopped it ("non-finite value NaN in ...") or
	// "write error".
	Stopped string `json:"stopped"`
	Error   string `json:"error,omitempty"`
	// Nonfinite names the number fields that are not finite, which JSON
	// cannot hold: the field is null and its value here ("NaN", "+Inf",
	// "-Inf"), keyed by its JSON path ("cost_end").
	Nonfinite map[string]string `json:"nonfinite,omitempty"`
	// Task summarises a task's run: epochs, final and best metrics.
	Task *TaskSummary `json:"task,omitempty"`
	// From names the file the parameters were initialised from.
	From *FromFile `json:"from,omitempty"`
	// ResumedFrom names the checkpoint the run continued.
	ResumedFrom *Resumed `json:"resumed_from,omitempty"`
	// Read lists every file the run read: the model, its imports and
	// teacher models, and the data files (inputs, teachers, weights).
	Read []FileHash `json:"read"`
	// Files are the files written, relative to the output directory (the
	// summary last).
	Files []string `json:"files"`
	// Dir is the output directory (not in the JSON: the summary sits in it).
	Dir string `json:"-"`
}

// TaskSummary is the outcome of a task: the epochs run, why it stopped
// early (the stopping rule), the last epoch's metrics and the best test
// accuracy (or, without one, the lowest test loss) with its epoch.
type TaskSummary struct {
	Epochs    int           `json:"epochs"`
	Planned   int           `json:"planned"`
	Stop      string        `json:"stop,omitempty"`
	Final     *EpochMetrics `json:"final,omitempty"`
	Best      *EpochMetrics `json:"best,omitempty"`
	BestBy    string        `json:"best_by,omitempty"`
	LRFactor  Float         `json:"lr_factor"`
	Metrics   string        `json:"metrics_file"`
	Predicted string        `json:"predict,omitempty"` // the quantity whose argmax is the class
}

// FromFile is the file a run took its initial parameters from.
type FromFile struct {
	Path   string   `json:"path"`
	Params []string `json:"params"`
}

// Resumed is the checkpoint a run continued from.
type Resumed struct {
	Path  string `json:"path"`
	Step  int    `json:"step"`
	Epoch int    `json:"epoch,omitempty"`
}

// steps is the step the run resumed at, 0 for a run from the start.
func (r *Resumed) steps() int {
	if r == nil {
		return 0
	}
	return r.Step
}

// Learning are the learning settings a summary records.
type Learning struct {
	LR        Float            `json:"lr"`
	Groups    map[string]Float `json:"groups,omitempty"` // learning rate per parameter group (learn { lr.W0 = ... })
	Optimizer string           `json:"optimizer"`
	Beta1     Float            `json:"adam_beta1,omitempty"`
	Beta2     Float            `json:"adam_beta2,omitempty"`
	Eps       Float            `json:"adam_eps,omitempty"`
	TauFloor  Float            `json:"tau_floor,omitempty"`    // s
	Window    int              `json:"window_steps,omitempty"` // method adjoint
}

// Float is a number of a summary. A finite value is a JSON number; NaN and
// ±Inf, which JSON cannot hold, are written as null and named in the
// summary's "nonfinite" map.
type Float float64

// UnmarshalJSON reads null as NaN (a checkpoint's metrics).
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = Float(math.NaN())
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Float(v)
	return nil
}

// MarshalJSON writes a finite value as a number, anything else as null.
func (f Float) MarshalJSON() ([]byte, error) {
	if !isFinite(float64(f)) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

// floatPtr returns a pointer to x as a Float.
func floatPtr(x float64) *Float {
	f := Float(x)
	return &f
}

// JSON encodes the summary, indented, with a final newline. Its
// non-finite numbers are null and named in Nonfinite.
func (s *Summary) JSON() ([]byte, error) {
	notes := map[string]string{}
	collectNonfinite(reflect.ValueOf(s).Elem(), "", notes)
	s.Nonfinite = nil
	if len(notes) > 0 {
		s.Nonfinite = notes
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

var floatType = reflect.TypeFor[Float]()

// collectNonfinite finds the non-finite Floats under v (structs, maps,
// pointers) and notes them by JSON path.
func collectNonfinite(v reflect.Value, path string, notes map[string]string) {
	switch {
	case v.Type() == floatType:
		if x := v.Float(); !isFinite(x) {
			notes[path] = nonfiniteText(x)
		}
	case v.Kind() == reflect.Pointer:
		if !v.IsNil() {
			collectNonfinite(v.Elem(), path, notes)
		}
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			collectNonfinite(v.Field(i), join(path, name), notes)
		}
	case v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String:
		for _, k := range v.MapKeys() {
			collectNonfinite(v.MapIndex(k), join(path, k.String()), notes)
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// nonfiniteText is how the summary spells a non-finite value.
func nonfiniteText(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case x > 0:
		return "+Inf"
	}
	return "-Inf"
}

// costWindows averages the cost over the first and the last tenth of the
// learning steps without keeping a cost per step. The learning steps are
// learnAfter ... planned-1 (L of them) and a tenth is w = max(1, L/10)
// steps; for a completed run the windows are the first and the last w
// learning steps, summed as they pass. A run that stops early after n
// learning steps averages the first and the last max(1, n/10) of them
// instead, at most ringMax each, kept in two bounded buffers.
type costWindows struct {
	learnAfter, planned, w int
	n                      int // learning steps seen
	first, last            float64
	head                   []float64 // the first costs, up to min(w, ringMax)
	ring                   []float64 // the last min(w, ringMax) costs
}

// ringMax bounds the memory of a stopped run's windows.
const ringMax = 1 << 16

func newCostWindows(learnAfter, planned int) *costWindows {
	c := &costWindows{learnAfter: learnAfter, planned: planned}
	if l := planned - learnAfter; l > 0 {
		c.w = max(1, l/10)
		c.ring = make([]float64, min(c.w, ringMax))
		c.head = make([]float64, 0, len(c.ring)) // no copies as it fills
	}
	return c
}

// add takes the cost of step k.
func (c *costWindows) add(k int, cost float64) {
	if k < c.learnAfter || k >= c.planned {
		return
	}
	if k-c.learnAfter < c.w {
		c.first += cost
	}
	if k >= c.planned-c.w {
		c.last += cost
	}
	if len(c.head) < len(c.ring) {
		c.head = append(c.head, cost)
	}
	c.ring[c.n%len(c.ring)] = cost
	c.n++
}

// means returns the mean cost of the first and the last window, nil
// when no learning step ran.
func (c *costWindows) means() (*Float, *Float) {
	switch {
	case c.n == 0:
		return nil, nil
	case c.n == c.planned-c.learnAfter:
		return floatPtr(c.first / float64(c.w)), floatPtr(c.last / float64(c.w))
	}
	m := min(max(1, c.n/10), len(c.ring))
	start, end := 0.0, 0.0
	for j := range m {
		start += c.head[j]
		end += c.ring[(c.n-m+j)%len(c.ring)]
	}
	return floatPtr(start / float64(m)), floatPtr(end / float64(m))
}
