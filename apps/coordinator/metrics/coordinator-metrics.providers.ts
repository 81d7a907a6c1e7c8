import { type Provider, type Type } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { type Registry } from 'prom-client';
import { createCoordinatorMetrics, createGrpcServerMetrics, createMetricsRegistry } from '#metrics';
import { AgentLinkMetricsService } from './agent-link-metrics.service.js';
import { COORDINATOR_METRICS, GRPC_SERVER_METRICS, METRICS_REGISTRY } from './coordinator-metrics.tokens.js';
import { FarmHealthSourceService } from './farm-health.source.js';
import { GrpcMetricsInterceptor } from './grpc-metrics.interceptor.js';
import { MetricsController } from './metrics.controller.js';
import { RunMetricsService } from './run-metrics.service.js';
import { StreamPressureMetricsService } from './stream-pressure-metrics.service.js';
import { TaskStatsRepository } from './task-stats.repository.js';

/** Everything `/metrics` needs, spread into CoordinatorModule so it shares the module's providers. */
export const COORDINATOR_METRICS_PROVIDERS: Provider[] = [
  { provide: METRICS_REGISTRY, useFactory: () => createMetricsRegistry({ processMetrics: true }) },
  {
    provide: COORDINATOR_METRICS,
    useFactory: (registry: Registry, health: FarmHealthSourceService) =>
      createCoordinatorMetrics(registry, health),
    inject: [METRICS_REGISTRY, FarmHealthSourceService],
  },
  {
    provide: GRPC_SERVER_METRICS,
    useFactory: (registry: Registry) => createGrpcServerMetrics(registry),
    inject: [METRICS_REGISTRY],
  },
  { provide: APP_INTERCEPTOR, useClass: GrpcMetricsInterceptor },
  TaskStatsRepository,
  FarmHealthSourceService,
  RunMetricsService,
  AgentLinkMetricsService,
  StreamPressureMetricsService,
];

export const COORDINATOR_METRICS_CONTROLLERS: Type[] = [MetricsController];
