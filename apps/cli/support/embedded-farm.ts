import { join } from 'node:path';
import { type LogLevel } from '@nestjs/common';
import { type GrpcClient, createGrpcClient } from '#contracts';
import { startAgent } from '../../agent/agent.bootstrap.js';
import { loadAgentConfig } from '../../agent/config/agent.config.js';
import { startCoordinator } from '../../coordinator/coordinator.bootstrap.js';
import { loadCoordinatorConfig } from '../../coordinator/config/coordinator.config.js';
import { CliError } from './cli-error.js';

export interface EmbeddedFarm {
  client: GrpcClient;
  agentId: string;
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  executionProviders: string[];
  intraOpThreads: number;
  interOpThreads: number;
  verbose: boolean;
}

/**
 * Coordinator (SQLite in dataDir) and one agent in this process, talking over real gRPC on loopback: the
 * same path as a farm, so `bench` measures exactly what a farm would. Runner children are still separate.
 */
export async function startEmbeddedFarm(options: EmbeddedOptions): Promise<EmbeddedFarm> {
  const logger: LogLevel[] = options.verbose ? ['log', 'warn', 'error'] : ['error'];
  const coordinator = await startCoordinator(
    loadCoordinatorConfig(process.env, {
      dataDir: options.dataDir,
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      httpHost: '127.0.0.1',
      httpPort: 0,
    }),
    { logger },
  );
  const agent = await startAgent(
    loadAgentConfig(process.env, {
      coordinatorAddress: coordinator.grpcAddress,
      stateDir: join(options.dataDir, 'agent'),
      name: 'embedded',
      labels: ['embedded=true'],
      intraOpThreads: options.intraOpThreads,
      interOpThreads: options.interOpThreads,
      executionProviders: [...new Set(['cpu', ...options.executionProviders])],
    }),
    { logger },
  ).catch(async (error: unknown) => {
    await coordinator.close();
    throw error;
  });
  const client = createGrpcClient(coordinator.grpcAddress);
  const close = async (): Promise<void> => {
    client.close();
    await agent.close();
    await coordinator.close();
  };
  const deadline = Date.now() + 30_000;
  while (!agent.isConnected()) {
    if (Date.now() > deadline) {
      await close();
      throw new CliError('the embedded agent did not connect to the embedded coordinator within 30 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { client, agentId: agent.agentId, close };
}
