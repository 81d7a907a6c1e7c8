import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
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

await test('a listener beyond loopback without authentication is a configuration error', () => {
  for (const env of [
    { MLFARM_GRPC_ADDRESS: '0.0.0.0:50051' },
    { MLFARM_HTTP_ADDRESS: '[::]:8080' },
    { MLFARM_GRPC_ADDRESS: '10.1.2.3:50051', MLFARM_AUTH: 'none' },
  ]) {
    assert.throws(
      () => loadCoordinatorConfig(env),
      (e: unknown) => e instanceof ConfigError && /beyond loopback.*MLFARM_AUTH=token/.test(e.message),
      JSON.stringify(env),
    );
  }
  assert.throws(() => loadCoordinatorConfig({}, { grpcHost: '0.0.0.0' }), /beyond loopback/);
  const open = loadCoordinatorConfig({ MLFARM_GRPC_ADDRESS: '0.0.0.0:50051', MLFARM_AUTH: 'token' });
  assert.equal(open.auth.enabled, true);
  assert.equal(open.auth.adminTokenFile, join(open.dataDir, 'admin.token'));
  assert.equal(loadCoordinatorConfig({}, { grpcHost: '0.0.0.0', auth: 'token' }).auth.enabled, true);
  assert.equal(
    loadCoordinatorConfig({ MLFARM_ADMIN_TOKEN_FILE: '/run/secrets/admin' }).auth.enabled,
    true,
    'naming a token file turns authentication on',
  );
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) {
    assert.equal(loadCoordinatorConfig({}, { grpcHost: host }).auth.enabled, false, host);
  }
});

await test('auth, TLS and limit settings are checked with the rest', () => {
  assert.throws(
    () =>
      loadCoordinatorConfig({
        MLFARM_AUTH: 'maybe',
        MLFARM_TLS_CERT_FILE: '/nowhere/cert.pem',
        MLFARM_MAX_MESSAGE_MIB: '1',
        MLFARM_MAX_STREAMS_PER_CLIENT: '0',
      }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message.includes("MLFARM_AUTH='maybe'") &&
      e.message.includes('TLS needs both') &&
      e.message.includes("MLFARM_MAX_MESSAGE_MIB='1'") &&
      e.message.includes("MLFARM_MAX_STREAMS_PER_CLIENT='0'"),
  );
  const config = loadCoordinatorConfig({});
  assert.equal(config.maxMessageBytes, 64 * 1024 * 1024);
  assert.equal(config.maxActiveRunsPerClient, 100);
  assert.equal(config.maxStreamsPerClient, 32);
  assert.equal(config.tls, undefined);
});

await test('the store: an SQLite file in the data dir, or PostgreSQL from MLFARM_DATABASE_URL', () => {
  const sqlite = loadCoordinatorConfig({}, { dataDir: '/tmp/mlfarm-x' });
  assert.equal(sqlite.databaseUrl, join('/tmp/mlfarm-x', 'mlfarm.sqlite'));
  const url = 'postgres://mlfarm:s3cret@db.internal:5432/mlfarm';
  const pg = loadCoordinatorConfig({ MLFARM_DATABASE_URL: url, MLFARM_DATABASE_POOL: '25' });
  assert.equal(pg.databaseUrl, url);
  assert.equal(pg.databasePoolSize, 25);
  assert.equal(loadCoordinatorConfig({ MLFARM_DATABASE_URL: url }).databasePoolSize, 10);
});

await test('a database URL that is not PostgreSQL is refused without showing its password', () => {
  assert.throws(
    () =>
      loadCoordinatorConfig({
        MLFARM_DATABASE_URL: 'mysql://root:hunter2@db:3306/x',
        MLFARM_DATABASE_POOL: '0',
      }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /MLFARM_DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
      assert.match(e.message, /MLFARM_DATABASE_POOL/);
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    },
  );
});
