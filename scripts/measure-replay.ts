// What an evicted trip's next wake costs: the full replay of its history, per history file (fixture
// format, test/workflows/support.ts). Usage: npx tsx scripts/measure-replay.ts <history.json>…
// Prints wall and CPU milliseconds per replay (mean of 10, after one warm-up) and workflow tasks.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protoModule from '@temporalio/proto';
import { bundleWorkflowCode, Runtime, Worker } from '@temporalio/worker';

const { History } = protoModule.temporal.api.history.v1;
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
Runtime.install({ logger: quiet });
const bundle = await bundleWorkflowCode({
  workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
  logger: quiet,
});
const COPIES = 10;

for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8');
  const load = () => History.fromObject(JSON.parse(text) as Record<string, unknown>);
  const events = load().events ?? [];
  const tasks = events.filter((event) => event.workflowTaskCompletedEventAttributes).length;
  const replay = async (count: number) => {
    const histories = Array.from({ length: count }, (_, i) => ({ workflowId: `replay-${i}`, history: load() }));
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories))
      if (result.error) throw result.error;
  };
  await replay(1);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await replay(COPIES);
  const wallMs = (performance.now() - started) / COPIES;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000 / COPIES;
  process.stdout.write(
    `${file}: ${events.length} events, ${tasks} workflow tasks: ${wallMs.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU per replay\n`,
  );
}
