import { readFileSync } from 'node:fs';
import { BUNDLED_SHAPES, bundledModelPath } from '#common';
import { readOnnxModel } from '#onnx';
import { ORT_VERSION, latencySamples, latencyStats } from './agent-messages.js';

/**
 * A TaskResult without its ids: fingerprint plus a measurement whose per-op rows are the first `opRows`
 * compute nodes of the detection model (what ONNX Runtime's profiler reports after fusing constants).
 */
export function resultTemplate(fp: object, resultSamples: number, opRows: number): object {
  const model = readOnnxModel(readFileSync(bundledModelPath('det')));
  const nodes = (model.graph?.node ?? [])
    .map((n) => ({ name: n.name ?? '', opType: n.opType ?? '' }))
    .filter((n) => n.opType !== 'Constant')
    .slice(0, opRows);
  const weights = latencySamples(nodes.length, 7);
  const total = weights.reduce((a, b) => a + b, 0);
  const ops = nodes.map((n, i) => ({
    node: n.name || `${n.opType}_${i}`,
    opType: n.opType,
    provider: 'CPUExecutionProvider',
    medianMs: (weights[i]! / total) * 80,
    share: weights[i]! / total,
  }));
  const byType = new Map<string, { opType: string; count: number; totalMs: number; share: number }>();
  for (const op of ops) {
    const row = byType.get(op.opType) ?? { opType: op.opType, count: 0, totalMs: 0, share: 0 };
    row.count += 1;
    row.totalMs += op.medianMs;
    row.share += op.share;
    byType.set(op.opType, row);
  }
  const samples = latencySamples(resultSamples, 3);
  return {
    fingerprint: fp,
    measurement: {
      ortVersion: ORT_VERSION,
      ep: 'cpu',
      loadMs: 412.5,
      firstRunMs: 131.25,
      samplesMs: samples,
      latency: latencyStats(samples),
      peakRssBytes: String(412 * 2 ** 20),
      arenaPeakBytes: '0',
      ops,
      opTypes: [...byType.values()].sort((a, b) => b.totalMs - a.totalMs),
      profiledRunMedianMs: 86.5,
      inputs: [
        {
          name: BUNDLED_SHAPES.det.input,
          dims: BUNDLED_SHAPES.det.dims.map(String),
          elemType: 'float32',
          source: 'synthetic',
        },
      ],
    },
  };
}
