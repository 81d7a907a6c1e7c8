import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Gauge, type Registry } from 'prom-client';
import { type Regression, RegressionAction, type UpdateRegressionRequest } from '#contracts';
import { DomainError, DomainErrorCode } from '#common';
import { METRIC } from '#metrics';
import { METRICS_REGISTRY } from '../metrics/coordinator-metrics.tokens.js';
import {
  type RegressionStatusName,
  RegressionRepository,
  toRegression,
} from '../store/regression.repository.js';

/** One Grafana annotation (JSON API / Infinity data source shape). */
export interface Annotation {
  time: number;
  title: string;
  text: string;
  tags: string[];
}

const ACTIONS: Partial<Record<RegressionAction, RegressionStatusName>> = {
  [RegressionAction.REGRESSION_ACTION_ACKNOWLEDGE]: 'acknowledged',
  [RegressionAction.REGRESSION_ACTION_MUTE]: 'muted',
  [RegressionAction.REGRESSION_ACTION_UNMUTE]: 'open',
};

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;

/** Lists and triages regressions; exports them as the mlfarm_regression gauge and Grafana annotations. */
@Injectable()
export class RegressionService implements OnModuleInit {
  constructor(
    private readonly regressions: RegressionRepository,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {}

  onModuleInit(): void {
    const repository = this.regressions;
    // Read from the store at scrape time: survives restarts and never drifts from what ListRegressions says.
    new Gauge({
      name: METRIC.regression,
      help: 'Open regressions (1 each): a gate verdict or a confirmed nightly change point for the worse',
      labelNames: ['suite', 'model', 'variant', 'metric', 'fingerprint', 'source'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const r of await repository.list({ statuses: ['open'], limit: 10_000 })) {
          this.set(
            {
              suite: r.suite,
              model: r.model,
              variant: r.variant,
              metric: r.metric,
              fingerprint: r.fingerprint,
              source: r.source,
            },
            1,
          );
        }
      },
    });
  }

  async list(suite: string, includeClosed: boolean, limit: number): Promise<Regression[]> {
    const rows = await this.regressions.list({
      suite,
      statuses: includeClosed ? undefined : ['open'],
      limit: Math.min(limit || 100, 1000),
    });
    return rows.map(toRegression);
  }

  async update(request: UpdateRegressionRequest): Promise<Regression> {
    const status = ACTIONS[request.action];
    if (!status) {
      throw new DomainError(DomainErrorCode.INVALID_REQUEST, 'action must be ACKNOWLEDGE, MUTE or UNMUTE');
    }
    if (request.note.length > 2000) {
      throw new DomainError(DomainErrorCode.INVALID_REQUEST, 'note is longer than 2000 characters');
    }
    const row = await this.regressions.find(request.regressionId);
    if (!row) {
      throw new DomainError(
        DomainErrorCode.NOT_FOUND,
        `regression '${request.regressionId.slice(0, 80)}' not found`,
      );
    }
    await this.regressions.setStatus(row.id, status, request.note || row.note);
    return toRegression((await this.regressions.find(row.id))!);
  }

  async annotations(suite: string, fromMs: number, toMs: number): Promise<Annotation[]> {
    const rows = await this.regressions.list({ suite, limit: 1000 });
    return rows
      .filter((r) => r.detected_at >= fromMs && r.detected_at <= toMs)
      .map((r) => ({
        time: r.detected_at,
        title: `${r.suite}: ${r.model} [${r.variant}] ${r.metric} ${pct(r.relative_change)}`,
        text: `${r.source} regression on fingerprint ${r.fingerprint}, run ${r.run_id} (${r.status}${r.note ? `: ${r.note}` : ''})`,
        tags: [r.suite, r.model, r.variant, r.metric, r.fingerprint, r.source, r.status],
      }));
  }
}
