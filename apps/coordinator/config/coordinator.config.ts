import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { type SuiteSchedule, parseSchedules } from '#suites';
import { redactDatabaseUrl } from '../store/database-location.js';

export interface CoordinatorConfig {
  dataDir: string;
  /** Where the store lives: MLFARM_DATABASE_URL (postgres://..., shared by replicas), else an SQLite file. */
  databaseUrl: string;
  /** PostgreSQL connections this coordinator keeps (MLFARM_DATABASE_POOL); unused with SQLite. */
  databasePoolSize: number;
  grpcHost: string;
  grpcPort: number;
  httpHost: string;
  httpPort: number;
  leaseMs: number;
  heartbeatIntervalMs: number;
  maxModelBytes: number;
  /**
   * A queued task bound to one agent (hardware comparisons) fails once that agent has been away this long,
   * so a run never waits forever for a machine that is gone.
   */
  agentLostMs: number;
  /** Suites run on cron schedules (MLFARM_SCHEDULES: "<cron> <suite file>" entries, ';' or newline separated). */
  schedules: SuiteSchedule[];
  /** Off only when every listener is on loopback and nothing asked for it (the embedded default). */
  auth: AuthConfig;
  /** TLS on the gRPC listener; undefined = plaintext. */
  tls?: ServerTlsConfig;
  /** Largest gRPC message either way (MLFARM_MAX_MESSAGE_MIB). */
  maxMessageBytes: number;
  /** Queued or running runs one client (API token) may have at once. */
  maxActiveRunsPerClient: number;
  /** Open WatchRun and UploadModel streams one client may hold at once. */
  maxStreamsPerClient: number;
}

export interface AuthConfig {
  enabled: boolean;
  /** Holds the bootstrap admin token (mlf_<id>_<secret>); created with mode 0600 when missing. */
  adminTokenFile: string;
  /** Holds the farm's enrollment token (mle_<secret>); created with mode 0600 when missing. */
  enrollmentTokenFile: string;
  /** Optional read-only token for Prometheus (MLFARM_METRICS_TOKEN_FILE); created when missing. */
  metricsTokenFile?: string;
}

export interface ServerTlsConfig {
  certFile: string;
  keyFile: string;
  /** When set, every gRPC client must present a certificate signed by this CA (mutual TLS). */
  clientCaFile?: string;
}

export const COORDINATOR_CONFIG = Symbol('COORDINATOR_CONFIG');

export class ConfigError extends Error {}

/** Flags given on the command line win over the environment. */
export type CoordinatorOverrides = Partial<
  Pick<
    CoordinatorConfig,
    | 'dataDir'
    | 'grpcHost'
    | 'grpcPort'
    | 'httpHost'
    | 'httpPort'
    | 'leaseMs'
    | 'heartbeatIntervalMs'
    | 'agentLostMs'
  >
> & {
  /** --auth token|none */
  auth?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsClientCaFile?: string;
};

const AUTH_MODES = ['token', 'none'] as const;

/**
 * Reads and checks every setting once, at start-up. All problems are reported together so a bad
 * deployment is fixed in one go; nothing else in the coordinator reads process.env.
 */
export function loadCoordinatorConfig(
  env: Record<string, string | undefined>,
  overrides: CoordinatorOverrides = {},
): CoordinatorConfig {
  const problems: string[] = [];
  const grpc = parseAddress('MLFARM_GRPC_ADDRESS', env.MLFARM_GRPC_ADDRESS ?? '127.0.0.1:50051', problems);
  const http = parseAddress('MLFARM_HTTP_ADDRESS', env.MLFARM_HTTP_ADDRESS ?? '127.0.0.1:8080', problems);
  const leaseMs =
    overrides.leaseMs ?? parseInteger('MLFARM_LEASE_MS', env.MLFARM_LEASE_MS, 30_000, 1_000, problems);
  const heartbeatIntervalMs =
    overrides.heartbeatIntervalMs ??
    parseInteger('MLFARM_HEARTBEAT_MS', env.MLFARM_HEARTBEAT_MS, 5_000, 100, problems);
  const agentLostMs =
    overrides.agentLostMs ??
    parseInteger('MLFARM_AGENT_LOST_MS', env.MLFARM_AGENT_LOST_MS, 600_000, 1_000, problems);
  const maxModelMib = parseInteger('MLFARM_MAX_MODEL_MIB', env.MLFARM_MAX_MODEL_MIB, 2048, 1, problems);
  let schedules: SuiteSchedule[] = [];
  try {
    schedules = parseSchedules(env.MLFARM_SCHEDULES ?? '').map((s) => ({
      ...s,
      suiteFile: resolve(s.suiteFile),
    }));
    for (const s of schedules.filter((s) => !existsSync(s.suiteFile))) {
      problems.push(`MLFARM_SCHEDULES: suite file ${s.suiteFile} does not exist`);
    }
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
  }
  // At least 2: artifacts travel in 1 MiB chunks (FetchModel) plus framing.
  const maxMessageMib = parseInteger('MLFARM_MAX_MESSAGE_MIB', env.MLFARM_MAX_MESSAGE_MIB, 64, 2, problems);
  const maxActiveRunsPerClient = parseInteger(
    'MLFARM_MAX_ACTIVE_RUNS_PER_CLIENT',
    env.MLFARM_MAX_ACTIVE_RUNS_PER_CLIENT,
    100,
    1,
    problems,
  );
  const maxStreamsPerClient = parseInteger(
    'MLFARM_MAX_STREAMS_PER_CLIENT',
    env.MLFARM_MAX_STREAMS_PER_CLIENT,
    32,
    1,
    problems,
  );
  const databaseUrl = env.MLFARM_DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    problems.push(
      `MLFARM_DATABASE_URL must be a postgres:// or postgresql:// URL (got "${redactDatabaseUrl(databaseUrl)}"); ` +
        'for SQLite set MLFARM_DATABASE_FILE',
    );
  }
  const databasePoolSize = parseInteger('MLFARM_DATABASE_POOL', env.MLFARM_DATABASE_POOL, 10, 1, problems);
  if (heartbeatIntervalMs * 2 > leaseMs) {
    problems.push(
      `MLFARM_HEARTBEAT_MS (${heartbeatIntervalMs}) must be at most half of MLFARM_LEASE_MS (${leaseMs})`,
    );
  }
  const grpcHost = overrides.grpcHost ?? grpc.host;
  const httpHost = overrides.httpHost ?? http.host;
  const dataDir = resolve(overrides.dataDir ?? env.MLFARM_DATA_DIR ?? '.mlfarm');
  const auth = authConfig(env, overrides, dataDir, problems);
  if (!auth.enabled) {
    for (const [name, host] of [
      ['gRPC', grpcHost],
      ['HTTP', httpHost],
    ] as const) {
      if (!isLoopback(host)) {
        problems.push(
          `the ${name} listener binds ${host}, beyond loopback, so it needs authentication: set MLFARM_AUTH=token (or --auth token)`,
        );
      }
    }
  }
  const tls = tlsConfig(env, overrides, problems);
  if (problems.length > 0) {
    throw new ConfigError(`invalid coordinator configuration:\n  - ${problems.join('\n  - ')}`);
  }
  const dbFile = env.MLFARM_DATABASE_FILE ?? 'mlfarm.sqlite';
  return {
    dataDir,
    databaseUrl: databaseUrl ?? (isAbsolute(dbFile) ? dbFile : join(dataDir, dbFile)),
    databasePoolSize,
    grpcHost,
    grpcPort: overrides.grpcPort ?? grpc.port,
    httpHost,
    httpPort: overrides.httpPort ?? http.port,
    leaseMs,
    heartbeatIntervalMs,
    maxModelBytes: maxModelMib * 1024 * 1024,
    schedules,
    auth,
    tls,
    maxMessageBytes: maxMessageMib * 1024 * 1024,
    maxActiveRunsPerClient,
    maxStreamsPerClient,
    agentLostMs,
  };
}

/** 127.0.0.0/8, ::1 and localhost; 0.0.0.0, :: and every other address reach beyond this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function authConfig(
  env: Record<string, string | undefined>,
  overrides: CoordinatorOverrides,
  dataDir: string,
  problems: string[],
): AuthConfig {
  const adminFile = env.MLFARM_ADMIN_TOKEN_FILE;
  const enrollmentFile = env.MLFARM_ENROLLMENT_TOKEN_FILE;
  const mode = overrides.auth ?? env.MLFARM_AUTH;
  // Naming a token file asks for authentication as clearly as MLFARM_AUTH=token does.
  let enabled = adminFile !== undefined || enrollmentFile !== undefined;
  if (mode !== undefined && mode !== '') {
    if (!(AUTH_MODES as readonly string[]).includes(mode)) {
      problems.push(`MLFARM_AUTH='${mode}' must be one of ${AUTH_MODES.join(', ')}`);
    } else {
      enabled = mode === 'token';
    }
  }
  const metricsFile = env.MLFARM_METRICS_TOKEN_FILE;
  return {
    enabled,
    adminTokenFile: resolve(dataDir, adminFile ?? 'admin.token'),
    enrollmentTokenFile: resolve(dataDir, enrollmentFile ?? 'enrollment.token'),
    ...(metricsFile ? { metricsTokenFile: resolve(dataDir, metricsFile) } : {}),
  };
}

function tlsConfig(
  env: Record<string, string | undefined>,
  overrides: CoordinatorOverrides,
  problems: string[],
): ServerTlsConfig | undefined {
  const certFile = overrides.tlsCertFile ?? env.MLFARM_TLS_CERT_FILE;
  const keyFile = overrides.tlsKeyFile ?? env.MLFARM_TLS_KEY_FILE;
  const clientCaFile = overrides.tlsClientCaFile ?? env.MLFARM_TLS_CLIENT_CA_FILE;
  if (!certFile && !keyFile && !clientCaFile) {
    return undefined;
  }
  if (!certFile || !keyFile) {
    problems.push('TLS needs both MLFARM_TLS_CERT_FILE and MLFARM_TLS_KEY_FILE (--tls-cert, --tls-key)');
    return undefined;
  }
  for (const file of [certFile, keyFile, clientCaFile]) {
    if (file && !existsSync(file)) {
      problems.push(`TLS file '${file}' does not exist`);
    }
  }
  return { certFile, keyFile, clientCaFile: clientCaFile || undefined };
}

export function parseAddress(
  name: string,
  value: string,
  problems: string[],
): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) {
    problems.push(`${name}='${value}' is not host:port (e.g. 127.0.0.1:50051)`);
    return { host: '127.0.0.1', port: 0 };
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

function parseInteger(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  problems: string[],
): number {
  if (value === undefined || value === '') {
    return fallback;
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    problems.push(`${name}='${value}' must be an integer >= ${min}`);
    return fallback;
  }
  return n;
}
