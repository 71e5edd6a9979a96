// Per test process: keep the Temporal runtime quiet (warnings and errors only) and never let it
// hijack SIGINT/SIGTERM from vitest.
import { DefaultLogger, Runtime } from '@temporalio/worker';

try {
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
} catch {
  // Already installed in this process by an earlier test file.
}
