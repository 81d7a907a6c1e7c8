import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { METRIC } from '#metrics';
import { promtool, promtoolPath } from '../support/promtool.util.js';

// dist/test/deploy -> repository root
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PROM = join(ROOT, 'deploy/prometheus');
const noPromtool = !promtoolPath() && 'promtool not installed (apt-get install prometheus)';
const composeMissing = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status !== 0;

await test('promtool check config accepts deploy/prometheus/prometheus.yml', { skip: noPromtool }, () => {
  const { status, output } = promtool(['check', 'config', join(PROM, 'prometheus.yml')]);
  assert.equal(status, 0, output);
});

await test('promtool check rules accepts the alert rules', { skip: noPromtool }, () => {
  const { status, output } = promtool(['check', 'rules', join(PROM, 'mlfarm.rules.yml')]);
  assert.equal(status, 0, output);
});

await test('the Kubernetes Prometheus config passes promtool too', { skip: noPromtool }, async () => {
  const [doc] = parseAllDocuments(
    await readFile(join(ROOT, 'deploy/k8s/prometheus-config.configmap.yaml'), 'utf8'),
  );
  const dir = await mkdtemp(join(tmpdir(), 'mlfarm-prom-'));
  try {
    await writeFile(
      join(dir, 'prometheus.yml'),
      (doc!.toJS() as { data: Record<string, string> }).data['prometheus.yml']!,
    );
    await copyFile(join(PROM, 'mlfarm.rules.yml'), join(dir, 'mlfarm.rules.yml'));
    const { status, output } = promtool(['check', 'config', join(dir, 'prometheus.yml')]);
    assert.equal(status, 0, output);
  } finally {
    await rm(dir, { recursive: true, force: true });
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
