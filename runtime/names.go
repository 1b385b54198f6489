package runtime

import (
	"regexp"
	"strings"

	"github.com/vlec-dev/vlec/ir/schedule"
)

// The step program names some buffers for itself: a message sent to the
// next step's errors is "msg:W1^T @ y.e", the copy of a parameter as the
// previous step used it "prev:W1", a temporary "t37". userName turns them
// back into what the user wrote, with a note on the part they play.

var tempName = regexp.MustCompile(`^t[0-9]+$`)

// UserName is how vlec's messages name buffer b of prog: the quantity as
// the user writes it and, for the program's own buffers, a note on the
// part they play (see NonFiniteError). The Go code generator uses it so
// that generated simulators name quantities as the interpreter does.
func UserName(prog *schedule.Program, b *schedule.Buffer) (name, note string) {
	return userName(prog, b)
}

// userName is how a message names buffer b of prog: the quantity as the
// user writes it and, for the program's own buffers, a note such as
// "a term of h.ebar" or "as the previous step used it".
func userName(prog *schedule.Program, b *schedule.Buffer) (name, note string) {
	switch {
	case b == prog.Cost:
		return "cost", "the cost at the start of the step"
	case strings.HasPrefix(b.Name, "msg:"):
		return strings.TrimPrefix(b.Name, "msg:"), termOf(prog, b, "sent to the next step's errors")
	case strings.HasPrefix(b.Name, "prev:"):
		return strings.TrimPrefix(b.Name, "prev:"), "as the previous step used it"
	case tempName.MatchString(b.Name):
		if k := writer(prog, b); k != nil {
			return expandTemps(prog, cleanNames(rhs(k)), 3), termOf(prog, b, "")
		}
	}
	return b.Name, ""
}

var tempRef = regexp.MustCompile(`\bt[0-9]+\b`)

// expandTemps replaces the temporaries an expression reads by their own
// expressions, depth levels deep, in parentheses unless they are a call's
// only argument.
func expandTemps(prog *schedule.Program, s string, depth int) string {
	if depth == 0 {
		return s
	}
	var out strings.Builder
	last := 0
	for _, m := range tempRef.FindAllStringIndex(s, -1) {
		x := s[m[0]:m[1]]
		if k := writer(prog, tempBuffer(prog, x)); k != nil {
			x = expandTemps(prog, cleanNames(rhs(k)), depth-1)
			alone := m[0] > 0 && s[m[0]-1] == '(' && m[1] < len(s) && s[m[1]] == ')'
			if strings.Contains(x, " ") && !alone {
				x = "(" + x + ")"
			}
		}
		out.WriteString(s[last:m[0]])
		out.WriteString(x)
		last = m[1]
	}
	out.WriteString(s[last:])
	return out.String()
}

// tempBuffer is the temporary of prog named name, or nil.
func tempBuffer(prog *schedule.Program, name string) *schedule.Buffer {
	for _, b := range prog.Buffers {
		if b.Name == name && b.Kind == schedule.Temp {
			return b
		}
	}
	return nil
}

// termOf says which named quantity reads b (following temporaries), as
// "a term of h.ebar", or returns otherwise.
func termOf(prog *schedule.Program, b *schedule.Buffer, otherwise string) string {
	for range 64 { // a chain of temporaries is short
		var next *schedule.Buffer
		for _, k := range prog.Kernels {
			if k.Dst != b && reads(k, b) {
				next = k.Dst
				break
			}
		}
		if next == nil {
			return otherwise
		}
		for param, d := range prog.Deltas {
			if d == next {
				return "a term of the change of " + param.Name
			}
		}
		if !tempName.MatchString(next.Name) {
			return "a term of " + next.Name
		}
		b = next
	}
	return otherwise
}

// reads reports whether kernel k reads b.
func reads(k *schedule.Kernel, b *schedule.Buffer) bool {
	for _, a := range k.Args {
		if a == b || (b.Next != nil && a == b.Next) {
			return true
		}
	}
	return false
}

// writer is the first kernel that writes b (nil for a nil b).
func writer(prog *schedule.Program, b *schedule.Buffer) *schedule.Kernel {
	if b == nil {
		return nil
	}
	for _, k := range prog.Kernels {
		if k.Dst == b {
			return k
		}
	}
	return nil
}

// rhs is the right-hand side of a kernel's listing, without its note.
func rhs(k *schedule.Kernel) string {
	s := k.String()
	if i := strings.Index(s, " # "); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	for _, op := range []string{" = ", " += "} {
		if i := strings.Index(s, op); i >= 0 {
			return s[i+len(op):]
		}
	}
	return s
}

// cleanNames drops the program's prefixes and next-step primes from an
// expression of buffer names.
func cleanNames(s string) string {
	s = strings.ReplaceAll(s, "msg:", "")
	s = strings.ReplaceAll(s, "prev:", "")
	return strings.ReplaceAll(s, "'", "")
}
