'use strict';
// app.js: CPU load with real JS call depth for `perf record` of Node 20 with
// --perf-basic-prof --interpreted-frames-native-stack (JIT names via /tmp/perf-PID.map).
// Usage: node --perf-basic-prof --interpreted-frames-native-stack app.js [ms]
const crypto = require('crypto');
const zlib = require('zlib');

// recursive-descent expression parser + evaluator
function tokenize(src) { return src.match(/\d+|[-+*/()]/g); }
class Parser {
  constructor(tokens) { this.t = tokens; this.i = 0; }
  peek() { return this.t[this.i]; }
  parseExpr() { let n = this.parseTerm(); while (this.peek() === '+' || this.peek() === '-') { const op = this.t[this.i++]; n = { op, l: n, r: this.parseTerm() }; } return n; }
  parseTerm() { let n = this.parseFactor(); while (this.peek() === '*' || this.peek() === '/') { const op = this.t[this.i++]; n = { op, l: n, r: this.parseFactor() }; } return n; }
  parseFactor() { if (this.peek() === '(') { this.i++; const n = this.parseExpr(); this.i++; return n; } return { op: 'k', v: Number(this.t[this.i++]) }; }
}
function evaluate(n) {
  switch (n.op) {
    case 'k': return n.v;
    case '+': return evaluate(n.l) + evaluate(n.r);
    case '-': return evaluate(n.l) - evaluate(n.r);
    case '*': return evaluate(n.l) * evaluate(n.r);
    default: { const d = evaluate(n.r); return d === 0 ? 0 : evaluate(n.l) / d; }
  }
}
function genExpr(depth, seed) {
  if (depth === 0 || seed % 5 === 0) return String((seed % 97) + 1);
  return '(' + genExpr(depth - 1, seed * 7 + 3) + ' ' + '+-*/'[seed % 4] + ' ' + genExpr(depth - 1, seed * 13 + 5) + ')';
}
function exprTask(seed) {
  const src = genExpr(8, seed);
  let total = 0;
  for (let i = 0; i < 5; i++) total += evaluate(new Parser(tokenize(src)).parseExpr());
  return total;
}

// JSON round trip of a nested tree
function buildTree(depth) { const t = { name: 'n' + depth, w: [1, 2, 3, 4], children: [] }; if (depth > 0) for (let i = 0; i < 3; i++) t.children.push(buildTree(depth - 1)); return t; }
function jsonTask() { const s = JSON.stringify(buildTree(5)); return JSON.parse(s).children.length + s.length; }

// native work: sha256 and gzip (C++ frames inside node)
function hashTask(buf) { let h = buf; for (let i = 0; i < 50; i++) h = crypto.createHash('sha256').update(h).digest(); return h[0]; }
function zipTask(buf) { return zlib.gzipSync(buf).length; }

// sort of objects with a comparator
function sortTask(seed) {
  const a = []; for (let i = 0; i < 5000; i++) a.push({ id: i, score: (i * seed) % 211, name: 'r' + ((i * 31) % 500) });
  a.sort((x, y) => x.score - y.score || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return a[0].id;
}

// a small call chain on top: handleRequest -> route -> runStage -> task
function runStage(kind, seed, buf) {
  switch (kind) {
    case 0: return exprTask(seed);
    case 1: return jsonTask();
    case 2: return hashTask(buf);
    case 3: return zipTask(buf);
    default: return sortTask(seed);
  }
}
function route(req, buf) { return runStage(req.kind, req.seed, buf); }
function handleRequest(req, buf) { return route(req, buf); }

const buf = crypto.randomBytes(64 * 1024);
const end = Date.now() + Number(process.argv[2] || 2000);
let n = 0, acc = 0;
function tick() {
  for (let i = 0; i < 5; i++) { acc += Number(handleRequest({ kind: n % 5, seed: n + 1 }, buf)) || 0; n++; }
  if (Date.now() < end) setImmediate(tick);
  else console.log('requests', n, acc > 0);
}
tick();
