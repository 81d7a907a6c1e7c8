import type { ModelFacts } from '#contracts';
import type { ModelFacts as OnnxModelFacts, TensorInfo } from '#onnx';

/** libs/onnx facts -> the wire form (int64 as strings, symbolic dims as -1 with their names kept). */
export function toContractFacts(facts: OnnxModelFacts): ModelFacts {
  const tensor = (t: TensorInfo) => ({
    name: t.name,
    elemType: t.elemType,
    dims: t.dims.map((d) => (typeof d === 'number' ? String(d) : '-1')),
    dimParams: t.dims.map((d) => (typeof d === 'string' ? d : '')),
  });
  return {
    sha256: facts.sha256,
    sizeBytes: String(facts.sizeBytes),
    gzipSizeBytes: String(facts.gzipSizeBytes),
    irVersion: String(facts.irVersion),
    producer: facts.producer,
    opsets: facts.opsets.map((o) => ({ domain: o.domain, version: String(o.version) })),
    inputs: facts.inputs.map(tensor),
    outputs: facts.outputs.map(tensor),
    opHistogram: Object.entries(facts.opHistogram)
      .sort((a, b) => b[1] - a[1])
      .map(([opType, count]) => ({ opType, count })),
    nodeCount: facts.nodeCount,
    parameterCount: String(facts.parameterCount),
  };
}
