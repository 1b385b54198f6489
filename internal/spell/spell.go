// Package spell suggests the intended name for a misspelt one, for "did
// you mean" hints in the parser's and the checker's messages.
package spell

import "sort"

// Nearest returns the candidate closest to name by edit distance
// (Distance), or "" when none is close enough to be a likely misspelling:
// at most a third of the name's length plus one, and at most 3 edits.
// Candidates shorter than minLen are never suggested. Ties resolve to the
// candidate first in sorted order, the same way every run.
func Nearest(name string, candidates []string, minLen int) string {
	best, bestDist := "", min(len(name)/3+1, 3)
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		if c == name || len(c) < minLen {
			continue
		}
		if d := Distance(name, c); d <= bestDist && (best == "" || d < Distance(name, best)) {
			best = c
		}
	}
	return best
}

// Distance is the Levenshtein distance between a and b, with an adjacent
// transposition counted as one edit (the optimal string alignment
// variant of Damerau's distance), counted in runes.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
