import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** The parts of a compose service the deploy tests read, in the shape `docker-compose config` prints. */
export interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  /** Short syntax, `source:target[:mode]`. */
  volumes?: string[];
  ports?: unknown[];
  depends_on?: Record<string, { condition: string }>;
  networks?: Record<string, { aliases?: string[] } | null>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
}

export interface ComposeConfig {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

export function dockerComposeInstalled(): boolean {
  return spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;
}

/**
 * The merged configuration of several compose files, as `docker-compose -f a -f b config` prints it. When
 * the binary is missing (CI installs it, a laptop may not have it), the files are interpolated and merged
 * here with the rules compose v1 applies to the keys the deployment uses.
 */
export function loadComposeConfig(
  files: string[],
  env: Record<string, string | undefined> = {},
): { config: ComposeConfig; via: 'docker-compose' | 'merged here' } {
  if (dockerComposeInstalled()) {
    const args = files.flatMap((f) => ['-f', f]);
    const run = spawnSync('docker-compose', [...args, 'config'], {
      encoding: 'utf8',
      env: { ...withoutComposeVariables(process.env), ...env },
    });
    if (run.status !== 0) {
      throw new Error(`docker-compose ${args.join(' ')} config failed:\n${run.stdout}${run.stderr}`);
    }
    return { config: normalize(parse(run.stdout) as RawCompose), via: 'docker-compose' };
  }
  const merged = files
    .map((f) => normalize(interpolate(parse(readFileSync(f, 'utf8')) as unknown, env) as RawCompose))
    .reduce(mergeCompose);
  return { config: merged, via: 'merged here' };
}

export function mounts(service: ComposeService): Mount[] {
  return (service.volumes ?? []).map(parseMount);
}

/** Every name a service answers to on the default network: its own and its aliases. */
export function dnsNames(name: string, service: ComposeService): string[] {
  return [name, ...(service.networks?.default?.aliases ?? [])];
}

// The test's own environment must not change what the files say (a developer may have these exported).
function withoutComposeVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('MLFARM_')));
}

interface RawService extends Omit<ComposeService, 'environment' | 'depends_on' | 'networks'> {
  environment?: Record<string, unknown> | string[];
  depends_on?: Record<string, { condition: string }> | string[];
  networks?: Record<string, { aliases?: string[] } | null> | string[];
}

interface RawCompose {
  services?: Record<string, RawService>;
  volumes?: Record<string, unknown>;
}

function normalize(raw: RawCompose): ComposeConfig {
  const services: Record<string, ComposeService> = {};
  for (const [name, s] of Object.entries(raw.services ?? {})) {
    const { environment, depends_on, networks, ...rest } = s;
    const service: ComposeService = { ...rest };
    if (environment !== undefined) {
      service.environment = Array.isArray(environment)
        ? Object.fromEntries(environment.map((e) => [e.split('=')[0]!, e.slice(e.indexOf('=') + 1)]))
        : Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, String(v)]));
    }
    if (depends_on !== undefined) {
      service.depends_on = Array.isArray(depends_on)
        ? Object.fromEntries(depends_on.map((d) => [d, { condition: 'service_started' }]))
        : depends_on;
    }
    if (networks !== undefined) {
      service.networks = Array.isArray(networks)
        ? Object.fromEntries(networks.map((n) => [n, null]))
        : networks;
    }
    if (service.volumes) {
      service.volumes = service.volumes.map((v) => {
        const m = parseMount(v);
        return `${m.source}:${m.target}:${m.readOnly ? 'ro' : 'rw'}`;
      });
    }
    services[name] = service;
  }
  return { services, volumes: raw.volumes ?? {} };
}

function mergeCompose(base: ComposeConfig, override: ComposeConfig): ComposeConfig {
  const services: Record<string, ComposeService> = { ...base.services };
  for (const [name, o] of Object.entries(override.services)) {
    const b = services[name] ?? {};
    const byTarget = new Map([...mounts(b), ...mounts(o)].map((m) => [m.target, m]));
    services[name] = {
      ...b,
      ...o,
      environment: { ...b.environment, ...o.environment },
      depends_on: { ...b.depends_on, ...o.depends_on },
      networks: { ...b.networks, ...o.networks },
      volumes: [...byTarget.values()].map((m) => `${m.source}:${m.target}:${m.readOnly ? 'ro' : 'rw'}`),
      ports: [...(b.ports ?? []), ...(o.ports ?? [])],
    };
  }
  return { services, volumes: { ...base.volumes, ...override.volumes } };
}

function parseMount(spec: string): Mount {
  const [source = '', target = source, mode = 'rw'] = spec.split(':');
  return { source, target, readOnly: mode.split(',').includes('ro') };
}

/** `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `$$`, as compose substitutes them. */
function interpolate(value: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\$|\$\{(\w+)(?:(:?-)([^}]*))?\}/g,
      (_whole, name: string | undefined, op: string | undefined, fallback: string | undefined) => {
        if (name === undefined) {
          return '$';
        }
        const v = env[name];
        if (op === ':-') {
          return v === undefined || v === '' ? (fallback ?? '') : v;
        }
        if (op === '-') {
          return v ?? fallback ?? '';
        }
        return v ?? '';
      },
    );
  }
  if (Array.isArray(value)) {
    return value.map((v) => interpolate(v, env));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]));
  }
  return value;
}
