import { fileURLToPath } from 'node:url';

/**
 * The proto files and proto-loader options of #contracts, restated so that the bare server and the load
 * generator's worker threads do not load #contracts (which pulls in NestJS: about 50 MiB per thread).
 * bench-scale asserts at start that these equal the #contracts originals.
 */
export const PROTO_ROOT = fileURLToPath(new URL('../../../proto/', import.meta.url));
export const PROTO_FILES = ['mlfarm/v1/coordinator_service.proto', 'mlfarm/v1/agent_gateway_service.proto'];
export const GRPC_LOADER_OPTIONS = {
  keepCase: false,
  longs: String,
  enums: Number,
  defaults: true,
  oneofs: true,
  arrays: true,
} as const;
export const MAX_GRPC_MESSAGE_BYTES = 64 * 1024 * 1024;
