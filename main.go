// Command frontdoor is the Headway account-access support console: run
// with no arguments for the console in this terminal, or see
// `frontdoor help` for serve, import, export, diagnose and the rest.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"frontdoor/cli"
)

func main() {
	// FRONTDOOR_CPUPROFILE=FILE: a CPU profile of the whole run, process
	// start to exit, for timing commands as the operator runs them
	// (BENCHMARKS.md); a benchmark's -cpuprofile sees only its loop
	if path := os.Getenv("FRONTDOOR_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "FRONTDOOR_CPUPROFILE: %v\n", err)
			os.Exit(2)
		}
		code := cli.Run(os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(code)
	}
	os.Exit(cli.Run(os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
