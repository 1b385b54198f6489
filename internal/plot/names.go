package plot

import "github.com/vlec-dev/vlec/lang/check"

// NamesOf lists a checked model's inputs, connections, params, teachers
// and energy terms, for Options.Names.
func NamesOf(m *check.Model) Names {
	var n Names
	for _, in := range m.Inputs {
		n.Inputs = append(n.Inputs, in.Name)
	}
	for _, c := range m.Connections {
		n.Weights = append(n.Weights, c.Name)
	}
	for _, p := range m.Params {
		n.Params = append(n.Params, p.Name)
	}
	for _, t := range m.Teachers {
		n.Teachers = append(n.Teachers, t.Name)
	}
	for _, t := range m.Energy {
		n.Terms = append(n.Terms, t.Source)
	}
	return n
}
