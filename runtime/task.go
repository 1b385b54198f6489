package runtime

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
)

// A task (check.Task) runs epochs over a data set. An epoch presents the
// training split batch by batch, the batch rows taking the samples in the
// epoch's order (shuffled from the seed and the epoch when the data set
// shuffles), with learning on; then, on evaluation epochs, the test split
// in order with learning off. A last batch that the samples do not fill
// takes samples from the start of the order again; those rows run but do
// not count in the metrics. After every epoch the metrics are computed,
// the learning-rate schedule and the stopping rule consulted, and on
// checkpoint epochs the whole state saved.

// EpochMetrics are the metrics of one epoch (NaN when not computed).
type EpochMetrics struct {
	Epoch         int   `json:"epoch"`
	LRFactor      Float `json:"lr_factor"` // the factor on every learning rate during the epoch
	TrainLoss     Float `json:"train_loss"`
	TrainAccuracy Float `json:"train_accuracy"`
	TestLoss      Float `json:"test_loss"`
	TestAccuracy  Float `json:"test_accuracy"`
	WallSeconds   Float `json:"wall_s"` // the epoch's wall time
}

// Metric returns a metric by name ("test.loss").
func (m EpochMetrics) Metric(name check.Metric) float64 {
	switch name {
	case "train.loss":
		return float64(m.TrainLoss)
	case "train.accuracy":
		return float64(m.TrainAccuracy)
	case "test.loss":
		return float64(m.TestLoss)
	case "test.accuracy":
		return float64(m.TestAccuracy)
	}
	return math.NaN()
}

// TaskState is where a task stands between epochs; a checkpoint saves it.
type TaskState struct {
	Epoch    int     `json:"epoch"` // epochs completed
	LRFactor float64 `json:"lr_factor"`
	// The plateau counters of the schedule and of the stopping rule: the
	// best value of the metric and the epochs since it improved.
	SchedBest Float `json:"sched_best"`
	SchedBad  int   `json:"sched_bad"`
	StopBest  Float `json:"stop_best"`
	StopBad   int   `json:"stop_bad"`
	// Stop says why the stopping rule ended the task, or "".
	Stop    string         `json:"stop,omitempty"`
	History []EpochMetrics `json:"history"`
}

// newTaskState is the state before the first epoch.
func newTaskState() TaskState {
	return TaskState{LRFactor: 1, SchedBest: nan, StopBest: nan, History: []EpochMetrics{}}
}

// trainer runs a task on a simulator.
type trainer struct {
	sim   *Sim
	task  *check.Task
	feed  *dataFeed
	state TaskState
	// pred is the buffer whose argmax predicts the class, nil without
	// accuracy; predSum its sum (or last value) per batch row.
	pred    *schedule.Buffer
	predSum []float64
	loss    []float64 // the cost summed per batch row over a sample
	// after is called after every step (records, progress).
	after func(k int) error
	// epochDone is called after every epoch's metrics.
	epochDone func(m EpochMetrics) error
}

func newTrainer(sim *Sim) (*trainer, error) {
	t := sim.prog.Model.Task
	tr := &trainer{sim: sim, task: t, feed: sim.feed, state: newTaskState()}
	if sim.feed == nil {
		return nil, fmt.Errorf("model %s: the task's data set is not loaded", sim.prog.Model.Name)
	}
	sim.feed.driven = true
	if t.Predict != nil {
		name := t.Predict.Pop.Name + "." + t.Predict.Var
		b := sim.prog.Named[name]
		if b == nil || !b.Batched {
			return nil, positioned(t.Pos, fmt.Errorf("predict: the step program holds no %s per batch element", name))
		}
		if b.Size() != t.Data.Classes && t.Data.Classes > 0 {
			return nil, positioned(t.Pos, fmt.Errorf("predict: %s has %d entries, but dataset %s has %d classes", name, b.Size(), t.Data.Name, t.Data.Classes))
		}
		tr.pred = b
		tr.predSum = make([]float64, sim.batch*b.Size())
	}
	tr.loss = make([]float64, sim.batch)
	return tr, nil
}

// order is the training split's order in epoch e (1-based): shuffled
// from the seed and the epoch, so that a resumed run draws the same.
func (tr *trainer) order(n, epoch int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if tr.task.Data.Shuffle {
		rng := rand.New(rand.NewPCG(tr.sim.seed, 0x5a3b1e<<32|uint64(epoch)))
		rng.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	}
	return idx
}

// splitResult accumulates a split's metrics over its samples.
type splitResult struct {
	samples, correct int
	loss             float64
}

func (s splitResult) metrics() (loss, acc float64) {
	if s.samples == 0 {
		return math.NaN(), math.NaN()
	}
	return s.loss / float64(s.samples), float64(s.correct) / float64(s.samples)
}

// run runs the epochs after state.Epoch until the last or until the
// stopping rule ends the task.
func (tr *trainer) run(ctx context.Context) error {
	for tr.state.Epoch < tr.task.Epochs && tr.state.Stop == "" {
		if err := tr.epoch(ctx); err != nil {
			return err
		}
	}
	return nil
}

// epoch runs the next epoch.
func (tr *trainer) epoch(ctx context.Context) error {
	start := time.Now()
	e := tr.state.Epoch + 1
	tr.sim.lrScale = tr.state.LRFactor
	m := EpochMetrics{Epoch: e, LRFactor: Float(tr.state.LRFactor), TrainLoss: nan, TrainAccuracy: nan, TestLoss: nan, TestAccuracy: nan}
	set := tr.feed.set
	train, err := tr.split(ctx, set.train, tr.order(set.train.n, e), true)
	if err != nil {
		return err
	}
	l, a := train.metrics()
	m.TrainLoss, m.TrainAccuracy = Float(l), tr.accuracy(a)
	if tr.task.Evaluates(e) {
		test, err := tr.split(ctx, set.test, nil, false)
		if err != nil {
			return err
		}
		l, a := test.metrics()
		m.TestLoss, m.TestAccuracy = Float(l), tr.accuracy(a)
	}
	m.WallSeconds = Float(time.Since(start).Seconds())
	tr.state.Epoch = e
	tr.state.History = append(tr.state.History, m)
	tr.schedule(m)
	tr.stopRule(m)
	if tr.epochDone != nil {
		return tr.epochDone(m)
	}
	return nil
}

var nan = Float(math.NaN())

func (tr *trainer) accuracy(a float64) Float {
	if tr.pred == nil {
		return nan
	}
	return Float(a)
}

// split presents the samples of a split in the given order (nil: in
// order), learning or not, and returns its metrics.
func (tr *trainer) split(ctx context.Context, sp *dataSplit, order []int, learn bool) (splitResult, error) {
	var res splitResult
	if order == nil {
		order = make([]int, sp.n)
		for i := range order {
			order[i] = i
		}
	}
	sim, feed, ds := tr.sim, tr.feed, tr.task.Data
	B := sim.batch
	feed.split = sp
	for first := 0; first < sp.n; first += B {
		for b := range feed.rows {
			feed.rows[b] = order[(first+b)%sp.n]
		}
		valid := min(B, sp.n-first)
		if ds.Reset {
			sim.reset()
		}
		clear(tr.loss)
		clear(tr.predSum)
		counted := 0
		for pos := 0; pos < ds.Steps; pos++ {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			feed.pos = pos
			sim.learnOff = !learn || pos < ds.Settle
			k := sim.K()
			stepErr := sim.Step()
			if err := tr.after(k); err != nil {
				return res, err
			}
			if stepErr != nil {
				return res, stepErr
			}
			if pos < ds.Settle {
				continue
			}
			counted++
			tr.accumulate(pos == ds.Steps-1)
		}
		for b := 0; b < valid; b++ {
			res.samples++
			res.loss += tr.loss[b] / float64(max(counted, 1))
			if tr.pred != nil && ds.Classes > 0 && argmax(tr.predRow(b)) == feed.label(b) {
				res.correct++
			}
		}
	}
	sim.learnOff = false
	return res, nil
}

// accumulate adds the step's cost and prediction to the sample's sums.
func (tr *trainer) accumulate(last bool) {
	sim := tr.sim
	if sim.costBuf != nil {
		for b, c := range sim.costBuf {
			tr.loss[b] += c
		}
	}
	if tr.pred == nil {
		return
	}
	v := sim.vals[tr.pred.ID]
	if tr.task.PredictBy == "last" {
		if last {
			copy(tr.predSum, v)
		}
		return
	}
	for i, x := range v {
		tr.predSum[i] += x
	}
}

func (tr *trainer) predRow(b int) []float64 {
	n := tr.pred.Size()
	return tr.predSum[b*n : (b+1)*n]
}

// argmax is the index of the largest entry (the first of equals; NaN
// never wins).
func argmax(x []float64) int {
	best := 0
	for i, v := range x {
		if v > x[best] || math.IsNaN(x[best]) && !math.IsNaN(v) {
			best = i
		}
	}
	return best
}

// improved reports whether v improves on best by more than the relative
// threshold (in the metric's direction); NaN best: the first value.
func improved(metric check.Metric, v, best, threshold float64) bool {
	if math.IsNaN(v) {
		return false
	}
	if math.IsNaN(best) {
		return true
	}
	if metric.Lower() {
		return v < best-threshold*math.Abs(best)
	}
	return v > best+threshold*math.Abs(best)
}

// schedule updates the learning-rate factor after an epoch.
func (tr *trainer) schedule(m EpochMetrics) {
	s, st := tr.task.Schedule, &tr.state
	switch s.Kind {
	case "step":
		if m.Epoch%s.Every == 0 {
			st.LRFactor = max(st.LRFactor*s.Factor, s.MinFactor)
		}
	case "plateau":
		v := m.Metric(s.Metric)
		if math.IsNaN(v) {
			return // not measured this epoch
		}
		if improved(s.Metric, v, float64(st.SchedBest), s.Threshold) {
			st.SchedBest, st.SchedBad = Float(v), 0
			return
		}
		st.SchedBad++
		if st.SchedBad > s.Patience {
			st.LRFactor = max(st.LRFactor*s.Factor, s.MinFactor)
			st.SchedBad = 0
		}
	}
}

// stopRule ends the task when its rule is met.
func (tr *trainer) stopRule(m EpochMetrics) {
	s, st := tr.task.Stop, &tr.state
	if s == nil {
		return
	}
	v := m.Metric(s.Metric)
	if math.IsNaN(v) {
		return
	}
	switch s.Kind {
	case "target":
		if s.Metric.Lower() && v <= s.Value || !s.Metric.Lower() && v >= s.Value {
			st.Stop = fmt.Sprintf("%s reached %g (target %g) after epoch %d", s.Metric, v, s.Value, m.Epoch)
		}
	case "plateau":
		if improved(s.Metric, v, float64(st.StopBest), s.Threshold) {
			st.StopBest, st.StopBad = Float(v), 0
			return
		}
		st.StopBad++
		if st.StopBad >= s.Patience {
			st.Stop = fmt.Sprintf("%s did not improve for %d epochs (best %g), after epoch %d", s.Metric, s.Patience, float64(st.StopBest), m.Epoch)
		}
	}
}

// metricsCSV is the metrics file: a row per epoch, empty cells for the
// metrics not computed.
func metricsCSV(hist []EpochMetrics) []byte {
	var b strings.Builder
	b.WriteString("epoch,lr_factor,train_loss,train_accuracy,test_loss,test_accuracy,wall_s\n")
	cell := func(v Float) string {
		if math.IsNaN(float64(v)) {
			return ""
		}
		return strconv.FormatFloat(float64(v), 'g', -1, 64)
	}
	for _, m := range hist {
		fmt.Fprintf(&b, "%d,%s,%s,%s,%s,%s,%s\n", m.Epoch, cell(m.LRFactor), cell(m.TrainLoss), cell(m.TrainAccuracy),
			cell(m.TestLoss), cell(m.TestAccuracy), cell(m.WallSeconds))
	}
	return []byte(b.String())
}

// Brief is the epoch's headline metric for a progress bar: the test
// accuracy, else the test loss, else the training loss; "" without one.
func (m EpochMetrics) Brief() string {
	switch {
	case !math.IsNaN(float64(m.TestAccuracy)):
		return fmt.Sprintf(", test acc %.1f%%", 100*float64(m.TestAccuracy))
	case !math.IsNaN(float64(m.TestLoss)):
		return fmt.Sprintf(", test loss %.4g", float64(m.TestLoss))
	case !math.IsNaN(float64(m.TrainLoss)):
		return fmt.Sprintf(", train loss %.4g", float64(m.TrainLoss))
	}
	return ""
}

// Line is the metrics of an epoch as the progress line shows them.
func (m EpochMetrics) Line(epochs int) string {
	var parts []string
	parts = append(parts, fmt.Sprintf("epoch %d/%d", m.Epoch, epochs))
	add := func(name string, v Float, pct bool) {
		if math.IsNaN(float64(v)) {
			return
		}
		if pct {
			parts = append(parts, fmt.Sprintf("%s %.1f%%", name, 100*float64(v)))
		} else {
			parts = append(parts, fmt.Sprintf("%s %.4g", name, float64(v)))
		}
	}
	add("train loss", m.TrainLoss, false)
	add("acc", m.TrainAccuracy, true)
	add("test loss", m.TestLoss, false)
	add("acc", m.TestAccuracy, true)
	if m.LRFactor != 1 {
		parts = append(parts, fmt.Sprintf("lr x%g", float64(m.LRFactor)))
	}
	return strings.Join(parts, "  ")
}

// summary is the task's part of the run summary.
func (tr *trainer) summary() *TaskSummary {
	st := tr.state
	out := &TaskSummary{Epochs: st.Epoch, Planned: tr.task.Epochs, Stop: st.Stop, LRFactor: Float(st.LRFactor),
		Metrics: tr.sim.prog.Model.Name + ".metrics.csv"}
	if tr.task.Predict != nil {
		out.Predicted = tr.task.Predict.Pop.Name + "." + tr.task.Predict.Var + " (" + tr.task.PredictBy + " over a sample)"
	}
	if n := len(st.History); n > 0 {
		m := st.History[n-1]
		out.Final = &m
	}
	by := check.Metric("test.accuracy")
	if tr.pred == nil {
		by = "test.loss"
	}
	for i := range st.History {
		m := st.History[i]
		v := m.Metric(by)
		if out.Best == nil && !math.IsNaN(v) || out.Best != nil && improved(by, v, out.Best.Metric(by), 0) {
			out.Best = &m
		}
	}
	if out.Best != nil {
		out.BestBy = string(by)
	}
	return out
}

// EvalOptions configure Evaluate.
type EvalOptions struct {
	Options
	// From holds the parameters to evaluate (a checkpoint or an .npz of
	// named arrays; Sim.LoadParams). "": the model's own.
	From string
	// Split is "test" (the default), "train" or "both".
	Split string
}

// EvalResult holds the metrics of an evaluation (NaN where a split was not
// evaluated) and the parameters loaded.
type EvalResult struct {
	Metrics EpochMetrics
	Params  []string
	Steps   int
}

// Evaluate presents the split(s) of a task's data set to the model with
// learning off, from rest, and returns the loss and accuracy, as a task's
// evaluation computes them.
func Evaluate(ctx context.Context, prog *schedule.Program, opts EvalOptions) (*EvalResult, error) {
	if prog.Model.Task == nil {
		return nil, fmt.Errorf("model %s has no task: evaluation presents a task's data set", prog.Model.Name)
	}
	sim, err := NewContext(ctx, prog, opts.Options)
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	res := &EvalResult{Metrics: EpochMetrics{LRFactor: 1, TrainLoss: nan, TrainAccuracy: nan, TestLoss: nan, TestAccuracy: nan}}
	if opts.From != "" {
		if res.Params, err = sim.LoadParams(opts.From); err != nil {
			return nil, err
		}
	}
	tr, err := newTrainer(sim)
	if err != nil {
		return nil, err
	}
	tr.after = func(int) error { return nil }
	split := opts.Split
	if split == "" {
		split = "test"
	}
	set := sim.feed.set
	if (split == "test" || split == "both") && set.test == nil {
		return nil, positioned(prog.Model.Task.Data.Pos, fmt.Errorf("dataset %s has no test split to evaluate (test.x, test.y); evaluate the training split with --split train", prog.Model.Task.Data.Name))
	}
	start := time.Now()
	if split == "train" || split == "both" {
		r, err := tr.split(ctx, set.train, nil, false)
		if err != nil {
			return nil, err
		}
		l, a := r.metrics()
		res.Metrics.TrainLoss, res.Metrics.TrainAccuracy = Float(l), tr.accuracy(a)
	}
	if split == "test" || split == "both" {
		r, err := tr.split(ctx, set.test, nil, false)
		if err != nil {
			return nil, err
		}
		l, a := r.metrics()
		res.Metrics.TestLoss, res.Metrics.TestAccuracy = Float(l), tr.accuracy(a)
	}
	res.Metrics.WallSeconds = Float(time.Since(start).Seconds())
	res.Steps = sim.K()
	return res, nil
}
