package sweep

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vlec-dev/vlec/internal/atomicfile"
)

// Format names the manifest's layout; a manifest of another format is
// refused.
const Format = "vlec sweep 1"

// ManifestFile is the manifest's name in the sweep directory.
const ManifestFile = "sweep.json"

// RunsDir holds the runs' directories, in the sweep directory.
const RunsDir = "runs"

// LockFile is the file a vlec sweep process locks in the sweep
// directory (Lock).
const LockFile = ".lock"

// Manifest describes a sweep: the model, the vlec binary that runs it,
// the arguments every run gets, the grid and every run. It is written
// into the sweep directory before any run starts; a Slurm task finds its
// run in it by id.
type Manifest struct {
	Format string `json:"format"`
	// Model is the model file, an absolute path.
	Model string `json:"model"`
	// Vlec is the vlec binary the runs execute, an absolute path.
	Vlec string `json:"vlec"`
	// Sim, when set, is a simulator of the model that vlec build made
	// (absolute): the runs execute it instead of vlec run, and Slurm's
	// tasks need nothing else.
	Sim string `json:"sim,omitempty"`
	// Fixed are the arguments every run gets after its settings
	// (--duration 20s, --set sim.batch=4).
	Fixed []string `json:"fixed_args"`
	// Grid holds the axes: their names in order, with every value any
	// run of the sweep takes.
	Grid []Axis `json:"grid"`
	// Runs in the order of the grid.
	Runs []Run `json:"runs"`
}

// Run is one run of a sweep.
type Run struct {
	// ID is the run's number, stable for the life of the sweep
	// directory: a Slurm array's task id.
	ID       int      `json:"id"`
	Settings Settings `json:"settings"`
	// Dir is the run's directory, relative to the sweep directory.
	Dir string `json:"dir"`
	// Args are the arguments of vlec for the run; Command adds its
	// output directory.
	Args []string `json:"args"`
}

// Command gives the arguments of vlec (or of the simulator) for run r
// of the sweep in dir: its Args, then -o RUNDIR -q. Local runs and Slurm
// tasks run exactly this.
func (r Run) Command(dir string) []string {
	return append(slices.Clip(r.Args), "-o", filepath.Join(dir, r.Dir), "-q")
}

// Binary is the program the runs execute: the simulator when there is
// one, else vlec.
func (m *Manifest) Binary() string {
	if m.Sim != "" {
		return m.Sim
	}
	return m.Vlec
}

// New builds the manifest of a sweep of model (made absolute) over the
// axes, run by the vlec binary (or by sim, a simulator of the model,
// when not "") with the fixed arguments after each run's settings. Run
// ids count from 0 in the order of Expand.
func New(model, vlec, sim string, fixed []string, axes []Axis) (*Manifest, error) {
	absModel, err := filepath.Abs(model)
	if err != nil {
		return nil, err
	}
	settings, err := Expand(axes)
	if err != nil {
		return nil, err
	}
	m := &Manifest{Format: Format, Model: absModel, Vlec: vlec, Sim: sim, Fixed: slices.Clip(fixed), Grid: axes}
	if err := m.add(settings); err != nil {
		return nil, err
	}
	return m, nil
}

// add appends a run for every settings not yet in the manifest, with
// the next ids.
func (m *Manifest) add(settings []Settings) error {
	have := map[string]bool{}
	dirs := map[string]string{}
	next := 0
	for _, r := range m.Runs {
		have[r.Settings.key()] = true
		dirs[strings.ToLower(r.Dir)] = r.Settings.String()
		next = max(next, r.ID+1)
	}
	for _, s := range settings {
		if have[s.key()] {
			continue
		}
		dir := filepath.Join(RunsDir, DirName(s))
		// Compared ignoring case, for file systems that do.
		if other, ok := dirs[strings.ToLower(dir)]; ok {
			return fmt.Errorf("runs %s and %s would share the directory %s (the file system may ignore case): choose values that differ in more than case", other, s, dir)
		}
		dirs[strings.ToLower(dir)] = s.String()
		have[s.key()] = true
		args := RunArgs(m.Model, s, m.Fixed)
		if m.Sim != "" {
			args = args[2:] // the simulator is the model: no "run MODEL"
		}
		m.Runs = append(m.Runs, Run{ID: next, Settings: s, Dir: dir, Args: args})
		next++
	}
	return nil
}

// Run returns the run with the given id.
func (m *Manifest) Run(id int) (Run, bool) {
	for _, r := range m.Runs {
		if r.ID == id {
			return r, true
		}
	}
	return Run{}, false
}

// Select returns the manifest's runs with the given settings, in the
// manifest's order.
func (m *Manifest) Select(settings []Settings) []Run {
	want := map[string]bool{}
	for _, s := range settings {
		want[s.key()] = true
	}
	var out []Run
	for _, r := range m.Runs {
		if want[r.Settings.key()] {
			out = append(out, r)
		}
	}
	return out
}

// Merge brings the sweep next into the existing manifest m of the same
// directory and returns the result: m's runs keep their ids and
// directories, the combinations of next that m lacks are added with new
// ids, the grid's values become the union (m's first), and the binary
// becomes next's. The model, the fixed arguments and the grid's names
// must be the same; another sweep is refused.
func Merge(m, next *Manifest) (*Manifest, error) {
	why := ""
	switch {
	case m.Model != next.Model:
		why = fmt.Sprintf("its model is %s, not %s", m.Model, next.Model)
	case m.Sim != next.Sim:
		why = fmt.Sprintf("its runs use %s, not %s", engine(m), engine(next))
	case !slices.Equal(m.Fixed, next.Fixed):
		why = fmt.Sprintf("its runs get the flags %q, not %q", strings.Join(m.Fixed, " "), strings.Join(next.Fixed, " "))
	case !slices.Equal(axisNames(m.Grid), axisNames(next.Grid)):
		why = fmt.Sprintf("it sweeps %s, not %s", strings.Join(axisNames(m.Grid), ", "), strings.Join(axisNames(next.Grid), ", "))
	}
	if why != "" {
		return nil, fmt.Errorf("holds another sweep: %s; give another -o DIR (a sweep may only add values to the same names)", why)
	}
	out := *m
	out.Vlec = next.Vlec
	out.Grid = make([]Axis, len(m.Grid))
	for i, a := range m.Grid {
		vals := slices.Clone(a.Values)
		for _, v := range next.Grid[i].Values {
			if !slices.Contains(vals, v) {
				vals = append(vals, v)
			}
		}
		out.Grid[i] = Axis{Name: a.Name, Values: vals}
	}
	out.Runs = slices.Clone(m.Runs)
	settings := make([]Settings, len(next.Runs))
	for i, r := range next.Runs {
		settings[i] = r.Settings
	}
	if err := out.add(settings); err != nil {
		return nil, err
	}
	out.sort()
	return &out, nil
}

// sort orders the runs as the grid orders their values.
func (m *Manifest) sort() {
	index := make([]map[string]int, len(m.Grid))
	for i, a := range m.Grid {
		index[i] = map[string]int{}
		for j, v := range a.Values {
			index[i][v] = j
		}
	}
	slices.SortStableFunc(m.Runs, func(a, b Run) int {
		for i := range m.Grid {
			if c := index[i][a.Settings[i].Value] - index[i][b.Settings[i].Value]; c != 0 {
				return c
			}
		}
		return a.ID - b.ID
	})
}

// engine names what runs a sweep's runs.
func engine(m *Manifest) string {
	if m.Sim != "" {
		return "the simulator " + m.Sim
	}
	return "vlec run"
}

func axisNames(axes []Axis) []string {
	names := make([]string, len(axes))
	for i, a := range axes {
		names[i] = a.Name
	}
	return names
}

// Load reads the manifest of the sweep directory dir.
func Load(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no sweep here (no %s): give the -o DIR of a vlec sweep", dir, ManifestFile)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: not a sweep manifest: %v", path, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("%s: format %q, not %q: written by another version of vlec", path, m.Format, Format)
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &m, nil
}

// validate checks what a hand-edited manifest could break: ids unique,
// settings matching the grid, directories inside the sweep.
func (m *Manifest) validate() error {
	if m.Model == "" || m.Vlec == "" || len(m.Grid) == 0 {
		return fmt.Errorf("model, vlec and grid must be set")
	}
	ids := map[int]bool{}
	for _, r := range m.Runs {
		if ids[r.ID] || r.ID < 0 {
			return fmt.Errorf("run id %d is negative or given twice", r.ID)
		}
		ids[r.ID] = true
		if !slices.Equal(settingNames(r.Settings), axisNames(m.Grid)) {
			return fmt.Errorf("run %d: its settings %s do not match the grid's names %s", r.ID, r.Settings, strings.Join(axisNames(m.Grid), ", "))
		}
		// A run's directory is emptied before it runs: it must be one
		// of runs/.
		if base := filepath.Base(r.Dir); filepath.Dir(r.Dir) != RunsDir || base == "." || base == ".." {
			return fmt.Errorf("run %d: dir %q is not a directory in %s/", r.ID, r.Dir, RunsDir)
		}
		if len(r.Args) == 0 {
			return fmt.Errorf("run %d: no args", r.ID)
		}
	}
	return nil
}

func settingNames(s Settings) []string {
	names := make([]string, len(s))
	for i, x := range s {
		names[i] = x.Name
	}
	return names
}

// Save writes the manifest into dir atomically.
func (m *Manifest) Save(dir string) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, ManifestFile), append(data, '\n'))
}
