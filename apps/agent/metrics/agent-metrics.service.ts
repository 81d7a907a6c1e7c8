import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Assignment } from '#contracts';
import type { BenchProgress } from '#bench';
import {
  type AgentMetrics,
  type MetricsServer,
  type ResultLabels,
  createAgentMetrics,
  createMetricsRegistry,
  liveSamplesOf,
  msToSeconds,
  startMetricsServer,
} from '#metrics';
import { AGENT_CONFIG, type AgentConfig } from '../config/agent.config.js';
import { assignmentLabels } from './assignment-labels.util.js';

/**
 * This agent's own registry and, when a metrics port is configured, its `/metrics` endpoint: the samples
 * it streams to the coordinator, visible even while the coordinator is unreachable.
 */
@Injectable()
export class AgentMetricsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AgentMetricsService.name);
  readonly registry = createMetricsRegistry({ processMetrics: true });
  private readonly metrics: AgentMetrics = createAgentMetrics(this.registry);
  private server?: MetricsServer;
  private current?: { taskId: string; labels: ResultLabels };

  constructor(@Inject(AGENT_CONFIG) private readonly config: AgentConfig) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.metricsPort === undefined) {
      return;
    }
    this.server = await startMetricsServer(
      this.registry,
      this.config.metricsHost ?? '0.0.0.0',
      this.config.metricsPort,
    );
    this.logger.log(`metrics on http://${this.server.host}:${this.server.port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }

  /** Where /metrics listens, when it does (the port is known only after binding `:0`). */
  address(): { host: string; port: number } | undefined {
    return this.server && { host: this.server.host, port: this.server.port };
  }

  progress(assignment: Assignment, agentName: string, progress: BenchProgress): void {
    if (this.current?.taskId !== assignment.taskId) {
      this.current = { taskId: assignment.taskId, labels: assignmentLabels(assignment, agentName) };
      this.metrics.taskRunning.set(1);
    }
    this.metrics.progress.inc({ phase: progress.phase });
    for (const sample of liveSamplesOf({ ...progress, lastMs: progress.lastMs ?? 0 })) {
      this.metrics.inferenceLatency.observe(this.current.labels, msToSeconds(sample.ms));
    }
  }

  finished(status: 'succeeded' | 'failed'): void {
    this.metrics.tasks.inc({ status });
    this.metrics.taskRunning.set(0);
    this.current = undefined;
  }
}
