import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../support/cli-process.js';
import { TestFarm } from '../support/test-farm.js';

// The CLI as real processes against an authenticated coordinator (no agents needed).
const farm = await TestFarm.start([], {}, { MLFARM_AUTH: 'token' });
const address = farm.coordinator.grpcAddress;
const adminToken = farm.adminToken()!;

await test('mlfarm token create prints the secret once on stdout; the token then works for its scope only', async () => {
  const created = await runCli(['token', 'create', '--name', 'ci', '--scope', 'read', '-c', address], {
    env: { MLFARM_TOKEN: adminToken },
  });
  assert.equal(created.code, 0, created.stderr);
  const secret = created.stdout.trim();
  assert.match(secret, /^mlf_[0-9a-f]{12}_[0-9a-f]{64}$/);
  assert.ok(!created.stderr.includes(secret.slice(-64)), 'the secret goes to stdout only');

  const listed = await runCli(['token', 'list', '-c', address, '--token', adminToken]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /ci\s+read\s/);
  assert.ok(!listed.stdout.includes(secret.slice(-64)));

  const anonymous = await runCli(['runs', '-c', address]);
  assert.equal(anonymous.code, 2);
  assert.match(anonymous.stderr, /UNAUTHENTICATED/);
  const reader = await runCli(['runs', '-c', address], { env: { MLFARM_TOKEN: secret } });
  assert.equal(reader.code, 0, reader.stderr);
  const mint = await runCli(['token', 'create', '--name', 'x', '--scope', 'admin', '-c', address], {
    env: { MLFARM_TOKEN: secret },
  });
  assert.equal(mint.code, 2);
  assert.match(mint.stderr, /PERMISSION_DENIED/);
});

await farm.close();
