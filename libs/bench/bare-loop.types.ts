/** argv[2] of bare-loop-child.js, as JSON. */
export interface BareLoopConfig {
  modelPath: string;
  inputName: string;
  dims: number[];
  warmupIterations: number;
  iterations: number;
  intraOpThreads?: number;
  interOpThreads?: number;
}
