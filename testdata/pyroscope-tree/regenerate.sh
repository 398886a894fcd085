#!/usr/bin/env bash
# Rebuilds the trie and tree bodies in testdata/pyroscope-tree/ with Pyroscope's own v0.x Go code
# (grafana/pyroscope at 706328a0, the last v0.x server and agent), from the stacks of the Go
# captures in testdata/go/. Offline: needs Go >= 1.19, node, and two local git clones:
#   PYROSCOPE=/path/to/grafana/pyroscope BYTEBUFFERPOOL=/path/to/valyala/bytebufferpool ./regenerate.sh
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
COMMIT=706328a0692499a9c85d523f041af8f8104a66f1
WORK=$(mktemp -d /tmp/kiln-pyroscope-tree-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# The packages the v0.x agent and server use to write and read these bodies, unchanged.
for f in \
  pkg/structs/transporttrie/trie.go pkg/structs/transporttrie/serialize.go \
  pkg/structs/transporttrie/string.go pkg/structs/transporttrie/merge.go \
  pkg/storage/tree/tree.go pkg/storage/tree/serialize.go pkg/storage/tree/minval.go \
  pkg/storage/tree/collapsed.go pkg/storage/tree/tree_arenas_disabled.go \
  pkg/storage/dict/dict.go pkg/storage/dict/serialize.go pkg/storage/dict/trie.go \
  pkg/structs/cappedarr/cappedarr.go pkg/structs/merge/merge.go \
  pkg/util/arenahelper/arenas_disabled.go pkg/util/varint/varint.go; do
  mkdir -p "$WORK/$(dirname "$f")"
  git -C "$PYROSCOPE" show "$COMMIT:$f" >"$WORK/$f"
done
mkdir -p "$WORK/bytebufferpool"
git -C "$BYTEBUFFERPOOL" archive v1.0.0 | tar -x -C "$WORK/bytebufferpool"
echo 'module github.com/valyala/bytebufferpool' >"$WORK/bytebufferpool/go.mod"
cat >"$WORK/go.mod" <<GOMOD
module github.com/pyroscope-io/pyroscope

go 1.19

require github.com/valyala/bytebufferpool v1.0.0

replace github.com/valyala/bytebufferpool => $WORK/bytebufferpool
GOMOD
mkdir -p "$WORK/cmd/treebody"
cp "$HERE/treebody.go" "$WORK/cmd/treebody/main.go"
(cd "$WORK" && GOPROXY=off GOFLAGS=-mod=mod go build -o "$WORK/treebody-bin" ./cmd/treebody)

# Folded stacks of one sample type of a Go capture, as Kiln's serializeFolded writes them.
folded() {
  (cd "$ROOT" && node --conditions=source --import tsx --input-type=module -e "
    import { readFileSync } from 'node:fs';
    import { parsePprof, serializeFolded } from '@kiln/formats';
    const p = parsePprof(readFileSync('testdata/go/$1.pb.gz'));
    process.stdout.write(serializeFolded(p, { sampleType: p.sampleTypes.findIndex((t) => t.type === '$2') }));
  ")
}

for spec in cpu:samples heap:alloc_space; do
  name=${spec%%:*}
  type=${spec#*:}
  folded "$name" "$type" >"$WORK/$name.folded"
  "$WORK/treebody-bin" trie <"$WORK/$name.folded" >"$HERE/go-$name.$type.trie"
  "$WORK/treebody-bin" tree <"$WORK/$name.folded" >"$HERE/go-$name.$type.tree"
  # Pyroscope's own readers must give the stacks back.
  "$WORK/treebody-bin" read-trie <"$HERE/go-$name.$type.trie" | cmp - <(sort "$WORK/$name.folded")
  "$WORK/treebody-bin" read-tree <"$HERE/go-$name.$type.tree" | cmp - <(sort "$WORK/$name.folded")
done
ls -l "$HERE"/*.trie "$HERE"/*.tree
