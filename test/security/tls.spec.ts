import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { lastValueFrom, of } from 'rxjs';
import { type ClientTlsFiles, createGrpcClient } from '#contracts';
import { startAgent } from '../../apps/agent/agent.bootstrap.js';
import { loadAgentConfig } from '../../apps/agent/config/agent.config.js';
import { type CoordinatorHandle, startCoordinator } from '../../apps/coordinator/coordinator.bootstrap.js';
import { loadCoordinatorConfig } from '../../apps/coordinator/config/coordinator.config.js';
import { collect, grpcError, waitFor } from '../support/test-farm.js';

// A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, made at test time.
const dir = await mkdtemp(join(tmpdir(), 'mlfarm-tls-'));
const pem = (name: string) => join(dir, name);
function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
openssl(
  'req',
  '-x509',
  ...EC,
  '-keyout',
  'ca.key',
  '-out',
  'ca.crt',
  '-days',
  '1',
  '-subj',
  '/CN=mlfarm test CA',
);
for (const [name, ext] of [
  ['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'],
  ['client', 'extendedKeyUsage=clientAuth\n'],
] as const) {
  await writeFile(pem(`${name}.ext`), ext);
  openssl('req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=mlfarm ${name}`);
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
  );
}

async function coordinator(clientCa: boolean): Promise<CoordinatorHandle> {
  return startCoordinator(
    loadCoordinatorConfig(
      {},
      {
        dataDir: join(dir, clientCa ? 'data-mtls' : 'data-tls'),
        grpcHost: '127.0.0.1',
        grpcPort: 0,
        httpHost: '127.0.0.1',
        httpPort: 0,
        tlsCertFile: pem('server.crt'),
        tlsKeyFile: pem('server.key'),
        tlsClientCaFile: clientCa ? pem('ca.crt') : undefined,
      },
    ),
    { logger: false },
  );
}

async function listAgents(address: string, tls?: ClientTlsFiles) {
  const client = createGrpcClient(address, { tls });
  try {
    return await lastValueFrom(client.coordinator.listAgents({}));
  } finally {
    client.close();
  }
}

const withCa: ClientTlsFiles = { caFile: pem('ca.crt') };
const withClientCert: ClientTlsFiles = { ...withCa, certFile: pem('client.crt'), keyFile: pem('client.key') };

await test('TLS: a client trusting the CA is served; a plaintext client is not', async () => {
  const server = await coordinator(false);
  try {
    assert.deepEqual((await listAgents(server.grpcAddress, withCa)).agents, []);
    const plaintext = await grpcError(listAgents(server.grpcAddress));
    assert.equal(plaintext.code, status.UNAVAILABLE, plaintext.details);
  } finally {
    await server.close();
  }
});

await test('mutual TLS: an agent with a client certificate connects, one without is refused', async () => {
  const server = await coordinator(true);
  const agent = await startAgent(
    loadAgentConfig(
      {},
      {
        coordinatorAddress: server.grpcAddress,
        name: 'mtls-agent',
        stateDir: join(dir, 'agent-mtls'),
        executionProviders: ['cpu'],
        reconnectMinMs: 100,
        reconnectMaxMs: 500,
        tls: withClientCert,
      },
    ),
    { logger: false },
  );
  try {
    await waitFor(() => agent.isConnected(), 30_000, 'the agent with a client certificate');
    assert.equal((await listAgents(server.grpcAddress, withClientCert)).agents.length, 1);
    const noCert = createGrpcClient(server.grpcAddress, { tls: withCa });
    try {
      const refused = await grpcError(
        collect(
          noCert.gateway.connect(
            of({
              hello: {
                agentId: 'agent_nocert',
                name: 'x',
                labels: [],
                executionProviders: [],
                runningTaskIds: [],
                runtimes: [],
              },
            }),
          ),
        ),
      );
      assert.equal(refused.code, status.UNAVAILABLE, refused.details);
    } finally {
      noCert.close();
    }
  } finally {
    await agent.close();
    await server.close();
  }
});

await rm(dir, { recursive: true, force: true });
