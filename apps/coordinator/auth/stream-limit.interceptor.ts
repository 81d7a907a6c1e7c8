import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { type Observable, finalize } from 'rxjs';
import { loadGrpcMethodTable } from '../metrics/grpc-method-table.js';
import { ClientLimitsService } from './client-limits.service.js';
import { principalOf } from './principal.js';

interface CallWithPath {
  getPath(): string;
}

/** Every streaming method of CoordinatorService (WatchRun, UploadModel, ...) takes a per-client slot. */
@Injectable()
export class StreamLimitInterceptor implements NestInterceptor {
  private readonly limited = new Map<string, string>();

  constructor(private readonly limits: ClientLimitsService) {
    for (const [path, info] of loadGrpcMethodTable()) {
      if (info.grpc_service === 'mlfarm.v1.CoordinatorService' && info.grpc_type !== 'unary') {
        this.limited.set(path, info.grpc_method);
      }
    }
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') {
      return next.handle();
    }
    const call = context.getArgByIndex<Partial<CallWithPath> | undefined>(2);
    const method = typeof call?.getPath === 'function' ? this.limited.get(call.getPath()) : undefined;
    if (!method) {
      return next.handle();
    }
    const release = this.limits.openStream(principalOf(context.getArgByIndex<Metadata>(1)), method);
    return next.handle().pipe(finalize(release));
  }
}
