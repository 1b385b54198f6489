package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/runtime"
)

// TestRunResult checks the exit status and the messages of every way a
// run ends.
func TestRunResult(t *testing.T) {
	src := lang.Sources{"m.vle": []byte("model m\nrecord y.u\n")}
	sum := func(steps, learnAfter int) *runtime.Summary {
		return &runtime.Summary{Model: "m", Steps: steps, Planned: 1000, Dt: 0.01, LearnAfter: learnAfter, Dir: "out", Files: []string{"m.summary.json"}}
	}
	positioned := lang.ErrorList{lang.Errorf(lang.Pos{File: "m.vle", Line: 2, Col: 1}, "cannot write out/m.csv: it is a directory")}
	cases := []struct {
		name         string
		sum          *runtime.Summary
		err          error
		code         int
		stdout, errs []string // must contain
		notStdout    string
	}{
		{"completed", sum(1000, 0), nil, 0, []string{"wrote out/m.summary.json"}, nil, ""},
		{"non-finite", sum(10, 0), &runtime.NonFiniteError{Buffer: "h.u", Row: 0, Col: -1, Batch: 0, Step: 9, Time: 0.09, Value: 1}, 3,
			nil, []string{"run stopped: non-finite value 1 in h.u[0], batch element 0 at step 9 (t = 0.09s)"}, ""},
		{"non-finite gradient", sum(10, 0), &runtime.NonFiniteGradientError{Param: "W", Row: 0, Col: 0, Step: 3}, 3, nil, []string{"run stopped: non-finite gradient"}, ""},
		{"interrupted at once", sum(0, 0), context.Canceled, 130, nil, []string{"interrupted after 0 of 1000 steps"}, "no learning"},
		{"interrupted before learning", sum(5, 100), context.Canceled, 130, []string{"no learning yet (the run stopped before step 100"}, nil, ""},
		{"setup interrupted", nil, context.Canceled, 130, nil, []string{"interrupted while setting the model up; nothing was written"}, ""},
		{"bad input", nil, errors.New("input x: nope.csv: no such file"), 1, nil, []string{"vlec: input x: nope.csv"}, ""},
		{"positioned", nil, positioned, 1, nil, []string{"m.vle:2:1: cannot write", "    record y.u\n    ^\n"}, ""},
		{"write error", sum(10, 0), &runtime.WriteError{Path: "out/m.csv", Err: errors.New("disk full")}, 1, nil, []string{"vlec: writing out/m.csv: disk full"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := runResult(&stdout, &stderr, src, c.sum, c.err)
			code := 0
			var ee exitError
			if errors.As(err, &ee) {
				code = ee.code
			}
			if code != c.code {
				t.Errorf("exit %d, want %d (%v)", code, c.code, err)
			}
			for _, w := range c.stdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout %q lacks %q", stdout.String(), w)
				}
			}
			for _, w := range c.errs {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q lacks %q", stderr.String(), w)
				}
			}
			if c.notStdout != "" && strings.Contains(stdout.String(), c.notStdout) {
				t.Errorf("stdout %q has %q", stdout.String(), c.notStdout)
			}
		})
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("stdout closed") }

// TestRunResultReportFails checks that a report that cannot be printed
// is an error even when the run succeeded.
func TestRunResultReportFails(t *testing.T) {
	var stderr bytes.Buffer
	s := &runtime.Summary{Model: "m", Steps: 1, Planned: 1, Dt: 0.01}
	err := runResult(failingWriter{}, &stderr, nil, s, nil)
	if ee, ok := err.(exitError); !ok || ee.code != 1 || !strings.Contains(stderr.String(), "stdout closed") {
		t.Errorf("error %v, stderr %q", err, stderr.String())
	}
}
