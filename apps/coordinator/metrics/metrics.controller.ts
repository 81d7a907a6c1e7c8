import { Controller, Get, Inject, Res } from '@nestjs/common';
import { type Registry } from 'prom-client';
import { writeExposition } from '#metrics';
import { METRICS_REGISTRY } from './coordinator-metrics.tokens.js';

// Prometheus text format 0.0.4: what prom-client's Registry writes and every scraper reads.
const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** The part of Express's response this controller uses. */
interface StreamedReply {
  status(code: number): StreamedReply;
  setHeader(name: string, value: string): void;
  write(chunk: string): boolean;
  end(): void;
  destroy(error?: Error): void;
}

@Controller()
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  /**
   * Sent a family at a time as it is read (chunked), so no one turn of the event loop encodes the whole
   * text: at a thousand agents it is several megabytes.
   */
  @Get('metrics')
  async metrics(@Res() reply: StreamedReply): Promise<void> {
    reply.status(200).setHeader('Content-Type', PROMETHEUS_TEXT);
    try {
      await writeExposition(this.registry, (text) => reply.write(text));
      reply.end();
    } catch (error) {
      // Part of the text may be out already: cut the response, so the scrape fails instead of half-succeeding.
      reply.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
