package kern

import "embed"

// Source holds this package's own source files (not its tests), so that
// code generators can copy the package verbatim into a generated Go
// module as package kern: it uses the standard library only. source.go
// itself may be left out of such a copy; no other file refers to Source.
// TestSource checks that the list is complete and that the copy builds.
//
//go:embed act.go act_amd64.go act_amd64.s act_other.go act_table.go convert_amd64.s doc.go gemm.go gemm_amd64.go gemm_amd64.s gemm_other.go gemmwide_amd64.s source.go
//go:embed synapse.go synapse32.go synapse_amd64.go synapse_amd64.s synapse_gen_amd64.go synapse_other.go
//go:embed sum.go sum_amd64.go sum_amd64.s sum_other.go
//go:embed sin.go sin_amd64.go sin_amd64.s sin_other.go
var Source embed.FS
