import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SearchAttributes } from '../../workflows/contract.ts';
import {
  addToCounter,
  counterWorkflow,
  finish,
  getCounter,
  greetingWorkflow,
} from '../fixtures/workflows/foundation.ts';

let connection: Connection;
let nativeConnection: NativeConnection;
let client: Client;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, namespace: inject('temporalNamespace') });
  bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../fixtures/workflows/foundation.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
});

afterAll(async () => {
  await nativeConnection?.close();
  await connection?.close();
});

async function withWorker<T>(activities: object, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `foundation-${randomUUID()}`;
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: bundle, activities });
  return worker.runUntil(fn(taskQueue));
}

describe('the real Temporal dev server', () => {
  it('runs a bundled workflow that calls an activity on a real worker', async () => {
    const result = await withWorker({ greet: async (name: string) => `hello, ${name}` }, (taskQueue) =>
      client.workflow.execute(greetingWorkflow, {
        taskQueue,
        workflowId: `greet-${randomUUID()}`,
        args: ['Teterboro'],
      }),
    );
    expect(result).toBe('hello, Teterboro');
  });

  it('finds a workflow started with the TripPhase search attribute through a visibility query', async () => {
    const route = `TEST-${randomUUID().slice(0, 8)}`;
    await withWorker({}, async (taskQueue) => {
      const handle = await client.workflow.start(counterWorkflow, {
        taskQueue,
        workflowId: `visible-${randomUUID()}`,
        typedSearchAttributes: [
          { key: SearchAttributes.TripPhase, value: 'creating_trip' },
          { key: SearchAttributes.Route, value: route },
        ],
      });
      const query = `Route = '${route}' AND TripPhase = 'collecting_quotes'`;
      const deadline = Date.now() + 30_000;
      let found: string[] = [];
      while (Date.now() < deadline && found.length === 0) {
        found = [];
        for await (const execution of client.workflow.list({ query })) found.push(execution.workflowId);
        if (found.length === 0) await new Promise((r) => setTimeout(r, 200));
      }
      expect(found).toEqual([handle.workflowId]);
      await handle.executeUpdate(finish);
      await handle.result();
    });
  });

  it('answers updates and queries while the workflow runs, and rejects an invalid update', async () => {
    await withWorker({}, async (taskQueue) => {
      const handle = await client.workflow.start(counterWorkflow, { taskQueue, workflowId: `counter-${randomUUID()}` });
      expect(await handle.executeUpdate(addToCounter, { args: [2] })).toBe(2);
      expect(await handle.executeUpdate(addToCounter, { args: [3] })).toBe(5);
      expect(await handle.query(getCounter)).toBe(5);
      await expect(handle.executeUpdate(addToCounter, { args: [-1] })).rejects.toBeInstanceOf(
        WorkflowUpdateFailedError,
      );
      await handle.executeUpdate(finish);
      expect(await handle.result()).toBe(5);
    });
  });
});
