// Package kern holds the numeric kernels shared by vlec's interpreter
// (runtime) and the Go simulators it generates (codegen/golang): a
// blocked matrix product (Gemm) and the fused synapse pass (Synapse). It
// imports the standard library only and nothing else of vlec, so that
// codegen can copy its source (Source) into a generated module, where it
// builds offline.
//
// # Kernels
//
// Gemm computes C = beta C + alpha A B with A and B read through strides
// (View: RowMajor, ColMajor), so that W x over a batch, W^T e and
// batch-summed outer products need no transposed copies. It is blocked
// GotoBLAS-style: panels of A and B packed into per-worker scratch
// (allocated once by Workers.Reserve), an 8 x 8 micro-kernel with its 64
// sums in registers, large products split by columns over a fixed pool of
// goroutines (Workers).
//
// Synapse makes one pass over a row-major weight matrix W and computes
// any subset of y = W x, g = W^T e and W += alpha a c^T, all from the W
// of before the update, reading every weight once. Under vlec's
// synchronous scheme a connection's forward product, its transposed error
// product and its plasticity all read the previous step's W, so one pass
// replaces three (the matrix is the traffic: 16 bytes moved per weight
// instead of 32 for three separate loops). It returns the sum of W after
// the pass, accumulated from the values it holds anyway (one vector
// addition per vector of weights), so that a NaN or Inf guard needs no
// pass of its own over the weights: the sum is NaN or infinite when a
// weight is, and finite when every weight is, unless finite weights
// overflow it (a caller finding it non-finite scans W to tell).
//
// Tanh, Sigmoid and Exp apply an activation entrywise, eight values per
// instruction with AVX-512 (an exponential to about 59 bits from a
// minimax polynomial, tanh and the sigmoid as quotients rounded once at
// the end, within 0.54 ulp); TanhScalar, SigmoidScalar and ExpScalar
// compute one value (TanhScalar and SigmoidScalar in scalar FMA assembly
// where the CPU has AVX and FMA). Unlike the other kernels they give the
// same bits on every path and CPU: their Go code performs the assembly's
// IEEE operations in the same order, so the interpreter and generated
// code agree exactly on activations whichever path each runs. Sum adds
// a slice for the guards (eight lanes at a time on AVX-512; its order is
// unspecified).
//
// # Selection by CPU
//
// At package initialisation, CPUID and XGETBV tell which instructions the
// CPU runs and the operating system saves registers for. On amd64:
//
//   - Gemm's micro-kernel is AVX-512 assembly (one 8 x 8 tile in Z0-Z7)
//     where AVX-512F is usable, else AVX2/FMA assembly (two 4 x 8 tiles),
//     else Go.
//   - Synapse runs AVX-512 assembly where AVX-512F is usable, else
//     AVX2/FMA assembly, else Go (per instruction set eight functions,
//     one per subset of its parts, generated from one template by
//     TestSynapseAsm). SynapseKernel names the choice.
//
// Other architectures run the Go code.
//
// # Numerics
//
// The paths give the same results to rounding, not bit for bit: the
// assembly fuses each multiply with its addition (one rounding instead
// of two) and sums in another order. Each path is deterministic (the
// same inputs give the same bits, run after run and whatever the number
// of workers, which split a product by columns, never a sum). Synapse
// documents the exact order of each path, for its products and its sum
// of W; its Go path never fuses, also on architectures where the Go
// compiler would. Callers comparing the interpreter with generated code
// should allow a few ulps of the sum of the terms' magnitudes (the tests
// use 1e-13 relative to it for sums of up to 67 terms, and 1e-12 for
// Synapse's sum of W, of up to 4,489 weights).
package kern
