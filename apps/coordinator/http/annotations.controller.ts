import { Controller, Get, Query } from '@nestjs/common';
import { type Annotation, RegressionService } from '../suites/regression.service.js';

const DAY_MS = 24 * 3600 * 1000;

/** Regressions as Grafana annotations (JSON API / Infinity data source): GET /api/annotations?suite=&from=&to=. */
@Controller('api')
export class AnnotationsController {
  constructor(private readonly regressions: RegressionService) {}

  @Get('annotations')
  annotations(
    @Query('suite') suite = '',
    @Query('from') from?: string,
    @Query('to') to?: string,
  ): Promise<Annotation[]> {
    const now = Date.now();
    const toMs = Number.isFinite(Number(to)) && to ? Number(to) : now;
    const fromMs = Number.isFinite(Number(from)) && from ? Number(from) : toMs - 30 * DAY_MS;
    return this.regressions.annotations(suite.slice(0, 100), fromMs, toMs);
  }
}
