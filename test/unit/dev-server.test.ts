import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { describe, expect, inject, it } from 'vitest';
import { SearchAttributes } from '../../workflows/contract.ts';
import { DevServerError, startDevServer } from '../../workers/dev-server.ts';

describe('the dev server lifecycle', () => {
  it('reports a busy port clearly before starting anything', async () => {
    const blocker: Server = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const attempt = startDevServer({ cliPath: inject('temporalCliPath'), port, headless: true });
      await expect(attempt).rejects.toBeInstanceOf(DevServerError);
      await expect(attempt).rejects.toThrow(`Temporal gRPC port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('reports a server that crashes at start with its last log lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crashing-cli-'));
    const cliPath = join(dir, 'temporal');
    writeFileSync(cliPath, '#!/bin/sh\necho "unable to open database file: disk on fire" >&2\nexit 3\n');
    chmodSync(cliPath, 0o755);
    const attempt = startDevServer({ cliPath, headless: true, readyTimeoutMs: 20_000 });
    await expect(attempt).rejects.toThrow(/exited with code 3[\s\S]*Last server log lines:[\s\S]*disk on fire/);
  });

  it('starts a real server with a persistent SQLite file and a Web UI, stops it, and restarts on the same file with every search attribute', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dev-server-'));
    const dbFilename = join(dir, 'sub', 'temporal.sqlite');
    const server = await startDevServer({ cliPath: inject('temporalCliPath'), uiPort: 0, dbFilename });
    try {
      expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
      const health = await fetch(`${server.uiUrl}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      await server.stop();
    }
    await expect(fetch(`${server.uiUrl}/healthz`)).rejects.toThrow();

    const again = await startDevServer({ cliPath: inject('temporalCliPath'), headless: true, dbFilename });
    try {
      const connection = await Connection.connect({ address: again.address });
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      await connection.close();
      expect(Object.keys(customAttributes ?? {})).toEqual(
        expect.arrayContaining(Object.values(SearchAttributes).map((key) => key.name)),
      );
    } finally {
      await again.stop();
    }
  });

  it('hands the codec endpoint to the Web UI settings', async () => {
    const server = await startDevServer({
      cliPath: inject('temporalCliPath'),
      uiPort: 0,
      codecEndpoint: 'http://127.0.0.1:8282/codec',
    });
    try {
      const settings = (await (await fetch(`${server.uiUrl}/api/v1/settings`)).json()) as {
        Codec: { Endpoint: string };
      };
      expect(settings.Codec.Endpoint).toBe('http://127.0.0.1:8282/codec');
    } finally {
      await server.stop();
    }
  });
});
