import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AgentDirectoryService } from './agents/agent-directory.service.js';
import { AgentGatewayService } from './agents/agent-gateway.service.js';
import { AgentRegistry } from './agents/agent-registry.service.js';
import { ArtifactStore } from './artifacts/artifact-store.js';
import { UploadService } from './artifacts/upload.service.js';
import { AuthService } from './auth/auth.service.js';
import { ClientLimitsService } from './auth/client-limits.service.js';
import { GrpcAuthGuard } from './auth/grpc-auth.guard.js';
import { StreamLimitInterceptor } from './auth/stream-limit.interceptor.js';
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
import { CredentialRepository } from './store/credential.repository.js';
import { type Db, openDatabase } from './store/database.js';
import { ClusterService } from './cluster/cluster.service.js';
import { DispatchRepository } from './store/dispatch.repository.js';
import { WriteBatcher } from './store/write-batcher.js';
import { AgentPresenceRepository } from './store/agent-presence.repository.js';
import { ScheduleFiringRepository } from './store/schedule-firing.repository.js';
import { DATABASE } from './store/database.tokens.js';
import { ResultRepository } from './store/result.repository.js';
import { RunRepository } from './store/run.repository.js';
import { VariantRepository } from './store/variant.repository.js';
import { VariantService } from './variants/variant.service.js';
import { AnnotationsController } from './http/annotations.controller.js';
import { RunLifecycle } from './runs/run-lifecycle.service.js';
import { BaselineRepository } from './store/baseline.repository.js';
import { RegressionRepository } from './store/regression.repository.js';
import { SeriesRepository } from './store/series.repository.js';
import { VerdictRepository } from './store/verdict.repository.js';
import { GateService } from './suites/gate.service.js';
import { NightlyService } from './suites/nightly.service.js';
import { RegressionService } from './suites/regression.service.js';
import { SuiteRunsService } from './suites/suite-runs.service.js';
import { SuiteScheduleService } from './suites/suite-schedule.service.js';

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
        AnnotationsController,
        ...COORDINATOR_METRICS_CONTROLLERS,
      ],
      providers: [
        { provide: COORDINATOR_CONFIG, useValue: config },
        {
          provide: DATABASE,
          useFactory: () => openDatabase(config.databaseUrl, { poolSize: config.databasePoolSize }),
        },
        { provide: APP_FILTER, useClass: GrpcExceptionFilter },
        ClusterService,
        DispatchRepository,
        WriteBatcher,
        AgentPresenceRepository,
        ScheduleFiringRepository,
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
        RunLifecycle,
        SeriesRepository,
        BaselineRepository,
        VerdictRepository,
        RegressionRepository,
        SuiteRunsService,
        GateService,
        NightlyService,
        RegressionService,
        SuiteScheduleService,
        StreamPacingService,
        ...COORDINATOR_METRICS_PROVIDERS,
        CredentialRepository,
        AuthService,
        ClientLimitsService,
        { provide: APP_GUARD, useClass: GrpcAuthGuard },
        { provide: APP_INTERCEPTOR, useClass: StreamLimitInterceptor },
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}
