// A tiny Go service for Kiln's scrape tests: it serves net/http/pprof on 127.0.0.1 and burns
// CPU in a function with a recognizable name, so a scraped CPU profile must show it.
// Built by packages/server/src/scrape/test-helpers/go-pprof-server.ts (GO111MODULE=off).
// It prints "listening <port>" once it accepts connections.
package main

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"sync"
	"time"
)

var sink float64

//go:noinline
func kilnScrapeHotLoop(n int) float64 {
	x := 0.0
	for i := 0; i < n; i++ {
		x += float64(i%7) * 1.0001
	}
	return x
}

var leak [][]byte

//go:noinline
func kilnScrapeAllocate() {
	leak = append(leak, make([]byte, 64<<10))
	if len(leak) > 64 {
		leak = leak[1:]
	}
}

func main() {
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() {
		for {
			sink += kilnScrapeHotLoop(2_000_000)
		}
	}()
	go func() {
		var mu sync.Mutex
		for {
			kilnScrapeAllocate()
			mu.Lock()
			time.Sleep(time.Millisecond)
			mu.Unlock()
		}
	}()
	fmt.Printf("listening %d\n", ln.Addr().(*net.TCPAddr).Port)
	if err := http.Serve(ln, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
