import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Assignment, GrpcClient } from '#contracts';
import { BenchError, type RunnerTask, captureReferenceOutputs, runInChildProcess } from '#bench';
import { errorMessage } from '#common';
import { ModelCacheService } from '../cache/model-cache.service.js';
import { AGENT_CONFIG, type AgentConfig } from '../config/agent.config.js';
import { CoordinatorLinkService } from '../link/coordinator-link.service.js';
import { AgentMetricsService } from '../metrics/agent-metrics.service.js';
import { GRPC_CLIENT } from '../link/grpc-client.token.js';
import { FingerprintService } from '../probe/fingerprint.service.js';
import { describeAssignment, toBenchScenario, toMeasurement } from './measurement.mapper.js';

const FETCH_ATTEMPTS = 6;
const FETCH_RETRY_MS = 250;
// UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, RESOURCE_EXHAUSTED: the link, not the artifact, is the problem.
const TRANSIENT_GRPC_CODES = new Set([14, 4, 10, 8]);

interface Running {
  assignment: Assignment;
  abort: AbortController;
}

/**
 * Runs assignments one at a time, each in a fresh runner child process: a native crash, an out-of-memory
 * kill or a hang fails that task with its reason, and the agent goes on with the next one.
 */
@Injectable()
export class TaskExecutorService {
  private readonly logger = new Logger(TaskExecutorService.name);
  private readonly queue: Assignment[] = [];
  private running?: Running;
  private agentId = '';

  constructor(
    @Inject(AGENT_CONFIG) private readonly config: AgentConfig,
    @Inject(GRPC_CLIENT) private readonly client: GrpcClient,
    private readonly cache: ModelCacheService,
    private readonly link: CoordinatorLinkService,
    private readonly fingerprint: FingerprintService,
    private readonly metrics: AgentMetricsService,
  ) {}

  setAgentId(agentId: string): void {
    this.agentId = agentId;
  }

  runningTaskIds(): string[] {
    return [...(this.running ? [this.running.assignment.taskId] : []), ...this.queue.map((a) => a.taskId)];
  }

  enqueue(assignment: Assignment): void {
    if (this.runningTaskIds().includes(assignment.taskId)) {
      return; // the coordinator re-sent what we already hold
    }
    this.queue.push(assignment);
    void this.drain();
  }

  cancel(taskId: string): void {
    const queued = this.queue.findIndex((a) => a.taskId === taskId);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
    }
    if (this.running?.assignment.taskId === taskId) {
      this.logger.log(`cancelling task ${taskId}`);
      this.running.abort.abort();
    }
  }

  cancelAll(): void {
    this.queue.length = 0;
    this.running?.abort.abort();
  }

  private async drain(): Promise<void> {
    if (this.running) {
      return;
    }
    const next = this.queue.shift();
    if (!next) {
      return;
    }
    this.running = { assignment: next, abort: new AbortController() };
    try {
      await this.execute(this.running);
    } catch (error) {
      // Never let one task take the agent down: anything unexpected becomes that task's failure.
      this.fail(next, 'AGENT_ERROR', errorMessage(error));
    } finally {
      this.running = undefined;
      void this.drain();
    }
  }

  private async execute({ assignment, abort }: Running): Promise<void> {
    this.logger.log(`task ${describeAssignment(assignment)}`);
    this.link.send({ started: { taskId: assignment.taskId, attempt: assignment.attempt } });
    const scenario = assignment.scenario;
    if (!scenario) {
      this.fail(assignment, 'INVALID_INPUT', 'assignment without scenario');
      return;
    }
    let modelPath: string;
    let referencePath: string | undefined;
    const inputFiles: Record<string, string> = {};
    try {
      modelPath = await this.fetch(assignment.modelSha256);
      for (const file of scenario.inputFiles) {
        inputFiles[file.input] = await this.fetch(file.artifactSha256);
      }
      if (assignment.reference) {
        referencePath = await this.fetch(assignment.reference.modelSha256);
      }
    } catch (error) {
      this.fail(assignment, 'FETCH_FAILED', errorMessage(error));
      return;
    }
    if (abort.signal.aborted) {
      return;
    }
    const benchScenario = toBenchScenario(scenario, this.config, inputFiles);
    const task: RunnerTask = {
      modelPath,
      ep: assignment.ep,
      scenario: benchScenario,
      runtime: assignment.runtime || undefined,
    };
    const scratch = await mkdtemp(join(tmpdir(), 'mlfarm-task-'));
    try {
      if (referencePath && assignment.reference) {
        // The reference runs in its own child first, on the same EP and the same inputs, so the measured
        // child's memory and timings never include it.
        const outputsPath = join(scratch, 'reference-outputs.bin');
        await captureReferenceOutputs(
          {
            modelPath: referencePath,
            ep: assignment.ep,
            scenario: benchScenario,
            runtime: assignment.reference.runtime || undefined,
          },
          outputsPath,
          { memoryLimitBytes: this.memoryLimit() },
        );
        task.reference = { outputsPath };
      }
      const result = await runInChildProcess(task, {
        signal: abort.signal,
        timeoutMs: scenario.timeoutMs || undefined,
        memoryLimitBytes: this.memoryLimit(),
        onProgress: (p) => {
          this.metrics.progress(assignment, this.config.name || this.agentId, p);
          this.link.send({
            progress: {
              taskId: assignment.taskId,
              phase: p.phase,
              done: p.done,
              total: p.total,
              lastMs: p.lastMs ?? 0,
              samplesMs: p.samplesMs ?? [],
              firstIndex: p.firstIndex ?? 0,
            },
          });
        },
      });
      this.link.sendReliably(key(assignment), {
        result: {
          taskId: assignment.taskId,
          attempt: assignment.attempt,
          agentId: this.agentId,
          fingerprint: this.fingerprint.collect(
            benchScenario.intraOpThreads ?? 0,
            benchScenario.interOpThreads ?? 0,
            result.ortVersion,
          ),
          measurement: toMeasurement(result, assignment.reference?.label),
        },
      });
      this.metrics.finished('succeeded');
      this.logger.log(`task ${assignment.taskId} done: median ${result.latency.median.toFixed(2)} ms`);
    } catch (error) {
      if (error instanceof BenchError && error.code === 'CANCELLED') {
        return; // the coordinator already marked it cancelled
      }
      const code = error instanceof BenchError ? error.code : 'AGENT_ERROR';
      this.fail(assignment, code, errorMessage(error));
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  private memoryLimit(): number | undefined {
    return this.config.taskMemoryBytes > 0 ? this.config.taskMemoryBytes : undefined;
  }

  /**
   * A cut stream (UNAVAILABLE while the link reconnects) must not fail the task: the download is retried
   * with back-off; anything else (a bad sha256, NOT_FOUND, a corrupt transfer) fails at once.
   */
  private async fetch(sha256: string): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.cache.get(sha256, () => this.client.gateway.fetchModel({ sha256 }));
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (attempt >= FETCH_ATTEMPTS || typeof code !== 'number' || !TRANSIENT_GRPC_CODES.has(code)) {
          throw error;
        }
        const delay = FETCH_RETRY_MS * 2 ** (attempt - 1);
        this.logger.warn(
          `fetching ${sha256.slice(0, 12)} failed (${errorMessage(error)}); retry in ${delay} ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private fail(assignment: Assignment, code: string, message: string): void {
    this.logger.warn(`task ${assignment.taskId} failed: ${code}: ${message}`);
    this.metrics.finished('failed');
    this.link.sendReliably(key(assignment), {
      failed: { taskId: assignment.taskId, attempt: assignment.attempt, code, message },
    });
  }
}

function key(assignment: Assignment): string {
  return `${assignment.taskId}#${assignment.attempt}`;
}
