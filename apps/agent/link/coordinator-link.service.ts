import { Inject, Injectable, Logger } from '@nestjs/common';
import { Subject, concat, of } from 'rxjs';
import type { Subscription } from 'rxjs';
import type {
  AgentHello,
  ConnectRequest,
  ConnectResponse,
  ExecutionProvider,
  GrpcClient,
  Runtime,
} from '#contracts';
import { errorMessage } from '#common';
import { AGENT_CONFIG, type AgentConfig } from '../config/agent.config.js';
import { FingerprintService } from '../probe/fingerprint.service.js';
import { AgentCredentialService } from './agent-credential.service.js';
import { GRPC_CLIENT } from './grpc-client.token.js';

export interface LinkHandlers {
  onAssignment(message: NonNullable<ConnectResponse['assignment']>): void;
  onCancellation(taskId: string): void;
  runningTaskIds(): string[];
}

type Reliable = Pick<ConnectRequest, 'result' | 'failed'>;

/**
 * The agent's one stream to the coordinator. Dials out, says hello, sends heartbeats, and reconnects with
 * exponential back-off when the stream ends. Results and failures are kept until acknowledged and sent
 * again after a reconnect, so a cut stream loses none (the coordinator stores them once per attempt).
 */
@Injectable()
export class CoordinatorLinkService {
  private readonly logger = new Logger(CoordinatorLinkService.name);
  private readonly unacked = new Map<string, Reliable>();
  private outgoing?: Subject<ConnectRequest>;
  private subscription?: Subscription;
  private heartbeat?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private failures = 0;
  private stopped = false;
  private handlers?: LinkHandlers;
  private identity?: { agentId: string; executionProviders: ExecutionProvider[]; runtimes: Runtime[] };
  connected = false;

  constructor(
    @Inject(AGENT_CONFIG) private readonly config: AgentConfig,
    @Inject(GRPC_CLIENT) private readonly client: GrpcClient,
    private readonly fingerprint: FingerprintService,
    private readonly credentials: AgentCredentialService,
  ) {}

  start(
    agentId: string,
    executionProviders: ExecutionProvider[],
    runtimes: Runtime[],
    handlers: LinkHandlers,
  ): void {
    this.identity = { agentId, executionProviders, runtimes };
    this.handlers = handlers;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.teardown();
  }

  send(message: ConnectRequest): void {
    if (this.connected) {
      this.outgoing?.next(message);
    }
  }

  /** Sent now if connected, and again after every reconnect until the coordinator acknowledges it. */
  sendReliably(key: string, message: Reliable): void {
    this.unacked.set(key, message);
    this.send(message);
  }

  private connect(): void {
    if (this.stopped || !this.identity || !this.handlers) {
      return;
    }
    if (this.credentials.needsEnrollment()) {
      // Enrolment retries with the same back-off as the stream; it happens once per state folder.
      const { agentId } = this.identity;
      this.credentials.enroll(this.client, agentId, this.config.name || agentId).then(
        () => this.connect(),
        (error: unknown) => this.lost(`enrollment failed: ${errorMessage(error)}`),
      );
      return;
    }
    const hello: AgentHello = {
      agentId: this.identity.agentId,
      name: this.config.name || this.identity.agentId,
      labels: this.config.labels,
      fingerprint: this.fingerprint.collect(
        this.config.intraOpThreads,
        this.config.interOpThreads,
        this.identity.runtimes.find((r) => r.isDefault)?.version ?? '',
      ),
      executionProviders: this.identity.executionProviders,
      runtimes: this.identity.runtimes,
      runningTaskIds: this.handlers.runningTaskIds(),
    };
    const outgoing = new Subject<ConnectRequest>();
    this.outgoing = outgoing;
    this.subscription = this.client.gateway.connect(concat(of({ hello }), outgoing)).subscribe({
      next: (message) => this.receive(message),
      error: (error: unknown) => this.lost(`stream error: ${errorMessage(error)}`),
      complete: () => this.lost('stream closed by the coordinator'),
    });
  }

  private receive(message: ConnectResponse): void {
    const handlers = this.handlers!;
    if (message.welcome) {
      this.connected = true;
      this.failures = 0;
      this.logger.log(`connected to ${this.config.coordinatorAddress}`);
      clearInterval(this.heartbeat);
      this.heartbeat = setInterval(
        () => this.send({ heartbeat: { runningTaskIds: handlers.runningTaskIds() } }),
        heartbeatInterval(message.welcome.heartbeatIntervalMs),
      );
      if (this.unacked.size > 0) {
        this.logger.log(
          `re-sending ${this.unacked.size} unacknowledged report(s): ${[...this.unacked.keys()].join(' ')}`,
        );
      }
      for (const pending of this.unacked.values()) {
        this.send(pending);
      }
    } else if (message.assignment) {
      handlers.onAssignment(message.assignment);
    } else if (message.cancellation) {
      handlers.onCancellation(message.cancellation.taskId);
    } else if (message.ack) {
      this.unacked.delete(`${message.ack.taskId}#${message.ack.attempt}`);
    }
  }

  private lost(why: string): void {
    this.teardown();
    if (this.stopped) {
      return;
    }
    this.failures += 1;
    const ceiling = Math.min(
      this.config.reconnectMaxMs,
      this.config.reconnectMinMs * 2 ** (this.failures - 1),
    );
    // Jitter: a coordinator restart must not be met by every agent in the same millisecond.
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.logger.warn(`${why}; reconnecting in ${delay} ms`);
    this.retry = setTimeout(() => this.connect(), delay);
  }

  private teardown(): void {
    this.connected = false;
    clearInterval(this.heartbeat);
    this.subscription?.unsubscribe();
    this.outgoing?.complete();
    this.subscription = undefined;
    this.outgoing = undefined;
  }
}

/** The coordinator's heartbeat interval, kept between 100 ms and 60 s: a bad or hostile welcome must not spin the agent. */
export function heartbeatInterval(requestedMs: number): number {
  return Number.isFinite(requestedMs) && requestedMs > 0
    ? Math.min(60_000, Math.max(100, requestedMs))
    : 5_000;
}
