import { METRIC } from '#metrics';
import type { VariableSpec } from './dashboard-spec.types.js';

// Listed from the histogram every measured task feeds, so a model shows up as soon as its first
// sample arrives, not only after its first result.
const SOURCE = `${METRIC.inferenceLatency}_count`;

/** model -> variant -> agent -> ep, each narrowed by the ones before it. */
export const RESULT_VARIABLES: VariableSpec[] = [
  { name: 'model', label: 'Model', query: `label_values(${SOURCE}, model)` },
  { name: 'variant', label: 'Variant', query: `label_values(${SOURCE}{model=~"$model"}, variant)` },
  {
    name: 'agent',
    label: 'Agent',
    query: `label_values(${SOURCE}{model=~"$model",variant=~"$variant"}, agent)`,
  },
  {
    name: 'ep',
    label: 'Execution provider',
    query: `label_values(${SOURCE}{model=~"$model",variant=~"$variant",agent=~"$agent"}, ep)`,
  },
];
