import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { DomainError } from '#common';
import { statusOf } from '../grpc/rpc-error.mapper.js';

/** The status a failed handler ends with, by name (`INVALID_ARGUMENT`), as the exception filter maps it. */
export function grpcStatusName(error: unknown): string {
  return status[grpcStatusCode(error)] ?? 'UNKNOWN';
}

function grpcStatusCode(error: unknown): status {
  if (error instanceof DomainError) {
    return statusOf(error.code);
  }
  const payload = error instanceof RpcException ? error.getError() : error;
  if (
    typeof payload === 'object' &&
    payload !== null &&
    'code' in payload &&
    typeof payload.code === 'number'
  ) {
    return payload.code;
  }
  return status.INTERNAL;
}
