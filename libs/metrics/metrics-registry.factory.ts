import { Registry, collectDefaultMetrics } from 'prom-client';

// prom-client's default collector exports these gauges with a `_total` suffix, which `promtool check
// metrics` rejects (only counters may end in _total); the rest of its process/nodejs families are fine.
const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * One registry per app instance, never prom-client's global one: tests and `mlfarm bench` run a
 * coordinator and an agent in one process, and each must export only its own families.
 */
export function createMetricsRegistry(options: { processMetrics: boolean }): Registry {
  const registry = new Registry();
  if (options.processMetrics) {
    collectDefaultMetrics({ register: registry });
    for (const name of LINT_FAILING_DEFAULTS) {
      registry.removeSingleMetric(name);
    }
  }
  return registry;
}
