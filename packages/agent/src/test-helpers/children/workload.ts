// A program for the agent's tests to profile. argv[2] is the workload:
//   cpu    burns CPU in kilnTestBurnCpu, in ~20 ms slices so that timers can run
//   heap   allocates and retains objects in kilnTestRetainObjects
//   steady light work on a timer (for outage tests)
// KILN_TEST_RUN_MS is how long it runs. With KILN_TEST_AGENT (JSON AgentOptions) it starts the
// agent itself and, unless KILN_TEST_NO_STOP=1, awaits agent.stop() at the end and prints the
// agent's stats to stderr. Its stdout depends only on the workload, never on timing or the
// agent, so tests can compare it with a run without the agent. Exit code: KILN_TEST_EXIT_CODE.
import type { Agent } from '@kiln/agent';

const mode = process.argv[2] ?? 'cpu';
const runMs = Number(process.env.KILN_TEST_RUN_MS ?? 2000);
const retained: Array<{ id: number; text: string; values: number[] }[]> = [];

function kilnTestBurnCpu(sliceMs: number): number {
  const end = Date.now() + sliceMs;
  let x = 1;
  while (Date.now() < end) {
    for (let i = 0; i < 20_000; i++) x = (x * 31 + i) % 1_000_003;
  }
  return x;
}

function kilnTestRetainObjects(count: number): void {
  const batch: { id: number; text: string; values: number[] }[] = [];
  for (let i = 0; i < count; i++) batch.push({ id: i, text: `object-${i}-`.repeat(4), values: [i, i + 1, i + 2] });
  retained.push(batch);
}

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

async function main(): Promise<void> {
  let agent: Agent | undefined;
  if (process.env.KILN_TEST_AGENT) {
    const { startProfiling } = await import('@kiln/agent');
    agent = startProfiling({
      ...(JSON.parse(process.env.KILN_TEST_AGENT) as { appName: string }),
      logger: (level, message, err) => process.stderr.write(`agent ${level}: ${message} ${String(err ?? '')}\n`),
    });
  }
  console.log(`workload ${mode} starting`);
  const end = Date.now() + runMs;
  while (Date.now() < end) {
    if (mode === 'cpu') kilnTestBurnCpu(20);
    else if (mode === 'heap') {
      if (retained.length < 200) kilnTestRetainObjects(2_000);
      await new Promise((resolve) => setTimeout(resolve, 5));
    } else {
      kilnTestBurnCpu(2);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  console.log(`workload ${mode} done: fib(20)=${fib(20)}`);
  if (agent && process.env.KILN_TEST_NO_STOP !== '1') {
    await agent.stop();
    process.stderr.write(`KILN_TEST_STATS ${JSON.stringify(agent.stats())}\n`);
  }
  process.exitCode = Number(process.env.KILN_TEST_EXIT_CODE ?? 0);
}

await main();
