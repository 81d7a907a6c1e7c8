// Runs in its own process: creating a session on an EP can crash natively (a broken driver), and that
// must cost the probe, not the agent. Prints one JSON line: [{ name, available, reason }].
import * as ort from 'onnxruntime-node';
import { buildTinyModel, encodeOnnxModel } from '#onnx';

interface ProbeResult {
  name: string;
  available: boolean;
  reason: string;
}

async function probe(eps: string[]): Promise<ProbeResult[]> {
  const model = encodeOnnxModel(buildTinyModel());
  const results: ProbeResult[] = [];
  for (const name of eps) {
    try {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: [name],
        logSeverityLevel: 3,
      });
      // A session alone is not proof: some EPs fail only at the first run.
      const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', new Float32Array(4), [1, 4]) };
      await session.run(feeds);
      await session.release();
      results.push({ name, available: true, reason: '' });
    } catch (error) {
      results.push({
        name,
        available: false,
        reason: (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 500),
      });
    }
  }
  return results;
}

const eps = process.argv.slice(2);
probe(eps.length > 0 ? eps : ort.listSupportedBackends().map((b) => b.name)).then(
  (results) => {
    process.stdout.write(`${JSON.stringify(results)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
