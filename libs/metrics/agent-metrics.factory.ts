import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { INFERENCE_LATENCY_BUCKETS_SECONDS } from './latency-buckets.js';
import { METRIC, RESULT_LABELS } from './metric-names.js';

/**
 * What one agent streams, under `mlfarm_agent_*` names: the coordinator exports the farm-wide
 * `mlfarm_inference_latency_seconds`, and separate names keep a sum over all jobs from counting twice.
 */
export function createAgentMetrics(registry: Registry) {
  const registers = [registry];
  const metrics = {
    inferenceLatency: new Histogram({
      name: METRIC.agentInferenceLatency,
      help: 'Timed inference samples this agent streamed to the coordinator while tasks ran.',
      labelNames: RESULT_LABELS,
      buckets: [...INFERENCE_LATENCY_BUCKETS_SECONDS],
      registers,
    }),
    progress: new Counter({
      name: METRIC.agentProgress,
      help: 'Progress messages sent to the coordinator, by phase.',
      labelNames: ['phase'],
      registers,
    }),
    tasks: new Counter({
      name: METRIC.agentTasks,
      help: 'Tasks this agent finished (status: succeeded, failed).',
      labelNames: ['status'],
      registers,
    }),
    taskRunning: new Gauge({
      name: METRIC.agentTaskRunning,
      help: '1 while this agent runs a task.',
      registers,
    }),
  };
  // Known outcomes start at 0 so increase() sees the first one.
  for (const status of ['succeeded', 'failed'] as const) {
    metrics.tasks.inc({ status }, 0);
  }
  return metrics;
}

export type AgentMetrics = ReturnType<typeof createAgentMetrics>;
