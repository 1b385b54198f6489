package runtime

// Precision float32 (schedule.Program.Float32). The interpreter keeps its
// buffers as float64 slices and stores float32 numbers in them: every
// kernel computes in float64 from the values it reads, as it does for
// float64, and the values it wrote are rounded to float32 right after it
// ran; stimuli, targets, initial values and the Init kernels' results are
// rounded as they are stored. The synapse passes are the exception: they
// compute in float32 (kern.Synapse32Wide, kern.Synapse32's arithmetic on
// float32 copies), so their results need no rounding. The generated Go
// code stores float32 and computes the same numbers.

import "github.com/vlec-dev/vlec/ir/schedule"

// PrecisionOf names the number format of prog's values: "float32" or
// "float64".
func PrecisionOf(prog *schedule.Program) string {
	if prog.Float32 {
		return "float32"
	}
	return "float64"
}

// roundFloat32 rounds every value of v to the nearest float32 (ties to
// even; beyond float32's range to an infinity, which the guard reports).
func roundFloat32(v []float64) {
	for i, x := range v {
		v[i] = float64(float32(x))
	}
}

// roundWrites rounds the buffers kernel i of the plan wrote.
func (s *Sim) roundWrites(i int) {
	for _, id := range s.rounds[i] {
		roundFloat32(s.vals[id])
	}
}

// planRounding lists, for each kernel of the plan, the buffers it writes
// (the values to round after it ran); nil for a float64 program.
func (s *Sim) planRounding() {
	if !s.prog.Float32 {
		return
	}
	s.rounds = make([][]int, len(s.plan))
	for i, k := range s.plan {
		if k.Op == schedule.OpSynapse {
			continue // computed in float32 (kern.Synapse32Wide)
		}
		for _, b := range k.Writes() {
			s.rounds[i] = append(s.rounds[i], b.ID)
		}
	}
}

// roundInputs rounds the stimuli and targets of this step as stored.
func (s *Sim) roundInputs() {
	for _, in := range s.inputs {
		roundFloat32(s.vals[in.buf])
	}
	for _, tc := range s.targets {
		roundFloat32(s.vals[tc.dst])
	}
}
