import { METRIC } from '#metrics';
import type { DashboardSpec } from './dashboard-spec.types.js';
import { selected } from './promql.util.js';
import { RESULT_VARIABLES } from './template-variables.js';

const OPS = selected(METRIC.opLatency);
const CPU = 'provider="CPUExecutionProvider"';

/** Where the time goes inside one inference, and which operations fell back to the CPU. */
export const PER_OP: DashboardSpec = {
  uid: 'mlfarm-ops',
  file: 'per-op-breakdown',
  title: 'mlfarm / Per-operation breakdown',
  description:
    'Time per op type and provider from the profiled pass of the last result; CPU fallbacks of accelerated EPs.',
  tags: ['mlfarm', 'ops'],
  time: { from: 'now-6h', to: 'now' },
  variables: RESULT_VARIABLES,
  rows: [
    {
      title: 'Op types',
      panels: [
        {
          title: 'Top 10 op types by time',
          description: 'Which operations dominate one inference? Optimise or compress these first.',
          kind: 'bargauge',
          unit: 's',
          queries: [{ expr: `topk(10, max by (op_type) (${OPS}))`, legend: '{{op_type}}', instant: true }],
        },
        {
          title: 'Share of run time by op type',
          description: 'Fraction of the profiled run time per op type.',
          kind: 'bargauge',
          unit: 'percentunit',
          queries: [
            {
              expr: `topk(10, sum by (op_type) (${OPS}) / scalar(sum(${OPS})))`,
              legend: '{{op_type}}',
              instant: true,
            },
          ],
        },
        {
          title: 'Op type time by agent',
          description: 'The same op on different hardware: which agent is slow at what.',
          kind: 'table',
          unit: 's',
          span: 12,
          queries: [{ expr: `topk(20, sum by (agent, ep, op_type) (${OPS}))`, instant: true }],
        },
      ],
    },
    {
      title: 'Placement',
      panels: [
        {
          title: 'Time by provider',
          description: 'How the run time splits between the requested EP and the CPU.',
          kind: 'bargauge',
          unit: 's',
          queries: [
            {
              expr: `sum by (agent, ep, provider) (${OPS})`,
              legend: '{{agent}} {{ep}} -> {{provider}}',
              instant: true,
            },
          ],
        },
        {
          title: 'Nodes by provider',
          description:
            'Where the graph nodes ran; for a non-CPU EP the CPUExecutionProvider rows are fallbacks.',
          kind: 'bargauge',
          unit: 'short',
          queries: [
            {
              expr: `sum by (agent, ep, provider) (${selected(METRIC.opNodes)})`,
              legend: '{{agent}} {{ep}} -> {{provider}}',
              instant: true,
            },
          ],
        },
        {
          title: 'CPU share of run time',
          description:
            'For an accelerated EP, the time lost to CPU fallbacks (1 on the cpu EP by definition).',
          kind: 'bargauge',
          unit: 'percentunit',
          queries: [
            {
              expr: `sum by (agent, ep) (${selected(METRIC.opLatency, CPU)}) / sum by (agent, ep) (${OPS})`,
              legend: '{{agent}} {{ep}}',
              instant: true,
            },
          ],
        },
        {
          title: 'CPU fallback op types',
          description: 'Which op types run on the CPU, per EP: the candidates for a missing kernel.',
          kind: 'table',
          unit: 'short',
          queries: [{ expr: `sum by (ep, op_type) (${selected(METRIC.opNodes, CPU)})`, instant: true }],
        },
      ],
    },
  ],
};
