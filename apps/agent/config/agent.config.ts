import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ClientTlsFiles } from '#contracts';
import { type LabelPair, parseLabel } from '#common';

export interface AgentConfig {
  coordinatorAddress: string;
  name: string;
  labels: LabelPair[];
  /** Holds the agent's id (stable across restarts) and the model cache. */
  stateDir: string;
  cacheMaxBytes: number;
  /** Thread settings used when a task does not set its own; 0 lets ONNX Runtime decide. */
  intraOpThreads: number;
  interOpThreads: number;
  /** Execution providers to probe; empty = every backend onnxruntime-node lists. */
  executionProviders: string[];
  /** First and largest wait between reconnect attempts. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /**
   * Memory limit of each runner child (RLIMIT_DATA plus a resident-set watchdog); a task over it fails with
   * OUT_OF_MEMORY and the agent goes on. 0 = none (GPU runtimes map large areas the rlimit would count).
   */
  taskMemoryBytes: number;
  /** Serve this agent's own /metrics here; undefined = off (the embedded `bench` agent). */
  metricsPort?: number;
  metricsHost?: string;
  /** Presented once (Enroll) when the state folder holds no credential yet; never logged. */
  enrollmentToken?: string;
  /** TLS to the coordinator (CA, and this agent's certificate for mutual TLS); plaintext when undefined. */
  tls?: ClientTlsFiles;
}

export const AGENT_CONFIG = Symbol('AGENT_CONFIG');

export class AgentConfigError extends Error {}

export type AgentOverrides = Partial<Omit<AgentConfig, 'labels'>> & {
  labels?: string[];
  enrollmentTokenFile?: string;
};

/** Every problem is listed at once; nothing else in the agent reads process.env. */
export function loadAgentConfig(
  env: Record<string, string | undefined>,
  overrides: AgentOverrides = {},
): AgentConfig {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      return fallback;
    }
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min) {
      problems.push(`${name}='${raw}' must be an integer >= ${min}`);
      return fallback;
    }
    return n;
  };
  const labelTexts = overrides.labels ?? (env.MLFARM_AGENT_LABELS ? env.MLFARM_AGENT_LABELS.split(',') : []);
  const labels: LabelPair[] = [];
  for (const text of labelTexts.filter(Boolean)) {
    try {
      labels.push(parseLabel(text.trim()));
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  const coordinatorAddress = coordinatorTarget(
    overrides.coordinatorAddress ?? env.MLFARM_COORDINATOR ?? '127.0.0.1:50051',
    problems,
  );
  const enrollmentToken = readEnrollmentToken(env, overrides, problems);
  const tls = overrides.tls ?? tlsFromEnv(env);
  const config: AgentConfig = {
    coordinatorAddress,
    name: overrides.name ?? env.MLFARM_AGENT_NAME ?? '',
    labels,
    stateDir: resolve(overrides.stateDir ?? env.MLFARM_AGENT_STATE_DIR ?? '.mlfarm/agent'),
    cacheMaxBytes: overrides.cacheMaxBytes ?? int('MLFARM_AGENT_CACHE_MIB', 2048, 1) * 1024 * 1024,
    intraOpThreads: overrides.intraOpThreads ?? int('MLFARM_AGENT_INTRA_OP_THREADS', 0, 0),
    interOpThreads: overrides.interOpThreads ?? int('MLFARM_AGENT_INTER_OP_THREADS', 0, 0),
    executionProviders:
      overrides.executionProviders ??
      (env.MLFARM_AGENT_EPS ? env.MLFARM_AGENT_EPS.split(',').map((s) => s.trim()) : []),
    reconnectMinMs: overrides.reconnectMinMs ?? 250,
    reconnectMaxMs: overrides.reconnectMaxMs ?? 15_000,
    taskMemoryBytes: overrides.taskMemoryBytes ?? int('MLFARM_AGENT_TASK_MEMORY_MIB', 0, 0) * 1024 * 1024,
    metricsPort:
      overrides.metricsPort ??
      (env.MLFARM_AGENT_METRICS_PORT ? int('MLFARM_AGENT_METRICS_PORT', 0, 0) : undefined),
    metricsHost: overrides.metricsHost ?? env.MLFARM_AGENT_METRICS_HOST,
    enrollmentToken,
    tls,
  };
  if (problems.length > 0) {
    throw new AgentConfigError(`invalid agent configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return config;
}

function readEnrollmentToken(
  env: Record<string, string | undefined>,
  overrides: AgentOverrides,
  problems: string[],
): string | undefined {
  if (overrides.enrollmentToken) {
    return overrides.enrollmentToken;
  }
  const file = overrides.enrollmentTokenFile ?? env.MLFARM_ENROLLMENT_TOKEN_FILE;
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (error) {
      // The message names the file, never its content.
      problems.push(
        `cannot read the enrollment token file '${file}': ${(error as NodeJS.ErrnoException).code}`,
      );
      return undefined;
    }
  }
  return env.MLFARM_ENROLLMENT_TOKEN || undefined;
}

function tlsFromEnv(env: Record<string, string | undefined>): ClientTlsFiles | undefined {
  const caFile = env.MLFARM_TLS_CA_FILE || undefined;
  const certFile = env.MLFARM_TLS_CLIENT_CERT_FILE || undefined;
  const keyFile = env.MLFARM_TLS_CLIENT_KEY_FILE || undefined;
  return caFile || certFile || keyFile || env.MLFARM_TLS === '1' ? { caFile, certFile, keyFile } : undefined;
}

const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[^:/\s]+):\d{1,5}$/;
const IPV4_PORT = /^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/;
const IPV6_PORT = /^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

/**
 * One coordinator (host:port), or several replicas as a comma-separated list of IP addresses. A list
 * becomes one gRPC channel over all of them (grpc-js's ipv4:/ipv6: targets, pick_first): when the
 * replica in use goes away, the agent's reconnect lands on the next one that answers. Host names in a
 * list are refused: put them behind one name (a Kubernetes Service) instead.
 */
export function coordinatorTarget(text: string, problems: string[]): string {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const part of parts.length > 0 ? parts : [text]) {
    if (!HOST_PORT.test(part)) {
      problems.push(`coordinator address '${part}' is not host:port`);
      return text;
    }
  }
  if (parts.length <= 1) {
    return parts[0] ?? text;
  }
  if (parts.every((p) => IPV4_PORT.test(p))) {
    return `ipv4:${parts.join(',')}`;
  }
  if (parts.every((p) => IPV6_PORT.test(p))) {
    return `ipv6:${parts.join(',')}`;
  }
  problems.push(
    `coordinator addresses '${text}': a list of replicas must be IP addresses of one family ` +
      '(127.0.0.1:50051,127.0.0.1:50052); put host names behind one name, such as a Kubernetes Service',
  );
  return text;
}
