import { Counter, Gauge, type Registry } from 'prom-client';
import { INFERENCE_LATENCY_BUCKETS_SECONDS } from './latency-buckets.js';
import { LastValueGauge } from './last-value-gauge.js';
import { LatencyHistogram } from './latency-histogram.js';
import { METRIC, RESULT_LABELS, TASK_STATUSES, type TaskStatusLabel } from './metric-names.js';

export const AGENT_INFO_LABELS = [
  'agent',
  'cpu_model',
  'cpu_cores',
  'arch',
  'os',
  'gpu',
  'ort_version',
  'labels',
] as const;
export type AgentInfo = Record<(typeof AGENT_INFO_LABELS)[number], string>;

/** Read at scrape time, so farm-health gauges are never stale and need no bookkeeping. */
export interface FarmHealthSource {
  agents(): { info: AgentInfo; busy: boolean }[];
  taskCounts(): Promise<Partial<Record<TaskStatusLabel, number>>>;
}

const OP_LABELS = [...RESULT_LABELS, 'op_type', 'provider'] as const;

export function createCoordinatorMetrics(registry: Registry, health: FarmHealthSource) {
  const registers = [registry];
  // The last-result gauges hold a value per agent, model and op type: LastValueGauge, which writes them
  // cheaply, and whose handles (child) set a series with a field write. They are set at every result
  // (ResultMetricsRecorder), through handles. They used to be set only when a scrape read them (a hook
  // before every read): setting some fifty labelled gauges per result was then a tenth of the coordinator's
  // time. But that flush still keyed and hashed every gauge of every series that had a new result, ~90 ms
  // per scrape at a thousand agents on the thread that dispatches; through handles a result costs a few
  // field writes, so deferring it saves nothing any more.
  const metrics = {
    inferenceLatency: new LatencyHistogram(
      METRIC.inferenceLatency,
      'Timed inference latency; observed live while a task runs, completed from its result.',
      RESULT_LABELS,
      INFERENCE_LATENCY_BUCKETS_SECONDS,
      registers,
    ),
    resultLatency: new LastValueGauge(
      METRIC.resultLatency,
      'Latency statistic of the last result (stat: median, p90, p99, mean, min, max).',
      [...RESULT_LABELS, 'stat'],
      registers,
    ),
    modelLoad: new LastValueGauge(
      METRIC.modelLoad,
      'Cold session creation time of the last result.',
      RESULT_LABELS,
      registers,
    ),
    firstRun: new LastValueGauge(
      METRIC.firstRun,
      'First inference after load of the last result.',
      RESULT_LABELS,
      registers,
    ),
    peakMemory: new LastValueGauge(
      METRIC.peakMemory,
      'Peak memory of the last result (kind: rss = runner process, arena = ONNX Runtime arena).',
      [...RESULT_LABELS, 'kind'],
      registers,
    ),
    modelSize: new LastValueGauge(
      METRIC.modelSize,
      'Size of the model file as measured.',
      ['model', 'variant'],
      registers,
    ),
    modelGzipSize: new LastValueGauge(
      METRIC.modelGzipSize,
      'Gzip-compressed size of the model file (what a download costs).',
      ['model', 'variant'],
      registers,
    ),
    fidelity: new LastValueGauge(
      METRIC.fidelity,
      'Output fidelity of the last result against its reference (metric: cosine, top1_agreement, top5_agreement).',
      [...RESULT_LABELS, 'metric'],
      registers,
    ),
    snr: new LastValueGauge(
      METRIC.snr,
      'Signal-to-noise ratio of the outputs against the reference, in dB.',
      RESULT_LABELS,
      registers,
    ),
    opLatency: new LastValueGauge(
      METRIC.opLatency,
      'Per-run time of all nodes of one op type on one provider (sum of per-node medians, last result).',
      OP_LABELS,
      registers,
    ),
    opNodes: new LastValueGauge(
      METRIC.opNodes,
      'Nodes of one op type placed on one provider (last result); CPU rows of a non-CPU EP are fallbacks.',
      OP_LABELS,
      registers,
    ),
    results: new Counter({
      name: METRIC.results,
      help: 'Results stored.',
      labelNames: RESULT_LABELS,
      registers,
    }),
    resultTimestamp: new LastValueGauge(
      METRIC.resultTimestamp,
      'Unix time the last result was stored.',
      RESULT_LABELS,
      registers,
    ),
    tasksFinished: new Counter({
      name: METRIC.tasksFinished,
      help: 'Tasks that reached a final state.',
      labelNames: ['status'],
      registers,
    }),
    leaseExpiries: new Counter({
      name: METRIC.leaseExpiries,
      help: 'Task leases that expired (outcome: requeued, failed after the last attempt).',
      labelNames: ['outcome'],
      registers,
    }),
    agentConnections: new Counter({
      name: METRIC.agentConnections,
      help: 'Agent Connect streams opened.',
      registers,
    }),
    agentDisconnections: new Counter({
      name: METRIC.agentDisconnections,
      help: 'Agent Connect streams closed.',
      registers,
    }),
    streamMessagesDropped: new Counter({
      name: METRIC.streamMessagesDropped,
      help: 'Stream messages not delivered to a slow peer (stream: watch_run, agent_inbound; reason: coalesced, overflow).',
      labelNames: ['stream', 'reason'],
      registers,
    }),
    slowConsumerStreams: new Counter({
      name: METRIC.slowConsumerStreams,
      help: 'Streams ended with RESOURCE_EXHAUSTED because the peer fell too far behind (stream: watch_run, agent_connect).',
      labelNames: ['stream'],
      registers,
    }),
    health: createFarmHealthGauges(registry, health),
  };
  zeroKnownCounters(metrics);
  return metrics;
}

export type CoordinatorMetrics = ReturnType<typeof createCoordinatorMetrics>;

/**
 * Counters with known label values start at 0, so "no lease expired" is a 0 on a dashboard and `increase()`
 * sees the first event, instead of a series that appears only after it.
 */
export function zeroKnownCounters(metrics: CoordinatorMetrics): void {
  for (const status of ['succeeded', 'failed', 'cancelled'] as const) {
    metrics.tasksFinished.inc({ status }, 0);
  }
  for (const outcome of ['requeued', 'failed'] as const) {
    metrics.leaseExpiries.inc({ outcome }, 0);
  }
}

function createFarmHealthGauges(registry: Registry, health: FarmHealthSource) {
  const registers = [registry];
  const tasksInState = new Gauge({
    name: METRIC.tasksInState,
    help: 'Tasks currently in each state.',
    labelNames: ['status'],
    registers,
    async collect() {
      const counts = await health.taskCounts();
      for (const status of TASK_STATUSES) {
        this.set({ status }, counts[status] ?? 0);
      }
    },
  });
  const queueDepth = new Gauge({
    name: METRIC.queueDepth,
    help: 'Tasks waiting for an agent.',
    registers,
    async collect() {
      this.set((await health.taskCounts()).queued ?? 0);
    },
  });
  const agentsConnected = new Gauge({
    name: METRIC.agentsConnected,
    help: 'Agents with an open Connect stream.',
    registers,
    collect() {
      this.set(health.agents().length);
    },
  });
  const agentsBusy = new Gauge({
    name: METRIC.agentsBusy,
    help: 'Connected agents running a task.',
    registers,
    collect() {
      this.set(health.agents().filter((a) => a.busy).length);
    },
  });
  const agentInfo = new Gauge({
    name: METRIC.agentInfo,
    help: 'Hardware and software of each connected agent (value 1); join on agent.',
    labelNames: AGENT_INFO_LABELS,
    registers,
    collect() {
      this.reset(); // agents that left disappear
      for (const agent of health.agents()) {
        this.set(agent.info, 1);
      }
    },
  });
  return { tasksInState, queueDepth, agentsConnected, agentsBusy, agentInfo };
}
