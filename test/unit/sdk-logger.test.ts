import { describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logging.ts';
import { temporalLoggerFor } from '../../workers/worker.ts';

function sdkLines(log: (logger: ReturnType<typeof temporalLoggerFor>) => void): { level: string; msg: string }[] {
  const lines: string[] = [];
  const logger = createLogger({ level: 'trace', destination: { write: (line: string) => void lines.push(line) } });
  log(temporalLoggerFor(logger));
  return lines.map((line) => JSON.parse(line) as { level: string; msg: string });
}

describe('the SDK’s log lines through charterflow’s logger', () => {
  it('keep their level, marked as the SDK’s', () => {
    const [line] = sdkLines((sdk) => sdk.warn('Activity not found on completion', { taskQueue: 'q' }));
    expect(line).toMatchObject({ level: 'warn', msg: 'Activity not found on completion', sdk: true, taskQueue: 'q' });
  });

  it('turn the activity-only worker’s expected “no workflows registered” warning into a debug line', () => {
    const [line] = sdkLines((sdk) =>
      sdk.warn('No workflows registered, not polling for workflow tasks', { taskQueue: 'q-avinode' }),
    );
    expect(line).toMatchObject({ level: 'debug', taskQueue: 'q-avinode' });
  });
});
