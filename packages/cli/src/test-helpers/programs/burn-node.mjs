// A CPU-bound Node program for the CLI's tests: burns CPU in burnNodeHot for argv[2] ms
// (default 3000), prints a first line, echoes stdin uppercased when argv[3] is `echo`, and exits with code 7.
function burnNodeHot(ms) {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x;
}
process.stdout.write('burn-node started\n');
const until = Date.now() + Number(process.argv[2] ?? 3000);
if (process.argv[3] === 'echo') {
  let input = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) input += chunk;
  process.stdout.write(input.toUpperCase());
}
process.on('SIGTERM', () => {
  process.stdout.write('got SIGTERM\n');
  process.exit(143);
});
while (Date.now() < until) {
  burnNodeHot(50);
  await new Promise((r) => setTimeout(r, 2));
}
process.stdout.write('burn-node done\n');
process.exitCode = 7;
