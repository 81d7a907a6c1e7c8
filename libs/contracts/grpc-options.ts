import { fileURLToPath } from 'node:url';
import { type GrpcOptions, Transport } from '@nestjs/microservices';
import { MLFARM_V1_PACKAGE_NAME } from './generated/mlfarm/v1/common.js';

// Both the NestJS server and the clients decode with proto-loader, so these options must match what
// ts-proto generated: int64 as string (forceLong=string), enums as numbers, unset fields filled in.
export const GRPC_LOADER_OPTIONS = {
  keepCase: false,
  longs: String,
  enums: Number,
  defaults: true,
  oneofs: true,
  arrays: true,
} as const;

// Chunks of artifacts are 1 MiB; results carry raw samples and per-node rows. 64 MiB leaves room
// for a result of a model with tens of thousands of nodes while still bounding one message.
export const MAX_GRPC_MESSAGE_BYTES = 64 * 1024 * 1024;

// dist/libs/contracts -> repository root; the .proto files travel with the package (see package.json files).
export const PROTO_ROOT = fileURLToPath(new URL('../../../proto/', import.meta.url));
export const PROTO_FILES = ['mlfarm/v1/coordinator_service.proto', 'mlfarm/v1/agent_gateway_service.proto'];

export interface GrpcTransportOptions {
  /** Server or channel credentials (TLS); plaintext when absent. */
  credentials?: unknown;
  /** Passed to grpc-js as channel options (client interceptors, for example). */
  channelOptions?: Record<string, unknown>;
  maxMessageBytes?: number;
}

export function grpcOptions(
  url: string,
  transport: GrpcTransportOptions = {},
): Required<GrpcOptions>['options'] {
  const maxBytes = transport.maxMessageBytes ?? MAX_GRPC_MESSAGE_BYTES;
  return {
    url,
    package: MLFARM_V1_PACKAGE_NAME,
    protoPath: PROTO_FILES,
    loader: { ...GRPC_LOADER_OPTIONS, includeDirs: [PROTO_ROOT] },
    ...(transport.credentials === undefined ? {} : { credentials: transport.credentials }),
    ...(transport.channelOptions === undefined ? {} : { channelOptions: { ...transport.channelOptions } }),
    maxReceiveMessageLength: maxBytes,
    maxSendMessageLength: maxBytes,
    keepalive: { keepaliveTimeMs: 10_000, keepaliveTimeoutMs: 5_000, keepalivePermitWithoutCalls: 1 },
  };
}

export const GRPC_TRANSPORT = Transport.GRPC;
