import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureTemporalCli, TemporalCliUnavailable } from '../../workers/temporal-cli.ts';

function fakeCli(dir: string, version: string): string {
  const path = join(dir, 'temporal');
  writeFileSync(path, `#!/bin/sh\necho "temporal version ${version} (Server 1.29.1, UI 2.42.1)"\n`);
  chmodSync(path, 0o755);
  return path;
}

const noGoPath = '/nonexistent-bin';

describe('Temporal CLI acquisition', () => {
  it('uses TEMPORAL_CLI_PATH first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-explicit-'));
    const path = fakeCli(dir, '1.5.1');
    expect(await ensureTemporalCli({ env: { TEMPORAL_CLI_PATH: path, PATH: noGoPath }, cachePath: join(dir, 'cache', 'temporal') })).toBe(path);
  });

  it('rejects a TEMPORAL_CLI_PATH that is not an executable', async () => {
    await expect(ensureTemporalCli({ env: { TEMPORAL_CLI_PATH: '/no/such/temporal', PATH: noGoPath } })).rejects.toThrow(/TEMPORAL_CLI_PATH points at \/no\/such\/temporal/);
  });

  it('takes `temporal` from PATH when it is version 1.5.1, and skips other versions', async () => {
    const good = mkdtempSync(join(tmpdir(), 'cli-path-good-'));
    const old = mkdtempSync(join(tmpdir(), 'cli-path-old-'));
    fakeCli(old, '1.1.0');
    const expected = fakeCli(good, '1.5.1');
    const notes: string[] = [];
    const found = await ensureTemporalCli({ env: { PATH: `${old}:${good}` }, cachePath: join(good, 'unused'), progress: (l) => notes.push(l) });
    expect(found).toBe(expected);
    expect(notes.join('\n')).toContain(`Ignoring ${join(old, 'temporal')}: not version 1.5.1`);
  });

  it('returns a cached build of the right version without building', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-cache-'));
    const cached = fakeCli(dir, '1.5.1');
    expect(await ensureTemporalCli({ env: { PATH: noGoPath }, cachePath: cached })).toBe(cached);
  });

  it('explains how to install a CLI when none exists and Go is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-none-'));
    const attempt = ensureTemporalCli({ env: { PATH: noGoPath }, cachePath: join(dir, 'temporal') });
    await expect(attempt).rejects.toBeInstanceOf(TemporalCliUnavailable);
    await expect(attempt).rejects.toThrow(/Go is not installed[\s\S]*TEMPORAL_CLI_PATH[\s\S]*go install -ldflags/);
  });
});
