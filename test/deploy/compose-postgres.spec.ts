import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadCoordinatorConfig } from '../../apps/coordinator/config/coordinator.config.js';
import { POSTGRES_NODE_OPTIONS } from '../../apps/coordinator/v8-tuning.js';
import {
  type ComposeConfig,
  type ComposeService,
  dnsNames,
  dockerComposeInstalled,
  loadComposeConfig,
  mounts,
} from './compose-config.util.js';

// dist/test/deploy -> repository root
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FILES = [join(ROOT, 'deploy/docker-compose.yml'), join(ROOT, 'deploy/docker-compose.postgres.yml')];
const { config, via } = loadComposeConfig(FILES);

function coordinators(c: ComposeConfig): [string, ComposeService][] {
  return Object.entries(c.services).filter(([, s]) => s.image?.startsWith('mlfarm-coordinator'));
}

function flag(service: ComposeService, name: string): string | undefined {
  const command = service.command ?? [];
  const i = command.indexOf(name);
  return i >= 0 ? command[i + 1] : undefined;
}

/** The environment the coordinator process sees: the service's plus its command-line listeners. */
function coordinatorEnv(service: ComposeService): Record<string, string | undefined> {
  return {
    ...service.environment,
    MLFARM_GRPC_ADDRESS: flag(service, '--grpc') ?? service.environment?.MLFARM_GRPC_ADDRESS,
    MLFARM_HTTP_ADDRESS: flag(service, '--http') ?? service.environment?.MLFARM_HTTP_ADDRESS,
  };
}

function published(port: unknown): string {
  if (typeof port === 'string') {
    const parts = port.split(':');
    return parts.length > 1 ? parts[parts.length - 2]! : parts[0]!;
  }
  return String((port as { published?: number | string }).published);
}

await test(`docker-compose + postgres override (${via}): PostgreSQL with a healthcheck, postgres:15 unless MLFARM_POSTGRES_IMAGE says otherwise`, () => {
  const pg = config.services.postgres;
  assert.ok(pg, `a postgres service among ${Object.keys(config.services).join(', ')}`);
  assert.equal(pg.image, 'postgres:15');
  const healthcheck = [pg.healthcheck?.test ?? []].flat().join(' ');
  assert.match(healthcheck, /pg_isready/, 'healthy means accepting connections');
  // During initdb the image's entrypoint runs a server on the socket only: ask over TCP.
  assert.match(healthcheck, /-h 127\.0\.0\.1/, 'pg_isready over TCP, not the socket initdb uses');
  const data = mounts(pg).find((mt) => mt.target.startsWith('/var/lib/postgresql/data'));
  assert.ok(data && data.source in (config.volumes ?? {}), 'its data on a named volume');

  const other = loadComposeConfig(FILES, { MLFARM_POSTGRES_IMAGE: 'registry.example/postgres:16' }).config;
  assert.equal(other.services.postgres?.image, 'registry.example/postgres:16');
});

await test(`docker-compose + postgres override (${via}): two coordinators on one MLFARM_DATABASE_URL, after PostgreSQL is healthy`, () => {
  const replicas = coordinators(config);
  assert.ok(replicas.length >= 2, `coordinators: ${replicas.map(([n]) => n).join(', ')}`);
  const urls = new Set(replicas.map(([, s]) => s.environment?.MLFARM_DATABASE_URL));
  assert.equal(urls.size, 1, `one database for all: ${[...urls].join(', ')}`);
  const [only] = urls;
  assert.ok(only, 'MLFARM_DATABASE_URL set');
  const url = new URL(only);
  const pg = config.services.postgres!;
  assert.ok(dnsNames('postgres', pg).includes(url.hostname), `${url.hostname} is the postgres service`);
  assert.equal(url.port || '5432', '5432');
  assert.equal(decodeURIComponent(url.username), pg.environment?.POSTGRES_USER);
  assert.equal(decodeURIComponent(url.password), pg.environment?.POSTGRES_PASSWORD);
  assert.equal(url.pathname, `/${pg.environment?.POSTGRES_DB}`);

  for (const [name, s] of replicas) {
    assert.equal(
      s.depends_on?.postgres?.condition,
      'service_healthy',
      `${name} waits for a healthy database`,
    );
    assert.ok(s.healthcheck?.test && !s.healthcheck.disable, `${name} has a healthcheck`);
  }
  // Each replica keeps its own cache: nothing but token files is shared.
  const dataVolumes = replicas.map(
    ([, s]) => mounts(s).find((mt) => mt.target === flag(s, '--data-dir'))?.source,
  );
  assert.ok(dataVolumes.every(Boolean), 'every replica has a data dir volume');
  assert.equal(new Set(dataVolumes).size, replicas.length, `separate caches: ${dataVolumes.join(', ')}`);
  const hostPorts = replicas.flatMap(([, s]) => (s.ports ?? []).map(published));
  assert.equal(new Set(hostPorts).size, hostPorts.length, `no host port twice: ${hostPorts.join(', ')}`);

  // One password, set once: the server's and the URL's change together.
  const other = loadComposeConfig(FILES, { MLFARM_POSTGRES_PASSWORD: 'b0a7c3' }).config;
  assert.equal(other.services.postgres?.environment?.POSTGRES_PASSWORD, 'b0a7c3');
  for (const [name, s] of coordinators(other)) {
    assert.equal(new URL(s.environment?.MLFARM_DATABASE_URL ?? '').password, 'b0a7c3', name);
  }
});

await test(`docker-compose + postgres override (${via}): each coordinator's environment loads, with the token files shared`, () => {
  const replicas = coordinators(config);
  const tokenVolumes = new Map<string, Set<string>>();
  for (const [name, s] of replicas) {
    const env = coordinatorEnv(s);
    // The command line's --data-dir wins over the environment, as in the container.
    const loaded = loadCoordinatorConfig(env, { dataDir: flag(s, '--data-dir') ?? '/data' });
    assert.equal(loaded.databaseUrl, env.MLFARM_DATABASE_URL, `${name}: the store is PostgreSQL`);
    assert.equal(loaded.databasePoolSize, Number(env.MLFARM_DATABASE_POOL ?? 10));
    assert.equal(loaded.auth.enabled, true, `${name}: authentication on`);
    assert.equal(env.NODE_OPTIONS, POSTGRES_NODE_OPTIONS, `${name}: node's options for PostgreSQL`);
    const files = {
      admin: loaded.auth.adminTokenFile,
      enrollment: loaded.auth.enrollmentTokenFile,
      metrics: loaded.auth.metricsTokenFile,
    };
    for (const [kind, file] of Object.entries(files)) {
      assert.ok(file, `${name}: a ${kind} token file`);
      const mount = mounts(s)
        .filter((mt) => file.startsWith(`${mt.target}/`))
        .sort((a, b) => b.target.length - a.target.length)[0];
      assert.ok(mount, `${name}: ${file} is on a volume`);
      assert.ok(
        mount.source in (config.volumes ?? {}),
        `${name}: ${file} is on the named volume ${mount.source}`,
      );
      const key = `${kind} ${posix.relative(mount.target, file)}`;
      tokenVolumes.set(key, (tokenVolumes.get(key) ?? new Set()).add(mount.source));
    }
  }
  for (const [key, volumes] of tokenVolumes) {
    assert.equal(
      volumes.size,
      1,
      `every replica reads the ${key} from the same volume: ${[...volumes].join(', ')}`,
    );
  }
  assert.equal(
    tokenVolumes.size,
    3,
    `each token at one path in every replica: ${[...tokenVolumes.keys()].join('; ')}`,
  );
  const [adminVolume] = [...tokenVolumes].find(([key]) => key.startsWith('admin '))![1];
  const replicaNames = new Set(replicas.map(([n]) => n));
  for (const [name, s] of Object.entries(config.services).filter(([n]) => !replicaNames.has(n))) {
    assert.ok(!mounts(s).some((mt) => mt.source === adminVolume), `${name} cannot read the admin token`);
  }
});

await test(`docker-compose + postgres override (${via}): agents dial a name every coordinator answers to`, async () => {
  const base = (parse(await readFile(FILES[0]!, 'utf8')) as ComposeConfig).services;
  const replicas = coordinators(config);
  const agents = Object.entries(config.services).filter(([, s]) => s.image?.startsWith('mlfarm-agent'));
  assert.ok(agents.length >= 2, 'the agents of the base file');
  for (const [name, s] of agents) {
    const host = flag(s, '-c')?.split(':')[0];
    for (const [replica, r] of replicas) {
      assert.ok(
        host && dnsNames(replica, r).includes(host),
        `${name} dials ${host}, a name ${replica} answers to`,
      );
    }
    // Only the address differs from the base file's command: no flag drifts between the two files.
    const strip = (command: string[] = []) => command.filter((_, i) => command[i - 1] !== '-c');
    assert.deepEqual(
      strip(s.command),
      strip(base[name]?.command),
      `${name}: same flags as docker-compose.yml`,
    );
  }
});

await test(`docker-compose + postgres override (${via}): Prometheus scrapes every coordinator replica`, async () => {
  const prometheus = parse(await readFile(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
    scrape_configs: {
      job_name: string;
      static_configs?: { targets: string[] }[];
      dns_sd_configs?: { names: string[]; type?: string; port?: number }[];
    }[];
  };
  const job = prometheus.scrape_configs.find((j) => j.job_name === 'mlfarm-coordinator');
  assert.ok(job, 'a coordinator scrape job');
  const services = Object.entries(config.services);
  for (const [name, s] of coordinators(config)) {
    const port = Number(/:(\d+)$/.exec(coordinatorEnv(s).MLFARM_HTTP_ADDRESS ?? '')?.[1]);
    const names = dnsNames(name, s);
    // A static target must name this replica alone; a name shared by several resolves to a random one.
    const byStatic = (job.static_configs ?? [])
      .flatMap((sc) => sc.targets)
      .some((t) => {
        const [host, p] = t.split(':');
        const owners = services.filter(([n, other]) => dnsNames(n, other).includes(host!));
        return names.includes(host!) && owners.length === 1 && Number(p) === port;
      });
    const byDns = (job.dns_sd_configs ?? []).some(
      (sd) => sd.type === 'A' && sd.port === port && sd.names.some((n) => names.includes(n)),
    );
    assert.ok(byStatic || byDns, `deploy/prometheus/prometheus.yml scrapes ${name} (:${port}) on its own`);
  }
});

await test(
  'docker-compose config accepts deploy/docker-compose.yml with deploy/docker-compose.postgres.yml',
  { skip: !dockerComposeInstalled() && 'docker-compose not installed' },
  () => {
    const run = spawnSync('docker-compose', [...FILES.flatMap((f) => ['-f', f]), 'config', '-q'], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  },
);
