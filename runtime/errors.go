package runtime

import "github.com/vlec-dev/vlec/lang"

// positioned returns err as a diagnostic at pos (the declaration it comes
// from), so that it prints with the source line and a caret, unless it
// carries a position already.
func positioned(pos lang.Pos, err error) error {
	if err == nil || !pos.IsValid() {
		return err
	}
	for _, d := range lang.Diagnostics(err) {
		if d.Pos.IsValid() {
			return err
		}
	}
	return lang.ErrorList{lang.Errorf(pos, "%v", err)}
}
