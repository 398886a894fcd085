// treebody writes and reads Pyroscope trie/tree ingest bodies with Pyroscope's own v0.x code
// (grafana/pyroscope@706328a0, the last v0.x server and agent): made for Kiln's testdata.
//
//	treebody trie      < folded > body   transporttrie.Trie.Insert(stack, v, merge=true); Trie.Bytes() (what the v0.x agent uploads)
//	treebody tree      < folded > body   tree.Tree.Insert(stack, v); SerializeTruncateNoDict(-1)
//	treebody read-trie < body > folded   transporttrie.IterateRaw (what the server's ingest does)
//	treebody read-tree < body > folded   tree.DeserializeNoDict + Iterate, name[2:], val != 0 (convert.ParseTreeNoDict)
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"

	"github.com/pyroscope-io/pyroscope/pkg/storage/tree"
	"github.com/pyroscope-io/pyroscope/pkg/structs/transporttrie"
)

func readFolded(r io.Reader, cb func(k []byte, v uint64)) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 1<<20), 1<<26)
	for s.Scan() {
		line := s.Bytes()
		i := bytes.LastIndexByte(line, ' ')
		if i == -1 {
			continue
		}
		v, err := strconv.Atoi(string(line[i+1:]))
		if err != nil {
			panic(err)
		}
		k := make([]byte, i)
		copy(k, line[:i])
		cb(k, uint64(v))
	}
}

func printSorted(m map[string]uint64) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	w := bufio.NewWriter(os.Stdout)
	for _, k := range keys {
		fmt.Fprintf(w, "%s %d\n", k, m[k])
	}
	w.Flush()
}

func main() {
	switch os.Args[1] {
	case "trie":
		t := transporttrie.New()
		readFolded(os.Stdin, func(k []byte, v uint64) { t.Insert(k, v, true) })
		os.Stdout.Write(t.Bytes())
	case "tree":
		t := tree.New()
		readFolded(os.Stdin, func(k []byte, v uint64) { t.Insert(k, v) })
		if err := t.SerializeTruncateNoDict(-1, os.Stdout); err != nil {
			panic(err)
		}
	case "read-trie":
		m := map[string]uint64{}
		err := transporttrie.IterateRaw(os.Stdin, make([]byte, 0, 256), func(k []byte, v int) { m[string(k)] += uint64(v) })
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		printSorted(m)
	case "read-tree":
		t, err := tree.DeserializeNoDict(os.Stdin)
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		m := map[string]uint64{}
		t.Iterate(func(name []byte, val uint64) {
			if len(name) > 2 && val != 0 {
				m[string(name[2:])] += val
			}
		})
		printSorted(m)
	}
}
