import { Worker } from 'node:worker_threads';
import {
  type FromWorker,
  type ToWorker,
  type WindowStats,
  type WorkerSetup,
  type WorkerTick,
} from './load-protocol.js';

export interface GeneratorOptions extends Omit<WorkerSetup, 'first' | 'count'> {
  agents: number;
  workers: number;
}

export interface GeneratorTotals {
  welcomed: number;
  assigned: number;
  resultsSent: number;
  acks: number;
  ended: number;
  overlapping: number;
  holding: number;
  heldSinceIngest: number;
  ingestFinished: number;
  ingestFinishAcked: number;
  errors: string[];
}

/** Merged stats of one measuring window over all workers. */
export interface WindowTotals extends Omit<WindowStats, 'latencies' | 'id'> {
  latencies: number[];
}

/** The simulated agents, spread over worker threads; the main thread only steers and adds up. */
export class LoadGenerator {
  private readonly workers: Worker[] = [];
  private readonly ticks = new Map<Worker, WorkerTick>();
  private readonly pending = new Map<string, { left: number; stats: WindowTotals; done: () => void }>();
  private readonly closed = new Set<Worker>();
  private failure?: Error;

  constructor(options: GeneratorOptions) {
    const per = Math.ceil(options.agents / options.workers);
    for (let first = 0; first < options.agents; first += per) {
      const setup: WorkerSetup = { ...options, first, count: Math.min(per, options.agents - first) };
      const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: setup });
      worker.on('message', (message: FromWorker) => this.onMessage(worker, message));
      worker.on('error', (error) => (this.failure = error));
      this.workers.push(worker);
    }
  }

  private onMessage(worker: Worker, message: FromWorker): void {
    switch (message.type) {
      case 'tick':
        this.ticks.set(worker, message);
        return;
      case 'stats': {
        const entry = this.pending.get(message.id);
        if (!entry) {
          return;
        }
        const s = entry.stats;
        s.assignments += message.assignments;
        s.progressSent += message.progressSent;
        s.samplesSent += message.samplesSent;
        s.resultsSent += message.resultsSent;
        s.acks += message.acks;
        s.heartbeats += message.heartbeats;
        s.cancellations += message.cancellations;
        s.rotations += message.rotations;
        s.drainWaits += message.drainWaits;
        s.streamingAgents += message.streamingAgents;
        s.loopDelayP99Ms = Math.max(s.loopDelayP99Ms, message.loopDelayP99Ms);
        for (const l of message.latencies) {
          s.latencies.push(l);
        }
        entry.left -= 1;
        if (entry.left === 0) {
          this.pending.delete(message.id);
          entry.done();
        }
        return;
      }
      case 'closed':
        this.closed.add(worker);
        return;
    }
  }

  private broadcast(message: ToWorker): void {
    for (const worker of this.workers) {
      worker.postMessage(message);
    }
  }

  /** Throws the first error a worker thread died of. */
  check(): void {
    if (this.failure) {
      throw this.failure;
    }
  }

  totals(): GeneratorTotals {
    const sum: GeneratorTotals = {
      welcomed: 0,
      assigned: 0,
      resultsSent: 0,
      acks: 0,
      ended: 0,
      overlapping: 0,
      holding: 0,
      heldSinceIngest: 0,
      ingestFinished: 0,
      ingestFinishAcked: 0,
      errors: [],
    };
    for (const t of this.ticks.values()) {
      sum.welcomed += t.welcomed;
      sum.assigned += t.assigned;
      sum.resultsSent += t.resultsSent;
      sum.acks += t.acks;
      sum.ended += t.ended;
      sum.overlapping += t.overlapping;
      sum.holding += t.holding;
      sum.heldSinceIngest += t.heldSinceIngest;
      sum.ingestFinished += t.ingestFinished;
      sum.ingestFinishAcked += t.ingestFinishAcked;
      sum.errors.push(...t.errors.filter((e) => !sum.errors.includes(e)));
    }
    return sum;
  }

  connect(batch: number, everyMs: number): void {
    this.broadcast({ type: 'connect', batch, everyMs });
  }

  setExecMs(execMs: number): void {
    this.broadcast({ type: 'exec', execMs });
  }

  /** Ingest phase on (agents hold their task and stream progress) or off (they report it). */
  setIngest(on: boolean): void {
    this.broadcast({ type: 'ingest', on });
  }

  /** Counts what happens between start and end (epoch ms); collect() after end returns it. */
  window(id: string, start: number, end: number): void {
    this.broadcast({ type: 'window', id, start, end });
  }

  collect(id: string): Promise<WindowTotals> {
    return new Promise((resolve) => {
      const stats: WindowTotals = {
        assignments: 0,
        latencies: [],
        progressSent: 0,
        samplesSent: 0,
        resultsSent: 0,
        acks: 0,
        heartbeats: 0,
        cancellations: 0,
        rotations: 0,
        drainWaits: 0,
        streamingAgents: 0,
        loopDelayP99Ms: 0,
      };
      this.pending.set(id, { left: this.workers.length, stats, done: () => resolve(stats) });
      this.broadcast({ type: 'collect', id });
    });
  }

  async close(): Promise<void> {
    this.broadcast({ type: 'close' });
    const deadline = Date.now() + 3000;
    while (this.closed.size < this.workers.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
