package spell

import "testing"

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "ab", 2}, {"gle", "gle", 0},
		{"glee", "gle", 1}, {"tua_m", "tau_m", 1}, {"kitten", "sitting", 3},
		{"populaton", "population", 1}, {"τ_m", "t_m", 1},
	} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := Distance(c.b, c.a); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetric)", c.b, c.a, got, c.want)
		}
	}
}

func TestNearest(t *testing.T) {
	names := []string{"h", "y", "tau_m", "tau_r", "population", "connect"}
	for _, c := range []struct {
		name   string
		minLen int
		want   string
	}{
		{"hh", 0, "h"}, {"tua_m", 0, "tau_m"}, {"tau_x", 0, "tau_m"}, // tie: sorted first
		{"populaton", 4, "population"}, {"hh", 4, ""}, {"zzzzzz", 0, ""}, {"x", 0, "h"},
	} {
		if got := Nearest(c.name, names, c.minLen); got != c.want {
			t.Errorf("Nearest(%q, minLen %d) = %q, want %q", c.name, c.minLen, got, c.want)
		}
	}
}
