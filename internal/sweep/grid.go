package sweep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// SeedName is the grid name that sets the random seed: its values are
// passed as --seed instead of --set.
const SeedName = "seed"

// Axis is one dimension of a grid: a setting and the values it takes.
type Axis struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// String gives the axis as --grid takes it: name=v1,v2,...
func (a Axis) String() string { return a.Name + "=" + strings.Join(a.Values, ",") }

// ParseAxis reads a --grid value, NAME=V1,V2,...: a setting name (a
// dotted identifier: lr, h.tau_m, sim.duration, lr.W0 or seed) and one
// or more distinct, non-empty values. A comma inside brackets,
// parentheses or quotes is part of its value: W0=[[0.3, 0.1]],[[0.5, 0]]
// and W1=glorot(seed = 1, gain = 2),zeros() have two values each.
// Whether the name and the values suit the model is checked by the run
// itself (vlec run --set).
func ParseAxis(s string) (Axis, error) {
	name, list, ok := strings.Cut(s, "=")
	if !ok {
		return Axis{}, fmt.Errorf("not NAME=V1,V2,... (no '=')")
	}
	name = strings.TrimSpace(name)
	if err := checkName(name); err != nil {
		return Axis{}, err
	}
	if name == "sim.seed" {
		name = SeedName // the seed, by --seed, averaged over in the tables
	}
	a := Axis{Name: name}
	seen := map[string]bool{}
	for _, v := range splitValues(list) {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
			return Axis{}, fmt.Errorf("an empty value (two commas, or one at an end)")
		case seen[v]:
			return Axis{}, fmt.Errorf("value %s given twice", v)
		}
		seen[v] = true
		a.Values = append(a.Values, v)
	}
	if name == SeedName {
		for _, v := range a.Values {
			if _, err := strconv.ParseUint(v, 10, 64); err != nil {
				return Axis{}, fmt.Errorf("seed %s is not a whole number from 0 to 2^64-1", v)
			}
		}
	}
	return a, nil
}

// splitValues splits a list at the commas outside brackets,
// parentheses and double quotes.
func splitValues(list string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(list); i++ {
		switch c := list[i]; {
		case quoted:
			if c == '\\' {
				i++
			} else if c == '"' {
				quoted = false
			}
		case c == '"':
			quoted = true
		case c == '[' || c == '(' || c == '{':
			depth++
		case (c == ']' || c == ')' || c == '}') && depth > 0:
			depth--
		case c == ',' && depth == 0:
			out = append(out, list[start:i])
			start = i + 1
		}
	}
	return append(out, list[start:])
}

// checkName accepts a dotted identifier: letters, digits and
// underscores, parts separated by single dots, no part starting with a
// digit.
func checkName(name string) error {
	if name == "" {
		return fmt.Errorf("no setting name before '='")
	}
	for _, part := range strings.Split(name, ".") {
		if part == "" {
			return fmt.Errorf("setting name %q has an empty part", name)
		}
		for i, c := range part {
			letter := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
			digit := c >= '0' && c <= '9'
			if !letter && !(digit && i > 0) {
				return fmt.Errorf("setting name %q is not a name (lr, h.tau_m, sim.duration, seed)", name)
			}
		}
	}
	return nil
}

// ParseSeeds reads a --seeds value: a count N (the seeds 0 to N-1) or a
// list of seeds (1,5,9), and returns them as the seed axis.
func ParseSeeds(s string) (Axis, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, ",") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return Axis{}, fmt.Errorf("%q is neither a number of seeds (10: seeds 0 to 9) nor a list of seeds (1,5,9)", s)
		}
		if n > MaxRuns {
			return Axis{}, fmt.Errorf("%d seeds: a sweep has at most %d runs", n, MaxRuns)
		}
		a := Axis{Name: SeedName}
		for i := range n {
			a.Values = append(a.Values, strconv.Itoa(i))
		}
		return a, nil
	}
	return ParseAxis(SeedName + "=" + s)
}

// MaxRuns bounds the number of runs of a sweep, so that a typo (--seeds
// 1000000) is an error rather than a million directories.
const MaxRuns = 100000

// Setting is one name set to one value.
type Setting struct {
	Name, Value string
}

// Settings are a run's settings in the order of the grid. In JSON they
// are an object whose keys keep that order.
type Settings []Setting

// String gives the settings as "lr=0.01 method=le seed=3".
func (s Settings) String() string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = x.Name + "=" + x.Value
	}
	return strings.Join(parts, " ")
}

// key identifies the settings, for matching runs of two manifests.
func (s Settings) key() string {
	var b strings.Builder
	for _, x := range s {
		b.WriteString(strconv.Quote(x.Name))
		b.WriteByte('=')
		b.WriteString(strconv.Quote(x.Value))
		b.WriteByte(';')
	}
	return b.String()
}

// MarshalJSON writes the settings as an object in their order.
func (s Settings) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, x := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(x.Name)
		v, _ := json.Marshal(x.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object of strings, keeping the order of its keys.
func (s *Settings) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("settings: not a JSON object")
	}
	*s = nil
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("settings: %s: %v", k, err)
		}
		*s = append(*s, Setting{Name: k.(string), Value: v})
	}
	_, err := dec.Token()
	return err
}

// Expand gives the cartesian product of the axes in a stable order: the
// first axis varies slowest, the last fastest (put the seeds last to
// have a combination's seeds side by side).
func Expand(axes []Axis) ([]Settings, error) {
	if len(axes) == 0 {
		return nil, fmt.Errorf("nothing to sweep: give --grid NAME=V1,V2,... or --seeds N")
	}
	n := 1
	seen := map[string]bool{}
	for _, a := range axes {
		if seen[a.Name] {
			return nil, fmt.Errorf("%s is swept twice: give each name one --grid (and the seeds either as --seeds or as --grid seed=...)", a.Name)
		}
		seen[a.Name] = true
		if len(a.Values) == 0 {
			return nil, fmt.Errorf("%s has no values", a.Name)
		}
		n *= len(a.Values)
		if n > MaxRuns {
			return nil, fmt.Errorf("the grid has more than %d runs", MaxRuns)
		}
	}
	out := make([]Settings, 0, n)
	idx := make([]int, len(axes))
	for range n {
		s := make(Settings, len(axes))
		for i, a := range axes {
			s[i] = Setting{a.Name, a.Values[idx[i]]}
		}
		out = append(out, s)
		for i := len(axes) - 1; i >= 0; i-- {
			if idx[i]++; idx[i] < len(axes[i].Values) {
				break
			}
			idx[i] = 0
		}
	}
	return out, nil
}

// RunArgs gives the vlec arguments of one run, without its output
// directory: run MODEL, then --set NAME=VALUE for every setting but the
// seed, --seed for the seed, then the sweep's fixed arguments.
func RunArgs(model string, s Settings, fixed []string) []string {
	args := []string{"run", model}
	for _, x := range s {
		if x.Name == SeedName {
			args = append(args, "--seed", x.Value)
		} else {
			args = append(args, "--set", x.Name+"="+x.Value)
		}
	}
	return append(args, fixed...)
}
