/**
 * Inference latencies span four decades: a tiny classifier on a GPU (~0.5 ms) to a big model on a
 * throttled CPU (seconds). Roughly 1-2-5 steps keep histogram_quantile within ~25 % anywhere in that range
 * with 21 buckets (+Inf), which is cheap enough for one series per model x variant x agent x ep x runtime.
 */
export const INFERENCE_LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5,
  1, 2, 5, 10,
];

/** gRPC calls here are either quick unary calls or streams that live for minutes (Connect, WatchRun). */
export const GRPC_HANDLING_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600, 3600,
];

export function msToSeconds(ms: number): number {
  return ms / 1000;
}
