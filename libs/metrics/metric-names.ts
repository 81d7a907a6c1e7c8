/**
 * Every metric family the farm exports, in one place: the apps register them, the dashboards and the
 * alert rules query them, so a rename breaks the build instead of an empty panel.
 * Prometheus naming: base units (`_seconds`, `_bytes`), counters end in `_total`.
 */
export const METRIC = {
  // Measurements (coordinator): one series per model x variant x agent x ep x runtime.
  inferenceLatency: 'mlfarm_inference_latency_seconds',
  resultLatency: 'mlfarm_result_latency_seconds',
  modelLoad: 'mlfarm_model_load_seconds',
  firstRun: 'mlfarm_first_run_seconds',
  peakMemory: 'mlfarm_peak_memory_bytes',
  modelSize: 'mlfarm_model_size_bytes',
  modelGzipSize: 'mlfarm_model_gzip_size_bytes',
  fidelity: 'mlfarm_output_fidelity',
  snr: 'mlfarm_output_snr_decibels',
  opLatency: 'mlfarm_op_latency_seconds',
  opNodes: 'mlfarm_op_nodes',
  results: 'mlfarm_results_total',
  resultTimestamp: 'mlfarm_result_timestamp_seconds',
  // Farm health (coordinator).
  tasksFinished: 'mlfarm_tasks_total',
  tasksInState: 'mlfarm_tasks_in_state',
  queueDepth: 'mlfarm_queue_depth',
  agentsConnected: 'mlfarm_agents_connected',
  agentsBusy: 'mlfarm_agents_busy',
  agentInfo: 'mlfarm_agent_info',
  agentConnections: 'mlfarm_agent_connections_total',
  agentDisconnections: 'mlfarm_agent_disconnections_total',
  leaseExpiries: 'mlfarm_lease_expiries_total',
  // Verdicts (coordinator): 1 per open regression (gate or nightly change point), labelled by its series.
  regression: 'mlfarm_regression',
  streamMessagesDropped: 'mlfarm_stream_messages_dropped_total',
  slowConsumerStreams: 'mlfarm_slow_consumer_streams_total',
  // The names every gRPC exporter uses (go-grpc-prometheus, nice-grpc-prometheus), so stock dashboards work.
  grpcStarted: 'grpc_server_started_total',
  grpcHandled: 'grpc_server_handled_total',
  grpcHandling: 'grpc_server_handling_seconds',
  // Agent side: what one agent measured and streamed, served on its own /metrics.
  agentInferenceLatency: 'mlfarm_agent_inference_latency_seconds',
  agentProgress: 'mlfarm_agent_progress_messages_total',
  agentTasks: 'mlfarm_agent_tasks_total',
  agentTaskRunning: 'mlfarm_agent_task_running',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** What a measurement is "of". Never a run id or a graph node name: those would explode cardinality. */
export const RESULT_LABELS = ['model', 'variant', 'agent', 'ep', 'runtime'] as const;
export type ResultLabel = (typeof RESULT_LABELS)[number];
export type ResultLabels = Record<ResultLabel, string>;

export const GRPC_LABELS = ['grpc_type', 'grpc_service', 'grpc_method'] as const;
export type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

/** Task states as the store names them; `mlfarm_tasks_in_state` always exports all of them (0 included). */
export const TASK_STATUSES = ['queued', 'leased', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskStatusLabel = (typeof TASK_STATUSES)[number];

/** Prometheus job names used by deploy/prometheus and by the dashboards' farm-health panels. */
export const JOB = { coordinator: 'mlfarm-coordinator', agent: 'mlfarm-agent' } as const;
