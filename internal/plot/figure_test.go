package plot

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// chainRun writes a run directory shaped like chain2's: a CSV of every
// kind of quantity over n rows, a cost and energy file that falls by
// decades, and a summary.
func chainRun(t *testing.T, n int, model, method string) string {
	t.Helper()
	var b, c strings.Builder
	b.WriteString("step,t,x[0][0],T.y.r[0][0],h.u[0][0],h.e[0][0],y.r[0][0],W0[0][0],h.tau_m[0],kappa\n")
	c.WriteString("step,t,cost[0],energy[0],energy.1[0],energy.2[0]\n")
	for k := range n {
		tm := float64(k) * 0.01
		x := math.Sin(tm)
		fmt.Fprintf(&b, "%d,%g,%g,%g,%g,%g,%g,%g,%g,%g\n", k, tm, x, 1+0.5*x, 0.3*x, 0.01*math.Cos(tm), 1+0.4*x, 0.3+float64(k)/float64(n), 0.5, 2.0)
		cost := math.Exp(-tm) * (1.1 + math.Sin(7*tm))
		fmt.Fprintf(&c, "%d,%g,%g,%g,%g,%g\n", k, tm, cost, 1.5*cost, 0.5*cost, 0.0)
	}
	summary := fmt.Sprintf(`{"model": %q, "method": %q, "stopped": "completed", "files": ["run.csv", "cost.csv", "%s.summary.json"]}`, model, method, model)
	return writeRun(t, map[string]string{"run.csv": b.String(), "cost.csv": c.String(), model + ".summary.json": summary})
}

// inspect returns the share of pixels of img that are not white, and the
// number of pixels of colour c.
func inspect(img image.Image, c color.Color) (nonWhite float64, ofColour int) {
	r0, g0, b0, _ := c.RGBA()
	bounds := img.Bounds()
	n := 0
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || b < 0xf000 {
				n++
			}
			if r == r0 && g == g0 && b == b0 {
				ofColour++
			}
		}
	}
	return float64(n) / float64(bounds.Dx()*bounds.Dy()), ofColour
}

func TestFigurePNG(t *testing.T) {
	dir := chainRun(t, 3000, "chain", "gle")
	run, err := OpenRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{From: math.NaN(), To: math.NaN()}
	fig, err := build([]*Run{run}, opts)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, p := range fig.panels {
		titles = append(titles, p.key.title())
	}
	want := "stimulus|target (dashed) vs output|population h: membrane potentials and rates|population h: errors|weights|time constants|params|cost per sample|energy per sample (total and terms)"
	if got := strings.Join(titles, "|"); got != want {
		t.Errorf("panels\n%s\nwant\n%s", got, want)
	}
	out := filepath.Join(dir, "chain.png")
	if _, err := Figure([]*Run{run}, opts, out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	// 10.5 in wide at 96 dpi; the height grows with the panels
	wantH := int(math.Round(float64(fig.height()) / 72 * 96))
	if b := img.Bounds(); b.Dx() != 1008 || b.Dy() != wantH {
		t.Errorf("image %dx%d, want 1008x%d", b.Dx(), b.Dy(), wantH)
	}
	share, blue := inspect(img, palette[0])
	if share < 0.03 || share > 0.5 {
		t.Errorf("%.3f of the pixels are not white: blank or smeared", share)
	}
	if blue < 2000 {
		t.Errorf("%d pixels of the first series' colour: the lines are missing", blue)
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, ".chain.png.tmp*")); len(entries) > 0 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestFigureFormats(t *testing.T) {
	dir := chainRun(t, 200, "chain", "gle")
	run, err := OpenRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Vars: []string{"y.r", "cost"}, From: math.NaN(), To: math.NaN()}
	for ext, magic := range map[string]string{".svg": "<?xml", ".pdf": "%PDF"} {
		out := filepath.Join(dir, "f"+ext)
		if _, err := Figure([]*Run{run}, opts, out); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(out)
		if !bytes.HasPrefix(data, []byte(magic)) || len(data) < 2000 {
			t.Errorf("%s: %d bytes starting %q", ext, len(data), data[:min(len(data), 8)])
		}
	}
}

func TestFigureErrors(t *testing.T) {
	dir := chainRun(t, 100, "chain", "gle")
	run, err := OpenRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	tests := []struct {
		name string
		opts Options
		out  string
		want string
	}{
		{"gif", Options{From: nan, To: nan}, "f.gif", "f.gif: cannot write an image with .gif; the supported types are .png, .svg, .pdf"},
		{"no extension", Options{From: nan, To: nan}, "f", "f: cannot write an image with no extension; the supported types are .png, .svg, .pdf"},
		{"unknown var", Options{Vars: []string{"y.u"}, From: nan, To: nan}, "f.png",
			"--vars: y.u was not recorded in " + dir + "; recorded: x, T.y.r, h.u, h.e, y.r, W0, h.tau_m, kappa, cost, energy, energy.1, energy.2"},
		{"empty window", Options{From: 50, To: 60}, "f.png", "no finite values recorded between t = 50 s and t = 60 s; the recordings cover t = 0 s to 0.99 s"},
		{"no directory", Options{From: nan, To: nan}, filepath.Join(dir, "missing", "f.png"), "writing"},
	}
	for _, tc := range tests {
		out := tc.out
		if !filepath.IsAbs(out) {
			out = filepath.Join(t.TempDir(), out)
		}
		_, err := Figure([]*Run{run}, tc.opts, out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
		if _, serr := os.Stat(out); serr == nil {
			t.Errorf("%s: %s written despite the error", tc.name, out)
		}
	}
}

func TestFigureCompare(t *testing.T) {
	a, b := chainRun(t, 500, "lag_gle", "gle"), chainRun(t, 300, "lag_le", "le")
	var runs []*Run
	for _, d := range []string{a, b} {
		r, err := OpenRun(d)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	opts := Options{Vars: []string{"W0", "cost"}, From: math.NaN(), To: math.NaN(), LogTime: true}
	fig, err := build(runs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if fig.title != "lag_gle (gle)  vs  lag_le (le)" || strings.Join(fig.runLabels, ",") != "gle,le" {
		t.Errorf("title %q, labels %v", fig.title, fig.runLabels)
	}
	if len(fig.panels) != 2 || len(fig.panels[0].series) != 2 || fig.panels[0].series[1].run != 1 {
		t.Fatalf("want two panels of both runs' series, got %d", len(fig.panels))
	}
	// on a log time axis the first row (t = 0) is left out
	if fig.xpos != 0.01 || fig.xmax != 4.99 {
		t.Errorf("time axis %v to %v, want 0.01 to 4.99", fig.xpos, fig.xmax)
	}
	out := filepath.Join(t.TempDir(), "cmp.png")
	if _, err := Figure(runs, opts, out); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(out)
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	for i := range runs {
		if _, n := inspect(img, palette[i]); n < 300 {
			t.Errorf("run %d's colour covers %d pixels: its lines are missing", i, n)
		}
	}
}

func TestClassify(t *testing.T) {
	rec := &Recording{Name: "m.csv", XName: "t", format: "csv"}
	model := Names{Inputs: []string{"stim"}, Weights: []string{"Wx"}, Params: []string{"k"}, Teachers: []string{"F"}}
	tests := []struct {
		name  string
		names Names
		want  panelKey
	}{
		{"x[0][0]", Names{}, panelKey{kind: kindStimulus}},
		{"W0[1][2]", Names{}, panelKey{kind: kindWeight}},
		{"Wx[0][0]", model, panelKey{kind: kindWeight}},
		{"stim[0][0]", model, panelKey{kind: kindStimulus}},
		{"F[0][0]", model, panelKey{kind: kindTarget}},
		{"k", model, panelKey{kind: kindParam}},
		{"kappa", Names{}, panelKey{kind: kindParam}},
		{"T.y.r[0][0]", Names{}, panelKey{kind: kindTarget}},
		{"h.u[0][3]", Names{}, panelKey{kind: kindPopulation, sub: "h"}},
		{"mean(h.uhat_r)[0][3]", Names{}, panelKey{kind: kindPopulation, sub: "h"}},
		{"out.v[1][0]", Names{}, panelKey{kind: kindError, sub: "out"}},
		{"h.tau_m[0]", Names{}, panelKey{kind: kindTau}},
		{"h.b[2]", Names{}, panelKey{kind: kindBias}},
		{"cost[0]", Names{}, panelKey{kind: kindCost}},
		{"sum(cost)[0]", Names{}, panelKey{kind: kindCost}},
		{"mean(energy.2)[1]", Names{}, panelKey{kind: kindEnergy}},
		{"h.zzz[0]", Names{}, panelKey{kind: kindOther, sub: "m.csv"}},
	}
	for _, tc := range tests {
		item, _ := splitName(tc.name)
		c := column{rec: rec, name: tc.name, item: item, base: unreduce(item)}
		if got := classify(c, tc.names); got != tc.want {
			t.Errorf("classify(%s) = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestLegendName(t *testing.T) {
	names := Names{Terms: []string{"mismatch(h)", "beta * loss(mse(y.r, T.y.r))"}}
	tests := []struct {
		name   string
		single bool
		want   string
	}{
		{"W0[0][0]", true, "W0"},
		{"y.r[1][0]", false, "y.r[1][0]"},
		{"energy.1[0]", true, "energy.1 mismatch(h)"},
		{"mean(energy.2)[0]", true, "mean(energy.2) beta * loss(mse(y…"},
		{"energy.3[0]", true, "energy.3"},
	}
	metric := column{rec: &Recording{XName: "epoch"}, name: "test_accuracy", item: "test_accuracy", base: "test_accuracy"}
	if got := legendName(metric, true, names); got != "test accuracy" {
		t.Errorf("legendName(test_accuracy) = %q", got)
	}
	for _, tc := range tests {
		item, _ := splitName(tc.name)
		c := column{rec: &Recording{XName: "t"}, name: tc.name, item: item, base: unreduce(item)}
		if got := legendName(c, tc.single, names); got != tc.want {
			t.Errorf("legendName(%s) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestLabelsAndTitle(t *testing.T) {
	run := func(dir, model, method, stopped string) *Run {
		r := &Run{Dir: dir}
		if model != "" {
			r.Summary = &Summary{Model: model, Method: method, Stopped: stopped}
		}
		return r
	}
	tests := []struct {
		runs   []*Run
		labels string
		title  string
	}{
		{[]*Run{run("a/gle", "lagline_gle", "gle", "completed"), run("a/le", "lagline_le", "le", "non-finite value +Inf in cost, batch element 0")},
			"gle|le", "lagline_gle (gle)  vs  lagline_le (le): non-finite value +Inf in cost"},
		{[]*Run{run("r/seed-1", "mnist1d", "gle", "completed"), run("r/seed-2", "mnist1d", "gle", "completed")},
			"seed-1|seed-2", "mnist1d (gle), 2 runs: seed-1, seed-2"},
		{[]*Run{run("x/one", "", "", ""), run("x/two", "", "", "")}, "one|two", "one  vs  two"},
		{[]*Run{run("d", "chain2", "gle", "interrupted")}, "chain2", "chain2 (gle): interrupted"},
	}
	for _, tc := range tests {
		if got := strings.Join(labels(tc.runs), "|"); got != tc.labels {
			t.Errorf("labels %q, want %q", got, tc.labels)
		}
		if got := title(tc.runs); got != tc.title {
			t.Errorf("title %q, want %q", got, tc.title)
		}
	}
}

// A panel shows every quantity's first entry before any quantity's
// second: energy[0] and its terms before energy[1].
func TestByRank(t *testing.T) {
	rec := &Recording{XName: "t"}
	var cols []column
	for _, item := range []string{"energy", "energy.1", "energy.2"} {
		for b := range 3 {
			name := fmt.Sprintf("%s[%d]", item, b)
			cols = append(cols, column{rec: rec, name: name, item: item, base: item})
		}
	}
	var got []string
	for _, c := range byRank(cols)[:4] {
		got = append(got, c.name)
	}
	if s := strings.Join(got, " "); s != "energy[0] energy.1[0] energy.2[0] energy[1]" {
		t.Errorf("order %s", s)
	}
}

// A panel draws at most MaxSeries series of a run and notes the rest.
func TestSeriesCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("step,t")
	for i := range 30 {
		fmt.Fprintf(&b, ",y.r[0][%d]", i)
	}
	b.WriteString("\n")
	for k := range 5 {
		fmt.Fprintf(&b, "%d,%g", k, float64(k)*0.01)
		for i := range 30 {
			fmt.Fprintf(&b, ",%d", i+k)
		}
		b.WriteString("\n")
	}
	dir := writeRun(t, map[string]string{"m.csv": b.String()})
	run, err := OpenRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	fig, err := build([]*Run{run}, Options{From: math.NaN(), To: math.NaN()})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(fig.panels[0].series); n != 10 {
		t.Errorf("%d series drawn, want 10", n)
	}
	want := dir + `: "population y: membrane potentials and rates" shows 10 series of ` + filepath.Base(dir) + ", 20 more not drawn (choose them with --vars)"
	if len(fig.notes) != 1 || fig.notes[0] != want {
		t.Errorf("notes %q, want %q", fig.notes, want)
	}
}

// References go to the panels that draw their quantity; one that names
// nothing recorded is an error listing what was.
func TestRefs(t *testing.T) {
	dir := chainRun(t, 200, "chain", "gle")
	run, err := OpenRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	fig, err := build([]*Run{run}, Options{From: nan, To: nan, Refs: []Ref{{"W0", 1}, {"h.tau_m", 1}, {"cost", 1e-3}}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for p, refs := range fig.refs {
		for _, r := range refs {
			got[r.Name] = p.key.title()
		}
	}
	want := map[string]string{"W0": "weights", "h.tau_m": "time constants", "cost": "cost per sample"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("references in %v, want %v", got, want)
	}
	if _, err := Figure([]*Run{run}, Options{From: nan, To: nan, Refs: []Ref{{"W0", 1}}}, filepath.Join(t.TempDir(), "r.png")); err != nil {
		t.Fatal(err)
	}
	_, err = build([]*Run{run}, Options{From: nan, To: nan, Refs: []Ref{{"W9", 1}}})
	if err == nil || !strings.HasPrefix(err.Error(), "--ref: W9 was not recorded in") {
		t.Errorf("unknown reference: %v", err)
	}
}
