// Shared by the hostile-input tiers: run the real `charterflow` dispatcher in this process, with its
// output captured, and count who knocks on a port (a stand-in Temporal or Avinode that must stay untouched).
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { vi } from 'vitest';
import { main } from '../../client/cli.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `charterflow <argv…>` through client/cli.ts's main, as bin/charterflow.js runs it, with `env` as process.env. */
export async function runCli(argv: string[], env: Record<string, string>): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    vi.unstubAllEnvs();
  }
}

/** A stack trace line, as Node prints them (`    at fn (file:line:col)`). */
export const STACK_LINE = /^\s+at .+[(:]\d+/m;

/** A TCP port that counts connections and closes each at once: nothing behind it speaks any protocol. */
export async function countingPort(): Promise<{
  address: string;
  url: string;
  connections: () => number;
  close: () => Promise<void>;
}> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    count += 1;
    sockets.add(socket);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
