package check

import (
	"fmt"
	"strings"

	"github.com/vlec-dev/vlec/lang"
)

// Task is a training protocol over a data set: epochs of the training
// split with learning on, each followed (every EvalEvery epochs) by an
// evaluation of the test split with learning off; metrics per epoch; a
// learning-rate schedule; a stopping rule; checkpoints.
type Task struct {
	Pos       lang.Pos
	Data      *Dataset
	Epochs    int
	EvalEvery int // evaluate after every N-th epoch and after the last; 0: never
	// Predict is the quantity whose argmax over its neurons is the
	// predicted class (the accuracy metric): its sum over the sample's
	// steps after settle (PredictBy "sum") or its value at the sample's
	// last step ("last"). Nil: no accuracy.
	Predict   *Ref
	PredictBy string
	Schedule  Schedule
	Stop      *Stop // nil: run every epoch
	// CheckpointEvery writes a checkpoint after every N-th epoch; one is
	// always written at the end. 0: only at the end.
	CheckpointEvery int
	// Batches per epoch of the training and of the test split.
	TrainBatches, TestBatches int
}

// Metric names a metric of an epoch: "train.loss", "test.accuracy".
type Metric string

// Metrics are the metrics a task can compute.
var Metrics = []Metric{"train.loss", "train.accuracy", "test.loss", "test.accuracy"}

// Lower reports whether smaller is better (a loss).
func (m Metric) Lower() bool { return strings.HasSuffix(string(m), ".loss") }

// Schedule is a learning-rate schedule: the learning rates of the learn
// block are multiplied by a factor that changes between epochs.
type Schedule struct {
	Kind      string // "constant", "step" or "plateau"
	Every     int    // step: multiply by Factor after every Every epochs (step(epochs = N))
	Factor    float64
	Metric    Metric  // plateau: the metric watched
	Patience  int     // plateau: epochs without improvement before the factor applies
	Threshold float64 // plateau: the relative improvement that counts
	MinFactor float64 // the factor never goes below this
}

// Stop is a stopping rule, checked after every epoch's metrics.
type Stop struct {
	Kind      string // "plateau": Patience epochs without improvement; "target": Metric reaches Value
	Metric    Metric
	Patience  int
	Threshold float64
	Value     float64
}

var taskKeys = []string{"data", "epochs", "eval_every", "predict", "predict_by", "lr_schedule", "stop", "checkpoint_every"}

// checkTask checks the task block.
func (c *checker) checkTask(d *lang.TaskDecl) {
	t := &Task{Pos: d.At, Epochs: 1, EvalEvery: 1, PredictBy: "sum", Schedule: Schedule{Kind: "constant", Factor: 1}}
	c.m.Task = t
	seen := map[string]*lang.Setting{}
	for _, st := range d.Settings {
		key := settingKey(st)
		if seen[key] != nil {
			c.errorf(st.At, "%s is set twice in the task block", key)
			continue
		}
		seen[key] = st
		switch key {
		case "data":
			t.Data = c.taskData(st.Value)
		case "epochs":
			t.Epochs, _ = c.intIn(st.Value, "epochs", 1, 1<<30, "")
		case "eval_every":
			t.EvalEvery, _ = c.intIn(st.Value, "eval_every", 0, 1<<30, "")
		case "checkpoint_every":
			t.CheckpointEvery, _ = c.intIn(st.Value, "checkpoint_every", 0, 1<<30, "")
		case "predict":
			t.Predict = c.recordItem(st.Value)
			if t.Predict != nil && (t.Predict.Shp.Rank != 1 || t.Predict.Kind == RefCost || t.Predict.Kind == RefEnergy) {
				c.errorf(st.Value.Pos(), "predict names the output whose largest entry is the class, a population's quantity such as y.r")
				t.Predict = nil
			}
		case "predict_by":
			t.PredictBy, _ = c.word(st.Value, "predict_by", "sum", "last")
		case "lr_schedule":
			t.Schedule = c.schedule(st.Value)
		case "stop":
			t.Stop = c.stopRule(st.Value)
		default:
			c.errorf(st.At, "unknown task setting %s%s (settings: %s)", key, didYouMean(key, taskKeys), strings.Join(taskKeys, ", "))
		}
	}
	if t.Data == nil && seen["data"] == nil {
		switch len(c.m.Datasets) {
		case 0:
			c.errorf(d.At, "a task trains on a dataset, and the model declares none (dataset NAME { file = ...; x = ...; y = ... })")
		case 1:
			t.Data = c.m.Datasets[0]
		default:
			c.errorf(d.At, "the model declares %d datasets; name the one to train on: data = %s", len(c.m.Datasets), c.m.Datasets[0].Name)
		}
	}
	if t.Predict != nil && t.Data != nil && t.Data.Classes == 0 && t.Data.Steps > 0 {
		c.errorf(seen["predict"].Value.Pos(), "predict gives an accuracy against class labels, and dataset %s has none (classes = N)", t.Data.Name)
		t.Predict = nil
	}
	for _, m := range []Metric{t.Schedule.Metric, stopMetric(t.Stop)} {
		if m == "" || t.Data == nil {
			continue
		}
		if strings.HasPrefix(string(m), "test.") && (t.Data.Test == nil || t.EvalEvery == 0) {
			c.errorf(d.At, "the task watches %s, but %s", m, map[bool]string{true: "eval_every = 0 turns the evaluation off", false: "dataset " + t.Data.Name + " has no test split (test.x, test.y)"}[t.Data.Test != nil])
		}
		if strings.HasSuffix(string(m), ".accuracy") && t.Predict == nil {
			c.errorf(d.At, "the task watches %s, which needs predict = OUTPUT (e.g. y.r)", m)
		}
	}
}

func stopMetric(s *Stop) Metric {
	if s == nil {
		return ""
	}
	return s.Metric
}

// taskData resolves data = NAME.
func (c *checker) taskData(e lang.Expr) *Dataset {
	id, ok := e.(*lang.Ident)
	if ok {
		if s := c.globals[id.Name]; s != nil {
			if ds, ok := s.entity.(*Dataset); ok {
				return ds
			}
		}
	}
	names := []string{}
	for _, ds := range c.m.Datasets {
		names = append(names, ds.Name)
	}
	name := describe(e)
	if ok {
		name = id.Name
	}
	c.errorf(e.Pos(), "data names a dataset, not %s%s", name, didYouMean(name, names))
	return nil
}

// metric reads a metric name, train.loss or test.accuracy.
func (c *checker) metric(e lang.Expr) Metric {
	path := flattenPath(e)
	names := make([]string, len(Metrics))
	for i, m := range Metrics {
		names[i] = string(m)
	}
	if len(path) == 2 {
		m := Metric(path[0].Name + "." + path[1].Name)
		for _, known := range Metrics {
			if m == known {
				return m
			}
		}
		c.errorf(e.Pos(), "unknown metric %s%s (metrics: %s)", m, didYouMean(string(m), names), strings.Join(names, ", "))
		return ""
	}
	c.errorf(e.Pos(), "a metric is one of %s", strings.Join(names, ", "))
	return ""
}

// ruleArgs reads the named arguments of a schedule or stopping rule.
func (c *checker) ruleArgs(call *lang.CallExpr, allowed ...string) map[string]lang.Expr {
	out := map[string]lang.Expr{}
	for _, a := range call.Args {
		if a.Name == nil {
			c.errorf(a.At, "%s takes named arguments: %s", call.Fun.Name, strings.Join(allowed, ", "))
			continue
		}
		if !contains(allowed, a.Name.Name) {
			c.errorf(a.Name.At, "%s has no argument %s%s (arguments: %s)", call.Fun.Name, a.Name.Name, didYouMean(a.Name.Name, allowed), strings.Join(allowed, ", "))
			continue
		}
		if out[a.Name.Name] != nil {
			c.errorf(a.Name.At, "%s is given twice", a.Name.Name)
		}
		out[a.Name.Name] = a.Value
	}
	return out
}

// schedule reads lr_schedule = constant | step(every, factor) |
// plateau(metric, factor, patience, threshold, min).
func (c *checker) schedule(e lang.Expr) Schedule {
	s := Schedule{Kind: "constant", Factor: 1}
	if id, ok := e.(*lang.Ident); ok && id.Name == "constant" {
		return s
	}
	call, ok := e.(*lang.CallExpr)
	if !ok || (call.Fun.Name != "step" && call.Fun.Name != "plateau") {
		c.errorf(e.Pos(), "lr_schedule is constant, step(epochs = N, factor = F) or plateau(metric = test.loss, factor = F, patience = N)")
		return s
	}
	s.Kind, s.Factor, s.MinFactor = call.Fun.Name, 0.5, 0
	var args map[string]lang.Expr
	if s.Kind == "step" {
		args = c.ruleArgs(call, "epochs", "factor", "min")
		if args["epochs"] == nil {
			c.errorf(call.Lparen, "step needs epochs = N: the factor applies after every N epochs")
		} else {
			s.Every, _ = c.intIn(args["epochs"], "epochs", 1, 1<<30, "")
		}
	} else {
		args = c.ruleArgs(call, "metric", "factor", "patience", "threshold", "min")
		s.Patience, s.Threshold = 10, 1e-4
		if args["metric"] == nil {
			c.errorf(call.Lparen, "plateau needs metric = (e.g. test.loss)")
		} else {
			s.Metric = c.metric(args["metric"])
		}
		if p := args["patience"]; p != nil {
			s.Patience, _ = c.intIn(p, "patience", 0, 1<<30, "")
		}
		if th := args["threshold"]; th != nil {
			s.Threshold = c.rate(th, "threshold")
		}
	}
	if f := args["factor"]; f != nil {
		s.Factor = c.rate(f, "factor")
		if s.Factor <= 0 || s.Factor > 1 {
			c.errorf(f.Pos(), "factor must be in (0, 1], got %g", s.Factor)
		}
	}
	if m := args["min"]; m != nil {
		s.MinFactor = c.rate(m, "min")
	}
	return s
}

// stopRule reads stop = plateau(metric, patience, threshold) |
// target(metric, value).
func (c *checker) stopRule(e lang.Expr) *Stop {
	call, ok := e.(*lang.CallExpr)
	if !ok || (call.Fun.Name != "plateau" && call.Fun.Name != "target") {
		c.errorf(e.Pos(), "stop is plateau(metric = test.loss, patience = N) or target(metric = test.accuracy, value = 0.95)")
		return nil
	}
	s := &Stop{Kind: call.Fun.Name}
	var args map[string]lang.Expr
	if s.Kind == "plateau" {
		args = c.ruleArgs(call, "metric", "patience", "threshold")
		s.Patience, s.Threshold = 20, 1e-4
		if p := args["patience"]; p != nil {
			s.Patience, _ = c.intIn(p, "patience", 1, 1<<30, "")
		}
		if th := args["threshold"]; th != nil {
			s.Threshold = c.rate(th, "threshold")
		}
	} else {
		args = c.ruleArgs(call, "metric", "value")
		if args["value"] == nil {
			c.errorf(call.Lparen, "target needs value = (the metric's goal)")
		} else {
			s.Value, _ = c.dimValue(args["value"], "value", dimensionless, "a plain number")
		}
	}
	if args["metric"] == nil {
		c.errorf(call.Lparen, "%s needs metric = (e.g. test.accuracy)", s.Kind)
		return nil
	}
	s.Metric = c.metric(args["metric"])
	return s
}

// checkDataUse ties data sets, their inputs and teachers and the task
// together, and sets the run's length from the task: epochs x batches x
// steps per sample.
func (c *checker) checkDataUse(f *lang.File) {
	t := c.m.Task
	if len(c.m.Datasets) > 0 && t == nil {
		c.errorf(c.m.Datasets[0].Pos, "dataset %s is presented by a task: add task { epochs = N } (the protocol: epochs, evaluation, prediction)", c.m.Datasets[0].Name)
		return
	}
	if t == nil || t.Data == nil || t.Data.Steps == 0 {
		return
	}
	ds := t.Data
	fed := false
	for _, in := range c.m.Inputs {
		if in.Data != nil {
			fed = true
			if in.Data != ds {
				c.errorf(in.Pos, "input %s presents dataset %s, but the task trains on %s", in.Name, in.Data.Name, ds.Name)
			}
		}
	}
	for _, tt := range c.m.Teachers {
		if tt.Data != nil && tt.Data != ds {
			c.errorf(tt.Pos, "teacher %s takes dataset %s, but the task trains on %s", tt.Name, tt.Data.Name, ds.Name)
		}
	}
	if !fed {
		c.errorf(ds.Pos, "no input presents dataset %s: add input x[%d] = %s.x", ds.Name, max(ds.XSize, 1), ds.Name)
	}
	sim := &c.m.Sim
	if st := c.simBlockSetting(f, "duration"); st != nil {
		c.errorf(st.At, "a model with a task runs for its epochs; drop duration (the task sets the length: epochs x batches x steps per sample)")
	}
	if st := c.simBlockSetting(f, "learn_after"); st != nil {
		c.errorf(st.At, "a task learns from its first training sample; drop learn_after (write settle = N in the dataset to keep learning off at the start of every sample)")
	}
	if sim.Method == Adjoint {
		c.errorf(t.Pos, "a task runs methods le and gle; method adjoint trains over windows of a run of sim.duration")
	}
	b := max(sim.Batch, 1)
	t.TrainBatches = (ds.Train.N + b - 1) / b
	if ds.Test != nil && t.EvalEvery > 0 {
		t.TestBatches = (ds.Test.N + b - 1) / b
	}
	total := 0
	for e := 1; e <= t.Epochs; e++ {
		total += t.EpochSteps(e)
		if total > 1<<50 {
			c.errorf(t.Pos, "the task runs more than 2^50 steps")
			return
		}
	}
	sim.Steps, sim.Duration, sim.LearnAfter = total, float64(total)*sim.Dt, 0
}

// Evaluates reports whether epoch e (1-based) ends with an evaluation of
// the test split: every EvalEvery-th epoch and the last.
func (t *Task) Evaluates(e int) bool {
	return t.TestBatches > 0 && (e%t.EvalEvery == 0 || e == t.Epochs)
}

// EpochSteps is the number of steps of epoch e: its training batches and,
// when it evaluates, the test batches.
func (t *Task) EpochSteps(e int) int {
	n := t.TrainBatches
	if t.Evaluates(e) {
		n += t.TestBatches
	}
	return n * t.Data.Steps
}

// String describes the protocol in one line.
func (t *Task) String() string {
	return fmt.Sprintf("%d epochs of %d training batches (test: %d) of %d steps", t.Epochs, t.TrainBatches, t.TestBatches, t.Data.Steps)
}

// simBlockSetting returns the setting key of the model's sim block, or
// nil.
func (c *checker) simBlockSetting(f *lang.File, key string) *lang.Setting {
	for _, d := range f.Decls {
		if sd, ok := d.(*lang.SimDecl); ok {
			for _, st := range sd.Settings {
				if settingKey(st) == key {
					return st
				}
			}
		}
	}
	return nil
}
