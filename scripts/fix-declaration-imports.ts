// Part of `npm run build`: tsc rewrites the sources' relative `.ts` imports to `.js` in the emitted
// JavaScript (rewriteRelativeImportExtensions) but leaves them as `.ts` in the .d.ts files. TypeScript
// 5 resolves those, older compilers and some tools do not: point them at the .js files too.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = fileURLToPath(new URL('..', import.meta.url));
// Only ever the compiled copy in dist/scripts/ (from the sources it would walk node_modules).
if (basename(DIST) !== 'dist')
  throw new Error(
    `run the compiled script (node dist/scripts/fix-declaration-imports.js), not ${fileURLToPath(import.meta.url)}`,
  );
const RELATIVE_TS_SPECIFIER = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g;

let changed = 0;
for (const entry of await readdir(DIST, { recursive: true })) {
  if (!entry.endsWith('.d.ts')) continue;
  const path = join(DIST, entry);
  const text = await readFile(path, 'utf8');
  const rewritten = text.replace(RELATIVE_TS_SPECIFIER, '$1$2.js$3');
  if (rewritten !== text) {
    await writeFile(path, rewritten);
    changed += 1;
  }
}
process.stdout.write(`declarations: relative imports point at .js in ${changed} files\n`);
