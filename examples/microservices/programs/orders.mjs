// An allocation-heavy HTTP service: every request builds and serializes an order list.
import { createServer } from 'node:http';
import { setInterval } from 'node:timers';

function listOrders(count) {
  const orders = Array.from({ length: count }, (_, i) => ({ id: i, lines: [{ sku: `sku-${i}`, qty: i % 7 }] }));
  return JSON.stringify(orders.sort((a, b) => b.lines[0].qty - a.lines[0].qty));
}

createServer((req, res) => res.end(listOrders(5_000))).listen(8080);
setInterval(() => listOrders(20_000), 100);
