package plot

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Names tells how a model names its quantities, so that columns go to
// the right panel and energy terms get their source in the legend. The
// zero value falls back on the shapes of the names: a bare name with two
// indices is a weight when it starts with W or w and an input otherwise,
// one without indices a param.
type Names struct {
	Inputs   []string // input names (x)
	Weights  []string // connection names (W0)
	Params   []string // param names (kappa)
	Teachers []string // teacher names (T); a file teacher's column is T[b][i]
	Terms    []string // the energy terms' source text; energy.k is Terms[k-1]
}

// A panel kind; panels are drawn in the order of their kinds.
type kind int

const (
	kindStimulus kind = iota
	kindTarget
	kindPopulation // membrane potentials and rates of one population
	kindError      // errors of one population
	kindWeight
	kindBias
	kindTau
	kindParam
	kindCost
	kindEnergy
	kindOther
	kindAccuracy // per epoch
	kindLoss     // per epoch
)

// A column is one recorded series: a column of a recording.
type column struct {
	rec   *Recording
	index int    // into rec.Columns
	name  string // y.r[0][0]
	item  string // the record item: y.r, mean(cost), energy.1
	base  string // the item without a reduction: y.r, cost, energy.1
}

// a panelKey identifies a panel: its kind and, per population, the
// population; for kindOther the file.
type panelKey struct {
	kind kind
	sub  string
}

// splitName splits a column name into its item and its indices text:
// "mean(y.r)[0][1]" -> "mean(y.r)", "[0][1]".
func splitName(name string) (item, index string) {
	i := len(name)
	for i > 0 && name[i-1] == ']' {
		j := strings.LastIndexByte(name[:i], '[')
		if j < 0 {
			break
		}
		i = j
	}
	return name[:i], name[i:]
}

// unreduce strips a reduction: "mean(y.r)" -> "y.r".
func unreduce(item string) string {
	for _, f := range []string{"mean(", "sum("} {
		if strings.HasPrefix(item, f) && strings.HasSuffix(item, ")") {
			return item[len(f) : len(item)-1]
		}
	}
	return item
}

// populationQuantities maps a population's quantity to the panel kind it
// belongs in.
var populationQuantities = map[string]kind{
	"u": kindPopulation, "uhat_m": kindPopulation, "uhat_r": kindPopulation, "I": kindPopulation, "r": kindPopulation,
	"e": kindError, "v": kindError,
	"b": kindBias, "tau_m": kindTau, "tau_r": kindTau,
}

// classify returns the panel of a record column.
func classify(c column, names Names) panelKey {
	if c.rec.XName == "epoch" {
		switch {
		case strings.HasSuffix(c.name, "accuracy"):
			return panelKey{kind: kindAccuracy}
		case strings.HasSuffix(c.name, "loss"):
			return panelKey{kind: kindLoss}
		}
		return panelKey{kind: kindOther, sub: c.rec.Name}
	}
	if c.rec.format == "npy" {
		return panelKey{kind: kindOther, sub: c.rec.Name}
	}
	base := c.base
	_, idx := splitName(c.name)
	nidx := strings.Count(idx, "[")
	switch {
	case base == "cost":
		return panelKey{kind: kindCost}
	case base == "energy" || strings.HasPrefix(base, "energy."):
		return panelKey{kind: kindEnergy}
	case slices.Contains(names.Teachers, base) || strings.Count(base, ".") >= 2:
		return panelKey{kind: kindTarget}
	}
	if pop, q, ok := strings.Cut(base, "."); ok {
		if k, ok := populationQuantities[q]; ok {
			if k == kindPopulation || k == kindError {
				return panelKey{kind: k, sub: pop}
			}
			return panelKey{kind: k}
		}
		return panelKey{kind: kindOther, sub: c.rec.Name}
	}
	switch {
	case slices.Contains(names.Inputs, base):
		return panelKey{kind: kindStimulus}
	case slices.Contains(names.Weights, base):
		return panelKey{kind: kindWeight}
	case slices.Contains(names.Params, base):
		return panelKey{kind: kindParam}
	case nidx == 2 && (base[0] == 'W' || base[0] == 'w'):
		return panelKey{kind: kindWeight}
	case nidx == 2:
		return panelKey{kind: kindStimulus}
	case nidx == 0:
		return panelKey{kind: kindParam}
	}
	return panelKey{kind: kindOther, sub: c.rec.Name}
}

// title and yLabel of a panel.
func (k panelKey) title() string {
	switch k.kind {
	case kindStimulus:
		return "stimulus"
	case kindTarget:
		return "target (dashed) vs output"
	case kindPopulation:
		return "population " + k.sub + ": membrane potentials and rates"
	case kindError:
		return "population " + k.sub + ": errors"
	case kindWeight:
		return "weights"
	case kindBias:
		return "biases"
	case kindTau:
		return "time constants"
	case kindParam:
		return "params"
	case kindCost:
		return "cost per sample"
	case kindEnergy:
		return "energy per sample (total and terms)"
	case kindAccuracy:
		return "accuracy per epoch"
	case kindLoss:
		return "loss per epoch"
	}
	return k.sub
}

func (k panelKey) yLabel() string {
	switch k.kind {
	case kindStimulus:
		return "input"
	case kindTarget:
		return "rate"
	case kindPopulation:
		return "u, r"
	case kindError:
		return "error"
	case kindWeight:
		return "weight"
	case kindBias:
		return "bias"
	case kindTau:
		return "tau (s)"
	case kindParam:
		return "value"
	case kindCost:
		return "cost"
	case kindEnergy:
		return "energy"
	case kindAccuracy:
		return "accuracy (%)"
	case kindLoss:
		return "loss"
	}
	return "value"
}

// scale is what the panel multiplies values by: accuracies are drawn in
// percent.
func (k panelKey) scale() float64 {
	if k.kind == kindAccuracy {
		return 100
	}
	return 1
}

// perEpoch reports whether the panel's x is the epoch.
func (k panelKey) perEpoch() bool { return k.kind == kindAccuracy || k.kind == kindLoss }

// logCandidate reports whether the panel may get a log scale: a cost, an
// energy or a loss, which are not negative and fall by decades.
func (k panelKey) logCandidate() bool {
	return k.kind == kindCost || k.kind == kindEnergy || k.kind == kindLoss
}

// smoothed reports whether the panel draws a running mean over the
// min/max envelope.
func (k panelKey) smoothed() bool { return k.kind == kindCost || k.kind == kindEnergy }

// legendName is the name of a column in a legend: its item when it is
// the item's only column (W0 for W0[0][0]), energy terms followed by the
// term's source.
func legendName(c column, single bool, names Names) string {
	name := c.name
	if c.rec.XName == "epoch" {
		return strings.ReplaceAll(name, "_", " ")
	}
	if single {
		name = c.item
	}
	var k int
	if n, err := fmt.Sscanf(c.base, "energy.%d", &k); err == nil && n == 1 && k >= 1 && k <= len(names.Terms) {
		src := []rune(names.Terms[k-1])
		if len(src) > 18 {
			src = append(src[:17], '…')
		}
		return name + " " + string(src)
	}
	return name
}

// columns lists every column of a run's recordings and metrics, with
// the metrics' lr_factor and wall_s left out.
func (r *Run) columns() []column {
	var out []column
	recs := r.Recordings
	if r.Metrics != nil {
		recs = append(slices.Clip(recs), r.Metrics)
	}
	for _, rec := range recs {
		for i, name := range rec.Columns {
			if rec.XName == "epoch" && (name == "lr_factor" || name == "wall_s") {
				continue
			}
			item, _ := splitName(name)
			out = append(out, column{rec: rec, index: i, name: name, item: item, base: unreduce(item)})
		}
	}
	return out
}

// selects reports whether the --vars entry v names column c: its item
// (y.r, mean(cost)), the item without its reduction, the column itself
// (y.r[0][1]), or for energy every term.
func selects(v string, c column) bool {
	switch {
	case v == c.item || v == c.base || v == c.name:
		return true
	case v == "energy" && strings.HasPrefix(c.base, "energy."):
		return true
	case c.rec.XName == "epoch" && (v == "metrics" || v == strings.ReplaceAll(c.name, "_", ".")):
		return true
	}
	return false
}

// available lists the items that --vars can name, in order, without
// repeats.
func available(cols []column) []string {
	var out []string
	for _, c := range cols {
		it := c.item
		if c.rec.XName == "epoch" {
			it = strings.ReplaceAll(c.name, "_", ".")
		}
		if !slices.Contains(out, it) {
			out = append(out, it)
		}
	}
	return out
}

// costNames are the names in the model's cost terms (the energy terms
// that are not a mismatch): the quantities a cost compares, y.r and z in
// beta * loss(mse(y.r, z)).
func costNames(names Names) map[string]bool {
	out := map[string]bool{}
	for _, src := range names.Terms {
		if strings.HasPrefix(strings.TrimSpace(src), "mismatch(") {
			continue
		}
		for _, tok := range identRE.FindAllString(src, -1) {
			out[tok] = true
		}
	}
	return out
}

var identRE = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*`)
