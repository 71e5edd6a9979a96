// Where rotating refresh tokens live between refreshes (AirVantage). Every refresh consumes the old
// token, so the new one must be saved before the new access token is handed out, and only one
// refresher per grant may run at a time.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
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

/** One JSON file (mode 0600) of grantId → refresh token, replaced atomically on every write. */
export class FileRefreshTokenStore implements RefreshTokenStore {
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

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

  private async read(): Promise<Record<string, string>> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.path, 'utf8'));
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new Error(`refresh token store ${this.path} is unreadable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).name}`);
    }
  }

  private update(change: (tokens: Record<string, string>) => void): Promise<void> {
    const next = this.writing.then(async () => {
      const tokens = await this.read();
      change(tokens);
      await mkdir(dirname(this.path), { recursive: true });
      const temporary = `${this.path}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(tokens), { mode: 0o600 });
      await rename(temporary, this.path);
    });
    this.writing = next.catch(() => undefined);
    return next;
  }
}
