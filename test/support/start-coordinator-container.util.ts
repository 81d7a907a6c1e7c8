import { LOOPBACK } from './testcontainers-env.js';
import { GenericContainer, Wait } from 'testcontainers';
import type { StartedService } from './started-container.types.js';

export interface CoordinatorContainerOptions {
  image: string;
  grpcPort: number;
  httpPort: number;
}

/** The coordinator image on the host network; `port` is its HTTP port (/metrics), `grpcPort` its gRPC one. */
export async function startCoordinatorContainer(
  options: CoordinatorContainerOptions,
): Promise<StartedService & { grpcPort: number }> {
  const container = await new GenericContainer(options.image)
    .withNetworkMode('host')
    .withCommand([
      '--grpc',
      `${LOOPBACK}:${options.grpcPort}`,
      '--http',
      `${LOOPBACK}:${options.httpPort}`,
      '--data-dir',
      '/data',
    ])
    .withWaitStrategy(Wait.forLogMessage(/coordinator: gRPC/))
    .withStartupTimeout(60_000)
    .start();
  return {
    host: LOOPBACK,
    port: options.httpPort,
    grpcPort: options.grpcPort,
    stop: async () => {
      await container.stop({ timeout: 5_000 });
    },
  };
}
