// The workflow bundle a worker runs. From a source checkout the worker bundles workflows/index.ts
// with webpack at start (always current); `npm run build` prebuilds dist/workflow-bundle.js with
// bundleWorkflowCode, as temporalio/samples-typescript `production` does, and the compiled worker
// loads it with `workflowBundle: { codePath }`: no webpack at start, and the image runs exactly
// the workflow code that was built (and replay-checked) in CI.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger as TemporalLogger } from '@temporalio/common';

/** True when this module runs from dist/ (compiled JavaScript), false from the TypeScript sources. */
export const RUNNING_COMPILED = !import.meta.url.endsWith('.ts');

/** The bundle entry: workflow functions only (workflows/index.ts, or its compiled dist/workflows/index.js). */
export const WORKFLOWS_PATH = fileURLToPath(
  new URL(`../workflows/index.${RUNNING_COMPILED ? 'js' : 'ts'}`, import.meta.url),
);

/** Where `npm run build` writes the prebuilt bundle: dist/workflow-bundle.js. */
export const PREBUILT_WORKFLOW_BUNDLE_PATH = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));

export type WorkflowSource =
  { workflowBundle: WorkflowBundleOption; workflowsPath?: never } | { workflowsPath: string; workflowBundle?: never };

/** The compiled worker uses the prebuilt bundle when it exists; the sources are bundled at start. */
export function defaultWorkflowSource(): WorkflowSource {
  if (RUNNING_COMPILED && existsSync(PREBUILT_WORKFLOW_BUNDLE_PATH))
    return { workflowBundle: { codePath: PREBUILT_WORKFLOW_BUNDLE_PATH } };
  return { workflowsPath: WORKFLOWS_PATH };
}

/** Human-readable: which workflow code a worker runs (logged at start). */
export function describeWorkflowSource(source: WorkflowSource): string {
  if (source.workflowsPath) return `bundling ${source.workflowsPath} at start`;
  const bundle = source.workflowBundle as { codePath?: string };
  return bundle.codePath ? `prebuilt bundle ${bundle.codePath}` : 'a bundle given in memory';
}

const silent: TemporalLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/**
 * Bundles the workflows into one file (code with its inline source map) for `workflowBundle: { codePath }`.
 * A workflow that imports a Node built-in or an activity value fails here, at build time.
 */
export async function writeWorkflowBundle(
  outPath: string = PREBUILT_WORKFLOW_BUNDLE_PATH,
  options: { workflowsPath?: string; logger?: TemporalLogger } = {},
): Promise<{ path: string; bytes: number }> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: options.workflowsPath ?? WORKFLOWS_PATH,
    logger: options.logger ?? silent,
  });
  await mkdir(dirname(outPath), { recursive: true });
  await writeFile(outPath, code);
  return { path: outPath, bytes: Buffer.byteLength(code) };
}
