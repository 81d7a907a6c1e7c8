/** Messages between the load generator (main thread) and its worker threads. */

export interface WorkerSetup {
  /** gRPC address of each replica; agent i talks to replica i % addresses.length. */
  addresses: string[];
  /** Global indices [first, first + count) of this worker's agents. */
  first: number;
  count: number;
  agentIdPrefix: string;
  agentsPerChannel: number;
  progressMessages: number;
  samplesPerProgress: number;
  /** fields 4 and 6 of TaskResult, encoded once with the real proto (see wire-codec resultBody). */
  resultBody: Uint8Array;
  fingerprint: object;
  execMs: number;
  /**
   * Each fake execution lasts execMs x (1 ± execSpread), uniformly. With one fixed duration the agents that
   * got work in one sweep all finish in one burst again, forever: the paced phase would measure a burst of
   * a thousand results every 1.6 s instead of a rate, which no farm of real models of different sizes sees.
   */
  execSpread: number;
  /**
   * Ingest phase: an agent streams at most this many samples (firstIndex 0, S, 2S, ...) on one task, the
   * coordinator's live cap per task (MAX_LIVE_SAMPLES_PER_TASK); there it reports the result and takes the next.
   */
  ingestSamplesPerTask: number;
}

export type ToWorker =
  | { type: 'connect'; batch: number; everyMs: number }
  | { type: 'exec'; execMs: number }
  /**
   * on: every agent holds the task it has or gets next (started, never a result) and streams progress of the
   * timed phase as fast as the stream's flow control allows. off: each reports the task it held.
   */
  | { type: 'ingest'; on: boolean }
  | { type: 'window'; id: string; start: number; end: number }
  | { type: 'collect'; id: string }
  | { type: 'close' };

export interface WindowStats {
  id: string;
  assignments: number;
  /** Dispatch latencies (ms) of assignments received in the window. */
  latencies: Float64Array;
  progressSent: number;
  samplesSent: number;
  resultsSent: number;
  acks: number;
  heartbeats: number;
  cancellations: number;
  /** Ingest phase: results sent because a held task reached ingestSamplesPerTask. */
  rotations: number;
  /** Ingest phase: times an agent's write() returned false and it waited for 'drain'. */
  drainWaits: number;
  /** Distinct agents that sent progress in the window. */
  streamingAgents: number;
  /** The generator's own event-loop delay p99 over the window (ms, worst worker): if high, it delays what it measures. */
  loopDelayP99Ms: number;
}

export interface WorkerTick {
  type: 'tick';
  welcomed: number;
  assigned: number;
  resultsSent: number;
  acks: number;
  ended: number;
  /** A few distinct stream errors, for the report. */
  errors: string[];
  /** Assignments that arrived while the agent still ran a task (the coordinator promises one at a time). */
  overlapping: number;
  /** Agents holding a task and streaming its progress now (ingest phase). */
  holding: number;
  /** Agents that have held a task since the ingest phase began. */
  heldSinceIngest: number;
  /** Results sent for held tasks when the ingest phase ended, and the acks received for them. */
  ingestFinished: number;
  ingestFinishAcked: number;
}

export type FromWorker = WorkerTick | ({ type: 'stats' } & WindowStats) | { type: 'closed' };

/** Wall clock in ms with sub-ms resolution, comparable across threads. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
