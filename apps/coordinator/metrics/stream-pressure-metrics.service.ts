import { Inject, Injectable } from '@nestjs/common';
import type { CoordinatorMetrics } from '#metrics';
import { COORDINATOR_METRICS } from './coordinator-metrics.tokens.js';

export type PressuredStream = 'watch_run' | 'agent_inbound' | 'agent_connect';

/** What the bounded stream queues gave up on, so a slow consumer is visible on a dashboard. */
@Injectable()
export class StreamPressureMetricsService {
  constructor(@Inject(COORDINATOR_METRICS) private readonly metrics: CoordinatorMetrics) {}

  dropped(stream: PressuredStream, reason: 'coalesced' | 'overflow'): void {
    this.metrics.streamMessagesDropped.inc({ stream, reason });
  }

  tooSlow(stream: PressuredStream): void {
    this.metrics.slowConsumerStreams.inc({ stream });
  }
}
