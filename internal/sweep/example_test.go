package sweep_test

import (
	"fmt"

	"github.com/vlec-dev/vlec/internal/sweep"
)

// A grid of two learning rates and two methods over two seeds: eight
// runs, each with its directory and its vlec arguments.
func ExampleExpand() {
	lr, _ := sweep.ParseAxis("lr=0.01,0.1")
	method, _ := sweep.ParseAxis("method=le,gle")
	seeds, _ := sweep.ParseSeeds("2")
	runs, _ := sweep.Expand([]sweep.Axis{lr, method, seeds})
	for _, s := range runs[:3] {
		fmt.Println(sweep.DirName(s))
	}
	fmt.Println(len(runs), "runs; the third runs vlec", sweep.RunArgs("/m/chain2.vle", runs[2], nil))
	// Output:
	// lr=0.01_method=le_seed=0
	// lr=0.01_method=le_seed=1
	// lr=0.01_method=gle_seed=0
	// 8 runs; the third runs vlec [run /m/chain2.vle --set lr=0.01 --set method=gle --seed 0]
}
