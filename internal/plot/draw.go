package plot

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	_ "gonum.org/v1/plot/vg/vgimg" // png
	_ "gonum.org/v1/plot/vg/vgpdf" // pdf
	_ "gonum.org/v1/plot/vg/vgsvg" // svg

	"github.com/vlec-dev/vlec/internal/atomicfile"
)

// Formats are the file types a figure can be written as, by extension.
var Formats = []string{"png", "svg", "pdf"}

// Layout of a figure, in the units of vg (1/72 inch; a PNG has 96
// pixels per inch).
const (
	figWidth    = 10.5 * vg.Inch
	legendWidth = 3 * vg.Inch
	panelHeight = 1.9 * vg.Inch
	titleLine   = 0.25 * vg.Inch // one line of the title
	titlePad    = 0.1 * vg.Inch
)

// palette is the Okabe-Ito set of colours that stay apart for
// colour-blind readers (yellow left out: it does not show on white), and
// two more for the tenth series of a panel.
var palette = []color.Color{
	color.RGBA{0, 114, 178, 255},   // blue
	color.RGBA{213, 94, 0, 255},    // vermillion
	color.RGBA{0, 158, 115, 255},   // bluish green
	color.RGBA{204, 121, 167, 255}, // reddish purple
	color.RGBA{230, 159, 0, 255},   // orange
	color.RGBA{86, 180, 233, 255},  // sky blue
	color.RGBA{0, 0, 0, 255},       // black
	color.RGBA{120, 120, 120, 255}, // grey
	color.RGBA{136, 34, 85, 255},   // wine (Paul Tol's muted set)
	color.RGBA{153, 153, 51, 255},  // olive
}

// dashes tell the series of one run apart when colours tell the runs
// apart (--compare).
var dashes = [][]vg.Length{
	nil,
	{vg.Points(6), vg.Points(2)},
	{vg.Points(2), vg.Points(2)},
	{vg.Points(6), vg.Points(2), vg.Points(2), vg.Points(2)},
	{vg.Points(10), vg.Points(4)},
	{vg.Points(1), vg.Points(3)},
}

// Figure draws the recordings of runs and writes the image to out (.png,
// .svg or .pdf): one run, or several overlaid (one colour per run). It
// writes a temporary file beside out and renames it into place. It
// returns notes on what it left out.
func Figure(runs []*Run, opts Options, out string) ([]string, error) {
	format, err := formatOf(out)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("no run directory given")
	}
	// fail before reading the recordings when out cannot be written
	if st, err := os.Stat(filepath.Dir(out)); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("writing %s: %s is not a directory", out, filepath.Dir(out))
	}
	fig, err := build(runs, opts)
	if err != nil {
		return nil, err
	}
	c, err := draw.NewFormattedCanvas(figWidth, fig.height(), format)
	if err != nil {
		return nil, err
	}
	fig.draw(draw.New(c), len(runs) > 1)
	if err := atomicfile.WriteTo(out, c); err != nil {
		return nil, fmt.Errorf("writing %s: %v", out, err)
	}
	return fig.notes, nil
}

// formatOf is the image format of a file name, or an error naming the
// ones supported.
func formatOf(out string) (string, error) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(out), "."))
	for _, f := range Formats {
		if ext == f {
			return f, nil
		}
	}
	what := "no extension"
	if ext != "" {
		what = "." + ext
	}
	return "", fmt.Errorf("%s: cannot write an image with %s; the supported types are .%s", out, what, strings.Join(Formats, ", ."))
}

func (fig *figure) height() vg.Length {
	return fig.titleHeight() + vg.Length(len(fig.panels))*panelHeight
}

// titleStyle is the style of the figure's title.
func titleStyle() text.Style {
	return text.Style{Color: color.Black, Font: sans(13), Handler: gplot.DefaultTextHandler, XAlign: draw.XCenter}
}

// titleLines breaks the title into lines that fit the panels' width, at
// the "  vs  " between runs.
func (fig *figure) titleLines() []string {
	sty := titleStyle()
	if sty.Width(fig.title) <= figWidth-legendWidth || !strings.Contains(fig.title, "  vs  ") {
		return []string{fig.title}
	}
	parts := strings.Split(fig.title, "  vs  ")
	for i := 1; i < len(parts); i++ {
		parts[i] = "vs " + parts[i]
	}
	return parts
}

func (fig *figure) titleHeight() vg.Length {
	return vg.Length(len(fig.titleLines()))*titleLine + titlePad
}

// draw lays the panels out in one column, their legends to the right.
func (fig *figure) draw(dc draw.Canvas, compare bool) {
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	sty := titleStyle()
	for i, line := range fig.titleLines() {
		dc.FillText(sty, vg.Point{X: dc.Min.X + (figWidth-legendWidth)/2, Y: dc.Max.Y - vg.Length(i+1)*titleLine + 0.05*vg.Inch}, line)
	}

	plots := make([][]*gplot.Plot, len(fig.panels))
	legends := make([]gplot.Legend, len(fig.panels))
	for i, p := range fig.panels {
		plots[i] = []*gplot.Plot{nil}
		plots[i][0], legends[i] = fig.plot(p, compare)
	}
	area := dc
	area.Max.Y -= fig.titleHeight()
	area.Max.X -= legendWidth
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(2),
		PadLeft: vg.Points(4), PadRight: vg.Points(8), PadY: vg.Points(10)}
	canvases := gplot.Align(plots, tiles, area)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
		lc := canvases[i][0]
		lc.Min.X, lc.Max.X = area.Max.X+vg.Points(6), dc.Max.X-vg.Points(4)
		lc.Max.Y -= vg.Points(14)
		legends[i].Draw(lc)
	}
}

// plot makes the gonum plot of one panel and its legend.
func (fig *figure) plot(p *panel, compare bool) (*gplot.Plot, gplot.Legend) {
	pl, leg := newPlot(p.key)
	span := fig.xmax - fig.xmin // in the x the decimators were given
	switch {
	case p.key.perEpoch():
		span = 0
	case fig.logTime:
		span = math.Log10(fig.xmax) - math.Log10(math.Max(fig.xmin, fig.xpos))
	}
	logY, ylo, yhi := false, 0.0, 0.0
	if p.key.logCandidate() {
		window := -1.0
		if p.key.smoothed() {
			window = smoothWindow(span)
		}
		lo, hi, ok := positiveRange(p.series, window)
		if ok && useLog(lo, hi) {
			logY, ylo, yhi = true, lo, hi
			pl.Y.Scale = gplot.LogScale{}
			pl.Y.Tick.Marker = logTicks{}
		}
	}
	for j, s := range p.series {
		fig.addSeries(pl, &leg, p, s, j, compare, logY, span)
	}
	fig.addRefs(pl, &leg, p, logY)
	if logY {
		// set after the series, whose envelopes widen the axis: the
		// means' range, and the references'
		for _, r := range fig.refs[p] {
			if r.Value > 0 {
				ylo, yhi = math.Min(ylo, r.Value), math.Max(yhi, r.Value)
			}
		}
		pl.Y.Min, pl.Y.Max = ylo, yhi
	}
	if !p.key.perEpoch() && fig.span {
		pl.X.Min, pl.X.Max = fig.xmin, fig.xmax
		if fig.logTime {
			pl.X.Scale, pl.X.Tick.Marker = gplot.LogScale{}, logTicks{}
			pl.X.Min = math.Max(pl.X.Min, fig.xpos)
		}
	}
	return pl, leg
}

// newPlot makes an empty plot styled for a panel, and its legend.
func newPlot(key panelKey) (*gplot.Plot, gplot.Legend) {
	pl := gplot.New()
	pl.Title.Text = key.title()
	pl.Title.TextStyle.Font = sans(11)
	pl.Y.Label.Text = key.yLabel()
	pl.X.Label.Text = "t (s)"
	for _, ax := range []*gplot.Axis{&pl.X, &pl.Y} {
		ax.Label.TextStyle.Font = sans(10)
		ax.Tick.Label.Font = sans(9)
		ax.Tick.Marker = niceTicks{}
	}
	if key.perEpoch() {
		pl.X.Label.Text = "epoch"
		pl.X.Tick.Marker = niceTicks{whole: true}
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 225}
	grid.Horizontal.Color = color.Gray{Y: 225}
	pl.Add(grid)
	leg := gplot.NewLegend()
	leg.Left = true
	leg.Top = true
	leg.TextStyle.Font = sans(8.5)
	leg.ThumbnailWidth = vg.Points(18)
	return pl, leg
}

// addRefs draws the panel's reference values as dotted black lines
// across the time shown (a log axis leaves out those not above 0).
func (fig *figure) addRefs(pl *gplot.Plot, leg *gplot.Legend, p *panel, logY bool) {
	x0, x1 := fig.xmin, fig.xmax
	if fig.logTime {
		x0 = math.Max(x0, fig.xpos)
	}
	if p.key.perEpoch() {
		x0, x1 = math.Inf(1), math.Inf(-1)
		for _, s := range p.series {
			a, b := s.dec.xRange()
			x0, x1 = math.Min(x0, a), math.Max(x1, b)
		}
	}
	for _, r := range fig.refs[p] {
		if logY && !(r.Value > 0) {
			continue
		}
		y := r.Value * p.key.scale()
		line, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
		if err != nil {
			continue // a non-finite value or range: nothing to draw
		}
		line.Color, line.Width, line.Dashes = color.Black, vg.Points(0.8), []vg.Length{vg.Points(1), vg.Points(2)}
		pl.Add(line)
		leg.Add(fmt.Sprintf("%s = %s (reference)", r.Name, strconv.FormatFloat(r.Value, 'g', -1, 64)), line)
	}
}

// positiveRange is the smallest positive and the largest value of the
// series, for a log axis. With a window (>= 0), the smallest is that of
// the running means over it, the lines drawn in full: the faded
// envelope's dips (an error crossing zero) are cut off at the axis
// rather than stretching it over decades.
func positiveRange(ss []*series, window float64) (lo, hi float64, ok bool) {
	for _, s := range ss {
		m, okm := s.dec.PositiveMin()
		if window >= 0 {
			m, okm = positiveMin(s.dec.Mean(window))
		}
		_, h, okh := s.dec.Range()
		if !okm || !okh {
			continue
		}
		if !ok || m < lo {
			lo = m
		}
		if !ok || h > hi {
			hi = h
		}
		ok = true
	}
	return lo, hi, ok
}

// style returns the colour and dashes of the j-th series of a panel.
func style(p *panel, s *series, j int, compare bool) (color.Color, []vg.Length) {
	if compare {
		return palette[s.run%len(palette)], dashes[seriesIndex(p, s)%len(dashes)]
	}
	if p.key.kind == kindTarget {
		// a teacher's quantity and the output it is compared with share
		// a hue; targets are dashed and lighter, so that they show where
		// a long run draws both as bands
		c := palette[targetIndex(p, pairKey(s))%len(palette)]
		if s.target {
			return mix(c, 0.45), dashes[1]
		}
		return c, nil
	}
	return palette[j%len(palette)], nil
}

// seriesIndex numbers the series of one run in a panel.
func seriesIndex(p *panel, s *series) int {
	n := 0
	for _, o := range p.series {
		if o == s {
			return n
		}
		if o.run == s.run {
			n++
		}
	}
	return n
}

// pairKey is the name a target's colour is chosen by: a teacher's
// quantity's without the teacher (T.y.r[0][0] -> y.r[0][0]).
func pairKey(s *series) string {
	k := s.col.name
	if strings.Count(s.col.base, ".") >= 2 {
		_, k, _ = strings.Cut(k, ".")
	}
	return k
}

// targetIndex numbers the distinct outputs of a target panel.
func targetIndex(p *panel, key string) int {
	var seen []string
	for _, s := range p.series {
		k := pairKey(s)
		if k == key {
			return len(seen)
		}
		if !contains(seen, k) {
			seen = append(seen, k)
		}
	}
	return len(seen)
}

// addSeries draws one series: its min/max envelope, and for a cost or an
// energy a running mean over it, the envelope faded.
func (fig *figure) addSeries(pl *gplot.Plot, leg *gplot.Legend, p *panel, s *series, j int, compare, logY bool, span float64) {
	col, dash := style(p, s, j, compare)
	label := s.label
	if compare {
		label = s.run0Label(fig) + ": " + label
	}
	scale := p.key.scale()
	xs, ys := s.dec.Envelope()
	logX := fig.logTime && !p.key.perEpoch()
	env := points(xs, ys, scale, logY, logX)
	if len(env) == 0 {
		leg.Add(label + " = 0")
		return
	}
	line, _ := plotter.NewLine(env) // points drops non-finite values
	line.Color, line.Dashes, line.Width = col, dash, vg.Points(1.1)
	if p.key.smoothed() {
		line.Color = fade(col)
		line.Width = vg.Points(0.6)
		pl.Add(line)
		mx, my := s.dec.Mean(smoothWindow(span))
		if mean := points(mx, my, 1, logY, logX); len(mean) > 0 {
			ml, _ := plotter.NewLine(mean)
			ml.Color, ml.Dashes, ml.Width = col, dash, vg.Points(1.6)
			pl.Add(ml)
			leg.Add(label, ml)
			return
		}
		leg.Add(label, line)
		return
	}
	if len(env) == 1 || p.key.perEpoch() && len(env) <= 60 {
		sc, _ := plotter.NewScatter(env)
		sc.Color, sc.Radius = col, vg.Points(1.5)
		sc.Shape = draw.CircleGlyph{}
		pl.Add(sc)
	}
	pl.Add(line)
	leg.Add(label, line)
}

// run0Label is the label of the series' run in a comparison.
func (s *series) run0Label(fig *figure) string {
	if s.run < len(fig.runLabels) {
		return fig.runLabels[s.run]
	}
	return fmt.Sprint("run ", s.run+1)
}

// points converts a series to plotter points, times scale, keeping only
// positive values on a log axis; logX: x was decimated as log10(x).
func points(xs, ys []float64, scale float64, logY, logX bool) plotter.XYs {
	out := make(plotter.XYs, 0, len(xs))
	for i := range xs {
		y := ys[i] * scale
		if math.IsNaN(y) || math.IsInf(y, 0) || logY && !(y > 0) {
			continue
		}
		x := xs[i]
		if logX {
			x = math.Pow(10, x)
		}
		out = append(out, plotter.XY{X: x, Y: y})
	}
	return out
}

// fade is c at a third of its strength on white.
func fade(c color.Color) color.Color { return mix(c, 2.0/3) }

// mix is c mixed with white, white's share w.
func mix(c color.Color, w float64) color.Color {
	r, g, b, _ := c.RGBA()
	m := func(v uint32) uint8 { return uint8(float64(v>>8)*(1-w) + 255*w + 0.5) }
	return color.RGBA{m(r), m(g), m(b), 255}
}

// sans is the sans-serif face gonum/plot embeds (Liberation Sans), at
// size points.
func sans(size vg.Length) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
}

// positiveMin is the smallest positive value of ys; false if none.
func positiveMin(_, ys []float64) (float64, bool) {
	m, ok := 0.0, false
	for _, y := range ys {
		if y > 0 && (!ok || y < m) {
			m, ok = y, true
		}
	}
	return m, ok
}
