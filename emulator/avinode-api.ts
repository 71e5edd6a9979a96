// The broker-side Avinode API under /api: trips, RFQs, quotes, trip messages, webhook settings.
import { MAX_MESSAGE_LENGTH, WEBHOOK_EVENT_TYPES } from '../workflows/contract.ts';
import {
  emptyMeta,
  fail,
  header,
  internalCritical,
  jsonBody,
  jsonObject,
  notFound,
  ok,
  type Reply,
  type Router,
} from './http-kit.ts';
import { actor, isCancelReason, type Marketplace, type OutcomeInput } from './marketplace.ts';
import type { ResourceRenderer } from './resources.ts';
import type { EmulatorSettings } from './options.ts';
import type { MarketStore, WebhookSetting } from './store.ts';
import { validateTripBody, type BadAirportAnswer } from './trip-validation.ts';

/** Prefixed ids only (`atrip-70001234`); a bare number or a foreign prefix is NOT_FOUND. */
const idOf = (value: string, prefix: string) => new RegExp(`^${prefix}-\\d+$`).test(value);
/** Six letters and digits, at least one letter (`4ND3C3`): a bare number is a numeric id, not a trip id. */
const SHORT_TRIP_ID = /^(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6}$/;
const KNOWN_EVENT_TYPES = new Set<string>([
  ...WEBHOOK_EVENT_TYPES,
  'TripChatMine',
  'TripRequestSellerResponseMine',
  'TripRequest',
  'TripChatFromBuyer',
  'ClientLeads',
  'EmptyLegs',
]);

export function registerAvinodeApi(
  router: Router,
  deps: {
    store: MarketStore;
    render: ResourceRenderer;
    market: Marketplace;
    badAirport?: BadAirportAnswer;
    settings: Readonly<EmulatorSettings>;
  },
): void {
  const { store, render, market, settings } = deps;

  router.add('POST', '/api/trips', (ctx) => {
    const valid = validateTripBody(jsonBody(ctx), ctx.now, deps.badAirport);
    if ('status' in valid) return valid;
    const trip = market.createTrip(valid);
    const reply = ok(render.trip(trip), 201);
    if (valid.softErrors.length === 0) return reply;
    return { ...reply, body: { ...(reply.body as object), meta: { ...emptyMeta(), errors: valid.softErrors } } };
  });

  // [inferred] "Search trips" by externalTripId; off (or without the parameter): what the sandbox
  // answers a bare GET /trips (observed ERR_INTERNAL_CRITICAL).
  router.add('GET', '/api/trips', (ctx) => {
    const externalTripId = ctx.url.searchParams.get('externalTripId');
    if (settings.searchByExternalId === 'off' || externalTripId === null || externalTripId === '')
      return internalCritical();
    const matches = [...store.trips.values()]
      .filter((trip) => trip.externalTripId === externalTripId)
      .sort((a, b) => b.seq - a.seq);
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
    const refused = cancelBodyProblem(body, trip.id, 'trip', { reasonRequired: true });
    if (refused) return refused;
    market.cancelTrip(trip, body.reason as string, body.messageToSeller as string | undefined);
    return ok(render.trip(trip));
  });

  // [inferred] path: "Report trip outcome" documents the body and a prefixed trip id, not the path.
  router.add('PUT', '/api/trips/:id/outcome', (ctx) => {
    const trip = idOf(ctx.params.id!, 'atrip') ? store.trips.get(ctx.params.id!) : undefined;
    if (!trip) return notFound();
    // Requested lifts and the lifts operators offered with a quote on the RFQ itself.
    const parsed = parseOutcome(jsonObject(ctx), (liftId) =>
      trip.rfqIds.includes(store.rfqs.get(store.lifts.get(liftId)?.rfqId ?? '')?.id ?? ''),
    );
    if ('status' in parsed) return parsed;
    return ok(render.trip(market.reportOutcome(trip, parsed)));
  });

  // "Cancel a single RFQ" (PUT, listed); the body mirrors the trip cancel's [inferred].
  router.add('PUT', '/api/rfqs/:id/cancel', (ctx) => {
    const rfq = idOf(ctx.params.id!, 'arfq') ? store.rfqs.get(ctx.params.id!) : undefined;
    if (!rfq) return notFound();
    const body = jsonObject(ctx, { optional: true });
    const refused = cancelBodyProblem(body, rfq.id, 'RFQ', { reasonRequired: false });
    if (refused) return refused;
    market.cancelRfq(rfq, {
      ...(typeof body.reason === 'string' ? { reason: body.reason } : {}),
      ...(typeof body.messageToSeller === 'string' ? { messageToSeller: body.messageToSeller } : {}),
    });
    return ok(render.rfq(rfq));
  });

  // [inferred] path: "Send a message" documents POST, the RFQ id as path param and the body, not the path.
  router.add('POST', '/api/tripmsgs/:id/chat', (ctx) => {
    const rfq = idOf(ctx.params.id!, 'arfq') ? store.rfqs.get(ctx.params.id!) : undefined;
    if (!rfq) return notFound();
    const body = jsonObject(ctx);
    if (typeof body.message !== 'string' || body.message.trim() === '')
      return fail(400, 'ERR_INPUT_MISSING', "The field 'message' is required", 'message');
    if (body.message.length > MAX_MESSAGE_LENGTH)
      return fail(
        400,
        'ERR_INPUT_GENERIC_INVALID',
        `message must be at most ${MAX_MESSAGE_LENGTH} characters`,
        'message',
      );
    if (body.suppressNotification !== undefined && typeof body.suppressNotification !== 'boolean') {
      return fail(400, 'ERR_INPUT_GENERIC_INVALID', 'suppressNotification must be a boolean', 'suppressNotification');
    }
    const actAsAccount = header(ctx, 'x-avinode-actasaccount');
    return actor(() =>
      ok(
        render.message(
          market.sendBuyerMessage(rfq.id, {
            message: body.message as string,
            ...(typeof body.suppressNotification === 'boolean'
              ? { suppressNotification: body.suppressNotification }
              : {}),
            ...(actAsAccount ? { actAsAccount } : {}),
          }),
        ),
        201,
      ),
    );
  });

  // Seller view of incoming RFQs; a buyer connection is not allowed to read it (observed).
  router.add('GET', '/api/rfqs', () =>
    fail(403, 'NOT_AUTHORIZED', 'The API connection is not authorized for this operation'),
  );

  router.add('GET', '/api/rfqs/:id', (ctx) => {
    const id = ctx.params.id!;
    // Include flags on RFQ reads are documented (`/reference/readtriprfqs`); `latestquote` embeds each lift's latest quote.
    const flags = new Set(
      [...ctx.url.searchParams.entries()]
        .filter(([, value]) => value === 'true' || value === '')
        .map(([name]) => name.toLowerCase()),
    );
    if (idOf(id, 'arfq')) {
      const rfq = store.rfqs.get(id);
      return rfq ? ok(render.rfq(rfq, flags)) : notFound();
    }
    if (SHORT_TRIP_ID.test(id)) {
      const trip = store.tripsByShortId.get(id);
      return trip ? ok(trip.rfqIds.map((rfqId) => render.rfq(store.rfqs.get(rfqId)!, flags))) : notFound();
    }
    return notFound();
  });

  router.add('GET', '/api/quotes/:id', (ctx) => {
    const quote = idOf(ctx.params.id!, 'aquote') ? store.quotes.get(ctx.params.id!) : undefined;
    if (!quote) return notFound();
    // Include flags as query parameters (`?quotebreakdown=true`), as the reads document them.
    const flags = new Set(
      [...ctx.url.searchParams.entries()]
        .filter(([, value]) => value === 'true' || value === '')
        .map(([name]) => name.toLowerCase()),
    );
    const currencies = ctx.url.searchParams.getAll('outputCurrencies[]').map((currency) => currency.toUpperCase());
    return ok(render.quote(quote, flags, currencies));
  });

  router.add('GET', '/api/tripmsgs/:id', (ctx) => {
    const id = ctx.params.id!;
    const message = idOf(id, 'asellermsg') || idOf(id, 'abuyermsg') ? store.messages.get(id) : undefined;
    return message ? ok(render.message(message)) : notFound();
  });

  router.add('POST', '/api/webhooks/settings', (ctx) => {
    const parsed = parseWebhookSetting(jsonObject(ctx), undefined);
    if ('status' in parsed) return parsed;
    const at = new Date(ctx.now).toISOString();
    const setting: WebhookSetting = {
      id: store.nextId('webhook'),
      ...parsed,
      active: parsed.active ?? true,
      createdOn: at,
      updatedOn: at,
    } as WebhookSetting;
    store.webhookSettings.set(setting.id, setting);
    return ok(render.webhookSetting(setting), 201);
  });

  router.add('GET', '/api/webhooks/settings', () =>
    ok([...store.webhookSettings.values()].map((setting) => render.webhookSetting(setting))),
  );

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

/** The documented body of Report trip outcome and its documented constraints. */
function parseOutcome(body: Record<string, unknown>, isLiftOfTrip: (liftId: string) => boolean): OutcomeInput | Reply {
  const { outcome, winningSellerLiftId, winningTenantName, winningTail } = body;
  if (outcome === undefined) return fail(400, 'ERR_INPUT_MISSING', "The field 'outcome' is required", 'outcome');
  if (typeof outcome !== 'string' || !/^[A-Z_]{2,40}$/.test(outcome))
    return fail(400, 'ERR_INPUT_GENERIC_INVALID', 'outcome must be an outcome name, e.g. CONVERTED', 'outcome');
  const converted = outcome === 'CONVERTED';
  if (winningSellerLiftId !== undefined && winningTenantName !== undefined) {
    return fail(
      400,
      'ERR_INPUT_GENERIC_INVALID',
      'winningSellerLiftId and winningTenantName are mutually exclusive',
      'winningTenantName',
    );
  }
  if (winningSellerLiftId !== undefined) {
    if (!converted)
      return fail(
        400,
        'ERR_INPUT_GENERIC_INVALID',
        'winningSellerLiftId is only valid when outcome is CONVERTED',
        'winningSellerLiftId',
      );
    if (typeof winningSellerLiftId !== 'string' || !isLiftOfTrip(winningSellerLiftId))
      return fail(
        400,
        'ERR_INPUT_GENERIC_INVALID',
        'winningSellerLiftId is not a seller lift of this trip',
        'winningSellerLiftId',
      );
  }
  if (winningTenantName !== undefined) {
    if (!converted)
      return fail(
        400,
        'ERR_INPUT_GENERIC_INVALID',
        'winningTenantName is only valid when outcome is CONVERTED',
        'winningTenantName',
      );
    if (typeof winningTenantName !== 'string' || winningTenantName.trim() === '')
      return fail(
        400,
        'ERR_INPUT_GENERIC_INVALID',
        'winningTenantName must be a non-empty string',
        'winningTenantName',
      );
  }
  if (winningTail !== undefined) {
    if (winningTenantName === undefined)
      return fail(400, 'ERR_INPUT_GENERIC_INVALID', 'winningTail is only valid with winningTenantName', 'winningTail');
    if (typeof winningTail !== 'string' || winningTail.length > 100)
      return fail(
        400,
        'ERR_INPUT_GENERIC_INVALID',
        'winningTail must be a string of at most 100 characters',
        'winningTail',
      );
  }
  return {
    outcome,
    ...(typeof winningSellerLiftId === 'string' ? { winningSellerLiftId } : {}),
    ...(typeof winningTenantName === 'string' ? { winningTenantName } : {}),
    ...(typeof winningTail === 'string' ? { winningTail } : {}),
  };
}

type SettingFields = Partial<Omit<WebhookSetting, 'id' | 'createdOn' | 'updatedOn'>>;

function parseWebhookSetting(
  body: Record<string, unknown>,
  existing: WebhookSetting | undefined,
): SettingFields | Reply {
  const out: SettingFields = {};
  const { targetURI, displayName, active, clientIdentifier, clientSecret, clientAuthenticationType, eventTypes } = body;
  if (targetURI !== undefined || !existing) {
    if (typeof targetURI !== 'string')
      return fail(400, 'ERR_INPUT_MISSING', "The field 'targetURI' is required", 'targetURI');
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
    if (!Array.isArray(eventTypes) || eventTypes.length === 0)
      return fail(400, 'ERR_INPUT_MISSING', "The field 'eventTypes' must be a non-empty array", 'eventTypes');
    const unknown = eventTypes.find((type) => typeof type !== 'string' || !KNOWN_EVENT_TYPES.has(type));
    if (unknown !== undefined)
      return fail(400, 'ERR_INPUT_GENERIC_INVALID', `Unknown event type: ${String(unknown)}`, 'eventTypes');
    out.eventTypes = [...new Set(eventTypes as string[])];
  }
  for (const [name, value] of [
    ['displayName', displayName],
    ['clientIdentifier', clientIdentifier],
    ['clientSecret', clientSecret],
  ] as const) {
    if (value === undefined) continue;
    if (typeof value !== 'string') return fail(400, 'ERR_INPUT_GENERIC_INVALID', `${name} must be a string`, name);
    out[name] = value;
  }
  if (clientAuthenticationType !== undefined) {
    if (clientAuthenticationType !== 'BASIC')
      return fail(
        400,
        'ERR_INPUT_GENERIC_INVALID',
        'clientAuthenticationType must be BASIC',
        'clientAuthenticationType',
      );
    out.clientAuthenticationType = 'BASIC';
  }
  if (active !== undefined) {
    if (typeof active !== 'boolean')
      return fail(400, 'ERR_INPUT_GENERIC_INVALID', 'active must be a boolean', 'active');
    out.active = active;
  }
  return out;
}

/** The cancel body of a trip or an RFQ (`id`, `reason`, `messageToSeller`), or the answer refusing it. */
function cancelBodyProblem(
  body: Record<string, unknown>,
  id: string,
  what: 'trip' | 'RFQ',
  { reasonRequired }: { reasonRequired: boolean },
): Reply | undefined {
  if (body.id !== undefined && body.id !== id)
    return fail(400, 'ERR_INPUT_GENERIC_INVALID', `The body 'id' does not match the ${what} in the path`, 'id');
  if (body.reason === undefined && reasonRequired)
    return fail(400, 'ERR_INPUT_MISSING', "The field 'reason' is required", 'reason');
  if (body.reason !== undefined && !isCancelReason(body.reason))
    return fail(400, 'ERR_INPUT_GENERIC_INVALID', 'reason must be one of BY_CLIENT, CHANGED, BOOKED, OTHER', 'reason');
  if (body.messageToSeller !== undefined && typeof body.messageToSeller !== 'string') {
    return fail(400, 'ERR_INPUT_GENERIC_INVALID', 'messageToSeller must be a string', 'messageToSeller');
  }
  return undefined;
}
