package plot

import (
	"math"
	"strings"
	"testing"
)

func TestUseLog(t *testing.T) {
	tests := []struct {
		lo, hi float64
		want   bool
	}{
		{1e-3, 1e-1, true}, // two decades
		{1e-3, 0.099, false},
		{1e-21, 1e-2, true},
		{0.5, 2, false},
		{0, 1, false},  // no positive minimum
		{-1, 1, false}, // a negative value
		{1, math.Inf(1), false},
		{math.NaN(), 1, false},
	}
	for _, tc := range tests {
		if got := useLog(tc.lo, tc.hi); got != tc.want {
			t.Errorf("useLog(%v, %v) = %v, want %v", tc.lo, tc.hi, got, tc.want)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		whole  bool
		labels string
	}{
		{0, 30, false, "0 5 10 15 20 25 30"},
		{0, 60000, false, "0 10000 20000 30000 40000 50000 60000"},
		{-0.5, 1.0, false, "-0.4 -0.2 0 0.2 0.4 0.6 0.8 1.0"},
		{1, 150, false, "20 40 60 80 100 120 140"},
		{0.01, 0.052, false, "0.01 0.02 0.03 0.04 0.05"},
		{1.41, 1.52, false, "1.42 1.44 1.46 1.48 1.50 1.52"},
		{5, 5, false, "5"},
		{1, 3, true, "1 2 3"}, // epochs: whole numbers only
		{1, 150, true, "20 40 60 80 100 120 140"},
	}
	for _, tc := range tests {
		var got []string
		for _, tk := range (niceTicks{whole: tc.whole}).Ticks(tc.lo, tc.hi) {
			if tk.Value < tc.lo-1e-9 || tk.Value > tc.hi+1e-9 {
				t.Errorf("Ticks(%v, %v): tick %v outside the range", tc.lo, tc.hi, tk.Value)
			}
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if s := strings.Join(got, " "); s != tc.labels {
			t.Errorf("Ticks(%v, %v) labels %q, want %q", tc.lo, tc.hi, s, tc.labels)
		}
	}
}

func TestLogTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		labels string
	}{
		{1e-3, 1, "0.001 0.01 0.1 1"},
		{1e-21, 1e-2, "1e-20 1e-16 1e-12 1e-8 1e-4"},
		{10, 6e4, "10 100 1000 1e4"},
		{2, 9, ""}, // within a decade: only the unlabelled 2..9
	}
	for _, tc := range tests {
		var got []string
		for _, tk := range (logTicks{}).Ticks(tc.lo, tc.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if s := strings.Join(got, " "); s != tc.labels {
			t.Errorf("logTicks(%v, %v) labels %q, want %q", tc.lo, tc.hi, s, tc.labels)
		}
	}
	if ticks := (logTicks{}).Ticks(0, 1); ticks != nil {
		t.Errorf("logTicks(0, 1) = %v, want none", ticks)
	}
}
