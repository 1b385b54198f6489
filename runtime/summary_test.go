package runtime

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestSummaryNonfinite checks that NaN and ±Inf make valid JSON: null in
// the field and the value named in "nonfinite", by JSON path.
func TestSummaryNonfinite(t *testing.T) {
	cases := []struct {
		name  string
		start float64
		end   float64
		lr    float64
		want  map[string]string
	}{
		{"finite", 1, 0.5, 0.1, nil},
		{"NaN cost", 1, math.NaN(), 0.1, map[string]string{"cost_end": "NaN"}},
		{"Inf costs", math.Inf(1), math.Inf(-1), 0.1, map[string]string{"cost_start": "+Inf", "cost_end": "-Inf"}},
		{"nested", 1, 1, math.NaN(), map[string]string{"learning.lr": "NaN", "learning.groups.W0": "+Inf"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &Summary{Model: "m", CostStart: floatPtr(c.start), CostEnd: floatPtr(c.end), Learning: Learning{LR: Float(c.lr)}}
			if math.IsNaN(c.lr) {
				s.Learning.Groups = map[string]Float{"W0": Float(math.Inf(1)), "W1": 2}
			}
			data, err := s.JSON()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(string(data), "}\n") {
				t.Errorf("no final newline: %q", data)
			}
			var got struct {
				CostStart *float64          `json:"cost_start"`
				CostEnd   *float64          `json:"cost_end"`
				Nonfinite map[string]string `json:"nonfinite"`
				Learning  struct {
					LR     *float64            `json:"lr"`
					Groups map[string]*float64 `json:"groups"`
				} `json:"learning"`
			}
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatalf("%v in %s", err, data)
			}
			if len(got.Nonfinite) != len(c.want) {
				t.Errorf("nonfinite %v, want %v", got.Nonfinite, c.want)
			}
			for k, v := range c.want {
				if got.Nonfinite[k] != v {
					t.Errorf("nonfinite[%s] = %q, want %q", k, got.Nonfinite[k], v)
				}
			}
			check := func(field string, p *float64, want float64) {
				switch {
				case isFinite(want) && (p == nil || *p != want):
					t.Errorf("%s = %v, want %v", field, p, want)
				case !isFinite(want) && p != nil:
					t.Errorf("%s = %v, want null", field, *p)
				}
			}
			check("cost_start", got.CostStart, c.start)
			check("cost_end", got.CostEnd, c.end)
			check("learning.lr", got.Learning.LR, c.lr)
			if s.Learning.Groups != nil {
				check("learning.groups.W1", got.Learning.Groups["W1"], 2)
			}
		})
	}
}

// TestCostWindows compares the running windows with the means of stored
// costs: complete runs (first and last tenth of the planned learning
// steps) and runs stopped early (tenths of what ran).
func TestCostWindows(t *testing.T) {
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	cases := []struct{ learnAfter, planned, ran int }{
		{0, 100, 100}, {50, 100, 100}, {0, 7, 7}, {3, 4, 4}, {0, 1, 1},
		{10, 1000, 500}, {0, 100, 3}, {0, 100, 1}, {0, 1000, 999},
	}
	for _, c := range cases {
		cw := newCostWindows(c.learnAfter, c.planned)
		var costs []float64
		for k := range c.ran {
			x := math.Sin(float64(k)) + float64(k)/10
			cw.add(k, x)
			if k >= c.learnAfter {
				costs = append(costs, x)
			}
		}
		start, end := cw.means()
		w := max(1, (c.planned-c.learnAfter)/10)
		if c.ran < c.planned {
			w = max(1, len(costs)/10)
		}
		wantStart, wantEnd := mean(costs[:w]), mean(costs[len(costs)-w:])
		if start == nil || math.Abs(float64(*start)-wantStart) > 1e-12 || math.Abs(float64(*end)-wantEnd) > 1e-12 {
			t.Errorf("%+v: got %v, %v; want %v, %v", c, start, end, wantStart, wantEnd)
		}
	}
	if s, e := newCostWindows(10, 10).means(); s != nil || e != nil {
		t.Errorf("no learning: %v, %v", s, e)
	}
	big := newCostWindows(0, 1<<40) // must not allocate per step
	if len(big.ring) > ringMax {
		t.Errorf("ring of %d", len(big.ring))
	}
}

// TestClock checks that step times print as the decimal k * dt.
func TestClock(t *testing.T) {
	cases := []struct {
		k    int
		dt   float64
		want string
	}{
		{95, 0.01, "0.95"}, {3, 0.1, "0.3"}, {7, 0.1, "0.7"}, {12345, 1e-4, "1.2345"},
		{1, 0.0123, "0.0123"}, {100, 0.0123, "1.23"}, {3, 1.0 / 3, "1"}, {0, 0.01, "0"},
		{100000000000, 0.01, "1e+09"}, {100000000001, 0.01, "1.00000000001e+09"}, {29, 0.001, "0.029"},
	}
	for _, c := range cases {
		if got := FormatTime(c.k, c.dt); got != c.want {
			t.Errorf("step %d of dt %v: %s, want %s (k * dt = %v)", c.k, c.dt, got, c.want, float64(c.k)*c.dt)
		}
	}
	// the cases above must include float noise for the test to mean anything
	if got := float64(3) * 0.1; got == 0.3 {
		t.Errorf("3 * 0.1 = %v has no noise", got)
	}
}
