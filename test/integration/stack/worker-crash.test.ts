// Durability: the worker process is SIGKILLed mid-run and restarted; continue-as-new keeps state.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminal, oneWayRequest, startStack, waitForProgress, type Stack } from './harness.ts';

const BIN = fileURLToPath(new URL('../../../bin/charterflow.js', import.meta.url));
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ worker: false });
});
afterAll(async () => {
  await stack?.close();
});

/** `charterflow worker` as its own process, with the stack's configuration; resolves when ready. */
function spawnWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'worker', '--no-webhook-registration'], {
    env: { ...process.env, ...stack.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready in 60 s:\n${stderr}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('"event":"ready"')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${stderr}`));
    });
  });
}

function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

describe('a worker process killed mid-run', () => {
  it('completes the run after a restart, leaving exactly one Avinode trip for its externalTripId', async () => {
    const first = await spawnWorker();
    const request = oneWayRequest();
    const trip = await stack.charter.startTrip(request).catch(async (error) => {
      await kill(first, 'SIGKILL');
      throw error;
    });
    const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 2);
    try {
      await waitForProgress(stack, request.externalId, (p) => p.phase === 'collecting_quotes');
    } finally {
      await kill(first, 'SIGKILL');
    }
    expect((await stack.client.workflow.getHandle(trip.workflowId).describe()).status.name).toBe('RUNNING');

    // Operators answer while no worker runs; the restarted worker catches up by polling and webhooks.
    for (const rfqId of rfqIds) await stack.emulator.admin.respond(rfqId, { action: 'quote', price: 25_000 });

    const second = await spawnWorker();
    try {
      const done = await waitForProgress(stack, request.externalId, isTerminal, 60_000);
      expect(done.phase).toBe('completed');
      expect(done.quotes).toHaveLength(2);
      expect((await stack.emulator.admin.stats()).tripsByExternalId[trip.workflowId]).toBe(1);
    } finally {
      await kill(second, 'SIGTERM');
    }
    expect(second.exitCode).toBe(0);
  });
});
