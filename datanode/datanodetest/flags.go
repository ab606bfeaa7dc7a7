package datanodetest

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// ParseFlagsOrExit parses the command line with parse, as the demo's and
// the benchmark's mains do: -h exits 0, a bad flag prints parse's error
// and exits 2.
func ParseFlagsOrExit[T any](parse func(args []string, stderr io.Writer) (T, error)) T {
	opts, err := parse(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	return opts
}
