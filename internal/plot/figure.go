package plot

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Options choose what a figure shows.
type Options struct {
	// Vars are the quantities to draw, by record item (y.r, W0, cost,
	// energy, mean(y.r)), column (y.r[0][1]) or metric (test.accuracy,
	// or metrics for all); empty: everything recorded.
	Vars []string
	// From and To limit the time shown, in seconds; NaN: no limit. They
	// do not apply to the per-epoch metrics.
	From, To float64
	// MaxSeries is the most series a run draws in one panel; 0: 10 (an
	// energy and up to nine terms).
	MaxSeries int
	// LogTime draws time on a logarithmic axis (from the first positive
	// time recorded), to show the first seconds and the end of a long run
	// in one figure.
	LogTime bool
	// Names are, per run (in the order of the runs), how its model names
	// its quantities; missing entries fall back on the names' shapes.
	Names []Names
	// Refs are reference values drawn as dotted lines across the panels
	// that show the quantity named (a teacher's weight, W0 = 1).
	Refs []Ref
}

// A Ref is a reference value of a recorded quantity: Name as --vars
// names it (W0, h.tau_m, W1[0][1]).
type Ref struct {
	Name  string
	Value float64
}

// A series is one column of one run, decimated.
type series struct {
	run    int
	col    column
	label  string
	dec    *Decimator
	target bool // a target (drawn dashed), not an output
}

// A panel is one plot of the figure.
type panel struct {
	key    panelKey
	series []*series
}

// A figure is the panels to draw and the notes about what was left out.
type figure struct {
	title     string
	runLabels []string // the runs' names in a comparison
	panels    []*panel
	refs      map[*panel][]Ref // the reference lines of each panel
	notes     []string
	xmin      float64 // the time range shown by every time panel
	xmax      float64
	span      bool    // xmin, xmax are set
	logTime   bool    // time on a log axis
	xpos      float64 // the first positive time drawn, for a log axis
}

// columnsPerPanel is the least number of decimation buckets (there are
// up to twice as many): more than the pixel columns of a panel's data
// area (about 660 in a PNG), so that no bucket is wider than a pixel
// column and min/max decimation keeps all that a column can show.
const columnsPerPanel = 800

// build selects, groups and reads the series of runs.
func build(runs []*Run, opts Options) (*figure, error) {
	if opts.MaxSeries <= 0 {
		opts.MaxSeries = len(palette)
	}
	fig := &figure{logTime: opts.LogTime, xpos: math.Inf(1)}
	cols := make([][]column, len(runs))
	for i, r := range runs {
		cols[i] = r.columns()
	}
	if err := checkVars(runs, cols, opts.Vars, "--vars"); err != nil {
		return nil, err
	}
	var refNames []string
	for _, r := range opts.Refs {
		refNames = append(refNames, r.Name)
	}
	if err := checkVars(runs, cols, refNames, "--ref"); err != nil {
		return nil, err
	}
	byKey := map[panelKey]*panel{}
	for i, r := range runs {
		names := Names{}
		if i < len(opts.Names) {
			names = opts.Names[i]
		}
		fig.add(byKey, i, r, cols[i], names, opts)
	}
	for _, p := range byKey {
		fig.panels = append(fig.panels, p)
	}
	sort.SliceStable(fig.panels, func(a, b int) bool { return panelLess(fig.panels[a], fig.panels[b]) })
	if err := fig.read(runs, opts); err != nil {
		return nil, err
	}
	fig.placeRefs(opts.Refs)
	fig.title = title(runs)
	fig.runLabels = labels(runs)
	return fig, nil
}

// checkVars reports entries of the flag (--vars, --ref) that name
// nothing in any run, with what the runs recorded.
func checkVars(runs []*Run, cols [][]column, vars []string, flag string) error {
	var all []column
	for _, c := range cols {
		all = append(all, c...)
	}
	for _, v := range vars {
		if !slices.ContainsFunc(all, func(c column) bool { return selects(v, c) }) {
			where := runs[0].Dir
			if len(runs) > 1 {
				where = "the runs"
			}
			return fmt.Errorf("%s: %s was not recorded in %s; recorded: %s", flag, v, where, strings.Join(available(all), ", "))
		}
	}
	return nil
}

// add puts the selected columns of run i into their panels, at most
// opts.MaxSeries of the run per panel: the first entry of every quantity
// first (energy[0], energy.1[0], ... before energy[1]), so a large batch
// or layer does not crowd out the other quantities.
func (fig *figure) add(byKey map[panelKey]*panel, i int, r *Run, cols []column, names Names, opts Options) {
	compared := comparedNames(cols, names)
	perItem := map[*Recording]map[string]int{}
	for _, c := range cols {
		if perItem[c.rec] == nil {
			perItem[c.rec] = map[string]int{}
		}
		perItem[c.rec][c.item]++
	}
	dropped := map[panelKey]int{}
	for _, c := range byRank(cols) {
		if len(opts.Vars) > 0 && !slices.ContainsFunc(opts.Vars, func(v string) bool { return selects(v, c) }) {
			continue
		}
		key, target := panelOf(c, names, compared)
		p := byKey[key]
		if p == nil {
			p = &panel{key: key}
			byKey[key] = p
		}
		if p.count(i) >= opts.MaxSeries {
			dropped[key]++
			continue
		}
		p.series = append(p.series, &series{run: i, col: c, target: target, label: legendName(c, perItem[c.rec][c.item] == 1, names), dec: fig.decimator(key)})
	}
	for key, n := range dropped {
		fig.notes = append(fig.notes, fmt.Sprintf("%s: %q shows %d series of %s, %d more not drawn (choose them with --vars)",
			r.Dir, key.title(), opts.MaxSeries, r.Label(), n))
	}
	sort.Strings(fig.notes)
}

// comparedNames are the names of the quantities a cost compares: those
// its terms name (mse(y.r, z): y.r and z) and the student's quantity
// each teacher quantity is compared with (T.y.r: y.r).
func comparedNames(cols []column, names Names) map[string]bool {
	compared := costNames(names)
	for _, c := range cols {
		if classify(c, names).kind == kindTarget {
			if _, q, ok := strings.Cut(c.base, "."); ok {
				compared[q] = true
			}
		}
	}
	return compared
}

// panelOf is the panel of a column, and whether it is a target (drawn
// dashed): a teacher's quantity, or an input a cost compares; the
// student's quantity compared with one goes in the same panel.
func panelOf(c column, names Names, compared map[string]bool) (panelKey, bool) {
	key := classify(c, names)
	switch key.kind {
	case kindTarget:
		return key, true
	case kindStimulus, kindPopulation, kindError:
		if compared[c.base] {
			return panelKey{kind: kindTarget}, key.kind == kindStimulus
		}
	}
	return key, false
}

// count is the number of series of run i in the panel.
func (p *panel) count(i int) int {
	n := 0
	for _, s := range p.series {
		if s.run == i {
			n++
		}
	}
	return n
}

// byRank orders columns by their place within their item (every item's
// first column, then every item's second, ...), keeping the order of
// the items.
func byRank(cols []column) []column {
	rank := make([]int, len(cols))
	seen := map[*Recording]map[string]int{}
	for k, c := range cols {
		if seen[c.rec] == nil {
			seen[c.rec] = map[string]int{}
		}
		rank[k] = seen[c.rec][c.item]
		seen[c.rec][c.item]++
	}
	idx := make([]int, len(cols))
	for k := range idx {
		idx[k] = k
	}
	sort.SliceStable(idx, func(a, b int) bool { return rank[idx[a]] < rank[idx[b]] })
	out := make([]column, len(cols))
	for k, x := range idx {
		out[k] = cols[x]
	}
	return out
}

// placeRefs puts each reference in the panels that draw its quantity.
func (fig *figure) placeRefs(refs []Ref) {
	fig.refs = map[*panel][]Ref{}
	for _, r := range refs {
		for _, p := range fig.panels {
			if slices.ContainsFunc(p.series, func(s *series) bool { return selects(r.Name, s.col) }) {
				fig.refs[p] = append(fig.refs[p], r)
			}
		}
	}
}

// decimator returns the decimator of a series in panel key: on a log
// time axis it starts with buckets of a thousandth of a decade.
func (fig *figure) decimator(key panelKey) *Decimator {
	d := &Decimator{Columns: columnsPerPanel}
	if fig.logTime && !key.perEpoch() {
		d.Width = 1e-3
	}
	return d
}

// panelLess orders panels by kind, then by where their first column
// appears.
func panelLess(a, b *panel) bool {
	if a.key.kind != b.key.kind {
		return a.key.kind < b.key.kind
	}
	sa, sb := a.series[0], b.series[0]
	if sa.run != sb.run {
		return sa.run < sb.run
	}
	if sa.col.rec != sb.col.rec {
		return sa.col.rec.Name < sb.col.rec.Name
	}
	return sa.col.index < sb.col.index
}

// read streams every recording that holds a selected column once,
// feeding the rows within [From, To] to the series' decimators.
func (fig *figure) read(runs []*Run, opts Options) error {
	byRec := map[*Recording][]*series{}
	var recs []*Recording
	for _, p := range fig.panels {
		for _, s := range p.series {
			if byRec[s.col.rec] == nil {
				recs = append(recs, s.col.rec)
			}
			byRec[s.col.rec] = append(byRec[s.col.rec], s)
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1) // the time the recordings cover
	for _, rec := range recs {
		ss := byRec[rec]
		idx := make([]int, len(ss))
		for k, s := range ss {
			idx[k] = s.col.index
		}
		timed := rec.XName == "t"
		err := rec.Scan(idx, func(x float64, vals []float64) {
			if timed {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
				if x < opts.From || x > opts.To || fig.logTime && !(x > 0) {
					return
				}
				if fig.logTime {
					// decimate in log time: buckets of equal width on the axis
					x = math.Log10(x)
				}
			}
			for k, v := range vals {
				ss[k].dec.Add(x, v)
			}
		})
		if err != nil {
			return err
		}
	}
	return fig.prune(lo, hi, opts)
}

// prune drops the series without a finite value and the panels left
// empty, notes the non-finite values, and sets the time range.
func (fig *figure) prune(lo, hi float64, opts Options) error {
	var kept []*panel
	for _, p := range fig.panels {
		var ss []*series
		for _, s := range p.series {
			if n := s.dec.NonFinite(); n > 0 {
				fig.notes = append(fig.notes, fmt.Sprintf("%s: %d values are NaN or infinite (not drawn)", s.label, n))
			}
			if s.dec.Len() > 0 {
				ss = append(ss, s)
			}
			if !p.key.perEpoch() && s.dec.Len() > 0 {
				x0, x1 := s.dec.xRange()
				if fig.logTime {
					x0, x1 = math.Pow(10, x0), math.Pow(10, x1)
				}
				if !fig.span {
					fig.xmin, fig.xmax, fig.span = x0, x1, true
				}
				fig.xmin, fig.xmax = math.Min(fig.xmin, x0), math.Max(fig.xmax, x1)
				fig.xpos = math.Min(fig.xpos, x0)
			}
		}
		if len(ss) > 0 {
			p.series = ss
			kept = append(kept, p)
		}
	}
	fig.panels = kept
	if len(kept) == 0 {
		if lo <= hi && (!math.IsNaN(opts.From) || !math.IsNaN(opts.To)) {
			return fmt.Errorf("no finite values recorded between %s and %s; the recordings cover t = %s s to %s s",
				bound(opts.From, "the start"), bound(opts.To, "the end"), num(lo), num(hi))
		}
		return fmt.Errorf("nothing to draw: the chosen quantities hold no finite values")
	}
	if fig.logTime && fig.span && math.IsInf(fig.xpos, 1) {
		return fmt.Errorf("a log time axis needs a positive time, and every time drawn is 0 or less")
	}
	if !math.IsNaN(opts.From) {
		fig.xmin = opts.From
	}
	if !math.IsNaN(opts.To) {
		fig.xmax = opts.To
	}
	return nil
}

func bound(v float64, none string) string {
	if math.IsNaN(v) {
		return none
	}
	return "t = " + num(v) + " s"
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// title names the runs and how each ended when it did not complete.
func title(runs []*Run) string {
	var parts []string
	for _, r := range runs {
		s := r.Label()
		if r.Summary != nil {
			if r.Summary.Method != "" {
				s += " (" + r.Summary.Method + ")"
			}
			if st := r.Summary.Stopped; st != "" && st != "completed" {
				st, _, _ = strings.Cut(st, ",")
				s += ": " + st
			}
		}
		parts = append(parts, s)
	}
	same := true
	for _, p := range parts {
		same = same && p == parts[0]
	}
	if same && len(parts) > 1 {
		// runs of one model (seeds): name it once, and the runs
		return fmt.Sprintf("%s, %d runs: %s", parts[0], len(parts), strings.Join(labels(runs), ", "))
	}
	return strings.Join(parts, "  vs  ")
}

// labels names the runs of a comparison: by model, or by directory when
// two runs share a model.
func labels(runs []*Run) []string {
	out := make([]string, len(runs))
	for i, r := range runs {
		out[i] = r.Label()
	}
	for i := range out {
		for j := range i {
			if out[i] == out[j] {
				for k, r := range runs {
					out[k] = filepath.Base(filepath.Clean(r.Dir))
				}
				return trimCommon(out)
			}
		}
	}
	return trimCommon(out)
}

// trimCommon drops a prefix that every label shares up to a _ or -
// (lagline_gle, lagline_le -> gle, le), when every label keeps a rest.
func trimCommon(labels []string) []string {
	if len(labels) < 2 {
		return labels
	}
	cut := 0
	for i := 0; i < len(labels[0]); i++ {
		c := labels[0][i]
		for _, l := range labels[1:] {
			if i >= len(l)-1 || l[i] != c {
				goto done
			}
		}
		if c == '_' || c == '-' {
			cut = i + 1
		}
	}
done:
	if cut == 0 || cut >= len(labels[0]) || strings.Trim(labels[0][cut:], "0123456789") == "" {
		// keep seed-1, seed-2: a bare number would not say what it counts
		return labels
	}
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = l[cut:]
	}
	return out
}
