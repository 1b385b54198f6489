// Package schedule turns derived equations into the step program: the
// ordered kernels of one time step of the synchronous forward-Euler scheme.
// The step program is the only thing the interpreter (runtime/) and the
// code generators (codegen/) consume.
//
// # The scheme
//
// Every quantity of step k is computed from the values left by step k-1,
// except the stimulus and the target of step k (a teacher's output at the
// start of step k is its value after its step k-1). State buffers are
// double-buffered: kernels read the previous value and write the next one,
// and the runtime swaps them at the end of the step. One step runs in
// three phases:
//
//  1. Populations, in model order: the instantaneous error ebar, the error
//     e (through the error neuron for gle), the membrane update and the
//     prospective potential uhat_r with the rate functions of it that later
//     steps read (the rate r and phi'(uhat_r)).
//  2. Messages: products W^T e that the next step's errors need, computed
//     now with the weights before this step's update, and copies of the
//     other plastic parameters the errors read ("prev:W1"): the errors of
//     step k read the parameters as step k-1 used them. Only the errors
//     read messages and copies; the membrane input, the cost and the
//     learning rules read the current parameters.
//  3. Learning (when the step is at or after learn_after): every parameter
//     change is computed first, then applied, then time constants are
//     clamped at their floor.
//
// This is the scheme of the GLE reference implementation; see
// shared/golden/README.md.
package schedule

import (
	"fmt"
	"strings"

	"github.com/vlec-dev/vlec/ir"
	"github.com/vlec-dev/vlec/lang/check"
)

// Kind says what a buffer holds.
type Kind int

// The kinds of buffer.
const (
	State  Kind = iota // a double-buffered state; Next is written, the buffer itself is read
	Next               // the next-step half of a state
	Param              // a parameter shared by the batch
	Input              // a stimulus value of the current step
	Target             // a teacher value of the previous step
	Temp               // a value computed and used within a step
	Const              // a named constant of the model (its value is Init)
	Moment             // a persistent state of the optimiser (Adam's moments), zero at the start
)

var kindNames = [...]string{"state", "next", "param", "input", "target", "temp", "const", "moment"}

// String names the kind.
func (k Kind) String() string { return kindNames[k] }

// Buffer is a named array of the program. A batched buffer holds Batch
// copies of Shape, sample-major.
type Buffer struct {
	ID      int
	Name    string
	Kind    Kind
	Shape   ir.Shape
	Batched bool
	Init    []float64 // initial value of a parameter (per sample, not batched); nil: zeros
	Next    *Buffer   // for a State: its next-step half
	// Learnable parameters carry their learning rate and floor (in the
	// free program too, for training by exact gradients).
	Rate  float64
	Floor float64 // values are kept at or above Floor after an update (time constants); 0: none
	// Conn is set on the weight buffer of a connection. When Init is nil
	// the runtime initialises the weights from Conn.Init (random or file
	// initialisers). For a one_to_one or sparse topology the runtime keeps
	// the weights on the connectivity mask: it zeroes the initial weights
	// off the mask and OpApply changes only entries on it.
	Conn *check.Connection
}

// Size is the number of values per sample.
func (b *Buffer) Size() int { return b.Shape.Size() }

// String is the buffer's name with a prime for a next-step half.
func (b *Buffer) String() string {
	if b.Kind == Next {
		return b.Name + "'"
	}
	return b.Name
}

// Op is a kernel operation.
type Op int

// The kernel operations. Per-sample shapes; batched operands loop over the
// batch.
const (
	OpMap       Op = iota // Dst = Code(Args) entrywise, scalars broadcast
	OpMatVec              // Dst = Args[0] @ Args[1]
	OpMatTVec             // Dst = Args[0]^T @ Args[1]
	OpSum                 // Dst (scalar) = sum(Args[0])
	OpSumSq               // Dst (scalar) = sum(Args[0]^2)
	OpDot                 // Dst (scalar) = sum(Args[0] * Args[1])
	OpLogSumExp           // Dst (scalar) = log(sum(exp(Args[0])))
	OpSoftmax             // Dst = softmax(Args[0])
	OpOuterAcc            // Dst += Scale * mean_batch(outer(Args[0], Args[1]))
	OpMeanAcc             // Dst += Scale * mean_batch(Args[0])
	OpZero                // Dst = 0
	OpApply               // Dst += Scale * Args[0] (on Dst's mask), then Dst = max(Dst, Dst.Floor) if Floor > 0
	OpMapAcc              // Dst += Code(Args) evaluated over Space, summed over what Dst lacks (batch, entries)
	OpAdam                // Adam step of Dst along the change Args[0], moments Args[1], Args[2] (see Adam)
	OpSynapse             // one pass over the weights Dst: forward product, message and update (see Synapse; made by Fuse)
)

var opNames = [...]string{"map", "matvec", "matTvec", "sum", "sumsq", "dot", "logsumexp", "softmax", "outer_acc", "mean_acc", "zero", "apply", "map_acc", "adam", "synapse"}

// String names the operation.
func (o Op) String() string { return opNames[o] }

// Phase is the part of the step a kernel belongs to.
type Phase int

// The phases of a step.
const (
	PhasePopulations Phase = iota
	PhaseMessages
	PhaseLearn // run only when learning is on
)

var phaseNames = [...]string{"populations", "messages", "learn"}

// String names the phase.
func (p Phase) String() string { return phaseNames[p] }

// Kernel is one operation of the step.
type Kernel struct {
	Op    Op
	Phase Phase
	Dst   *Buffer
	Args  []*Buffer
	Code  *Code    // OpMap, OpMapAcc
	Space *Buffer  // OpMapAcc: the code runs over this buffer's shape and batch
	Scale float64  // OpOuterAcc, OpMeanAcc, OpApply, OpAdam (the learning rate)
	Adam  *Adam    // OpAdam
	Syn   *Synapse // OpSynapse
	Note  string   // what the kernel computes, for listings
}

// Adam are the settings of an Adam step (Kingma & Ba, arXiv 1412.6980).
// With d the change (the ascent direction -dE/dtheta, batch-averaged), m
// and v the moments and t the number of times the kernel has run (1 the
// first time):
//
//	m = Beta1 m + (1 - Beta1) d,  v = Beta2 v + (1 - Beta2) d^2
//	Dst += Scale * (m / (1 - Beta1^t)) / (sqrt(v / (1 - Beta2^t)) + Eps)
//
// on Dst's mask, then Dst = max(Dst, Dst.Floor) if Floor > 0.
type Adam struct {
	Beta1, Beta2, Eps float64
}

// CodeOp is an operation of an entrywise expression.
type CodeOp int

// The entrywise operations.
const (
	CodeConst CodeOp = iota // Value
	CodeLoad                // Args[Arg] at the current entry (or its scalar)
	CodeAdd                 // sum of Args
	CodeMul                 // product of Args
	CodePow                 // Args[0] ^ Value
	CodeFunc                // Func(Args[0])
	CodeDeriv               // Func'(Args[0])
)

// Code is an entrywise expression evaluated for every entry of a Map
// kernel's destination.
type Code struct {
	Op    CodeOp
	Value float64
	Func  ir.Func
	Arg   int
	Args  []*Code
}

// Program is the step program of a model.
type Program struct {
	Model      *check.Model
	Dt         float64
	Batch      int
	Steps      int
	LearnAfter int
	Buffers    []*Buffer
	Kernels    []*Kernel
	// Init are kernels run once, before the first step, when the
	// parameters have their initial values and every state is zero: they
	// give the messages and the parameter copies the errors of step 0
	// read their values "as left by step -1".
	Init []*Kernel
	// Inputs are the stimulus buffers, filled by the runtime every step.
	Inputs map[*check.Input]*Buffer
	// Targets bind the target buffers to the teacher buffers they copy.
	Targets []*TargetBinding
	// Teachers are the programs of the teacher models, stepped alongside.
	Teachers map[*check.Teacher]*Program
	// Named finds the buffer a recording or a user names: "h.u", "W0",
	// "h.tau_m", "y.r", "h.e".
	Named map[string]*Buffer
	// Cost is a per-sample scalar buffer holding the cost at the start of
	// the step: the energy terms that are not mismatch terms, evaluated on
	// the values left by the previous step and this step's targets. It is
	// nil when the energy has no such term. In a free program (see Free)
	// it holds the objective, the cost divided by the nudging strength
	// (derive.System.Objective).
	Cost *Buffer
	// Energy is a per-sample scalar buffer holding the energy at the start
	// of the step, and EnergyTerms hold its terms in the order of the
	// model (vlec derive's numbering), each mismatch 1/2 |uhat_m - I|^2
	// evaluated as 1/2 |e|^2 with the error of the previous step; both
	// are computed only when the model records the energy (nil
	// otherwise). In a free program the errors are zero.
	Energy      *Buffer
	EnergyTerms []*Buffer
	// Beta is the nudging strength: the constant factor by which the
	// energy weighs the task loss it marks with loss(...), 1 if it marks
	// none (derive.System.Nudging). The cost is Beta times the objective.
	Beta float64
	// Float32 says every buffer holds float32 numbers (sim precision =
	// float32): a kernel reads float32 values, computes in float64 and
	// rounds each value it writes to float32 once, when it stores it (an
	// accumulation over a batch or a matrix is rounded at its end, not
	// term by term), except a synapse pass (OpSynapse), which computes in
	// float32 (kern.Synapse32: float32 fused multiply-adds, its sums
	// rounded term by term in a fixed order of lanes). Stimuli, targets
	// and initial values are rounded as they are stored. Every back end
	// computes these same numbers.
	Float32 bool
	// Learnable are the parameters that learn (plastic weights, learnable
	// biases, time constants and params), in the order of the model's
	// plasticity rules; set in free programs too.
	Learnable []*Buffer
	// Deltas are, for every parameter that learns, the buffer the learn
	// phase accumulates its batch-mean change -dE/dtheta into before it is
	// applied (empty in a free program).
	Deltas map[*Buffer]*Buffer
}

// TargetBinding says that Buffer holds Source, a buffer of a teacher's
// program, as it was at the start of the step.
type TargetBinding struct {
	Buffer  *Buffer
	Teacher *check.Teacher
	Source  *Buffer
}

// String prints the program as a listing, one kernel a line.
func (p *Program) String() string {
	var w strings.Builder
	fmt.Fprintf(&w, "program %s: dt = %gs, batch %d, %d steps, learning from step %d\n", p.Model.Name, p.Dt, p.Batch, p.Steps, p.LearnAfter)
	fmt.Fprintf(&w, "buffers\n")
	for _, b := range p.Buffers {
		if b.Kind == Next {
			continue
		}
		extra := ""
		if b.Rate != 0 {
			extra = fmt.Sprintf(", eta %g", b.Rate)
		}
		if b.Floor != 0 {
			extra += fmt.Sprintf(", floor %g", b.Floor)
		}
		batched := ""
		if b.Batched {
			batched = " x batch"
		}
		fmt.Fprintf(&w, "  %-14s %-6s %s%s%s\n", b.Name, b.Kind, b.Shape, batched, extra)
	}
	if len(p.Init) > 0 {
		fmt.Fprintf(&w, "init (once, before the first step)\n")
		for _, k := range p.Init {
			fmt.Fprintf(&w, "  %s\n", k)
		}
	}
	phase := Phase(-1)
	for _, k := range p.Kernels {
		if k.Phase != phase {
			phase = k.Phase
			fmt.Fprintf(&w, "%s\n", phase)
		}
		fmt.Fprintf(&w, "  %s\n", k)
	}
	return w.String()
}

// String prints a kernel as an assignment.
func (k *Kernel) String() string {
	if k.Op == OpSynapse {
		s := k.formatSynapse()
		if k.Note != "" {
			s = fmt.Sprintf("%-44s # %s", s, k.Note)
		}
		return s
	}
	var rhs string
	args := make([]string, len(k.Args))
	for i, a := range k.Args {
		args[i] = a.String()
	}
	op := "="
	switch k.Op {
	case OpMap:
		rhs = k.Code.format(args)
	case OpMapAcc:
		op, rhs = "+=", "sum over "+k.Space.String()+" of "+k.Code.format(args)
	case OpMatVec:
		rhs = args[0] + " @ " + args[1]
	case OpMatTVec:
		rhs = args[0] + "^T @ " + args[1]
	case OpOuterAcc:
		op, rhs = "+=", fmt.Sprintf("%g * mean_b(outer(%s, %s))", k.Scale, args[0], args[1])
	case OpMeanAcc:
		op, rhs = "+=", fmt.Sprintf("%g * mean_b(%s)", k.Scale, args[0])
	case OpZero:
		rhs = "0"
	case OpAdam:
		op, rhs = "+=", fmt.Sprintf("%g * adam(%s; %s, %s)", k.Scale, args[0], args[1], args[2])
		if k.Dst.Floor > 0 {
			rhs += fmt.Sprintf(", >= %g", k.Dst.Floor)
		}
	case OpApply:
		op, rhs = "+=", fmt.Sprintf("%g * %s", k.Scale, args[0])
		if k.Dst.Floor > 0 {
			rhs += fmt.Sprintf(", >= %g", k.Dst.Floor)
		}
	default:
		rhs = k.Op.String() + "(" + strings.Join(args, ", ") + ")"
	}
	s := fmt.Sprintf("%s %s %s", k.Dst, op, rhs)
	if k.Note != "" {
		s = fmt.Sprintf("%-44s # %s", s, k.Note)
	}
	return s
}

// format prints an entrywise expression with the argument names: sums
// with their minus signs, products with their divisors.
func (c *Code) format(args []string) string {
	switch c.Op {
	case CodeConst:
		return fmt.Sprintf("%g", c.Value)
	case CodeLoad:
		return args[c.Arg]
	case CodeAdd:
		var w strings.Builder
		for i, a := range c.Args {
			neg, rest := a.negated()
			switch {
			case i == 0 && neg:
				w.WriteString("-" + rest.factor(args))
			case i == 0:
				w.WriteString(a.format(args))
			case neg:
				w.WriteString(" - " + rest.factor(args))
			default:
				w.WriteString(" + " + a.format(args))
			}
		}
		return w.String()
	case CodeMul:
		if neg, rest := c.negated(); neg {
			return "-" + rest.factor(args)
		}
		var num, den []string
		for _, a := range c.Args {
			if a.Op == CodePow && a.Value == -1 {
				den = append(den, a.Args[0].factor(args))
				continue
			}
			num = append(num, a.factor(args))
		}
		if len(num) == 0 {
			num = []string{"1"}
		}
		out := strings.Join(num, " * ")
		for _, d := range den {
			out += " / " + d
		}
		return out
	case CodePow:
		if c.Value == -1 {
			return "1 / " + c.Args[0].factor(args)
		}
		return fmt.Sprintf("%s^%g", c.Args[0].factor(args), c.Value)
	case CodeFunc:
		return c.Func.String() + "(" + c.Args[0].format(args) + ")"
	case CodeDeriv:
		return c.Func.String() + "'(" + c.Args[0].format(args) + ")"
	}
	return "?"
}

// factor formats c as an operand of a product: sums in parentheses.
func (c *Code) factor(args []string) string {
	if c.Op == CodeAdd || c.Op == CodeMul && len(c.Args) > 1 {
		return "(" + c.format(args) + ")"
	}
	return c.format(args)
}

// negated splits -1 * x into (true, x).
func (c *Code) negated() (bool, *Code) {
	if c.Op != CodeMul || len(c.Args) < 2 || c.Args[0].Op != CodeConst || c.Args[0].Value != -1 {
		return false, c
	}
	if len(c.Args) == 2 {
		return true, c.Args[1]
	}
	return true, &Code{Op: CodeMul, Args: c.Args[1:]}
}
