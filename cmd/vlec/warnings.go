package main

import (
	"sort"

	"github.com/vlec-dev/vlec/lang"
)

// formatWarnings renders warnings as diagnostics are rendered,
// `file:line:col: warning: message` with the source line and a caret, in
// file order.
func formatWarnings(sources lang.Sources, warns lang.ErrorList) string {
	list := make(lang.ErrorList, len(warns))
	for i, w := range warns {
		list[i] = &lang.Error{Pos: w.Pos, Msg: "warning: " + w.Msg}
	}
	sort.Stable(list)
	return sources.Format(list)
}
