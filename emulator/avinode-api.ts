// The broker-side Avinode API under /api: trips, RFQs, quotes, trip messages, webhook settings.
import { WEBHOOK_EVENT_TYPES } from '../workflows/contract.ts';
import { fail, internalCritical, jsonBody, jsonObject, notFound, ok, type Reply, type Router } from './http-kit.ts';
import { isCancelReason, type Marketplace } from './marketplace.ts';
import type { ResourceRenderer } from './resources.ts';
import type { MarketStore, WebhookSetting } from './store.ts';
import { validateTripBody } from './trip-validation.ts';

/** Prefixed ids only (`atrip-70001234`); a bare number or a foreign prefix is NOT_FOUND. */
const idOf = (value: string, prefix: string) => new RegExp(`^${prefix}-\\d+$`).test(value);
const SHORT_TRIP_ID = /^[A-Z][A-Z0-9]{5}$/;
const KNOWN_EVENT_TYPES = new Set<string>([
  ...WEBHOOK_EVENT_TYPES,
  'TripChatMine',
  'TripRequestSellerResponseMine',
  'TripRequest',
  'TripChatFromBuyer',
  'ClientLeads',
  'EmptyLegs',
]);

export function registerAvinodeApi(router: Router, deps: { store: MarketStore; render: ResourceRenderer; market: Marketplace }): void {
  const { store, render, market } = deps;

  router.add('POST', '/api/trips', (ctx) => {
    const valid = validateTripBody(jsonBody(ctx), ctx.now);
    if ('status' in valid) return valid;
    const trip = market.createTrip(valid);
    return ok(render.trip(trip), 201);
  });

  router.add('GET', '/api/trips', (ctx) => {
    const externalTripId = ctx.url.searchParams.get('externalTripId');
    if (externalTripId === null || externalTripId === '') return internalCritical();
    const matches = [...store.trips.values()].filter((trip) => trip.externalTripId === externalTripId).sort((a, b) => b.seq - a.seq);
    return ok(matches.map((trip) => render.trip(trip)));
  });

  router.add('GET', '/api/trips/:id', (ctx) => {
    const trip = idOf(ctx.params.id!, 'atrip') ? store.trips.get(ctx.params.id!) : undefined;
    return trip ? ok(render.trip(trip)) : notFound();
  });

  // Observed: the nested path does not exist; RFQs of a trip are read with GET /rfqs/{shortTripId}.
  router.add('GET', '/api/trips/:id/rfqs', () => notFound());

  router.add('PUT', '/api/trips/:id/cancel', (ctx) => {
    const trip = idOf(ctx.params.id!, 'atrip') ? store.trips.get(ctx.params.id!) : undefined;
    if (!trip) return notFound();
    const body = jsonObject(ctx);
    if (body.id !== undefined && body.id !== trip.id) return fail(400, 'ERR_INPUT_GENERIC_INVALID', "The body 'id' does not match the trip in the path", 'id');
    if (body.reason === undefined) return fail(400, 'ERR_INPUT_MISSING', "The field 'reason' is required", 'reason');
    if (!isCancelReason(body.reason)) return fail(400, 'ERR_INPUT_GENERIC_INVALID', 'reason must be one of BY_CLIENT, CHANGED, BOOKED, OTHER', 'reason');
    if (body.messageToSeller !== undefined && typeof body.messageToSeller !== 'string') {
      return fail(400, 'ERR_INPUT_GENERIC_INVALID', 'messageToSeller must be a string', 'messageToSeller');
    }
    market.cancelTrip(trip, body.reason as string, body.messageToSeller as string | undefined);
    return ok(render.trip(trip));
  });

  // Seller view of incoming RFQs; a buyer connection is not allowed to read it (observed).
  router.add('GET', '/api/rfqs', () => fail(403, 'NOT_AUTHORIZED', 'The API connection is not authorized for this operation'));

  router.add('GET', '/api/rfqs/:id', (ctx) => {
    const id = ctx.params.id!;
    if (idOf(id, 'arfq')) {
      const rfq = store.rfqs.get(id);
      return rfq ? ok(render.rfq(rfq)) : notFound();
    }
    if (SHORT_TRIP_ID.test(id)) {
      const trip = store.tripsByShortId.get(id);
      return trip ? ok(trip.rfqIds.map((rfqId) => render.rfq(store.rfqs.get(rfqId)!))) : notFound();
    }
    return notFound();
  });

  router.add('GET', '/api/quotes/:id', (ctx) => {
    const quote = idOf(ctx.params.id!, 'aquote') ? store.quotes.get(ctx.params.id!) : undefined;
    return quote ? ok(render.quote(quote)) : notFound();
  });

  router.add('GET', '/api/tripmsgs/:id', (ctx) => {
    const message = idOf(ctx.params.id!, 'asellermsg') ? store.messages.get(ctx.params.id!) : undefined;
    return message ? ok(render.message(message)) : notFound();
  });

  router.add('POST', '/api/webhooks/settings', (ctx) => {
    const parsed = parseWebhookSetting(jsonObject(ctx), undefined);
    if ('status' in parsed) return parsed;
    const at = new Date(ctx.now).toISOString();
    const setting: WebhookSetting = { id: store.nextId('webhook'), ...parsed, active: parsed.active ?? true, createdOn: at, updatedOn: at } as WebhookSetting;
    store.webhookSettings.set(setting.id, setting);
    return ok(render.webhookSetting(setting), 201);
  });

  router.add('GET', '/api/webhooks/settings', () => ok([...store.webhookSettings.values()].map((setting) => render.webhookSetting(setting))));

  router.add('GET', '/api/webhooks/settings/:id', (ctx) => {
    const setting = store.webhookSettings.get(ctx.params.id!);
    return setting ? ok(render.webhookSetting(setting)) : notFound();
  });

  router.add('PUT', '/api/webhooks/settings/:id', (ctx) => {
    const setting = idOf(ctx.params.id!, 'whs') ? store.webhookSettings.get(ctx.params.id!) : undefined;
    if (!setting) return notFound();
    const parsed = parseWebhookSetting(jsonObject(ctx), setting);
    if ('status' in parsed) return parsed;
    Object.assign(setting, parsed, { updatedOn: new Date(ctx.now).toISOString() });
    return ok(render.webhookSetting(setting));
  });
}

type SettingFields = Partial<Omit<WebhookSetting, 'id' | 'createdOn' | 'updatedOn'>>;

function parseWebhookSetting(body: Record<string, unknown>, existing: WebhookSetting | undefined): SettingFields | Reply {
  const out: SettingFields = {};
  const { targetURI, displayName, active, clientIdentifier, clientSecret, clientAuthenticationType, eventTypes } = body;
  if (targetURI !== undefined || !existing) {
    if (typeof targetURI !== 'string') return fail(400, 'ERR_INPUT_MISSING', "The field 'targetURI' is required", 'targetURI');
    let parsed: URL | undefined;
    try {
      parsed = new URL(targetURI);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
      return fail(400, 'ERR_INPUT_GENERIC_INVALID', 'targetURI must be an absolute http(s) URL', 'targetURI');
    }
    out.targetURI = targetURI;
  }
  if (eventTypes !== undefined || !existing) {
    if (!Array.isArray(eventTypes) || eventTypes.length === 0) return fail(400, 'ERR_INPUT_MISSING', "The field 'eventTypes' must be a non-empty array", 'eventTypes');
    const unknown = eventTypes.find((type) => typeof type !== 'string' || !KNOWN_EVENT_TYPES.has(type));
    if (unknown !== undefined) return fail(400, 'ERR_INPUT_GENERIC_INVALID', `Unknown event type: ${String(unknown)}`, 'eventTypes');
    out.eventTypes = [...new Set(eventTypes as string[])];
  }
  for (const [name, value] of [['displayName', displayName], ['clientIdentifier', clientIdentifier], ['clientSecret', clientSecret]] as const) {
    if (value === undefined) continue;
    if (typeof value !== 'string') return fail(400, 'ERR_INPUT_GENERIC_INVALID', `${name} must be a string`, name);
    out[name] = value;
  }
  if (clientAuthenticationType !== undefined) {
    if (clientAuthenticationType !== 'BASIC') return fail(400, 'ERR_INPUT_GENERIC_INVALID', 'clientAuthenticationType must be BASIC', 'clientAuthenticationType');
    out.clientAuthenticationType = 'BASIC';
  }
  if (active !== undefined) {
    if (typeof active !== 'boolean') return fail(400, 'ERR_INPUT_GENERIC_INVALID', 'active must be a boolean', 'active');
    out.active = active;
  }
  return out;
}
