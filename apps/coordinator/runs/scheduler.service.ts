import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Kysely } from 'kysely';
import {
  type Assignment,
  type ModelFacts,
  type TaskFailed,
  type TaskProgress,
  type TaskResult,
  TaskState,
} from '#contracts';
import { SharedExclusiveQueue, errorMessage } from '#common';
import { type ConnectedAgent, AgentRegistry } from '../agents/agent-registry.service.js';
import { ClusterService } from '../cluster/cluster.service.js';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config.js';
import { AgentRepository } from '../store/agent.repository.js';
import { ArtifactRepository } from '../store/artifact.repository.js';
import { DispatchRepository, type Pick } from '../store/dispatch.repository.js';
import { ResultRepository } from '../store/result.repository.js';
import { WriteBatcher, type WriteStep } from '../store/write-batcher.js';
import { type RunRequest, RunRepository, toTask } from '../store/run.repository.js';
import type { Database, TaskTable } from '../store/database.types.js';
import { agentFitsTarget, canRun } from './agent-matcher.js';
import { RunEventsService } from './run-events.service.js';
import { RunLifecycle } from './run-lifecycle.service.js';

// A task whose lease expires this many times (agent died, network gone) fails instead of looping forever.
const MAX_ATTEMPTS = 3;
/** Unbound queued rows one sweep reads per idle agent (some may fit none of them), within bounds. */
const ROWS_PER_IDLE_AGENT = 2;
const MIN_SWEEP_ROWS = 64;
const MAX_SWEEP_ROWS = 4_000;
/** Other replicas hear of new work at most this often (a burst of submits is one notification). */
const WORK_NOTICE_MS = 20;
const WORK_CHANNEL = 'mlfarm_work';
/** At shutdown, how long a lease check or sweep under way may take to finish before the store closes. */
const SHUTDOWN_WAIT_MS = 5_000;
/** Requests and artifact sizes kept for assignments; cleared when this many pile up (runs ended elsewhere). */
const CACHE_LIMIT = 10_000;
const RUN_END_LOCK = 'mlfarm:run-end';
/** How often open runs are checked for being drained but not settled (settleDrainedRuns). */
const DRAINED_CHECK_MS = 30_000;
const FINISHED_STATES = new Set([
  TaskState.TASK_STATE_SUCCEEDED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELLED,
]);

/**
 * Hands queued tasks to idle connected agents, keeps leases alive from heartbeats, re-queues tasks whose
 * lease expired, and turns agent reports into task and run state. All state lives in the store, so any
 * number of replicas can share it: each hands tasks to the agents connected to it, leasing rows with
 * FOR UPDATE SKIP LOCKED, and a run's end is settled under a farm-wide lock.
 */
@Injectable()
export class SchedulerService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SchedulerService.name);
  /**
   * Sweeps are shared (several at once on PostgreSQL, to different agents: see
   * DispatchRepository.sweepsAtOnce); lease expiry, lost agents and cancellation are exclusive.
   */
  private readonly dispatchQueue = new SharedExclusiveQueue();
  private readonly requests = new Map<string, RunRequest>();
  private readonly artifactFacts = new Map<string, { sizeBytes: number; facts?: ModelFacts }>();
  /** task → run, for the progress reports of tasks leased here (asked many times a second). */
  private readonly taskRuns = new Map<string, string>();
  /** Runs known to have started, so the first lease alone marks a run running. */
  private readonly startedRuns = new Set<string>();
  /** Runs being marked started, off the dispatch queue; shutdown waits for them. */
  private readonly runStarts = new Set<Promise<void>>();
  /** An agent's absence is counted from here at the earliest: a coordinator that was down lost no agent. */
  private readonly startedAt = Date.now();
  private timer?: NodeJS.Timeout;
  /** The tick's lease and run checks under way, if any (one at a time). */
  private checking?: Promise<void>;
  /** When open runs were last checked for being drained (settleDrainedRuns); at start, the first tick. */
  private drainedCheckedAt = -Infinity;
  private sweepAll = false;
  private readonly sweepAgents = new Set<string>();
  private sweepQueued = false;
  private sweepsRunning = 0;
  /** A gathered sweep waits for one under way to end (sweepsAtOnce reached). */
  private sweepWaiting = false;
  /** Agents a sweep under way is leasing to: no other sweep takes them (it would lease them a second task). */
  private readonly leasing = new Set<string>();
  /** Agents asked for while a sweep leased to them: swept again if that sweep found them nothing. */
  private readonly askedWhileLeasing = new Set<string>();
  private workNotice?: NodeJS.Timeout;
  /** Shutting down: the store closes next, so nothing starts another sweep. */
  private stopped = false;

  constructor(
    private readonly runs: RunRepository,
    private readonly results: ResultRepository,
    private readonly artifacts: ArtifactRepository,
    private readonly agents: AgentRegistry,
    private readonly events: RunEventsService,
    private readonly lifecycle: RunLifecycle,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly dispatchRepo: DispatchRepository,
    private readonly cluster: ClusterService,
    private readonly writes: WriteBatcher,
    private readonly agentRecords: AgentRepository,
  ) {}

  onModuleInit(): void {
    // Lease checks also make progress after a restart: tasks leased by the previous process expire and return.
    this.timer = setInterval(() => this.tick(), Math.min(1000, this.config.leaseMs / 4));
    this.timer.unref();
    this.cluster.on(WORK_CHANNEL, () => this.sweep(undefined));
    this.cluster.onReconnect(() => this.sweep(undefined));
    // A task that ended elsewhere (cancelled on another replica, or an older attempt's result came
    // back there) must stop on the agent of this replica that still runs it.
    this.events.events$.subscribe(({ event }) => {
      const task = event.task;
      if (task && FINISHED_STATES.has(task.state)) {
        const holder = this.agents.get(task.agentId);
        if (holder?.runningTaskId === task.id) {
          const reason =
            task.state === TaskState.TASK_STATE_CANCELLED ? 'run cancelled' : 'task ended elsewhere';
          holder.send({ cancellation: { taskId: task.id, reason } });
          holder.runningTaskId = undefined;
          this.sweep(holder.id);
        }
      }
    });
  }

  /**
   * The store closes after this (at application shutdown): a lease check or sweep under way finishes
   * first, and none starts after, so a loaded coordinator stops without "driver has already been
   * destroyed" errors. Bounded, so a store that hangs cannot hold the shutdown.
   */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.workNotice);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([this.checking, ...this.runStarts, this.dispatchQueue.exclusive(() => Promise.resolve())]),
      new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  /**
   * There may be new work for any agent (a run was submitted, tasks were re-queued or added): every
   * replica sweeps its idle agents.
   */
  kick(): void {
    this.sweep(undefined);
    if (this.cluster.shared && !this.workNotice) {
      this.workNotice = setTimeout(() => {
        this.workNotice = undefined;
        this.cluster.notify(WORK_CHANNEL, '');
      }, WORK_NOTICE_MS);
    }
  }

  /** This agent (connected here) may take a task now. */
  agentReady(agentId: string): void {
    this.sweep(agentId);
  }

  /**
   * Sweeps coalesce: whatever asks while one is queued joins it, so a burst of results becomes one
   * transaction that leases tasks to all those agents at once.
   */
  private sweep(agentId: string | undefined): void {
    if (agentId === undefined) {
      this.sweepAll = true;
    } else {
      this.sweepAgents.add(agentId);
    }
    if (this.sweepQueued || this.stopped) {
      return;
    }
    this.sweepQueued = true;
    // Gathering turns a burst of results into one lease transaction for all those agents (measured at
    // a thousand agents: one commit per task otherwise).
    this.writes.gather(() => this.runSweep());
  }

  private runSweep(): void {
    if (this.sweepsRunning >= this.dispatchRepo.sweepsAtOnce) {
      this.sweepWaiting = true; // still queued: what asks meanwhile joins it
      return;
    }
    this.sweepsRunning += 1;
    void this.dispatchQueue
      .shared(async () => {
        this.sweepQueued = false;
        if (this.stopped) {
          return;
        }
        const asked = this.sweepAll
          ? this.agents.idle()
          : [...this.sweepAgents]
              .map((id) => this.agents.get(id))
              .filter((a): a is ConnectedAgent => a !== undefined && a.runningTaskId === undefined);
        this.sweepAll = false;
        this.sweepAgents.clear();
        const idle = asked.filter((a) => {
          if (this.leasing.has(a.id)) {
            this.askedWhileLeasing.add(a.id);
            return false;
          }
          return true;
        });
        idle.forEach((a) => this.leasing.add(a.id));
        try {
          await this.dispatch(idle);
        } finally {
          for (const agent of idle) {
            this.leasing.delete(agent.id);
            // New work may have come for it while this sweep, which did not see that work, leased.
            if (this.askedWhileLeasing.delete(agent.id) && agent.runningTaskId === undefined) {
              this.sweep(agent.id);
            }
          }
        }
      })
      .catch((e: unknown) => this.logger.error(`dispatch failed: ${errorMessage(e)}`))
      .finally(() => {
        this.sweepsRunning -= 1;
        if (this.sweepWaiting) {
          this.sweepWaiting = false;
          this.runSweep();
        }
      });
  }

  private tick(): void {
    if (!this.checking) {
      this.checking = this.checkLeasesAndRuns()
        .catch((e: unknown) => {
          if (!this.stopped) {
            this.logger.error(`scheduler tick failed: ${errorMessage(e)}`);
          }
        })
        .finally(() => (this.checking = undefined));
    }
    this.sweep(undefined);
  }

  /**
   * Looks for expired leases and lost agents outside the dispatch queue, and takes the queue (where the
   * checks run again, now serialized with the sweeps) only when there is something to handle. Both
   * reads ran inside it every second, and each sweep waited behind them: tens of milliseconds a second
   * of stalled dispatch at a thousand agents on PostgreSQL, where every statement waits for a busy core.
   */
  private async checkLeasesAndRuns(): Promise<void> {
    const now = Date.now();
    const lostSince = this.lostAgentsSince(now);
    const [expired, silent] = await Promise.all([
      this.runs.expiredLeases(now),
      lostSince === undefined ? [] : this.dispatchRepo.silentAgentsWithQueuedTasks(lostSince),
    ]);
    const lost = silent.some((a) => !this.agents.get(a.agentId));
    const settle = now - this.drainedCheckedAt >= DRAINED_CHECK_MS;
    if (this.stopped || (expired.length === 0 && !lost && !settle)) {
      return;
    }
    await this.dispatchQueue.exclusive(async () => {
      if (this.stopped) {
        return;
      }
      if (expired.length > 0) {
        await this.expireLeases();
      }
      if (lost) {
        await this.failTasksOfLostAgents();
      }
      await this.settleDrainedRuns();
    });
  }

  private async dispatch(idle: ConnectedAgent[]): Promise<void> {
    if (idle.length === 0) {
      return;
    }
    const byId = new Map(idle.map((a) => [a.id, a]));
    const now = Date.now();
    const rows = Math.min(MAX_SWEEP_ROWS, Math.max(MIN_SWEEP_ROWS, idle.length * ROWS_PER_IDLE_AGENT));
    const leased = await this.dispatchRepo.leaseQueued(
      [...byId.keys()],
      rows,
      now + this.config.leaseMs,
      (queued, trx, free) => this.choose(queued, byId, free, trx),
    );
    for (const row of leased) {
      await this.announceLease(byId.get(row.agent_id!)!, row, now);
    }
  }

  /** Oldest first: a bound task to its agent if idle, an unbound one to the first idle agent that fits. */
  private async choose(
    queued: TaskTable[],
    byId: Map<string, ConnectedAgent>,
    freeIds: readonly string[],
    trx: Kysely<Database>,
  ): Promise<Pick[]> {
    const free = new Set(freeIds);
    const picks: Pick[] = [];
    for (const task of queued) {
      if (free.size === 0) {
        break;
      }
      if (task.agent_id !== null) {
        if (free.delete(task.agent_id)) {
          picks.push({ taskId: task.id, agentId: task.agent_id });
        }
        continue;
      }
      const { target } = await this.requestOf(task.run_id, trx);
      for (const id of free) {
        const agent = byId.get(id)!;
        if (agentFitsTarget(agent, target) && canRun(agent, task.ep, task.runtime)) {
          picks.push({ taskId: task.id, agentId: id });
          free.delete(id);
          break;
        }
      }
    }
    return picks;
  }

  private async announceLease(agent: ConnectedAgent, task: TaskTable, now: number): Promise<void> {
    const request = await this.requestOf(task.run_id);
    const artifact = await this.artifactOf(task.variant_sha256 ?? task.model_sha256);
    const assignment: Assignment = {
      taskId: task.id,
      attempt: task.attempt,
      runId: task.run_id,
      modelSha256: task.variant_sha256 ?? task.model_sha256,
      modelName: task.variant === 'original' ? task.model_name : `${task.model_name} [${task.variant}]`,
      modelSizeBytes: String(artifact?.sizeBytes ?? 0),
      ep: task.ep,
      scenario: request.scenario,
      runtime: task.runtime,
      reference: task.reference_sha256
        ? {
            modelSha256: task.reference_sha256,
            runtime: task.reference_runtime ?? '',
            label: task.reference_label ?? '',
          }
        : undefined,
    };
    agent.runningTaskId = task.id;
    agent.busySince = now;
    this.taskRuns.set(task.id, task.run_id);
    agent.send({ assignment });
    if (!this.startedRuns.has(task.run_id)) {
      this.startedRuns.add(task.run_id);
      // Not awaited: inside the dispatch queue, the run's start (a commit) and its event (two reads)
      // stalled every sweep at each run's first lease, the tail of the dispatch latency on PostgreSQL.
      // The run's RUNNING event may so come just after its first task's.
      const started = this.markRunStarted(task.run_id, now).finally(() => this.runStarts.delete(started));
      this.runStarts.add(started);
    }
    this.events.task(toTask(task));
    // Verbose: at hundreds of tasks a second a line each would cost more than the dispatch itself.
    this.logger.verbose(`task ${task.id} (attempt ${task.attempt}) -> agent ${agent.name}`);
  }

  private async markRunStarted(runId: string, now: number): Promise<void> {
    try {
      if (await this.dispatchRepo.markRunStarted(runId, now)) {
        await this.publishRun(runId);
      }
    } catch (e) {
      this.startedRuns.delete(runId); // its next lease tries again
      if (!this.stopped) {
        this.logger.warn(`run ${runId}: marking it started failed: ${errorMessage(e)}`);
      }
    }
  }

  /** A run's request never changes; `trx` when asked inside the dispatch transaction (its connection is taken). */
  private async requestOf(runId: string, trx?: Kysely<Database>): Promise<RunRequest> {
    let request = this.requests.get(runId);
    if (!request) {
      const row = trx
        ? await trx.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirst()
        : await this.runs.findRunRow(runId);
      request = row
        ? (JSON.parse(row.request_json) as RunRequest)
        : ({
            target: { labels: [], executionProviders: [], agents: [], anyOneAgent: true, runtimes: [] },
          } as unknown as RunRequest);
      if (this.requests.size >= CACHE_LIMIT) {
        this.requests.clear();
      }
      this.requests.set(runId, request);
    }
    return request;
  }

  /** Artifacts are immutable: their size and facts are read once. */
  private async artifactOf(sha256: string): Promise<{ sizeBytes: number; facts?: ModelFacts } | undefined> {
    let known = this.artifactFacts.get(sha256);
    if (!known) {
      const artifact = await this.artifacts.find(sha256);
      if (!artifact) {
        return undefined;
      }
      known = { sizeBytes: artifact.sizeBytes, facts: artifact.facts };
      if (this.artifactFacts.size >= CACHE_LIMIT) {
        this.artifactFacts.clear();
      }
      this.artifactFacts.set(sha256, known);
    }
    return known;
  }

  private async expireLeases(): Promise<void> {
    for (const task of await this.runs.expiredLeases(Date.now())) {
      // The holder, if connected here, stays busy: a lease also runs out while its agent still runs the
      // task (renewals stuck behind a backlog of writes), and an agent handed a second task meanwhile
      // would measure both against each other. It is free once it reports the task or a heartbeat no
      // longer names it (onHeartbeat).
      if (task.attempt >= MAX_ATTEMPTS) {
        await this.finish(task, 'failed', `lease expired ${task.attempt} times (agent lost); giving up`);
        continue;
      }
      const { target } = await this.requestOf(task.run_id);
      if (await this.runs.requeueTask(task.id, task.attempt, target.anyOneAgent)) {
        this.logger.warn(`task ${task.id}: lease of attempt ${task.attempt} expired, re-queued`);
        await this.publishTask(task.id);
        this.kick();
      }
    }
  }

  /**
   * Settles open runs whose tasks have all ended. A run is settled right after its last task's end;
   * this catches the run whose coordinator stopped in between (a replica killed), or whose after-commit
   * probe failed. It reads every open run, so not at every tick.
   */
  private async settleDrainedRuns(): Promise<void> {
    const now = Date.now();
    if (now - this.drainedCheckedAt < DRAINED_CHECK_MS) {
      return;
    }
    this.drainedCheckedAt = now;
    for (const runId of await this.runs.drainedOpenRunIds()) {
      this.logger.warn(`run ${runId}: every task ended but the run was still open; settling it`);
      await this.cluster.withLock(RUN_END_LOCK, () => this.settleRun(runId));
    }
  }

  /**
   * A task bound to one agent cannot move to another (its result would answer a different question), so
   * when that agent stays away longer than agentLostMs the task fails with the reason instead of keeping
   * its run open forever. Absence counts from the agent's last message to any replica, or from this
   * coordinator's start.
   */
  private async failTasksOfLostAgents(): Promise<void> {
    const now = Date.now();
    const lostMs = this.config.agentLostMs;
    const lostSince = this.lostAgentsSince(now);
    if (lostSince === undefined) {
      return;
    }
    for (const silent of await this.dispatchRepo.silentAgentsWithQueuedTasks(lostSince)) {
      if (this.agents.get(silent.agentId)) {
        continue;
      }
      const name = silent.name ?? silent.agentId;
      const lostS = Math.round((now - Math.max(silent.lastSeenAt ?? 0, this.startedAt)) / 1000);
      for (const task of await this.dispatchRepo.queuedTasksBoundTo(silent.agentId)) {
        this.logger.warn(`task ${task.id}: bound agent ${name} lost for ${lostS} s; failing it`);
        await this.finish(
          task,
          'failed',
          `agent ${name} lost for ${lostS} s (limit ${Math.round(lostMs / 1000)} s); ` +
            'this task must run on that agent',
        );
      }
    }
  }

  /** Agents silent since before this count as lost; none while this coordinator is younger than the limit. */
  private lostAgentsSince(now: number): number | undefined {
    const lostMs = this.config.agentLostMs;
    return now - this.startedAt < lostMs ? undefined : now - lostMs;
  }

  async onStarted(agent: ConnectedAgent, taskId: string, attempt: number): Promise<void> {
    const now = Date.now();
    const [running] = await this.writes.write([
      this.dispatchRepo.markTaskRunningStep(taskId, attempt, now, now + this.config.leaseMs),
    ]);
    const row = running?.rows[0] as TaskTable | undefined;
    if (row) {
      this.events.task(toTask(row));
    }
  }

  /**
   * `arrivedAt`: a heartbeat's arrival; it also marks the agent seen (a hello, without it, has stored the
   * agent already).
   */
  async onHeartbeat(agent: ConnectedAgent, runningTaskIds: string[], arrivedAt?: number): Promise<void> {
    const now = Date.now();
    const touch = arrivedAt !== undefined;
    const held = agent.runningTaskId;
    // Only a heartbeat that arrived a whole interval after the assignment: one the agent sent before the
    // assignment reached it does not name the task, and neither does one that waited in the stream's
    // queue behind a report being stored, while the report's early release brought a new assignment.
    if (
      touch &&
      held !== undefined &&
      !runningTaskIds.includes(held) &&
      arrivedAt - (agent.busySince ?? 0) > this.config.heartbeatIntervalMs
    ) {
      // The agent no longer has the task (it never reported it): free, or it would idle until it reconnects.
      this.logger.warn(
        `agent ${agent.name}: task ${held} missing from its heartbeat; free for the next task`,
      );
      this.release(agent, held);
    }
    const steps: WriteStep[] = [];
    if (touch) {
      steps.push(this.agentRecords.touchStep(agent.id, now));
    }
    if (runningTaskIds.length > 0) {
      steps.push(this.runs.renewLeasesStep(agent.id, runningTaskIds, now + this.config.leaseMs));
    }
    // A thousand agents beat every few seconds: their writes share commits with the results.
    if (steps.length > 0) {
      await this.writes.write(steps);
    }
  }

  /** Publishes progress at once when its task's run is known here; false when it must be looked up. */
  progressNow(progress: TaskProgress): boolean {
    const runId = this.taskRuns.get(progress.taskId);
    if (runId) {
      this.events.progress(runId, progress);
    }
    return runId !== undefined;
  }

  async onProgress(progress: TaskProgress): Promise<void> {
    const runId = this.taskRuns.get(progress.taskId) ?? (await this.runs.findTask(progress.taskId))?.run_id;
    if (runId) {
      this.events.progress(runId, progress);
    }
  }

  /** Idempotent per (task, attempt): a re-sent result is acknowledged again but stored once. */
  async onResult(agent: ConnectedAgent, result: TaskResult): Promise<void> {
    // Free for its next task (if the stream has not freed it already): reading the task first cost every
    // dispatch a round trip on PostgreSQL.
    this.release(agent, result.taskId);
    const task = await this.runs.findTask(result.taskId);
    if (!task) {
      this.logger.warn(`result for unknown task ${result.taskId} from ${agent.name} dropped`);
      return;
    }
    if (task.state === 'cancelled') {
      return;
    }
    if (task.state === 'succeeded' || task.state === 'failed') {
      // A re-sent report (the ack was lost with a cut stream), or a late attempt of a finished task:
      // acknowledged again, stored never, so nothing counts twice.
      this.logger.log(
        `result of task ${task.id} attempt ${result.attempt} from ${agent.name}: task already ${task.state}; ` +
          'acknowledged again, not stored',
      );
      return;
    }
    // The coordinator knows the model's facts; the agent only reports what it measured.
    const model = (await this.artifactOf(task.variant_sha256 ?? task.model_sha256))?.facts;
    const complete: TaskResult = { ...result, agentId: agent.id, model };
    const now = Date.now();
    // The result and its task's end are one commit; the run's remaining tasks are counted in the same
    // job (on PostgreSQL right after the commit: see WriteStep.afterCommit).
    const [inserted, ended, unfinished] = await this.writes.write([
      this.results.insertStep(complete, now),
      { ...this.dispatchRepo.finishTaskStep(task.id, 'succeeded', now, null), when: 0 },
      { ...this.dispatchRepo.unfinishedTaskStep(task.run_id), when: 0 },
    ]);
    const stored = inserted!.changes > 0;
    if (stored) {
      this.events.result(task.run_id, complete);
    } else {
      this.logger.log(
        `result of task ${task.id} attempt ${result.attempt} already stored; acknowledged again`,
      );
    }
    if (result.attempt !== task.attempt && task.agent_id && task.agent_id !== agent.id) {
      // An older attempt came back after all: the newer one elsewhere would only measure the same again.
      // (On another replica, the task's end event reaches the agent's replica, which stops it there.)
      const holder = this.agents.get(task.agent_id);
      if (holder?.runningTaskId === task.id) {
        holder.send({ cancellation: { taskId: task.id, reason: 'an earlier attempt already finished' } });
        holder.runningTaskId = undefined;
      }
    }
    if (stored) {
      await this.finished(task.run_id, ended!.rows[0] as TaskTable | undefined, unfinished!.changes > 0);
    } else {
      await this.finish(task, 'succeeded', null);
    }
  }

  async onFailed(agent: ConnectedAgent, failure: TaskFailed): Promise<void> {
    this.release(agent, failure.taskId);
    const task = await this.runs.findTask(failure.taskId);
    if (!task || task.attempt !== failure.attempt) {
      return;
    }
    await this.finish(task, 'failed', `${failure.code}: ${failure.message}`);
  }

  /** The agent's stream ended: its leases keep running until they expire, so a quick reconnect loses nothing. */
  onDisconnected(): void {
    this.sweep(undefined);
  }

  async cancelRun(runId: string): Promise<void> {
    await this.dispatchQueue.exclusive(async () => {
      for (const task of await this.runs.activeTasksOfRun(runId)) {
        const holder = task.agent_id ? this.agents.get(task.agent_id) : undefined;
        if (holder && holder.runningTaskId === task.id) {
          holder.send({ cancellation: { taskId: task.id, reason: 'run cancelled' } });
          holder.runningTaskId = undefined;
        }
        // Agents of other replicas hear of it from the task's event.
        const row = await this.dispatchRepo.finishTask(task.id, 'cancelled', Date.now(), 'run cancelled');
        if (row) {
          this.publishEnd(row);
        }
      }
    });
    await this.cluster.withLock(RUN_END_LOCK, async () => {
      if (await this.runs.setRunState(runId, 'cancelled', Date.now())) {
        this.forgetRun(runId);
        await this.lifecycle.finished(runId, 'cancelled');
      }
    });
    await this.publishRun(runId);
    this.sweep(undefined);
  }

  /**
   * The agent reported `taskId` done (a result or a failure): it is free for its next task at once, before
   * the report is stored. The agent's stream calls this as the report arrives (see AgentGatewayService),
   * and onResult/onFailed again; only the first call frees it.
   */
  release(agent: ConnectedAgent, taskId: string): void {
    if (agent.runningTaskId === taskId) {
      agent.runningTaskId = undefined;
    }
    this.taskRuns.delete(taskId);
    this.sweep(agent.id);
  }

  private async finish(task: TaskTable, state: 'succeeded' | 'failed', error: string | null): Promise<void> {
    await this.finished(task.run_id, await this.dispatchRepo.finishTask(task.id, state, Date.now(), error));
  }

  /**
   * `row`: the task's new row if this call ended it; `unfinished`: whether the run has tasks left, when
   * counted in the same commit.
   */
  private async finished(runId: string, row: TaskTable | undefined, unfinished?: boolean): Promise<void> {
    if (row) {
      this.publishEnd(row);
    }
    if (!(unfinished ?? (await this.dispatchRepo.hasUnfinishedTasks(runId)))) {
      // Replicas finishing a run's last tasks at once: the lock lets one of them settle the run.
      await this.cluster.withLock(RUN_END_LOCK, () => this.settleRun(runId));
    }
  }

  /** Every task of the run is finished: its hooks may add tasks (a gate's rounds), or the run ends. */
  private async settleRun(runId: string): Promise<void> {
    const run = await this.runs.findRunRow(runId);
    if (!run || ['succeeded', 'failed', 'cancelled'].includes(run.state)) {
      return;
    }
    const drained = async (): Promise<boolean> => !(await this.dispatchRepo.hasUnfinishedTasks(runId));
    if (!(await drained())) {
      return;
    }
    if (await this.lifecycle.drained(runId, drained)) {
      this.kick();
      return;
    }
    const state = (await this.runs.hasFailedTask(runId)) ? 'failed' : 'succeeded';
    if (!(await this.runs.setRunState(runId, state, Date.now()))) {
      return;
    }
    this.forgetRun(runId);
    await this.lifecycle.finished(runId, state);
    await this.publishRun(runId);
  }

  private forgetRun(runId: string): void {
    this.requests.delete(runId);
    this.startedRuns.delete(runId);
  }

  /** A task's end reaches the other replicas when its agent is not connected here (it may be there). */
  private publishEnd(row: TaskTable): void {
    this.events.task(toTask(row), !(row.agent_id && this.agents.get(row.agent_id)));
  }

  private async publishTask(taskId: string): Promise<void> {
    const row = await this.runs.findTask(taskId);
    if (row) {
      this.events.task(toTask(row));
    }
  }

  private async publishRun(runId: string): Promise<void> {
    const run = await this.runs.getRun(runId);
    if (run) {
      this.events.run(run);
    }
  }
}
