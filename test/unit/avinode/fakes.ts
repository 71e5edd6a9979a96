// Shared test doubles for the Avinode client unit tests (no network: MockAgent only).
import { createAvinodeClient } from '../../../activities/avinode/client.ts';
import { captureLogs, mockNetwork } from '../../support.ts';

export const ORIGIN = 'https://sandbox.avinode.test';
export const BASE_URL = `${ORIGIN}/api`;
export const API_TOKEN = 'api-token-7b2e1c44-secret';

/** Hands out token-1, token-2…; invalidate drops only the current token (compare-and-invalidate). */
export class FakeTokenSource {
  issued = 0;
  invalidated: string[] = [];
  private current: { value: string } | undefined;
  async getToken(): Promise<{ value: string }> {
    if (!this.current) this.current = { value: `access-token-${++this.issued}` };
    return this.current;
  }
  invalidate(token: { value: string }): boolean {
    this.invalidated.push(token.value);
    if (this.current?.value !== token.value) return false;
    this.current = undefined;
    return true;
  }
}

export function setup(overrides: { actAsAccount?: string; now?: () => Date; maxResponseBytes?: number } = {}) {
  const agent = mockNetwork();
  const pool = agent.get(ORIGIN);
  const tokens = new FakeTokenSource();
  const logs = captureLogs();
  const client = createAvinodeClient({
    baseUrl: BASE_URL,
    apiToken: API_TOKEN,
    product: 'charterflow-test/1',
    apiVersion: 'v1.0',
    tokenSource: tokens,
    logger: logs.logger,
    dispatcher: agent,
    ...overrides,
  });
  return { agent, pool, tokens, logs, client };
}

export const envelope = (
  data: unknown,
  meta: Partial<Record<'errors' | 'warnings' | 'infos', unknown[]>> = {},
): object => ({
  meta: { errors: [], warnings: [], infos: [], ...meta },
  data,
});
export const errorEnvelope = (...codes: string[]): object => ({
  meta: { errors: codes.map((code) => ({ code, title: `title of ${code}` })), warnings: [], infos: [] },
});

export const JSON_HEADERS = { 'content-type': 'application/json' };

export function tripResource(id = 'atrip-70001234', extra: Record<string, unknown> = {}) {
  return {
    id,
    type: 'trips',
    tripId: 'Q4K7ZP',
    href: `${BASE_URL}/trips/${id}`,
    actions: {
      searchInAvinode: {
        type: 'searchInAvinode',
        httpMethod: 'GET',
        href: `${ORIGIN}/marketplace/mvc/search/load/${id}?source=api`,
      },
      viewInAvinode: {
        type: 'viewInAvinode',
        httpMethod: 'GET',
        href: `${ORIGIN}/marketplace/mvc/trips/buying/${id}?source=api`,
      },
      cancel: { type: 'cancel', httpMethod: 'PUT', href: `${BASE_URL}/trips/${id}/cancel` },
    },
    ...extra,
  };
}

export function rfqResource(id = 'arfq-80004567', lifts: unknown[] = []) {
  return {
    id,
    type: 'rfqs',
    tripId: 'Q4K7ZP',
    createdOn: '2026-05-01T14:02:11Z',
    sellerCompany: { id: 'c-1', displayName: 'Example Air Charter' },
    sellerLift: lifts,
    links: {
      tripmsgs: [{ id: 'asellermsg-96660002', href: `${BASE_URL}/tripmsgs/asellermsg-96660002`, type: 'tripmsgs' }],
    },
  };
}
