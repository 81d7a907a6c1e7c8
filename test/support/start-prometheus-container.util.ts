import { readFile } from 'node:fs/promises';
import { LOOPBACK } from './testcontainers-env.js';
import { GenericContainer, Wait } from 'testcontainers';
import { stringify } from 'yaml';
import type { StartedService } from './started-container.types.js';

export interface ScrapeJob {
  job: string;
  targets: string[];
}

export interface PrometheusContainerOptions {
  image: string;
  port: number;
  jobs: ScrapeJob[];
  /** Alert rules loaded as in production (deploy/prometheus/mlfarm.rules.yml). */
  rulesFile: string;
  scrapeIntervalSeconds: number;
}

/** Prometheus on the host network scraping loopback targets every few seconds. */
export async function startPrometheusContainer(options: PrometheusContainerOptions): Promise<StartedService> {
  const interval = `${options.scrapeIntervalSeconds}s`;
  const config = stringify({
    global: { scrape_interval: interval, evaluation_interval: interval },
    rule_files: ['mlfarm.rules.yml'],
    scrape_configs: options.jobs.map((j) => ({ job_name: j.job, static_configs: [{ targets: j.targets }] })),
  });
  const container = await new GenericContainer(options.image)
    .withNetworkMode('host')
    .withCopyContentToContainer([
      { content: config, target: '/etc/prometheus/prometheus.yml' },
      { content: await readFile(options.rulesFile, 'utf8'), target: '/etc/prometheus/mlfarm.rules.yml' },
    ])
    .withCommand([
      '--config.file=/etc/prometheus/prometheus.yml',
      '--storage.tsdb.path=/prometheus',
      `--web.listen-address=${LOOPBACK}:${options.port}`,
    ])
    .withWaitStrategy(Wait.forLogMessage(/Server is ready to receive web requests/))
    .withStartupTimeout(60_000)
    .start();
  return {
    host: LOOPBACK,
    port: options.port,
    stop: async () => {
      await container.stop({ timeout: 5_000 });
    },
  };
}
