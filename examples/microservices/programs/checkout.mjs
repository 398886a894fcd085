// A CPU-bound HTTP service: every request hashes a cart many times.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { setInterval } from 'node:timers';

function priceCart(items) {
  let digest = '';
  for (let i = 0; i < 20_000; i++) digest = createHash('sha256').update(`${items}:${digest}`).digest('hex');
  return digest;
}

createServer((req, res) => res.end(`${priceCart(req.url)}\n`)).listen(8080);
// Load of its own, so the demo has something to show without a client.
setInterval(() => priceCart(String(Date.now())), 50);
