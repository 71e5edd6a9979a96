import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ensureTemporalCli,
  isAtLeastMinimum,
  MIN_TEMPORAL_CLI_VERSION,
  TemporalCliUnavailable,
} from '../../workers/temporal-cli.ts';

function fakeCli(dir: string, version: string, server = '1.29.1'): string {
  const path = join(dir, 'temporal');
  writeFileSync(path, `#!/bin/sh\necho "temporal version ${version} (Server ${server}, UI 2.42.1)"\n`);
  chmodSync(path, 0o755);
  return path;
}

const noGoPath = '/nonexistent-bin';

describe('Temporal CLI acquisition', () => {
  it('uses TEMPORAL_CLI_PATH first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-explicit-'));
    const path = fakeCli(dir, '1.5.1');
    expect(
      await ensureTemporalCli({
        env: { TEMPORAL_CLI_PATH: path, PATH: noGoPath },
        cachePath: join(dir, 'cache', 'temporal'),
      }),
    ).toBe(path);
  });

  it('rejects a TEMPORAL_CLI_PATH that is not an executable', async () => {
    await expect(
      ensureTemporalCli({ env: { TEMPORAL_CLI_PATH: '/no/such/temporal', PATH: noGoPath } }),
    ).rejects.toThrow(/TEMPORAL_CLI_PATH points at \/no\/such\/temporal/);
  });

  it('takes `temporal` from PATH when it is at least the minimum version, and skips older ones', async () => {
    const good = mkdtempSync(join(tmpdir(), 'cli-path-good-'));
    const old = mkdtempSync(join(tmpdir(), 'cli-path-old-'));
    fakeCli(old, '1.1.0');
    const expected = fakeCli(good, '1.5.1');
    const notes: string[] = [];
    const found = await ensureTemporalCli({
      env: { PATH: `${old}:${good}` },
      cachePath: join(good, 'unused'),
      progress: (l) => notes.push(l),
    });
    expect(found).toBe(expected);
    expect(notes.join('\n')).toContain(
      `Ignoring ${join(old, 'temporal')}: version 1.1.0, older than the minimum ${MIN_TEMPORAL_CLI_VERSION}`,
    );
  });

  it('uses a newer CLI on PATH rather than refusing it, and says which one is in use', async () => {
    const newer = mkdtempSync(join(tmpdir(), 'cli-path-newer-'));
    const expected = fakeCli(newer, '1.9.1', '1.31.0');
    const notes: string[] = [];
    expect(
      await ensureTemporalCli({
        env: { PATH: newer },
        cachePath: join(newer, 'unused'),
        progress: (l) => notes.push(l),
      }),
    ).toBe(expected);
    expect(notes.at(-1)).toBe(
      `Using temporal version 1.9.1 (Server 1.31.0, UI 2.42.1) at ${expected} (found on PATH).`,
    );
  });

  it('refuses a TEMPORAL_CLI_PATH older than the minimum, naming both versions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-explicit-old-'));
    const path = fakeCli(dir, '1.1.1');
    await expect(ensureTemporalCli({ env: { TEMPORAL_CLI_PATH: path, PATH: noGoPath } })).rejects.toThrow(
      `version 1.1.1, older than the minimum ${MIN_TEMPORAL_CLI_VERSION}`,
    );
  });

  it('compares versions numerically, part by part', () => {
    for (const version of ['1.5.1', '1.5.2', '1.9.1', '1.10.0', '2.0.0', 'v1.6.0', '1.10.0-rc.1'])
      expect(isAtLeastMinimum(version, '1.5.1'), version).toBe(true);
    for (const version of ['1.5.0', '1.4.9', '1.1.1', '0.13.2', '0.0.0-DEV', 'garbage', undefined])
      expect(isAtLeastMinimum(version, '1.5.1'), String(version)).toBe(false);
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
