// The activity interceptor in the SDK's MockActivityEnvironment (no server): log context,
// heartbeats while the activity is in flight, the failure metric.
import { Context } from '@temporalio/activity';
import { CancelledFailure, type MetricMeter } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AvinodeClient } from '../../activities/avinode/client.ts';
import { createActivities } from '../../activities/index.ts';
import {
  ACTIVITY_FAILURES_METRIC,
  activityScopedLogger,
  charterActivityInterceptors,
} from '../../activities/interceptors.ts';
import { createLogger } from '../../platform/logging.ts';
import { loadConfig } from '../../platform/config.ts';
import { activityTracingFor } from '../../workers/tracing.ts';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { FailureType } from '../../workflows/contract.ts';
import { failures } from '../../workflows/failures.ts';

const INFO = {
  activityType: 'resolveAvinodeEvent',
  activityId: '7',
  attempt: 3,
  workflowExecution: { workflowId: 'trip-cf-1', runId: 'run-1' },
};

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  return { logger, lines };
}

/** Records every counter increment. */
function recordingMeter() {
  const added: { name: string; value: number; tags: Record<string, unknown> }[] = [];
  const meter = {
    createCounter: (name: string) => ({
      name,
      add: (value: number, tags: Record<string, unknown> = {}) => void added.push({ name, value, tags }),
    }),
    createHistogram: () => ({ record: () => undefined }),
    createGauge: () => ({ set: () => undefined }),
    withTags: () => meter,
  };
  return { meter: meter as unknown as MetricMeter, added };
}

const quiet = () => undefined;
/** The SDK's own lines (activity started, failed) are not what these tests look at. */
const SDK_LOGGER = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

function environment(info: Partial<typeof INFO> & { heartbeatTimeoutMs?: number } = {}, metricMeter?: MetricMeter) {
  const env = new MockActivityEnvironment(
    { ...INFO, ...info },
    { interceptors: [charterActivityInterceptors()], logger: SDK_LOGGER, ...(metricMeter ? { metricMeter } : {}) },
  );
  const beats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => beats.push(details));
  return { env, beats };
}

describe('log context', () => {
  it('names the workflow, run, activity type, activity id and attempt on every line an activity writes', async () => {
    const { logger, lines } = capturedLogger();
    const avinode = {
      readByHref: async () => {
        throw failures.foreignHref('refused href on https://evil.example');
      },
    } as unknown as AvinodeClient;
    const activities = createActivities({ avinode, logger: activityScopedLogger(logger) });
    const { env } = environment();
    const event = {
      eventType: 'TripRequestSellerResponse' as const,
      id: 'arfq-1',
      href: 'https://evil.example/rfqs/arfq-1',
    };
    expect(await env.run(activities.resolveAvinodeEvent, event)).toMatchObject({ quotes: [] });
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'webhook resource not readable',
        workflowId: 'trip-cf-1',
        runId: 'run-1',
        activityType: 'resolveAvinodeEvent',
        activityId: '7',
        attempt: 3,
      }),
    ]);
  });

  it('leaves lines written outside an activity as they were', () => {
    const { logger, lines } = capturedLogger();
    activityScopedLogger(logger).info({ event: 'startup' }, 'outside');
    expect(lines[0]).toMatchObject({ msg: 'outside', event: 'startup' });
    expect(lines[0]).not.toHaveProperty('workflowId');
  });
});

describe('heartbeats', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('beats every heartbeatTimeout/3 while a slow call is in flight, and stops when it settles', async () => {
    const { env, beats } = environment({ heartbeatTimeoutMs: 3_000 });
    let finish!: (value: string) => void;
    const running = env.run(() => new Promise<string>((resolve) => (finish = resolve)));
    await vi.waitFor(() => expect(finish).toBeTypeOf('function'));
    expect(beats).toHaveLength(1); // at once
    await vi.advanceTimersByTimeAsync(3_000);
    expect(beats).toHaveLength(4);
    finish('done');
    expect(await running).toBe('done');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(beats).toHaveLength(4);
  });

  it('stops beating once the activity is cancelled (a heartbeat timeout or the workflow), and the activity stops', async () => {
    const { meter, added } = recordingMeter();
    const { env, beats } = environment({ heartbeatTimeoutMs: 3_000 }, meter);
    const running = env.run(async () => {
      // What an Avinode call does with the signal (undici aborts the request).
      const signal = Context.current().cancellationSignal;
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(beats).toHaveLength(2);
    env.cancel('TIMED_OUT');
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(beats).toHaveLength(2);
    expect(added).toEqual([]);
  });

  it('does not beat for an activity scheduled without a heartbeatTimeout', async () => {
    const { env, beats } = environment();
    expect(await env.run(async () => 'quick')).toBe('quick');
    expect(beats).toEqual([]);
  });
});

describe('failure metric', () => {
  it('counts each failed attempt in charterflow_activity_failures by failure type', async () => {
    const { meter, added } = recordingMeter();
    const { env } = environment({}, meter);
    await expect(env.run(async () => Promise.reject(failures.notFound('GET /trips/{id} → 404')))).rejects.toMatchObject(
      { type: FailureType.NotFound },
    );
    await expect(env.run(async () => Promise.reject(new TypeError('a bug')))).rejects.toBeInstanceOf(TypeError);
    expect(await env.run(async () => 'fine')).toBe('fine');
    expect(added.filter((entry) => entry.name === ACTIVITY_FAILURES_METRIC)).toEqual([
      { name: ACTIVITY_FAILURES_METRIC, value: 1, tags: expect.objectContaining({ type: FailureType.NotFound }) },
      { name: ACTIVITY_FAILURES_METRIC, value: 1, tags: expect.objectContaining({ type: 'TypeError' }) },
    ]);
  });
});

describe('OpenTelemetry tracing', () => {
  it('is off unless OTEL_EXPORTER_OTLP_ENDPOINT is set, and refuses an endpoint that is no URL', () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(activityTracingFor(loadConfig({}).tracing)).toBeUndefined();
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT: /,
    );
  });

  it('records one span per activity attempt when an OTLP endpoint is configured', async () => {
    const exporter = new InMemorySpanExporter();
    const { tracing: settings } = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:25318',
      OTEL_SERVICE_NAME: 'charterflow-test',
    });
    const tracing = activityTracingFor(settings, { exporter })!;
    expect(tracing.endpoint).toBe('http://127.0.0.1:25318');
    const env = new MockActivityEnvironment(INFO, {
      interceptors: [charterActivityInterceptors(), tracing.interceptors],
      logger: SDK_LOGGER,
    });
    expect(await env.run(async () => 'traced')).toBe('traced');
    await tracing.flush();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(['RunActivity:resolveAvinodeEvent']);
    expect(spans[0]!.resource.attributes['service.name']).toBe('charterflow-test');
    await tracing.shutdown();
  });
});
