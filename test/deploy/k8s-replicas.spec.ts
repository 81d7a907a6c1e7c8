import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { loadCoordinatorConfig } from '../../apps/coordinator/config/coordinator.config.js';
import { POSTGRES_NODE_OPTIONS } from '../../apps/coordinator/v8-tuning.js';
import {
  type ConfigMap,
  type Container,
  type Manifests,
  type PodDisruptionBudget,
  type Service,
  type Workload,
  containerEnv,
  documentedSecrets,
  loadManifests,
  selects,
} from './k8s-manifests.util.js';

// dist/test/deploy -> repository root
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const m: Manifests = await loadManifests(join(ROOT, 'deploy/k8s'));
const NS = m.kustomization.namespace ?? 'default';

const coordinator = m.get<Workload>('Deployment', 'mlfarm-coordinator');
const coordinatorPod = coordinator.spec.template;
const coordinatorContainer = coordinatorPod.spec.containers.find((c) => c.name === 'coordinator')!;
const postgres = m.get<Workload>('StatefulSet', 'mlfarm-postgres');
const documented = documentedSecrets(m.kustomizationText);
// Distinct stand-ins per key (the documented user and database are both `mlfarm`), so a swapped key shows.
const secrets: Record<string, Record<string, string>> = {
  ...documented,
  'mlfarm-postgres': Object.fromEntries(
    Object.entries(documented['mlfarm-postgres'] ?? {}).map(([k, v]) => [k, `${k}${v}`]),
  ),
};
const configMaps = Object.fromEntries(
  m.objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, (o as ConfigMap).data]),
);

/** The coordinator container's environment with the documented Secrets' stand-in values. */
function coordinatorEnv(): Record<string, string> {
  return containerEnv(coordinatorContainer, configMaps, secrets);
}

function portNumber(container: Container, port: string | number | undefined): number | undefined {
  return typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort;
}

/** The volume mounted at the deepest mountPath holding `file`. */
function volumeHolding(container: Container, pod: Workload['spec']['template'], file: string) {
  const mount = (container.volumeMounts ?? [])
    .filter((vm) => file.startsWith(`${vm.mountPath.replace(/\/$/, '')}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  assert.ok(mount, `${file} is on no volume of ${container.name}`);
  const volume = pod.spec.volumes?.find((v) => v.name === mount.name);
  assert.ok(volume, `volume ${mount.name} mounted but not declared`);
  return volume;
}

await test('kubernetes: the kustomization lists every manifest in deploy/k8s, and nothing else', () => {
  assert.deepEqual([...m.kustomization.resources].sort(), m.files);
});

await test(
  'kubernetes: kubectl kustomize builds every object of deploy/k8s',
  {
    skip:
      spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status !== 0 &&
      'kubectl not installed',
  },
  () => {
    const run = spawnSync('kubectl', ['kustomize', join(ROOT, 'deploy/k8s')], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const built = parseAllDocuments(run.stdout).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string } },
    );
    const names = (list: { kind: string; metadata: { name: string } }[]) =>
      list.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(names(built), names(m.objects));
  },
);

await test('kubernetes: two or more coordinator replicas, rolling updates, /healthz probes, /data only a cache', () => {
  assert.ok((coordinator.spec.replicas ?? 1) >= 2, `replicas: ${coordinator.spec.replicas}`);
  assert.notEqual(coordinator.spec.strategy?.type, 'Recreate', 'Recreate was for the single SQLite writer');
  const env = coordinatorEnv();
  const httpPort = Number(/:(\d+)$/.exec(env.MLFARM_HTTP_ADDRESS ?? '')?.[1]);
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
    const get = coordinatorContainer[probe]?.httpGet;
    if (probe === 'startupProbe' && !get) {
      continue;
    }
    assert.equal(get?.path, '/healthz', `${probe} asks /healthz`);
    assert.equal(portNumber(coordinatorContainer, get.port), httpPort, `${probe} on the HTTP listener`);
  }
  for (const v of coordinatorPod.spec.volumes ?? []) {
    assert.equal(
      v.persistentVolumeClaim,
      undefined,
      `volume ${v.name}: a claim would pin the replicas together`,
    );
    assert.equal(v.hostPath, undefined, `volume ${v.name}: replicas share nothing on a node`);
  }
  assert.ok(env.MLFARM_DATA_DIR, 'MLFARM_DATA_DIR set');
  const data = volumeHolding(coordinatorContainer, coordinatorPod, posix.join(env.MLFARM_DATA_DIR, 'x'));
  assert.ok(data.emptyDir, `the data dir is volume ${data.name}, an emptyDir (cache)`);
  const claims = m.objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name);
  assert.deepEqual(claims, [], 'no stand-alone claims left (PostgreSQL has its claim template)');
});

await test("kubernetes: MLFARM_DATABASE_URL is built from the Secret mlfarm-postgres and names the StatefulSet's pod", () => {
  const urlVar = coordinatorContainer.env?.find((v) => v.name === 'MLFARM_DATABASE_URL');
  assert.ok(urlVar, 'MLFARM_DATABASE_URL in the container env');
  const refs = [...(urlVar.value ?? '').matchAll(/\$\((\w+)\)/g)].map(([, name]) => name!);
  const fromSecret = (name: string) =>
    coordinatorContainer.env?.find((v) => v.name === name)?.valueFrom?.secretKeyRef?.name;
  assert.ok(refs.length > 0 || urlVar.valueFrom?.secretKeyRef, 'the URL is not a literal');
  for (const ref of refs) {
    assert.equal(fromSecret(ref), 'mlfarm-postgres', `$(${ref}) comes from the Secret mlfarm-postgres`);
  }

  const env = coordinatorEnv();
  const url = new URL(env.MLFARM_DATABASE_URL!);
  assert.match(url.protocol, /^postgres(ql)?:$/);
  // The database account is the one the StatefulSet initialises with (same Secret, same keys).
  const pgEnv = containerEnv(postgres.spec.template.spec.containers[0]!, configMaps, secrets);
  assert.equal(decodeURIComponent(url.username), pgEnv.POSTGRES_USER, 'user');
  assert.equal(decodeURIComponent(url.password), pgEnv.POSTGRES_PASSWORD, 'password');
  assert.equal(url.pathname, `/${pgEnv.POSTGRES_DB}`, 'database');
  // <statefulset>-0.<governing service>.<namespace>.svc: the pod's stable DNS name.
  assert.equal(url.hostname, `${postgres.metadata.name}-0.${postgres.spec.serviceName}.${NS}.svc`);
  const service = m.get<Service>('Service', postgres.spec.serviceName!);
  const port = service.spec.ports.find((p) => p.port === Number(url.port || 5432));
  assert.ok(port, `the Service ${service.metadata.name} has port ${url.port}`);
  assert.equal(portNumber(postgres.spec.template.spec.containers[0]!, port.targetPort ?? port.port), 5432);

  // The init container waits for the same server.
  for (const init of coordinatorPod.spec.initContainers ?? []) {
    assert.ok([...(init.command ?? []), ...(init.args ?? [])].join(' ').includes(url.hostname), init.name);
  }

  const config = loadCoordinatorConfig({ ...env, MLFARM_DATA_DIR: tmpdir() });
  assert.equal(config.databaseUrl, env.MLFARM_DATABASE_URL, 'the config loader takes the PostgreSQL URL');
  assert.equal(config.databasePoolSize, Number(env.MLFARM_DATABASE_POOL ?? 10));
  assert.equal(config.auth.enabled, true);
  assert.equal(env.NODE_OPTIONS, POSTGRES_NODE_OPTIONS, "node's options for a coordinator on PostgreSQL");
});

await test('kubernetes: PostgreSQL is a StatefulSet with a claim template behind a headless Service', () => {
  const pod = postgres.spec.template;
  const container = pod.spec.containers[0]!;
  assert.match(container.image, /^postgres:15/);
  assert.ok(selects(postgres.spec.selector.matchLabels, pod.metadata.labels), 'selector matches its pods');
  const service = m.get<Service>('Service', postgres.spec.serviceName!);
  assert.equal(service.spec.clusterIP, 'None', 'the governing Service is headless');
  assert.ok(selects(service.spec.selector, pod.metadata.labels), 'the Service selects the PostgreSQL pod');
  const claim = postgres.spec.volumeClaimTemplates?.[0];
  assert.ok(claim, 'a volumeClaimTemplate');
  const dataMount = container.volumeMounts?.find((vm) => vm.name === claim.metadata.name);
  assert.ok(dataMount, 'the claim is mounted');
  const pgdata = containerEnv(container, configMaps, secrets).PGDATA ?? '/var/lib/postgresql/data';
  assert.ok(
    `${pgdata}/`.startsWith(`${dataMount.mountPath.replace(/\/$/, '')}/`),
    `PGDATA ${pgdata} is on the claim (${dataMount.mountPath})`,
  );
  assert.ok(
    (pod.spec.volumes ?? []).every((v) => v.name !== claim.metadata.name),
    'no pod volume shadows the claim',
  );
});

await test('kubernetes: every token file the coordinators read is a documented Secret, the same for all replicas', () => {
  const config = loadCoordinatorConfig({ ...coordinatorEnv() });
  const files = [config.auth.adminTokenFile, config.auth.enrollmentTokenFile, config.auth.metricsTokenFile];
  for (const file of files) {
    assert.ok(file, 'every token file configured');
    // A file created in a pod's own volume would differ per replica: the admin token would be replaced
    // by each replica at start-up, and agents or Prometheus would hold the token of one replica only.
    const volume = volumeHolding(coordinatorContainer, coordinatorPod, file);
    assert.ok(volume.secret, `${file} is on volume ${volume.name}, which is not a Secret`);
    assert.ok(
      secrets[volume.secret.secretName],
      `the Secret ${volume.secret.secretName} is documented in kustomization.yaml`,
    );
    const key = posix.basename(file);
    assert.ok(key in secrets[volume.secret.secretName]!, `the Secret has the key ${key}`);
  }
  assert.ok(documented['mlfarm-postgres'], 'the Secret mlfarm-postgres is documented in kustomization.yaml');
});

await test('kubernetes: the PodDisruptionBudget keeps a coordinator up and selects only coordinator pods', () => {
  const pdbs = m.objects.filter((o): o is PodDisruptionBudget => o.kind === 'PodDisruptionBudget');
  const pdb = pdbs.find((p) => selects(p.spec.selector.matchLabels, coordinatorPod.metadata.labels));
  assert.ok(pdb, `a PodDisruptionBudget selects the coordinator pods (${pdbs.length} found)`);
  assert.equal(pdb.apiVersion, 'policy/v1');
  assert.equal(pdb.spec.minAvailable, 1);
  assert.ok(Number(pdb.spec.minAvailable) < (coordinator.spec.replicas ?? 1), 'a drain can still evict one');
  const workloads = m.objects.filter((o): o is Workload =>
    ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind),
  );
  assert.ok(workloads.length >= 3, 'coordinator, PostgreSQL and agent workloads to compare with');
  for (const other of workloads.filter((w) => w !== coordinator)) {
    const labels = other.spec.template.metadata.labels;
    assert.ok(
      !selects(pdb.spec.selector.matchLabels, labels),
      `the budget leaves ${other.metadata.name} alone`,
    );
  }
});

await test('kubernetes: agents reach the replicas through the balanced Service, Prometheus scrapes each replica', () => {
  const labels = coordinatorPod.metadata.labels;
  const balanced = m.get<Service>('Service', 'mlfarm-coordinator');
  assert.notEqual(balanced.spec.clusterIP, 'None', 'the agents’ Service balances (ClusterIP)');
  assert.ok(selects(balanced.spec.selector, labels), 'it selects the coordinator pods');
  assert.match(
    configMaps['mlfarm-agent']?.MLFARM_COORDINATOR ?? '',
    new RegExp(`^mlfarm-coordinator\\.${NS}\\.svc:`),
  );

  const prometheus = parse(configMaps['mlfarm-prometheus']!['prometheus.yml']!) as {
    scrape_configs: {
      job_name: string;
      static_configs?: { targets: string[] }[];
      dns_sd_configs?: { names: string[]; type?: string; port?: number }[];
    }[];
  };
  const job = prometheus.scrape_configs.find((j) => j.job_name === 'mlfarm-coordinator');
  assert.ok(job, 'a coordinator scrape job');
  const staticTargets = (job.static_configs ?? []).flatMap((s) => s.targets);
  assert.ok(
    staticTargets.every((t) => !t.startsWith(`${balanced.metadata.name}.`)),
    'not the balanced Service: each scrape would reach one random replica',
  );
  const httpPort = portNumber(coordinatorContainer, 'http');
  const discovered = (job.dns_sd_configs ?? []).flatMap((sd) =>
    sd.names.map((name) => {
      const svc = m.objects.find(
        (o): o is Service => o.kind === 'Service' && name === `${o.metadata.name}.${NS}.svc.cluster.local`,
      );
      return { sd, svc };
    }),
  );
  const perPod = discovered.find(
    ({ sd, svc }) =>
      svc?.spec.clusterIP === 'None' &&
      selects(svc.spec.selector, labels) &&
      (sd.type ?? 'SRV') === 'A' &&
      sd.port === httpPort &&
      svc.spec.ports.some((p) => portNumber(coordinatorContainer, p.targetPort ?? p.port) === httpPort),
  );
  assert.ok(
    perPod,
    'DNS discovery of a headless Service with one A record per coordinator pod, on the HTTP port',
  );
});
