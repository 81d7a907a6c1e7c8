import type * as OrtNamespace from 'onnxruntime-node';

/** One installed onnxruntime-node package (the main one or an npm alias such as `onnxruntime-node-1.22`). */
export interface RuntimeInfo {
  /** The package's own version, e.g. '1.22.0'. */
  version: string;
  /** What `import()` takes: 'onnxruntime-node' or the alias, e.g. 'onnxruntime-node-1.22'. */
  packageName: string;
  /** True for the plain `onnxruntime-node` dependency, which tasks without a runtime get. */
  isDefault: boolean;
}

/**
 * The module object of whichever onnxruntime-node a runner child loaded. Typed from the main package:
 * the API the bench uses (InferenceSession, Tensor, env, listSupportedBackends) is the same in every
 * supported version, except `inputMetadata`, which releases before 1.21 lack (see ort-session.adapter).
 */
export type OrtModule = typeof OrtNamespace;

export interface LoadedRuntime {
  info: RuntimeInfo;
  ort: OrtModule;
  /** What the loaded native binding reports (env.versions.node), which is the truth for results. */
  version: string;
}

export interface EpProbe {
  /** The EP name as asked, e.g. 'cpu', 'webgpu', 'cuda'. */
  name: string;
  /** True only when a session was created on it and ran the tiny model with the right output. */
  available: boolean;
  /** ONNX Runtime's reason when unavailable; '' when available. */
  reason: string;
}
