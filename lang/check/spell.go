package check

import "github.com/vlec-dev/vlec/internal/spell"

// didYouMean formats a suggestion for an error message: `; did you mean
// x?`, or nothing.
func didYouMean(name string, candidates []string) string {
	if s := spell.Nearest(name, candidates, 0); s != "" {
		return "; did you mean " + s + "?"
	}
	return ""
}
