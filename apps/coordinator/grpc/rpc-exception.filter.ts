import { type ArgumentsHost, Catch, type RpcExceptionFilter } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';
import { toRpcException } from './rpc-error.mapper.js';

/** Errors thrown by handlers (before a stream starts) go through the same mapping as stream errors. */
@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => toRpcException(exception).getError());
  }
}
