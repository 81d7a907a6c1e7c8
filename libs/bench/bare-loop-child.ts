// Reference for scripts/bench-overhead: the same create / first run / warm-up / timed loop as
// measure(), in plain onnxruntime-node with no mlfarm code, so any gap between the two is our overhead.
// Usage: node bare-loop-child.js '<BareLoopConfig JSON>'; prints { samplesMs } as JSON on stdout.
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { type BareLoopConfig } from './bare-loop.types.js';

const config = JSON.parse(process.argv[2] ?? '{}') as BareLoopConfig;
const session = await InferenceSession.create(config.modelPath, {
  executionProviders: ['cpu'],
  logSeverityLevel: 3,
  ...(config.intraOpThreads !== undefined && { intraOpNumThreads: config.intraOpThreads }),
  ...(config.interOpThreads !== undefined && { interOpNumThreads: config.interOpThreads }),
});

// Uniform [0, 1) like mlfarm's synthetic inputs (a different generator; conv timing does not care).
const data = new Float32Array(config.dims.reduce((a, b) => a * b, 1));
let state = 1;
for (let i = 0; i < data.length; i++) {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  data[i] = state / 4294967296;
}
const feeds = { [config.inputName]: new Tensor('float32', data, config.dims) };

await session.run(feeds);
for (let i = 0; i < config.warmupIterations; i++) {
  await session.run(feeds);
}
const samples = new Float64Array(config.iterations);
for (let i = 0; i < config.iterations; i++) {
  const t0 = process.hrtime.bigint();
  await session.run(feeds);
  const t1 = process.hrtime.bigint();
  samples[i] = Number(t1 - t0) / 1e6;
}
await session.release();
process.stdout.write(JSON.stringify({ samplesMs: Array.from(samples) }));
