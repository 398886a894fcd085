// Command kiln-loadgen is a stdlib-only Go 1.19 program that generates its own
// CPU, allocation, mutex-contention and channel-blocking load with real call
// depth, so that its net/http/pprof profiles make realistic test fixtures.
//
//	go run main.go -listen 127.0.0.1:0      # serve /debug/pprof/ on a free port
//	go run main.go -duration 3s             # no HTTP server (used under perf)
package main

import (
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ---------------------------------------------------------------- expressions

type node struct {
	op   byte // 'k' constant, 'n' negate, + - * /
	val  float64
	l, r *node
}

type parser struct {
	s string
	i int
}

// peek, skipSpace and isDigit are small enough that the compiler inlines them,
// so their lines show up as inlined frames inside parse* locations.
func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) skipSpace() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' || c == '.' }

func (p *parser) parseExpr() *node {
	n := p.parseTerm()
	for {
		p.skipSpace()
		c := p.peek()
		if c != '+' && c != '-' {
			return n
		}
		p.i++
		n = &node{op: c, l: n, r: p.parseTerm()}
	}
}

func (p *parser) parseTerm() *node {
	n := p.parseUnary()
	for {
		p.skipSpace()
		c := p.peek()
		if c != '*' && c != '/' {
			return n
		}
		p.i++
		n = &node{op: c, l: n, r: p.parseUnary()}
	}
}

func (p *parser) parseUnary() *node {
	p.skipSpace()
	if p.peek() == '-' {
		p.i++
		return &node{op: 'n', l: p.parseUnary()}
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() *node {
	p.skipSpace()
	if p.peek() == '(' {
		p.i++
		n := p.parseExpr()
		p.skipSpace()
		p.i++ // ')'
		return n
	}
	start := p.i
	for p.i < len(p.s) && isDigit(p.s[p.i]) {
		p.i++
	}
	v, _ := strconv.ParseFloat(p.s[start:p.i], 64)
	return &node{op: 'k', val: v}
}

func eval(n *node) float64 {
	switch n.op {
	case 'k':
		return n.val
	case 'n':
		return -eval(n.l)
	case '+':
		return eval(n.l) + eval(n.r)
	case '-':
		return eval(n.l) - eval(n.r)
	case '*':
		return eval(n.l) * eval(n.r)
	default:
		d := eval(n.r)
		if d == 0 {
			return 0
		}
		return eval(n.l) / d
	}
}

func genExpr(b *strings.Builder, r *rand.Rand, depth int) {
	if depth == 0 || r.Intn(5) == 0 {
		b.WriteString(strconv.Itoa(r.Intn(100) + 1))
		return
	}
	if r.Intn(6) == 0 {
		b.WriteString("-")
	}
	b.WriteString("(")
	genExpr(b, r, depth-1)
	b.WriteString(" " + string("+-*/"[r.Intn(4)]) + " ")
	genExpr(b, r, depth-1)
	b.WriteString(")")
}

//go:noinline
func exprTask(r *rand.Rand) float64 {
	var b strings.Builder
	genExpr(&b, r, 7)
	src := b.String()
	total := 0.0
	for i := 0; i < 20; i++ {
		p := &parser{s: src}
		total += eval(p.parseExpr())
	}
	return total
}

// ----------------------------------------------------------------------- JSON

type tree struct {
	Name     string            `json:"name"`
	Tags     map[string]string `json:"tags,omitempty"`
	Weights  []float64         `json:"weights"`
	Children []*tree           `json:"children,omitempty"`
}

func buildTree(r *rand.Rand, depth int) *tree {
	t := &tree{Name: "n" + strconv.Itoa(r.Intn(1000)), Tags: map[string]string{"k": "v" + strconv.Itoa(depth)}}
	for i := 0; i < 4; i++ {
		t.Weights = append(t.Weights, r.Float64())
	}
	if depth > 0 {
		for i := 0; i < 3; i++ {
			t.Children = append(t.Children, buildTree(r, depth-1))
		}
	}
	return t
}

//go:noinline
func jsonTask(r *rand.Rand) int {
	t := buildTree(r, 4)
	buf, err := json.Marshal(t)
	if err != nil {
		panic(err)
	}
	var back tree
	if err := json.Unmarshal(buf, &back); err != nil {
		panic(err)
	}
	remember(buf)
	return len(buf) + len(back.Children)
}

// --------------------------------------------------------------------- sha256

//go:noinline
func hashTask(buf []byte) byte {
	var acc byte
	for off := 0; off+4096 <= len(buf); off += 4096 {
		h := sha256.Sum256(buf[off : off+4096])
		acc ^= h[0]
		buf[off] = h[1]
	}
	return acc
}

// ----------------------------------------------------------------------- sort

type rec struct {
	ID    int
	Name  string
	Score float64
}

func byScoreThenName(a, b *rec) bool { // inlined into the sort.Slice closure
	if a.Score != b.Score {
		return a.Score < b.Score
	}
	return a.Name < b.Name
}

//go:noinline
func sortTask(r *rand.Rand) int {
	rs := make([]rec, 3000)
	for i := range rs {
		rs[i] = rec{ID: i, Name: "r" + strconv.Itoa(r.Intn(500)), Score: float64(r.Intn(200))}
	}
	sort.Slice(rs, func(i, j int) bool { return byScoreThenName(&rs[i], &rs[j]) })
	return rs[0].ID
}

// --------------------------------------------------------------------- regexp

var (
	reLine  = regexp.MustCompile(`^(\d{4})-(\d\d)-(\d\d)T[\d:.]+Z (INFO|WARN|ERROR) \[([a-z]+)\] (.*)$`)
	reEmail = regexp.MustCompile(`[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}`)
)

//go:noinline
func regexpTask(r *rand.Rand) int {
	levels := []string{"INFO", "WARN", "ERROR"}
	hits := 0
	for i := 0; i < 200; i++ {
		line := fmt.Sprintf("2024-03-%02dT10:11:12.%03dZ %s [svc%c] user%d@example.org did thing %d",
			1+r.Intn(28), r.Intn(1000), levels[r.Intn(3)], 'a'+rune(r.Intn(5)), r.Intn(100), i)
		if m := reLine.FindStringSubmatch(line); m != nil {
			hits += len(m)
		}
		if reEmail.MatchString(line) {
			hits++
		}
	}
	return hits
}

// ------------------------------------------------------------------ map churn

//go:noinline
func mapTask(r *rand.Rand) int {
	m := make(map[string]*rec)
	for i := 0; i < 5000; i++ {
		k := "key-" + strconv.Itoa(r.Intn(2000))
		if old, ok := m[k]; ok && r.Intn(3) == 0 {
			delete(m, k)
			_ = old
		} else {
			m[k] = &rec{ID: i, Name: k}
		}
	}
	return len(m)
}

// ------------------------------------------------- shared state (mutex/heap)

var (
	cacheMu sync.Mutex
	cache   [][]byte // retained so the heap profile has in-use memory
	stats   = map[string]int{}
)

func remember(b []byte) {
	cp := append([]byte(nil), b...)
	cacheMu.Lock()
	cache = append(cache, cp)
	if len(cache) > 400 {
		cache = cache[len(cache)-300:]
	}
	cacheMu.Unlock()
}

// recordStat holds cacheMu while doing a little work, so workers contend.
//
//go:noinline
func recordStat(name string, v int) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	var s [32]byte
	for i := 0; i < 50; i++ {
		s = sha256.Sum256(s[:])
	}
	stats[name] += v + int(s[0]&1)
}

// ------------------------------------------------- worker pipeline (channels)

type job struct {
	id   int
	kind int
}

type result struct {
	id   int
	kind string
	v    int
}

// The call chain below adds frames on purpose: worker -> serve -> dispatch ->
// runStage -> runTask -> xxxTask -> library code.

//go:noinline
func runTask(r *rand.Rand, j job, buf []byte) result {
	switch j.kind % 6 {
	case 0:
		return result{j.id, "expr", int(exprTask(r))}
	case 1:
		return result{j.id, "json", jsonTask(r)}
	case 2:
		return result{j.id, "sha256", int(hashTask(buf))}
	case 3:
		return result{j.id, "sort", sortTask(r)}
	case 4:
		return result{j.id, "regexp", regexpTask(r)}
	default:
		return result{j.id, "map", mapTask(r)}
	}
}

//go:noinline
func runStage(r *rand.Rand, j job, buf []byte) result {
	res := runTask(r, j, buf)
	recordStat(res.kind, res.v)
	return res
}

//go:noinline
func dispatch(r *rand.Rand, j job, buf []byte) result { return runStage(r, j, buf) }

//go:noinline
func serve(r *rand.Rand, jobs <-chan job, out chan<- result) {
	buf := make([]byte, 64*1024)
	for j := range jobs {
		out <- dispatch(r, j, buf)
	}
}

func worker(id int, jobs <-chan job, out chan<- result, wg *sync.WaitGroup) {
	defer wg.Done()
	serve(rand.New(rand.NewSource(int64(id))), jobs, out)
}

func produce(jobs chan<- job, stop <-chan struct{}) {
	defer close(jobs)
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case jobs <- job{id: i, kind: i}:
		}
	}
}

// collect is deliberately slow, so workers block sending results.
func collect(out <-chan result, done chan<- int) {
	n := 0
	for range out {
		n++
		if n%8 == 0 {
			time.Sleep(200 * time.Microsecond)
		}
	}
	done <- n
}

// idlers just sit in the goroutine profile in different states.
func idlers() {
	never := make(chan int)
	var idleMu sync.Mutex
	idleMu.Lock()
	for i := 0; i < 3; i++ {
		go func() { <-never }()
	}
	go func() { idleMu.Lock() }()
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		for range t.C {
		}
	}()
}

func main() {
	listen := flag.String("listen", "", "serve net/http/pprof on this address (e.g. 127.0.0.1:0); empty = no server")
	portFile := flag.String("portfile", "", "write the bound address here")
	duration := flag.Duration("duration", 0, "stop after this long (0 = run until killed)")
	workers := flag.Int("workers", 3, "worker goroutines")
	flag.Parse()

	runtime.SetMutexProfileFraction(1) // every contention event
	runtime.SetBlockProfileRate(1)     // every blocking event (rate in ns)

	if *listen != "" {
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			log.Fatal(err)
		}
		addr := ln.Addr().String()
		log.Printf("listening %s", addr)
		if *portFile != "" {
			os.WriteFile(*portFile, []byte(addr), 0o644)
		}
		go http.Serve(ln, nil)
	}

	idlers()
	jobs := make(chan job)
	out := make(chan result)
	stop := make(chan struct{})
	done := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < *workers; i++ {
		wg.Add(1)
		go worker(i, jobs, out, &wg)
	}
	go produce(jobs, stop)
	go collect(out, done)

	if *duration > 0 {
		time.Sleep(*duration)
		close(stop)
		wg.Wait()
		close(out)
		fmt.Println("jobs:", <-done)
		return
	}
	select {}
}
