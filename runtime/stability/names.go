package stability

import (
	"strings"

	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang/check"
)

// stateInfo says whom a state buffer belongs to.
type stateInfo struct {
	name  string            // the buffer's name
	pop   string            // the population that reads or owns it ("" if none is named)
	conn  *check.Connection // the connection a message crosses
	error bool              // an error state: e, v or a message
}

// describe reads a state buffer's name: "h.u", "h.e", "h.v", "h.uhat_r",
// "h.r" belong to h; a cache such as "tanh'(h.uhat_r)" to the population
// it names; a message "msg:W1^T @ y.e" carries y's error back through W1
// to W1's source population, and counts as an error state, as do e and v.
func describe(m *check.Model, name string) stateInfo {
	if rest, ok := strings.CutPrefix(name, "msg:"); ok {
		info := stateInfo{name: name, error: true}
		if w, _, ok := strings.Cut(rest, "^T"); ok {
			for _, c := range m.Connections {
				if c.Name == strings.TrimSpace(w) {
					info.conn = c
					if p, ok := c.Src.(*check.Population); ok {
						info.pop = p.Name
					}
				}
			}
		}
		if info.pop == "" {
			info.pop = namedPopulation(m, rest)
		}
		return info
	}
	info := stateInfo{name: name, pop: namedPopulation(m, name)}
	if info.pop != "" && (name == info.pop+".e" || name == info.pop+".v") {
		info.error = true
	}
	return info
}

// namedPopulation is the population whose name first appears in s as
// "NAME." after a non-identifier character (or at the start); the longest
// name wins at the same position.
func namedPopulation(m *check.Model, s string) string {
	best, at := "", len(s)+1
	for _, p := range m.Populations {
		for i := 0; i+len(p.Name) < len(s); {
			j := strings.Index(s[i:], p.Name+".")
			if j < 0 {
				break
			}
			j += i
			if j == 0 || !isIdent(s[j-1]) {
				if j < at || j == at && len(p.Name) > len(best) {
					best, at = p.Name, j
				}
				break
			}
			i = j + 1
		}
	}
	return best
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// errorNexts are the next halves of the error states of prog.
func errorNexts(prog *schedule.Program) map[*schedule.Buffer]bool {
	out := map[*schedule.Buffer]bool{}
	for _, b := range prog.Buffers {
		if b.Kind == schedule.State && b.Next != nil && describe(prog.Model, b.Name).error {
			out[b.Next] = true
		}
	}
	return out
}

// population finds a population of the model by name.
func population(m *check.Model, name string) *check.Population {
	for _, p := range m.Populations {
		if p.Name == name {
			return p
		}
	}
	return nil
}
