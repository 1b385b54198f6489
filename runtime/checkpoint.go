package runtime

import (
	"archive/zip"
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/vlec-dev/vlec/internal/npy"
	"github.com/vlec-dev/vlec/ir/schedule"
)

// Checkpoints. A checkpoint is an uncompressed .npz archive (NumPy reads
// it with np.load) holding
//
//   - every parameter under its name as the model writes it ("W1",
//     "h.tau_m", "h.b", "kappa"): a weight matrix [rows, cols], a
//     population's parameter [n], a param a 0-d array;
//   - every buffer the step carries from one step to the next (states
//     and both halves, error neurons, rate caches, messages, parameter
//     copies, temporaries, Adam moments) as "vlec/<i>", flat, and those
//     of model teachers as "vlec/<teacher>/<i>";
//   - checkpoint.json (raw JSON, np.load gives its bytes): the model, the
//     step, the task's epoch, learning-rate factor and plateau counters
//     and metrics so far, Adam's step counts, the noise generators' states
//     and the table of the "vlec/" buffers (name, kind, rows, size).
//
// Loaded into a simulator of the same model (names, kinds and sizes must
// match), it continues the run bit for bit.

// CheckpointFormat names the layout of checkpoint.json.
const CheckpointFormat = "vlec checkpoint 1"

// checkpointMeta is checkpoint.json.
type checkpointMeta struct {
	Format    string     `json:"format"`
	Model     string     `json:"model"`
	Method    string     `json:"method"`
	Precision string     `json:"precision"`
	Batch     int        `json:"batch"`
	Seed      uint64     `json:"seed"`
	Step      int        `json:"step"` // steps run
	Task      *TaskState `json:"task,omitempty"`
	Sim       simMeta    `json:"sim"`
}

// simMeta is the state of one simulator (the model or a teacher).
type simMeta struct {
	AdamT    []int              `json:"adam_t"`
	Buffers  []bufferMeta       `json:"buffers"`
	Noise    []noiseMeta        `json:"noise,omitempty"`
	Teachers map[string]simMeta `json:"teachers,omitempty"`
}

type bufferMeta struct {
	Entry string `json:"entry"`
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Rows  int    `json:"rows"`
	Size  int    `json:"size"`
}

type noiseMeta struct {
	State []float64 `json:"state"`
	PCG   [][]byte  `json:"pcg"` // nil entries: not started
}

// persistent reports whether a buffer's value outlives a step.
func persistent(b *schedule.Buffer) bool {
	switch b.Kind {
	case schedule.Input, schedule.Target, schedule.Const:
		return false
	}
	return true
}

// SaveCheckpoint writes the simulator's state (and a task's, when ts is
// not nil) to path atomically: the file is complete or absent, and an
// earlier checkpoint at path stays intact until the new one is whole.
func (s *Sim) SaveCheckpoint(path string, ts *TaskState) error {
	return writeArchive(path, func(z *zip.Writer) error {
		meta := checkpointMeta{Format: CheckpointFormat, Model: s.prog.Model.Name, Method: string(s.prog.Model.Sim.Method),
			Precision: PrecisionOf(s.prog), Batch: s.batch, Seed: s.seed, Step: s.k, Task: ts}
		if err := s.writeParams(z); err != nil {
			return err
		}
		var err error
		if meta.Sim, err = s.writeState(z, "vlec/"); err != nil {
			return err
		}
		data, err := json.MarshalIndent(meta, "", " ")
		if err != nil {
			return err
		}
		e, err := z.CreateHeader(&zip.FileHeader{Name: "checkpoint.json", Method: zip.Store})
		if err != nil {
			return err
		}
		_, err = e.Write(data)
		return err
	})
}

// SaveParams writes the parameters alone, each under its name (as a
// checkpoint holds them), to an .npz archive at path, atomically: a small
// file of trained weights that --from and file("....npz") read.
func (s *Sim) SaveParams(path string) error {
	return writeArchive(path, s.writeParams)
}

// writeArchive writes an uncompressed zip archive at path atomically: the
// entries fill writes, in a temporary file renamed into place when it is
// complete.
func writeArchive(path string, fill func(z *zip.Writer) error) error {
	f, err := createAtomic(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	z := zip.NewWriter(w)
	err = fill(z)
	if err == nil {
		err = z.Close()
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// writeArray writes one float64 array into the archive.
func writeArray(z *zip.Writer, name string, shape []int, v []float64) error {
	e, err := z.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: zip.Store})
	if err != nil {
		return err
	}
	if _, err := e.Write(npy.EncodeHeader(shape, 0)); err != nil {
		return err
	}
	buf := make([]byte, 0, 1<<16)
	for len(v) > 0 {
		n := min(len(v), 1<<13)
		buf = npy.AppendFloats(buf[:0], v[:n])
		if _, err := e.Write(buf); err != nil {
			return err
		}
		v = v[n:]
	}
	return nil
}

// paramShape is the shape a parameter is saved with.
func paramShape(b *schedule.Buffer) []int {
	switch b.Shape.Rank {
	case 0:
		return []int{}
	case 2:
		return []int{b.Shape.Rows(), b.Shape.Cols()}
	}
	return []int{b.Size()}
}

func (s *Sim) writeParams(z *zip.Writer) error {
	for _, b := range s.prog.Buffers {
		if b.Kind != schedule.Param {
			continue
		}
		if err := writeArray(z, b.Name, paramShape(b), s.vals[b.ID]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Sim) writeState(z *zip.Writer, prefix string) (simMeta, error) {
	m := simMeta{AdamT: append([]int{}, s.adamT...), Buffers: []bufferMeta{}}
	for _, b := range s.prog.Buffers {
		if !persistent(b) {
			continue
		}
		entry := fmt.Sprintf("%s%d", prefix, b.ID)
		if err := writeArray(z, entry, []int{len(s.vals[b.ID])}, s.vals[b.ID]); err != nil {
			return m, err
		}
		m.Buffers = append(m.Buffers, bufferMeta{Entry: entry, Name: b.String(), Kind: b.Kind.String(), Rows: s.rows(b), Size: b.Size()})
	}
	for _, p := range s.noise {
		nm := noiseMeta{State: append([]float64{}, p.state...), PCG: make([][]byte, len(p.pcgs))}
		for i, g := range p.pcgs {
			if g != nil {
				nm.PCG[i], _ = g.MarshalBinary()
			}
		}
		m.Noise = append(m.Noise, nm)
	}
	for _, t := range s.teachers {
		name := s.teacherName(t)
		tm, err := t.writeState(z, prefix+name+"/")
		if err != nil {
			return m, err
		}
		if m.Teachers == nil {
			m.Teachers = map[string]simMeta{}
		}
		m.Teachers[name] = tm
	}
	return m, nil
}

// teacherName is the name of a teacher simulator in its parent's model.
func (s *Sim) teacherName(t *Sim) string {
	for tt, p := range s.prog.Teachers {
		if p == t.prog {
			return tt.Name
		}
	}
	return "teacher"
}

// CheckpointError is a checkpoint that does not fit the model.
type CheckpointError struct {
	Path string
	Msg  string
}

func (e *CheckpointError) Error() string { return e.Path + ": " + e.Msg }

// checkpointFile is an open checkpoint.
type checkpointFile struct {
	path string
	z    *npy.Archive
	meta checkpointMeta
}

func openCheckpoint(path string) (*checkpointFile, error) {
	z, err := npy.OpenArchive(path)
	if err != nil {
		return nil, err
	}
	c := &checkpointFile{path: path, z: z}
	zr, err := zip.OpenReader(path)
	if err != nil {
		z.Close()
		return nil, err
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != "checkpoint.json" {
			continue
		}
		r, err := f.Open()
		if err == nil {
			err = json.NewDecoder(io.LimitReader(r, 1<<30)).Decode(&c.meta)
			r.Close()
		}
		if err != nil {
			z.Close()
			return nil, &CheckpointError{path, fmt.Sprintf("checkpoint.json: %v", err)}
		}
	}
	if c.meta.Format != CheckpointFormat {
		z.Close()
		return nil, &CheckpointError{path, fmt.Sprintf("not a vlec checkpoint (no checkpoint.json of format %q; a .npz of parameters can initialise a model with --from)", CheckpointFormat)}
	}
	return c, nil
}

// LoadParams sets every parameter of the model that the file holds under
// its name (a checkpoint or any .npz of named arrays): a weight matrix
// [rows, cols], a population's parameter [n], a param a single value. It
// returns the names set. A name the model has with another shape, or a
// file holding none of the model's parameters, is an error; arrays the
// model has no parameter for are listed in the error only when nothing
// matched.
func (s *Sim) LoadParams(path string) ([]string, error) {
	z, err := npy.OpenArchive(path)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	var set []string
	for _, b := range s.prog.Buffers {
		if b.Kind != schedule.Param || !z.Has(b.Name) {
			continue
		}
		data, shape, err := z.Read(b.Name)
		if err != nil {
			return nil, err
		}
		want := paramShape(b)
		if len(data) != b.Size() || !sameShape(shape, want) {
			return nil, &CheckpointError{path, fmt.Sprintf("array %s has shape %s, but the model's %s has %s", b.Name, shapeText(shape), b.Name, shapeText(want))}
		}
		if err := finiteNPY(path+": array "+b.Name, data, shape); err != nil {
			return nil, err
		}
		if mask := s.masks[b.ID]; mask != nil {
			for i, on := range mask {
				if !on && data[i] != 0 {
					return nil, &CheckpointError{path, fmt.Sprintf("array %s has a nonzero entry %d where connection %s has none (its topology)", b.Name, i, b.Name)}
				}
			}
		}
		copy(s.vals[b.ID], data)
		if s.prog.Float32 {
			roundFloat32(s.vals[b.ID])
		}
		set = append(set, b.Name)
	}
	if len(set) == 0 {
		return nil, &CheckpointError{path, fmt.Sprintf("holds none of the parameters of model %s (it holds %s)", s.prog.Model.Name, strings.Join(z.Names(), ", "))}
	}
	s.init() // the messages and copies of the new parameters
	return set, nil
}

func sameShape(a, b []int) bool {
	if len(a) == 0 && len(b) == 1 && b[0] == 1 || len(b) == 0 && len(a) == 1 && a[0] == 1 {
		return true
	}
	return slices.Equal(a, b)
}

// resume loads a checkpoint written by SaveCheckpoint into a fresh
// simulator of the same model and returns the task state it holds (nil
// without a task).
func (s *Sim) resume(path string) (*TaskState, error) {
	c, err := openCheckpoint(path)
	if err != nil {
		return nil, err
	}
	defer c.z.Close()
	m := c.meta
	switch {
	case m.Model != s.prog.Model.Name:
		return nil, &CheckpointError{path, fmt.Sprintf("is a checkpoint of model %s, not of %s", m.Model, s.prog.Model.Name)}
	case m.Batch != s.batch:
		return nil, &CheckpointError{path, fmt.Sprintf("was written with batch %d; the model's batch is %d", m.Batch, s.batch)}
	case m.Precision != PrecisionOf(s.prog):
		return nil, &CheckpointError{path, fmt.Sprintf("was written in precision %s; this run is %s", m.Precision, PrecisionOf(s.prog))}
	case m.Method != string(s.prog.Model.Sim.Method):
		return nil, &CheckpointError{path, fmt.Sprintf("was written by method %s; this run is %s", m.Method, s.prog.Model.Sim.Method)}
	case m.Step > s.steps:
		return nil, &CheckpointError{path, fmt.Sprintf("is at step %d, past the end of this run (%d steps)", m.Step, s.steps)}
	}
	if (m.Task == nil) != (s.prog.Model.Task == nil) {
		return nil, &CheckpointError{path, "was written by a run with a task, and this model has none (or the reverse)"}
	}
	s.k = m.Step
	if err := s.readState(c, m.Sim, s.prog.Model.Name); err != nil {
		return nil, err
	}
	return m.Task, nil
}

func (s *Sim) readState(c *checkpointFile, m simMeta, who string) error {
	var want []*schedule.Buffer
	for _, b := range s.prog.Buffers {
		if persistent(b) {
			want = append(want, b)
		}
	}
	if len(m.Buffers) != len(want) {
		return &CheckpointError{c.path, fmt.Sprintf("holds %d buffers of %s; this model's step program has %d (a different model or vlec version)", len(m.Buffers), who, len(want))}
	}
	for i, b := range want {
		bm := m.Buffers[i]
		if bm.Name != b.String() || bm.Kind != b.Kind.String() || bm.Rows != s.rows(b) || bm.Size != b.Size() {
			return &CheckpointError{c.path, fmt.Sprintf("buffer %d of %s is %s (%s, %d x %d) in the checkpoint, %s (%s, %d x %d) in this model", i, who, bm.Name, bm.Kind, bm.Rows, bm.Size, b, b.Kind, s.rows(b), b.Size())}
		}
		data, _, err := c.z.Read(bm.Entry)
		if err != nil {
			return err
		}
		if len(data) != len(s.vals[b.ID]) {
			return &CheckpointError{c.path, fmt.Sprintf("%s holds %d values, %s needs %d", bm.Entry, len(data), b, len(s.vals[b.ID]))}
		}
		copy(s.vals[b.ID], data)
	}
	if len(m.AdamT) != len(s.adamT) {
		return &CheckpointError{c.path, fmt.Sprintf("holds %d Adam step counts for %s; the model has %d Adam kernels", len(m.AdamT), who, len(s.adamT))}
	}
	copy(s.adamT, m.AdamT)
	if len(m.Noise) != len(s.noise) {
		return &CheckpointError{c.path, fmt.Sprintf("holds %d noise generators of %s; the model has %d", len(m.Noise), who, len(s.noise))}
	}
	for i, nm := range m.Noise {
		p := s.noise[i]
		if len(nm.State) != len(p.state) || len(nm.PCG) != len(p.pcgs) {
			return &CheckpointError{c.path, fmt.Sprintf("noise generator %d of %s has %d entries; the model's has %d", i, who, len(nm.State), len(p.state))}
		}
		copy(p.state, nm.State)
		for j, raw := range nm.PCG {
			if raw == nil {
				p.pcgs[j], p.rngs[j] = nil, nil
				continue
			}
			g := &rand.PCG{}
			if err := g.UnmarshalBinary(raw); err != nil {
				return &CheckpointError{c.path, fmt.Sprintf("noise generator %d of %s: %v", i, who, err)}
			}
			p.pcgs[j], p.rngs[j] = g, rand.New(g)
		}
	}
	for i := range s.passSums {
		if s.passSummed[i] {
			s.passSums[i] = math.NaN()
		}
	}
	names := make([]string, 0, len(m.Teachers))
	for n := range m.Teachers {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) != len(s.teachers) {
		return &CheckpointError{c.path, fmt.Sprintf("holds %d teacher models of %s; the model has %d", len(names), who, len(s.teachers))}
	}
	for _, t := range s.teachers {
		name := s.teacherName(t)
		tm, ok := m.Teachers[name]
		if !ok {
			return &CheckpointError{c.path, fmt.Sprintf("holds no teacher %s", name)}
		}
		if err := t.readState(c, tm, "teacher "+name); err != nil {
			return err
		}
		t.k = s.k
	}
	return nil
}
