import 'reflect-metadata';
import { type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as ort from 'onnxruntime-node';
import type { ExecutionProvider, GrpcClient, Runtime } from '#contracts';
import { AgentModule } from './agent.module.js';
import { type AgentConfig } from './config/agent.config.js';
import { loadOrCreateAgentId } from './link/agent-identity.js';
import { CoordinatorLinkService } from './link/coordinator-link.service.js';
import { GRPC_CLIENT } from './link/grpc-client.token.js';
import { EpProbeService } from './probe/ep-probe.service.js';
import { TaskExecutorService } from './tasks/task-executor.service.js';

export interface AgentHandle {
  agentId: string;
  executionProviders: ExecutionProvider[];
  runtimes: Runtime[];
  isConnected(): boolean;
  close(): Promise<void>;
}

/** Probes the execution providers once, then dials out and keeps the link up until closed. */
export async function startAgent(
  config: AgentConfig,
  options: { logger?: LoggerService | LogLevel[] | false } = {},
): Promise<AgentHandle> {
  const app = await NestFactory.createApplicationContext(AgentModule.forRoot(config), {
    logger: options.logger ?? ['log', 'warn', 'error'],
    abortOnError: false,
  });
  const agentId = loadOrCreateAgentId(config.stateDir);
  const wanted =
    config.executionProviders.length > 0
      ? config.executionProviders
      : ort.listSupportedBackends().map((b) => b.name);
  const { runtimes, executionProviders } = await app.get(EpProbeService).probe(wanted);
  const executor = app.get(TaskExecutorService);
  const link = app.get(CoordinatorLinkService);
  executor.setAgentId(agentId);
  link.start(agentId, executionProviders, runtimes, {
    onAssignment: (assignment) => executor.enqueue(assignment),
    onCancellation: (taskId) => executor.cancel(taskId),
    runningTaskIds: () => executor.runningTaskIds(),
  });
  return {
    agentId,
    executionProviders,
    runtimes,
    isConnected: () => link.connected,
    close: async () => {
      link.stop();
      executor.cancelAll();
      app.get<GrpcClient>(GRPC_CLIENT).close();
      await app.close();
    },
  };
}
