// Benchmarks measure, print and check targets; they never run under `npm test`. Results of the last
// run are written to `.bench/results.json` (under `benchmarks`; the goals table is goals.bench.ts's) so
// a change can be compared with the previous numbers.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.bench', 'results.json');

export interface Measurement {
  [metric: string]: number;
}

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Runs `task` for each of `count` items with at most `concurrency` in flight; returns each latency (ms). */
export async function runConcurrently(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<unknown>,
): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const index = next++;
      const started = performance.now();
      await task(index);
      latencies.push(performance.now() - started);
    }
  });
  await Promise.all(lanes);
  return latencies;
}

/** Starts `task` for item i at i × intervalMs (open loop: arrivals do not wait for answers); returns each latency (ms). */
export async function runPaced(
  count: number,
  intervalMs: number,
  task: (index: number) => Promise<unknown>,
): Promise<number[]> {
  const latencies: number[] = [];
  const origin = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, origin + index * intervalMs - performance.now())));
      const started = performance.now();
      await task(index);
      latencies.push(performance.now() - started);
    }),
  );
  return latencies;
}

const round = (value: number) => (Number.isInteger(value) ? value : Math.round(value * 10) / 10);

/** Prints one benchmark's numbers and stores them next to the previous run's. */
export function report(name: string, measurement: Measurement): void {
  const rounded = Object.fromEntries(Object.entries(measurement).map(([key, value]) => [key, round(value)]));
  process.stdout.write(
    `[bench] ${name}: ${Object.entries(rounded)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}\n`,
  );
  const all = readResults();
  const benchmarks = benchmarksOf(all);
  benchmarks[name] = { ...rounded, at: new Date().toISOString() };
  writeResults({ ...all, benchmarks });
}

function readResults(): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>;
  } catch {
    return {}; // First run, or an unreadable file: start over.
  }
}

/** The goals benchmark owns the top level (rows, context); the other benchmarks keep theirs here. */
function benchmarksOf(all: Record<string, unknown>): Record<string, unknown> {
  return { ...(typeof all.benchmarks === 'object' && all.benchmarks !== null ? all.benchmarks : {}) } as Record<
    string,
    unknown
  >;
}

function writeResults(all: Record<string, unknown>): void {
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(all, null, 2)}\n`);
}

export const mib = (bytes: number) => bytes / 1024 / 1024;

/** Like the goals table: a missed target is reported, and fails the run only with BENCH_ENFORCE_GOALS=1. */
const ENFORCE_TARGETS = process.env.BENCH_ENFORCE_GOALS === '1';

/**
 * A speed or size target of a component benchmark: printed and stored with its figures
 * (`.bench/results.json`, `benchmarks.<name>.targets`), never a timed assertion that a loaded
 * machine can fail by itself.
 */
export function target(name: string, measure: string, value: number, op: '>=' | '<', limit: number): boolean {
  const met = op === '>=' ? value >= limit : value < limit;
  process.stdout.write(
    `[bench] ${name}: ${measure} ${round(value)} (target ${op} ${limit}) ${met ? 'met' : 'MISSED'}\n`,
  );
  const all = readResults();
  const benchmarks = benchmarksOf(all);
  const entry = (benchmarks[name] ?? {}) as { targets?: Record<string, unknown> };
  benchmarks[name] = { ...entry, targets: { ...entry.targets, [measure]: { value: round(value), op, limit, met } } };
  writeResults({ ...all, benchmarks });
  if (ENFORCE_TARGETS) expect.soft(met, `${name}: ${measure} ${round(value)}, target ${op} ${limit}`).toBe(true);
  return met;
}
