// A Go HTTP service with net/http/pprof on :6060 for a profile scraper.
package main

import (
	"fmt"
	"log"
	"net/http"
	_ "net/http/pprof"
	"sort"
	"time"
)

func stockLevels(n int) []int {
	levels := make([]int, n)
	for i := range levels {
		levels[i] = (i * 7919) % 1000
	}
	sort.Ints(levels)
	return levels
}

func main() {
	go func() { log.Fatal(http.ListenAndServe(":6060", nil)) }()
	go func() {
		for range time.Tick(50 * time.Millisecond) {
			stockLevels(200_000)
		}
	}()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, len(stockLevels(100_000)))
	})
	log.Fatal(http.ListenAndServe(":8080", mux))
}
