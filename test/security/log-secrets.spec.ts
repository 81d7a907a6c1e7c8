import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { LoggerService } from '@nestjs/common';
import { lastValueFrom } from 'rxjs';
import { createGrpcClient } from '#contracts';
import { startAgent } from '../../apps/agent/agent.bootstrap.js';
import { loadAgentConfig } from '../../apps/agent/config/agent.config.js';
import { startCoordinator } from '../../apps/coordinator/coordinator.bootstrap.js';
import { loadCoordinatorConfig } from '../../apps/coordinator/config/coordinator.config.js';
import { grpcError, waitFor } from '../support/test-farm.js';

/** Every log line of both apps, at every level, plus anything written to stdout/stderr meanwhile. */
const lines: string[] = [];
const capture: LoggerService = {
  log: (...args: unknown[]) => lines.push(args.map(String).join(' ')),
  error: (...args: unknown[]) => lines.push(args.map(String).join(' ')),
  warn: (...args: unknown[]) => lines.push(args.map(String).join(' ')),
  debug: (...args: unknown[]) => lines.push(args.map(String).join(' ')),
  verbose: (...args: unknown[]) => lines.push(args.map(String).join(' ')),
  fatal: (...args: unknown[]) => lines.push(args.map(String).join(' ')),
};

await test('enrollment, token creation and refused calls never put a secret into the logs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mlfarm-logs-'));
  const writes = {
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
  };
  const tee =
    (original: typeof process.stdout.write) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      lines.push(String(chunk));
      return (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    };
  process.stdout.write = tee(writes.out);
  process.stderr.write = tee(writes.err);
  const coordinator = await startCoordinator(
    loadCoordinatorConfig(
      { MLFARM_AUTH: 'token' },
      {
        dataDir: join(dir, 'coordinator'),
        grpcHost: '127.0.0.1',
        grpcPort: 0,
        httpHost: '127.0.0.1',
        httpPort: 0,
      },
    ),
    { logger: capture },
  );
  const adminToken = readFileSync(coordinator.config.auth.adminTokenFile, 'utf8').trim();
  const enrollmentToken = readFileSync(coordinator.config.auth.enrollmentTokenFile, 'utf8').trim();
  const stateDir = join(dir, 'agent');
  const agent = await startAgent(
    loadAgentConfig(
      {},
      {
        coordinatorAddress: coordinator.grpcAddress,
        name: 'quiet',
        stateDir,
        executionProviders: ['cpu'],
        reconnectMinMs: 100,
        reconnectMaxMs: 500,
        enrollmentToken,
      },
    ),
    { logger: capture },
  );
  const admin = createGrpcClient(coordinator.grpcAddress, { bearer: adminToken });
  const forgedSecret = 'ab'.repeat(32);
  const forged = createGrpcClient(coordinator.grpcAddress, { bearer: `mlf_admin_${forgedSecret}` });
  try {
    await waitFor(() => agent.isConnected(), 30_000, 'the enrolled agent');
    const agentCredential = readFileSync(join(stateDir, 'agent.credential'), 'utf8').trim();
    const created = await lastValueFrom(admin.coordinator.createToken({ name: 'ci', scopes: ['submit'] }));
    await grpcError(lastValueFrom(forged.coordinator.listRuns({ limit: 1 })));
    await fetch(`http://${coordinator.httpAddress}/metrics`, {
      headers: { authorization: `Bearer mlf_admin_${forgedSecret}` },
    });
    const logs = lines.join('\n');
    assert.match(logs, /enrolled/, 'the capture sees the enrollment');
    for (const [what, secret] of [
      ['admin token', adminToken],
      ['enrollment token', enrollmentToken],
      ['agent credential', agentCredential],
      ['created API token', created.secret],
      ['forged token', forgedSecret],
    ] as const) {
      const secretPart = secret.slice(-64);
      assert.equal(secretPart.length, 64);
      assert.ok(!logs.includes(secretPart), `the ${what} appears in the logs`);
    }
  } finally {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    admin.close();
    forged.close();
    await agent.close();
    await coordinator.close();
    await rm(dir, { recursive: true, force: true });
  }
});
