import { METRIC } from '#metrics';
import type { DashboardSpec } from './dashboard-spec.types.js';
import { median, selected } from './promql.util.js';
import { RESULT_VARIABLES } from './template-variables.js';

const BY = 'model, variant, agent, ep';
const OPEN_REGRESSIONS = `max by (suite, model, variant, metric, fingerprint, source) (${METRIC.regression}) == 1`;

/** Did tonight's change make anything worse? Last results over weeks, and each against its best week. */
export const NIGHTLY_TRENDS: DashboardSpec = {
  uid: 'mlfarm-trends',
  file: 'nightly-trends',
  title: 'mlfarm / Nightly trends',
  description:
    'Latency, memory, size and fidelity of each result over time; regression = now vs best of 7 days.',
  tags: ['mlfarm', 'nightly'],
  time: { from: 'now-30d', to: 'now' },
  variables: RESULT_VARIABLES,
  annotations: [
    {
      // The coordinator exports 1 per open regression (a gate's verdict or a confirmed nightly change point).
      name: 'Regressions',
      expr: OPEN_REGRESSIONS,
      title: '{{suite}}: {{model}} [{{variant}}] {{metric}}',
      text: '{{source}} regression on fingerprint {{fingerprint}}',
      tagKeys: ['suite', 'model', 'metric', 'source'],
    },
  ],
  rows: [
    {
      title: 'Regressions',
      panels: [
        {
          title: 'Open regressions',
          description:
            'Gate verdicts and confirmed nightly change points not yet acknowledged or muted; `mlfarm regressions` lists them and the red annotations mark when each was found.',
          kind: 'stat',
          unit: 'none',
          span: 12,
          // Every replica exports the same rows from the shared store: count each regression once.
          queries: [{ expr: `count(${OPEN_REGRESSIONS}) or vector(0)`, legend: 'open', instant: true }],
        },
        {
          title: 'Median latency vs best of the last 7 days',
          description: 'Above 1 = slower than this series has been this week (the alert fires at 1.2).',
          kind: 'bargauge',
          unit: 'none',
          span: 12,
          queries: [
            {
              expr: `max by (${BY}) (${median()}) / max by (${BY}) (min_over_time(${median()}[7d]))`,
              legend: '{{model}} {{variant}} {{agent}} {{ep}}',
              instant: true,
            },
          ],
        },
      ],
    },
    {
      title: 'Trends',
      panels: [
        {
          title: 'Median latency',
          description: 'Each result median over time.',
          kind: 'timeseries',
          unit: 's',
          queries: [
            {
              expr: `max by (${BY}, runtime) (${median()})`,
              legend: '{{model}} {{variant}} {{agent}} {{ep}} ort {{runtime}}',
            },
          ],
        },
        {
          title: 'Peak memory',
          description: 'Runner peak RSS per result over time.',
          kind: 'timeseries',
          unit: 'bytes',
          queries: [
            {
              expr: `max by (${BY}) (${selected(METRIC.peakMemory, 'kind="rss"')})`,
              legend: '{{model}} {{variant}} {{agent}}',
            },
          ],
        },
        {
          title: 'Cold load time',
          description: 'Session creation time per result over time.',
          kind: 'timeseries',
          unit: 's',
          queries: [
            {
              expr: `max by (${BY}) (${selected(METRIC.modelLoad)})`,
              legend: '{{model}} {{variant}} {{agent}}',
            },
          ],
        },
        {
          title: 'Model size',
          description: 'A variant growing overnight means the compression recipe changed.',
          kind: 'timeseries',
          unit: 'bytes',
          queries: [
            {
              expr: `max by (model, variant) (${selected(METRIC.modelSize, '', 'model=~"$model",variant=~"$variant"')})`,
              legend: '{{model}} {{variant}}',
            },
          ],
        },
        {
          title: 'Output fidelity (cosine)',
          description: 'A drop means a compression or runtime change altered the outputs.',
          kind: 'timeseries',
          unit: 'none',
          queries: [
            {
              expr: `max by (${BY}) (${selected(METRIC.fidelity, 'metric="cosine"')})`,
              legend: '{{model}} {{variant}} {{agent}}',
            },
          ],
        },
        {
          title: 'Results per day',
          description: 'Did the nightly run happen? Results stored per day.',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            {
              expr: `sum by (model, variant) (increase(${selected(METRIC.results)}[1d]))`,
              legend: '{{model}} {{variant}}',
            },
          ],
        },
      ],
    },
  ],
};
