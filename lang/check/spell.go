package check

import "sort"

// nearest returns the candidate closest to name by edit distance, or ""
// when none is close enough to be a likely misspelling.
func nearest(name string, candidates []string) string {
	best, bestDist := "", len(name)/3+1
	if bestDist > 3 {
		bestDist = 3
	}
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted) // ties resolve the same way every run
	for _, c := range sorted {
		if c == name {
			continue
		}
		if d := editDistance(name, c); d <= bestDist && (best == "" || d < editDistance(name, best)) {
			best = c
		}
	}
	return best
}

// didYouMean formats a suggestion for an error message: ` (did you mean
// "x"?)`, or nothing.
func didYouMean(name string, candidates []string) string {
	if s := nearest(name, candidates); s != "" {
		return "; did you mean " + s + "?"
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, with an
// adjacent transposition counted as one edit (Damerau).
func editDistance(a, b string) int {
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
