import { LOOPBACK } from './testcontainers-env.js';
import { GenericContainer, Wait } from 'testcontainers';
import type { StartedService } from './started-container.types.js';

export interface AgentContainerOptions {
  image: string;
  name: string;
  labels: string[];
  /** docker --cpus: stands in for slower or faster hardware. */
  cpus: number;
  coordinator: string;
  metricsPort: number;
  threads: number;
}

/** An agent container with a CPU quota; `port` is its /metrics port. */
export async function startAgentContainer(options: AgentContainerOptions): Promise<StartedService> {
  const container = await new GenericContainer(options.image)
    .withNetworkMode('host')
    .withResourcesQuota({ cpu: options.cpus })
    .withCommand([
      '-c',
      options.coordinator,
      '--name',
      options.name,
      ...options.labels.flatMap((l) => ['--label', l]),
      '--threads',
      String(options.threads),
      '--ep',
      'cpu',
      '--metrics-host',
      LOOPBACK,
      '--metrics-port',
      String(options.metricsPort),
    ])
    .withWaitStrategy(Wait.forLogMessage(/execution providers:/))
    .withStartupTimeout(60_000)
    .start();
  return {
    host: LOOPBACK,
    port: options.metricsPort,
    stop: async () => {
      await container.stop({ timeout: 5_000 });
    },
  };
}
