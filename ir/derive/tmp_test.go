package derive_test

import (
	"testing"

	"github.com/vlec-dev/vlec/ir/derive"
	"github.com/vlec-dev/vlec/lang/check"
)

func TestTmp(t *testing.T) {
	for _, p := range []string{"../../examples/chain2.vle", "../../examples/mlp.vle"} {
		m, src, err := check.Load(p)
		if err != nil {
			t.Fatal(src.Format(err))
		}
		sys, err := derive.Derive(m)
		if err != nil {
			t.Fatal(src.Format(err))
		}
		t.Log("\n" + sys.String())
	}
}
