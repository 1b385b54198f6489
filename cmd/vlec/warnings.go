package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/vlec-dev/vlec"
	"github.com/vlec-dev/vlec/ir/schedule"
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

// loadWarned compiles the model at path for a run, printing positioned
// errors, or else the model's warnings.
func loadWarned(stderr io.Writer, path string) (*schedule.Program, error) {
	c, sources, err := vlec.Compile(path, vlec.Options{})
	if err != nil {
		fmt.Fprint(stderr, sources.Format(err))
		return nil, exitError{1}
	}
	fmt.Fprint(stderr, formatWarnings(sources, c.Model.Warnings))
	return c.Program, nil
}
