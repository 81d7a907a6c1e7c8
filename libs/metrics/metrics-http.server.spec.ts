import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAgentMetrics } from './agent-metrics.factory.js';
import { startMetricsServer } from './metrics-http.server.js';
import { createMetricsRegistry } from './metrics-registry.factory.js';

await test('each registry serves only its own families on /metrics', async () => {
  const registry = createMetricsRegistry({ processMetrics: false });
  const other = createMetricsRegistry({ processMetrics: false });
  createAgentMetrics(registry).inferenceLatency.observe(
    { model: 'm', variant: 'original', agent: 'a', ep: 'cpu', runtime: '1.30.0' },
    0.004,
  );
  createAgentMetrics(other); // the same names in another registry do not collide
  const server = await startMetricsServer(registry, '127.0.0.1', 0);
  try {
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    const text = await response.text();
    assert.match(text, /mlfarm_agent_inference_latency_seconds_bucket\{le="0\.005",model="m"/);
    assert.match(text, /mlfarm_agent_tasks_total\{status="failed"\} 0/);
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/other`)).status, 404);
  } finally {
    await server.close();
  }
});
