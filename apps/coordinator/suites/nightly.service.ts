import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { newId } from '#common';
import type { SuiteSpec } from '#suites';
import { type ChangePoint, nightlyDecisions } from '#verdicts';
import { RunLifecycle } from '../runs/run-lifecycle.service.js';
import { ArtifactRepository } from '../store/artifact.repository.js';
import { BaselineRepository } from '../store/baseline.repository.js';
import { RegressionRepository } from '../store/regression.repository.js';
import { ResultRepository } from '../store/result.repository.js';
import { RunRepository } from '../store/run.repository.js';
import {
  type NewSeriesPoint,
  type SeriesKey,
  SeriesRepository,
  seriesKeyString,
} from '../store/series.repository.js';
import { resultFingerprintKey } from './suite-fingerprint.js';
import { NIGHTLY_BASELINE, SuiteRunsService } from './suite-runs.service.js';

/** Points the change-point detector looks at (the newest ones). */
const WINDOW = 60;
/** Runs listed on each side of a change point. */
const RUNS_LISTED = 5;

/** Fidelity going down is the regression; for every other metric, going up is. */
const worse = (metric: string, change: number): boolean => (metric === 'fidelity' ? change < 0 : change > 0);

/**
 * After each nightly run: extend the suite's series (suite, model, variant, metric, fingerprint), look
 * for confirmed change points on every series it touched, record new ones as regressions, and accept the
 * run as the "nightly" baseline of each fingerprint that has no open regression.
 */
@Injectable()
export class NightlyService implements OnModuleInit {
  private readonly logger = new Logger(NightlyService.name);

  constructor(
    private readonly lifecycle: RunLifecycle,
    private readonly runs: RunRepository,
    private readonly results: ResultRepository,
    private readonly artifacts: ArtifactRepository,
    private readonly series: SeriesRepository,
    private readonly regressions: RegressionRepository,
    private readonly baselines: BaselineRepository,
    private readonly suiteRuns: SuiteRunsService,
  ) {}

  onModuleInit(): void {
    this.lifecycle.register({
      onFinished: async (runId, state) => {
        if (state !== 'cancelled') {
          await this.onFinished(runId);
        }
      },
    });
  }

  async onFinished(runId: string): Promise<void> {
    const row = await this.runs.findRunRow(runId);
    if (row?.kind !== 'nightly' || !row.suite || !row.suite_json) {
      return;
    }
    const spec = JSON.parse(row.suite_json) as SuiteSpec;
    const tasks = new Map((await this.runs.listTaskRows(runId)).map((t) => [t.id, t]));
    const points: NewSeriesPoint[] = [];
    const fingerprints = new Set<string>();
    for (const result of await this.results.listForRun(runId)) {
      const task = tasks.get(result.taskId);
      const m = result.measurement;
      if (!task || task.state !== 'succeeded' || result.attempt !== task.attempt || !m) {
        continue;
      }
      const fingerprint = resultFingerprintKey(result);
      fingerprints.add(fingerprint);
      const key = { suite: row.suite, model: task.model_name, variant: task.variant, fingerprint };
      const at = Number(row.created_at);
      const add = (metric: string, value: number | undefined): void => {
        if (value !== undefined && Number.isFinite(value)) {
          points.push({ ...key, metric, value, runId, taskId: task.id, at });
        }
      };
      add('latency', m.latency?.median);
      add('load_time', m.loadMs);
      add('first_run', m.firstRunMs);
      add('peak_memory', Number(m.peakRssBytes));
      add('size', (await this.artifacts.find(task.variant_sha256 ?? task.model_sha256))?.sizeBytes);
      if (m.fidelity && task.variant !== 'original') {
        add('fidelity', m.fidelity.cosine);
      }
    }
    await this.series.append(points);
    const touched = new Map(points.map((p) => [seriesKeyString(p), p as SeriesKey]));
    let found = 0;
    for (const key of touched.values()) {
      found += await this.detect(key, spec);
    }
    for (const fingerprint of fingerprints) {
      if ((await this.regressions.openNightlyCount(row.suite, fingerprint)) === 0) {
        const entries = (await this.suiteRuns.entriesOf(runId, row.suite, NIGHTLY_BASELINE)).filter(
          (e) => e.fingerprint === fingerprint,
        );
        await this.baselines.accept(entries, Date.now());
      }
    }
    this.logger.log(
      `nightly ${runId}: ${points.length} point(s) on ${touched.size} series, ${found} new regression(s)`,
    );
  }

  /**
   * Nightlies after a change were accepted before the change could be confirmed (it needs later points);
   * once it is, "nightly" goes back to the last run before it, so gates stop comparing with the regressed level.
   * Never forward: when two metrics change at different nights (a slower model is slower to load too, and
   * noise can put that split a night later), "nightly" stays before the earliest change. `forward`: a
   * regression moved later (detect), and `lastGood` is before the earliest change still open.
   */
  private async rollBackNightlyBaseline(
    key: SeriesKey,
    points: { runId: string }[],
    lastGood: number,
    forward = false,
  ): Promise<void> {
    const current = (await this.baselines.find(key.suite, NIGHTLY_BASELINE, key.fingerprint)).find(
      (e) => e.model === key.model,
    );
    const at = current ? points.findIndex((p) => p.runId === current.runId) : -1;
    if (at >= 0 && at < lastGood && !forward) {
      return;
    }
    const entries = (
      await this.suiteRuns.entriesOf(points[lastGood]!.runId, key.suite, NIGHTLY_BASELINE)
    ).filter((e) => e.fingerprint === key.fingerprint);
    await this.baselines.accept(entries, Date.now());
  }

  /**
   * Confirmed change points of one series that are new and for the worse become open regressions; a
   * report whose cut moved (nightlyDecisions) is moved with it, not reported again.
   */
  private async detect(key: SeriesKey, spec: SuiteSpec): Promise<number> {
    const points = await this.series.points(key, WINDOW);
    const values = points.map((p) => p.value);
    const reported = (await this.regressions.list({ suite: key.suite, limit: 1000 }))
      .filter(
        (r) =>
          r.source === 'nightly' &&
          r.model === key.model &&
          r.variant === key.variant &&
          r.metric === key.metric &&
          r.fingerprint === key.fingerprint,
      )
      .map((r) => ({ id: r.id, index: points.findIndex((p) => p.runId === r.run_id) }))
      .filter((r) => r.index >= 0);
    const { added, moved } = nightlyDecisions(
      values,
      reported.map((r) => r.index),
      {},
      { minRelativeChange: minChange(key.metric, spec) },
    );
    for (const { from, to } of moved) {
      if (worse(key.metric, to.relativeChange)) {
        await this.regressions.move(reported.find((r) => r.index === from)!.id, this.placed(key, points, to));
        // Its old place sent "nightly" back before it: now to before the earliest change still open.
        const lastGood = Math.min((await this.earliestOpenNightly(key, points)) ?? to.index, to.index) - 1;
        if (lastGood >= 0) {
          await this.rollBackNightlyBaseline(key, points, lastGood, true);
        }
      }
    }
    let count = 0;
    for (const cp of added) {
      if (!worse(key.metric, cp.relativeChange)) {
        continue;
      }
      const inserted = await this.regressions.insert(
        { id: newId('reg'), ...key, source: 'nightly', ...this.placed(key, points, cp) },
        Date.now(),
      );
      if (inserted && cp.index > 0) {
        await this.rollBackNightlyBaseline(key, points, cp.index - 1);
      }
      count += inserted ? 1 : 0;
    }
    return count;
  }

  /** The earliest open nightly regression of the model on this fingerprint, any metric, as an index of `points`. */
  private async earliestOpenNightly(
    key: SeriesKey,
    points: { runId: string }[],
  ): Promise<number | undefined> {
    const indices = (await this.regressions.list({ suite: key.suite, statuses: ['open'], limit: 1000 }))
      .filter((r) => r.source === 'nightly' && r.model === key.model && r.fingerprint === key.fingerprint)
      .map((r) => points.findIndex((p) => p.runId === r.run_id))
      .filter((i) => i >= 0);
    return indices.length > 0 ? Math.min(...indices) : undefined;
  }

  /** Where a change point of the series sits: its first run, its numbers and the runs around it. */
  private placed(key: SeriesKey, points: readonly { runId: string }[], cp: ChangePoint) {
    const first = points[cp.index]!;
    return {
      runId: first.runId,
      before: cp.before.median,
      after: cp.after.median,
      relativeChange: cp.relativeChange,
      pValue: cp.pValue,
      runsBefore: points
        .slice(Math.max(cp.before.start, cp.index - RUNS_LISTED), cp.index)
        .map((p) => p.runId),
      runsAfter: points.slice(cp.index, Math.min(cp.after.end, cp.index + RUNS_LISTED)).map((p) => p.runId),
      dedupeKey: ['nightly', seriesKeyString(key), first.runId].join('\u0000'),
    };
  }
}

/** The smallest change worth reporting on a series: the metric's practical threshold in the suite. */
function minChange(metric: string, spec: SuiteSpec): number {
  const p = spec.policies;
  switch (metric) {
    case 'latency':
      return p.latency.minEffect;
    case 'load_time':
      return p.loadTime.minEffect;
    case 'first_run':
      return p.firstRun.minEffect;
    case 'peak_memory':
      return p.peakMemory.maxIncrease;
    case 'size':
      return p.size.maxIncrease;
    default:
      return p.fidelity.maxCosineDrop;
  }
}
