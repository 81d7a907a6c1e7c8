import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { type TaskResult, type Verdict, MetricVerdict, VerdictOutcome } from '#contracts';
import { DomainError, DomainErrorCode, newId } from '#common';
import type { SuiteSpec } from '#suites';
import { seriesNoise } from '#verdicts';
import { RunEventsService } from '../runs/run-events.service.js';
import { RunLifecycle } from '../runs/run-lifecycle.service.js';
import { AgentRepository } from '../store/agent.repository.js';
import { ArtifactRepository } from '../store/artifact.repository.js';
import type { TaskTable } from '../store/database.types.js';
import { RegressionRepository } from '../store/regression.repository.js';
import { ResultRepository } from '../store/result.repository.js';
import { RunRepository } from '../store/run.repository.js';
import { SeriesRepository } from '../store/series.repository.js';
import { VerdictRepository } from '../store/verdict.repository.js';
import { evaluateGate, mutedKey } from './gate-evaluator.js';
import type { GateContext } from './gate.types.js';
import { type GateCell, roundTasks, taskCellKey } from './gate-plan.js';
import { resultFingerprintKey } from './suite-fingerprint.js';

/** Nightly points used for a series' historical noise, and the fewest that count as a history. */
const NOISE_HISTORY = 20;
const MIN_HISTORY = 5;

/**
 * Decides gates: each time a gate run has no task left, its verdict is computed; undecided gating
 * metrics get more interleaved rounds (up to the suite's cap), otherwise the verdict is final, stored,
 * announced on WatchRun before the run's final state, and regressions are recorded.
 */
@Injectable()
export class GateService implements OnModuleInit {
  private readonly logger = new Logger(GateService.name);

  constructor(
    private readonly lifecycle: RunLifecycle,
    private readonly runs: RunRepository,
    private readonly results: ResultRepository,
    private readonly artifacts: ArtifactRepository,
    private readonly agents: AgentRepository,
    private readonly series: SeriesRepository,
    private readonly regressions: RegressionRepository,
    private readonly verdicts: VerdictRepository,
    private readonly events: RunEventsService,
  ) {}

  onModuleInit(): void {
    this.lifecycle.register({
      onDrained: (runId) => this.onDrained(runId),
      onFinished: async (runId, state) => {
        if (state === 'cancelled') {
          await this.onCancelled(runId);
        }
      },
    });
  }

  async get(runId: string): Promise<Verdict> {
    const row = await this.runs.findRunRow(runId);
    if (!row) {
      throw new DomainError(DomainErrorCode.NOT_FOUND, `run '${runId.slice(0, 80)}' not found`);
    }
    if (row.kind !== 'gate') {
      throw new DomainError(
        DomainErrorCode.FAILED_PRECONDITION,
        `run ${runId} is not a gate (it is ${row.kind}); only gates have verdicts`,
      );
    }
    const verdict = await this.verdicts.find(runId);
    if (!verdict) {
      throw new DomainError(DomainErrorCode.NOT_FOUND, `run ${runId} has no verdict yet`);
    }
    return verdict;
  }

  private async onDrained(runId: string): Promise<boolean> {
    const row = await this.runs.findRunRow(runId);
    if (row?.kind !== 'gate' || !row.suite_json || row.state === 'cancelled') {
      return false;
    }
    const spec = JSON.parse(row.suite_json) as SuiteSpec;
    const tasks = await this.runs.listTaskRows(runId);
    const results = await this.latestResults(runId, tasks);
    const ctx = await this.context(row.id, spec, row.baseline ?? '', tasks, results);
    const { verdict, roundsToAdd } = evaluateGate(tasks, results, ctx);
    if (roundsToAdd.size > 0) {
      const added = this.moreRounds(tasks, roundsToAdd);
      await this.runs.appendTasks(runId, added, Date.now());
      verdict.summary = `PENDING after ${verdict.rounds} round(s): ${added.length / 2} more base/head pair(s) queued`;
      await this.publish(verdict);
      this.logger.log(
        `gate ${runId}: undecided after ${verdict.rounds} round(s); ${added.length} task(s) added`,
      );
      return true;
    }
    await this.publish(verdict);
    await this.recordRegressions(verdict);
    this.logger.log(`gate ${runId}: ${verdict.summary}`);
    return false;
  }

  private async onCancelled(runId: string): Promise<void> {
    const verdict = await this.verdicts.find(runId);
    if (verdict?.outcome === VerdictOutcome.VERDICT_OUTCOME_PENDING) {
      await this.publish({
        ...verdict,
        outcome: VerdictOutcome.VERDICT_OUTCOME_ERROR,
        decidedAtMs: String(Date.now()),
        errors: [...verdict.errors, 'run cancelled before a verdict'],
        summary: 'ERROR: run cancelled before a verdict',
      });
    }
  }

  private async publish(verdict: Verdict): Promise<void> {
    await this.verdicts.save(verdict, Date.now());
    this.events.verdict(verdict.runId, verdict);
  }

  /** A retried task has several attempts; only the result of its final attempt counts. */
  private async latestResults(runId: string, tasks: TaskTable[]): Promise<Map<string, TaskResult>> {
    const attempts = new Map(tasks.map((t) => [t.id, t.attempt]));
    const results = new Map<string, TaskResult>();
    for (const r of await this.results.listForRun(runId)) {
      if (r.attempt === attempts.get(r.taskId)) {
        results.set(r.taskId, r);
      }
    }
    return results;
  }

  private async context(
    runId: string,
    spec: SuiteSpec,
    baseline: string,
    tasks: TaskTable[],
    results: Map<string, TaskResult>,
  ): Promise<GateContext> {
    const agentNames = new Map((await this.agents.list()).map((a) => [a.id, a.name]));
    const fingerprints = new Map<string, string>();
    for (const t of tasks) {
      const r = results.get(t.id);
      if (r && t.agent_id && !fingerprints.has(t.agent_id)) {
        fingerprints.set(t.agent_id, resultFingerprintKey(r));
      }
    }
    const sizes = new Map<string, number>();
    for (const sha of new Set(tasks.map((t) => t.variant_sha256 ?? t.model_sha256))) {
      sizes.set(sha, (await this.artifacts.find(sha))?.sizeBytes ?? 0);
    }
    const historicalNoise = new Map<string, number>();
    const muted = new Set<string>();
    const seen = new Set<string>();
    for (const t of tasks) {
      const fingerprint = fingerprints.get(t.agent_id ?? '');
      const key = taskCellKey(t);
      if (!fingerprint || seen.has(key)) {
        continue;
      }
      seen.add(key);
      for (const metric of ['latency', 'load_time', 'first_run', 'peak_memory', 'size', 'fidelity']) {
        const seriesKey = { suite: spec.suite, model: t.model_name, variant: t.variant, metric, fingerprint };
        if (['latency', 'load_time', 'first_run'].includes(metric)) {
          const points = await this.series.points(seriesKey, NOISE_HISTORY);
          if (points.length >= MIN_HISTORY) {
            historicalNoise.set(`${key}\u0000${metric}`, seriesNoise(points.map((p) => p.value)));
          }
        }
        if (await this.regressions.isMuted(seriesKey)) {
          muted.add(mutedKey(t.model_name, t.variant, metric, fingerprint));
        }
      }
    }
    return {
      runId,
      suite: spec.suite,
      baseline,
      policies: spec.policies,
      gate: spec.gate,
      agentNames,
      fingerprints,
      sizes,
      historicalNoise,
      muted,
      now: Date.now(),
    };
  }

  /** The next rounds of the cells still undecided, numbered after the last round of each. */
  private moreRounds(tasks: TaskTable[], roundsToAdd: Map<string, number>): ReturnType<typeof roundTasks> {
    const cells = new Map<string, { cell: GateCell; last: number }>();
    for (const t of tasks) {
      const key = taskCellKey(t);
      if (!roundsToAdd.has(key)) {
        continue;
      }
      const entry = cells.get(key) ?? {
        cell: {
          model: t.model_name,
          variant: t.variant,
          agentId: t.agent_id ?? '',
          ep: t.ep,
          runtime: t.runtime,
          base: { modelSha256: '', variantSha256: null },
          head: { modelSha256: '', variantSha256: null },
        },
        last: 0,
      };
      if (t.side === 'base' || t.side === 'head') {
        entry.cell[t.side] = { modelSha256: t.model_sha256, variantSha256: t.variant_sha256 };
      }
      entry.last = Math.max(entry.last, t.round ?? 0);
      cells.set(key, entry);
    }
    return [...cells].flatMap(([key, { cell, last }]) =>
      roundTasks([cell], last + 1, last + roundsToAdd.get(key)!),
    );
  }

  private async recordRegressions(verdict: Verdict): Promise<void> {
    for (const c of verdict.comparisons) {
      if (c.verdict !== MetricVerdict.METRIC_VERDICT_REGRESSED || !c.gating) {
        continue;
      }
      await this.regressions.insert(
        {
          id: newId('reg'),
          suite: verdict.suite,
          model: c.model,
          variant: c.variant,
          metric: c.metric,
          fingerprint: c.fingerprint,
          source: 'gate',
          runId: verdict.runId,
          before: c.base,
          after: c.head,
          relativeChange: c.relativeChange,
          pValue: c.pValue,
          runsBefore: [],
          runsAfter: [verdict.runId],
          dedupeKey: ['gate', verdict.runId, c.model, c.variant, c.agentId, c.metric].join('\u0000'),
        },
        Date.now(),
      );
    }
  }
}
