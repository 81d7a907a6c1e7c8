import { METRIC } from '#metrics';
import type { DashboardSpec } from './dashboard-spec.types.js';
import { histogramQuantile, median, selected } from './promql.util.js';
import { RESULT_VARIABLES } from './template-variables.js';

/** One model and variant across every agent: which hardware is fastest, and by how much. */
export const HARDWARE_COMPARISON: DashboardSpec = {
  uid: 'mlfarm-hardware',
  file: 'hardware-comparison',
  title: 'mlfarm / Hardware comparison',
  description: 'Pick one model and variant; compare latency, load time and memory across agents.',
  tags: ['mlfarm'],
  time: { from: 'now-6h', to: 'now' },
  variables: RESULT_VARIABLES,
  rows: [
    {
      title: 'Latency',
      panels: [
        {
          title: 'Median latency by agent (last result)',
          description: 'Which agent runs this model fastest? Lower is better.',
          kind: 'bargauge',
          unit: 's',
          queries: [
            {
              expr: `max by (agent, ep, runtime) (${median()})`,
              legend: '{{agent}} {{ep}} ort {{runtime}}',
              instant: true,
            },
          ],
        },
        {
          title: 'Slowdown vs the fastest agent',
          description:
            'How many times slower than the fastest agent shown (1 = fastest). Select one model and variant.',
          kind: 'bargauge',
          unit: 'none',
          queries: [
            {
              expr: `max by (agent, ep) (${median()}) / scalar(min(${median()}))`,
              legend: '{{agent}} {{ep}}',
              instant: true,
            },
          ],
        },
        {
          title: 'Live latency p50 / p99 by agent',
          description: 'Latency as samples stream in while tasks run (from the live histogram).',
          kind: 'timeseries',
          unit: 's',
          span: 12,
          queries: [
            { expr: histogramQuantile(0.5, 'agent'), legend: '{{agent}} p50' },
            { expr: histogramQuantile(0.99, 'agent'), legend: '{{agent}} p99' },
          ],
        },
        {
          title: 'Tail latency (last result)',
          description: 'p90 and p99 per agent: is a fast median hiding a slow tail?',
          kind: 'bargauge',
          unit: 's',
          queries: [
            {
              expr: `max by (agent, stat) (${selected(METRIC.resultLatency, 'stat=~"p90|p99"')})`,
              legend: '{{agent}} {{stat}}',
              instant: true,
            },
          ],
        },
        {
          title: 'Inferences measured',
          description: 'Timed iterations observed per agent in the selected time range.',
          kind: 'bargauge',
          unit: 'short',
          queries: [
            {
              expr: `sum by (agent) (increase(${selected(`${METRIC.inferenceLatency}_count`)}[$__range]))`,
              legend: '{{agent}}',
              instant: true,
            },
          ],
        },
      ],
    },
    {
      title: 'Start-up and memory',
      panels: [
        {
          title: 'Cold load and first run',
          description: 'Session creation and first inference: what a user waits for before the first answer.',
          kind: 'bargauge',
          unit: 's',
          queries: [
            {
              expr: `max by (agent) (${selected(METRIC.modelLoad)})`,
              legend: '{{agent}} load',
              instant: true,
            },
            {
              expr: `max by (agent) (${selected(METRIC.firstRun)})`,
              legend: '{{agent}} first run',
              instant: true,
            },
          ],
        },
        {
          title: 'Peak memory (runner RSS)',
          description: 'Does the model fit? Peak resident memory of the measuring process.',
          kind: 'bargauge',
          unit: 'bytes',
          queries: [
            {
              expr: `max by (agent) (${selected(METRIC.peakMemory, 'kind="rss"')})`,
              legend: '{{agent}}',
              instant: true,
            },
          ],
        },
        {
          title: 'Agent hardware',
          description: 'CPU, cores, GPU and runtime of every connected agent.',
          kind: 'table',
          unit: 'none',
          span: 12,
          queries: [
            {
              expr: `max by (agent, cpu_model, cpu_cores, arch, os, gpu, ort_version, labels) (${METRIC.agentInfo})`,
              instant: true,
            },
          ],
        },
      ],
    },
  ],
};
