import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AgentDirectoryService } from './agents/agent-directory.service.js';
import { AgentGatewayService } from './agents/agent-gateway.service.js';
import { AgentRegistry } from './agents/agent-registry.service.js';
import { ArtifactStore } from './artifacts/artifact-store.js';
import { UploadService } from './artifacts/upload.service.js';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from './config/coordinator.config.js';
import { AgentGatewayController } from './grpc/agent-gateway.controller.js';
import { CoordinatorController } from './grpc/coordinator.controller.js';
import { GrpcExceptionFilter } from './grpc/rpc-exception.filter.js';
import { HealthController } from './http/health.controller.js';
import { ReportController } from './http/report.controller.js';
import {
  COORDINATOR_METRICS_CONTROLLERS,
  COORDINATOR_METRICS_PROVIDERS,
} from './metrics/coordinator-metrics.providers.js';
import { RunEventsService } from './runs/run-events.service.js';
import { RunService } from './runs/run.service.js';
import { SchedulerService } from './runs/scheduler.service.js';
import { StreamPacingService } from './grpc/stream-pacing.service.js';
import { AgentRepository } from './store/agent.repository.js';
import { ArtifactRepository } from './store/artifact.repository.js';
import { type Db, openDatabase } from './store/database.js';
import { DATABASE } from './store/database.tokens.js';
import { ResultRepository } from './store/result.repository.js';
import { RunRepository } from './store/run.repository.js';
import { VariantRepository } from './store/variant.repository.js';
import { VariantService } from './variants/variant.service.js';

@Module({})
export class CoordinatorModule implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly db: Db) {}

  static forRoot(config: CoordinatorConfig): DynamicModule {
    return {
      module: CoordinatorModule,
      controllers: [
        CoordinatorController,
        AgentGatewayController,
        HealthController,
        ReportController,
        ...COORDINATOR_METRICS_CONTROLLERS,
      ],
      providers: [
        { provide: COORDINATOR_CONFIG, useValue: config },
        { provide: DATABASE, useFactory: () => openDatabase(config.databaseFile) },
        { provide: APP_FILTER, useClass: GrpcExceptionFilter },
        ArtifactRepository,
        AgentRepository,
        RunRepository,
        ResultRepository,
        VariantRepository,
        VariantService,
        ArtifactStore,
        UploadService,
        AgentRegistry,
        AgentDirectoryService,
        AgentGatewayService,
        RunEventsService,
        SchedulerService,
        RunService,
        StreamPacingService,
        ...COORDINATOR_METRICS_PROVIDERS,
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}
