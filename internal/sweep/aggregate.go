package sweep

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Stat is the mean and the sample standard deviation of a column over
// the completed runs of a group that have a value in it.
type Stat struct {
	N    int
	Mean float64
	// Std is the sample standard deviation (n - 1 in the denominator),
	// NaN for fewer than two values.
	Std float64
}

// Group is one combination of the settings other than the seed, with
// the statistics of its completed runs over the seeds.
type Group struct {
	Settings Settings // without the seed
	Runs, OK int
	Stats    []Stat // one per column of Aggregate.Columns
}

// Aggregate is the table of mean ± std per combination over seeds.
type Aggregate struct {
	Names   []string // the settings, without seed
	Columns []string // the numeric columns: steps, wall_s, cost_start, cost_end, metrics
	Groups  []Group
}

// Aggregate groups the runs by their settings other than the seed (in
// the order the first run of each group appears) and computes, over the
// completed runs of each group, the mean and the standard deviation of
// every numeric column.
func (t *Table) Aggregate() *Aggregate {
	a := &Aggregate{Columns: t.numberNames()}
	for _, ax := range t.Grid {
		if ax.Name != SeedName {
			a.Names = append(a.Names, ax.Name)
		}
	}
	index := map[string]int{}
	values := [][][]float64{} // group, column, values
	for i, r := range t.Runs {
		var s Settings
		for _, x := range r.Settings {
			if x.Name != SeedName {
				s = append(s, x)
			}
		}
		g, ok := index[s.key()]
		if !ok {
			g = len(a.Groups)
			index[s.key()] = g
			a.Groups = append(a.Groups, Group{Settings: s})
			values = append(values, make([][]float64, len(a.Columns)))
		}
		a.Groups[g].Runs++
		if t.Results[i].Status != StatusOK {
			continue
		}
		a.Groups[g].OK++
		for c, text := range t.numbers(i) {
			if v, err := strconv.ParseFloat(text, 64); err == nil {
				values[g][c] = append(values[g][c], v)
			}
		}
	}
	for g := range a.Groups {
		for _, vs := range values[g] {
			a.Groups[g].Stats = append(a.Groups[g].Stats, stat(vs))
		}
	}
	return a
}

// stat computes the mean and the sample standard deviation of vs from
// their differences to the first value (shifted data), so that equal
// values have exactly their value as mean and 0 as deviation, and a
// small spread far from zero loses nothing to cancellation.
func stat(vs []float64) Stat {
	s := Stat{N: len(vs), Mean: math.NaN(), Std: math.NaN()}
	if s.N == 0 {
		return s
	}
	k := vs[0]
	var sum float64
	for _, v := range vs {
		sum += v - k
	}
	dm := sum / float64(s.N)
	s.Mean = k + dm
	if s.N < 2 {
		return s
	}
	var ss float64
	for _, v := range vs {
		d := v - k - dm
		ss += d * d
	}
	s.Std = math.Sqrt(ss / float64(s.N-1))
	return s
}

// WriteCSV writes summary.csv: a row per group with its settings, its
// runs and completed runs (ok), and per numeric column the number of
// values, their mean and their standard deviation (empty where there
// is none).
func (a *Aggregate) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := append(append([]string{}, a.Names...), "runs", "ok")
	for _, c := range a.Columns {
		head = append(head, c+"_n", c+"_mean", c+"_std")
	}
	cw.Write(head)
	for _, g := range a.Groups {
		row := make([]string, 0, len(head))
		for _, x := range g.Settings {
			row = append(row, x.Value)
		}
		row = append(row, strconv.Itoa(g.Runs), strconv.Itoa(g.OK))
		for _, s := range g.Stats {
			row = append(row, strconv.Itoa(s.N), csvFloat(s.Mean), csvFloat(s.Std))
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

// csvFloat writes v exactly (the shortest text that reads back as v),
// and NaN, which here means no value, as an empty cell.
func csvFloat(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// shown are the columns the printed table shows, when present.
var shown = []string{"cost_start", "cost_end", "train_accuracy", "test_loss", "test_accuracy", "wall_s"}

// Print writes the table for a terminal: per group its settings, the
// completed runs of all (n), and mean ± std of the costs, the task's
// final metrics and the wall time over them.
func (a *Aggregate) Print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var cols []int
	head := append(append([]string{}, a.Names...), "n")
	for _, name := range shown {
		for c, col := range a.Columns {
			if col == name {
				cols = append(cols, c)
				head = append(head, col)
			}
		}
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, g := range a.Groups {
		row := make([]string, 0, len(head))
		for _, x := range g.Settings {
			row = append(row, x.Value)
		}
		row = append(row, fmt.Sprintf("%d/%d", g.OK, g.Runs))
		for _, c := range cols {
			row = append(row, g.Stats[c].String())
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if g, metric, ok := a.Best(); ok && len(g.Settings) > 0 {
		c := slices.Index(a.Columns, metric)
		_, err := fmt.Fprintf(w, "best mean %s: %s (%s)\n", metric, g.Settings, g.Stats[c])
		return err
	}
	return nil
}

// Best returns the group with the best mean of the final metric: the
// highest test_accuracy where the runs have one, else the lowest
// cost_end, with the metric's name; ok is false with fewer than two
// groups having a finite mean.
func (a *Aggregate) Best() (g Group, metric string, ok bool) {
	metric, higher := "cost_end", false
	if slices.Contains(a.Columns, "test_accuracy") {
		metric, higher = "test_accuracy", true
	}
	c := slices.Index(a.Columns, metric)
	best, n := -1, 0
	for i, grp := range a.Groups {
		m := grp.Stats[c].Mean
		if math.IsNaN(m) || math.IsInf(m, 0) {
			continue
		}
		n++
		if b := best; b < 0 || higher && m > a.Groups[b].Stats[c].Mean || !higher && m < a.Groups[b].Stats[c].Mean {
			best = i
		}
	}
	if n < 2 {
		return Group{}, metric, false
	}
	return a.Groups[best], metric, true
}

// String gives "mean ± std" to 4 significant digits, the mean alone for
// one value and "-" for none.
func (s Stat) String() string {
	switch {
	case s.N == 0:
		return "-"
	case s.N == 1 || math.IsNaN(s.Std):
		return fmt.Sprintf("%.4g", s.Mean)
	}
	return fmt.Sprintf("%.4g ± %.3g", s.Mean, s.Std)
}
