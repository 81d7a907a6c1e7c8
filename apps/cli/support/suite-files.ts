import { ArtifactKind, type GrpcClient } from '#contracts';
import { loadSuiteSource } from '#suites';
import { uploadFile } from './grpc-calls.js';

/** Reads a suite file and uploads what it names (models, input tensors) through the coordinator's UploadModel. */
export function readSuite(client: GrpcClient, file: string): ReturnType<typeof loadSuiteSource> {
  return loadSuiteSource(file, async (path, use) => {
    const kind = use === 'model' ? ArtifactKind.ARTIFACT_KIND_MODEL : ArtifactKind.ARTIFACT_KIND_TENSOR;
    return (await uploadFile(client, path, kind)).sha256;
  });
}
