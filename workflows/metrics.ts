// Workflow-level business metrics, exported with the SDK's own through the worker's Prometheus
// endpoint (METRICS_PORT), labelled by the SDK with namespace, taskQueue and workflowType.
// Temporal skips them while replaying, so each counts an event once. Counters are looked up at each
// use: the workflow metricMeter exists only inside a workflow context, not when this module loads.
import { metricMeter } from '@temporalio/workflow';

const count = (name: string, description: string, labels: Record<string, string>) =>
  metricMeter.createCounter(name, '1', description).add(1, labels);

export const tripMetrics = {
  phaseEntered: (phase: string) =>
    count('charterflow_trip_phase_entered', 'Charter runs entering a phase (label phase)', { phase }),
  quoteReceived: (kind: 'new' | 'repriced') =>
    count('charterflow_quotes_received', 'Operator quotes received (label kind: new | repriced)', { kind }),
  avinodeEvent: (eventType: string) =>
    count('charterflow_avinode_events', 'Avinode webhook events signalled to a run (label event_type)', {
      event_type: eventType,
    }),
};
