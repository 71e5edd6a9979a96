// The package's entry points (package.json `exports`) load only what their users need: the client
// entry a backend imports pulls in nothing of the worker, the emulator or the test harness.
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Value imports (static, re-exports and dynamic) of a module; `import type`/`export type` are erased by tsc. */
function valueImportsOf(source: string): string[] {
  const specifiers: string[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const match of source.matchAll(statement)) if (!match[2]) specifiers.push(match[3]!);
  for (const match of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(match[1]!);
  return specifiers;
}

/** Every file and package an entry module loads, following relative imports through the sources. */
function loadedBy(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const specifier of valueImportsOf(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else
        packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
    }
  };
  visit(join(root, entry));
  return { files: [...files].map((file) => relative(root, file)).sort(), packages: [...packages].sort() };
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; import: string }>;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  files: string[];
};
const sourceOf = (target: string) => target.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts');

describe('package entry points', () => {
  it('map charterflow, charterflow/callbacks and charterflow/worker to compiled ESM with types', () => {
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './callbacks', './package.json', './worker']);
    for (const name of ['.', './callbacks', './worker']) {
      const target = pkg.exports[name] as { types: string; import: string };
      expect(target.import).toMatch(/^\.\/dist\/.+\.js$/);
      expect(target.types).toBe(target.import.replace(/\.js$/, '.d.ts'));
      expect(() => readFileSync(join(root, sourceOf(target.import)))).not.toThrow();
    }
    expect(pkg.files).toContain('dist');
    expect(pkg.bin.charterflow).toBe('./bin/charterflow.js');
  });

  it('keep the emulator, the test harness and the worker out of the client entry', () => {
    const { files, packages } = loadedBy(sourceOf((pkg.exports['.'] as { import: string }).import));
    expect(files).toContain('client/index.ts');
    expect(files.filter((file) => /^(emulator|test|scripts)\//.test(file))).toEqual([]);
    expect(files).not.toContain('workers/worker.ts');
    expect(packages).not.toContain('@temporalio/worker');
    expect(packages).not.toContain('@temporalio/testing');
    expect(packages).not.toContain('vitest');
  });

  it('keep the emulator and the test harness out of the callbacks and worker entries', () => {
    for (const name of ['./callbacks', './worker']) {
      const { files, packages } = loadedBy(sourceOf((pkg.exports[name] as { import: string }).import));
      expect(files.filter((file) => /^(emulator|test)\//.test(file))).toEqual([]);
      expect(packages.filter((name) => ['@temporalio/testing', 'vitest', 'tsx'].includes(name))).toEqual([]);
    }
  });

  it('need only production dependencies at run time: tsx runs the sources of a checkout, never the package', () => {
    expect(pkg.dependencies).not.toHaveProperty('tsx');
    const everything = ['.', './callbacks', './worker'].flatMap(
      (name) => loadedBy(sourceOf((pkg.exports[name] as { import: string }).import)).packages,
    );
    for (const name of new Set(everything)) {
      if (name.startsWith('node:')) continue;
      expect(Object.keys(pkg.dependencies), `${name} is loaded by an entry point`).toContain(name);
    }
  });
});
