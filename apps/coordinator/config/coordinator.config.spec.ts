import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadCoordinatorConfig } from './coordinator.config.js';

await test('defaults listen on loopback only', () => {
  const config = loadCoordinatorConfig({});
  assert.equal(config.grpcHost, '127.0.0.1');
  assert.equal(config.grpcPort, 50051);
  assert.equal(config.httpHost, '127.0.0.1');
});

await test('every bad variable is reported at once', () => {
  assert.throws(
    () =>
      loadCoordinatorConfig({
        MLFARM_GRPC_ADDRESS: 'nowhere',
        MLFARM_LEASE_MS: 'soon',
        MLFARM_MAX_MODEL_MIB: '0',
      }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message.includes("MLFARM_GRPC_ADDRESS='nowhere'") &&
      e.message.includes("MLFARM_LEASE_MS='soon'") &&
      e.message.includes("MLFARM_MAX_MODEL_MIB='0'"),
  );
  assert.throws(
    () => loadCoordinatorConfig({ MLFARM_LEASE_MS: '2000', MLFARM_HEARTBEAT_MS: '1500' }),
    /at most half/,
  );
});

await test('flags win over the environment; IPv6 addresses parse', () => {
  const config = loadCoordinatorConfig({ MLFARM_GRPC_ADDRESS: '[::1]:6000' }, { grpcPort: 7000 });
  assert.equal(config.grpcHost, '::1');
  assert.equal(config.grpcPort, 7000);
});
