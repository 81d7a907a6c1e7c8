import { errorMessage } from './bench.exception.js';
import { loadRuntime } from './ort-runtime.loader.js';
import { type EpProbe, type OrtModule } from './ort-runtime.types.js';
import { checkBackendKnown } from './ort-session.adapter.js';

/** x fed to the tiny model y = Relu(x + [1, -2, 0.5, -0.25]); the expected y proves the EP computed it. */
const PROBE_INPUT = [1, 2, 3, 4];
const PROBE_EXPECTED = [2, 0, 3.5, 3.75];
const LOG_SEVERITY_ERROR = 3;

/**
 * In the runner child: for each EP, create a session of '#onnx''s tiny model (opset 17 / IR 8, which
 * every supported runtime back to 1.20 loads) on that EP alone and run it. Listed by
 * `listSupportedBackends()` is not enough: a bundled webgpu with no adapter, or cuda without its
 * libraries, is listed yet cannot create a session.
 */
export async function probeEps(runtime: string | undefined, eps: readonly string[]): Promise<EpProbe[]> {
  const { ort } = await loadRuntime(runtime);
  // Loaded lazily: the measuring child never pays for the protobuf code.
  const onnx = await import('#onnx');
  const model = onnx.encodeOnnxModel(onnx.buildTinyModel());
  const probes: EpProbe[] = [];
  for (const name of eps) {
    probes.push(await probeOne(ort, model, name));
  }
  return probes;
}

async function probeOne(ort: OrtModule, model: Uint8Array, name: string): Promise<EpProbe> {
  try {
    checkBackendKnown(ort, name);
    const session = await ort.InferenceSession.create(model, {
      executionProviders: [name],
      logSeverityLevel: LOG_SEVERITY_ERROR,
    });
    try {
      const x = new ort.Tensor('float32', Float32Array.from(PROBE_INPUT), [1, PROBE_INPUT.length]);
      const out = await session.run({ x });
      const y = Array.from((out.y?.data ?? []) as Float32Array);
      if (y.length !== PROBE_EXPECTED.length || y.some((v, i) => Math.abs(v - PROBE_EXPECTED[i]!) > 1e-6)) {
        return {
          name,
          available: false,
          reason: `ran but computed [${y.join(', ')}], expected [${PROBE_EXPECTED.join(', ')}]`,
        };
      }
    } finally {
      await session.release();
    }
    return { name, available: true, reason: '' };
  } catch (err) {
    return { name, available: false, reason: errorMessage(err).trim() };
  }
}
