// The request journal (a bounded ring buffer, secrets redacted) and the counters behind /_emulator/stats.

export const REDACTED = '[redacted]';

const SECRET_HEADERS = new Set(['authorization', 'x-avinode-apitoken', 'x-api-key', 'cookie', 'set-cookie']);
const SECRET_FIELDS = new Set([
  'client_secret',
  'clientsecret',
  'client_assertion',
  'password',
  'refresh_token',
  'access_token',
  'code_verifier',
  'apitoken',
  'statictoken',
  'staticbearertoken',
  'token',
  'cookie',
  'authorization',
]);

export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function redactValue(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[deep]';
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        SECRET_FIELDS.has(key.toLowerCase()) ? REDACTED : redactValue(inner, depth + 1),
      ]),
    );
  }
  return value;
}

/** Redacts secret query parameters (e.g. AirVantage's `expire?access_token=`). */
export function redactPath(pathWithQuery: string): string {
  const q = pathWithQuery.indexOf('?');
  if (q < 0) return pathWithQuery;
  const params = new URLSearchParams(pathWithQuery.slice(q + 1));
  for (const key of [...params.keys()]) if (SECRET_FIELDS.has(key.toLowerCase())) params.set(key, REDACTED);
  return `${pathWithQuery.slice(0, q)}?${params.toString()}`;
}

const MAX_TEXT = 4096;

/** A request or response body as the journal keeps it: parsed JSON or form, redacted; other text truncated. */
export function describeBody(raw: Buffer | string | undefined, contentType: string | undefined): unknown {
  if (raw === undefined) return undefined;
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  if (text.length === 0) return undefined;
  const type = (contentType ?? '').toLowerCase();
  if (type.includes('html')) return `[html ${text.length} chars]`;
  if (type.includes('application/x-www-form-urlencoded')) {
    return redactValue(Object.fromEntries(new URLSearchParams(text)));
  }
  try {
    return redactValue(JSON.parse(text));
  } catch {
    return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…[${text.length} chars]` : text;
  }
}

export interface JournalEntry {
  seq: number;
  at: string;
  method: string;
  route: string;
  path: string;
  status: number;
  durationMs: number;
  requestHeaders: Record<string, string>;
  requestBody?: unknown;
  responseBody?: unknown;
  fault?: string;
  /** The client closed the connection before the answer was written: `status` is what it would have got. */
  clientGone?: boolean;
}

export class Journal {
  private readonly entries: JournalEntry[] = [];
  private seq = 0;

  constructor(private readonly capacity: number) {}

  add(entry: Omit<JournalEntry, 'seq'>): void {
    this.entries.push({ seq: ++this.seq, ...entry });
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  list(filter: { route?: string; limit?: number; sinceSeq?: number } = {}): JournalEntry[] {
    let out = this.entries;
    if (filter.route) out = out.filter((entry) => entry.route === filter.route);
    if (filter.sinceSeq !== undefined) out = out.filter((entry) => entry.seq > filter.sinceSeq!);
    if (filter.limit !== undefined && filter.limit >= 0) out = out.slice(Math.max(0, out.length - filter.limit));
    return [...out];
  }

  clear(): void {
    this.entries.length = 0;
  }
}

export interface Stats {
  startedAt: string;
  requests: number;
  requestsByRoute: Record<string, number>;
  responsesByStatus: Record<string, number>;
  tokenRequests: {
    total: number;
    issued: number;
    rejected: number;
    rateLimited: number;
    byProvider: Record<string, number>;
  };
  trips: number;
  tripsByExternalId: Record<string, number>;
  rfqs: number;
  quotes: number;
  declines: number;
  reprices: number;
  chats: number;
  cancels: number;
  /** Report trip outcome requests, and per trip (`atrip-…`) the outcome it holds. */
  outcomeReports: number;
  outcomesByTrip: Record<
    string,
    { outcome: string; winningSellerLiftId?: string; winningTenantName?: string; reports: number }
  >;
  /** Messages the broker sent, and per trip how many each side wrote. */
  buyerMessages: number;
  messagesByTrip: Record<string, { fromBuyer: number; fromSellers: number }>;
  rfqCancels: number;
  webhooks: {
    deliveries: number;
    delivered: number;
    failedAttempts: number;
    dropped: number;
    duplicated: number;
    pending: number;
  };
  faultsInjected: Record<string, number>;
  resets: number;
}

export function newStats(startedAt: string): Stats {
  return {
    startedAt,
    requests: 0,
    requestsByRoute: {},
    responsesByStatus: {},
    tokenRequests: { total: 0, issued: 0, rejected: 0, rateLimited: 0, byProvider: {} },
    trips: 0,
    tripsByExternalId: {},
    rfqs: 0,
    quotes: 0,
    declines: 0,
    reprices: 0,
    chats: 0,
    cancels: 0,
    outcomeReports: 0,
    outcomesByTrip: {},
    buyerMessages: 0,
    messagesByTrip: {},
    rfqCancels: 0,
    webhooks: { deliveries: 0, delivered: 0, failedAttempts: 0, dropped: 0, duplicated: 0, pending: 0 },
    faultsInjected: {},
    resets: 0,
  };
}

export const bump = (counter: Record<string, number>, key: string, by = 1) => {
  counter[key] = (counter[key] ?? 0) + by;
};
