package golang

import (
	"bytes"
	"fmt"
	"path/filepath"
	"text/template"

	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
)

// Data files and noise. The generated command reads the model's data
// files (file inputs, file teachers, weights from files) when New sets the
// model up, as vlec run reads them before its first step: each from the
// absolute path vlec resolved from the model (relative to the model
// file's directory) when it generated the code, listed in the generated
// package's DataPaths, which a program may change before New. The
// reading and checking code is data.go (tmpl/data.go.tmpl, a copy of
// runtime/files.go's readers with their messages); the ou noise
// generators are there too.

// dataEntry is a data file of the module: an entry of DataPaths.
type dataEntry struct {
	Key  string // DataPaths' key: the declared name; T.x for teacher T's input x
	What string // what reads it: "input x", "teacher D", "weights W0"
	Pos  string // the declaration, file:line:col
	// Context is what the errors of a teacher model's file start with,
	// as vlec run's do: "teacher T: "
	Context string
	Path    string // absolute
}

// inputPlan is what a program's stimuli and data files need: compiled
// stimuli, the fields of noise generators and data series, and the
// module's data files.
type inputPlan struct {
	prefix  string // DataPaths' key prefix: "" for the student, "T." in its teacher T
	context string // the errors' prefix: "" for the student, "teacher T: " in its teacher T
	stims   map[*check.Input]*stimPlan
	inputs  map[*schedule.Buffer]*check.Input // inputs that are not bound to the parent's
	series  map[*schedule.Buffer]*seriesField // inputs and targets read from files
	weights map[*schedule.Buffer]dataEntry    // weights read from files
	fields  []string                          // field declarations of the program's type
	entries *[]dataEntry                      // the module's data files, shared by the teachers
}

// seriesField is an input or a target read from a file, one row per
// step: the field holding the file's values, and the file.
type seriesField struct {
	field string
	size  int
	entry dataEntry
}

// planData compiles the stimuli of p and its teachers, names the fields
// of their noise generators and data series, and lists the data files. It
// runs after the teachers' generators exist (a teacher's bound inputs are
// its parent's) and before any code is emitted.
func (p *progGen) planData() error {
	pl := &inputPlan{stims: map[*check.Input]*stimPlan{}, inputs: map[*schedule.Buffer]*check.Input{},
		series: map[*schedule.Buffer]*seriesField{}, weights: map[*schedule.Buffer]dataEntry{}}
	if p.parent == nil {
		pl.entries = new([]dataEntry)
	} else {
		pl.entries = p.parent.plan.entries
		for _, tg := range p.parent.teachers {
			if tg.gen == p {
				pl.prefix = p.parent.plan.prefix + tg.t.Name + "."
				pl.context = p.parent.plan.context + "teacher " + tg.t.Name + ": "
			}
		}
	}
	p.plan = pl
	// in the order New reads the files: weights, teachers, file
	// teachers, inputs
	for _, b := range p.prog.Buffers {
		if c := b.Conn; c != nil && b.Init == nil && c.Init.Kind == check.InitFile {
			e := dataEntry{Key: pl.prefix + c.Name, What: "weights " + c.Name, Pos: c.Pos.String(), Context: pl.context,
				Path: absPath(c.Init.File)}
			pl.weights[b] = e
			*pl.entries = append(*pl.entries, e)
		}
	}
	for _, tg := range p.teachers {
		if err := tg.gen.planData(); err != nil {
			return err
		}
	}
	for _, tb := range p.prog.Targets {
		if t := tb.Teacher; t != nil && t.File != "" {
			p.addSeries(tb.Buffer, t.Name, "teacher "+t.Name, t.Pos, t.File, t.Size)
		}
	}
	bound := p.boundInputs()
	for _, in := range p.prog.Model.Inputs {
		buf := p.prog.Inputs[in]
		if buf == nil {
			continue
		}
		if _, ok := bound[buf]; ok {
			continue // a copy of the parent's: no file read, no stimulus
		}
		pl.inputs[buf] = in
		switch {
		case in.Data != nil:
			// the task's feed fills it (task.go)
		case in.File != "":
			p.addSeries(buf, in.Name, "input "+in.Name, in.Pos, in.File, in.Size)
		case in.Stimulus != nil:
			sp, err := p.compileStimulus(in)
			if err != nil {
				return err
			}
			pl.stims[in] = sp
			for _, n := range sp.noises {
				pl.fields = append(pl.fields, fmt.Sprintf("%s *ouNoise // noise %s", n.field, n.stream))
			}
			if bl := sp.block; bl != nil {
				n := bl.steps * p.prog.Batch * in.Size
				pl.fields = append(pl.fields, fmt.Sprintf("%s [%d]float64 // input %s for steps %s .. %s-1 (fill%s)", bl.values, n, in.Name, bl.base, bl.base+"End", upperFirst(bl.values)),
					fmt.Sprintf("%s, %sEnd int", bl.base, bl.base))
				for i, f := range bl.slots {
					pl.fields = append(pl.fields, fmt.Sprintf("%s [%d]float64 // the sine %s of input %s over a block", f, n, bl.sinArgs[i].text(), in.Name))
				}
			}
		default:
			return lang.Errorf(in.Pos, "input %s has neither a stimulus nor a file", in.Name)
		}
	}
	return nil
}

// addSeries plans the data series of buffer buf, read from file.
func (p *progGen) addSeries(buf *schedule.Buffer, name, what string, pos lang.Pos, file string, size int) {
	pl := p.plan
	sf := &seriesField{field: p.names.unique("file" + upperFirst(packageName(name))), size: size,
		entry: dataEntry{Key: pl.prefix + name, What: what, Pos: pos.String(), Context: pl.context, Path: absPath(file)}}
	pl.series[buf] = sf
	pl.fields = append(pl.fields, fmt.Sprintf("%s *dataSeries // %s = file(%q)", sf.field, what, filepath.Base(file)))
	*pl.entries = append(*pl.entries, sf.entry)
}

// absPath is path made absolute, as vlec resolves it now: the generated
// command reads it from wherever it runs.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// extraFields are the declarations of the fields planData added to the
// program's type.
func (p *progGen) extraFields() string {
	if p.plan == nil {
		return ""
	}
	var w bytes.Buffer
	for _, f := range p.plan.fields {
		w.WriteString(f + "\n")
	}
	return w.String()
}

// decl is the source of the dataDecl naming a data file in errors.
func (e dataEntry) decl() string {
	return fmt.Sprintf("dataDecl{pos: %q, what: %q, key: %q}", e.Context+e.Pos, e.What, e.Key)
}

// emitDataSetup writes the end of setup: the file teachers' series and
// then the inputs' series read from their files and their noise
// generators allocated, in the interpreter's order (after the weights
// and the teachers), so that the first problem reported is the one vlec
// run reports.
func (p *progGen) emitDataSetup() {
	if p.plan == nil {
		return
	}
	p.emitTaskSetup()
	load := func(sf *seriesField) {
		p.printf("if err := loadDataSeries(&m.%s, %s, %d, %d, steps); err != nil {\nreturn err\n}\n",
			sf.field, sf.entry.decl(), sf.size, p.prog.Batch)
	}
	for _, tb := range p.prog.Targets {
		if sf := p.plan.series[tb.Buffer]; sf != nil {
			load(sf)
		}
	}
	for _, in := range p.prog.Model.Inputs {
		buf := p.prog.Inputs[in]
		if buf == nil || p.plan.inputs[buf] == nil {
			continue
		}
		if sf := p.plan.series[buf]; sf != nil {
			load(sf)
			continue
		}
		if p.plan.stims[in] == nil {
			continue // the data set's
		}
		for _, n := range p.plan.stims[in].noises {
			p.printf("m.%s = newOUNoise(%d, %d, %s, seed, %#x) // %s\n", n.field, in.Size, p.prog.Batch,
				constant(p.prog.Dt).text(), streamHash(n.stream), n.stream)
		}
	}
}

// emitWeightFile writes the loading of weights b from their file.
func (p *progGen) emitWeightFile(b *schedule.Buffer) error {
	c := b.Conn
	e, ok := p.plan.weights[b]
	if !ok {
		return fmt.Errorf("weights %s: no data file planned", c.Name)
	}
	rows, cols := b.Shape.Rows(), b.Shape.Cols()
	need := fmt.Sprintf("%s -> %s needs %dx%d (rows = %s[%d], columns = %s[%d])", c.Src.NodeName(), c.Dst.NodeName(),
		rows, cols, c.Dst.NodeName(), rows, c.Src.NodeName(), cols)
	p.printf("if err := loadDataWeights(%s, %s, %d, %d, %v, %q); err != nil {\nreturn err\n}\n",
		p.f(b), e.decl(), rows, cols, c.Topology == check.OneToOne, need)
	return nil
}

// dataTmpl are the values of tmpl/data.go.tmpl.
type dataTmpl struct {
	tmplData
	Files   []dataEntry
	Readers bool // the model reads data files
	OU      bool // the model has ou noise
}

// dataFile is data.go: DataPaths and DataFiles, and, as the model needs
// them, the readers of CSV and .npy files and the ou noise generator.
func dataFile(p *progGen, d tmplData) ([]byte, error) {
	dt := dataTmpl{tmplData: d}
	if p.plan != nil {
		dt.Files = *p.plan.entries
	}
	dt.Readers = len(dt.Files) > 0
	var hasOU func(g *progGen) bool
	hasOU = func(g *progGen) bool {
		if g.plan != nil {
			for _, sp := range g.plan.stims {
				if len(sp.noises) > 0 {
					return true
				}
			}
		}
		for _, tg := range g.teachers {
			if hasOU(tg.gen) {
				return true
			}
		}
		return false
	}
	dt.OU = hasOU(p)
	t, err := template.New("data.go.tmpl").Delims("⟦", "⟧").ParseFS(templates, "tmpl/data.go.tmpl")
	if err != nil {
		return nil, fmt.Errorf("internal error: template data: %v", err)
	}
	var w bytes.Buffer
	if err := t.Execute(&w, dt); err != nil {
		return nil, fmt.Errorf("internal error: template data: %v", err)
	}
	return w.Bytes(), nil
}
