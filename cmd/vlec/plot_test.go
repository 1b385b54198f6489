package main

import (
	"bytes"
	"fmt"
	"image/png"

	"github.com/rogpeppe/go-internal/testscript"
)

// pngok FILE PANELS checks that FILE is a PNG figure of vlec plot with
// PANELS panels: it decodes, is 1008 pixels (10.5 in) wide and as tall
// as that many panels make it, at most half of its pixels are not white
// (not smeared), and at least 0.3% are coloured: the data's lines, not
// only the grey grid and black text.
func init() {
	scriptCmds["pngok"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: pngok FILE PANELS")
		}
		var panels int
		if _, err := fmt.Sscan(args[1], &panels); err != nil {
			ts.Fatalf("pngok: PANELS %q is not a number", args[1])
		}
		err := checkFigure([]byte(ts.ReadFile(args[0])), panels)
		switch {
		case neg && err == nil:
			ts.Fatalf("%s is a good figure", args[0])
		case !neg && err != nil:
			ts.Fatalf("%s: %v", args[0], err)
		}
	}
}

func checkFigure(data []byte, panels int) error {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not a PNG: %v", err)
	}
	b := img.Bounds()
	// 10.5 in at 96 dpi; a title line of 0.25 in + 0.1 in, 1.9 in a panel
	wantH := int((0.35+1.9*float64(panels))*96 + 0.5)
	if b.Dx() != 1008 || b.Dy() < wantH-1 || b.Dy() > wantH+1+24 {
		return fmt.Errorf("%dx%d pixels, want 1008x%d (%d panels, a title line)", b.Dx(), b.Dy(), wantH, panels)
	}
	inked, coloured := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				inked++
			}
			if max(r, g, bl)-min(r, g, bl) > 0x4000 {
				coloured++
			}
		}
	}
	n := float64(b.Dx() * b.Dy())
	if share := float64(inked) / n; share > 0.5 {
		return fmt.Errorf("%.1f%% of the pixels are not white: smeared", 100*share)
	}
	if share := float64(coloured) / n; share < 0.003 {
		return fmt.Errorf("%.2f%% of the pixels are coloured: no data drawn", 100*share)
	}
	return nil
}
