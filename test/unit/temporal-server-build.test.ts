import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ensureTemporalServer,
  serverToolsFor,
  TEMPORAL_SERVER_VERSION,
  TemporalServerUnavailable,
} from '../../workers/cluster/server-build.ts';

describe('Temporal server build for the cluster tier', () => {
  it('keeps one directory per server version under .tools/', () => {
    const tools = serverToolsFor('1.29.1', '/repo/.tools');
    expect(tools).toEqual({
      version: '1.29.1',
      serverPath: '/repo/.tools/temporal-server-1.29.1/temporal-server',
      sqlToolPath: '/repo/.tools/temporal-server-1.29.1/temporal-sql-tool',
    });
  });

  it('returns a cached build without asking Go', async () => {
    const toolsDir = mkdtempSync(join(tmpdir(), 'server-cache-'));
    const cached = serverToolsFor(TEMPORAL_SERVER_VERSION, toolsDir);
    mkdirSync(join(cached.serverPath, '..'), { recursive: true });
    for (const path of [cached.serverPath, cached.sqlToolPath]) {
      writeFileSync(path, '#!/bin/sh\n');
      chmodSync(path, 0o755);
    }
    expect(await ensureTemporalServer({ env: { PATH: '/nonexistent-bin' }, toolsDir })).toEqual(cached);
  });

  it('explains how to build it by hand when Go is missing', async () => {
    const toolsDir = mkdtempSync(join(tmpdir(), 'server-none-'));
    const attempt = ensureTemporalServer({ env: { PATH: '/nonexistent-bin' }, toolsDir });
    await expect(attempt).rejects.toBeInstanceOf(TemporalServerUnavailable);
    await expect(attempt).rejects.toThrow(
      /Go is not installed[\s\S]*go install go\.temporal\.io\/server\/cmd\/server@v1\.29\.1 go\.temporal\.io\/server\/cmd\/tools\/sql@v1\.29\.1/,
    );
  });
});
