// `npm run temporal:ensure`: prints the Temporal CLI's absolute path as its last line.
import { ensureTemporalCli, TemporalCliUnavailable } from '../workers/temporal-cli.ts';

try {
  const path = await ensureTemporalCli({ progress: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${path}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof TemporalCliUnavailable ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
