import { loadSync } from '@grpc/proto-loader';
import { GRPC_LOADER_OPTIONS, PROTO_FILES, PROTO_ROOT } from '#contracts';
import type { GrpcType } from '#metrics';

export interface GrpcMethodInfo {
  grpc_type: GrpcType;
  grpc_service: string;
  grpc_method: string;
}

interface MethodDefinitionLike {
  path?: string;
  requestStream?: boolean;
  responseStream?: boolean;
}

/**
 * Path (`/mlfarm.v1.CoordinatorService/SubmitRun`) -> labels, read from the .proto files NestJS serves:
 * NestJS metadata cannot tell unary from server streaming, the service definition can.
 */
export function loadGrpcMethodTable(): Map<string, GrpcMethodInfo> {
  const definition = loadSync(PROTO_FILES, { ...GRPC_LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
  const table = new Map<string, GrpcMethodInfo>();
  for (const [service, methods] of Object.entries(definition)) {
    for (const [method, raw] of Object.entries(methods as Record<string, MethodDefinitionLike>)) {
      if (typeof raw.path !== 'string') {
        continue; // a message type, not a method
      }
      table.set(raw.path, { grpc_type: grpcType(raw), grpc_service: service, grpc_method: method });
    }
  }
  return table;
}

function grpcType(m: MethodDefinitionLike): GrpcType {
  if (m.requestStream) {
    return m.responseStream ? 'bidi_stream' : 'client_stream';
  }
  return m.responseStream ? 'server_stream' : 'unary';
}
