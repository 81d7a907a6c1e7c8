import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { METRIC } from '#metrics';
import { loadCoordinatorConfig } from '../../apps/coordinator/config/coordinator.config.js';
import { promtool, promtoolPath } from '../support/promtool.util.js';

// dist/test/deploy -> repository root
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PROM = join(ROOT, 'deploy/prometheus');
const noPromtool = !promtoolPath() && 'promtool not installed (apt-get install prometheus)';
const composeMissing = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status !== 0;

/**
 * promtool checks that the metrics token file exists; the deployments mount it at run time, so the check
 * runs on a copy whose token path points at a real (dummy) file in a temp folder.
 */
async function checkPrometheusConfig(text: string): Promise<{ status: number | null; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'mlfarm-prom-'));
  try {
    const token = join(dir, 'metrics.token');
    await writeFile(token, `mlf_0123456789ab_${'0'.repeat(64)}`);
    assert.match(text, /credentials_file: \/secrets\/metrics[./]token/, 'the coordinator job sends a token');
    await writeFile(join(dir, 'prometheus.yml'), text.replace(/\/secrets\/metrics[./]token/g, token));
    await copyFile(join(PROM, 'mlfarm.rules.yml'), join(dir, 'mlfarm.rules.yml'));
    return promtool(['check', 'config', join(dir, 'prometheus.yml')]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await test(
  'promtool check config accepts deploy/prometheus/prometheus.yml',
  { skip: noPromtool },
  async () => {
    const { status, output } = await checkPrometheusConfig(
      await readFile(join(PROM, 'prometheus.yml'), 'utf8'),
    );
    assert.equal(status, 0, output);
  },
);

await test('promtool check rules accepts the alert rules', { skip: noPromtool }, () => {
  const { status, output } = promtool(['check', 'rules', join(PROM, 'mlfarm.rules.yml')]);
  assert.equal(status, 0, output);
});

await test('the Kubernetes Prometheus config passes promtool too', { skip: noPromtool }, async () => {
  const [doc] = parseAllDocuments(
    await readFile(join(ROOT, 'deploy/k8s/prometheus-config.configmap.yaml'), 'utf8'),
  );
  const text = (doc!.toJS() as { data: Record<string, string> }).data['prometheus.yml']!;
  const { status, output } = await checkPrometheusConfig(text);
  assert.equal(status, 0, output);
});

await test('the deployed coordinators listen beyond loopback with authentication on (the config accepts them)', async () => {
  const compose = parseAllDocuments(
    await readFile(join(ROOT, 'deploy/docker-compose.yml'), 'utf8'),
  )[0]!.toJS() as {
    services: { coordinator: { environment: Record<string, string>; command: string[] } };
  };
  const command = compose.services.coordinator.command;
  const composeEnv = {
    ...compose.services.coordinator.environment,
    MLFARM_GRPC_ADDRESS: command[command.indexOf('--grpc') + 1],
    MLFARM_HTTP_ADDRESS: command[command.indexOf('--http') + 1],
    MLFARM_DATA_DIR: tmpdir(),
  };
  const k8s = parseAllDocuments(
    await readFile(join(ROOT, 'deploy/k8s/coordinator.configmap.yaml'), 'utf8'),
  )[0]!.toJS() as {
    data: Record<string, string>;
  };
  const deployments: [string, Record<string, string | undefined>][] = [
    ['docker-compose', composeEnv],
    ['kubernetes', { ...k8s.data, MLFARM_DATA_DIR: tmpdir() }],
  ];
  for (const [name, env] of deployments) {
    assert.match(env.MLFARM_GRPC_ADDRESS ?? '', /^0\.0\.0\.0:/, `${name} listens beyond loopback`);
    const config = loadCoordinatorConfig(env);
    assert.equal(config.auth.enabled, true, `${name} turns authentication on`);
    assert.ok(config.auth.metricsTokenFile, `${name} gives Prometheus a read token`);
    // Without the auth settings the same listeners are refused: the check above is not vacuous.
    const open = Object.fromEntries(Object.entries(env).filter(([k]) => !/AUTH|TOKEN/.test(k)));
    assert.throws(() => loadCoordinatorConfig(open), /beyond loopback, so it needs authentication/);
  }
});

await test('the alert rules only use families the apps export', async () => {
  const text = await readFile(join(PROM, 'mlfarm.rules.yml'), 'utf8');
  const known = new Set<string>(Object.values(METRIC));
  for (const [name] of text.matchAll(/\b(?:mlfarm|grpc_server)_[a-z_]+\b/g)) {
    assert.ok(known.has(name), `unknown metric ${name} in mlfarm.rules.yml`);
  }
});

await test(
  'docker-compose config accepts deploy/docker-compose.yml',
  { skip: composeMissing && 'docker-compose not installed' },
  () => {
    const run = spawnSync('docker-compose', ['-f', join(ROOT, 'deploy/docker-compose.yml'), 'config', '-q'], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  },
);

await test('the Kubernetes manifests: coordinator Deployment + Service, GPU agent DaemonSet, ConfigMaps', async () => {
  const dir = join(ROOT, 'deploy/k8s');
  const objects: { kind: string; metadata: { name: string }; spec?: Record<string, unknown> }[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')) {
    for (const doc of parseAllDocuments(await readFile(join(dir, file), 'utf8'))) {
      assert.deepEqual(doc.errors, [], file);
      objects.push(doc.toJS() as (typeof objects)[number]);
    }
  }
  const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`);
  for (const wanted of [
    'Deployment/mlfarm-coordinator',
    'Service/mlfarm-coordinator',
    'DaemonSet/mlfarm-agent-gpu',
    'ConfigMap/mlfarm-agent',
  ]) {
    assert.ok(kinds.includes(wanted), `${wanted} in ${kinds.join(', ')}`);
  }
  const daemonSet = objects.find((o) => o.kind === 'DaemonSet') as unknown as {
    spec: {
      template: {
        spec: {
          nodeSelector: Record<string, string>;
          containers: { resources: { requests: Record<string, unknown> } }[];
        };
      };
    };
  };
  const pod = daemonSet.spec.template.spec;
  assert.ok(
    Object.keys(pod.nodeSelector).some((k) => k.includes('gpu')),
    'GPU node selector',
  );
  assert.ok(pod.containers[0]!.resources.requests['nvidia.com/gpu'], 'requests a GPU');
});
