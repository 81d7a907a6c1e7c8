import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { ArtifactKind, type SuiteSource, type Verdict, type WatchRunResponse } from '#contracts';
import { loadSuiteSource } from '#suites';
import type { TestFarm } from './test-farm.js';

/** A small gate suite on the model at ./head.onnx (the test rewrites that file between runs). */
export function gateSuiteYaml(extra = ''): string {
  return `suite: det-gate
models:
  - name: det
    path: ./head.onnx
inputs:
  shapes: { x: 1x3x96x96 }
  seed: 7
scenario:
  warmup: 2
  iterations: 60
  intra_op_threads: 1
  inter_op_threads: 1
  profile: true
  profile_iterations: 2
${extra}`;
}

/** The fields of a comparison (gRPC message or `mlfarm ci --json`) that tell why it stayed UNKNOWN. */
export interface NoisyComparison {
  rounds: number;
  reason: string;
  bimodal: boolean;
  ci95Low: number | null;
  ci95High: number | null;
}

/**
 * For a gate of a model against itself: an UNKNOWN is the machine's noise, not a change the gate missed,
 * when it came only at the round cap and either the rounds were bimodal (runner processes in two speed
 * modes) or "no change" is still inside its 95 % CI.
 */
export function onlyNoise(c: NoisyComparison, cap: number): boolean {
  const zeroInside = (c.ci95Low ?? 1) <= 0 && (c.ci95High ?? -1) >= 0;
  return c.rounds === cap && /cap of \d+ rounds reached/.test(c.reason) && (c.bimodal || zeroInside);
}

export async function writeSuite(dir: string, yaml: string, head: Uint8Array): Promise<string> {
  await writeFile(join(dir, 'head.onnx'), head);
  const file = join(dir, 'gate.suite.yaml');
  await writeFile(file, yaml);
  return file;
}

/** Reads the suite as the CLI does, uploading its files into the test farm's coordinator. */
export async function suiteSource(farm: TestFarm, file: string): Promise<SuiteSource> {
  const { source } = await loadSuiteSource(file, async (path, use) => {
    const kind = use === 'model' ? ArtifactKind.ARTIFACT_KIND_MODEL : ArtifactKind.ARTIFACT_KIND_TENSOR;
    return (await farm.upload(new Uint8Array(await readFile(path)), 'head.onnx', kind)).sha256;
  });
  return source;
}

/** Submits a gate and follows it to the end: every verdict event, then the stored verdict. */
export async function runGate(
  farm: TestFarm,
  file: string,
  baseline: string,
  maxRounds = 0,
): Promise<{ verdict: Verdict; events: WatchRunResponse[] }> {
  const { run } = await lastValueFrom(
    farm.client.coordinator.submitGate({
      suite: await suiteSource(farm, file),
      baseline,
      maxRounds,
      name: '',
    }),
  );
  const events = await farm.watch(run!.id);
  const { verdict } = await lastValueFrom(farm.client.coordinator.getVerdict({ runId: run!.id }));
  return { verdict: verdict!, events };
}
