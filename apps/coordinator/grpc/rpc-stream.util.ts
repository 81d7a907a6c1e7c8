import { type Observable, catchError, from, throwError } from 'rxjs';
import { toRpcException } from './rpc-error.mapper.js';

/** Errors raised inside a stream never pass exception filters; map them on the stream itself. */
export function mapRpcErrors<T>(source: Observable<T> | Promise<T>): Observable<T> {
  return from(source).pipe(catchError((error: unknown) => throwError(() => toRpcException(error))));
}
