import { BenchError, errorMessage } from './bench.exception.js';
import { type LoadedRuntime, type OrtModule } from './ort-runtime.types.js';
import { resolveRuntime } from './runtime-registry.util.js';

let loaded: LoadedRuntime | undefined;

/**
 * Imports the chosen onnxruntime-node package. Every build ships a native library of the same name
 * (libonnxruntime.so.1), so a process can hold only one: a second, different runtime is refused here
 * rather than failing inside the dynamic linker. Nothing in the runner child imports onnxruntime-node
 * statically (types only), so the first call decides.
 */
export async function loadRuntime(spec?: string): Promise<LoadedRuntime> {
  const info = resolveRuntime(spec);
  if (loaded !== undefined) {
    if (loaded.info.packageName === info.packageName) {
      return loaded;
    }
    throw new BenchError(
      'RUNTIME_UNAVAILABLE',
      `this process already loaded onnxruntime-node ${loaded.version}; runtime ${info.version} needs its own runner process`,
    );
  }
  let ort: OrtModule;
  try {
    const ns = (await import(info.packageName)) as OrtModule & { default?: OrtModule };
    // A CommonJS package: Node usually exposes its named exports, else only `default`.
    ort = typeof ns.InferenceSession === 'function' ? ns : (ns.default ?? ns);
  } catch (err) {
    throw new BenchError(
      'RUNTIME_UNAVAILABLE',
      `runtime ${info.version} (${info.packageName}) failed to load: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  const version = ort.env.versions.node ?? ort.env.versions.common ?? info.version;
  loaded = { info, ort, version };
  return loaded;
}
