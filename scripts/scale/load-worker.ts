// One worker thread of the load generator: a slice of the simulated agents, each with its own Connect
// stream, several streams multiplexed on each HTTP/2 channel. Fake execution, real messages.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import {
  type FromWorker,
  type ToWorker,
  type WindowStats,
  type WorkerSetup,
  nowMs,
} from './load-protocol.js';
import {
  CONNECT_PATH,
  connectSerializers,
  decodeResponse,
  encodeHeartbeat,
  encodeProgress,
  encodeResult,
  encodeStarted,
  packDoubles,
} from './wire-codec.js';
import { MAX_GRPC_MESSAGE_BYTES } from './proto-paths.js';
import { hello, latencySamples } from './agent-messages.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;
const serializers = connectSerializers();
const resultBody = Buffer.from(setup.resultBody);
const K = setup.progressMessages;
const S = setup.samplesPerProgress;
const samples = latencySamples(K * S, 11);
const packed = Array.from({ length: K }, (_, k) => packDoubles(samples.slice(k * S, (k + 1) * S)));
let execMs = setup.execMs;
/** Ingest phase: one message's samples, the same size as the task's other progress messages (S doubles). */
const ingestPacked = packDoubles(latencySamples(S, 13));
const ingestLastMs = latencySamples(S, 13)[S - 1]!;
/** While on, agents hold their task and stream its progress (see ToWorker 'ingest'). */
let ingest = false;

type Call = grpc.ClientDuplexStream<Buffer, Buffer>;

interface Task {
  id: Buffer;
  attempt: number;
  timers: NodeJS.Timeout[];
  /** Ingest phase: held (started, no result until the phase ends) and streaming progress. */
  held: boolean;
  /** Ingest phase: firstIndex of the next progress message. */
  next: number;
}

interface Window {
  start: number;
  end: number;
  stats: WindowStats;
  latencies: number[];
}

const windows = new Map<string, Window>();
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const totals = {
  welcomed: 0,
  assigned: 0,
  resultsSent: 0,
  acks: 0,
  ended: 0,
  overlapping: 0,
  ingestFinished: 0,
  ingestFinishAcked: 0,
  errors: new Set<string>(),
};

function windowsAt(t: number): Window[] {
  const hit: Window[] = [];
  for (const w of windows.values()) {
    if (t >= w.start && t < w.end) {
      hit.push(w);
    }
  }
  return hit;
}

function count(t: number, add: (s: WindowStats) => void): void {
  if (windows.size > 0) {
    for (const w of windowsAt(t)) {
      add(w.stats);
    }
  }
}

class SimAgent {
  private call?: Call;
  private task?: Task;
  private readonly queued: { id: Buffer; attempt: number }[] = [];
  /** When the agent last became free (result sent, or hello): dispatch latency runs from here. */
  private freeSince?: number;
  private heartbeat?: NodeJS.Timeout;
  private readonly idBytes: Buffer;
  /** The held task reported when the ingest phase ended, until its ack comes. */
  private awaitingAck?: string;
  /** Has held a task since the ingest phase began. */
  heldSinceIngest = false;
  /** Windows (ids) in which this agent has sent progress. */
  private readonly streamedIn = new Set<string>();

  constructor(
    readonly id: string,
    private readonly channel: grpc.Client,
  ) {
    this.idBytes = Buffer.from(id);
  }

  connect(helloBytes: Buffer): void {
    const call = this.channel.makeBidiStreamRequest(
      CONNECT_PATH,
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    this.call = call;
    call.on('data', (bytes: Buffer) => this.onMessage(bytes));
    call.on('error', (error: grpc.ServiceError) => {
      totals.errors.add(`${grpc.status[error.code] ?? error.code}: ${error.details}`.slice(0, 200));
      this.ended();
    });
    call.on('end', () => this.ended());
    this.freeSince = nowMs();
    call.write(helloBytes);
  }

  private ended(): void {
    if (this.call) {
      totals.ended += 1;
      this.call = undefined;
      this.stopTask();
      clearInterval(this.heartbeat);
    }
  }

  private write(bytes: Buffer): void {
    this.call?.write(bytes);
  }

  private onMessage(bytes: Buffer): void {
    const message = decodeResponse(bytes);
    const t = nowMs();
    switch (message.kind) {
      case 'welcome': {
        totals.welcomed += 1;
        const every = Math.max(100, message.heartbeatIntervalMs || 5000);
        // Spread the agents' heartbeats over the interval, as agents started at different times would be.
        const first = setTimeout(() => {
          this.sendHeartbeat();
          this.heartbeat = setInterval(() => this.sendHeartbeat(), every);
        }, Math.random() * every);
        this.heartbeat = first;
        return;
      }
      case 'assignment': {
        totals.assigned += 1;
        const since = this.freeSince;
        count(t, (s) => (s.assignments += 1));
        if (since !== undefined && windows.size > 0) {
          for (const w of windowsAt(t)) {
            w.latencies.push(t - since);
          }
        }
        this.freeSince = undefined;
        const next = { id: Buffer.from(message.taskId), attempt: message.attempt };
        if (this.task) {
          totals.overlapping += 1;
          this.queued.push(next);
        } else {
          this.start(next);
        }
        return;
      }
      case 'cancellation':
        count(t, (s) => (s.cancellations += 1));
        if (this.task && this.task.id.toString() === message.taskId) {
          this.stopTask();
          this.free();
        }
        return;
      case 'ack':
        totals.acks += 1;
        if (this.awaitingAck !== undefined && this.awaitingAck === message.taskId) {
          this.awaitingAck = undefined;
          totals.ingestFinishAcked += 1;
        }
        count(t, (s) => (s.acks += 1));
        return;
      case 'unknown':
        return;
    }
  }

  private sendHeartbeat(): void {
    this.write(encodeHeartbeat(this.task ? [this.task.id] : []));
    count(nowMs(), (s) => (s.heartbeats += 1));
  }

  private start(next: { id: Buffer; attempt: number }): void {
    const task: Task = { ...next, timers: [], held: false, next: 0 };
    this.task = task;
    this.write(encodeStarted(task.id, task.attempt));
    if (ingest) {
      this.hold(task, 0);
      return;
    }
    if (execMs <= 0) {
      for (let k = 0; k < K; k++) {
        this.progress(task, k);
      }
      this.result(task);
      return;
    }
    const ms = execMs * (1 + setup.execSpread * (2 * Math.random() - 1));
    // Progress messages spread over the fake execution, as a real agent sends them every ~250 ms.
    for (let k = 0; k < K; k++) {
      task.timers.push(setTimeout(() => this.progress(task, k), ((k + 1) * ms) / (K + 1)));
    }
    task.timers.push(setTimeout(() => this.result(task), ms));
  }

  private progress(task: Task, k: number): void {
    this.write(
      encodeProgress(
        task.id,
        { done: (k + 1) * S, total: K * S, lastMs: samples[(k + 1) * S - 1]!, firstIndex: k * S },
        packed[k]!,
      ),
    );
    count(nowMs(), (s) => {
      s.progressSent += 1;
      s.samplesSent += S;
    });
  }

  get holding(): boolean {
    return this.task?.held === true;
  }

  /** The ingest phase starts (the task in hand, if any, is held from now on) or ends (it is reported). */
  setIngest(on: boolean): void {
    this.heldSinceIngest = false;
    const task = this.task;
    if (!task) {
      return;
    }
    if (on && !task.held) {
      // A paced task in flight: its timers go; the samples it already sent are not sent again.
      for (const timer of task.timers) {
        clearTimeout(timer);
      }
      task.timers = [];
      this.hold(task, K * S);
    } else if (!on && task.held) {
      task.held = false;
      this.awaitingAck = task.id.toString();
      totals.ingestFinished += 1;
      this.result(task);
    }
  }

  private hold(task: Task, firstIndex: number): void {
    this.heldSinceIngest = true;
    task.held = true;
    task.next = firstIndex;
    this.pump(task);
  }

  /**
   * Writes progress of the held task until the stream pushes back (write() returns false), then goes on at
   * 'drain'. Each message carries the next S timed iterations (firstIndex increasing), so the coordinator
   * counts every sample once; at the coordinator's live cap per task it reports the task and takes the next.
   */
  private pump(task: Task): void {
    const call = this.call;
    while (call && this.call === call && this.task === task && task.held) {
      if (task.next + S > setup.ingestSamplesPerTask) {
        task.held = false;
        count(nowMs(), (s) => (s.rotations += 1));
        this.result(task);
        return;
      }
      const firstIndex = task.next;
      task.next += S;
      const flowing = call.write(
        encodeProgress(
          task.id,
          { done: firstIndex + S, total: setup.ingestSamplesPerTask, lastMs: ingestLastMs, firstIndex },
          ingestPacked,
        ),
      );
      count(nowMs(), (s) => {
        s.progressSent += 1;
        s.samplesSent += S;
        if (!this.streamedIn.has(s.id)) {
          this.streamedIn.add(s.id);
          s.streamingAgents += 1;
        }
      });
      if (!flowing) {
        count(nowMs(), (s) => (s.drainWaits += 1));
        call.once('drain', () => this.pump(task));
        return;
      }
    }
  }

  private result(task: Task): void {
    if (this.task !== task) {
      return;
    }
    this.write(encodeResult(task.id, task.attempt, this.idBytes, resultBody));
    totals.resultsSent += 1;
    count(nowMs(), (s) => (s.resultsSent += 1));
    this.task = undefined;
    this.free();
  }

  private free(): void {
    const next = this.queued.shift();
    if (next) {
      this.start(next);
    } else {
      this.freeSince = nowMs();
    }
  }

  private stopTask(): void {
    for (const timer of this.task?.timers ?? []) {
      clearTimeout(timer);
    }
    this.task = undefined;
  }

  close(): void {
    clearInterval(this.heartbeat);
    clearTimeout(this.heartbeat);
    this.stopTask();
    const call = this.call;
    this.call = undefined;
    call?.cancel();
  }
}

const channelOptions = {
  'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
  // Without this every client to one address shares one HTTP/2 connection (grpc-js's global pool).
  'grpc.use_local_subchannel_pool': 1,
  // grpc-js keeps up to 256 KiB per call for transparent retries and calls back each write() at once while
  // that buffer has room: write() would say "go on" long after the transport stopped taking data, and in the
  // ingest phase every agent would queue 256 KiB (seconds of a coordinator's work) ahead of its heartbeats
  // and its result. Without it write() returns false when the HTTP/2 stream pushes back. Messages still go
  // to the transport one after another per stream, in the same order: the other phases, which never wait
  // for write(), send as before (A/B on the bare server: the same tasks/s within noise).
  'grpc.per_rpc_retry_buffer_size': 0,
};
const channels: grpc.Client[] = [];
const agents: SimAgent[] = [];
{
  const byReplica = new Map<number, number[]>();
  for (let i = setup.first; i < setup.first + setup.count; i++) {
    const replica = i % setup.addresses.length;
    byReplica.set(replica, [...(byReplica.get(replica) ?? []), i]);
  }
  for (const [replica, indices] of byReplica) {
    let channel: grpc.Client | undefined;
    indices.forEach((index, n) => {
      if (!channel || n % setup.agentsPerChannel === 0) {
        channel = new grpc.Client(
          setup.addresses[replica]!,
          grpc.credentials.createInsecure(),
          channelOptions,
        );
        channels.push(channel);
      }
      agents.push(new SimAgent(`${setup.agentIdPrefix}${String(index).padStart(5, '0')}`, channel));
    });
  }
}

function post(message: FromWorker): void {
  port.postMessage(message);
}

const ticker = setInterval(
  () =>
    post({
      type: 'tick',
      welcomed: totals.welcomed,
      assigned: totals.assigned,
      resultsSent: totals.resultsSent,
      acks: totals.acks,
      ended: totals.ended,
      errors: [...totals.errors].slice(0, 5),
      overlapping: totals.overlapping,
      holding: agents.reduce((n, a) => n + (a.holding ? 1 : 0), 0),
      heldSinceIngest: agents.reduce((n, a) => n + (a.heldSinceIngest ? 1 : 0), 0),
      ingestFinished: totals.ingestFinished,
      ingestFinishAcked: totals.ingestFinishAcked,
    }),
  200,
);

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'connect': {
      let next = 0;
      const batch = (): void => {
        for (const agent of agents.slice(next, next + message.batch)) {
          agent.connect(serializers.requestSerialize({ hello: hello(agent.id, setup.fingerprint) }));
        }
        next += message.batch;
        if (next < agents.length) {
          setTimeout(batch, message.everyMs);
        }
      };
      batch();
      return;
    }
    case 'exec':
      execMs = message.execMs;
      return;
    case 'ingest':
      ingest = message.on;
      for (const agent of agents) {
        agent.setIngest(message.on);
      }
      return;
    case 'window':
      windows.set(message.id, {
        start: message.start,
        end: message.end,
        latencies: [],
        stats: {
          id: message.id,
          assignments: 0,
          latencies: new Float64Array(0),
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
        },
      });
      setTimeout(() => loopDelay.reset(), Math.max(0, message.start - nowMs()));
      return;
    case 'collect': {
      const w = windows.get(message.id);
      windows.delete(message.id);
      if (w) {
        w.stats.loopDelayP99Ms = loopDelay.percentile(99) / 1e6;
        const latencies = Float64Array.from(w.latencies);
        port.postMessage({ type: 'stats', ...w.stats, latencies } satisfies FromWorker, [latencies.buffer]);
      }
      return;
    }
    case 'close':
      clearInterval(ticker);
      for (const agent of agents) {
        agent.close();
      }
      for (const channel of channels) {
        channel.close();
      }
      post({ type: 'closed' });
      return;
  }
});
