package golang

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/vlec-dev/vlec/internal/kern"
	"github.com/vlec-dev/vlec/ir/schedule"
	"github.com/vlec-dev/vlec/lang"
	"github.com/vlec-dev/vlec/runtime"
)

//go:embed tmpl/*.tmpl
var templates embed.FS

// GoVersion is the go directive of the generated go.mod.
const GoVersion = "1.26"

// Files are the generated files: paths relative to the output directory,
// slash-separated, and their contents.
type Files map[string][]byte

// Paths lists the files in order.
func (f Files) Paths() []string {
	var out []string
	for p := range f {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Generate emits the Go module simulating prog, a step program of
// schedule.Schedule, and its teachers. Constructs the generator does not
// support are refused with a positioned error (lang.ErrorList) naming
// them; nothing is generated that would not compile. Every file is
// gofmt-clean: a file go/format cannot parse is an internal error.
//
// sources are the model sources the checker read (lang.Sources, as
// vlec.Compile returns them; nil leaves them out): the generated command
// writes their hashes, with the generating vlec's build and the model's
// learning settings, into its summary, as vlec run does.
func Generate(prog *schedule.Program, sources lang.Sources) (files Files, err error) {
	defer func() {
		if r := recover(); r != nil {
			files, err = nil, fmt.Errorf("internal error: vlec gen go: %v", r)
		}
	}()
	if err := refuse(prog); err != nil {
		return nil, err
	}
	prog, adj, err := withAdjoint(prog)
	if err != nil {
		return nil, positioned(err)
	}
	p, err := newProgGen(prog, "Model", nil)
	if err != nil {
		return nil, positioned(err)
	}
	if adj != nil {
		p.attachAdjoint(adj)
	}
	if err := p.checkTargets(); err != nil {
		return nil, positioned(err)
	}
	if err := p.planData(); err != nil {
		return nil, positioned(err)
	}
	if err := p.planTask(); err != nil {
		return nil, positioned(err)
	}
	if err := p.emit(); err != nil {
		return nil, positioned(err)
	}
	recs, err := p.emitRecords()
	if err != nil {
		return nil, positioned(err)
	}
	prov, err := provenance(prog, sources)
	if err != nil {
		return nil, err
	}
	return assemble(p, recs, prov)
}

// provenance is the JSON of the summary fields the generator knows: the
// vlec that generated the code, the model file, the learning settings and
// the model sources read, with their hashes.
func provenance(prog *schedule.Program, sources lang.Sources) (tmplProvenance, error) {
	m := prog.Model
	var out tmplProvenance
	for _, f := range []struct {
		dst *string
		v   any
	}{{&out.ModelFile, m.File}, {&out.Vlec, runtime.Build()}, {&out.Learning, runtime.LearningOf(m, false)},
		{&out.Read, runtime.SourceHashes(sources)}} {
		b, err := json.Marshal(f.v)
		if err != nil {
			return out, fmt.Errorf("internal error: vlec gen go: summary fields: %v", err)
		}
		*f.dst = string(b)
	}
	if len(m.Set) > 0 {
		set := make([]string, len(m.Set))
		for i, o := range m.Set {
			set[i] = o.String()
		}
		b, err := json.Marshal(set)
		if err != nil {
			return out, fmt.Errorf("internal error: vlec gen go: summary fields: %v", err)
		}
		out.GeneratedSet = string(b)
	}
	return out, nil
}

// tmplProvenance are JSON values the command's summary holds verbatim;
// GeneratedSet, the --set overrides the code was generated with, is ""
// when there were none.
type tmplProvenance struct {
	ModelFile, Vlec, Learning, Read, GeneratedSet string
}

// refuse rejects the models the generator does not handle yet.
func refuse(prog *schedule.Program) error {
	m := prog.Model
	if prog.Batch < 1 {
		return fmt.Errorf("model %s: batch %d", m.Name, prog.Batch)
	}
	for _, b := range prog.Buffers {
		if b.ID < 0 || b.ID >= len(prog.Buffers) || prog.Buffers[b.ID] != b {
			return fmt.Errorf("internal error: model %s: buffer %s has ID %d out of place", m.Name, b, b.ID)
		}
	}
	return nil
}

// positioned makes a positioned error a lang.ErrorList (which vlec prints
// with a caret); other errors are the generator's own and say so.
func positioned(err error) error {
	var e *lang.Error
	if errors.As(err, &e) {
		return lang.ErrorList{e}
	}
	var l lang.ErrorList
	if errors.As(err, &l) {
		return l
	}
	return fmt.Errorf("internal error: vlec gen go: %v", err)
}

// tmplData are the values the support templates read.
type tmplData struct {
	Source, Package, Module, Model, Method string
	Precision                              string
	Dt                                     string
	Batch, Steps, LearnAfter, TimePlaces   int
	Seed                                   uint64
	HasCost, Adjoint, Task                 bool
	CostExpr                               string
	Records                                string
	Provenance                             tmplProvenance
}

// assemble formats the model file and the support files.
func assemble(p *progGen, recs string, prov tmplProvenance) (Files, error) {
	m := p.prog.Model
	pkg := packageName(m.Name)
	d := tmplData{Source: filepath.Base(m.File), Package: pkg, Module: pkg, Model: m.Name, Method: string(m.Sim.Method), Precision: p.elem(),
		Dt: constant(p.prog.Dt).text(), Batch: p.prog.Batch, Steps: p.prog.Steps, LearnAfter: p.prog.LearnAfter,
		TimePlaces: timePlaces(p.prog.Dt), Seed: m.Sim.Seed, HasCost: p.prog.Cost != nil, Adjoint: p.adj != nil, Task: p.task != nil, CostExpr: "nanValue", Records: recs,
		Provenance: prov}
	if p.prog.Cost != nil {
		d.CostExpr = fmt.Sprintf("sum(%s) / float64(len(%s))", p.f(p.prog.Cost), p.f(p.prog.Cost))
		if p.rows(p.prog.Cost)*p.prog.Cost.Size() == 1 {
			// the same number: 0 + c is sum's, and c / 1 is c (a call
			// and a division less in every step of a tiny model)
			d.CostExpr = fmt.Sprintf("0 + %s", p.ld(p.f(p.prog.Cost)+"[0]"))
		}
		if p.costScaled() {
			d.CostExpr = fmt.Sprintf("%s * (%s)", constant(p.prog.Beta).text(), d.CostExpr)
		}
	}
	files := Files{"go.mod": []byte(fmt.Sprintf("module %s\n\ngo %s\n", pkg, GoVersion))}
	names := []string{"api", "funcs", "record", "main"}
	if d.Adjoint {
		names = append(names, "adjoint")
	}
	for _, name := range names {
		src, err := execTemplate(name, d)
		if err != nil {
			return nil, err
		}
		path := name + ".go"
		if name == "main" {
			path = "cmd/" + pkg + "/main.go"
		}
		files[path] = src
	}
	model, err := modelFile(p, d)
	if err != nil {
		return nil, err
	}
	files["model.go"] = model
	data, err := dataFile(p, d)
	if err != nil {
		return nil, err
	}
	files["data.go"] = data
	if err := addTaskFiles(files, p, d); err != nil {
		return nil, err
	}
	// funcs.go calls kern's activations: every module has the package
	if err := addKern(files); err != nil {
		return nil, err
	}
	for path, src := range files {
		if !strings.HasSuffix(path, ".go") {
			continue
		}
		out, err := format.Source(src)
		if err != nil {
			return nil, fmt.Errorf("internal error: vlec gen go produced %s, which does not parse: %v", path, err)
		}
		files[path] = out
	}
	return files, nil
}

func execTemplate(name string, d tmplData) ([]byte, error) {
	t, err := template.New(name+".go.tmpl").Delims("⟦", "⟧").ParseFS(templates, "tmpl/"+name+".go.tmpl")
	if err != nil {
		return nil, fmt.Errorf("internal error: template %s: %v", name, err)
	}
	var w bytes.Buffer
	if err := t.Execute(&w, d); err != nil {
		return nil, fmt.Errorf("internal error: template %s: %v", name, err)
	}
	return w.Bytes(), nil
}

// modelFile is model.go: the types of the student and its teachers.
func modelFile(p *progGen, d tmplData) ([]byte, error) {
	var body bytes.Buffer
	body.Write(p.w.Bytes())
	for _, data := range p.data {
		body.WriteString(data + "\n")
	}
	var w bytes.Buffer
	fmt.Fprintf(&w, "// Code generated by vlec gen go from %s. DO NOT EDIT.\n\n", d.Source)
	fmt.Fprintf(&w, "// Package %s simulates model %s: its step program (vlec derive --program)\n", d.Package, d.Model)
	fmt.Fprintf(&w, "// as plain loops over flat arrays, one block per kernel, in program order.\n")
	fmt.Fprintf(&w, "// New makes a simulator, Step advances it by dt = %ss, Run runs it with a\n", d.Dt)
	fmt.Fprintf(&w, "// Recorder; cmd/%s is the command that writes vlec run's CSV records.\n", d.Package)
	fmt.Fprintf(&w, "package %s\n\n", d.Package)
	var imports []string
	for _, imp := range []string{"math", "runtime"} {
		if bytes.Contains(body.Bytes(), []byte(imp+".")) {
			imports = append(imports, strconv.Quote(imp))
		}
	}
	if usesKern(body.Bytes()) {
		imports = append(imports, "", strconv.Quote(d.Module+"/kern"))
	}
	if len(imports) > 0 {
		fmt.Fprintf(&w, "import (\n%s\n)\n\n", strings.Join(imports, "\n"))
	}
	w.Write(body.Bytes())
	return w.Bytes(), nil
}

// timePlaces are the decimal places of dt's shortest representation, -1
// when it has none short (runtime's clock).
func timePlaces(dt float64) int {
	s := strconv.FormatFloat(dt, 'e', -1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	e, err := strconv.Atoi(exp)
	if err != nil {
		return -1
	}
	frac := 0
	if _, f, ok := strings.Cut(mant, "."); ok {
		frac = len(f)
	}
	if frac+1 > 12 {
		return -1
	}
	return max(frac-e, 0)
}

// Write writes files into dir, creating it and its subdirectories. Each
// file is written under a temporary name and renamed into place; when a
// write fails, the files written so far are removed.
func Write(dir string, files Files) error {
	var written []string
	for _, path := range files.Paths() {
		full := filepath.Join(dir, filepath.FromSlash(path))
		if err := writeFile(full, files[path]); err != nil {
			for _, w := range written {
				os.Remove(w)
			}
			return err
		}
		written = append(written, full)
	}
	return nil
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// PackageName is the generated package and module name of a model; its
// command is cmd/<PackageName>.
func PackageName(model string) string { return packageName(model) }

// usesKern says whether generated code calls the kern package.
func usesKern(src []byte) bool { return bytes.Contains(src, []byte("kern.")) }

// addKern copies the source of vlec's numeric kernels (internal/kern: the
// fused synapse pass and the GEMM, with their assembly) into the module
// as package kern, so that the module builds offline and without vlec.
func addKern(files Files) error {
	return fs.WalkDir(kern.Source, ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if path == "source.go" || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := fs.ReadFile(kern.Source, path)
		if err != nil {
			return err
		}
		files["kern/"+path] = data
		return nil
	})
}
