import { Inject, Injectable, Logger } from '@nestjs/common';
import { Observable, type Subscriber, type Subscription } from 'rxjs';
import type {
  AgentHello,
  ConnectRequest,
  ConnectResponse,
  FetchModelResponse,
  TaskProgress,
} from '#contracts';
import { DomainError, DomainErrorCode, SerialQueue, errorMessage } from '#common';
import { ArtifactStore, assertSha256 } from '../artifacts/artifact-store.js';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config.js';
import { SchedulerService } from '../runs/scheduler.service.js';
import { AgentPresenceRepository } from '../store/agent-presence.repository.js';
import { AgentRepository } from '../store/agent.repository.js';
import { ClusterService } from '../cluster/cluster.service.js';
import { ArtifactRepository } from '../store/artifact.repository.js';
import { type Principal } from '../auth/principal.js';
import { AgentLinkMetricsService } from '../metrics/agent-link-metrics.service.js';
import { StreamPressureMetricsService } from '../metrics/stream-pressure-metrics.service.js';
import { type ConnectedAgent, AgentRegistry } from './agent-registry.service.js';

const AGENT_ID = /^[\w.-]{1,100}$/;
const LOCAL: Principal = { kind: 'local' };
const CHUNK_BYTES = 1024 * 1024;
/** Messages of one agent waiting to be handled: past the first bound progress is dropped, past the second the stream ends. */
const INBOUND_PROGRESS_LIMIT = 256;
const INBOUND_LIMIT = 4096;
/** A report frees its agent on arrival while at most this many of the agent's reports wait ahead of it. */
const EARLY_RELEASE_AHEAD = 1;

@Injectable()
export class AgentGatewayService {
  private readonly logger = new Logger(AgentGatewayService.name);

  constructor(
    private readonly registry: AgentRegistry,
    private readonly agentsRepo: AgentRepository,
    private readonly artifacts: ArtifactRepository,
    private readonly store: ArtifactStore,
    private readonly scheduler: SchedulerService,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly linkMetrics: AgentLinkMetricsService,
    private readonly pressure: StreamPressureMetricsService,
    private readonly presence: AgentPresenceRepository,
    private readonly cluster: ClusterService,
  ) {}

  /** One agent's stream: the first message must be its hello; messages are handled strictly in order. */
  connect(incoming: Observable<ConnectRequest>, principal: Principal = LOCAL): Observable<ConnectResponse> {
    return new Observable<ConnectResponse>((out) => {
      const queue = new SerialQueue();
      let agent: ConnectedAgent | undefined;
      const fail = (error: unknown): void => {
        if (!out.closed) {
          out.error(error);
        }
      };
      let pending = 0;
      /** Reports (results, failures) among them. */
      let reportsPending = 0;
      let subscription: Subscription | undefined = undefined;
      subscription = incoming.subscribe({
        next: (message) => {
          // grpc-js reads an agent's messages as fast as they come; the store may be slower. Progress is
          // advisory and is dropped first; a backlog of anything else ends the stream (the agent reconnects
          // and re-sends what was not acknowledged).
          if (pending >= INBOUND_PROGRESS_LIMIT && message.progress) {
            this.pressure.dropped('agent_inbound', 'overflow');
            return;
          }
          if (pending >= INBOUND_LIMIT) {
            this.pressure.tooSlow('agent_inbound');
            subscription?.unsubscribe();
            fail(
              new DomainError(
                DomainErrorCode.RESOURCE_EXHAUSTED,
                `agent sends faster than the coordinator can store (${pending} messages waiting); reconnect`,
              ),
            );
            return;
          }
          // Progress is most of what agents send (thousands of messages a second at a thousand agents):
          // when the task's run is known here it is published at once, without a trip through the queue.
          // Nothing ahead of it in the queue can concern it: its task's start is stored in the background
          // anyway, and its result comes after it on the stream. What waits there is the previous task's
          // result being stored; progress queued behind it piled up to the bound (and the memory) on PostgreSQL.
          if (agent && message.progress && this.progressNow(message.progress, fail)) {
            return;
          }
          // A report frees its agent as it arrives. Stored in order, it waits in the queue for the agent's
          // previous report to be stored: with commits backed up on PostgreSQL, agents sat idle for a
          // second after reporting (bench-scale: dispatch p99 0.8-1.4 s while every sweep took < 0.4 s).
          // Only while at most that one report is ahead of it: an agent freed at every report outran the
          // store when results came at once (bench-scale saturated, PostgreSQL: RSS past 1 GiB), so past
          // that it is freed in turn (onResult), which holds it to the store's pace.
          const report = message.result ?? message.failed;
          if (agent && report && reportsPending <= EARLY_RELEASE_AHEAD) {
            this.scheduler.release(agent, report.taskId);
          }
          pending += 1;
          if (report) {
            reportsPending += 1;
          }
          // When it arrived, not when the queue gets to it: a heartbeat that waited there behind a report
          // being stored may be older than the agent's newest assignment (SchedulerService.onHeartbeat).
          const arrivedAt = Date.now();
          queue
            .run(async () => {
              if (out.closed) {
                return;
              }
              if (!agent) {
                agent = await this.hello(message, out, principal);
                return;
              }
              await this.handle(agent, message, arrivedAt);
            })
            .catch(fail)
            .finally(() => {
              pending -= 1;
              if (report) {
                reportsPending -= 1;
              }
            });
        },
        error: (error: unknown) => {
          this.logger.warn(`agent ${agent?.name ?? '?'} stream error: ${errorMessage(error)}`);
          void queue.run(() => Promise.resolve(this.disconnect(agent)));
        },
        complete: () => {
          void queue.run(() => {
            this.disconnect(agent);
            if (!out.closed) {
              out.complete();
            }
            return Promise.resolve();
          });
        },
      });
      return () => {
        subscription?.unsubscribe();
        this.disconnect(agent);
      };
    });
  }

  private async hello(
    message: ConnectRequest,
    out: Subscriber<ConnectResponse>,
    principal: Principal,
  ): Promise<ConnectedAgent> {
    const hello: AgentHello | undefined = message.hello ?? undefined;
    if (!hello) {
      throw new DomainError(DomainErrorCode.INVALID_REQUEST, 'Connect: the first message must be a hello');
    }
    if (principal.kind === 'agent' && principal.agentId !== hello.agentId) {
      // A credential speaks for one agent id only: no agent can pose as another.
      throw new DomainError(
        DomainErrorCode.PERMISSION_DENIED,
        `Connect: the credential of agent ${principal.agentId} cannot say hello as '${hello.agentId.slice(0, 80)}'`,
      );
    }
    if (!AGENT_ID.test(hello.agentId)) {
      throw new DomainError(
        DomainErrorCode.INVALID_REQUEST,
        `Connect: agent id '${hello.agentId.slice(0, 80)}' must match ${AGENT_ID.source}`,
      );
    }
    const agent: ConnectedAgent = {
      id: hello.agentId,
      name: hello.name || hello.agentId,
      labels: hello.labels,
      fingerprint: hello.fingerprint ?? ({} as ConnectedAgent['fingerprint']),
      executionProviders: hello.executionProviders,
      runtimes: hello.runtimes,
      // A reconnecting agent may still be running a task of ours: it stays busy until it reports it.
      runningTaskId: hello.runningTaskIds[0],
      busySince: Date.now(),
      send: (response) => {
        if (!out.closed) {
          out.next(response);
        }
      },
      close: () => {
        if (!out.closed) {
          out.complete();
        }
      },
    };
    const now = Date.now();
    await this.agentsRepo.upsert({ ...agent, lastSeenAt: now });
    await this.presence.claim(agent.id, this.cluster.replicaId);
    this.registry.add(agent);
    this.linkMetrics.connected();
    await this.scheduler.onHeartbeat(agent, hello.runningTaskIds);
    agent.send({
      welcome: { heartbeatIntervalMs: this.config.heartbeatIntervalMs, leaseMs: this.config.leaseMs },
    });
    const eps = agent.executionProviders
      .map((e) => `${e.name}${e.available ? '' : '(unavailable)'}`)
      .join(' ');
    this.logger.log(`agent ${agent.name} connected (${agent.id}; eps: ${eps})`);
    this.scheduler.agentReady(agent.id);
    return agent;
  }

  private async handle(agent: ConnectedAgent, message: ConnectRequest, arrivedAt: number): Promise<void> {
    if (message.heartbeat) {
      // Not awaited: these writes wait for a group commit, and the agent's progress behind them would
      // pile up meanwhile. Nothing later on the stream depends on them (a result orders itself after a
      // start in the same commit queue).
      this.background(
        agent,
        'heartbeat',
        this.scheduler.onHeartbeat(agent, message.heartbeat.runningTaskIds, arrivedAt),
      );
    } else if (message.started) {
      this.background(
        agent,
        'started',
        this.scheduler.onStarted(agent, message.started.taskId, message.started.attempt),
      );
    } else if (message.progress) {
      await this.scheduler.onProgress(message.progress);
    } else if (message.result) {
      await this.scheduler.onResult(agent, message.result);
      agent.send({ ack: { taskId: message.result.taskId, attempt: message.result.attempt } });
    } else if (message.failed) {
      await this.scheduler.onFailed(agent, message.failed);
      agent.send({ ack: { taskId: message.failed.taskId, attempt: message.failed.attempt } });
    } else if (message.hello) {
      throw new DomainError(DomainErrorCode.INVALID_REQUEST, 'Connect: hello sent twice on one stream');
    }
  }

  /** False when the task's run must be looked up first (in order, through the queue). */
  private progressNow(progress: TaskProgress, fail: (error: unknown) => void): boolean {
    try {
      return this.scheduler.progressNow(progress);
    } catch (error) {
      fail(error);
      return true;
    }
  }

  private background(agent: ConnectedAgent, what: string, work: Promise<void>): void {
    work.catch((e: unknown) =>
      this.logger.warn(`agent ${agent.name}: ${what} not stored: ${errorMessage(e)}`),
    );
  }

  private disconnect(agent: ConnectedAgent | undefined): void {
    if (agent && this.registry.remove(agent)) {
      this.linkMetrics.disconnected();
      this.logger.log(`agent ${agent.name} disconnected`);
      this.presence
        .release(agent.id, this.cluster.replicaId)
        .catch((e: unknown) => this.logger.warn(`agent ${agent.name}: mark kept: ${errorMessage(e)}`));
      this.scheduler.onDisconnected();
    }
  }

  /** Streams an artifact in 1 MiB chunks; the agent checks the sha256 of what it received. */
  fetch(sha256: string): Observable<FetchModelResponse> {
    return new Observable<FetchModelResponse>((out) => {
      let closed = false;
      const run = async (): Promise<void> => {
        assertSha256(sha256);
        const artifact = await this.artifacts.find(sha256);
        if (!artifact) {
          throw new DomainError(DomainErrorCode.NOT_FOUND, `artifact ${sha256} not found`);
        }
        const stream = await this.store.open(sha256, CHUNK_BYTES);
        let offset = 0;
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          if (closed) {
            stream.destroy();
            return;
          }
          out.next({ chunk, offset: String(offset), totalBytes: String(artifact.sizeBytes) });
          offset += chunk.length;
        }
        out.complete();
      };
      run().catch((error: unknown) => out.error(error));
      return () => {
        closed = true;
      };
    });
  }
}
