// A CPU-bound Go program for the CLI's tests: main.burnGoHot takes nearly all of the CPU until
// it is killed (kiln connect attaches to it while it runs). Built by the tests with `go build`.
package main

import (
	"fmt"
	"os"
)

var sink uint64

//go:noinline
func burnGoHot(n uint64) uint64 {
	var s uint64
	for i := uint64(0); i < n; i++ {
		s += (i * i) ^ (s >> 3)
	}
	return s
}

func main() {
	fmt.Fprintln(os.Stdout, "burn-go ready")
	for {
		sink += burnGoHot(5_000_000)
	}
}
