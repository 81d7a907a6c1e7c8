import { Logger } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import { DomainError, DomainErrorCode, assertUnreachable } from '#common';

const logger = new Logger('RpcError');

export function statusOf(code: DomainErrorCode): status {
  switch (code) {
    case DomainErrorCode.INVALID_MODEL:
    case DomainErrorCode.INVALID_REQUEST:
      return status.INVALID_ARGUMENT;
    case DomainErrorCode.NOT_FOUND:
      return status.NOT_FOUND;
    case DomainErrorCode.NO_MATCHING_AGENT:
    case DomainErrorCode.RUN_FINISHED:
    case DomainErrorCode.FAILED_PRECONDITION:
      return status.FAILED_PRECONDITION;
    case DomainErrorCode.TOO_LARGE:
    case DomainErrorCode.RESOURCE_EXHAUSTED:
      return status.RESOURCE_EXHAUSTED;
    case DomainErrorCode.UNAUTHENTICATED:
      return status.UNAUTHENTICATED;
    case DomainErrorCode.PERMISSION_DENIED:
      return status.PERMISSION_DENIED;
    default:
      return assertUnreachable(code);
  }
}

/** Domain errors keep their message; anything else is logged here and reaches the client as INTERNAL. */
export function toRpcException(error: unknown): RpcException {
  if (error instanceof RpcException) {
    return error;
  }
  if (error instanceof DomainError) {
    return new RpcException({ code: statusOf(error.code), message: error.message });
  }
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return new RpcException({ code: status.INTERNAL, message: 'internal error (see coordinator log)' });
}
