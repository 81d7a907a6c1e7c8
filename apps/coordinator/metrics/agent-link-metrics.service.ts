import { Inject, Injectable } from '@nestjs/common';
import type { CoordinatorMetrics } from '#metrics';
import { COORDINATOR_METRICS } from './coordinator-metrics.tokens.js';

/** Counts Connect streams opening and closing: a flapping agent shows up even between scrapes. */
@Injectable()
export class AgentLinkMetricsService {
  constructor(@Inject(COORDINATOR_METRICS) private readonly metrics: CoordinatorMetrics) {}

  connected(): void {
    this.metrics.agentConnections.inc();
  }

  disconnected(): void {
    this.metrics.agentDisconnections.inc();
  }
}
