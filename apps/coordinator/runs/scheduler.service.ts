import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Assignment, Target, TaskFailed, TaskProgress, TaskResult } from '#contracts';
import { SerialQueue, errorMessage } from '#common';
import { type ConnectedAgent, AgentRegistry } from '../agents/agent-registry.service.js';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config.js';
import { AgentRepository } from '../store/agent.repository.js';
import { ArtifactRepository } from '../store/artifact.repository.js';
import { ResultRepository } from '../store/result.repository.js';
import { type RunRequest, RunRepository, toTask } from '../store/run.repository.js';
import type { TaskTable } from '../store/database.types.js';
import { agentFitsTarget, canRun } from './agent-matcher.js';
import { RunEventsService } from './run-events.service.js';
import { RunLifecycle } from './run-lifecycle.service.js';

// A task whose lease expires this many times (agent died, network gone) fails instead of looping forever.
const MAX_ATTEMPTS = 3;

/**
 * Hands queued tasks to idle connected agents, keeps leases alive from heartbeats, re-queues tasks whose
 * lease expired, and turns agent reports into task and run state. All state lives in the store.
 */
@Injectable()
export class SchedulerService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SchedulerService.name);
  private readonly dispatchQueue = new SerialQueue();
  private readonly targets = new Map<string, Target>();
  /** An agent's absence is counted from here at the earliest: a coordinator that was down lost no agent. */
  private readonly startedAt = Date.now();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly runs: RunRepository,
    private readonly results: ResultRepository,
    private readonly artifacts: ArtifactRepository,
    private readonly agents: AgentRegistry,
    private readonly events: RunEventsService,
    private readonly lifecycle: RunLifecycle,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly agentRecords: AgentRepository,
  ) {}

  onModuleInit(): void {
    // Lease checks also make progress after a restart: tasks leased by the previous process expire and return.
    this.timer = setInterval(() => this.tick(), Math.min(1000, this.config.leaseMs / 4));
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  kick(): void {
    void this.dispatchQueue
      .run(() => this.dispatch())
      .catch((e: unknown) => this.logger.error(`dispatch failed: ${errorMessage(e)}`));
  }

  private tick(): void {
    void this.dispatchQueue
      .run(async () => {
        await this.expireLeases();
        await this.failTasksOfLostAgents();
        await this.dispatch();
      })
      .catch((e: unknown) => this.logger.error(`scheduler tick failed: ${errorMessage(e)}`));
  }

  private async dispatch(): Promise<void> {
    for (const agent of this.agents.idle()) {
      const candidates = await this.runs.nextQueuedTaskFor(agent.id);
      for (const task of candidates) {
        if (task.agent_id === null && !(await this.canTake(agent, task))) {
          continue;
        }
        if (await this.assign(agent, task)) {
          break;
        }
      }
    }
  }

  private async canTake(agent: ConnectedAgent, task: TaskTable): Promise<boolean> {
    const target = await this.targetOf(task.run_id);
    return agentFitsTarget(agent, target) && canRun(agent, task.ep, task.runtime);
  }

  private async targetOf(runId: string): Promise<Target> {
    let target = this.targets.get(runId);
    if (!target) {
      const row = await this.runs.findRunRow(runId);
      target = row
        ? (JSON.parse(row.request_json) as RunRequest).target
        : { labels: [], executionProviders: [], agents: [], anyOneAgent: true, runtimes: [] };
      this.targets.set(runId, target);
    }
    return target;
  }

  private async assign(agent: ConnectedAgent, task: TaskTable): Promise<boolean> {
    const now = Date.now();
    if (!(await this.runs.leaseTask(task.id, agent.id, now + this.config.leaseMs))) {
      return false;
    }
    const run = await this.runs.findRunRow(task.run_id);
    const request = JSON.parse(run!.request_json) as RunRequest;
    const artifact = await this.artifacts.find(task.variant_sha256 ?? task.model_sha256);
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
    agent.send({ assignment });
    if (run!.state === 'queued') {
      await this.runs.setRunState(task.run_id, 'running', now);
      await this.publishRun(task.run_id);
    }
    await this.publishTask(task.id);
    this.logger.log(`task ${task.id} (attempt ${task.attempt}) -> agent ${agent.name}`);
    return true;
  }

  private async expireLeases(): Promise<void> {
    for (const task of await this.runs.expiredLeases(Date.now())) {
      const holder = task.agent_id ? this.agents.get(task.agent_id) : undefined;
      if (holder?.runningTaskId === task.id) {
        holder.runningTaskId = undefined;
      }
      if (task.attempt >= MAX_ATTEMPTS) {
        await this.finish(task, 'failed', `lease expired ${task.attempt} times (agent lost); giving up`);
        continue;
      }
      const run = await this.targetOf(task.run_id);
      if (await this.runs.requeueTask(task.id, task.attempt, run.anyOneAgent)) {
        this.logger.warn(`task ${task.id}: lease of attempt ${task.attempt} expired, re-queued`);
        await this.publishTask(task.id);
      }
    }
  }

  /**
   * A task bound to one agent cannot move to another (its result would answer a different question), so
   * when that agent stays away longer than agentLostMs the task fails with the reason instead of keeping
   * its run open forever. Absence counts from the agent's last message, or from this coordinator's start.
   */
  private async failTasksOfLostAgents(): Promise<void> {
    const now = Date.now();
    const absent = new Map<string, { name: string; since: number } | undefined>();
    for (const task of await this.runs.queuedBoundTasks()) {
      const agentId = task.agent_id!;
      if (this.agents.get(agentId)) {
        continue;
      }
      if (!absent.has(agentId)) {
        const seen = await this.agentRecords.lastSeen(agentId);
        absent.set(agentId, {
          name: seen?.name ?? agentId,
          since: Math.max(seen?.lastSeenAt ?? 0, this.startedAt),
        });
      }
      const { name, since } = absent.get(agentId)!;
      if (now - since < this.config.agentLostMs) {
        continue;
      }
      const lostS = Math.round((now - since) / 1000);
      this.logger.warn(`task ${task.id}: bound agent ${name} lost for ${lostS} s; failing it`);
      await this.finish(
        task,
        'failed',
        `agent ${name} lost for ${lostS} s (limit ${Math.round(this.config.agentLostMs / 1000)} s); ` +
          'this task must run on that agent',
      );
    }
  }

  async onStarted(agent: ConnectedAgent, taskId: string, attempt: number): Promise<void> {
    const now = Date.now();
    await this.runs.markTaskRunning(taskId, attempt, now, now + this.config.leaseMs);
    await this.publishTask(taskId);
  }

  async onHeartbeat(agent: ConnectedAgent, runningTaskIds: string[]): Promise<void> {
    await this.runs.renewLeases(agent.id, runningTaskIds, Date.now() + this.config.leaseMs);
  }

  async onProgress(progress: TaskProgress): Promise<void> {
    const task = await this.runs.findTask(progress.taskId);
    if (task) {
      this.events.progress(task.run_id, progress);
    }
  }

  /** Idempotent per (task, attempt): a re-sent result is acknowledged again but stored once. */
  async onResult(agent: ConnectedAgent, result: TaskResult): Promise<void> {
    const task = await this.runs.findTask(result.taskId);
    this.release(agent, result.taskId);
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
    const model = (await this.artifacts.find(task.variant_sha256 ?? task.model_sha256))?.facts;
    const complete: TaskResult = { ...result, agentId: agent.id, model };
    if (await this.results.store(complete, Date.now())) {
      this.events.result(task.run_id, complete);
    } else {
      this.logger.log(
        `result of task ${task.id} attempt ${result.attempt} already stored; acknowledged again`,
      );
    }
    if (result.attempt !== task.attempt && task.agent_id && task.agent_id !== agent.id) {
      // An older attempt came back after all: the newer one elsewhere would only measure the same again.
      const holder = this.agents.get(task.agent_id);
      if (holder?.runningTaskId === task.id) {
        holder.send({ cancellation: { taskId: task.id, reason: 'an earlier attempt already finished' } });
        holder.runningTaskId = undefined;
      }
    }
    await this.finish(task, 'succeeded', null);
  }

  async onFailed(agent: ConnectedAgent, failure: TaskFailed): Promise<void> {
    const task = await this.runs.findTask(failure.taskId);
    this.release(agent, failure.taskId);
    if (!task || task.attempt !== failure.attempt) {
      return;
    }
    await this.finish(task, 'failed', `${failure.code}: ${failure.message}`);
  }

  /** The agent's stream ended: its leases keep running until they expire, so a quick reconnect loses nothing. */
  onDisconnected(): void {
    this.kick();
  }

  async cancelRun(runId: string): Promise<void> {
    const cancelled = await this.dispatchQueue.run(async () => {
      for (const task of await this.runs.activeTasksOfRun(runId)) {
        const holder = task.agent_id ? this.agents.get(task.agent_id) : undefined;
        if (holder && holder.runningTaskId === task.id) {
          holder.send({ cancellation: { taskId: task.id, reason: 'run cancelled' } });
          holder.runningTaskId = undefined;
        }
        await this.runs.finishTask(task.id, 'cancelled', Date.now(), 'run cancelled');
        await this.publishTask(task.id);
      }
      return this.runs.setRunState(runId, 'cancelled', Date.now());
    });
    if (cancelled) {
      await this.lifecycle.finished(runId, 'cancelled');
    }
    await this.publishRun(runId);
    this.kick();
  }

  private release(agent: ConnectedAgent, taskId: string): void {
    if (agent.runningTaskId === taskId) {
      agent.runningTaskId = undefined;
    }
    this.kick();
  }

  private async finish(task: TaskTable, state: 'succeeded' | 'failed', error: string | null): Promise<void> {
    if (await this.runs.finishTask(task.id, state, Date.now(), error)) {
      await this.publishTask(task.id);
    }
    const drained = async (): Promise<boolean> =>
      (await this.runs.activeTasksOfRun(task.run_id)).length === 0;
    if (await drained()) {
      if (await this.lifecycle.drained(task.run_id, drained)) {
        this.kick();
        return;
      }
      const tasks = await this.runs.listTaskRows(task.run_id);
      const state = tasks.some((t) => t.state === 'failed') ? 'failed' : 'succeeded';
      if (!(await this.runs.setRunState(task.run_id, state, Date.now()))) {
        return;
      }
      this.targets.delete(task.run_id);
      await this.lifecycle.finished(task.run_id, state);
      await this.publishRun(task.run_id);
    }
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
