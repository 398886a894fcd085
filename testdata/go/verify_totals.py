#!/usr/bin/env python3
"""Decodes each *.pb.gz (minimal protobuf reader, no dependencies) and checks
that the "of N total" in every *.top.txt golden equals the exact sum of that
sample type over all samples; also reports samples with no locations."""
import glob, gzip, os, re, sys

def varint(b, i):
    r = s = 0
    while True:
        c = b[i]; i += 1; r |= (c & 0x7f) << s; s += 7
        if c < 0x80: return r, i

def fields(b):
    i = 0
    while i < len(b):
        k, i = varint(b, i); f, t = k >> 3, k & 7
        if t == 0: v, i = varint(b, i)
        elif t == 2: n, i = varint(b, i); v = b[i:i + n]; i += n
        elif t == 1: v = b[i:i + 8]; i += 8
        elif t == 5: v = b[i:i + 4]; i += 4
        else: raise ValueError(t)
        yield f, t, v

def ints(t, v):
    if t != 2: return [v]
    out, i = [], 0
    while i < len(v): x, i = varint(v, i); out.append(x)
    return out

def signed(x): return x - (1 << 64) if x >= 1 << 63 else x

os.chdir(os.path.dirname(os.path.abspath(__file__)))
bad = 0
for pb in sorted(glob.glob('*.pb.gz')):
    b = gzip.decompress(open(pb, 'rb').read())
    strings, types, samples = [], [], []
    for f, t, v in fields(b):
        if f == 6: strings.append(v.decode())
        elif f == 1: types.append({g: w for g, _, w in fields(v)})
        elif f == 2:
            locs, vals = [], []
            for g, tt, w in fields(v):
                if g == 1: locs += ints(tt, w)
                if g == 2: vals += [signed(x) for x in ints(tt, w)]
            samples.append((locs, vals))
    empty = sum(1 for l, _ in samples if not l)
    prof = pb[:-len('.pb.gz')]
    for k, st in enumerate(types):
        name = strings[st.get(1, 0)]
        total = sum(abs(v[k]) for _, v in samples)
        top = open(f'{prof}.{name}.top.txt').read()
        m = re.search(r'of (\d+)\D* total', top)
        ok = m and int(m.group(1)) == total
        bad += not ok
        print(f"{'ok ' if ok else 'BAD'} {prof}.{name}: proto sum {total}, golden total {m and m.group(1)}"
              + (f", {empty} sample(s) with no locations" if empty else ''))
sys.exit(1 if bad else 0)
