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
