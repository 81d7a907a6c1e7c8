import { type DynamicModule, Module } from '@nestjs/common';
import { createGrpcClient } from '#contracts';
import { ModelCacheService } from './cache/model-cache.service.js';
import { AGENT_CONFIG, type AgentConfig } from './config/agent.config.js';
import { AgentCredentialService } from './link/agent-credential.service.js';
import { CoordinatorLinkService } from './link/coordinator-link.service.js';
import { GRPC_CLIENT } from './link/grpc-client.token.js';
import { EpProbeService } from './probe/ep-probe.service.js';
import { FingerprintService } from './probe/fingerprint.service.js';
import { AgentMetricsService } from './metrics/agent-metrics.service.js';
import { TaskExecutorService } from './tasks/task-executor.service.js';

@Module({})
export class AgentModule {
  static forRoot(config: AgentConfig): DynamicModule {
    return {
      module: AgentModule,
      providers: [
        { provide: AGENT_CONFIG, useValue: config },
        AgentCredentialService,
        {
          provide: GRPC_CLIENT,
          useFactory: (credentials: AgentCredentialService) =>
            createGrpcClient(config.coordinatorAddress, {
              bearer: () => credentials.bearer(),
              tls: config.tls,
            }),
          inject: [AgentCredentialService],
        },
        FingerprintService,
        EpProbeService,
        ModelCacheService,
        CoordinatorLinkService,
        TaskExecutorService,
        AgentMetricsService,
      ],
    };
  }
}
