// Package ir is vlec's symbolic tensor-expression engine: the expressions
// an energy is written in, their simplification, and their derivatives.
//
// # Representation
//
// An [Expr] is a per-sample tensor: a scalar, a vector [n] or a row-major
// matrix [m][n] (a weight W is [out][in], so W @ x maps in to out). The
// minibatch is an implicit leading dimension the IR does not model: a
// [Var] says whether it is batched (states, inputs, targets) or shared
// (parameters), and an expression is batched when a batched variable
// occurs in it. Leaves are variables ([Var]) and constants ([Const], a
// tensor whose entries are all equal, usually a scalar); every other
// expression is a [Node]: an [Op] applied to arguments. Elementwise
// operators (Add, Mul, Pow, functions) broadcast scalar operands; the
// linear-algebra operators are W @ x, W^T @ x, outer(a, b), sum, dot,
// sumsq, logsumexp and softmax. Subtraction, negation and division are
// written with Add, Mul and Pow: x - y is x + (-1)*y and x / y is x * y^-1.
// Every expression carries the source position ([lang.Pos]) it was first
// built for.
//
// # Hash-consing
//
// Expressions are immutable and made only by a [Builder], which interns
// them: building a structurally equal expression twice returns the same
// pointer, so == is structural equality, expressions can key maps, and a
// DAG shares its common subexpressions. [Topo] lists the distinct
// subexpressions of some roots in dependency order, ready to be scheduled
// once each. Construction never panics on user input: a shape mismatch is
// recorded as a positioned error ([Builder.Err]) and yields an invalid node
// that later operations pass through.
//
// # Simplification
//
// The constructors simplify as they build, so derived equations read like
// a paper: constants fold, 0 and 1 vanish where they are identities, like
// terms and like factors are collected (x + x = 2*x, x - x = 0, x*x = x^2),
// nested sums and products are flattened with numeric coefficients in
// front, and commutative operands are put in a canonical order that depends
// only on structure. Products are not expanded over sums, so a mismatch
// such as e = u - W @ r stays one shared node wherever it is used.
// [Builder.Subst] rebuilds an expression with variables replaced.
//
// # Differentiation
//
// [Grad] differentiates a scalar with respect to variables in reverse mode:
// one backward sweep over the DAG in reverse dependency order, each node's
// adjoint the (simplified) sum of its users' contributions. The rules for
// the linear-algebra operators are those of backpropagation, e.g. for
// y = W @ x the adjoints are W^T @ adj_y for x and outer(adj_y, x) for W.
// Derivatives stay in the same operator set; the derivatives of tanh and
// sigmoid are kept as tanh'(u) and sigmoid'(u) nodes ([Builder.Deriv]) so
// that the learning rules print as in the literature, and
// [Builder.Expand] writes them out. [Eval] computes values numerically and
// is the reference the gradients are tested against.
package ir
