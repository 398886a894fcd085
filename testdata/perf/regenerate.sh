#!/usr/bin/env bash
# Rebuilds testdata/perf/{c,go,node}/: builds each program in a scratch dir
# under /tmp, records it with `perf record -e cpu-clock -F 199 -g` (as root;
# no -a: only the program and its threads/children), then runs `perf script`.
# Needs: gcc, golang-go (1.19), linux-perf, node 20.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
W=/tmp/kiln-perf
rm -rf "$W"; mkdir -p "$W/c" "$W/go" "$W/node"
REC="perf record -e cpu-clock -F 199 -g"

# ---- C: main thread + 2 pthreads + forked child; stripped .so; JIT-like page
cd "$W/c"
gcc -O1 -fno-omit-frame-pointer -g -fPIC -shared -fvisibility=hidden -o libhelper.so "$HERE/c/helper.c"
strip --strip-all libhelper.so
gcc -O1 -fno-omit-frame-pointer -g -o burn "$HERE/c/burn.c" -L. -lhelper -Wl,-rpath,'$ORIGIN' -lpthread
$REC -o burn.perf.data -- ./burn 1.5
perf script -i burn.perf.data > "$HERE/c/burn.perf-script.txt"
perf script -i burn.perf.data -F comm,pid,tid,time,event,ip,sym,symoff,dso,period > "$HERE/c/burn.pid-tid.perf-script.txt"

# ---- Go: same program as testdata/go/main.go, without the HTTP server
cd "$W/go"
cp "$HERE/../go/main.go" .
GOPROXY=off GOFLAGS=-mod=mod go build -o loadgen main.go
$REC -o loadgen.perf.data -- ./loadgen -duration 1.5s -workers 2
perf script -i loadgen.perf.data > "$HERE/go/loadgen.perf-script.txt"

# ---- Node: JIT frames named through /tmp/perf-PID.map
cd "$W/node"
cp "$HERE/node/app.js" .
$REC -o app.perf.data -- node --perf-basic-prof --interpreted-frames-native-stack app.js 1500
PID=$(perf script -i app.perf.data -F pid | head -1 | tr -d ' ')
perf script -i app.perf.data > "$HERE/node/app.perf-script.txt"   # while the map still exists
cp "/tmp/perf-$PID.map" "$HERE/node/app.perf-map.txt"
rm -f "/tmp/perf-$PID.map"
# the C program's JIT-like page makes perf look for /tmp/perf-<pid>.map too (never written)

# ---- scrub check: no hostnames or home directories should appear
for f in "$HERE"/*/*.perf-script.txt "$HERE/node/app.perf-map.txt"; do
  if grep -nE "/home/|/root/" "$f" | head -3 | grep . || grep -nw "$(hostname)" "$f" | head -3 | grep .; then
    echo "SCRUB: check $f"; exit 1
  fi
done
perf --version > "$HERE/perf-version.txt"; uname -r >> "$HERE/perf-version.txt"
ls -l "$HERE"/*/
