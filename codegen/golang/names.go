package golang

import (
	"fmt"
	"go/token"
	"regexp"
	"strings"
	"unicode"

	"github.com/vlec-dev/vlec/ir/schedule"
)

// Go names of the buffers of a program. A buffer the user can name (h.u,
// W0, h.tau_m, T.y.r, cost) becomes an exported field: each dotted part
// with an upper-case first letter, joined by underscores (H_U, W0,
// H_Tau_m, T_Y_R, Cost). The program's own buffers (temporaries t41,
// messages msg:W1^T @ y.e, rate caches sigmoid(h.uhat_r)) and the next
// halves of the states are unexported.

var (
	plainName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$`)
	tempName  = regexp.MustCompile(`^t[0-9]+$`)
	nonIdent  = regexp.MustCompile(`[^A-Za-z0-9]+`)
)

// reserved are the names of the generated methods and fields of a model
// type, which a buffer's field must not take.
var reserved = map[string]bool{
	"Step": true, "Run": true, "K": true, "Time": true, "Steps": true, "HasCost": true, "MeanCost": true,
	"Batch": true, "Seed": true,
	"k": true, "steps": true, "seed": true, "noGuard": true, "fillInputs": true, "copyTargets": true,
	"kernels": true, "initKernels": true, "swap": true, "check": true, "step": true, "setup": true,
	"initParams": true, "apply": true, "scratch": true,
	// a task's (task.go)
	"Epoch": true, "RunTask": true, "TaskState": true, "TaskDone": true, "TaskSummary": true, "Learning": true,
	"Evaluate": true, "SaveCheckpoint": true, "SaveParams": true, "Resume": true, "LoadParams": true,
	"feed": true, "learnOff": true, "lrScale": true, "task": true, "reset": true, "present": true, "accumulate": true,
	"taskValues": true, "checkpointState": true, "checkpointParams": true, "storeTemps": true, "kernelsStoring": true,
}

// namer gives every buffer of one program a unique field name.
type namer struct {
	used map[string]bool
}

func newNamer() *namer { return &namer{used: map[string]bool{}} }

// field is the field name of buffer b.
func (n *namer) field(b *schedule.Buffer) string {
	if b.Kind == schedule.Next {
		return n.unique("next" + upperFirst(n.base(b)))
	}
	return n.unique(n.base(b))
}

// base is the name of b before it is made unique.
func (n *namer) base(b *schedule.Buffer) string {
	if exp, ok := exportedName(b.Name); ok {
		return exp
	}
	s := strings.Trim(nonIdent.ReplaceAllString(b.Name, "_"), "_")
	if s == "" || !unicode.IsLower(rune(s[0])) {
		s = "b" + s
	}
	return s
}

func (n *namer) unique(base string) string {
	s := base
	for i := 2; n.used[s] || reserved[s] || token.IsKeyword(s); i++ {
		s = fmt.Sprintf("%s_%d", base, i)
	}
	n.used[s] = true
	return s
}

// exportedName is the exported Go name of a quantity the user names, or
// false for the program's own buffers.
func exportedName(name string) (string, bool) {
	base := strings.TrimSuffix(name, "'")
	if !plainName.MatchString(base) || tempName.MatchString(base) || base != name {
		return "", false
	}
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = upperFirst(p)
	}
	return strings.Join(parts, "_"), true
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// packageName is the Go package (and module) name of a model: its name,
// lower-cased, with anything but letters and digits dropped.
func packageName(model string) string {
	s := strings.ToLower(nonIdent.ReplaceAllString(model, ""))
	if s == "" || !unicode.IsLetter(rune(s[0])) {
		s = "model" + s
	}
	if token.IsKeyword(s) || s == "main" {
		s += "model"
	}
	return s
}
