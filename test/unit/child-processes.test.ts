import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { recentLines, watchChild } from '../../workers/child-processes.ts';

describe('the launchers’ child processes', () => {
  it('keep only the last lines they printed, without blank ones, each cut at the length asked', () => {
    const seen: string[] = [];
    const output = recentLines(2, { maxLineLength: 5, onLine: (line) => seen.push(line) });
    output.record('one\n\ntwo\n');
    output.record(Buffer.from('three-and-more\n'));
    expect(output.lines()).toEqual(['two', 'three…']);
    expect(seen).toEqual(['one', 'two', 'three-and-more']);
  });

  it('say how a process ended', async () => {
    const watched = watchChild(
      spawn(process.execPath, ['-e', 'console.log("bye"); process.exit(3)'], { stdio: ['ignore', 'pipe', 'pipe'] }),
      recentLines(5),
    );
    expect(watched.exitReason()).toBeUndefined();
    await watched.exited;
    expect(watched.exitReason()).toBe('exited with code 3');
  });

  it('say why a process could not be started', async () => {
    const watched = watchChild(
      spawn('/nonexistent/charterflow-binary', [], { stdio: ['ignore', 'pipe', 'pipe'] }),
      recentLines(5),
    );
    await watched.exited;
    expect(watched.exitReason()).toMatch(/^could not be started: .*ENOENT/);
    expect(watched.spawnError()).toBeInstanceOf(Error);
  });

  it('kill a process that ignores the stop signal once the grace period has passed', async () => {
    const output = recentLines(5);
    const stubborn = spawn(
      process.execPath,
      ['-e', 'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const watched = watchChild(stubborn, output);
    await expect.poll(() => output.lines()).toContain('ready');
    await watched.stop('SIGTERM', 200);
    expect(watched.exitReason()).toBe('exited with SIGKILL');
  });
});
