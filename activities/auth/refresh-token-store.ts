// Where rotating refresh tokens live between refreshes (AirVantage). Every refresh consumes the old
// token, so the new one must be saved before the new access token is handed out, and only one
// refresher per grant may run at a time.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface RefreshTokenStore {
  load(grantId: string): Promise<string | undefined>;
  save(grantId: string, refreshToken: string): Promise<void>;
  delete(grantId: string): Promise<void>;
  /**
   * Optional fleet-wide lock around load → refresh → save. Without it only the per-process lock
   * applies, which is enough for one worker; a fleet sharing a grant needs a store that implements
   * this (e.g. a database row lock or a lease), or a single owning workflow.
   */
  withLock?<T>(grantId: string, run: () => Promise<T>): Promise<T>;
}

export class MemoryRefreshTokenStore implements RefreshTokenStore {
  private readonly tokens = new Map<string, string>();

  async load(grantId: string): Promise<string | undefined> {
    return this.tokens.get(grantId);
  }
  async save(grantId: string, refreshToken: string): Promise<void> {
    this.tokens.set(grantId, refreshToken);
  }
  async delete(grantId: string): Promise<void> {
    this.tokens.delete(grantId);
  }
}

/** The same store under the name the token-layer issue uses. */
export { MemoryRefreshTokenStore as InMemoryRefreshTokenStore };

export interface FileRefreshTokenStoreOptions {
  /** How long withLock waits for another process's lock before failing; default 30 s. */
  lockTimeoutMs?: number;
  /** A lock file older than this was left behind by a crashed process; default 120 s. */
  staleLockMs?: number;
}

/** One JSON file (mode 0600) of grantId → refresh token, replaced atomically on every write. */
export class FileRefreshTokenStore implements RefreshTokenStore {
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly options: FileRefreshTokenStoreOptions = {},
  ) {}

  async load(grantId: string): Promise<string | undefined> {
    return (await this.read())[grantId];
  }

  save(grantId: string, refreshToken: string): Promise<void> {
    return this.update((tokens) => {
      tokens[grantId] = refreshToken;
    });
  }

  delete(grantId: string): Promise<void> {
    return this.update((tokens) => {
      delete tokens[grantId];
    });
  }

  /**
   * Serialises refreshers of this file across processes on one host with an O_EXCL lock file
   * (`<path>.lock`). Workers on several hosts need a shared store with a real lock instead.
   */
  async withLock<T>(_grantId: string, run: () => Promise<T>): Promise<T> {
    const lockPath = `${this.path}.lock`;
    const deadline = performance.now() + (this.options.lockTimeoutMs ?? 30_000);
    await mkdir(dirname(this.path), { recursive: true });
    for (let pause = 10; ; pause = Math.min(pause * 2, 250)) {
      try {
        const handle = await open(lockPath, 'wx', 0o600);
        await handle.writeFile(String(process.pid));
        await handle.close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const ageMs = await stat(lockPath).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (ageMs > (this.options.staleLockMs ?? 120_000)) {
          await rm(lockPath, { force: true });
          continue;
        }
        if (performance.now() > deadline)
          throw new Error(`refresh token store ${this.path} stayed locked by another process (${lockPath})`);
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
    try {
      return await run();
    } finally {
      await rm(lockPath, { force: true });
    }
  }

  private async read(): Promise<Record<string, string>> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.path, 'utf8'));
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new Error(
        `refresh token store ${this.path} is unreadable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).name}`,
      );
    }
  }

  private update(change: (tokens: Record<string, string>) => void): Promise<void> {
    const next = this.writing.then(async () => {
      const tokens = await this.read();
      change(tokens);
      await mkdir(dirname(this.path), { recursive: true });
      // A fresh name per write (O_EXCL, so mode 0600 always applies) and fsync before the rename:
      // once save() resolves, the new refresh token survives a crash.
      const temporary = `${this.path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      const handle = await open(temporary, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(tokens));
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await rename(temporary, this.path);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    });
    this.writing = next.catch(() => undefined);
    return next;
  }
}
