import { Observable, type Subscription } from 'rxjs';
import { DomainError, DomainErrorCode } from '#common';

/** The part of a grpc-js server call that says whether the client keeps up (a Writable in object mode). */
export interface DrainableCall {
  readonly writableNeedDrain?: boolean;
  on(event: 'drain', listener: () => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
}

export interface PacingPolicy<T> {
  /** Messages held here for a client whose transport buffer is full; one more ends the stream. */
  maxQueued: number;
  /** Messages with the same key replace each other while queued (latest wins); undefined: never coalesced. */
  coalesceKey?: (message: T) => string | undefined;
  /** Ends the stream with RESOURCE_EXHAUSTED and this text when maxQueued is exceeded. */
  tooSlow: string;
  onCoalesced?: () => void;
  onTooSlow?: () => void;
}

/**
 * NestJS writes a stream's messages to grpc-js and, when the client does not read, keeps every further
 * message in an unbounded array until 'drain'. This hands NestJS a message only while the call's buffer has
 * room; the rest wait here in a bounded queue, progress-like messages coalesce (latest wins), and a client
 * that falls further behind gets RESOURCE_EXHAUSTED instead of growing the coordinator's memory.
 * Without a call (in-process use) the source passes through unchanged.
 */
export function paceToConsumer<T>(
  source: Observable<T>,
  call: DrainableCall | undefined,
  policy: PacingPolicy<T>,
): Observable<T> {
  if (!call || typeof call.on !== 'function') {
    return source;
  }
  return new Observable<T>((out) => {
    const queue: { message: T; key?: string }[] = [];
    let completed = false;
    const flush = (): void => {
      while (queue.length > 0 && !call.writableNeedDrain && !out.closed) {
        out.next(queue.shift()!.message);
      }
      if (completed && queue.length === 0 && !out.closed) {
        out.complete();
      }
    };
    call.on('drain', flush);
    let subscription: Subscription | undefined = undefined;
    subscription = source.subscribe({
      next: (message) => {
        if (queue.length === 0 && !call.writableNeedDrain) {
          out.next(message);
          return;
        }
        const key = policy.coalesceKey?.(message);
        const same = key === undefined ? -1 : queue.findIndex((q) => q.key === key);
        if (same >= 0) {
          queue[same] = { message, key };
          policy.onCoalesced?.();
          return;
        }
        if (queue.length >= policy.maxQueued) {
          queue.length = 0;
          policy.onTooSlow?.();
          subscription?.unsubscribe();
          out.error(new DomainError(DomainErrorCode.RESOURCE_EXHAUSTED, policy.tooSlow));
          return;
        }
        queue.push({ message, key });
      },
      error: (error: unknown) => {
        // An error ends the stream now; what is still queued would only delay it for a stalled client.
        queue.length = 0;
        out.error(error);
      },
      complete: () => {
        completed = true;
        flush();
      },
    });
    return () => {
      call.off('drain', flush);
      subscription?.unsubscribe();
    };
  });
}
