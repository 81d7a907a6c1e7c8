import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { type Observable, finalize, tap } from 'rxjs';
import type { GrpcServerMetrics } from '#metrics';
import { GRPC_SERVER_METRICS } from './coordinator-metrics.tokens.js';
import { type GrpcMethodInfo, loadGrpcMethodTable } from './grpc-method-table.js';
import { grpcStatusName } from './grpc-status-name.util.js';

interface CallWithPath {
  getPath(): string;
}

/**
 * grpc_server_* for every RPC NestJS dispatches. A stream counts as handled when it ends: completed (OK),
 * failed (its status) or dropped by the client (CANCELLED).
 */
@Injectable()
export class GrpcMetricsInterceptor implements NestInterceptor {
  private readonly methods = loadGrpcMethodTable();

  constructor(@Inject(GRPC_SERVER_METRICS) private readonly metrics: GrpcServerMetrics) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const method = context.getType() === 'rpc' ? this.methodOf(context) : undefined;
    if (!method) {
      return next.handle();
    }
    this.metrics.started.inc({ ...method });
    const stopTimer = this.metrics.handling.startTimer({ ...method });
    let ended = false;
    const end = (code: string): void => {
      if (!ended) {
        ended = true;
        stopTimer();
        this.metrics.handled.inc({ ...method, grpc_code: code });
      }
    };
    return next.handle().pipe(
      tap({ complete: () => end('OK'), error: (error: unknown) => end(grpcStatusName(error)) }),
      finalize(() => end('CANCELLED')),
    );
  }

  // grpc-js puts the call object third: (request | observable, metadata, call).
  private methodOf(context: ExecutionContext): GrpcMethodInfo | undefined {
    const call = context.getArgByIndex<Partial<CallWithPath> | undefined>(2);
    const path = typeof call?.getPath === 'function' ? call.getPath() : undefined;
    return path ? this.methods.get(path) : undefined;
  }
}
