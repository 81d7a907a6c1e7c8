import { JOB, METRIC } from '#metrics';
import type { DashboardSpec } from './dashboard-spec.types.js';

const HANDLED = METRIC.grpcHandled;

/** Is the farm able to measure: agents up, queue moving, leases holding, RPCs succeeding. */
export const FARM_HEALTH: DashboardSpec = {
  uid: 'mlfarm-farm',
  file: 'farm-health',
  title: 'mlfarm / Farm health',
  description: 'Agents, queue, task outcomes, lease expiries and the coordinator gRPC server.',
  tags: ['mlfarm', 'ops'],
  time: { from: 'now-6h', to: 'now' },
  variables: [],
  rows: [
    {
      title: 'Agents and queue',
      panels: [
        {
          title: 'Agents connected / busy',
          description: 'Is every agent online, and are they working?',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            { expr: `sum(${METRIC.agentsConnected})`, legend: 'connected' },
            { expr: `sum(${METRIC.agentsBusy})`, legend: 'busy' },
          ],
        },
        {
          title: 'Queue depth',
          // Read from the shared store, so every replica reports the same number: max, never sum.
          description: 'Tasks waiting for an agent; growing with idle agents means no agent matches.',
          kind: 'timeseries',
          unit: 'short',
          queries: [{ expr: `max(${METRIC.queueDepth})`, legend: 'queued' }],
        },
        {
          title: 'Tasks by state',
          description: 'Every task the store holds, by state.',
          kind: 'bargauge',
          unit: 'short',
          queries: [
            { expr: `max by (status) (${METRIC.tasksInState})`, legend: '{{status}}', instant: true },
          ],
        },
        {
          title: 'Tasks finished',
          description:
            'Finished tasks in the time range by outcome; failures say a model or agent is broken.',
          kind: 'bargauge',
          unit: 'short',
          queries: [
            {
              expr: `sum by (status) (increase(${METRIC.tasksFinished}[$__range]))`,
              legend: '{{status}}',
              instant: true,
            },
          ],
        },
        {
          title: 'Lease expiries',
          description: 'Tasks whose agent went silent: re-queued, or failed after the last attempt.',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            {
              expr: `sum by (outcome) (increase(${METRIC.leaseExpiries}[$__rate_interval]))`,
              legend: '{{outcome}}',
            },
          ],
        },
        {
          title: 'Agent connects / disconnects',
          description: 'A flapping agent reconnects over and over.',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            { expr: `sum(increase(${METRIC.agentConnections}[$__rate_interval]))`, legend: 'connects' },
            { expr: `sum(increase(${METRIC.agentDisconnections}[$__rate_interval]))`, legend: 'disconnects' },
          ],
        },
      ],
    },
    {
      title: 'Coordinator gRPC and scrape targets',
      panels: [
        {
          title: 'RPCs by method and code',
          description: 'Request rate per method and status.',
          kind: 'timeseries',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (grpc_method, grpc_code) (rate(${HANDLED}[$__rate_interval]))`,
              legend: '{{grpc_method}} {{grpc_code}}',
            },
          ],
        },
        {
          title: 'RPC errors in range',
          description:
            'Calls that ended with a non-OK status (0 when none: the `or ... * 0` keeps every method listed).',
          kind: 'bargauge',
          unit: 'short',
          queries: [
            {
              expr:
                `sum by (grpc_method) (increase(${HANDLED}{grpc_code!="OK"}[$__range]))` +
                ` or sum by (grpc_method) (increase(${HANDLED}[$__range])) * 0`,
              legend: '{{grpc_method}}',
              instant: true,
            },
          ],
        },
        {
          title: 'Unary RPC latency p99',
          description: 'Slow unary calls (streams live for minutes and are left out).',
          kind: 'timeseries',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(0.99, sum by (grpc_method, le) (rate(${METRIC.grpcHandling}_bucket{grpc_type="unary"}[$__rate_interval])))`,
              legend: '{{grpc_method}}',
            },
          ],
        },
        {
          title: 'Scrape targets up',
          description: 'Coordinator and agent /metrics endpoints Prometheus can reach.',
          kind: 'bargauge',
          unit: 'short',
          queries: [
            {
              expr: `up{job=~"${JOB.coordinator}|${JOB.agent}"}`,
              legend: '{{job}} {{instance}}',
              instant: true,
            },
          ],
        },
        {
          title: 'Agent progress messages',
          description: 'Live samples each agent streams while it measures (0 when idle).',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            {
              expr: `sum by (instance) (rate(${METRIC.agentProgress}[$__rate_interval]))`,
              legend: '{{instance}}',
            },
          ],
        },
        {
          title: 'Process memory',
          description: 'Resident memory of the coordinator and the agents (not the runner children).',
          kind: 'timeseries',
          unit: 'bytes',
          queries: [
            {
              expr: `process_resident_memory_bytes{job=~"${JOB.coordinator}|${JOB.agent}"}`,
              legend: '{{job}} {{instance}}',
            },
          ],
        },
      ],
    },
  ],
};
