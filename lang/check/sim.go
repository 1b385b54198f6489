package check

import (
	"math"
	"sort"
	"strings"

	"github.com/vlec-dev/vlec/lang"
)

// Defaults of the sim block.
const (
	defaultDt       = 1e-3
	defaultDuration = 1.0
)

var simKeys = []string{"dt", "duration", "batch", "seed", "method", "learn_after", "precision"}

// checkSim checks the sim block (at most one) and fills Model.Sim.
func (c *checker) checkSim() {
	s := &c.m.Sim
	*s = Sim{Dt: defaultDt, Duration: defaultDuration, Batch: 1, Method: GLE, Precision: "float64"}
	var block *lang.SimDecl
	for _, d := range c.u.file.Decls {
		if d, ok := d.(*lang.SimDecl); ok {
			if block != nil {
				c.errorf(d.At, "second sim block; the first is at %s (merge them)", block.At)
				continue
			}
			block = d
		}
	}
	learnAfter := 0.0
	if block != nil {
		s.Pos = block.At
		seen := map[string]bool{}
		for _, st := range block.Settings {
			key := settingKey(st)
			if seen[key] {
				c.errorf(st.At, "%s is set twice in the sim block", key)
				continue
			}
			seen[key] = true
			c.simSetting(st, key, &learnAfter)
		}
	}
	c.finishSim(block, learnAfter)
}

func (c *checker) simSetting(st *lang.Setting, key string, learnAfter *float64) {
	s := &c.m.Sim
	var ok bool
	switch key {
	case "dt":
		if s.Dt, ok = c.timeValue(st.Value, "dt"); ok && s.Dt <= 0 {
			c.errorf(st.Value.Pos(), "dt must be positive, got %gs", s.Dt)
		}
	case "duration":
		if s.Duration, ok = c.timeValue(st.Value, "duration"); ok && s.Duration <= 0 {
			c.errorf(st.Value.Pos(), "duration must be positive, got %gs", s.Duration)
		}
	case "batch":
		s.Batch, _ = c.intValue(st.Value, "batch", 1)
	case "seed":
		seed, _ := c.intValue(st.Value, "seed", 0)
		s.Seed = uint64(seed)
	case "method":
		if m, ok := c.word(st.Value, "method", "le", "gle", "adjoint"); ok {
			s.Method = Method(m)
		}
	case "learn_after":
		if *learnAfter, ok = c.timeValue(st.Value, "learn_after"); ok && *learnAfter < 0 {
			c.errorf(st.Value.Pos(), "learn_after must not be negative, got %gs", *learnAfter)
		}
	case "precision":
		if p, ok := c.word(st.Value, "precision", "float64", "float32"); ok {
			s.Precision = p
		}
	default:
		c.errorf(st.At, "unknown sim setting %s%s (settings: %s)", key, didYouMean(key, simKeys), strings.Join(simKeys, ", "))
	}
}

// finishSim derives the step counts once dt is known.
func (c *checker) finishSim(block *lang.SimDecl, learnAfter float64) {
	s := &c.m.Sim
	if s.Dt <= 0 || s.Duration <= 0 {
		return
	}
	steps, exact := stepsOf(s.Duration, s.Dt)
	if !exact {
		c.errorf(c.settingPos(block, "duration"), "duration %gs is not a whole number of steps of dt = %gs", s.Duration, s.Dt)
	}
	if steps < 1 {
		c.errorf(c.settingPos(block, "duration"), "duration %gs is shorter than one step (dt = %gs)", s.Duration, s.Dt)
	}
	s.Steps = steps
	after, exact := stepsOf(learnAfter, s.Dt)
	if !exact {
		c.errorf(c.settingPos(block, "learn_after"), "learn_after %gs is not a whole number of steps of dt = %gs", learnAfter, s.Dt)
	}
	s.LearnAfter = after
	if s.Precision == "float32" && s.Method == Adjoint {
		c.errorf(c.settingPos(block, "precision"), "precision float32 is for methods le and gle; method adjoint computes exact gradients in float64 (drop the setting or write precision = float64)")
	}
}

// stepsOf converts a time to a number of steps, and says whether it was a
// whole number of steps (to a relative 1e-9, forgiving decimal rounding).
func stepsOf(t, dt float64) (int, bool) {
	n := math.Round(t / dt)
	return int(n), math.Abs(t/dt-n) <= 1e-9*math.Max(1, n)
}

// settingPos is the position of a setting in a block, or of the block.
func (c *checker) settingPos(block *lang.SimDecl, key string) lang.Pos {
	if block == nil {
		return c.u.file.Model.At
	}
	for _, st := range block.Settings {
		if settingKey(st) == key {
			return st.Value.Pos()
		}
	}
	return block.At
}

// settingKey joins a dotted setting key.
func settingKey(st *lang.Setting) string {
	parts := make([]string, len(st.Key))
	for i, k := range st.Key {
		parts[i] = k.Name
	}
	return strings.Join(parts, ".")
}

// word checks that e is one of the given bare words.
func (c *checker) word(e lang.Expr, what string, words ...string) (string, bool) {
	id, ok := e.(*lang.Ident)
	if !ok {
		c.errorf(e.Pos(), "%s must be one of %s", what, strings.Join(words, ", "))
		return "", false
	}
	for _, w := range words {
		if id.Name == w {
			return w, true
		}
	}
	c.errorf(id.At, "unknown %s %s%s (one of %s)", what, id.Name, didYouMean(id.Name, words), strings.Join(words, ", "))
	return "", false
}

// checkTimeConstants reports non-positive time constants and time
// constants below dt. Both leaks of the forward-Euler scheme, the membrane
// u += dt/tau_m (-u + I + gamma e) and gle's error neuron
// v += dt/tau_r (ebar - v), multiply their distance from the fixed point
// by 1 - dt/tau each step: they relax without overshoot for dt <= tau,
// oscillate about the fixed point for tau < dt < 2 tau and diverge beyond.
// So both tau_m and tau_r must be at least dt; tau = dt is allowed (the
// state then reaches its target in one step). The bound on tau_r holds
// whatever the method: a model checked under le may be run under gle
// (vlec gradcheck, vlec.Options.Method).
func (c *checker) checkTimeConstants() {
	dt := c.m.Sim.Dt
	for _, p := range c.m.Populations {
		c.checkTau(p, "tau_m", p.TauM, dt, "membrane update u += dt/tau_m (-u + I + gamma e)")
		c.checkTau(p, "tau_r", p.TauR, dt, "error neuron v += dt/tau_r (ebar - v)")
	}
}

// belowDt reports whether a time constant tau is below dt, forgiving the
// decimal rounding of equal times written differently (100us, 0.1ms).
func belowDt(tau, dt float64) bool { return tau < dt*(1-1e-9) }

func (c *checker) checkTau(p *Population, name string, np NeuronParam, dt float64, update string) {
	for i, v := range np.Values {
		where := name
		if np.PerNeuron {
			where = name + "[" + itoa(i) + "]"
		}
		switch {
		case v <= 0:
			c.errorf(np.Pos, "%s of population %s must be positive, got %gs", where, p.Name, v)
		case dt > 0 && belowDt(v, dt):
			c.errorf(np.Pos, "%s = %gs of population %s is below dt = %gs: the Euler %s overshoots when dt > %s and diverges when dt >= 2 %s (make %s at least dt, or decrease dt)",
				where, v, p.Name, dt, update, name, name, name)
		default:
			continue
		}
		return // one report per parameter
	}
}

// sortedKeys returns the keys of a map in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
