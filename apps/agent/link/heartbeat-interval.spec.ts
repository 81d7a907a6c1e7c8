import assert from 'node:assert/strict';
import test from 'node:test';
import { heartbeatInterval } from './coordinator-link.service.js';

await test('the heartbeat interval from a welcome is clamped: 0, negative or NaN never spin the agent', () => {
  assert.equal(heartbeatInterval(0), 5_000);
  assert.equal(heartbeatInterval(-5), 5_000);
  assert.equal(heartbeatInterval(Number.NaN), 5_000);
  assert.equal(heartbeatInterval(1), 100);
  assert.equal(heartbeatInterval(10 * 60_000), 60_000);
  assert.equal(heartbeatInterval(2_500), 2_500);
});
