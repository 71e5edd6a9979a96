// The refresh-token stores: atomic 0600 writes, a clear error for a damaged file, and a lock that
// keeps two refreshers of one file apart.
import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FileRefreshTokenStore,
  InMemoryRefreshTokenStore,
  MemoryRefreshTokenStore,
} from '../../../activities/auth/index.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'refresh-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileRefreshTokenStore', () => {
  it('keeps every grant when many saves race, and leaves no temporary files behind', async () => {
    const path = join(dir, 'grants.json');
    const a = new FileRefreshTokenStore(path);
    await Promise.all(Array.from({ length: 20 }, (_, i) => a.save(`grant-${i}`, `refresh-${i}`)));
    const reopened = new FileRefreshTokenStore(path);
    for (let i = 0; i < 20; i += 1) expect(await reopened.load(`grant-${i}`)).toBe(`refresh-${i}`);
    expect(await readdir(dir)).toEqual(['grants.json']);
  });

  it('replaces a file that was world-readable with a 0600 one', async () => {
    const path = join(dir, 'grants.json');
    await writeFile(path, '{}', { mode: 0o644 });
    await new FileRefreshTokenStore(path).save('g', 'r');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('refuses to read a damaged file instead of silently losing the grants, without echoing its content', async () => {
    const path = join(dir, 'grants.json');
    await writeFile(path, '{"g": "refresh-secret-value"', { mode: 0o600 });
    const error = await new FileRefreshTokenStore(path).load('g').catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('unreadable');
    expect((error as Error).message).not.toContain('refresh-secret-value');
  });

  it('lets only one holder of the lock run at a time, across store instances of the same file', async () => {
    const path = join(dir, 'grants.json');
    const stores = [new FileRefreshTokenStore(path), new FileRefreshTokenStore(path), new FileRefreshTokenStore(path)];
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(
      stores.map((store, i) =>
        store.withLock('g', async () => {
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          // yield to the event loop a few times so overlapping holders would be seen
          for (let k = 0; k < 5; k += 1) await new Promise((resolve) => setImmediate(resolve));
          order.push(i);
          inside -= 1;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('releases the lock when the locked work fails', async () => {
    const store = new FileRefreshTokenStore(join(dir, 'grants.json'));
    await expect(store.withLock('g', async () => Promise.reject(new Error('refresh failed')))).rejects.toThrow(
      'refresh failed',
    );
    expect(await store.withLock('g', async () => 'again')).toBe('again');
  });

  it('takes over a lock file left behind by a crashed process', async () => {
    const path = join(dir, 'grants.json');
    await writeFile(`${path}.lock`, '99999');
    const old = new Date(Date.now() - 10 * 60_000);
    await utimes(`${path}.lock`, old, old);
    expect(await new FileRefreshTokenStore(path, { staleLockMs: 60_000 }).withLock('g', async () => 'ran')).toBe('ran');
  });

  it('gives up with a clear error when another process keeps the lock', async () => {
    const path = join(dir, 'grants.json');
    await writeFile(`${path}.lock`, '12345');
    const error = await new FileRefreshTokenStore(path, { lockTimeoutMs: 30 })
      .withLock('g', async () => 'ran')
      .catch((e: unknown) => e as Error);
    expect((error as Error).message).toContain('locked by another process');
  });
});

describe('InMemoryRefreshTokenStore', () => {
  it('is the memory store under the name the issue uses, and forgets deleted grants', async () => {
    expect(InMemoryRefreshTokenStore).toBe(MemoryRefreshTokenStore);
    const store = new InMemoryRefreshTokenStore();
    await store.save('g', 'r1');
    await store.save('g', 'r2');
    expect(await store.load('g')).toBe('r2');
    await store.delete('g');
    expect(await store.load('g')).toBeUndefined();
  });
});
