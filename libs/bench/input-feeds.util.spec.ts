import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type InferenceSession, Tensor } from 'onnxruntime-node';
import { buildInputFeeds, resolveDims } from './input-feeds.util.js';

const tensorMeta = (name: string, type: string, shape: (number | string)[]): InferenceSession.ValueMetadata =>
  ({ name, isTensor: true, type, shape }) as InferenceSession.ValueMetadata;
const detection = [
  tensorMeta('x', 'float32', [
    'p2o.DynamicDimension.0',
    3,
    'p2o.DynamicDimension.1',
    'p2o.DynamicDimension.2',
  ]),
];
const scenario = (shapes: Record<string, number[]> = {}, seed = 1) => ({ seed, shapes, inputFiles: {} });

await test('a dynamic dimension without --shape says which and how to give it', async () => {
  await assert.rejects(buildInputFeeds(detection, scenario(), Tensor), {
    code: 'INVALID_INPUT',
    message: "input 'x' has dynamic dimensions [?,3,?,?]; give its shape, e.g. --shape x=1x3x640x640",
  });
});

await test('shape errors name the input', () => {
  assert.throws(() => resolveDims('x', [null, 3, null, null], [1, 3, 64]), {
    code: 'INVALID_INPUT',
    message: /input 'x' has rank 3 .* rank 4/,
  });
  assert.throws(() => resolveDims('x', [null, 3, null, null], [1, 4, 64, 64]), {
    code: 'INVALID_INPUT',
    message: /dimension 1 to 4 .* fixes it at 3/,
  });
  assert.throws(() => resolveDims('x', [null], [0]), { code: 'INVALID_INPUT', message: /positive integers/ });
  assert.deepEqual(resolveDims('s', [], [2, 2]), [2, 2]);
  assert.deepEqual(resolveDims('f', [2, 5], undefined), [2, 5]);
});

await test('a shape or file for an unknown input is refused, listing the real ones', async () => {
  await assert.rejects(buildInputFeeds(detection, scenario({ image: [1, 3, 64, 64] }), Tensor), {
    code: 'INVALID_INPUT',
    message: "shape given for unknown input 'image'; the model's inputs are 'x'",
  });
  await assert.rejects(
    buildInputFeeds(
      detection,
      { seed: 1, shapes: { x: [1, 3, 8, 8] }, inputFiles: { y: '/nope.npy' } },
      Tensor,
    ),
    {
      code: 'INVALID_INPUT',
      message: /input file given for unknown input 'y'/,
    },
  );
});

await test('synthetic data: seeded, floats in [0,1), ints small and non-negative', async () => {
  const meta = [
    ...detection,
    tensorMeta('ids', 'int64', [2, 4]),
    tensorMeta('half', 'float16', [3]),
    tensorMeta('mask', 'bool', [5]),
  ];
  const shapes = { x: [1, 3, 8, 8] };
  const a = await buildInputFeeds(meta, scenario(shapes, 42), Tensor);
  const b = await buildInputFeeds(meta, scenario(shapes, 42), Tensor);
  const c = await buildInputFeeds(meta, scenario(shapes, 43), Tensor);
  assert.deepEqual(a.feeds.x!.data, b.feeds.x!.data);
  assert.notDeepEqual(a.feeds.x!.data, c.feeds.x!.data);
  const xs = a.feeds.x!.data as Float32Array;
  assert.ok(xs.every((v) => v >= 0 && v < 1));
  assert.ok(new Set(xs).size > xs.length / 2, 'not constant');
  const ids = a.feeds.ids!.data as BigInt64Array;
  assert.ok(ids.every((v) => v >= 0n && v < 10n));
  assert.deepEqual(a.feeds.ids!.dims, [2, 4]);
  assert.equal(a.feeds.half!.type, 'float16');
  assert.deepEqual(a.inputs, [
    { name: 'x', dims: [1, 3, 8, 8], elemType: 'float32', source: 'synthetic' },
    { name: 'ids', dims: [2, 4], elemType: 'int64', source: 'synthetic' },
    { name: 'half', dims: [3], elemType: 'float16', source: 'synthetic' },
    { name: 'mask', dims: [5], elemType: 'bool', source: 'synthetic' },
  ]);
});

await test('string inputs need a file', async () => {
  await assert.rejects(buildInputFeeds([tensorMeta('text', 'string', [1])], scenario(), Tensor), {
    code: 'INVALID_INPUT',
    message: /'text' has element type string.*give a file/,
  });
});
