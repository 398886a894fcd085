#!/usr/bin/env bash
# Rebuilds every fixture in testdata/go/: builds main.go (stdlib only, Go 1.19),
# runs it with net/http/pprof on 127.0.0.1:<free port>, fetches the six
# profiles with curl while it generates its own load, stops it, then writes
# one `go tool pprof -top` golden per sample type of every profile.
set -euo pipefail
cd "$(dirname "$0")"
PID=
WORK=$(mktemp -d /tmp/kiln-go-XXXXXX)
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

GOPROXY=off GOFLAGS=-mod=mod go build -o "$WORK/loadgen" main.go
"$WORK/loadgen" -listen 127.0.0.1:0 -portfile "$WORK/addr" 2>"$WORK/log" &
PID=$!
for _ in $(seq 50); do [ -s "$WORK/addr" ] && break; sleep 0.1; done
ADDR=$(cat "$WORK/addr")
sleep 3 # warm up: let the heap, mutex and block profiles fill

curl -sSf -o cpu.pb.gz       "http://$ADDR/debug/pprof/profile?seconds=5"
curl -sSf -o heap.pb.gz      "http://$ADDR/debug/pprof/heap"
curl -sSf -o allocs.pb.gz    "http://$ADDR/debug/pprof/allocs"
curl -sSf -o goroutine.pb.gz "http://$ADDR/debug/pprof/goroutine"
curl -sSf -o mutex.pb.gz     "http://$ADDR/debug/pprof/mutex"
curl -sSf -o block.pb.gz     "http://$ADDR/debug/pprof/block"
kill "$PID"; wait "$PID" 2>/dev/null || true

# Goldens. Sample types are read from the profile itself (`-raw` prints a
# "<type>/<unit>" header line). The unit flag keeps values unscaled:
#   nanoseconds -> -unit=ns ; bytes -> -unit=B ; count -> no flag needed.
rm -f ./*.top.txt
for prof in cpu heap allocs goroutine mutex block; do
  f=$prof.pb.gz
  go tool pprof -raw "$f" > "$WORK/raw.txt" 2>/dev/null
  types=$(awk '/^Samples:/{getline; print; exit}' "$WORK/raw.txt")
  for st in $types; do          # e.g. "samples/count cpu/nanoseconds"
    name=${st%%/*}; unit=${st#*/}; unit=${unit%\[dflt\]}   # default type is marked "[dflt]"
    case $unit in
      nanoseconds) uflag=-unit=ns ;;
      bytes)       uflag=-unit=B ;;
      *)           uflag= ;;
    esac
    go tool pprof -top -nodefraction=0 -edgefraction=0 -nodecount=1000000 \
      $uflag -sample_index="$name" "$f" > "$prof.$name.top.txt" 2>/dev/null
  done
done
go version > go-version.txt

# Checks: every golden must show all nodes ("accounting for X ... of X total")
# and must not say "Dropped". The sum is compared with the proto's own sum
# (decoded by verify_totals.py, which also counts samples with no locations).
for t in ./*.top.txt; do
  grep -H 'Dropped' "$t" && echo "WARNING: $t dropped nodes" || true
  awk -v f="$t" '/^Showing nodes accounting for/{a=$5; sub(",","",a); if (a != $(NF-1)) print "NOTE: " f ": shown " a " of total " $(NF-1) " (samples without locations?)"}' "$t"
done
python3 verify_totals.py
ls -l
