import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Observable, lastValueFrom } from 'rxjs';
import { ArtifactKind, type GrpcClient, type UploadModelRequest, type UploadModelResponse } from '#contracts';
import { CliError } from './cli-error.js';

const CHUNK_BYTES = 1024 * 1024;

/** Streams a local file to UploadModel; the file is read in chunks, never whole. */
export async function uploadFile(
  client: GrpcClient,
  path: string,
  kind: ArtifactKind,
): Promise<UploadModelResponse> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read '${path}': ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  if (!info.isFile()) {
    throw new CliError(`'${path}' is not a file`);
  }
  const requests = new Observable<UploadModelRequest>((out) => {
    out.next({ metadata: { name: basename(path), sizeBytes: String(info.size), sha256: '', kind } });
    const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
    stream.on('data', (chunk) => out.next({ chunk: chunk as Buffer }));
    stream.on('error', (error) => out.error(new CliError(`cannot read '${path}': ${error.message}`)));
    stream.on('end', () => out.complete());
    return () => stream.destroy();
  });
  return lastValueFrom(client.coordinator.uploadModel(requests));
}

export function uploadModel(client: GrpcClient, path: string): Promise<UploadModelResponse> {
  return uploadFile(client, path, ArtifactKind.ARTIFACT_KIND_MODEL);
}
