import { Controller, Get, Header, Inject } from '@nestjs/common';
import { type Registry } from 'prom-client';
import { renderExposition } from '#metrics';
import { METRICS_REGISTRY } from './coordinator-metrics.tokens.js';

// Prometheus text format 0.0.4: what prom-client's Registry writes and every scraper reads.
const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

@Controller()
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get('metrics')
  @Header('Content-Type', PROMETHEUS_TEXT)
  metrics(): Promise<string> {
    return renderExposition(this.registry);
  }
}
