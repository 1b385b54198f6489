package nir

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vlec-dev/vlec/internal/npy"
	"github.com/vlec-dev/vlec/lang/check"
	"github.com/vlec-dev/vlec/stdlib"
)

// source writes the .vle model of what analyse found; weight matrices of
// more than MaxLiteral entries go to files (by name).
func (im *importer) source(model string, files map[string][]byte) []byte {
	g := im.g
	var b bytes.Buffer
	if orig := g.MetaString("vlec.model"); orig != "" {
		fmt.Fprintf(&b, "// Imported by vlec import nir from a NIR graph exported from model %s.\n", orig)
	} else {
		fmt.Fprintf(&b, "// Imported by vlec import nir from a NIR graph.\n")
	}
	b.WriteString("// Add a teacher and a loss to the energy to train it with GLE.\n")
	fmt.Fprintf(&b, "model %s\nimport \"std/gle\"\n\n", identifier(model))
	fmt.Fprintf(&b, "sim {\n  dt = %s\n  duration = %s\n}\n\n", num(im.dt), num(im.duration))
	if d := g.MetaString("vlec.decls"); d != "" {
		fmt.Fprintf(&b, "%s\n\n", d)
	}
	for _, ip := range im.inputs {
		stim := g.MetaString("vlec.input." + ip.node + ".stimulus")
		if stim == "" {
			im.notes = append(im.notes, fmt.Sprintf("input %s: the graph does not say what it receives; its stimulus is 0 (replace it)", ip.name))
			fmt.Fprintf(&b, "input %s[%d] = 0 // the stimulus: replace\n", ip.name, ip.n)
			continue
		}
		fmt.Fprintf(&b, "input %s[%d] = %s\n", ip.name, ip.n, stim)
	}
	b.WriteString("\n")
	var fns []string
	for _, p := range im.pops {
		phi := "linear"
		if p.a != 1 || p.c != 0 {
			phi = "phi_" + p.name
			fns = append(fns, fmt.Sprintf("fn %s(v) = %s * v + %s\n", phi, num(p.a), num(p.c)))
		}
		if orig := g.MetaString("vlec.pop." + p.node + ".phi"); orig != "" && orig != "linear" && g.MetaString("vlec.pop."+p.node+".phi_export") != "" {
			im.notes = append(im.notes, fmt.Sprintf("population %s: phi = %s in the exported model; the graph holds its affine replacement, imported as %s", p.name, orig, phi))
		}
		lrn := func(what string) string {
			if slices.Contains(strings.Fields(p.learnable), what) {
				return " learnable"
			}
			return ""
		}
		if p.foreign {
			fmt.Fprintf(&b, "// %s; tau_r = dt: the rate is the membrane of the same step.\n", p.what)
		}
		fmt.Fprintf(&b, "population %s[%d] : gle(\n  tau_m = %s%s,\n  tau_r = %s,\n  b = %s%s,\n",
			p.name, p.n, list(p.tau), lrn("tau_m"), list(p.taur), list(p.bias), lrn("b"))
		if gm := g.MetaFloats("vlec.pop." + p.node + ".gamma"); len(gm) == p.n {
			fmt.Fprintf(&b, "  gamma = %s,\n", list(gm))
		}
		fmt.Fprintf(&b, "  phi = %s,\n)\n", phi)
	}
	if len(fns) > 0 {
		b.WriteString("\n")
		for _, f := range fns {
			b.WriteString(f)
		}
	}
	b.WriteString("\n")
	for _, c := range im.conns {
		im.connect(&b, c, model, files)
	}
	b.WriteString("\nenergy {\n ")
	for i, p := range im.pops {
		if i > 0 {
			b.WriteString(" +")
		}
		fmt.Fprintf(&b, " mismatch(%s)", p.name)
	}
	b.WriteString("\n}\n")
	if len(im.outputs) > 0 {
		rec := make([]string, len(im.outputs))
		for i, o := range im.outputs {
			rec[i] = o + ".r"
		}
		fmt.Fprintf(&b, "\nrecord %s\n", strings.Join(rec, ", "))
	}
	return b.Bytes()
}

// connect writes the connect declaration of c: a fixed pass-through
// (no weight node) that is diagonal as one_to_one, others dense, a
// matrix of more than MaxLiteral entries from a .npy file.
func (im *importer) connect(b *bytes.Buffer, c *impConn, model string, files map[string][]byte) {
	pl := ""
	if c.plastic {
		pl = " plastic"
	}
	if d := c.describe(); d != "" {
		fmt.Fprintf(b, "// %s: %s\n", c.name, d)
	}
	file := identifier(model) + "." + c.name + ".npy"
	if c.weight == "" && c.m.dense == nil && c.rows == c.cols {
		d := c.m.diagonal()
		switch {
		case all(d, d[0]):
			fmt.Fprintf(b, "connect %s -> %s %s : one_to_one = constant(%s)%s\n", c.src, c.dst, c.name, num(d[0]), pl)
		case len(d) > MaxLiteral:
			files[file] = npy.Encode([]int{len(d)}, d)
			fmt.Fprintf(b, "connect %s -> %s %s : one_to_one = file(%q)%s\n", c.src, c.dst, c.name, file, pl)
		default:
			fmt.Fprintf(b, "connect %s -> %s %s : one_to_one = %s%s\n", c.src, c.dst, c.name, list(d), pl)
		}
		return
	}
	w := c.m.matrix()
	if len(w) > MaxLiteral {
		files[file] = npy.Encode([]int{c.rows, c.cols}, w)
		fmt.Fprintf(b, "connect %s -> %s %s = file(%q)%s\n", c.src, c.dst, c.name, file, pl)
		return
	}
	rows := make([]string, c.rows)
	for i := range c.rows {
		rows[i] = list(w[i*c.cols : (i+1)*c.cols])
	}
	fmt.Fprintf(b, "connect %s -> %s %s = [%s]%s\n", c.src, c.dst, c.name, strings.Join(rows, ", "), pl)
}

// num formats x so that it reads back as the same float64.
func num(x float64) string {
	s := strconv.FormatFloat(x, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eInN") {
		s += ".0"
	}
	return s
}

// list formats a vector as a .vle list.
func list(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = num(x)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// stdNames are the names the imported model's `import "std/gle"`
// declares.
var stdNames = func() map[string]bool {
	names := map[string]bool{}
	_, src, err := stdlib.Read("std/gle")
	if err != nil {
		panic(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^(?:fn|neuron|const|param)\s+([A-Za-z_][A-Za-z0-9_]*)`).FindAllSubmatch(src, -1) {
		names[string(m[1])] = true
	}
	return names
}()

// identifier makes a node name a .vle identifier: letters, digits and
// underscores, not starting with a digit, with an underscore appended
// when it would be a keyword, a builtin or a name of std/gle (NIR graphs
// often call their nodes "input" and "output").
func identifier(name string) string {
	id := identifierChars(name)
	if check.Reserved(id) || stdNames[id] {
		id += "_"
	}
	return id
}

func identifierChars(name string) string {
	var b strings.Builder
	for i, r := range name {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			if i == 0 {
				b.WriteString("n")
			}
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	if b.Len() == 0 {
		return "n"
	}
	return b.String()
}
