// The cluster tier's one Temporal: the production-shaped cluster of workers/cluster/ (PostgreSQL,
// the Temporal server built from the module, PostgreSQL visibility). Test files read its address
// with inject('temporalAddress'), as the other tiers do for the dev server, so the stack harness
// works against it unchanged.
import type { TestProject } from 'vitest/node';
import { startCluster } from '../../workers/cluster/cluster.ts';

export default async function setup(project: TestProject) {
  const cluster = await startCluster({ progress: (line) => process.stderr.write(`[cluster] ${line}\n`) });
  process.stderr.write(
    `[cluster] ready at ${cluster.address} in ${cluster.timings.totalMs} ms (${JSON.stringify(cluster.timings)})\n`,
  );
  project.provide('temporalAddress', cluster.address);
  project.provide('temporalNamespace', cluster.namespace);
  project.provide('temporalCliPath', cluster.cliPath);
  return async () => {
    await cluster.stop();
  };
}
