package check

import (
	"strings"

	"github.com/vlec-dev/vlec/lang"
)

// warnf records a warning on the model being checked: something the file
// says that has no effect. Warnings never stop a model from running.
func (c *checker) warnf(pos lang.Pos, format string, args ...any) {
	c.m.Warnings.Add(pos, format, args...)
}

// warnIgnoredLearn warns about learn settings the model's method or
// optimizer never reads: a window without method adjoint, adam_* without
// optimizer = adam.
func (c *checker) warnIgnoredLearn(d *lang.LearnDecl, l Learn) {
	for _, st := range d.Settings {
		switch key := settingKey(st); {
		case key == "window" && c.m.Sim.Method != Adjoint:
			c.warnf(st.At, "window is ignored under method = %s: it is the length of the windows of exact-gradient training, which only method = adjoint does (vlec grad and gradcheck take --window)", c.m.Sim.Method)
		case strings.HasPrefix(key, "adam_") && l.Optimizer != "adam":
			c.warnf(st.At, "%s is ignored: the optimizer is %s (set optimizer = adam to use it)", key, l.Optimizer)
		}
	}
}
