// Command frontdoor is the Headway account-access support console: run
// with no arguments for the console in this terminal, or see
// `frontdoor help` for serve, import, export, diagnose and the rest.
package main

import (
	"os"

	"frontdoor/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
