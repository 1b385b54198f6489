package main

import (
	"fmt"

	"github.com/vlec-dev/vlec/lang/check"
)

// Times on the command line follow the language's rules (check.ParseTime):
// `30s`, `500ms`, `1.5e3ms`, `2min`, a bare number of seconds; `2m` is an
// unknown unit, as it is in a .vle file.

// flagTime reads a positive time given to the flag name.
func flagTime(name, value string) (float64, error) {
	t, err := check.ParseTime(value)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %v", name, value, err)
	}
	if t <= 0 {
		return 0, fmt.Errorf("%s %s: give a positive time, such as 30s or 500ms", name, value)
	}
	return t, nil
}

// flagSteps reads a simulated time given to the flag name as a number of
// steps of dt, with the rule and the messages of a sim block's duration:
// a positive whole number of steps.
func flagSteps(name, value string, dt float64) (int, error) {
	t, err := check.ParseTime(value)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %v", name, value, err)
	}
	return check.TimeSteps(name, t, dt)
}

// flagStart reads a start time given to the flag name as a number of
// steps of dt: 0, or a positive whole number of steps.
func flagStart(name, value string, dt float64) (int, error) {
	t, err := check.ParseTime(value)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %v", name, value, err)
	}
	if t == 0 {
		return 0, nil
	}
	return check.TimeSteps(name, t, dt)
}
