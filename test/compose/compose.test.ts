// Static checks of the container deployment: docker-compose.yml, Dockerfile, .dockerignore.
// No Docker is needed: the files are parsed and their promises checked against the code.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseEmulatorArgs } from '../../emulator/cli.ts';
import { TEMPORAL_SERVER_VERSION } from '../../workers/cluster/server-build.ts';
import {
  DEPLOY_DIR,
  SERVER_ARGS,
  SERVER_CONFIG_ENV,
  serverEnvironment,
} from '../../workers/cluster/temporal-server.ts';
import { BASE_DYNAMIC_CONFIG } from '../../workers/dev-server.ts';
import { SEARCH_ATTRIBUTE_FLAGS, SearchAttributes } from '../../workflows/contract.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (name: string) => readFileSync(`${root}${name}`, 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | null> | string[];
  env_file?: string | (string | { path: string })[];
  ports?: (string | { published: string | number; target: number })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string };
  profiles?: string[];
  volumes?: string[];
}

const compose = parse(read('docker-compose.yml')) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;

function service(name: string): Service {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function envOf(name: string): Record<string, string> {
  const env = service(name).environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((line) => [line.split('=')[0]!, line.slice(line.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value === null ? '' : String(value)]));
}

/** Ports as "published:target" strings, whatever syntax the file uses. */
function portsOf(name: string): string[] {
  return (service(name).ports ?? []).map((port) =>
    typeof port === 'string'
      ? port.replace(/^(?:[\d.]+:)?(\d+):(\d+)(?:\/tcp)?$/, '$1:$2')
      : `${port.published}:${port.target}`,
  );
}

function dependencies(name: string): Record<string, string> {
  const dependsOn = service(name).depends_on ?? {};
  if (Array.isArray(dependsOn)) return Object.fromEntries(dependsOn.map((dep) => [dep, 'service_started']));
  return Object.fromEntries(Object.entries(dependsOn).map(([dep, spec]) => [dep, spec.condition ?? 'service_started']));
}

function commandOf(name: string): string[] {
  const command = service(name).command ?? [];
  return typeof command === 'string' ? command.split(/\s+/) : command;
}

/** Kahn's algorithm over depends_on; throws on a cycle or an unknown dependency. */
function startOrder(): string[] {
  const pending = new Map(Object.keys(services).map((name) => [name, new Set(Object.keys(dependencies(name)))]));
  for (const [name, deps] of pending) {
    for (const dep of deps) if (!(dep in services)) throw new Error(`${name} depends on unknown service ${dep}`);
  }
  const order: string[] = [];
  while (pending.size > 0) {
    const ready = [...pending].filter(([, deps]) => deps.size === 0).map(([name]) => name);
    if (ready.length === 0) throw new Error(`depends_on cycle among ${[...pending.keys()].join(', ')}`);
    for (const name of ready) {
      order.push(name);
      pending.delete(name);
      for (const deps of pending.values()) deps.delete(name);
    }
  }
  return order;
}

const dockerfile = read('Dockerfile');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => {
    const [keyword, ...rest] = line.split(/\s+/);
    return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
  });

describe('docker-compose.yml', () => {
  it('defines Temporal on PostgreSQL, its schema and admin jobs, its UI, the worker, the webhook receiver, the emulator and the codec endpoint', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'codec',
        'emulator',
        'postgresql',
        'temporal',
        'temporal-admin-tools',
        'temporal-schema',
        'temporal-ui',
        'webhooks',
        'worker',
      ].sort(),
    );
    expect(service('postgresql').image).toMatch(/^postgres:16/);
    // The server version `npm run cluster` builds from the Go module (and the dev server embeds).
    expect(service('temporal').image).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION}`);
    expect(service('temporal-schema').image).toBe(`temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`);
    expect(service('temporal-admin-tools').image).toBe(`temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`);
    expect(service('temporal-ui').image).toMatch(/^temporalio\/ui:/);
  });

  it('keeps PostgreSQL data in a named volume and checks its health with pg_isready', () => {
    const [volume] = service('postgresql').volumes ?? [];
    const volumeName = volume?.split(':')[0] ?? '';
    expect(Object.keys(compose.volumes ?? {})).toContain(volumeName);
    expect(JSON.stringify(service('postgresql').healthcheck?.test)).toContain('pg_isready');
  });

  /** Where a service mounts deploy/temporal/ (the launcher's DEPLOY_DIR). */
  function deployMount(name: string): string {
    const mount = service(name).volumes?.find((volume) => volume.startsWith('./deploy/temporal:'));
    const [, containerPath, mode] = mount?.split(':') ?? [];
    expect(mode, `${name} mounts deploy/temporal read-only`).toBe('ro');
    return containerPath!;
  }

  it('runs the server on the config template `npm run cluster` uses, pointed at the postgresql service', () => {
    const env = envOf('temporal');
    expect(env).toMatchObject({ DB_PORT: '5432', POSTGRES_SEEDS: 'postgresql', BIND_ON_IP: '0.0.0.0' });
    expect(env.POSTGRES_USER).toBeDefined();
    expect(env.POSTGRES_PASSWORD).toBeDefined();
    expect(JSON.stringify(service('temporal').healthcheck?.test)).toMatch(/cluster.*health/);
    // The same arguments as the launcher, with the container's mount as root.
    const root = deployMount('temporal');
    const launcherArgs = SERVER_ARGS.map((arg) => (arg === DEPLOY_DIR ? root : arg)).join(' ');
    expect(commandOf('temporal').join(' ')).toContain(`exec temporal-server ${launcherArgs}`);
    expect(commandOf('temporal').join(' ')).toContain('TEMPORAL_BROADCAST_ADDRESS=');

    // Every variable the template reads without a default is set by compose and by the launcher.
    const template = read(`deploy/temporal/server/${SERVER_CONFIG_ENV}.yaml`);
    expect(template.split('\n')[0]).toBe('# enable-template');
    const withoutDefault = [...template.matchAll(/env "([A-Z_]+)"\s*\)?\s*(\|\s*default)?/g)]
      .filter((m) => !m[2])
      .map((m) => m[1]!);
    expect(withoutDefault.sort()).toEqual(['POSTGRES_PASSWORD', 'POSTGRES_PASSWORD', 'POSTGRES_USER', 'POSTGRES_USER']);
    const launcher = serverEnvironment({}, { host: '127.0.0.1', port: 5432, user: 'u', password: 'p' }, 'warn');
    for (const name of new Set(withoutDefault)) {
      expect(env[name], `compose sets ${name}`).toBeDefined();
      expect(launcher[name], `the launcher sets ${name}`).toBeDefined();
    }
    // And each variable either sets is one the template reads.
    const read_ = new Set([...template.matchAll(/env "([A-Z_]+)"/g)].map((m) => m[1]!));
    for (const name of [...Object.keys(env), ...Object.keys(launcher), 'TEMPORAL_BROADCAST_ADDRESS'])
      expect(read_, `the template reads ${name}`).toContain(name);
  });

  it('applies the schema with temporal-sql-tool through the script `npm run cluster` runs', () => {
    const root = deployMount('temporal-schema');
    expect(service('temporal-schema').entrypoint).toEqual(['/bin/sh', `${root}/setup-schema.sh`]);
    expect(envOf('temporal-schema')).toMatchObject({ SQL_HOST: 'postgresql', SQL_PORT: '5432' });
    const script = read('deploy/temporal/setup-schema.sh');
    for (const name of script.matchAll(/: "\$\{([A-Z_]+):\?/g))
      expect(envOf('temporal-schema')[name[1]!], `temporal-schema sets ${name[1]}`).toBeDefined();
    expect(script).toContain('update-schema --schema-name "$schema"');
    expect(script).toContain('postgresql/v12/visibility');
  });

  it('gives Temporal the dynamic configuration of the embedded dev server, activity priorities included', () => {
    const root = deployMount('temporal');
    const containerPath = envOf('temporal').DYNAMIC_CONFIG_FILE_PATH!;
    expect(containerPath.startsWith(`${root}/`)).toBe(true);
    const file = parse(read(`deploy/temporal/${containerPath.slice(root.length + 1)}`)) as Record<
      string,
      { value: unknown }[]
    >;
    const values = Object.fromEntries(Object.entries(file).map(([key, constrained]) => [key, constrained[0]?.value]));
    expect(values).toEqual(BASE_DYNAMIC_CONFIG);
    expect(values['matching.useNewMatcher']).toBe(true);
  });

  it('serves the payload codec under its own profile, on the host loopback only, to the UI origins', () => {
    const codec = service('codec');
    expect(codec.profiles).toEqual(['codec']);
    expect(codec.command).toEqual(['codec', '--host', '0.0.0.0']);
    expect(codec.ports).toEqual(['127.0.0.1:8282:8282']);
    expect(envOf('codec').CODEC_ALLOWED_ORIGINS?.split(',')).toEqual([
      'http://127.0.0.1:8233',
      'http://localhost:8233',
    ]);
    expect(envOf('temporal-ui').TEMPORAL_CODEC_ENDPOINT).toBe('${TEMPORAL_CODEC_ENDPOINT:-}');
  });

  it('publishes the worker metrics on 9464, listening on all interfaces of its container', () => {
    expect(portsOf('worker')).toContain('9464:9464');
    expect(envOf('worker')).toMatchObject({ METRICS_HOST: '0.0.0.0', METRICS_PORT: '9464' });
  });

  it('publishes Temporal on 7233, the UI on 8233, webhooks on 8281 and the emulator on 8280', () => {
    expect(portsOf('temporal')).toContain('7233:7233');
    expect(portsOf('temporal-ui')).toContain('8233:8080');
    expect(envOf('temporal-ui').TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(portsOf('webhooks')).toContain('8281:8281');
    expect(portsOf('emulator')).toContain('8280:8280');
    expect(portsOf('worker')).toEqual(['9464:9464']); // metrics only: a worker takes no inbound calls
  });

  it('starts the emulator only under the emulator profile, listening on all interfaces of its container', () => {
    expect(service('emulator').profiles).toEqual(['emulator']);
    const optional = new Set(['emulator', 'codec']); // everything else starts with a plain `docker compose up`
    for (const name of Object.keys(services).filter((n) => !optional.has(n)))
      expect(service(name).profiles).toBeUndefined();
    const [subcommand, ...flags] = commandOf('emulator');
    expect(subcommand).toBe('emulator');
    expect(parseEmulatorArgs(flags).options).toMatchObject({ host: '0.0.0.0', port: 8280 });
  });

  it('orders the start: postgres healthy, the schema job done, Temporal healthy, the admin job done, then worker and webhooks', () => {
    expect(dependencies('temporal-schema')).toEqual({ postgresql: 'service_healthy' });
    expect(dependencies('temporal')).toEqual({ 'temporal-schema': 'service_completed_successfully' });
    expect(dependencies('temporal-admin-tools')).toEqual({ temporal: 'service_healthy' });
    expect(dependencies('temporal-ui')).toMatchObject({ temporal: 'service_healthy' });
    for (const name of ['worker', 'webhooks']) {
      expect(dependencies(name)).toEqual({
        temporal: 'service_healthy',
        'temporal-admin-tools': 'service_completed_successfully',
      });
    }
    // Every service_healthy dependency must have a healthcheck, or compose waits forever.
    for (const name of Object.keys(services)) {
      for (const [dep, condition] of Object.entries(dependencies(name))) {
        if (condition === 'service_healthy')
          expect(service(dep).healthcheck?.test, `${dep} needs a healthcheck`).toBeDefined();
      }
    }
    const order = startOrder();
    const position = (name: string) => order.indexOf(name);
    expect(position('postgresql')).toBeLessThan(position('temporal-schema'));
    expect(position('temporal-schema')).toBeLessThan(position('temporal'));
    expect(position('temporal')).toBeLessThan(position('temporal-admin-tools'));
    expect(position('temporal-admin-tools')).toBeLessThan(position('worker'));
    expect(position('temporal-admin-tools')).toBeLessThan(position('webhooks'));
  });

  it('builds worker and webhooks from this repository with their commands, .env and the Temporal address', () => {
    for (const name of ['worker', 'webhooks', 'emulator']) {
      expect(service(name).build).toBeDefined();
      expect([service(name).env_file].flat()).toContain('.env');
    }
    expect(commandOf('worker')).toEqual(['worker']);
    expect(commandOf('webhooks').slice(0, 1)).toEqual(['webhooks']);
    // A receiver bound to 127.0.0.1 inside its container would be unreachable through the port.
    expect(commandOf('webhooks').join(' ')).toContain('--host 0.0.0.0');
    for (const name of ['worker', 'webhooks']) expect(envOf(name).TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('writes no secret inline: every password, secret or token value is a ${…} reference', () => {
    const secretName = /PASSWORD|PWD|SECRET|TOKEN/i;
    const checked: string[] = [];
    for (const name of Object.keys(services)) {
      for (const [key, value] of Object.entries(envOf(name))) {
        if (!secretName.test(key)) continue;
        checked.push(`${name}.${key}`);
        expect(value, `${name}.${key}`).toMatch(/^\$\{[A-Z_][A-Z0-9_]*(?::?[?-][^}]*)?\}$/);
        expect(value, `${name}.${key} must not fall back to a default value`).not.toMatch(/:?-/);
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining([
        'postgresql.POSTGRES_PASSWORD',
        'temporal.POSTGRES_PASSWORD',
        'temporal-schema.SQL_PASSWORD',
      ]),
    );
    const text = read('docker-compose.yml');
    for (const localDefault of ['local-webhook-password', 'local-emulator-secret', 'local-emulator-static-token']) {
      expect(text).not.toContain(localDefault);
    }
  });

  it('registers exactly the search attributes of the workflow contract, idempotently', () => {
    const declared = envOf('temporal-admin-tools').SEARCH_ATTRIBUTES?.split(/\s+/).filter(Boolean) ?? [];
    expect([...declared].sort()).toEqual([...SEARCH_ATTRIBUTE_FLAGS].sort());
    expect(declared.map((flag) => flag.split('=')[0]).sort()).toEqual(
      Object.values(SearchAttributes)
        .map((key) => key.name)
        .sort(),
    );
    // The script `npm run cluster` runs against its server (which passes SEARCH_ATTRIBUTE_FLAGS).
    expect(service('temporal-admin-tools').entrypoint).toEqual([
      '/bin/sh',
      `${deployMount('temporal-admin-tools')}/setup-namespace.sh`,
    ]);
    expect(envOf('temporal-admin-tools')).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: 'default',
    });
    const script = read('deploy/temporal/setup-namespace.sh');
    expect(script).toContain(
      'operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" --name "$name" --type "$type"',
    );
    expect(script).toContain('for attribute in $SEARCH_ATTRIBUTES');
    expect(script).toMatch(/grep -qi "already"/);
  });
});

describe('Dockerfile', () => {
  const stages = instructions.reduce<{ name: string; steps: typeof instructions }[]>((all, instruction) => {
    if (instruction.keyword === 'FROM') all.push({ name: instruction.args.split(/\s+AS\s+/i)[1] ?? '', steps: [] });
    all.at(-1)?.steps.push(instruction);
    return all;
  }, []);
  const stage = (name: string) => stages.find((s) => s.name === name)!;

  it('builds in a build stage: all dependencies, then npm run build (dist/ and the prebuilt workflow bundle)', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(stage('build').steps[0]).toEqual({ keyword: 'FROM', args: 'node:20-bookworm-slim AS build' });
    const runs = stage('build')
      .steps.filter((i) => i.keyword === 'RUN')
      .map((i) => i.args);
    expect(runs).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toContain('build-workflow-bundle');
  });

  it('runs from a runtime stage with production dependencies and the compiled code only: no sources, no tsx', () => {
    const steps = stage('runtime').steps;
    expect(steps[0]).toEqual({ keyword: 'FROM', args: 'node:20-bookworm-slim AS runtime' });
    expect(steps.filter((i) => i.keyword === 'RUN').map((i) => i.args)).toEqual([
      'npm ci --omit=dev --no-audit --no-fund && npm cache clean --force',
    ]);
    const copied = steps.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copied).toEqual(['package.json package-lock.json ./', '--from=build /app/dist ./dist', 'bin ./bin']);
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
  });

  it('runs as the non-root node user through bin/charterflow.js, with the worker check as its healthcheck', () => {
    const steps = stage('runtime').steps;
    const userIndex = steps.map((i) => i.keyword).lastIndexOf('USER');
    expect(userIndex).toBeGreaterThan(-1);
    expect(steps[userIndex]!.args).toBe('node');
    const entrypoint = steps.find((i) => i.keyword === 'ENTRYPOINT');
    expect(JSON.parse(entrypoint!.args)).toEqual(['node', 'bin/charterflow.js']);
    expect(steps.findIndex((i) => i.keyword === 'ENTRYPOINT')).toBeGreaterThan(userIndex);
    const healthcheck = steps.find((i) => i.keyword === 'HEALTHCHECK')!;
    expect(JSON.parse(healthcheck.args.slice(healthcheck.args.indexOf('CMD ') + 4))).toEqual([
      'node',
      'bin/charterflow.js',
      'worker',
      '--check',
    ]);
    expect(service('worker').healthcheck?.test).toEqual(['CMD', 'node', 'bin/charterflow.js', 'worker', '--check']);
    expect(JSON.stringify(service('webhooks').healthcheck?.test)).toContain('/healthz');
  });

  it('copies the production sources into the build stage and never .env, tests or local tool folders', () => {
    const copied = instructions
      .filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((arg) => !arg.startsWith('--'))
          .slice(0, -1),
      );
    for (const folder of ['bin', 'activities', 'client', 'emulator', 'workers', 'workflows', 'scripts'])
      expect(copied).toContain(folder);
    for (const source of copied) expect(source).not.toMatch(/^(\.|\.\/)?$|\.env|^test|\.tools|\.data|node_modules/);
    expect(
      instructions
        .filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')
        .map((i) => i.args)
        .join(' '),
    ).not.toMatch(/PASSWORD|SECRET|TOKEN/i);
  });

  it('keeps .env, tests, tools, data and node_modules out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim());
    for (const entry of ['.env', 'test', '.tools', '.data', 'node_modules', '.git', 'dist'])
      expect(ignored).toContain(entry);
  });
});
