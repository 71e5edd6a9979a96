// Workflow-level business metrics, exported with the SDK's own through the worker's Prometheus
// endpoint (METRICS_PORT), labelled by the SDK with namespace, taskQueue and workflowType.
// Temporal skips them while replaying, so each counts an event once.
import { metricMeter } from '@temporalio/workflow';

const phaseEntered = metricMeter.createCounter('charterflow_trip_phase_entered', 'runs', 'Charter runs entering a phase (label phase)');
const quotesReceived = metricMeter.createCounter('charterflow_quotes_received', 'quotes', 'Operator quotes received (label kind: new | repriced)');
const avinodeEvents = metricMeter.createCounter('charterflow_avinode_events', 'events', 'Avinode webhook events signalled to a run (label event_type)');

export const tripMetrics = {
  phaseEntered: (phase: string) => phaseEntered.add(1, { phase }),
  quoteReceived: (kind: 'new' | 'repriced') => quotesReceived.add(1, { kind }),
  avinodeEvent: (eventType: string) => avinodeEvents.add(1, { event_type: eventType }),
};
