package main

import (
	"github.com/spf13/cobra"

	"github.com/vlec-dev/vlec/runtime"
)

// setVersion gives the root command its --version flag: the module
// version and the commit vlec was built from (see runtime.Build).
func setVersion(root *cobra.Command) {
	root.Version = runtime.Build().String()
	root.SetVersionTemplate("vlec {{.Version}}\n")
}
