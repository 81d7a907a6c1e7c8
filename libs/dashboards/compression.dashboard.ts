import { METRIC } from '#metrics';
import type { DashboardSpec } from './dashboard-spec.types.js';
import { MODEL_FILTER, median, selected } from './promql.util.js';
import { RESULT_VARIABLES } from './template-variables.js';

const ORIGINAL = 'variant="original",model=~"$model"';

/** Original vs compressed: what each variant saves (size, latency, memory) and what it costs (fidelity). */
export const COMPRESSION: DashboardSpec = {
  uid: 'mlfarm-compression',
  file: 'original-vs-compressed',
  title: 'mlfarm / Original vs compressed',
  description: 'Size, latency, memory and output fidelity of each compressed variant next to the original.',
  tags: ['mlfarm', 'compression'],
  time: { from: 'now-7d', to: 'now' },
  variables: RESULT_VARIABLES,
  rows: [
    {
      title: 'Size',
      panels: [
        {
          title: 'Model size by variant',
          description: 'File size and gzip size: what shipping each variant costs.',
          kind: 'bargauge',
          unit: 'bytes',
          queries: [
            {
              expr: `max by (variant) (${selected(METRIC.modelSize, '', MODEL_FILTER)})`,
              legend: '{{variant}}',
              instant: true,
            },
            {
              expr: `max by (variant) (${selected(METRIC.modelGzipSize, '', MODEL_FILTER)})`,
              legend: '{{variant}} gzip',
              instant: true,
            },
          ],
        },
        {
          title: 'Size relative to the original',
          description: 'Fraction of the original size each variant keeps (0.25 = 75 % smaller).',
          kind: 'bargauge',
          unit: 'percentunit',
          queries: [
            {
              expr:
                `max by (model, variant) (${selected(METRIC.modelSize, '', MODEL_FILTER)})` +
                ` / on (model) group_left max by (model) (${METRIC.modelSize}{${ORIGINAL}})`,
              legend: '{{model}} {{variant}}',
              instant: true,
            },
          ],
        },
      ],
    },
    {
      title: 'Speed and memory',
      panels: [
        {
          title: 'Median latency by variant',
          description: 'Is the compressed variant faster on each agent?',
          kind: 'bargauge',
          unit: 's',
          queries: [
            {
              expr: `max by (variant, agent, ep) (${median()})`,
              legend: '{{variant}} on {{agent}} {{ep}}',
              instant: true,
            },
          ],
        },
        {
          title: 'Latency relative to the original',
          description: 'Variant median / original median on the same agent and EP (below 1 = faster).',
          kind: 'bargauge',
          unit: 'none',
          queries: [
            {
              expr:
                `max by (model, variant, agent, ep) (${median()})` +
                ` / on (model, agent, ep) group_left max by (model, agent, ep) (${METRIC.resultLatency}{stat="median",${ORIGINAL}})`,
              legend: '{{variant}} on {{agent}} {{ep}}',
              instant: true,
            },
          ],
        },
        {
          title: 'Peak memory by variant',
          description: 'Runner peak RSS: does compression let the model fit where the original does not?',
          kind: 'bargauge',
          unit: 'bytes',
          queries: [
            {
              expr: `max by (variant, agent) (${selected(METRIC.peakMemory, 'kind="rss"')})`,
              legend: '{{variant}} on {{agent}}',
              instant: true,
            },
          ],
        },
      ],
    },
    {
      title: 'Fidelity',
      panels: [
        {
          title: 'Output cosine similarity vs the original',
          description:
            'How close the variant outputs stay to the original model on the same inputs (1 = identical).',
          kind: 'bargauge',
          unit: 'none',
          queries: [
            {
              expr: `max by (variant, agent) (${selected(METRIC.fidelity, 'metric="cosine"')})`,
              legend: '{{variant}} on {{agent}}',
              instant: true,
            },
          ],
        },
        {
          title: 'Output SNR vs the original',
          description: 'Signal-to-noise ratio of the outputs in dB (higher = more faithful).',
          kind: 'bargauge',
          unit: 'dB',
          queries: [
            {
              expr: `max by (variant, agent) (${selected(METRIC.snr)})`,
              legend: '{{variant}} on {{agent}}',
              instant: true,
            },
          ],
        },
      ],
    },
  ],
};
