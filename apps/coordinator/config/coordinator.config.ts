import { isAbsolute, join, resolve } from 'node:path';

export interface CoordinatorConfig {
  dataDir: string;
  databaseFile: string;
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
>;

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
  if (heartbeatIntervalMs * 2 > leaseMs) {
    problems.push(
      `MLFARM_HEARTBEAT_MS (${heartbeatIntervalMs}) must be at most half of MLFARM_LEASE_MS (${leaseMs})`,
    );
  }
  if (problems.length > 0) {
    throw new ConfigError(`invalid coordinator configuration:\n  - ${problems.join('\n  - ')}`);
  }
  const dataDir = resolve(overrides.dataDir ?? env.MLFARM_DATA_DIR ?? '.mlfarm');
  const dbFile = env.MLFARM_DATABASE_FILE ?? 'mlfarm.sqlite';
  return {
    dataDir,
    databaseFile: isAbsolute(dbFile) ? dbFile : join(dataDir, dbFile),
    grpcHost: overrides.grpcHost ?? grpc.host,
    grpcPort: overrides.grpcPort ?? grpc.port,
    httpHost: overrides.httpHost ?? http.host,
    httpPort: overrides.httpPort ?? http.port,
    leaseMs,
    heartbeatIntervalMs,
    maxModelBytes: maxModelMib * 1024 * 1024,
    agentLostMs,
  };
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
