package check

import "github.com/vlec-dev/vlec/lang"

// Model is a checked model: sizes, shapes and units resolved, names bound,
// user functions expanded. It is what the IR elaborates.
type Model struct {
	Name        string
	File        string // path of the model file
	Sim         Sim
	Params      []*Param
	Inputs      []*Input
	Populations []*Population
	Connections []*Connection
	Teachers    []*Teacher
	Datasets    []*Dataset
	Task        *Task // nil: a run of sim.duration
	Energy      []*Term
	Learn       Learn
	Records     []*Record
	// Set are the overrides the model was loaded with (LoadWith), in
	// the order given.
	Set []Override
	// Warnings are positioned notes about what the file says but has no
	// effect (learn.window without method adjoint); they never stop a
	// run.
	Warnings lang.ErrorList
}

// Method is a credit-assignment method.
type Method string

// The credit-assignment methods.
const (
	LE      Method = "le"      // instantaneous errors (Latent Equilibrium)
	GLE     Method = "gle"     // prospective errors through an error neuron
	Adjoint Method = "adjoint" // exact gradients by a reverse sweep
)

// Sim holds the simulation settings; times are in seconds.
type Sim struct {
	Dt         float64
	Duration   float64
	Steps      int // Duration / Dt, rounded
	Batch      int
	Seed       uint64
	Method     Method
	LearnAfter int    // first step at which learning is on
	Precision  string // "float64" or "float32"
	Pos        lang.Pos
}

// Param is a model-level scalar parameter (`param kappa = 0.1 learnable`).
type Param struct {
	Name      string
	Pos       lang.Pos
	Value     float64
	Learnable bool
}

// Input is an input population driven by a stimulus.
type Input struct {
	Name string
	Pos  lang.Pos
	Size int
	// Stimulus is a scalar expression in t (time, s), i (neuron index) and
	// b (batch index), evaluated per entry; nil when File is set.
	Stimulus Expr
	File     string // absolute path of a CSV or .npy stimulus, or ""
	// Data is the data set whose samples' x the input presents
	// (`input x[1] = digits.x`), or nil.
	Data *Dataset
}

// NeuronParam is a per-neuron parameter of a population, expanded to one
// value per neuron.
type NeuronParam struct {
	Values    []float64
	PerNeuron bool // given as a list rather than one value for all
	Learnable bool
	Pos       lang.Pos
}

// Uniform returns the value every neuron shares, and false when the
// neurons' values differ (a list of equal values is uniform).
func (np NeuronParam) Uniform() (float64, bool) {
	if len(np.Values) == 0 {
		return 0, false
	}
	for _, v := range np.Values[1:] {
		if v != np.Values[0] {
			return 0, false
		}
	}
	return np.Values[0], true
}

// Activation is a population's rate function: a builtin (tanh, sigmoid,
// softplus, relu, linear, exp) or a one-argument user function, whose
// expanded body refers to its argument through a RefArg.
type Activation struct {
	Name string
	Body Expr // nil for builtins
	Pos  lang.Pos
}

// Population is a population of rate neurons.
type Population struct {
	Name  string
	Pos   lang.Pos
	Size  int
	Kind  string
	TauM  NeuronParam
	TauR  NeuronParam
	Bias  NeuronParam
	Gamma NeuronParam // never learnable
	Phi   Activation
}

// Node is the source or target of a connection: a *Population or an
// *Input.
type Node interface {
	NodeName() string
	NodeSize() int
}

// NodeName implements Node.
func (p *Population) NodeName() string { return p.Name }

// NodeSize implements Node.
func (p *Population) NodeSize() int { return p.Size }

// NodeName implements Node.
func (in *Input) NodeName() string { return in.Name }

// NodeSize implements Node.
func (in *Input) NodeSize() int { return in.Size }

// Topology is the connectivity pattern of a connection.
type Topology string

// The connectivity patterns.
const (
	Dense    Topology = "dense"
	OneToOne Topology = "one_to_one"
	Sparse   Topology = "sparse"
)

// InitKind says how a weight matrix is initialised.
type InitKind string

// The weight initialisers.
const (
	InitLiteral  InitKind = "literal"
	InitConstant InitKind = "constant"
	InitUniform  InitKind = "uniform"
	InitNormal   InitKind = "normal"
	InitGlorot   InitKind = "glorot"
	InitFile     InitKind = "file"
)

// Init is a weight initialiser. Literal holds the matrix for InitLiteral
// ([dst][src]); A and B are the constant, the uniform bounds or the
// normal mean and standard deviation.
type Init struct {
	Kind    InitKind
	Literal [][]float64
	A, B    float64
	Seed    uint64
	File    string
	// Array names the array of an .npz File (a checkpoint's "W1"); "" for
	// .csv and .npy files.
	Array string
}

// Connection is a weight matrix from Src to Dst, shaped [Dst][Src].
type Connection struct {
	Name     string
	Pos      lang.Pos
	Src, Dst Node
	Topology Topology
	P        float64 // connection probability of a sparse topology
	MaskSeed uint64  // seed of a sparse topology's mask
	Init     Init
	Plastic  bool
}

// Teacher is a source of targets: another model run alongside on the
// same inputs, or a file.
type Teacher struct {
	Name     string
	Pos      lang.Pos
	Model    *Model            // nil for a file teacher
	Bindings map[string]*Input // the teacher's input name -> our input
	File     string
	Size     int // the value's size for a file or data teacher
	// Data is the data set whose samples' y are the targets (`teacher T =
	// digits.y`), or nil.
	Data *Dataset
}

// Term is one energy term as the user wrote it.
type Term struct {
	Pos    lang.Pos
	Source string // the term's text, for annotating derived equations
	Expr   Expr   // scalar
}

// Learn holds the learning settings.
type Learn struct {
	LR        float64            // default learning rate
	GroupLR   map[string]float64 // per parameter group: "W0", "h.tau_m", "tau_m", "b", ...
	Optimizer string             // "sgd" or "adam"
	Beta1     float64
	Beta2     float64
	Eps       float64
	TauFloor  float64 // time constants are kept at or above this (s)
	// Window is the length in steps of the windows of truncated
	// exact-gradient training (method adjoint): the parameters change at
	// the end of every window. 0: not set.
	Window int
}

// Record is one recording: what, how often, where.
type Record struct {
	Pos   lang.Pos
	Items []*Ref
	// Reduce parallels Items: "" for an item recorded as it is at the
	// row's step, "mean" or "sum" for one reduced over the steps of the
	// interval (`record mean(y.r)`): the mean or the sum of the values a
	// plain record would take at each of the Every steps since the
	// previous row. A record with a reduced item writes its rows at the
	// end of each interval, after steps Every-1, 2*Every-1, ...
	Reduce []string
	Every  int // in steps
	// EverySample says the interval was written `every sample`: Every is
	// the number of steps of one sample of the task's data set.
	EverySample bool
	To          string // output file name, relative to the output directory

	sampleAt lang.Pos // the word sample of `every sample`
}

// Reduced reports whether a record reduces any of its items over its
// interval, and so writes its rows at the end of each interval.
func (r *Record) Reduced() bool {
	for _, op := range r.Reduce {
		if op != "" {
			return true
		}
	}
	return false
}
