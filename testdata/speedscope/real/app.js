'use strict';
// Small CPU-bound workload for producing a real V8 .cpuprofile
// (run with: node --cpu-prof --cpu-prof-dir=cpuprof app.js).
// Runs ~2 s of: a recursive-descent arithmetic parser + tree evaluator,
// JSON stringify/parse round trips, and sorting (builtin + merge sort).

// ---------- deterministic PRNG ----------
let seed = 12345;
function rand() {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}

// ---------- expression generator ----------
function genExpr(depth) {
  if (depth <= 0 || rand() < 0.2) {
    return String(Math.floor(rand() * 100) + 1);
  }
  const ops = ['+', '-', '*', '/'];
  const op = ops[Math.floor(rand() * ops.length)];
  return '(' + genExpr(depth - 1) + ' ' + op + ' ' + genExpr(depth - 1) + ')';
}

// ---------- tokenizer ----------
function tokenize(src) {
  const tokens = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ') { i++; continue; }
    if (c >= '0' && c <= '9') {
      let j = i;
      while (j < src.length && src[j] >= '0' && src[j] <= '9') j++;
      tokens.push({ t: 'num', v: Number(src.slice(i, j)) });
      i = j;
      continue;
    }
    tokens.push({ t: 'op', v: c });
    i++;
  }
  return tokens;
}

// ---------- recursive-descent parser ----------
class Parser {
  constructor(tokens) { this.tokens = tokens; this.pos = 0; }
  peek() { return this.tokens[this.pos]; }
  next() { return this.tokens[this.pos++]; }
  parseExpr() {
    let left = this.parseTerm();
    for (;;) {
      const tok = this.peek();
      if (!tok || tok.t !== 'op' || (tok.v !== '+' && tok.v !== '-')) return left;
      this.next();
      left = { op: tok.v, left, right: this.parseTerm() };
    }
  }
  parseTerm() {
    let left = this.parseFactor();
    for (;;) {
      const tok = this.peek();
      if (!tok || tok.t !== 'op' || (tok.v !== '*' && tok.v !== '/')) return left;
      this.next();
      left = { op: tok.v, left, right: this.parseFactor() };
    }
  }
  parseFactor() {
    const tok = this.next();
    if (tok.t === 'num') return { num: tok.v };
    if (tok.v === '(') {
      const e = this.parseExpr();
      this.next(); // ')'
      return e;
    }
    throw new Error('unexpected token ' + JSON.stringify(tok));
  }
}

// ---------- evaluator ----------
function evaluate(node) {
  if (node.num !== undefined) return node.num;
  const a = evaluate(node.left);
  const b = evaluate(node.right);
  switch (node.op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return b === 0 ? 0 : a / b;
  }
  return 0;
}

function parseAndEval(src) {
  const ast = new Parser(tokenize(src)).parseExpr();
  return { ast, value: evaluate(ast) };
}

// ---------- JSON work ----------
function jsonRoundTrip(ast) {
  const text = JSON.stringify(ast);
  const back = JSON.parse(text);
  return countNodes(back) + text.length;
}

function countNodes(node) {
  if (node.num !== undefined) return 1;
  return 1 + countNodes(node.left) + countNodes(node.right);
}

// ---------- sorting ----------
function mergeSort(arr) {
  if (arr.length <= 1) return arr;
  const mid = arr.length >> 1;
  return merge(mergeSort(arr.slice(0, mid)), mergeSort(arr.slice(mid)));
}

function merge(a, b) {
  const out = new Array(a.length + b.length);
  let i = 0, j = 0, k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i] <= b[j] ? a[i++] : b[j++];
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out;
}

function sortWork(n) {
  const xs = [];
  for (let i = 0; i < n; i++) xs.push(Math.floor(rand() * 1e6));
  const a = mergeSort(xs);
  const b = xs.slice().sort((x, y) => x - y);
  return a[0] + b[b.length - 1];
}

// ---------- main loop ----------
function main() {
  const deadline = Date.now() + 2000;
  let checksum = 0;
  let iterations = 0;
  while (Date.now() < deadline) {
    const src = genExpr(10);
    const { ast, value } = parseAndEval(src);
    checksum += Number.isFinite(value) ? value % 1000 : 0;
    checksum += jsonRoundTrip(ast);
    checksum += sortWork(2000);
    iterations++;
  }
  console.log(`iterations=${iterations} checksum=${checksum.toFixed(3)}`);
}

main();
