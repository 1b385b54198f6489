package golang

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"text/template"

	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/lang/check"
)

// Tasks. A model with a task (check.Task: a data set presented sample by
// sample over epochs, with evaluations, metrics, a learning-rate schedule,
// a stopping rule and checkpoints) runs vlec run's protocol in the
// generated module: task.go (tmpl/task.go.tmpl) holds the trainer, a copy
// of runtime/task.go, the data set's loading and presentation, a copy of
// runtime/data.go, and the checkpoints of runtime/checkpoint.go, in vlec's
// format; cmd/<model>/task.go (tmpl/taskmain.go.tmpl) the command's run of
// the task, as runtime/run.go runs it. What is specific to the model is
// generated here:
//
//   - the data set's arrays (DataPaths entries <dataset>.x, .y, .test.x,
//     .test.y) and the feed: a data input copies the current step of each
//     batch row's sample (fillX), a data teacher its target (fillY);
//   - the learning phase runs when the step learns (!m.learnOff: not in
//     a sample's settle steps nor in an evaluation), and every learning
//     rate is multiplied by the schedule's factor m.lrScale where the
//     interpreter multiplies it (rate * lrScale, computed at run time:
//     a factor of 1 leaves every number as it was);
//   - reset (every state, temporary and message 0, then the Init
//     kernels; parameters and moments kept), for the model and its
//     teachers;
//   - the checkpoint's tables: the parameters, the buffers a step carries
//     to the next (vlec/<i>, by the buffer's number in the step program),
//     the Adam step counts in the order of the fused program's Adam
//     kernels, the noise generators in the interpreter's order, and the
//     teachers;
//   - kernelsStoring, the step's kernels with every temporary stored
//     (none a local of an elementwise chain), which the last step of
//     each split runs instead of kernels: a checkpoint written after an
//     epoch then holds the interpreter's arrays, array for array,
//     temporaries included, while every other step keeps its locals
//     (storing them all costs mnist1d's step 12-15%).

// taskGen is the generated part of a model's task.
type taskGen struct {
	t    *check.Task
	ds   *check.Dataset
	pred *schedule.Buffer // the output whose argmax is the class; nil without
}

// taskArray is a data set array, as task.go.tmpl lists it.
type taskArray struct {
	Key, Name, Shape, Pos string
	N                     int
	Labels                bool
}

// planTask plans the task of the student (after planData): the outputs
// it reads, the data set's files, the fields of the model's type.
func (p *progGen) planTask() error {
	t := p.prog.Model.Task
	for _, tg := range p.teachers {
		if tm := tg.gen.prog.Model; tm.Task != nil || len(tm.Datasets) > 0 {
			return lang.Errorf(tg.t.Pos, "vlec gen go does not support a teacher model with a data set (teacher %s); use vlec run", tg.t.Name)
		}
	}
	if t == nil {
		return nil
	}
	ds := t.Data
	if ds == nil {
		return lang.Errorf(t.Pos, "the task has no data set")
	}
	if p.prog.LearnAfter != 0 {
		return fmt.Errorf("model %s: a task learns from step 0, the program from step %d", p.prog.Model.Name, p.prog.LearnAfter)
	}
	tg := &taskGen{t: t, ds: ds}
	if t.Predict != nil {
		name := t.Predict.Pop.Name + "." + t.Predict.Var
		b := p.prog.Named[name]
		if b == nil || !b.Batched {
			return lang.Errorf(t.Pos, "predict: the step program holds no %s per batch element", name)
		}
		if b.Size() != ds.Classes && ds.Classes > 0 {
			return lang.Errorf(t.Pos, "predict: %s has %d entries, but dataset %s has %d classes", name, b.Size(), ds.Name, ds.Classes)
		}
		tg.pred = b
		p.pinned[b] = true
	}
	for _, in := range p.prog.Model.Inputs {
		if in.Data != nil && in.Data != ds {
			return lang.Errorf(in.Pos, "input %s: dataset %s is not the task's", in.Name, in.Data.Name)
		}
	}
	for _, tb := range p.prog.Targets {
		if tt := tb.Teacher; tt != nil && tt.Data != nil {
			if tt.Data != ds {
				return lang.Errorf(tt.Pos, "teacher %s: dataset %s is not the task's", tt.Name, tt.Data.Name)
			}
			if tb.Buffer.Size() != tt.Size {
				return lang.Errorf(tt.Pos, "teacher %s has %d values, the energy reads %d", tt.Name, tt.Size, tb.Buffer.Size())
			}
		}
	}
	for _, a := range tg.arrays() {
		*p.plan.entries = append(*p.plan.entries, dataEntry{Key: a.Key, What: "dataset " + ds.Name, Pos: a.Pos, Path: absPath(tg.file(a.Key))})
	}
	p.plan.fields = append(p.plan.fields,
		"feed *dataFeed // the data set's presentation",
		"learnOff bool // learning is off in this step (a sample's settle steps, an evaluation)",
		"lrScale float64 // the schedule's factor on every learning rate",
		"storeTemps bool // the step stores every temporary (kernelsStoring): the last of a split, which a checkpoint may follow",
		"task taskRun // the task's state")
	p.task = tg
	return nil
}

// arrays are the data set's arrays: the training split's x and y, then
// the test split's.
func (tg *taskGen) arrays() []taskArray {
	ds := tg.ds
	var out []taskArray
	add := func(key string, a check.Array, n int, labels bool) {
		dims := make([]string, len(a.Shape))
		for i, d := range a.Shape {
			dims[i] = strconv.Itoa(d)
		}
		out = append(out, taskArray{Key: key, Name: a.Name, Shape: strings.Join(dims, ", "), Pos: a.Pos.String(), N: n, Labels: labels})
	}
	add(ds.Name+".x", ds.Train.X, ds.Train.N, false)
	add(ds.Name+".y", ds.Train.Y, ds.Train.N, ds.Classes > 0)
	if sp := ds.Test; sp != nil {
		add(ds.Name+".test.x", sp.X, sp.N, false)
		add(ds.Name+".test.y", sp.Y, sp.N, ds.Classes > 0)
	}
	return out
}

// file is the file of an array by its key.
func (tg *taskGen) file(key string) string {
	ds := tg.ds
	switch key {
	case ds.Name + ".x":
		return ds.Train.X.File
	case ds.Name + ".y":
		return ds.Train.Y.File
	case ds.Name + ".test.x":
		return ds.Test.X.File
	}
	return ds.Test.Y.File
}

// root is the student's generator.
func (p *progGen) root() *progGen {
	for p.parent != nil {
		p = p.parent
	}
	return p
}

// inTask reports whether p is the student or a teacher of a model with a
// task.
func (p *progGen) inTask() bool { return p.root().task != nil }

// learnCond is the condition under which the learning kernels of step k
// run: from LearnAfter on, and for a task's model while the step learns.
func (p *progGen) learnCond() string {
	if p.task != nil {
		return "!m.learnOff"
	}
	return fmt.Sprintf("k >= %d", p.prog.LearnAfter)
}

// rate is the source of a learning rate (or a factor carrying one) as a
// kernel applies it: the constant, or for a task's model the constant
// times the schedule's factor, multiplied at run time as the interpreter
// multiplies it.
func (p *progGen) rate(x float64) string {
	if p.task != nil {
		return constant(x).text() + " * m.lrScale"
	}
	return constant(x).text()
}

// feedAdvance is the start of the student's fillInputs: an undriven feed
// (Step outside a task's epochs) placed at step k.
func (p *progGen) feedAdvance() string {
	if p.task == nil {
		return ""
	}
	return "m.feed.advance(k) // the training samples in order when no epoch drives the feed\n"
}

// dataInput is the statement filling an input of the data set.
func (p *progGen) dataInput(in *check.Input, buf *schedule.Buffer) string {
	return fmt.Sprintf("fillX(m.feed, %s, %d) // %s = %s.x\n", p.f(buf), in.Size, in.Name, in.Data.Name)
}

// dataTarget is the statement filling a target of the data set.
func (p *progGen) dataTarget(tb *schedule.TargetBinding) string {
	return fmt.Sprintf("fillY(m.feed, %s, %d) // %s = %s.y\n", p.f(tb.Buffer), tb.Buffer.Size(), tb.Buffer.Name, tb.Teacher.Data.Name)
}

// emitTaskSetup writes the task's part of the student's setup: the data
// set read and checked, the factor on the rates 1, the trainer's state.
func (p *progGen) emitTaskSetup() {
	if p.task == nil {
		return
	}
	p.printf("feed, err := loadDataset()\nif err != nil {\nreturn err\n}\n")
	p.printf("m.feed, m.lrScale = feed, 1\nm.task.init()\n")
}

// emitTaskMethods writes the methods a task's model and its teachers
// need: reset, the checkpoint's tables and, for the student, the values
// the metrics read.
func (p *progGen) emitTaskMethods() {
	if !p.inTask() {
		return
	}
	p.emitReset()
	p.emitCheckpointState()
	if p.task == nil {
		return
	}
	p.emitCheckpointParams()
	cost, pred := "nil", "nil"
	if c := p.prog.Cost; c != nil {
		cost = p.f(c)
	}
	if b := p.task.pred; b != nil {
		pred = p.f(b)
	}
	p.printf("// taskValues are the cost per batch row and the prediction (%s) after a step.\n", p.task.predicted())
	p.printf("func (m *Model) taskValues() (cost, pred []%s) {\nreturn %s, %s\n}\n\n", p.elem(), cost, pred)
}

// predicted names the prediction as the summary does: y.r (sum over a
// sample); "" without one.
func (tg *taskGen) predicted() string {
	if tg.t.Predict == nil {
		return ""
	}
	return tg.t.Predict.Pop.Name + "." + tg.t.Predict.Var + " (" + tg.t.PredictBy + " over a sample)"
}

// emitReset writes reset, the interpreter's Sim.reset: every state (both
// halves) and temporary 0, then the Init kernels; the teachers reset too.
func (p *progGen) emitReset() {
	p.printf("// reset sets every state, temporary and message to where a run starts\n")
	p.printf("// (0, then the Init kernels); parameters and moments keep their values.\n")
	p.printf("func (m *%s) reset() {\n", p.typ)
	for _, b := range p.prog.Buffers {
		switch b.Kind {
		case schedule.State, schedule.Next, schedule.Temp:
			p.printf("clear(%s) // %s\n", p.f(b), b)
		}
	}
	p.printf("m.initKernels()\n")
	for _, t := range p.teachers {
		p.printf("m.%s.reset()\n", t.field)
	}
	p.printf("}\n\n")
}

// ckptStorage is the storage field of a checkpoint's buffer.
func (p *progGen) ckptStorage(b *schedule.Buffer) string {
	if p.prog.Float32 {
		return "v32: " + p.f(b)
	}
	return "v64: " + p.f(b)
}

// persistent reports whether a buffer's value outlives a step (the
// interpreter's persistent: a checkpoint holds it).
func persistent(b *schedule.Buffer) bool {
	switch b.Kind {
	case schedule.Input, schedule.Target, schedule.Const:
		return false
	}
	return true
}

// emitCheckpointState writes checkpointState: the program's buffers a
// checkpoint holds, its Adam step counts, noise generators and teachers.
func (p *progGen) emitCheckpointState() {
	p.printf("// checkpointState is what a checkpoint holds of the program.\n")
	p.printf("func (m *%s) checkpointState() ckptSim {\nreturn ckptSim{k: &m.k,\nbuffers: []ckptBuffer{\n", p.typ)
	for _, b := range p.prog.Buffers {
		if persistent(b) {
			p.printf("{id: %d, name: %q, kind: %q, rows: %d, size: %d, %s},\n", b.ID, b.String(), b.Kind.String(), p.rows(b), b.Size(), p.ckptStorage(b))
		}
	}
	p.printf("},\n")
	var adam []string
	for _, k := range p.kernels {
		if f, ok := p.adam[k]; ok && k.Op == schedule.OpAdam {
			adam = append(adam, "&m."+f)
		}
	}
	if len(adam) > 0 {
		p.printf("adam: []*int{%s},\n", strings.Join(adam, ", "))
	}
	var noise []string
	for _, in := range p.prog.Model.Inputs {
		buf := p.prog.Inputs[in]
		if buf == nil || p.plan.inputs[buf] == nil || p.plan.stims[in] == nil {
			continue
		}
		for _, n := range p.plan.stims[in].noises {
			noise = append(noise, "m."+n.field)
		}
	}
	if len(noise) > 0 {
		p.printf("noise: []ckptNoise{%s},\n", strings.Join(noise, ", "))
	}
	if len(p.teachers) > 0 {
		p.printf("teachers: []ckptTeacher{\n")
		for _, t := range p.teachers {
			p.printf("{name: %q, state: m.%s.checkpointState},\n", t.t.Name, t.field)
		}
		p.printf("},\n")
	}
	p.printf("}\n}\n\n")
}

// emitCheckpointParams writes checkpointParams: the student's parameters
// under their names, with their shapes and connectivity.
func (p *progGen) emitCheckpointParams() {
	p.printf("// checkpointParams are the model's parameters, by name.\n")
	p.printf("func (m *Model) checkpointParams() []ckptBuffer {\nreturn []ckptBuffer{\n")
	for _, b := range p.prog.Buffers {
		if b.Kind != schedule.Param {
			continue
		}
		var shape string
		switch b.Shape.Rank {
		case 0:
		case 2:
			shape = fmt.Sprintf("%d, %d", b.Shape.Rows(), b.Shape.Cols())
		default:
			shape = strconv.Itoa(b.Size())
		}
		mask := ""
		if f, ok := p.masks[b]; ok {
			mask = ", mask: m." + f
		}
		p.printf("{name: %q, size: %d, shape: []int{%s}, %s%s},\n", b.Name, b.Size(), shape, p.ckptStorage(b), mask)
	}
	p.printf("}\n}\n\n")
}

// taskTmpl are the values of tmpl/task.go.tmpl and tmpl/taskmain.go.tmpl.
type taskTmpl struct {
	tmplData
	Epochs, EvalEvery, CheckpointEvery, TrainBatches, TestBatches int
	TrainSamples, TestSamples, SampleSteps, Settle, Classes       int
	PredSize, XSize, YSize                                        int
	Predicted, Dataset                                            string
	Stream, Reset, Shuffle, PredictLast, OU                       bool
	Arrays                                                        []taskArray
	Schedule, Stop                                                string
}

// addTaskFiles adds the task's files to a task model's module: task.go
// and cmd/<model>/task.go.
func addTaskFiles(files Files, p *progGen, d tmplData) error {
	tg := p.task
	if tg == nil {
		return nil
	}
	t, ds := tg.t, tg.ds
	v := taskTmpl{tmplData: d, Epochs: t.Epochs, EvalEvery: t.EvalEvery, CheckpointEvery: t.CheckpointEvery,
		TrainBatches: t.TrainBatches, TestBatches: t.TestBatches, TrainSamples: ds.Train.N, SampleSteps: ds.Steps,
		Settle: ds.Settle, Classes: ds.Classes, XSize: ds.XSize, YSize: ds.YSize, Predicted: tg.predicted(), Dataset: ds.Name,
		Stream: ds.Stream, Reset: ds.Reset, Shuffle: ds.Shuffle, PredictLast: t.PredictBy == "last", OU: hasNoise(p), Arrays: tg.arrays()}
	if ds.Test != nil {
		v.TestSamples = ds.Test.N
	}
	if tg.pred != nil {
		v.PredSize = tg.pred.Size()
	}
	s := t.Schedule
	v.Schedule = fmt.Sprintf("kind: %q, metric: %q, every: %d, patience: %d, factor: %s, threshold: %s, minFac: %s",
		s.Kind, s.Metric, s.Every, s.Patience, goFloat(s.Factor), goFloat(s.Threshold), goFloat(s.MinFactor))
	v.Stop = "(*stopping)(nil)"
	if st := t.Stop; st != nil {
		v.Stop = fmt.Sprintf("&stopping{kind: %q, metric: %q, patience: %d, threshold: %s, value: %s}",
			st.Kind, st.Metric, st.Patience, goFloat(st.Threshold), goFloat(st.Value))
	}
	for name, path := range map[string]string{"task": "task.go", "taskmain": "cmd/" + d.Package + "/task.go"} {
		tt, err := template.New(name+".go.tmpl").Delims("⟦", "⟧").ParseFS(templates, "tmpl/"+name+".go.tmpl")
		if err != nil {
			return fmt.Errorf("internal error: template %s: %v", name, err)
		}
		var w bytes.Buffer
		if err := tt.Execute(&w, v); err != nil {
			return fmt.Errorf("internal error: template %s: %v", name, err)
		}
		files[path] = w.Bytes()
	}
	return nil
}

// goFloat is a float64's Go literal, its shortest form (which Go reads
// back as the same float64).
func goFloat(x float64) string {
	s := strconv.FormatFloat(x, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEIN") {
		s += ".0"
	}
	return s
}

// accFactor declares name, the factor of an accumulation into target:
// a constant, or for a change applied directly to a parameter of a task's
// model (which carries the learning rate) the constant times the
// schedule's factor, as the interpreter's accumulator scales it.
func (p *progGen) accFactor(name string, x float64, target *schedule.Buffer) string {
	if p.task != nil && target.Kind == schedule.Param {
		return fmt.Sprintf("%s := %s * m.lrScale", name, constant(x).text())
	}
	return fmt.Sprintf("const %s = %s", name, constant(x).text())
}

// hasNoise reports whether p or one of its teachers has an ou noise.
func hasNoise(p *progGen) bool {
	if p.plan != nil {
		for _, sp := range p.plan.stims {
			if len(sp.noises) > 0 {
				return true
			}
		}
	}
	for _, tg := range p.teachers {
		if hasNoise(tg.gen) {
			return true
		}
	}
	return false
}

// emitStoringKernels writes kernelsStoring, the step's kernels with every
// temporary stored, for a task's model.
func (p *progGen) emitStoringKernels() error {
	if p.task == nil {
		return nil
	}
	saved, gemms := p.pinned, len(p.gemms)
	p.pinned = map[*schedule.Buffer]bool{}
	for b := range saved {
		p.pinned[b] = true
	}
	for _, b := range p.prog.Buffers {
		if b.Kind == schedule.Temp {
			p.pinned[b] = true
		}
	}
	err := p.emitKernelFunc("kernelsStoring", "kernelsStoring runs the kernels of step k as kernels does, storing every temporary.", p.kernels, true)
	p.pinned, p.gemms = saved, p.gemms[:gemms]
	return err
}

// storingPrologue is the start of a task's model's kernels (kernels, or
// the two versions kernels0 and kernels1 of a program whose states are
// pairs of arrays): the step that stores every temporary runs
// kernelsStoring instead (which reads and writes the states through the
// fields, whichever halves they point at).
func (p *progGen) storingPrologue(name string) string {
	if p.task == nil || name != "kernels" && name != "kernels0" && name != "kernels1" {
		return ""
	}
	return "if m.storeTemps {\nm.kernelsStoring(k)\nreturn\n}\n"
}
