import { isDeepStrictEqual } from 'node:util';
import { loadSync } from '@grpc/proto-loader';
import { GRPC_LOADER_OPTIONS, PROTO_FILES, PROTO_ROOT } from './proto-paths.js';

/**
 * The agent side of AgentGatewayService.Connect written by hand, so that a thousand simulated agents cost
 * the load generator little: each report is a few header fields in front of bytes encoded once with the
 * real proto (protobufjs through proto-loader, as NestJS does). selfCheck() proves, at every start, that
 * what this writes decodes with the real proto to what a real agent sends, and that it reads what the
 * real proto writes.
 */

export const CONNECT_PATH = '/mlfarm.v1.AgentGatewayService/Connect';

// ConnectRequest oneof fields (all length-delimited): hello 1, heartbeat 2, started 3, progress 4, result 5.
const REQ_HEARTBEAT = 0x12;
const REQ_STARTED = 0x1a;
const REQ_PROGRESS = 0x22;
const REQ_RESULT = 0x2a;
const MEASURE = Buffer.from('measure');

export interface ConnectSerializers {
  requestSerialize(value: object): Buffer;
  requestDeserialize(bytes: Buffer): Record<string, unknown>;
  responseSerialize(value: object): Buffer;
  responseDeserialize(bytes: Buffer): Record<string, unknown>;
}

/** proto-loader's (de)serializers of Connect: the same code path NestJS and the CLI use. */
export function connectSerializers(): ConnectSerializers {
  const definition = loadSync(PROTO_FILES, { ...GRPC_LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
  const service = definition['mlfarm.v1.AgentGatewayService'] as unknown as Record<
    string,
    ConnectSerializers
  >;
  return service.Connect!;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size += 1;
  }
  return size;
}

function putVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

function putBytes(buf: Buffer, pos: number, tag: number, bytes: Buffer): number {
  buf[pos++] = tag;
  pos = putVarint(buf, pos, bytes.length);
  return pos + bytes.copy(buf, pos);
}

const lenField = (bytes: number): number => 1 + varintSize(bytes) + bytes;

/** Wraps an inner message as one ConnectRequest oneof field. */
function frame(tag: number, innerSize: number, write: (buf: Buffer, pos: number) => number): Buffer {
  const buf = Buffer.allocUnsafe(lenField(innerSize));
  buf[0] = tag;
  const start = putVarint(buf, 1, innerSize);
  const end = write(buf, start);
  if (end !== buf.length) {
    throw new Error(`wire-codec: wrote ${end} of ${buf.length} bytes`);
  }
  return buf;
}

export function encodeStarted(taskId: Buffer, attempt: number): Buffer {
  const size = lenField(taskId.length) + 1 + varintSize(attempt);
  return frame(REQ_STARTED, size, (buf, pos) => {
    pos = putBytes(buf, pos, 0x0a, taskId);
    buf[pos++] = 0x10;
    return putVarint(buf, pos, attempt);
  });
}

/** The timed samples of one progress message, as the packed `samples_ms` field's payload (8 bytes each). */
export function packDoubles(values: readonly number[]): Buffer {
  const buf = Buffer.allocUnsafe(values.length * 8);
  values.forEach((v, i) => buf.writeDoubleLE(v, i * 8));
  return buf;
}

export interface ProgressFields {
  done: number;
  total: number;
  lastMs: number;
  firstIndex: number;
}

/** A TaskProgress of the timed phase ('measure'), which the coordinator turns into live latency samples. */
export function encodeProgress(taskId: Buffer, p: ProgressFields, packedSamples: Buffer): Buffer {
  const size =
    lenField(taskId.length) +
    lenField(MEASURE.length) +
    1 +
    varintSize(p.done) +
    1 +
    varintSize(p.total) +
    9 +
    lenField(packedSamples.length) +
    1 +
    varintSize(p.firstIndex);
  return frame(REQ_PROGRESS, size, (buf, pos) => {
    pos = putBytes(buf, pos, 0x0a, taskId);
    pos = putBytes(buf, pos, 0x12, MEASURE);
    buf[pos++] = 0x18;
    pos = putVarint(buf, pos, p.done);
    buf[pos++] = 0x20;
    pos = putVarint(buf, pos, p.total);
    buf[pos++] = 0x29;
    pos = buf.writeDoubleLE(p.lastMs, pos);
    pos = putBytes(buf, pos, 0x32, packedSamples);
    buf[pos++] = 0x38;
    return putVarint(buf, pos, p.firstIndex);
  });
}

/**
 * A TaskResult: task id, attempt and agent id written here, followed by `body` (fields 4 fingerprint and
 * 6 measurement of TaskResult, encoded once by resultBody()).
 */
export function encodeResult(taskId: Buffer, attempt: number, agentId: Buffer, body: Buffer): Buffer {
  const size = lenField(taskId.length) + 1 + varintSize(attempt) + lenField(agentId.length) + body.length;
  return frame(REQ_RESULT, size, (buf, pos) => {
    pos = putBytes(buf, pos, 0x0a, taskId);
    buf[pos++] = 0x10;
    pos = putVarint(buf, pos, attempt);
    pos = putBytes(buf, pos, 0x1a, agentId);
    return pos + body.copy(buf, pos);
  });
}

export function encodeHeartbeat(runningTaskIds: readonly Buffer[]): Buffer {
  const size = runningTaskIds.reduce((sum, id) => sum + lenField(id.length), 0);
  return frame(REQ_HEARTBEAT, size, (buf, pos) => {
    for (const id of runningTaskIds) {
      pos = putBytes(buf, pos, 0x0a, id);
    }
    return pos;
  });
}

/** Fields 4 and 6 of TaskResult (fingerprint, measurement), encoded with the real proto. */
export function resultBody(serializers: ConnectSerializers, result: object): Buffer {
  const framed = serializers.requestSerialize({ result });
  // Drop the ConnectRequest tag and length: what is left is the TaskResult's own fields.
  let pos = 1;
  while (framed[pos]! >= 0x80) {
    pos += 1;
  }
  return framed.subarray(pos + 1);
}

export type ConnectResponseKind =
  | { kind: 'welcome'; heartbeatIntervalMs: number; leaseMs: number }
  | { kind: 'assignment'; taskId: string; attempt: number }
  | { kind: 'cancellation'; taskId: string }
  | { kind: 'ack'; taskId: string; attempt: number }
  | { kind: 'unknown' };

const RESPONSE_KINDS = ['unknown', 'welcome', 'assignment', 'cancellation', 'ack'] as const;

/** Reads only what a simulated agent acts on: which message it is, and its fields 1 and 2. */
export function decodeResponse(buf: Buffer): ConnectResponseKind {
  const reader = { buf, pos: 0 };
  if (buf.length === 0) {
    return { kind: 'unknown' };
  }
  const tag = readVarint(reader);
  const field = tag >>> 3;
  if ((tag & 7) !== 2 || field < 1 || field > 4) {
    return { kind: 'unknown' };
  }
  const end = readVarint(reader) + reader.pos;
  let f1: number | string = 0;
  let f2 = 0;
  while (reader.pos < end) {
    const t = readVarint(reader);
    const wire = t & 7;
    const n = t >>> 3;
    if (wire === 0) {
      const v = readVarint(reader);
      if (n === 1) {
        f1 = v;
      } else if (n === 2) {
        f2 = v;
      }
    } else if (wire === 2) {
      const len = readVarint(reader);
      if (n === 1) {
        f1 = buf.toString('latin1', reader.pos, reader.pos + len);
      }
      reader.pos += len;
    } else if (wire === 1) {
      reader.pos += 8;
    } else if (wire === 5) {
      reader.pos += 4;
    } else {
      return { kind: 'unknown' };
    }
  }
  const kind = RESPONSE_KINDS[field]!;
  switch (kind) {
    case 'welcome':
      return { kind, heartbeatIntervalMs: Number(f1), leaseMs: f2 };
    case 'assignment':
    case 'ack':
      return { kind, taskId: String(f1), attempt: f2 };
    case 'cancellation':
      return { kind, taskId: String(f1) };
    case 'unknown':
      return { kind };
  }
}

function readVarint(r: { buf: Buffer; pos: number }): number {
  let result = 0;
  let scale = 1;
  for (;;) {
    const byte = r.buf[r.pos++];
    if (byte === undefined) {
      throw new Error('wire-codec: truncated varint');
    }
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      return result;
    }
    scale *= 128;
  }
}

function same(what: string, actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) {
    const show = (v: unknown): string => JSON.stringify(v).slice(0, 2000);
    throw new Error(
      `wire-codec self-check: ${what}\n  got      ${show(actual)}\n  expected ${show(expected)}`,
    );
  }
}

/**
 * Round trips through the real proto both ways; throws on the first difference. `result` is the
 * TaskResult without its ids, as given to resultBody().
 */
export function selfCheck(serializers: ConnectSerializers, result: object, samples: number[]): void {
  const taskId = 'task_01JSELFCHECK0000000000000';
  const id = Buffer.from(taskId);
  const req = (bytes: Buffer): Record<string, unknown> => serializers.requestDeserialize(bytes);

  same('started', req(encodeStarted(id, 3)).started, { taskId, attempt: 3 });
  const progress = encodeProgress(
    id,
    { done: 128, total: 200, lastMs: 1.5, firstIndex: 64 },
    packDoubles(samples),
  );
  same('progress', req(progress).progress, {
    taskId,
    phase: 'measure',
    done: 128,
    total: 200,
    lastMs: 1.5,
    samplesMs: samples,
    firstIndex: 64,
  });
  same('heartbeat', req(encodeHeartbeat([id])).heartbeat, { runningTaskIds: [taskId] });
  const body = resultBody(serializers, result);
  const full = { ...result, taskId, attempt: 2, agentId: 'sim-0001' };
  same(
    'result',
    req(encodeResult(id, 2, Buffer.from('sim-0001'), body)).result,
    req(serializers.requestSerialize({ result: full })).result,
  );

  const res = (value: object): ConnectResponseKind => decodeResponse(serializers.responseSerialize(value));
  same('welcome', res({ welcome: { heartbeatIntervalMs: 5000, leaseMs: 30000 } }), {
    kind: 'welcome',
    heartbeatIntervalMs: 5000,
    leaseMs: 30000,
  });
  same(
    'assignment',
    res({
      assignment: {
        taskId,
        attempt: 2,
        runId: 'run_x',
        modelSha256: 'a'.repeat(64),
        modelSizeBytes: '4745517',
        scenario: { iterations: 50, shapes: [{ input: 'x', dims: ['1', '3', '640', '640'] }] },
      },
    }),
    { kind: 'assignment', taskId, attempt: 2 },
  );
  same('cancellation', res({ cancellation: { taskId, reason: 'run cancelled' } }), {
    kind: 'cancellation',
    taskId,
  });
  same('ack', res({ ack: { taskId, attempt: 1 } }), { kind: 'ack', taskId, attempt: 1 });
}
