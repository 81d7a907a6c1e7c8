import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { Subject } from 'rxjs';
import { DomainError, DomainErrorCode } from '#common';
import { paceToConsumer } from './paced-stream.util.js';

class FakeCall extends EventEmitter {
  writableNeedDrain = false;
}

interface Message {
  kind: 'state' | 'progress';
  id: string;
  n: number;
}

function setup(maxQueued = 3) {
  const call = new FakeCall();
  const source = new Subject<Message>();
  const received: Message[] = [];
  let error: unknown;
  let completed = false;
  let coalesced = 0;
  paceToConsumer(source, call, {
    maxQueued,
    coalesceKey: (m) => (m.kind === 'progress' ? m.id : undefined),
    tooSlow: 'too slow',
    onCoalesced: () => (coalesced += 1),
  }).subscribe({
    next: (m) => received.push(m),
    error: (e: unknown) => (error = e),
    complete: () => (completed = true),
  });
  return {
    call,
    source,
    received,
    error: () => error,
    completed: () => completed,
    coalesced: () => coalesced,
  };
}

await test('messages pass straight through while the client keeps up', () => {
  const s = setup();
  s.source.next({ kind: 'state', id: 'a', n: 1 });
  s.source.next({ kind: 'progress', id: 't', n: 2 });
  s.source.complete();
  assert.deepEqual(
    s.received.map((m) => m.n),
    [1, 2],
  );
  assert.ok(s.completed());
});

await test('while the call needs a drain, progress coalesces (latest wins) and order is kept', () => {
  const s = setup();
  s.call.writableNeedDrain = true;
  s.source.next({ kind: 'state', id: 'a', n: 1 });
  s.source.next({ kind: 'progress', id: 't', n: 2 });
  s.source.next({ kind: 'progress', id: 't', n: 3 });
  s.source.next({ kind: 'progress', id: 'u', n: 4 });
  s.source.complete();
  assert.equal(s.received.length, 0, 'nothing handed on while the buffer is full');
  assert.equal(s.completed(), false, 'completion waits for the queue');
  s.call.writableNeedDrain = false;
  s.call.emit('drain');
  assert.deepEqual(
    s.received.map((m) => m.n),
    [1, 3, 4],
  );
  assert.equal(s.coalesced(), 1);
  assert.ok(s.completed());
});

await test('more state messages than the bound end the stream with RESOURCE_EXHAUSTED', () => {
  const s = setup(3);
  s.call.writableNeedDrain = true;
  for (let n = 1; n <= 3; n++) {
    s.source.next({ kind: 'state', id: `s${n}`, n });
  }
  assert.equal(s.error(), undefined, 'up to the bound is fine');
  s.source.next({ kind: 'state', id: 's4', n: 4 });
  const error = s.error();
  assert.ok(error instanceof DomainError);
  assert.equal(error.code, DomainErrorCode.RESOURCE_EXHAUSTED);
  assert.equal(error.message, 'too slow');
  assert.equal(s.source.observed, false, 'the source is released');
});
