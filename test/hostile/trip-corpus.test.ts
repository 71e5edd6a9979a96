// Hostile trip requests, through every door a trip comes in: `charterflow trip start` and
// `charterflow avinode create-trip` (the real dispatcher, in process) and CharterClient.startTrip
// (a real Temporal connection). Each bad request must get an error naming the problem, a non-zero
// exit code, no stack trace, and must reach neither Temporal nor Avinode.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CharterClient, TripRequestInvalid } from '../../client/index.ts';
import { problemText } from '../../workflows/failures.ts';
import { countingPort, runCli, STACK_LINE } from './support.ts';

const DAY = 86_400_000;
const futureDate = (days = 30) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);
const DATE = futureDate(30);

type Flags = Record<string, string | null>;
const BASE_FLAGS: Flags = { from: 'KTEB', to: 'KPBI', date: DATE, pax: '5' };

/** argv of the base trip with `changes` applied (null removes a flag); `extra` is appended as is. */
function argvOf(changes: Flags, extra: string[] = []): string[] {
  const flags = { ...BASE_FLAGS, ...changes };
  return [...Object.entries(flags).flatMap(([name, value]) => (value === null ? [] : [`--${name}`, value])), ...extra];
}

interface FlagCase {
  name: string;
  argv: string[];
  /** What stderr must say: the flag and the problem. */
  error: RegExp;
  /** Only `trip start` declares --deadline, --on-reset and --callback-url. */
  tripStartOnly?: boolean;
}

const flagCases: FlagCase[] = [
  // airport codes
  {
    name: 'a 3-letter IATA code',
    argv: argvOf({ from: 'TEB' }),
    error: /--from must be a 4-character ICAO airport code/,
  },
  { name: 'a 5-character code', argv: argvOf({ to: 'KPBIX' }), error: /--to must be a 4-character ICAO airport code/ },
  {
    name: 'dotless i that upper-cases to I',
    argv: argvOf({ from: 'ıııı' }),
    error: /--from must be a 4-character ICAO airport code/,
  },
  {
    name: 'long s that upper-cases to S',
    argv: argvOf({ from: 'KTEſ' }),
    error: /--from must be a 4-character ICAO airport code/,
  },
  {
    name: 'full-width letters',
    argv: argvOf({ from: 'ＫＴＥＢ' }),
    error: /--from must be a 4-character ICAO airport code/,
  },
  { name: 'Greek look-alikes', argv: argvOf({ to: 'ΚΡΒΙ' }), error: /--to must be a 4-character ICAO airport code/ },
  {
    name: 'a space inside the code',
    argv: argvOf({ from: 'KT B' }),
    error: /--from must be a 4-character ICAO airport code/,
  },
  { name: 'the same airport twice', argv: argvOf({ to: 'kteb' }), error: /--to must differ from --from \(KTEB\)/ },
  {
    name: 'a prototype key as a code',
    argv: argvOf({ from: '__proto__' }),
    error: /--from must be a 4-character ICAO airport code/,
  },
  {
    name: 'a 100 kB code',
    argv: argvOf({ from: 'K'.repeat(100_000) }),
    error: /--from must be a 4-character ICAO airport code/,
  },
  // dates
  { name: 'a date that does not exist', argv: argvOf({ date: '2027-02-30' }), error: /--date is not a calendar date/ },
  { name: 'a day-first date', argv: argvOf({ date: '14/12/2026' }), error: /--date must be YYYY-MM-DD/ },
  { name: 'a date with a time', argv: argvOf({ date: `${DATE}T09:30` }), error: /--date must be YYYY-MM-DD/ },
  { name: 'a past date', argv: argvOf({ date: '2020-01-01' }), error: /--date 2020-01-01 is in the past/ },
  {
    name: 'a date in the year 9999',
    argv: argvOf({ date: '9999-12-31' }),
    error: /--date 9999-12-31 is more than 731 days ahead/,
  },
  {
    name: 'a return before the departure',
    argv: argvOf({ 'return-date': futureDate(10) }),
    error: /--return-date \S+ is before --date/,
  },
  { name: 'a blank required date', argv: argvOf({ date: ' ' }), error: /missing --date/ },
  // times
  { name: 'hour 24', argv: argvOf({ time: '24:00' }), error: /--time must be HH:MM \(24 h\)/ },
  { name: 'a one-digit hour', argv: argvOf({ time: '9:30' }), error: /--time must be HH:MM \(24 h\)/ },
  { name: 'an empty time', argv: argvOf({ time: '' }), error: /--time is empty/ },
  {
    name: 'a return time without a return date',
    argv: argvOf({ 'return-time': '10:00' }),
    error: /--return-time needs --return-date/,
  },
  {
    name: 'an impossible return time',
    argv: argvOf({ 'return-date': futureDate(33), 'return-time': '25:61' }),
    error: /--return-time must be HH:MM \(24 h\)/,
  },
  // passengers
  { name: 'zero passengers', argv: argvOf({ pax: '0' }), error: /--pax must be at least 1/ },
  { name: 'negative passengers', argv: argvOf({ pax: null }, ['--pax=-3']), error: /--pax must be at least 1/ },
  {
    name: 'a negative count that parseArgs takes for a flag',
    argv: argvOf({ pax: '-3' }),
    error: /Option '--pax' argument is ambiguous/,
  },
  { name: 'more passengers than any aircraft seats', argv: argvOf({ pax: '201' }), error: /--pax must be at most 200/ },
  { name: 'half a passenger', argv: argvOf({ pax: '2.5' }), error: /--pax must be a whole number/ },
  { name: 'an exponent', argv: argvOf({ pax: '1e1' }), error: /--pax must be a number/ },
  { name: 'a hexadecimal count', argv: argvOf({ pax: '0x10' }), error: /--pax must be a number/ },
  { name: 'ten thousand digits', argv: argvOf({ pax: '9'.repeat(10_000) }), error: /--pax must be a number/ },
  { name: 'no passenger count at all', argv: argvOf({ pax: null }), error: /missing --pax/ },
  // categories
  {
    name: 'an unknown category',
    argv: argvOf({ category: 'Jumbo' }),
    error: /--category must be one of: Piston, .*Midsize jet/,
  },
  {
    name: 'a prototype method as the category',
    argv: argvOf({ category: 'constructor' }),
    error: /--category must be one of/,
  },
  { name: 'an empty category', argv: argvOf({ category: '' }), error: /--category is empty/ },
  // external ids
  {
    name: 'a path as the external id',
    argv: argvOf({ 'external-id': '../etc/passwd' }),
    error: /--external-id must be 1-100 characters/,
  },
  {
    name: 'a 101-character external id',
    argv: argvOf({ 'external-id': 'R'.repeat(101) }),
    error: /--external-id must be 1-100 characters/,
  },
  {
    name: 'non-ASCII letters in the external id',
    argv: argvOf({ 'external-id': 'réq-ü1' }),
    error: /--external-id must be 1-100 characters/,
  },
  {
    name: 'a right-to-left override in the external id',
    argv: argvOf({ 'external-id': 'req\u202e1' }),
    error: /--external-id must be 1-100 characters/,
  },
  {
    name: 'an empty external id',
    argv: argvOf({ 'external-id': '' }),
    error: /--external-id is empty|--external-id must be 1-100 characters/,
  },
  // unknown flags and several problems at once
  { name: 'a misspelt flag', argv: argvOf({}, ['--frm', 'KTEB']), error: /Unknown option '--frm'/ },
  {
    name: 'two bad flags named together',
    argv: argvOf({ from: 'TEB', pax: '0' }),
    error: /2 problems with the trip flags:\n\s+- --from must be .*\n\s+- --pax must be at least 1/,
  },
  // deadlines and policies (trip start only)
  {
    name: 'a deadline in words',
    argv: argvOf({ deadline: 'tomorrow' }),
    error: /--deadline\/--until: "tomorrow" is neither an ISO-8601 instant/,
    tripStartOnly: true,
  },
  {
    name: 'a bare year as the deadline',
    argv: argvOf({ deadline: '2030' }),
    error: /--deadline\/--until: "2030" is neither an ISO-8601 instant/,
    tripStartOnly: true,
  },
  {
    name: 'a deadline too large for a date',
    argv: argvOf({ deadline: '99999999999d' }),
    error: /--deadline\/--until: "99999999999d" is neither/,
    tripStartOnly: true,
  },
  {
    name: 'a deadline in the past',
    argv: argvOf({ deadline: '2020-01-01T00:00:00Z' }),
    error: /--deadline must be in the future/,
    tripStartOnly: true,
  },
  {
    name: 'a deadline 2,700 years ahead',
    argv: argvOf({ deadline: '999999d' }),
    error: /--deadline must be at most 731 days ahead/,
    tripStartOnly: true,
  },
  {
    name: 'an unknown reset policy',
    argv: argvOf({ 'on-reset': 'sometimes' }),
    error: /--on-reset must be recreate or fail/,
    tripStartOnly: true,
  },
  {
    name: 'a plain-HTTP callback to another host',
    argv: argvOf({ 'callback-url': 'http://hooks.example.com/charter' }),
    error: /--callback-url must use https:\/\/ for a non-loopback host/,
    tripStartOnly: true,
  },
  {
    name: 'credentials inside the callback URL',
    argv: argvOf({ 'callback-url': 'https://user:pw@hooks.example.com/' }),
    error: /--callback-url must not carry credentials/,
    tripStartOnly: true,
  },
  {
    name: 'a callback that is not a URL (found by the fuzzer: a TypeError before)',
    argv: argvOf({ 'callback-url': '0000-00-00' }),
    error: /--callback-url must be an http\(s\) URL/,
    tripStartOnly: true,
  },
  {
    name: 'a javascript: callback',
    argv: argvOf({ 'callback-url': 'javascript:alert(1)' }),
    error: /--callback-url must be an http\(s\) URL/,
    tripStartOnly: true,
  },
];

interface ObjectCase {
  name: string;
  input: () => unknown;
  /** At least one problem must match: field path, then the message. */
  problem: RegExp;
}

const leg = (changes: Record<string, unknown> = {}) => ({
  from: 'KTEB',
  to: 'KPBI',
  date: DATE,
  time: '09:30',
  pax: 5,
  ...changes,
});
const request = (changes: Record<string, unknown> = {}) => ({ externalId: 'hostile-1', legs: [leg()], ...changes });

const objectCases: ObjectCase[] = [
  { name: 'null', input: () => null, problem: /^request: Invalid input: expected object, received null$/ },
  { name: 'a string', input: () => 'KTEB-KPBI', problem: /^request: Invalid input: expected object/ },
  { name: 'an array', input: () => [request()], problem: /^request: Invalid input: expected object, received array$/ },
  { name: 'an empty object', input: () => ({}), problem: /^externalId: is required$/ },
  { name: 'no legs', input: () => request({ legs: [] }), problem: /^legs: at least one leg is required$/ },
  {
    name: 'thirteen legs',
    input: () => request({ legs: Array.from({ length: 13 }, () => leg()) }),
    problem: /^legs: at most 12 legs$/,
  },
  {
    name: 'legs as an array-like object',
    input: () => request({ legs: { 0: leg(), length: 1 } }),
    problem: /^legs: must be a list of legs$/,
  },
  {
    name: 'a 3-letter code',
    input: () => request({ legs: [leg({ from: 'kte' })] }),
    problem: /^legs\[0\]\.from: must be a 4-character ICAO airport code/,
  },
  {
    name: 'a code that only upper-cases into shape',
    input: () => request({ legs: [leg({ to: 'KPBı' })] }),
    problem: /^legs\[0\]\.to: must be a 4-character ICAO airport code/,
  },
  {
    name: 'a numeric code',
    input: () => request({ legs: [leg({ from: 1234 })] }),
    problem: /^legs\[0\]\.from: must be text$/,
  },
  {
    name: 'month 13',
    input: () => request({ legs: [leg({ date: '2027-13-01' })] }),
    problem: /^legs\[0\]\.date: is not a calendar date$/,
  },
  {
    name: 'a Date object as the date',
    input: () => request({ legs: [leg({ date: new Date() })] }),
    problem: /^legs\[0\]\.date: must be text$/,
  },
  {
    name: 'a time with seconds',
    input: () => request({ legs: [leg({ time: '09:30:00' })] }),
    problem: /^legs\[0\]\.time: must be HH:MM/,
  },
  {
    name: 'pax as text',
    input: () => request({ legs: [leg({ pax: '5' })] }),
    problem: /^legs\[0\]\.pax: must be a number$/,
  },
  {
    name: 'pax NaN',
    input: () => request({ legs: [leg({ pax: Number.NaN })] }),
    problem: /^legs\[0\]\.pax: must be a number$/,
  },
  {
    name: 'pax as a BigInt',
    input: () => request({ legs: [leg({ pax: 5n })] }),
    problem: /^legs\[0\]\.pax: must be a number$/,
  },
  {
    name: 'pax Infinity',
    input: () => request({ legs: [leg({ pax: Number.POSITIVE_INFINITY })] }),
    problem: /^legs\[0\]\.pax: must be a number$/,
  },
  {
    name: 'pax 1.5',
    input: () => request({ legs: [leg({ pax: 1.5 })] }),
    problem: /^legs\[0\]\.pax: must be a whole number$/,
  },
  {
    name: 'a second leg before the first',
    input: () =>
      request({ legs: [leg({ date: futureDate(40) }), leg({ from: 'KPBI', to: 'KTEB', date: futureDate(35) })] }),
    problem: /^legs\[1\]\.date: \S+ is before legs\[0\]\.date/,
  },
  {
    name: 'pax inherited from a prototype',
    input: () =>
      request({ legs: [Object.assign(Object.create({ pax: 5 }), { from: 'KTEB', to: 'KPBI', date: DATE })] }),
    problem: /^legs\[0\]\.pax: is required$/,
  },
  {
    name: 'the external id inherited from a prototype',
    input: () => Object.assign(Object.create({ externalId: 'inherited-1' }), { legs: [leg()] }),
    problem: /^externalId: is required$/,
  },
  {
    name: 'an own __proto__ key (JSON.parse keeps it)',
    input: () =>
      JSON.parse(
        `{"externalId":"p1","legs":[${JSON.stringify(leg())}],"__proto__":{"callbackUrl":"https://attacker.example/"}}`,
      ),
    problem: /^request: unknown field "__proto__"/,
  },
  {
    name: 'a constructor key',
    input: () => request({ constructor: { prototype: { polluted: true } } }),
    problem: /^request: unknown field "constructor"/,
  },
  {
    name: 'a misspelt field',
    input: () => request({ quoteDeadLine: '2027-01-01T00:00:00Z' }),
    problem: /^request: unknown field "quoteDeadLine" \(not part of a trip request; check the spelling\)$/,
  },
  {
    name: 'an unknown leg field',
    input: () => request({ legs: [leg({ passengers: 5 })] }),
    problem: /^legs\[0\]: unknown field "passengers"/,
  },
  {
    name: 'a prototype method as the category',
    input: () => request({ aircraftCategory: 'toString' }),
    problem: /^aircraftCategory: must be one of: Piston/,
  },
  {
    name: 'a deadline without a time',
    input: () => request({ quoteDeadline: futureDate(5) }),
    problem: /^quoteDeadline: must be an ISO-8601 instant/,
  },
  {
    name: 'a deadline in the past',
    input: () => request({ quoteDeadline: '2020-01-01T00:00:00Z' }),
    problem: /^quoteDeadline: must be in the future$/,
  },
  {
    name: 'a deadline in the year 9999',
    input: () => request({ quoteDeadline: '9999-12-31T23:59:59Z' }),
    problem: /^quoteDeadline: must be at most 731 days ahead$/,
  },
  {
    name: 'an upper-case reset policy',
    input: () => request({ onReset: 'RECREATE' }),
    problem: /^onReset: must be recreate or fail$/,
  },
  {
    name: 'an empty callback URL (found by the fuzzer: a TypeError before)',
    input: () => request({ callbackUrl: '' }),
    problem: /^callbackUrl: must be an http\(s\) URL$/,
  },
  {
    name: 'an ftp callback',
    input: () => request({ callbackUrl: 'ftp://hooks.example.com/' }),
    problem: /^callbackUrl: must be an http\(s\) URL$/,
  },
  {
    name: 'a plain-HTTP callback that only looks local',
    input: () => request({ callbackUrl: 'http://localhost.attacker.example/' }),
    problem: /^callbackUrl: must use https:\/\/ for a non-loopback host$/,
  },
  {
    name: 'a callback URL carrying a password',
    input: () => request({ callbackUrl: 'https://ops:s3cret@hooks.example.com/' }),
    problem: /^callbackUrl: must not carry credentials/,
  },
  {
    name: 'a 5 ms poll interval',
    input: () => request({ timing: { pollInitialMs: 5 } }),
    problem: /^timing\.pollInitialMs: Too small/,
  },
  {
    name: 'a maximum below the first interval',
    input: () => request({ timing: { pollInitialMs: 2_000, pollMaxMs: 1_000 } }),
    problem: /^timing\.pollMaxMs: must be at least timing\.pollInitialMs$/,
  },
  {
    name: 'an unknown timing field',
    input: () => request({ timing: { pollEveryMs: 1 } }),
    problem: /^timing: unknown field "pollEveryMs"/,
  },
  {
    name: 'notes over 2000 characters',
    input: () => request({ notes: 'n'.repeat(2_001) }),
    problem: /^notes: must be at most 2000 characters$/,
  },
  {
    name: 'terminal escape codes in the notes',
    input: () => request({ notes: 'VIP \u001b[2J\u001b[31mcleared' }),
    problem: /^notes: must not contain control characters/,
  },
  {
    name: 'a NUL byte in the notes',
    input: () => request({ notes: 'gate\u0000B' }),
    problem: /^notes: must not contain control characters/,
  },
  {
    name: 'an external id with a space',
    input: () => request({ externalId: 'REQ 1042' }),
    problem: /^externalId: must be 1-100 characters/,
  },
  {
    name: 'an empty external id',
    input: () => request({ externalId: '' }),
    problem: /^externalId: must be 1-100 characters/,
  },
  {
    name: 'an emoji external id',
    input: () => request({ externalId: '✈️-1' }),
    problem: /^externalId: must be 1-100 characters/,
  },
  {
    name: 'a header injection in the act-as account',
    input: () => request({ actAsAccount: 'ops@example.com\r\nX-Avinode-ApiToken: stolen' }),
    problem: /^actAsAccount: must not contain line breaks/,
  },
  {
    name: 'a string as endWhenAllAnswered',
    input: () => request({ endWhenAllAnswered: 'yes' }),
    problem: /^endWhenAllAnswered: must be true or false$/,
  },
  {
    name: 'five thousand legs',
    input: () => request({ legs: Array.from({ length: 5_000 }, () => leg()) }),
    problem: /^request: too large or too deeply nested/,
  },
  {
    name: 'deeply nested timing',
    input: () => request({ timing: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) }),
    problem: /^request: too large or too deeply nested/,
  },
];

let temporal: Awaited<ReturnType<typeof countingPort>>;
let avinode: Awaited<ReturnType<typeof countingPort>>;
let connection: Connection;
let charter: CharterClient;
/** Every workflow start CharterClient attempts; the interceptor stops it before the server. */
const starts: string[] = [];
const startedRequests: Record<string, unknown>[] = [];
const STOPPED = 'stopped before the server by the test interceptor';

beforeAll(async () => {
  temporal = await countingPort();
  avinode = await countingPort();
  connection = await Connection.connect({ address: inject('temporalAddress') });
  const refuse = async (input: { workflowType?: string; workflowStartOptions?: { args?: unknown[] } }) => {
    starts.push(input.workflowType ?? 'update-with-start');
    startedRequests.push(input.workflowStartOptions?.args?.[0] as Record<string, unknown>);
    throw new Error(STOPPED);
  };
  const client = new Client({
    connection,
    namespace: inject('temporalNamespace'),
    interceptors: {
      workflow: [{ start: refuse, startWithDetails: refuse, signalWithStart: refuse, startUpdateWithStart: refuse }],
    },
  });
  charter = new CharterClient(client, { taskQueue: 'hostile-never-polled' });
});
afterAll(async () => {
  await connection?.close();
  await temporal?.close();
  await avinode?.close();
});

/** Environment of the CLI runs: Temporal and Avinode are ports that count every connection. */
const cliEnv = () => ({
  TEMPORAL_ADDRESS: temporal.address,
  AVINODE_BASE_URL: `${avinode.url}/api`,
  AVINODE_API_TOKEN: '00000000-0000-4000-8000-0000000000aa',
  AVINODE_CLIENT_ID: 'hostile-client',
  AVINODE_CLIENT_SECRET: 'hostile-client-secret',
  AVINODE_CLIENT_AUTH_METHOD: 'client_secret_post',
  LOG_LEVEL: 'silent',
});

function expectRefused(run: { code: number; stdout: string; stderr: string }, error: RegExp) {
  expect(run.stderr).toMatch(error);
  expect(run.code).not.toBe(0);
  expect(run.stderr).not.toMatch(STACK_LINE);
  expect(run.stdout).toBe('');
}

describe('hostile trip flags', () => {
  it(`has at least 40 flag cases (${flagCases.length})`, () => {
    expect(flagCases.length).toBeGreaterThanOrEqual(40);
  });

  for (const testCase of flagCases) {
    it(`trip start refuses ${testCase.name}`, async () => {
      const run = await runCli(['trip', 'start', ...testCase.argv], cliEnv());
      expectRefused(run, testCase.error);
      expect(temporal.connections()).toBe(0);
    });
  }

  for (const testCase of flagCases.filter((c) => !c.tripStartOnly)) {
    it(`avinode create-trip refuses ${testCase.name}`, async () => {
      const run = await runCli(['avinode', 'create-trip', ...testCase.argv.map((arg) => arg)], cliEnv());
      expectRefused(run, new RegExp(testCase.error.source.replace(/^\^/, ''), testCase.error.flags));
      expect(avinode.connections()).toBe(0);
    });
  }

  it('with good flags the same commands do reach Temporal and Avinode, so the zero counts above mean something', async () => {
    const start = await runCli(['trip', 'start', ...argvOf({})], cliEnv());
    expect(start.stderr).toContain(`cannot reach Temporal at ${temporal.address}`);
    expect(start.code).toBe(2);
    expect(temporal.connections()).toBeGreaterThan(0);
    const create = await runCli(['avinode', 'create-trip', ...argvOf({})], cliEnv());
    expect(create.stderr).toMatch(/AvinodeUnavailable: avinode token endpoint .* unreachable/);
    expect(create.code).toBe(1);
    expect(avinode.connections()).toBeGreaterThan(0);
  });

  it('the installed command exits non-zero with the message alone, no stack trace', () => {
    const bin = fileURLToPath(new URL('../../bin/charterflow.js', import.meta.url));
    for (const [argv, code, error] of [
      [['trip', 'start', ...argvOf({ pax: '0' })], 2, /--pax must be at least 1/],
      [['avinode', 'create-trip', ...argvOf({ from: 'ıııı' })], 2, /--from must be a 4-character ICAO airport code/],
      [['trip', 'start', ...argvOf({}, ['--frm', 'KTEB'])], 1, /Unknown option '--frm'/],
    ] as const) {
      const result = spawnSync(process.execPath, [bin, ...argv], {
        env: { ...process.env, ...cliEnv() },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.stderr).toMatch(error);
      expect(result.status).toBe(code);
      expect(result.stderr).not.toMatch(STACK_LINE);
    }
  });
});

describe('hostile CharterClient.startTrip objects', () => {
  it(`has at least 40 object cases (${objectCases.length})`, () => {
    expect(objectCases.length).toBeGreaterThanOrEqual(40);
  });

  for (const testCase of objectCases) {
    it(`refuses ${testCase.name}, naming the field, and starts nothing`, async () => {
      const error = await charter.startTrip(testCase.input() as never).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(TripRequestInvalid);
      const problems = (error as TripRequestInvalid).problems.map(problemText);
      expect(
        problems.some((problem) => testCase.problem.test(problem)),
        problems.join('\n'),
      ).toBe(true);
      expect((error as Error).message).toContain(problems[0]);
      expect(starts).toEqual([]);
    });
  }

  it('ignores fields a polluted Object.prototype would lend to every request', async () => {
    const prototype = Object.prototype as Record<string, unknown>;
    prototype.callbackUrl = 'https://attacker.example/collect';
    prototype.onReset = 'fail';
    try {
      await expect(charter.startTrip(request({ externalId: 'polluted-1' }) as never)).rejects.toThrow(STOPPED);
    } finally {
      delete prototype.callbackUrl;
      delete prototype.onReset;
    }
    expect(starts).toEqual(['charterTripWorkflow']);
    const started = startedRequests[0]!;
    expect(Object.hasOwn(started, 'callbackUrl')).toBe(false);
    expect(started.onReset).toBe('recreate');
    starts.length = 0;
    startedRequests.length = 0;
  });

  it('a good request does reach the start call, so the empty list above means something', async () => {
    await expect(charter.startTrip(request({ externalId: 'hostile-control' }) as never)).rejects.toThrow(STOPPED);
    expect(starts).toEqual(['charterTripWorkflow']);
    starts.length = 0;
  });
});
