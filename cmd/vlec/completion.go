package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// completionScripts writes the completion script of each shell vlec knows.
var completionScripts = map[string]func(root *cobra.Command, w io.Writer) error{
	"bash":       func(root *cobra.Command, w io.Writer) error { return root.GenBashCompletionV2(w, true) },
	"zsh":        func(root *cobra.Command, w io.Writer) error { return root.GenZshCompletion(w) },
	"fish":       func(root *cobra.Command, w io.Writer) error { return root.GenFishCompletion(w, true) },
	"powershell": func(root *cobra.Command, w io.Writer) error { return root.GenPowerShellCompletionWithDesc(w) },
}

// completionShells lists the shells in the order the help names them.
var completionShells = []string{"bash", "zsh", "fish", "powershell"}

// newCompletionCmd replaces cobra's default completion command, which
// prints its help and exits 0 for a shell it does not know: this one
// refuses it (exit 1) and names the shells it knows.
func newCompletionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "completion SHELL",
		Short: "Print the shell completion script for bash, zsh, fish or powershell",
		Long: `completion prints the script that makes a shell complete vlec's commands,
flags and files. Load it with

  bash:        source <(vlec completion bash)
  zsh:         vlec completion zsh > "${fpath[1]}/_vlec"
  fish:        vlec completion fish | source
  powershell:  vlec completion powershell | Out-String | Invoke-Expression

Any other shell is an error (exit 1).`,
		Example:   "  vlec completion bash > /etc/bash_completion.d/vlec",
		ValidArgs: completionShells,
		Args:      cobra.ArbitraryArgs, // RunE names the shells
		RunE: func(cmd *cobra.Command, args []string) error {
			shells := strings.Join(completionShells, ", ")
			if len(args) != 1 {
				return fmt.Errorf("completion takes one shell: %s", shells)
			}
			write, ok := completionScripts[args[0]]
			if !ok {
				return fmt.Errorf("no completion for shell %q; the shells are %s", args[0], shells)
			}
			return write(cmd.Root(), cmd.OutOrStdout())
		},
	}
}
