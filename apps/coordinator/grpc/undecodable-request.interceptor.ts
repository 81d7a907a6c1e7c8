import { Metadata, ServerInterceptingCall, type ServerInterceptor, status } from '@grpc/grpc-js';
import { errorMessage } from '#common';

const UNDECODABLE = Symbol('mlfarm.undecodable');

interface MethodDefinition {
  path: string;
  requestDeserialize: (bytes: Buffer) => unknown;
}

function isMethodDefinition(value: unknown): value is MethodDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as MethodDefinition).requestDeserialize === 'function' &&
    typeof (value as MethodDefinition).path === 'string'
  );
}

/**
 * NestJS `onLoadPackageDefinition` hook. grpc-js answers a request whose bytes are not the method's protobuf
 * message with INTERNAL ("Error deserializing request"), which would blame the server for a bad client.
 * Each request decoder here returns a marker instead of throwing; `rejectUndecodableRequests` turns the
 * marker into INVALID_ARGUMENT before any handler sees it.
 */
export function markUndecodableRequests(packageDefinition: Record<string, unknown>): void {
  for (const service of Object.values(packageDefinition)) {
    if (typeof service !== 'object' || service === null) {
      continue;
    }
    for (const method of Object.values(service as Record<string, unknown>)) {
      if (!isMethodDefinition(method)) {
        continue;
      }
      const decode = method.requestDeserialize;
      method.requestDeserialize = (bytes: Buffer): unknown => {
        try {
          return decode(bytes);
        } catch (error) {
          return { [UNDECODABLE]: errorMessage(error) };
        }
      };
    }
  }
}

/** grpc-js server interceptor: a request message marked undecodable ends the call with INVALID_ARGUMENT. */
export const rejectUndecodableRequests: ServerInterceptor = (method, call) =>
  new ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMessage: (message: unknown, forward) => {
          if (typeof message === 'object' && message !== null && UNDECODABLE in message) {
            const reason = String((message as Record<symbol, unknown>)[UNDECODABLE]).slice(0, 200);
            call.sendStatus({
              code: status.INVALID_ARGUMENT,
              details: `${method.path}: the request is not a valid protobuf message (${reason})`,
              metadata: new Metadata(),
            });
            return;
          }
          forward(message);
        },
      }),
  });
