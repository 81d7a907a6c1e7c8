import { Counter, Histogram, type Registry } from 'prom-client';
import { GRPC_HANDLING_BUCKETS_SECONDS } from './latency-buckets.js';
import { GRPC_LABELS, METRIC } from './metric-names.js';

/** The go-grpc-prometheus families; `grpc_code` is the status name (OK, INVALID_ARGUMENT, ...). */
export function createGrpcServerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    started: new Counter({
      name: METRIC.grpcStarted,
      help: 'RPCs started on the server.',
      labelNames: GRPC_LABELS,
      registers,
    }),
    handled: new Counter({
      name: METRIC.grpcHandled,
      help: 'RPCs completed on the server, regardless of success or failure.',
      labelNames: [...GRPC_LABELS, 'grpc_code'],
      registers,
    }),
    handling: new Histogram({
      name: METRIC.grpcHandling,
      help: 'Time from the start of an RPC to its completion (a stream: its whole life).',
      labelNames: GRPC_LABELS,
      buckets: [...GRPC_HANDLING_BUCKETS_SECONDS],
      registers,
    }),
  };
}

export type GrpcServerMetrics = ReturnType<typeof createGrpcServerMetrics>;
