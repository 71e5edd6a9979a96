// Part of `npm run build`: writes dist/workflow-bundle.js (see workers/workflow-bundle.ts).
import { PREBUILT_WORKFLOW_BUNDLE_PATH, writeWorkflowBundle } from '../workers/workflow-bundle.ts';

const out = process.argv[2] ?? PREBUILT_WORKFLOW_BUNDLE_PATH;
const started = Date.now();
const { path, bytes } = await writeWorkflowBundle(out);
process.stdout.write(`workflow bundle: ${path} (${Math.round(bytes / 1024)} KiB) in ${Date.now() - started} ms\n`);
