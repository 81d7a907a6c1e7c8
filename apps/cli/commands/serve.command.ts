import { type Command } from 'commander';
import { startAgent } from '../../agent/agent.bootstrap.js';
import { loadAgentConfig } from '../../agent/config/agent.config.js';
import { startCoordinator } from '../../coordinator/coordinator.bootstrap.js';
import { describeStore } from '../../coordinator/store/database-location.js';
import { loadCoordinatorConfig, parseAddress } from '../../coordinator/config/coordinator.config.js';
import { CliError } from '../support/cli-error.js';
import { addTlsOptions, clientTls } from '../support/connection-options.js';
import { nonNegativeInt, positiveInt } from '../support/option-parsers.js';

/** Keeps a long-running service up until SIGINT/SIGTERM, then closes it cleanly (open streams end). */
function untilSignal(close: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void close().finally(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function address(flag: string, value: string): { host: string; port: number } {
  const problems: string[] = [];
  const parsed = parseAddress(flag, value, problems);
  if (problems.length > 0) {
    throw new CliError(problems[0]!);
  }
  return parsed;
}

export function registerServe(program: Command): void {
  program
    .command('coordinator')
    .description('run a coordinator: gRPC for agents and clients, HTTP for /healthz')
    .option('--grpc <host:port>', 'gRPC listen address (env MLFARM_GRPC_ADDRESS)')
    .option('--http <host:port>', 'HTTP listen address (env MLFARM_HTTP_ADDRESS)')
    .option('--data-dir <dir>', 'SQLite file and artifacts (env MLFARM_DATA_DIR)')
    .option('--lease-ms <ms>', 'task lease; renewed by agent heartbeats', positiveInt('--lease-ms'))
    .option('--heartbeat-ms <ms>', 'agent heartbeat interval', positiveInt('--heartbeat-ms'))
    .option('--auth <mode>', 'token: require tokens (needed beyond loopback); none (env MLFARM_AUTH)')
    .option('--tls-cert <file>', 'server certificate for gRPC TLS (PEM; env MLFARM_TLS_CERT_FILE)')
    .option('--tls-key <file>', 'its private key (env MLFARM_TLS_KEY_FILE)')
    .option(
      '--tls-client-ca <file>',
      'require client certificates signed by this CA: mutual TLS (env MLFARM_TLS_CLIENT_CA_FILE)',
    )
    .action(
      async (options: {
        grpc?: string;
        http?: string;
        dataDir?: string;
        leaseMs?: number;
        heartbeatMs?: number;
        auth?: string;
        tlsCert?: string;
        tlsKey?: string;
        tlsClientCa?: string;
      }) => {
        const grpc = options.grpc ? address('--grpc', options.grpc) : undefined;
        const http = options.http ? address('--http', options.http) : undefined;
        const config = loadCoordinatorConfig(process.env, {
          dataDir: options.dataDir,
          grpcHost: grpc?.host,
          grpcPort: grpc?.port,
          httpHost: http?.host,
          httpPort: http?.port,
          leaseMs: options.leaseMs,
          heartbeatIntervalMs: options.heartbeatMs,
          auth: options.auth,
          tlsCertFile: options.tlsCert,
          tlsKeyFile: options.tlsKey,
          tlsClientCaFile: options.tlsClientCa,
        });
        const coordinator = await startCoordinator(config);
        // The first line is a contract (scripts and tests wait for it); the security summary follows it.
        process.stdout.write(
          `coordinator: gRPC ${coordinator.grpcAddress}, HTTP ${coordinator.httpAddress}, data ${config.dataDir}\n`,
        );
        process.stdout.write(
          `security: ${config.auth.enabled ? `tokens required (admin token in ${config.auth.adminTokenFile})` : 'no tokens (loopback only)'}` +
            `, gRPC ${config.tls ? (config.tls.clientCaFile ? 'mutual TLS' : 'TLS') : 'plaintext'}\n`,
        );
        process.stdout.write(`store: ${describeStore(config.databaseUrl)}\n`);
        await untilSignal(() => coordinator.close());
      },
    );

  const agentCommand = program
    .command('agent')
    .description('run an agent: dials out to a coordinator and measures what it is assigned')
    .option(
      '-c, --coordinator <host:port>',
      'coordinator gRPC address, or replicas as IP:port,IP:port (env MLFARM_COORDINATOR)',
    )
    .option('--name <name>', 'agent name shown in results (env MLFARM_AGENT_NAME)')
    .option(
      '-l, --label <key=value>',
      'label for targeting, e.g. gpu=h200 (repeatable)',
      (v: string, p: string[] = []) => [...p, v],
    )
    .option('--state-dir <dir>', 'agent id and model cache (env MLFARM_AGENT_STATE_DIR)')
    .option('--threads <n>', 'default intra-op threads', nonNegativeInt('--threads'))
    .option('--inter-threads <n>', 'default inter-op threads', nonNegativeInt('--inter-threads'))
    .option(
      '--ep <name>',
      'execution provider to probe (repeatable); default: all onnxruntime-node lists',
      (v: string, p: string[] = []) => [...p, v],
    )
    .option('--cache-mib <n>', 'model cache size', positiveInt('--cache-mib'))
    .option(
      '--task-memory-mib <n>',
      'memory limit of each runner child; over it a task fails OUT_OF_MEMORY (env MLFARM_AGENT_TASK_MEMORY_MIB)',
      positiveInt('--task-memory-mib'),
    )
    .option(
      '--metrics-port <port>',
      'serve /metrics on this port (env MLFARM_AGENT_METRICS_PORT)',
      positiveInt('--metrics-port'),
    )
    .option('--metrics-host <host>', 'address for /metrics (default 0.0.0.0)')
    .option(
      '--enrollment-token-file <file>',
      'enroll with this token on first start (env MLFARM_ENROLLMENT_TOKEN_FILE or MLFARM_ENROLLMENT_TOKEN)',
    );
  addTlsOptions(agentCommand).action(
    async (options: {
      coordinator?: string;
      name?: string;
      label?: string[];
      stateDir?: string;
      threads?: number;
      interThreads?: number;
      ep?: string[];
      cacheMib?: number;
      taskMemoryMib?: number;
      metricsPort?: number;
      metricsHost?: string;
      enrollmentTokenFile?: string;
      tls?: boolean;
      tlsCa?: string;
      tlsCert?: string;
      tlsKey?: string;
    }) => {
      const config = loadAgentConfig(process.env, {
        coordinatorAddress: options.coordinator,
        name: options.name,
        labels: options.label,
        stateDir: options.stateDir,
        intraOpThreads: options.threads,
        interOpThreads: options.interThreads,
        executionProviders: options.ep,
        cacheMaxBytes: options.cacheMib ? options.cacheMib * 1024 * 1024 : undefined,
        taskMemoryBytes: options.taskMemoryMib ? options.taskMemoryMib * 1024 * 1024 : undefined,
        metricsPort: options.metricsPort,
        metricsHost: options.metricsHost,
        enrollmentTokenFile: options.enrollmentTokenFile,
        tls: clientTls(options),
      });
      const agent = await startAgent(config);
      const eps = agent.executionProviders.map((e) =>
        e.available ? e.name : `${e.name} (unavailable: ${e.reason.slice(0, 120)})`,
      );
      process.stdout.write(
        `agent ${agent.agentId} -> ${config.coordinatorAddress}; execution providers: ${eps.join(', ')}\n`,
      );
      await untilSignal(() => agent.close());
    },
  );
}
