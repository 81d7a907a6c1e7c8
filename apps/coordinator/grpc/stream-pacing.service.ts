import { Injectable } from '@nestjs/common';
import { type Observable } from 'rxjs';
import type { ConnectResponse, WatchRunResponse } from '#contracts';
import { StreamPressureMetricsService } from '../metrics/stream-pressure-metrics.service.js';
import { type DrainableCall, paceToConsumer } from './paced-stream.util.js';

/** State events (task, run, result) a stalled WatchRun client may fall behind by before its stream ends. */
export const WATCH_MAX_QUEUED = 256;
export const WATCH_TOO_SLOW = 'watcher too slow; re-watch to get a fresh snapshot';
/** Messages to an agent that does not read (assignments, cancellations, acks) before its stream ends. */
export const AGENT_MAX_QUEUED = 256;
export const AGENT_TOO_SLOW = 'agent too slow to read its stream; reconnect';

/**
 * The slow-consumer policy of the coordinator's server streams, in one place:
 * - WatchRun: progress events coalesce per task (the newest wins; a slow watcher skips live samples, never
 *   a state change); task, run and result events queue up to WATCH_MAX_QUEUED, then the stream ends with
 *   RESOURCE_EXHAUSTED. Re-watching always starts from a fresh snapshot of the store, so nothing is lost.
 * - Connect (to an agent): nothing coalesces; past AGENT_MAX_QUEUED the stream ends with RESOURCE_EXHAUSTED,
 *   the agent reconnects, its leases survive and unacknowledged reports are sent again.
 */
@Injectable()
export class StreamPacingService {
  constructor(private readonly metrics: StreamPressureMetricsService) {}

  watchRun(source: Observable<WatchRunResponse>, call?: DrainableCall): Observable<WatchRunResponse> {
    return paceToConsumer(source, call, {
      maxQueued: WATCH_MAX_QUEUED,
      coalesceKey: (event) => (event.progress ? `progress:${event.progress.taskId}` : undefined),
      tooSlow: WATCH_TOO_SLOW,
      onCoalesced: () => this.metrics.dropped('watch_run', 'coalesced'),
      onTooSlow: () => this.metrics.tooSlow('watch_run'),
    });
  }

  agentConnect(source: Observable<ConnectResponse>, call?: DrainableCall): Observable<ConnectResponse> {
    return paceToConsumer(source, call, {
      maxQueued: AGENT_MAX_QUEUED,
      tooSlow: AGENT_TOO_SLOW,
      onTooSlow: () => this.metrics.tooSlow('agent_connect'),
    });
  }
}
